package interpreter

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

func TestParallelResultsInBranchOrder(t *testing.T) {
	const def = `
dsl: v1
name: parallel
steps:
  - id: p
    parallel:
      - - activity: slow
          with: a
      - - sleep: 1m
        - activity: slow
          with: b
      - - set: {c: 3}
output: ${ steps.p.result }
`
	h := newHarness(t)
	h.activity("slow", func(_ context.Context, s string) (string, error) { return s + "!", nil })
	h.run(def, nil)
	wantEqual(t, h.result(), []any{"a!", "b!", map[string]any{"c": 3}})
}

func TestParallelFailureCancelsSiblings(t *testing.T) {
	const def = `
dsl: v1
name: parallel-fail
steps:
  - parallel:
      - - sleep: 1h
        - activity: never
      - - sleep: 1m
        - fail: {message: broken, type: Broken}
`
	h := newHarness(t)
	var never atomic.Int32
	h.activity("never", func(context.Context) error { never.Add(1); return nil })
	h.run(def, nil)
	h.wantFailure("Broken", "steps[0].parallel[1][1]: broken")
	if never.Load() != 0 {
		t.Error("sibling branch carried on after the failure")
	}
}

// blockUntilCanceled is an activity that heartbeats until it is cancelled
// and records that it saw the cancellation.
func blockUntilCanceled(saw *atomic.Int32) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		for {
			activity.RecordHeartbeat(ctx)
			select {
			case <-ctx.Done():
				saw.Add(1)
				return ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

func TestRaceCancelsLosers(t *testing.T) {
	const def = `
dsl: v1
name: race
steps:
  - id: r
    race:
      - - activity: block
          heartbeatTimeout: 200ms
          startToCloseTimeout: 1h
      - - activity: quick
output: ${ steps.r.result }
`
	h := newHarness(t)
	var saw, requested atomic.Int32
	h.activity("block", blockUntilCanceled(&saw))
	h.env.SetOnActivityCanceledListener(func(info *activity.Info) {
		if info.ActivityType.Name == "block" {
			requested.Add(1)
		}
	})
	h.activity("quick", func(context.Context) (string, error) {
		time.Sleep(50 * time.Millisecond)
		return "won", nil
	})
	h.run(def, nil)
	wantEqual(t, h.result(), map[string]any{"branch": 1, "result": "won"})
	if requested.Load() != 1 {
		t.Fatalf("the workflow cancelled the losing activity %d times, want 1", requested.Load())
	}
	// The activity learns of the cancellation on its next heartbeat.
	deadline := time.Now().Add(5 * time.Second)
	for saw.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if saw.Load() != 1 {
		t.Fatalf("the losing activity saw %d cancellations, want 1", saw.Load())
	}
}

func TestRaceOfTimersAndAwait(t *testing.T) {
	const def = `
dsl: v1
name: timers
state: {done: false}
signals:
  finish:
    set: {done: true}
steps:
  - id: r
    race:
      - - sleep: 1h
        - set: {winner: slow}
      - - sleep: 10m
        - set: {winner: fast}
      - - await: ${ state.done }
        - set: {winner: signal}
output: '${ {winner: state.winner, branch: steps.r.result.branch} }'
`
	t.Run("timer", func(t *testing.T) {
		h := newHarness(t)
		h.run(def, nil)
		wantEqual(t, h.result(), map[string]any{"winner": "fast", "branch": 1})
		if d := h.env.Now().Sub(startOf(h)); d >= time.Hour {
			t.Errorf("the race waited %v for the losing timer", d)
		}
	})
	t.Run("signal", func(t *testing.T) {
		h := newHarness(t)
		h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow("finish", nil) }, time.Minute)
		h.run(def, nil)
		wantEqual(t, h.result(), map[string]any{"winner": "signal", "branch": 2})
	})
}

// startOf returns the test clock's start, which is the time of the
// environment's creation in the test suite.
func startOf(h *harness) time.Time {
	return h.start
}

func TestForEachConcurrencyLimitAndOrder(t *testing.T) {
	const def = `
dsl: v1
name: foreach
steps:
  - id: each
    forEach: ${ input.items }
    as: n
    concurrency: 3
    do:
      - id: work
        activity: work
        with: ${ n }
      - set:
          last: ${ steps.work.result }
output: ${ steps.each.result }
`
	h := newHarness(t)
	var mu sync.Mutex
	inFlight, peak, calls := 0, 0, 0
	h.activity("work", func(_ context.Context, n int) (int, error) {
		mu.Lock()
		inFlight++
		calls++
		peak = max(peak, inFlight)
		mu.Unlock()
		// Later items finish sooner, so completion order differs from
		// input order.
		time.Sleep(time.Duration(60-4*n) * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
		return n * 10, nil
	})
	items := []any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	h.run(def, map[string]any{"items": items})
	want := make([]any, len(items))
	for i, n := range items {
		want[i] = map[string]any{"last": n.(int) * 10}
	}
	wantEqual(t, h.result(), want)
	if calls != 10 {
		t.Fatalf("%d calls, want 10", calls)
	}
	if peak > 3 {
		t.Fatalf("%d activities in flight at once, limit 3", peak)
	}
	if peak < 2 {
		t.Fatalf("at most %d activity in flight: the iterations did not run concurrently", peak)
	}
}

func TestForEachFailureStopsLaunching(t *testing.T) {
	const def = `
dsl: v1
name: foreach-fail
steps:
  - forEach: [1, 2, 3, 4, 5, 6]
    concurrency: 2
    do:
      - activity: work
        with: ${ item }
        retry: {maximumAttempts: 1}
`
	h := newHarness(t)
	var calls atomic.Int32
	h.activity("work", func(_ context.Context, n int) error {
		calls.Add(1)
		if n == 2 {
			return temporal.NewApplicationError("two is bad", "Bad")
		}
		time.Sleep(20 * time.Millisecond)
		return nil
	})
	h.run(def, nil)
	h.wantFailure("Bad", "steps[0].do[0]", "two is bad")
	if n := calls.Load(); n >= 6 {
		t.Errorf("%d iterations started after the failure", n)
	}
}

func TestForEachSequentialScopes(t *testing.T) {
	const def = `
dsl: v1
name: scopes
steps:
  - id: outer
    forEach: [a, b]
    as: x
    index: i
    do:
      - id: inner
        forEach: [1, 2]
        do:
          - id: v
            set:
              v: ${ x + string(item) + "@" + string(i) + string(index) }
      - set:
          seen: ${ steps.inner.result }
output: '${ {outer: steps.outer.result, visible: "v" in steps} }'
`
	h := newHarness(t)
	h.run(def, nil)
	want := map[string]any{
		"outer": []any{
			map[string]any{"seen": []any{map[string]any{"v": "a1@00"}, map[string]any{"v": "a2@01"}}},
			map[string]any{"seen": []any{map[string]any{"v": "b1@10"}, map[string]any{"v": "b2@11"}}},
		},
		"visible": false,
	}
	wantEqual(t, h.result(), want)
}

func TestWhileLoop(t *testing.T) {
	const def = `
dsl: v1
name: while
state: {n: 0, log: []}
steps:
  - id: loop
    while: ${ state.n < 4 }
    do:
      - id: step
        activity: echo
        with: ${ state.n }
      - set:
          n: ${ state.n + 1 }
          log: ${ concat(state.log, [steps.step.result]) }
output: '${ {log: state.log, last: steps.loop.result} }'
`
	h := newHarness(t)
	h.activity("echo", echoActivity)
	h.run(def, nil)
	wantEqual(t, h.result(), map[string]any{
		"log":  []any{0, 1, 2, 3},
		"last": map[string]any{"n": 4, "log": []any{0, 1, 2, 3}},
	})
}

func TestBusyLoopFailsDeterministically(t *testing.T) {
	const def = `
dsl: v1
name: busy
state: {n: 0}
steps:
  - try:
      - while: true
        do:
          - set:
              n: ${ state.n + 1 }
    catch:
      - do: [{set: {caught: true}}]
`
	h := newHarness(t)
	h.run(def, nil)
	h.wantFailure(LimitExceededType, "steps[0].try[0]", "without waiting")
}
