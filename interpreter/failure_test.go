package interpreter

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
)

func TestRetryMaximumAttemptsCallsExactly(t *testing.T) {
	const def = `
dsl: v1
name: retry
steps:
  - activity: flaky
    retry: {initialInterval: 1s, backoffCoefficient: 2, maximumAttempts: 3}
`
	h := newHarness(t)
	var calls atomic.Int32
	h.activity("flaky", func(context.Context, any) error {
		calls.Add(1)
		return temporal.NewApplicationError("not yet", "Flaky")
	})
	h.run(def, nil)
	if got := calls.Load(); got != 3 {
		t.Fatalf("activity called %d times, want 3", got)
	}
	h.wantFailure("Flaky", `steps[0]: activity "flaky" failed: not yet`)
}

func TestRetryPolicyUntilSuccess(t *testing.T) {
	const def = `
dsl: v1
name: retry-ok
steps:
  - id: f
    activity: flaky
    retry: {initialInterval: 1s, maximumAttempts: 5}
output: ${ steps.f.result }
`
	h := newHarness(t)
	var calls atomic.Int32
	h.activity("flaky", func(context.Context, any) (string, error) {
		if calls.Add(1) < 3 {
			return "", temporal.NewApplicationError("not yet", "Flaky")
		}
		return "done", nil
	})
	h.run(def, nil)
	wantEqual(t, h.result(), "done")
	if got := calls.Load(); got != 3 {
		t.Fatalf("activity called %d times, want 3", got)
	}
}

func TestNonRetryableIsNotRetried(t *testing.T) {
	tests := []struct {
		name string
		def  string
		err  error
	}{
		{"type listed in the policy", `
dsl: v1
name: nr
steps:
  - activity: bad
    retry: {initialInterval: 1s, maximumAttempts: 5, nonRetryableErrorTypes: [Invalid]}
`, temporal.NewApplicationError("bad input", "Invalid")},
		{"error marked non-retryable", `
dsl: v1
name: nr
steps:
  - activity: bad
    retry: {initialInterval: 1s, maximumAttempts: 5}
`, temporal.NewNonRetryableApplicationError("bad input", "Invalid", nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			var calls atomic.Int32
			h.activity("bad", func(context.Context, any) error {
				calls.Add(1)
				return tt.err
			})
			h.run(tt.def, nil)
			if got := calls.Load(); got != 1 {
				t.Fatalf("activity called %d times, want 1", got)
			}
			app := h.wantFailure("Invalid", "bad input")
			if !app.NonRetryable() {
				t.Error("run error is retryable, want non-retryable like its cause")
			}
		})
	}
}

const catchDef = `
dsl: v1
name: catch
steps:
  - id: attempt
    try:
      - activity: charge
        retry: {maximumAttempts: 2, initialInterval: 1s}
    catch:
      - types: [Timeout]
        do:
          - set: {caught: timeout}
      - types: [PaymentDeclined, Other]
        do:
          - set:
              caught: declined
              err: ${ error }
      - do:
          - set: {caught: anything}
  - activity: after
output: '${ {caught: state.caught, err: state.err, attempt: steps.attempt.result} }'
`

func TestCatchByType(t *testing.T) {
	tests := []struct {
		errType    string
		wantCaught string
	}{
		{"PaymentDeclined", "declined"},
		{"Other", "declined"},
		{"Unexpected", "anything"},
	}
	for _, tt := range tests {
		t.Run(tt.errType, func(t *testing.T) {
			h := newHarness(t)
			h.activity("charge", func(context.Context, any) error {
				return temporal.NewApplicationError("card declined", tt.errType, map[string]any{"code": 51})
			})
			var after atomic.Int32
			h.activity("after", func(context.Context) error { after.Add(1); return nil })
			h.run(catchDef, nil)
			got := h.result().(map[string]any)
			wantEqual(t, got["caught"], tt.wantCaught)
			if after.Load() != 1 {
				t.Error("the step after the try did not run")
			}
			if tt.wantCaught != "declined" {
				return
			}
			e := got["err"].(map[string]any)
			wantEqual(t, e["type"], tt.errType)
			wantEqual(t, e["message"], "card declined")
			wantEqual(t, e["step"], "steps[0].try[0]")
			wantEqual(t, e["activity"], "charge")
			wantEqual(t, e["attempt"], 2)
			wantEqual(t, e["nonRetryable"], false)
			wantEqual(t, e["details"], map[string]any{"code": 51})
			if e["cause"] == nil {
				t.Error("error.cause is nil")
			}
		})
	}
}

func TestCatchOnlyMatchingType(t *testing.T) {
	const def = `
dsl: v1
name: catch-only
steps:
  - try:
      - activity: charge
        retry: {maximumAttempts: 1}
    catch:
      - types: [Other]
        do:
          - set: {caught: true}
    finally:
      - set: {cleaned: true}
      - activity: cleanup
`
	h := newHarness(t)
	h.activity("charge", func(context.Context, any) error {
		return temporal.NewApplicationError("card declined", "PaymentDeclined")
	})
	var cleanups atomic.Int32
	h.activity("cleanup", func(context.Context) error { cleanups.Add(1); return nil })
	h.run(def, nil)
	h.wantFailure("PaymentDeclined", `steps[0].try[0]: activity "charge" failed: card declined`)
	if cleanups.Load() != 1 {
		t.Errorf("finally ran %d times, want 1", cleanups.Load())
	}
}

func TestFailStep(t *testing.T) {
	const def = `
dsl: v1
name: failing
steps:
  - if: ${ input.bad }
    then:
      - fail:
          message: ${ "order " + input.id + " is invalid" }
          type: OrderInvalid
          nonRetryable: true
          details:
            id: ${ input.id }
`
	h := newHarness(t)
	h.run(def, map[string]any{"bad": true, "id": "A7"})
	app := h.wantFailure("OrderInvalid", "steps[0].then[0]: order A7 is invalid")
	if !app.NonRetryable() {
		t.Error("fail step with nonRetryable: true gave a retryable error")
	}
	var details map[string]any
	if err := app.Details(&details); err != nil {
		t.Fatal(err)
	}
	wantEqual(t, details, map[string]any{"id": "A7"})
}

func TestFailCaughtByDefaultType(t *testing.T) {
	const def = `
dsl: v1
name: fail-catch
steps:
  - try:
      - fail: boom
    catch:
      - types: [Fail]
        do:
          - return: ${ error.message + " at " + error.step }
`
	h := newHarness(t)
	h.run(def, nil)
	wantEqual(t, h.result(), "boom at steps[0].try[0]")
}

func TestCancelDuringSleepRunsFinallyAndEndsCanceled(t *testing.T) {
	const def = `
dsl: v1
name: cancel
steps:
  - try:
      - activity: work
      - sleep: 1h
      - activity: never
    catch:
      - do:
          - activity: never
    finally:
      - activity: cleanup
        with: ${ state }
  - activity: never
`
	h := newHarness(t)
	var work, never, cleanup atomic.Int32
	h.activity("work", func(context.Context) error { work.Add(1); return nil })
	h.activity("never", func(context.Context) error { never.Add(1); return nil })
	h.activity("cleanup", func(context.Context, any) error { cleanup.Add(1); return nil })
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, 10*time.Minute)
	h.run(def, nil)
	err := h.env.GetWorkflowError()
	var canceled *temporal.CanceledError
	if !errors.As(err, &canceled) {
		t.Fatalf("workflow error %v (%T), want canceled", err, err)
	}
	if work.Load() != 1 || cleanup.Load() != 1 || never.Load() != 0 {
		t.Fatalf("work %d, cleanup %d, never %d; want 1, 1, 0", work.Load(), cleanup.Load(), never.Load())
	}
	if d := h.env.Now().Sub(time.Time{}); d < 0 {
		t.Fatal("clock went backwards")
	}
}

func TestReturnFromInsideLoops(t *testing.T) {
	const def = `
dsl: v1
name: return
state: {i: 0}
steps:
  - while: true
    do:
      - set:
          i: ${ state.i + 1 }
      - forEach: [1, 2, 3]
        do:
          - if: ${ state.i == 3 && item == 2 }
            then:
              - return: '${ {i: state.i, item: item, index: index} }'
  - activity: never
output: not reached
`
	h := newHarness(t)
	var never atomic.Int32
	h.activity("never", func(context.Context) error { never.Add(1); return nil })
	h.run(def, nil)
	wantEqual(t, h.result(), map[string]any{"i": 3, "item": 2, "index": 1})
	if never.Load() != 0 {
		t.Error("a step after return ran")
	}
}

func TestReturnFromParallelBranchCancelsOthers(t *testing.T) {
	const def = `
dsl: v1
name: return-parallel
steps:
  - parallel:
      - - sleep: 1h
        - activity: never
      - - sleep: 1m
        - return: early
`
	h := newHarness(t)
	var never atomic.Int32
	h.activity("never", func(context.Context) error { never.Add(1); return nil })
	h.run(def, nil)
	wantEqual(t, h.result(), "early")
	if never.Load() != 0 {
		t.Error("the other branch carried on after return")
	}
}

func TestSwitchAndLog(t *testing.T) {
	const def = `
dsl: v1
name: switch
steps:
  - id: pick
    switch:
      - when: ${ input.n < 0 }
        do: [{set: {sign: negative}}]
      - when: ${ input.n == 0 }
        do: [{set: {sign: zero}}]
    default:
      - log: ${ "positive " + string(input.n) }
        level: warn
      - set: {sign: positive}
output: ${ state.sign }
`
	for n, want := range map[int]string{-3: "negative", 0: "zero", 4: "positive"} {
		h := newHarness(t)
		h.run(def, map[string]any{"n": n})
		wantEqual(t, h.result(), want)
	}
}

func TestExpressionErrorFailsRunWithPath(t *testing.T) {
	const def = `
dsl: v1
name: bad-expr
steps:
  - try:
      - set:
          x: ${ input.a / input.missing.deeper }
    catch:
      - do: [{set: {caught: true}}]
`
	h := newHarness(t)
	h.run(def, map[string]any{"a": 1})
	app := h.wantFailure(ExpressionErrorType, "steps[0].try[0]", "set.x")
	if !app.NonRetryable() {
		t.Error("expression error is retryable")
	}
}
