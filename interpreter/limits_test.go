package interpreter

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/internal/expression"
)

// Hostile expressions must fail the run with an expression error: not
// crash the worker, not stall past the deadlock detector, not fail the
// workflow task over and over.
func TestHostileExpressionsFailTheRun(t *testing.T) {
	tests := []struct {
		name string
		expr string
	}{
		{"doubling reduce", `reduce(1..40, #acc + #acc, "ab")`},
		{"nested repeat", `repeat(repeat("abcdefgh", 100000), 100000)`},
		{"self replace", `replace(replace(replace(repeat("a", 1000), "a", repeat("a", 1000)), "a", repeat("a", 1000)), "a", "aa")`},
		{"nested sums", `sum(1..400, sum(1..400, sum(1..400, #)))`},
		{"huge range", `len(1..1000000000)`},
		{"toJSON of a large map", `len(toJSON(map(1..100000, repeat("x", 1000))))`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := `
dsl: v1
name: hostile
steps:
  - try:
      - set:
          x: '${ ` + tt.expr + ` }'
    catch:
      - do: [{set: {caught: true}}]
    finally:
      - set: {cleaned: true}
`
			h := newHarness(t)
			h.run(def, nil)
			app := h.wantFailure(ExpressionErrorType, "steps[0].try[0]: set.x: expression")
			if !app.NonRetryable() {
				t.Error("expression error is retryable")
			}
			if !strings.Contains(app.Error(), "exceeded") && !strings.Contains(app.Error(), "limit") {
				t.Errorf("error %q does not name the limit", app.Error())
			}
		})
	}
}

func TestLimitErrorIsKeptAsCause(t *testing.T) {
	v, err := compileValue(`${ reduce(1..40, #acc + #acc, "ab") }`, rootVars)
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.eval(map[string]any{"input": nil, "state": map[string]any{}, "steps": map[string]any{}, "workflow": map[string]any{}}, nil)
	var le *expression.LimitError
	if !errors.As(err, &le) {
		t.Fatalf("error %v (%T), want a *expression.LimitError inside", err, err)
	}
}

// TestTaskExpressionBudget: expressions that are each within their own
// operation budget still fail the run, deterministically, once together
// they spend the budget of one workflow task (maxTaskExprSteps) — so a
// step with many heavy expressions cannot keep a worker busy past the
// deadlock detector and have the task retried forever.
func TestTaskExpressionBudget(t *testing.T) {
	const heavy = `"${ sum(1..100000, #) + sum(1..100000, #) + sum(1..100000, #) + sum(1..100000, #) }"` // 800,000 steps
	for _, tc := range []struct {
		name string
		keys int
		fail bool
	}{
		{"two heavy values fit one task", 2, false},
		{"three heavy values exceed it", 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var set strings.Builder
			for i := range tc.keys {
				fmt.Fprintf(&set, "      k%d: %s\n", i, heavy)
			}
			def := "dsl: v1\nname: heavy\nsteps:\n  - set:\n" + set.String() + "output: ${ state.k0 }\n"
			h := newHarness(t)
			h.run(def, nil)
			if !tc.fail {
				if got := h.result(); got != 20000200000 {
					t.Fatalf("output = %v (%T), want 20000200000", got, got)
				}
				return
			}
			app := h.wantFailure(ExpressionErrorType, "steps[0]: set.k2: expression")
			if !strings.Contains(app.Error(), "shared operation budget (2000000 steps)") {
				t.Errorf("error %q does not name the task budget", app.Error())
			}
		})
	}
}
