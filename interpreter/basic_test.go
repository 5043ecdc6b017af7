package interpreter

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"
)

const sequenceDef = `
dsl: v1
name: sequence
state:
  total: 0
  label: ${ "order-" + input.id }
steps:
  - id: sum
    activity: add
    with:
      a: ${ input.x }
      b: 2
  - set:
      total: ${ steps.sum.result }
      before: ${ state.total }
  - if: ${ state.total > 5 }
    then:
      - set: {size: big}
    else:
      - set: {size: small}
  - id: echoed
    activity: echo
    with: ${ state }
output: '${ {total: state.total, before: state.before, size: state.size, label: state.label, echoed: steps.echoed.result.size} }'
`

func addActivity(_ context.Context, in map[string]any) (int, error) {
	return num(in["a"]) + num(in["b"]), nil
}

// echoActivity returns its input unchanged, bytes for bytes.
func echoActivity(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil }

func TestSequenceActivitySetIf(t *testing.T) {
	tests := []struct {
		x    int
		want map[string]any
	}{
		{5, map[string]any{"total": 7, "before": 0, "size": "big", "label": "order-A1", "echoed": "big"}},
		{1, map[string]any{"total": 3, "before": 0, "size": "small", "label": "order-A1", "echoed": "small"}},
	}
	for _, tt := range tests {
		h := newHarness(t)
		h.activity("add", addActivity)
		h.activity("echo", echoActivity)
		h.run(sequenceDef, map[string]any{"x": tt.x, "id": "A1"})
		wantEqual(t, h.result(), map[string]any(tt.want))
	}
}

func TestSetEvaluatesAgainstStateBefore(t *testing.T) {
	// Every value of a set sees the state before the step, whatever the key
	// order; running it again gives the same state (a replay re-executes
	// exactly this).
	const def = `
dsl: v1
name: swap
state: {a: 1, b: 2, c: 3}
steps:
  - set:
      c: ${ state.a + state.b }
      a: ${ state.b }
      b: ${ state.a }
      z: ${ state.c * 10 }
      m: ${ state.a }
output: ${ state }
`
	want := map[string]any{"a": 2, "b": 1, "c": 3, "z": 30, "m": 1}
	for range 20 {
		h := newHarness(t)
		h.run(def, nil)
		wantEqual(t, h.result(), want)
	}
}

func TestIntegersStayIntegers(t *testing.T) {
	const def = `
dsl: v1
name: ints
steps:
  - id: big
    activity: echo
    with: ${ input.n }
output: '${ {n: steps.big.result, same: steps.big.result == input.n, type: type(steps.big.result)} }'
`
	h := newHarness(t)
	h.activity("echo", echoActivity)
	h.run(def, map[string]any{"n": 9007199254740993})
	got := h.result().(map[string]any)
	wantEqual(t, got["same"], true)
	wantEqual(t, got["n"], 9007199254740993)
}

func TestActivityFailureNamesPathAndKeepsChain(t *testing.T) {
	const def = `
dsl: v1
name: failing
steps:
  - activity: echo
  - if: true
    then:
      - activity: charge
        retry: {maximumAttempts: 1}
`
	h := newHarness(t)
	h.activity("echo", echoActivity)
	h.activity("charge", func(context.Context, any) error {
		return temporal.NewApplicationError("card declined", "PaymentDeclined", map[string]any{"code": 51})
	})
	h.run(def, nil)
	app := h.wantFailure("PaymentDeclined", `steps[1].then[0]: activity "charge" failed: card declined`)
	var actErr *temporal.ActivityError
	if !errors.As(h.env.GetWorkflowError(), &actErr) {
		t.Fatalf("no ActivityError in the chain of %v", h.env.GetWorkflowError())
	}
	if got := actErr.ActivityType().GetName(); got != "charge" {
		t.Errorf("activity type %q, want charge", got)
	}
	var details map[string]any
	if err := app.Details(&details); err != nil {
		t.Fatalf("details: %v", err)
	}
	wantEqual(t, num(details["code"]), 51)
}
