package dslruncmd

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/internal/devserver"
	"github.com/dslrun/dslrun/interpreter"
)

// BenchmarkObservability measures the throughput cost of --metrics-address
// (the SDK's metrics and the interpreter's per-step metrics, exported to
// Prometheus) and of the payload codec (AES-GCM on every payload, client
// and worker), against the same client and worker without them: one
// embedded server in memory, one client and worker per arm on a task queue
// of its own, in this process; each round runs a batch of each arm in turn
// (alternating, so that load on the machine hits every arm alike), and the
// arm's figure is the median of its rounds. A definition of 5 sequential
// echo activity steps; 200 workflows a batch, 20 started at a time.
//
//	go test ./cmd -run '^$' -bench Observability -benchtime 1x
//
// It reports wf/s per arm and the ratios metrics/plain and codec/plain.
func BenchmarkObservability(b *testing.B) {
	const runs, starters, rounds = 200, 20, 5
	ctx := context.Background()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Stop() })
	var def strings.Builder
	def.WriteString("dsl: v1\nname: seq\nactivity: {startToCloseTimeout: 10s}\nsteps:\n")
	for i := range 5 {
		fmt.Fprintf(&def, "  - id: s%d\n    activity: echo\n    with: {order: A-%d, amount: 42.5, note: a payload of a few dozen bytes}\n", i, i)
	}
	def.WriteString("output: ${ steps.s4.result.amount }\n")
	w, ds := dsl.Parse("seq.yaml", []byte(def.String()))
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	canonical, err := dsl.Canonical(w)
	if err != nil {
		b.Fatal(err)
	}
	env := interpreter.Envelope{Definition: canonical, Hash: dsl.Hash(canonical)}

	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	arms := []struct {
		name  string
		setup func(*client.Options) error
	}{
		{"plain", func(*client.Options) error { return nil }},
		{"metrics", func(o *client.Options) error {
			m, err := startMetrics("127.0.0.1:0")
			if err != nil {
				return err
			}
			b.Cleanup(func() { _ = m.Close() })
			o.MetricsHandler = m.Handler
			return nil
		}},
		{"codec", func(o *client.Options) error {
			return codecFlags{}.configure(o, func(k string) (string, bool) {
				if k == envCodecKeys {
					return "bench:" + key, true
				}
				return "", false
			})
		}},
	}
	clients := make([]client.Client, len(arms))
	for i, a := range arms {
		opts := client.Options{HostPort: srv.FrontendAddress(), Logger: tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
		if err := a.setup(&opts); err != nil {
			b.Fatal(err)
		}
		c, err := client.Dial(opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(c.Close)
		wk := worker.New(c, "bench-"+a.name, worker.Options{})
		interpreter.Register(wk, interpreter.Options{})
		activities.Default().Attach(wk)
		if err := wk.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(wk.Stop)
		clients[i] = c
	}
	for b.Loop() {
		rates := make([][]float64, len(arms))
		for r := range rounds {
			for i := range arms {
				// Start each round with another arm, so no arm always runs
				// right after the same one.
				a := (i + r) % len(arms)
				start := time.Now()
				obsBatch(b, clients[a], "bench-"+arms[a].name, []any{nil, env}, runs, starters)
				rates[a] = append(rates[a], float64(runs)/time.Since(start).Seconds())
			}
		}
		med := make([]float64, len(arms))
		for i, a := range arms {
			slices.Sort(rates[i])
			med[i] = rates[i][len(rates[i])/2]
			b.ReportMetric(med[i], a.name+"-wf/s")
			b.Logf("%s: %v wf/s", a.name, rates[i])
		}
		b.ReportMetric(med[1]/med[0], "metrics/plain")
		b.ReportMetric(med[2]/med[0], "codec/plain")
	}
}

// obsBatch runs n workflows of type seq on queue, starters at a time.
func obsBatch(b *testing.B, c client.Client, queue string, args []any, n, starters int) {
	var wg sync.WaitGroup
	jobs := make(chan int)
	errs := make(chan error, n)
	for range starters {
		wg.Go(func() {
			for range jobs {
				r, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: queue}, "seq", args...)
				if err == nil {
					var got float64
					err = r.Get(context.Background(), &got)
					if err == nil && got != 42.5 {
						err = fmt.Errorf("result %v, want 42.5", got)
					}
				}
				if err != nil {
					errs <- err
				}
			}
		})
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
