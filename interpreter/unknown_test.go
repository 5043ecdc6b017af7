package interpreter

import (
	"context"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/activities"
)

// unknownRegistry is a registry with one activity, echo, attached the
// production way: any other name meets the registry's unknown activity.
func unknownRegistry(t *testing.T, h *harness) {
	t.Helper()
	r := activities.NewRegistry()
	echo := func(_ context.Context, v any) (any, error) { return v, nil }
	if err := r.Register(activities.Spec{Name: "echo"}, echo); err != nil {
		t.Fatal(err)
	}
	r.Attach(h.env)
}

// TestUnknownActivityFailsTheRun: a misspelt activity name on the worker's
// own task queue fails the step, and the run, at once, remote or local.
func TestUnknownActivityFailsTheRun(t *testing.T) {
	for _, local := range []string{"false", "true"} {
		t.Run("local="+local, func(t *testing.T) {
			h := newHarness(t)
			unknownRegistry(t, h)
			h.run(`
dsl: v1
name: typo
steps:
  - id: greet
    activity: echoo
    local: `+local+`
    retry: {maximumAttempts: 50, initialInterval: 1ms}
    with: {greeting: hi}
`, nil)
			app := h.wantFailure(activities.UnknownActivityType,
				`steps[0]: activity "echoo" failed: activity "echoo" is not registered on task queue`, `(did you mean "echo"?)`)
			if !app.NonRetryable() {
				t.Error("unknown activity failure is retryable")
			}
		})
	}
}

// TestUnknownActivityCaught: catch handles dslrun.UnknownActivity by type,
// with the name and the suggestion in error.details.
func TestUnknownActivityCaught(t *testing.T) {
	h := newHarness(t)
	unknownRegistry(t, h)
	h.run(`
dsl: v1
name: typo
steps:
  - try:
      - id: greet
        activity: echoo
        with: {greeting: hi}
    catch:
      - types: [dslrun.UnknownActivity]
        do:
          - return:
              type: ${ error.type }
              activity: ${ error.details.activity }
              suggestion: ${ error.details.suggestion }
`, nil)
	wantEqual(t, h.result(), map[string]any{"type": activities.UnknownActivityType, "activity": "echoo", "suggestion": "echo"})
}

// TestActivityNameTooLong (issue 11): an activity type taken from input
// that is longer than Temporal accepts used to fail the workflow task on
// every attempt (the server refuses the command), so the run hung. It now
// fails the step like any unknown activity type, non-retryable and
// catchable; an activity id that long is an expression error.
func TestActivityNameTooLong(t *testing.T) {
	long := strings.Repeat("x", 1001)
	h := newHarness(t)
	h.run(`
dsl: v1
name: chosen
steps:
  - try:
      - activity: ${ input.act }
    catch:
      - types: [dslrun.UnknownActivity]
        do:
          - return: ${ error }
`, map[string]any{"act": long})
	res, _ := h.result().(map[string]any)
	if res["type"] != activities.UnknownActivityType || res["nonRetryable"] != true ||
		!strings.Contains(res["message"].(string), "the activity type is 1001 bytes long, over Temporal's limit of 1000: no worker can serve it") {
		t.Errorf("caught %v", res)
	}

	h = newHarness(t)
	h.activity("echo", echoActivity)
	h.run(`
dsl: v1
name: chosen
steps:
  - activity: echo
    activityId: ${ input.id }
`, map[string]any{"id": long})
	h.wantFailure(ExpressionErrorType, "steps[0]: activityId: the activity id is 1001 bytes long, over Temporal's limit of 1000")
}
