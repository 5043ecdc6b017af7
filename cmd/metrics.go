package dslruncmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/pflag"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// latencyBuckets are the bucket bounds, in seconds, of the SDK's latency
// histograms (OpenTelemetry's default bounds are meant for milliseconds).
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}

// metricsFlags are the flags of the commands that run a worker.
type metricsFlags struct {
	// Address is --metrics-address.
	Address string
}

func (f *metricsFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.Address, "metrics-address", "",
		"serve Prometheus metrics (the Temporal SDK's, and per step of the runs its worker executes) at http://ADDRESS/metrics, for example 127.0.0.1:9464; default: off")
}

// metricsServer is a running Prometheus endpoint.
type metricsServer struct {
	// Handler feeds the endpoint; give it to client.Options.MetricsHandler.
	Handler client.MetricsHandler
	// Address is the address listened on (the port chosen when it was 0).
	Address  string
	provider *sdkmetric.MeterProvider
	srv      *http.Server
	served   chan error
}

// startMetrics serves the SDK's metrics in the Prometheus text format at
// http://addr/metrics. The SDK's metrics handler is its OpenTelemetry
// contrib, exported by OpenTelemetry's Prometheus exporter into a registry
// of its own (the embedded server's metrics stay out of it). Counters are
// monotonic, so they carry Prometheus's _total suffix; latencies are
// histograms in seconds.
func startMetrics(addr string) (*metricsServer, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(exp),
		sdkmetric.WithView(sdkmetric.NewView(
			sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: latencyBuckets}},
		)),
	)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		_ = provider.Shutdown(context.Background())
		return nil, fmt.Errorf("--metrics-address: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	m := &metricsServer{
		Handler: temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
			Meter:                provider.Meter("temporal-sdk-go"),
			UseMonotonicCounters: true,
			OnError:              func(error) {}, // an instrument that cannot be made is left out, never a panic
		}),
		Address:  l.Addr().String(),
		provider: provider,
		srv:      &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		served:   make(chan error, 1),
	}
	go func() { m.served <- m.srv.Serve(l) }()
	return m, nil
}

// Close stops the endpoint.
func (m *metricsServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	if serr := <-m.served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if perr := m.provider.Shutdown(ctx); err == nil {
		err = perr
	}
	return err
}
