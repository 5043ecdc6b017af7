package dslruncmd_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	dslruncmd "github.com/dslrun/dslrun/cmd"
)

// TestTracing runs, with apply and a worker in the same process, a run that
// is signalled with its start, runs an activity and a child workflow, with
// an in-memory span recorder as the tracer provider: the SDK's tracing
// interceptor gives the client's start, the workflow, its signal handler,
// the activity and the child their spans, all in one trace, each the child
// of the span that caused it.
func TestTracing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("traced.yaml", `dsl: v1
name: traced
state: {go: false}
signals:
  go:
    set: {go: true}
steps:
  - await: ${ state.go }
  - id: hello
    activity: echo
    with: hi
  - id: kid
    child:
      file: kid.yaml
output: ${ steps.kid.result }
`)
	write("kid.yaml", `dsl: v1
name: kid
steps:
  - activity: echo
    with: from the child
output: done
`)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	var stdout, stderr bytes.Buffer
	code := dslruncmd.Run(dslruncmd.Options{
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		Args: []string{"apply", filepath.Join(dir, "traced.yaml"), "--address", sharedServer(t), "--worker",
			"--task-queue", "q-tracing", "--signal", "go", "-q"},
		LookupEnv:      func(string) (string, bool) { return "", false },
		TracerProvider: tp,
	})
	if code != dslruncmd.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}

	// Each span as "name < name of its parent" ("name" for a root), all in
	// one trace.
	spans := rec.Ended()
	names := map[trace.SpanID]string{}
	for _, s := range spans {
		names[s.SpanContext().SpanID()] = s.Name()
	}
	var got []string
	for _, s := range spans {
		g := s.Name()
		if s.Parent().IsValid() {
			g += " < " + names[s.Parent().SpanID()]
		}
		got = append(got, g)
		if s.SpanContext().TraceID() != spans[0].SpanContext().TraceID() {
			t.Errorf("span %s is in trace %s, not in the run's %s", s.Name(), s.SpanContext().TraceID(), spans[0].SpanContext().TraceID())
		}
	}
	slices.Sort(got)
	want := []string{
		"HandleSignal:go < SignalWithStartWorkflow:traced",
		"RunActivity:echo < StartActivity:echo", // the parent's
		"RunActivity:echo < StartActivity:echo", // the child's
		"RunWorkflow:kid < StartChildWorkflow:kid",
		"RunWorkflow:traced < SignalWithStartWorkflow:traced",
		"SignalWithStartWorkflow:traced",
		"StartActivity:echo < RunWorkflow:kid",
		"StartActivity:echo < RunWorkflow:traced",
		"StartChildWorkflow:kid < RunWorkflow:traced",
	}
	if !slices.Equal(got, want) {
		t.Errorf("spans:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
