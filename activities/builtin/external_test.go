package builtin_test

import (
	"errors"
	"testing"

	"go.temporal.io/sdk/activity"

	"github.com/dslrun/dslrun/activities/builtin"
)

func TestExternalWaitGoesPending(t *testing.T) {
	env := newEnv(t, nil)
	_, err := env.ExecuteActivity(builtin.ExternalWait, map[string]any{"message": "approve the refund", "data": map[string]any{"amount": 120}})
	if !errors.Is(err, activity.ErrResultPending) {
		t.Fatalf("error = %v, want activity.ErrResultPending", err)
	}
}

func TestExternalWaitNeedsAMessage(t *testing.T) {
	env := newEnv(t, nil)
	_, err := env.ExecuteActivity(builtin.ExternalWait, map[string]any{"message": " "})
	wantInvalidInput(t, err, "message must not be empty")
}
