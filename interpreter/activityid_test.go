package interpreter

import (
	"context"
	"testing"

	"go.temporal.io/sdk/activity"
)

// TestActivityID checks that an activity step's activityId, a template,
// becomes the activity's id, and that a step without one keeps
// Temporal's.
func TestActivityID(t *testing.T) {
	const def = `
dsl: v1
name: ids
steps:
  - id: named
    activity: whoami
    activityId: approval-${ input.request }
  - id: plain
    activity: whoami
output: ${ [steps.named.result, steps.plain.result] }
`
	h := newHarness(t)
	h.activity("whoami", func(ctx context.Context, _ map[string]any) (string, error) {
		return activity.GetInfo(ctx).ActivityID, nil
	})
	h.run(def, map[string]any{"request": "r7"})
	got, ok := h.result().([]any)
	if !ok || len(got) != 2 {
		t.Fatalf("result %v, want two activity ids", h.result())
	}
	if got[0] != "approval-r7" {
		t.Errorf("activityId template gave %v, want approval-r7", got[0])
	}
	if got[1] == "approval-r7" || got[1] == "" {
		t.Errorf("a step without activityId has id %v, want Temporal's own", got[1])
	}
}

// TestActivityIDNotAString fails the step, typed, when the template does
// not yield a non-empty string.
func TestActivityIDNotAString(t *testing.T) {
	const def = `
dsl: v1
name: ids
steps:
  - activity: whoami
    activityId: ${ input.n }
`
	h := newHarness(t)
	h.activity("whoami", func(context.Context, map[string]any) (string, error) { return "", nil })
	h.run(def, map[string]any{"n": 3})
	h.wantFailure("dslrun.ExpressionError", "activityId", "non-empty string")
}
