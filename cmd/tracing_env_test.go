package dslruncmd

import (
	"strings"
	"testing"
)

// TestTracingEnabled: which OTEL_* settings turn tracing on, which leave it
// off, and which are refused.
func TestTracingEnabled(t *testing.T) {
	tests := []struct {
		env     string
		on      bool
		wantErr string
	}{
		{"", false, ""},
		{"OTEL_SERVICE_NAME=orders", false, ""},
		{"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4317", true, ""},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://collector:4317", true, ""},
		{"OTEL_TRACES_EXPORTER=otlp", true, ""},
		{"OTEL_TRACES_EXPORTER=none OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4317", false, ""},
		{"OTEL_SDK_DISABLED=true OTEL_TRACES_EXPORTER=otlp", false, ""},
		{"OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_PROTOCOL=grpc", true, ""},
		{"OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", true, ""},
		{"OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", false, "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf: dslrun exports traces over grpc only"},
		{"OTEL_TRACES_EXPORTER=zipkin", false, "OTEL_TRACES_EXPORTER=zipkin: dslrun exports traces with otlp only (or none)"},
		{"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", false, ""}, // tracing is off: nothing to refuse
	}
	for _, tt := range tests {
		env := map[string]string{}
		for _, kv := range strings.Fields(tt.env) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		on, err := tracingEnabled(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if on != tt.on || (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
			t.Errorf("%s: on %v, error %v; want on %v, error %q", tt.env, on, err, tt.on, tt.wantErr)
		}
	}
}
