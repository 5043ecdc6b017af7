package interpreter

import "testing"

const assertDef = `
dsl: v1
name: assert
input: {type: object}
steps:
  - id: check
    assert: "${ input.n > 0 }"
  - try:
      - assert: "${ input.n > 10 }"
        message: "${ 'n is ' + string(input.n) }"
    catch:
      - types: [AssertionFailed]
        do: [{set: {caught: "${ error }"}}]
  - assert: "${ input.n != 3 }"
output: "${ {check: steps.check.result, caught: state.caught} }"
state: {caught: null}
`

func TestAssertHolds(t *testing.T) {
	h := newHarness(t)
	h.run(assertDef, map[string]any{"n": 20})
	got := h.result().(map[string]any)
	wantEqual(t, got["check"], true)
	wantEqual(t, got["caught"], nil)
}

func TestAssertFailsAndIsCaught(t *testing.T) {
	h := newHarness(t)
	h.run(assertDef, map[string]any{"n": 5})
	got := h.result().(map[string]any)
	caught := got["caught"].(map[string]any)
	wantEqual(t, caught["type"], AssertionFailedType)
	wantEqual(t, caught["message"], "n is 5")
	wantEqual(t, caught["nonRetryable"], true)
	wantEqual(t, caught["step"], "steps[1].try[0]")
}

func TestAssertFailsTheRun(t *testing.T) {
	h := newHarness(t)
	h.run(assertDef, map[string]any{"n": 3})
	app := h.wantFailure(AssertionFailedType, "steps[2]", "assertion failed: ${ input.n != 3 }")
	if !app.NonRetryable() {
		t.Error("an assertion failure is retryable")
	}
}
