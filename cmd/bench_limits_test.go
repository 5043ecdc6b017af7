package dslruncmd_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/internal/devserver"
)

// handFanOut is the hand-written Go workflow of BenchmarkFanOut: the
// activity echo for items next+1 to n, concurrency at a time; when
// Temporal suggests continue-as-new it starts no more, waits for those
// running, and continues as new carrying its cursor. Its result is n.
func handFanOut(ctx workflow.Context, n, concurrency, next int) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	sel := workflow.NewSelector(ctx)
	pending := 0
	var failed error
	for {
		for pending < concurrency && next < n && !workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			next++
			pending++
			sel.AddFuture(workflow.ExecuteActivity(ctx, "echo", next), func(f workflow.Future) {
				pending--
				var v int
				if err := f.Get(ctx, &v); err != nil && failed == nil {
					failed = err
				}
			})
		}
		if pending == 0 {
			break
		}
		sel.Select(ctx)
		if failed != nil {
			return 0, failed
		}
	}
	if next < n {
		return 0, workflow.NewContinueAsNewError(ctx, "hand-fan-out", n, concurrency, next)
	}
	return n, nil
}

// fanOutBenchDef is the same fan-out as a definition.
const fanOutBenchDef = `
dsl: v1
name: fan-out-bench
input:
  type: object
  properties: {n: {type: integer}, concurrency: {type: integer}}
steps:
  - forEach: ${ 1..input.n }
    concurrency: %d
    do:
      - activity: echo
        with: ${ item }
output: ${ input.n }
`

// BenchmarkFanOut (issue 11): a fan-out over DSLRUN_FANOUT_N items
// (default 100,000), 100 at a time, one activity each, on the embedded
// server (in memory) with one in-process worker: hand-written Go that
// continues as new at Temporal's suggestion carrying its cursor (go), and
// a forEach that continues as new by itself (dsl). Each iteration is one
// chain of runs; it reports items per second, the runs of the chain and
// the largest history among them, and fails when a run has more than
// 10,000 events. Not part of the normal test run; one flavour per process:
//
//	go test -c -o /tmp/cli.test ./cmd
//	DSLRUN_FANOUT_N=100000 /tmp/cli.test -test.run '^$' -test.bench 'FanOut/go$' -test.benchtime 1x
//	DSLRUN_FANOUT_N=100000 /tmp/cli.test -test.run '^$' -test.bench 'FanOut/dsl$' -test.benchtime 1x
func BenchmarkFanOut(b *testing.B) {
	n := envInt(b, "DSLRUN_FANOUT_N", 100_000)
	const concurrency = 100
	ctx := context.Background()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Stop() })
	const queue = "fan-out"
	c := startWorker(b, srv.FrontendAddress(), queue, nil)

	env := benchEnvelope(b, "fan-out.yaml", fmt.Sprintf(fanOutBenchDef, concurrency))
	for _, f := range []struct {
		name string
		typ  string
		args []any
	}{
		{"go", "hand-fan-out", []any{n, concurrency, 0}},
		{"dsl", "fan-out-bench", []any{map[string]any{"n": n}, env}},
	} {
		b.Run(f.name, func(b *testing.B) {
			var total time.Duration
			var runs, most int
			for b.Loop() {
				start := time.Now()
				r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, f.typ, f.args...)
				if err != nil {
					b.Fatal(err)
				}
				first := r.GetRunID()
				var got int
				if err := r.Get(ctx, &got); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
				if got != n {
					b.Fatalf("result %d, want %d", got, n)
				}
				runs, most = historySizes(ctx, b, c, r.GetID(), first)
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "items/s")
			b.ReportMetric(float64(runs), "runs")
			b.ReportMetric(float64(most), "max-events")
			if most > 10_000 {
				b.Errorf("a run of the chain has %d history events, over 10,000", most)
			}
		})
	}
}

// historySizes walks a chain of runs from runID and returns the number of
// runs and the largest history.
func historySizes(ctx context.Context, tb testing.TB, c client.Client, id, runID string) (runs, most int) {
	tb.Helper()
	for _, n := range chainEvents(ctx, tb, c, id, runID) {
		runs++
		most = max(most, n)
	}
	return runs, most
}

// envInt is the integer in the environment variable name, or def when it
// is not set.
func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return v
}
