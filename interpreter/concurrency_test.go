package interpreter

import (
	"context"
	"errors"
	"slices"
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

// blockUntilCanceled is an activity that heartbeats until it is cancelled.
// It closes started at its first heartbeat and canceled when it sees the
// cancellation, and counts the cancellations it saw.
func blockUntilCanceled(saw *atomic.Int32, started, canceled chan struct{}) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		activity.RecordHeartbeat(ctx)
		close(started)
		for {
			select {
			case <-ctx.Done():
				if saw.Add(1) == 1 {
					close(canceled)
				}
				return ctx.Err()
			case <-time.After(10 * time.Millisecond):
				activity.RecordHeartbeat(ctx)
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
	started, canceled := make(chan struct{}), make(chan struct{})
	h.activity("block", blockUntilCanceled(&saw, started, canceled))
	h.env.SetOnActivityCanceledListener(func(info *activity.Info) {
		if info.ActivityType.Name == "block" {
			requested.Add(1)
		}
	})
	// quick wins once block runs, so that there is a running loser to
	// cancel.
	h.activity("quick", func(ctx context.Context) (string, error) {
		select {
		case <-started:
			return "won", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})
	h.run(def, nil)
	wantEqual(t, h.result(), map[string]any{"branch": 1, "result": "won"})
	if requested.Load() != 1 {
		t.Fatalf("the workflow cancelled the losing activity %d times, want 1", requested.Load())
	}
	// The activity learns of the cancellation on its next heartbeat. The
	// bound is against a hang only.
	select {
	case <-canceled:
	case <-time.After(time.Minute):
		t.Fatal("the losing activity never saw its cancellation")
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
	// The first window of three runs at once and finishes in reverse
	// order: an iteration waits until three are in flight (or every item
	// has started), and items 1 and 2 then wait for the items after them in
	// the window to finish. The events, not a clock, set the order.
	var mu sync.Mutex
	changed := make(chan struct{}) // closed and replaced at every change
	inFlight, peak, calls := 0, 0, 0
	var finished []int
	update := func(f func()) {
		mu.Lock()
		f()
		close(changed)
		changed = make(chan struct{})
		mu.Unlock()
	}
	waitFor := func(ctx context.Context, cond func() bool) error {
		for {
			mu.Lock()
			ok, ch := cond(), changed
			mu.Unlock()
			if ok {
				return nil
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Minute): // a bound against a hang only
				return errors.New("iterations never ran three at once")
			}
		}
	}
	h.activity("work", func(ctx context.Context, n int) (int, error) {
		update(func() {
			inFlight++
			calls++
			peak = max(peak, inFlight)
		})
		if err := waitFor(ctx, func() bool { return inFlight == 3 || calls == 10 }); err != nil {
			return 0, err
		}
		if n < 3 {
			if err := waitFor(ctx, func() bool { return slices.Contains(finished, n+1) }); err != nil {
				return 0, err
			}
		}
		update(func() {
			inFlight--
			finished = append(finished, n)
		})
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
	if peak != 3 {
		t.Fatalf("%d activities in flight at once, want 3 (the limit)", peak)
	}
	if i1, i3 := slices.Index(finished, 1), slices.Index(finished, 3); i3 > i1 {
		t.Fatalf("completion order %v: item 3 did not finish before item 1", finished)
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
	// Item 1 runs until the test ends and item 2 fails once item 1 runs,
	// so the two slots are full until the failure: an interpreter that
	// launched after the failure would start item 3.
	var calls atomic.Int32
	oneRuns, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	h.activity("work", func(ctx context.Context, n int) error {
		calls.Add(1)
		switch n {
		case 1:
			close(oneRuns)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-release:
				return errors.New("released at the end of the test")
			}
		case 2:
			select {
			case <-oneRuns:
			case <-ctx.Done():
				return ctx.Err()
			}
			return temporal.NewApplicationError("two is bad", "Bad")
		}
		return nil
	})
	h.run(def, nil)
	h.wantFailure("Bad", "steps[0].do[0]", "two is bad")
	if n := calls.Load(); n != 2 {
		t.Errorf("%d iterations started, want 2 (none after the failure)", n)
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
