package interpreter

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
)

// recorder is a metrics handler that keeps every sample, by metric name
// and the tags this package adds.
type recorder struct {
	mu      *sync.Mutex
	tags    map[string]string
	counts  map[string]int64
	timings map[string][]time.Duration
}

func newRecorder() *recorder {
	return &recorder{mu: &sync.Mutex{}, tags: map[string]string{}, counts: map[string]int64{}, timings: map[string][]time.Duration{}}
}

func (r *recorder) WithTags(t map[string]string) client.MetricsHandler {
	c := *r
	c.tags = maps.Clone(r.tags)
	maps.Copy(c.tags, t)
	return &c
}

// key names a series: the metric and the tags of this package, sorted.
func (r *recorder) key(name string) string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(r.tags)) {
		switch k {
		case "definition", "step", "kind", "outcome", "failure_type":
			kv = append(kv, k+"="+r.tags[k])
		}
	}
	return name + "{" + strings.Join(kv, ",") + "}"
}

func (r *recorder) Counter(name string) client.MetricsCounter {
	k := r.key(name)
	return counterFunc(func(d int64) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.counts[k] += d
	})
}

func (r *recorder) Gauge(string) client.MetricsGauge { return client.MetricsNopHandler.Gauge("") }

func (r *recorder) Timer(name string) client.MetricsTimer {
	k := r.key(name)
	return timerFunc(func(d time.Duration) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.timings[k] = append(r.timings[k], d)
	})
}

// dslrunCounts returns the counters of this package.
func (r *recorder) dslrunCounts() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int64{}
	for k, v := range r.counts {
		if strings.HasPrefix(k, "dslrun_") {
			out[k] = v
		}
	}
	return out
}

// TestStepMetrics runs a definition with nested, failing, caught and
// timed steps and checks the per-step counters and latencies.
func TestStepMetrics(t *testing.T) {
	rec := newRecorder()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	s.SetMetricsHandler(rec)
	env := s.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 5 * time.Minute})
	Register(env, Options{})
	h := &harness{t: t, env: env, start: env.Now()}
	h.activity("ok", func(context.Context, any) (string, error) { return "done", nil })
	h.activity("declined", func(context.Context, any) (string, error) {
		return "", temporal.NewNonRetryableApplicationError("no", "PaymentDeclined", nil)
	})
	h.run(`
dsl: v1
name: metered
steps:
  - id: all
    parallel:
      - - activity: ok
      - - sleep: 90s
        - activity: ok
  - id: guard
    try:
      - id: pay
        activity: declined
    catch:
      - do:
          - set: {caught: true}
`, nil)
	h.result()

	want := map[string]int64{}
	for _, s := range []struct{ step, kind string }{
		{"all", "parallel"},
		{"steps[0].parallel[0][0]", "activity"},
		{"steps[0].parallel[1][0]", "sleep"},
		{"steps[0].parallel[1][1]", "activity"},
		{"guard", "try"},
		{"pay", "activity"},
		{"steps[1].catch[0].do[0]", "set"},
	} {
		tags := fmt.Sprintf("definition=metered,kind=%s,step=%s", s.kind, s.step)
		want[MetricStepStarted+"{"+tags+"}"] = 1
		if s.step != "pay" {
			want[MetricStepCompleted+"{"+tags+"}"] = 1
		}
	}
	want[MetricStepFailed+"{definition=metered,failure_type=PaymentDeclined,kind=activity,step=pay}"] = 1
	got := rec.dslrunCounts()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			t.Errorf("%s = %d, want %d", k, got[k], want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected sample %s = %d", k, got[k])
		}
	}

	// Latencies are workflow time: the sleep and the parallel that holds
	// it took the timer's 90 s; the steps that never waited took 0.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for k, want := range map[string]time.Duration{
		MetricStepLatency + "{definition=metered,kind=sleep,outcome=completed,step=steps[0].parallel[1][0]}": 90 * time.Second,
		MetricStepLatency + "{definition=metered,kind=parallel,outcome=completed,step=all}":                  90 * time.Second,
		MetricStepLatency + "{definition=metered,kind=set,outcome=completed,step=steps[1].catch[0].do[0]}":   0,
		MetricStepLatency + "{definition=metered,kind=activity,outcome=failed,step=pay}":                     0,
	} {
		if got := rec.timings[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %v, want [%v]", k, got, want)
		}
	}
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }
