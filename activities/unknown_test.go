package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/activities"
)

// TestUnknownActivityFailsAtOnce runs an activity type that nobody
// registered, remotely and locally, on a worker with a registry attached:
// each fails on its first attempt, non-retryable, with UnknownActivityType
// and a did-you-mean, although the retry policy would allow 100 attempts.
func TestUnknownActivityFailsAtOnce(t *testing.T) {
	retry := &temporal.RetryPolicy{InitialInterval: time.Millisecond, MaximumAttempts: 100}
	tests := []struct {
		name  string
		local bool
		call  string
		want  string
		hint  string
	}{
		{"remote", false, "echoo", `activity "echoo" is not registered on task queue "default-test-taskqueue" (did you mean "echo"?)`, "echo"},
		{"local", true, "echoo", `activity "echoo" is not registered on task queue "default-test-taskqueue" (did you mean "echo"?)`, "echo"},
		{"no hint", false, "ChargeCard", `activity "ChargeCard" is not registered on task queue "default-test-taskqueue"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := activities.NewRegistry()
			if err := r.Register(activities.Spec{Name: "echo"}, echoFn); err != nil {
				t.Fatal(err)
			}
			wf := func(ctx workflow.Context) error {
				if tt.local {
					lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute, RetryPolicy: retry})
					return workflow.ExecuteLocalActivity(lctx, tt.call, json.RawMessage(`{}`)).Get(ctx, nil)
				}
				actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute, RetryPolicy: retry})
				return workflow.ExecuteActivity(actx, tt.call, map[string]any{}).Get(ctx, nil)
			}
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			env.RegisterWorkflow(wf)
			r.Attach(env)
			attempts := 0
			env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) { attempts++ })
			env.SetOnLocalActivityStartedListener(func(*activity.Info, context.Context, []any) { attempts++ })
			env.ExecuteWorkflow(wf)
			err := env.GetWorkflowError()
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) {
				t.Fatalf("workflow error = %v, want an application error", err)
			}
			if appErr.Type() != activities.UnknownActivityType || !appErr.NonRetryable() || appErr.Message() != tt.want {
				t.Errorf("error = type %q, non-retryable %v, message %q; want %q, true, %q",
					appErr.Type(), appErr.NonRetryable(), appErr.Message(), activities.UnknownActivityType, tt.want)
			}
			var details map[string]any
			if err := appErr.Details(&details); err != nil {
				t.Fatal(err)
			}
			if details["activity"] != tt.call || details["suggestion"] != tt.hint || details["taskQueue"] != "default-test-taskqueue" {
				t.Errorf("details = %v", details)
			}
			if attempts != 1 {
				t.Errorf("attempts = %d, want 1", attempts)
			}
		})
	}
}

// TestRegisteredActivityWinsOverUnknown checks that the dynamic activity
// only serves names without a registration of their own.
func TestRegisteredActivityWinsOverUnknown(t *testing.T) {
	r := activities.NewRegistry()
	if err := r.Register(activities.Spec{Name: "echo"}, echoFn); err != nil {
		t.Fatal(err)
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	r.Attach(env)
	v, err := env.ExecuteActivity("echo", map[string]any{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := v.Get(&got); err != nil {
		t.Fatal(err)
	}
	if got["a"] != float64(1) {
		t.Errorf("echo = %v", got)
	}
}

func echoFn(_ context.Context, in map[string]any) (map[string]any, error) { return in, nil }
