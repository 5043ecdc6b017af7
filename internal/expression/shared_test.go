package expression

import (
	"errors"
	"testing"
)

// TestSharedBudget: evaluations that share a Budget fail together once
// their steps add up past it, each within its own MaxSteps, and Reset
// makes the budget whole again.
func TestSharedBudget(t *testing.T) {
	tpl, err := Parse("${ sum(1..100000, #) }")
	if err != nil {
		t.Fatal(err)
	}
	shared := NewBudget(350_000)
	v, err := tpl.EvalShared(nil, shared)
	if err != nil || v != 5000050000 {
		t.Fatalf("first evaluation = %v, %v; want 5000050000", v, err)
	}
	used := shared.Used()
	if used < 100_000 || used > 350_000 {
		t.Fatalf("first evaluation used %d steps, want between 100000 and 350000", used)
	}
	_, err = tpl.EvalShared(nil, shared)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != LimitShared || le.Max != 350_000 {
		t.Fatalf("second evaluation: err = %v, want a LimitError of the shared budget", err)
	}
	// Alone, the same evaluation is within its own limits.
	if _, err := tpl.Eval(nil); err != nil {
		t.Fatalf("unshared evaluation: %v", err)
	}
	shared.Reset()
	if _, err := tpl.EvalShared(nil, shared); err != nil {
		t.Fatalf("after Reset: %v", err)
	}
}
