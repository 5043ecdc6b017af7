package dslruncmd_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/internal/devserver"
	"github.com/dslrun/dslrun/interpreter"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
)

// BenchmarkThroughput runs batches of 1,000 workflows of 5 sequential
// activities, 50 started at a time, on one embedded server (in memory)
// with one in-process worker: hand-written Go (go) and the same workflow
// as a DSL definition (dsl). It reports workflows per second and the
// process's peak RSS (VmHWM); for the peak RSS of each flavour alone, run
// them in separate processes:
//
//	go test ./cmd -run '^$' -bench 'Throughput/go$' -benchtime 3x
//	go test ./cmd -run '^$' -bench 'Throughput/dsl$' -benchtime 3x
func BenchmarkThroughput(b *testing.B) {
	const runs, starters, steps = 1000, 50, 5
	ctx := context.Background()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Stop() }) // after the worker's own cleanup
	const queue = "throughput"
	c := startWorker(b, srv.FrontendAddress(), queue, nil)

	env := benchEnvelope(b, "seq.yaml", stepsDefinition("seq", steps))
	flavours := []struct {
		name string
		typ  string
		args []any
	}{
		{"go", "hand", []any{steps}},
		{"dsl", "seq", []any{nil, env}},
	}
	for _, f := range flavours {
		b.Run(f.name, func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				start := time.Now()
				batch(b, c, queue, f.typ, f.args, runs, starters, steps)
				total += time.Since(start)
			}
			b.ReportMetric(float64(runs*b.N)/total.Seconds(), "wf/s")
			b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
		})
	}
}

// batch runs n workflows, starters at a time, and checks each result.
func batch(b *testing.B, c client.Client, queue, typ string, args []any, n, starters, want int) {
	var wg sync.WaitGroup
	jobs := make(chan int)
	errs := make(chan error, n)
	for range starters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				r, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: queue}, typ, args...)
				if err != nil {
					errs <- err
					continue
				}
				var got int
				if err := r.Get(context.Background(), &got); err != nil {
					errs <- err
				} else if got != want {
					errs <- fmt.Errorf("%s: result %d, want %d", typ, got, want)
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// peakRSSMB reads the process's peak resident set size (Linux VmHWM).
func peakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// quietLogger discards the SDK's logs, which would drown benchmark output.
func quietLogger() log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// benchParse parses the definition src, failing b on any error.
func benchParse(b *testing.B, name, src string) *dsl.Workflow {
	b.Helper()
	w, ds := dsl.Parse(name, []byte(src))
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	return w
}

// benchStart is the start of src as dslrun apply makes it, with no
// input: the definition compressed, as the run's only argument.
func benchStart(b *testing.B, name, src string) *interpreter.Start {
	b.Helper()
	d, err := dsl.Prepare(benchParse(b, name, src))
	if err != nil {
		b.Fatal(err)
	}
	s, err := interpreter.NewStart(d, nil, interpreter.StartOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchEnvelope parses the definition src and returns the envelope that
// starts it, as the benchmarks send it: the canonical form as JSON.
func benchEnvelope(b *testing.B, name, src string) interpreter.Envelope {
	b.Helper()
	canonical, err := dsl.Canonical(benchParse(b, name, src))
	if err != nil {
		b.Fatal(err)
	}
	return interpreter.Envelope{Definition: canonical, Hash: dsl.Hash(canonical)}
}
