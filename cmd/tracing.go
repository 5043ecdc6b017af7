package dslruncmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// tracingEnabled says whether the standard OpenTelemetry variables ask for
// traces: OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn them off,
// OTEL_TRACES_EXPORTER=otlp on, and otherwise an OTLP endpoint
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) turns
// them on. Only the OTLP exporter over gRPC is built in: another exporter
// or protocol is an error rather than silence.
func tracingEnabled(lookupEnv func(string) (string, bool)) (bool, error) {
	get := func(k string) string {
		v, _ := lookupEnv(k)
		return strings.TrimSpace(v)
	}
	if strings.EqualFold(get("OTEL_SDK_DISABLED"), "true") {
		return false, nil
	}
	on := get("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
	switch e := get("OTEL_TRACES_EXPORTER"); e {
	case "":
	case "none":
		return false, nil
	case "otlp":
		on = true
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER=%s: dslrun exports traces with otlp only (or none)", e)
	}
	if !on {
		return false, nil
	}
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := get(k); p != "" {
			if p != "grpc" {
				return false, fmt.Errorf("%s=%s: dslrun exports traces over grpc only", k, p)
			}
			break
		}
	}
	return true, nil
}

// startTracing returns the Temporal SDK's OpenTelemetry tracing
// interceptor, for the client (and so for the workers made from it), when
// tracing is on: with opts.TracerProvider when set, else with an OTLP/gRPC
// exporter that the OTEL_EXPORTER_OTLP_* variables configure (endpoint,
// headers, certificates, insecure, timeout), a batch span processor
// (OTEL_BSP_*), the sampler of OTEL_TRACES_SAMPLER, and the resource of
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (service.name dslrun by
// default). The closer flushes the spans not yet exported. Off: nil.
func startTracing(ctx context.Context, opts *Options) (interceptor.Interceptor, func() error, error) {
	tp := opts.TracerProvider
	closer := func() error { return nil }
	if tp == nil {
		on, err := tracingEnabled(opts.LookupEnv)
		if err != nil || !on {
			return nil, nil, err
		}
		exp, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("tracing: %w", err)
		}
		res, err := resource.New(ctx,
			resource.WithAttributes(attribute.String("service.name", "dslrun")),
			resource.WithFromEnv(), resource.WithTelemetrySDK())
		if err != nil {
			return nil, nil, fmt.Errorf("tracing: %w", err)
		}
		sdk := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
		tp = sdk
		closer = func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return sdk.Shutdown(ctx)
		}
	}
	i, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer: tp.Tracer("dslrun"),
	})
	if err != nil {
		_ = closer()
		return nil, nil, fmt.Errorf("tracing: %w", err)
	}
	return i, closer, nil
}
