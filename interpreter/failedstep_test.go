package interpreter

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"
)

func TestFailedStep(t *testing.T) {
	const def = `
dsl: v1
name: fails
steps:
  - log: first
  - parallel:
      - - activity: charge
`
	h := newHarness(t)
	h.activity("charge", func(context.Context, map[string]any) (any, error) {
		return nil, temporal.NewNonRetryableApplicationError("card declined", "CardDeclined", nil)
	})
	h.run(def, nil)
	err := h.env.GetWorkflowError()
	if err == nil {
		t.Fatal("the run did not fail")
	}
	p, ok := FailedStep(err)
	if !ok || p != "steps[1].parallel[0][0]" {
		t.Fatalf("FailedStep = %q, %v; want steps[1].parallel[0][0] (error: %v)", p, ok, err)
	}
	for _, e := range []error{
		errors.New("steps[1]: not an application error"),
		temporal.NewApplicationError("no path here", "X"),
		temporal.NewApplicationError("definition: bad", "dslrun.DefinitionError"),
	} {
		if p, ok := FailedStep(e); ok {
			t.Errorf("FailedStep(%v) = %q, want none", e, p)
		}
	}
}
