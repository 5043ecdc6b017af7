package builtin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/activities/builtin"
)

func TestFailErrors(t *testing.T) {
	env := newEnv(t, nil)
	tests := []struct {
		name             string
		in               map[string]any
		wantType         string
		wantMsg          string
		wantNonRetryable bool
		wantDetails      string // JSON; "" for none
	}{
		{"defaults", map[string]any{"message": "boom"}, builtin.DefaultFailType, "boom", false, ""},
		{"typed, non-retryable, with details",
			map[string]any{"message": "card declined", "type": "CardDeclined", "nonRetryable": true, "details": map[string]any{"code": 51, "big": int64(1) << 60}},
			"CardDeclined", "card declined", true, `{"big":1152921504606846976,"code":51}`},
		{"still failing below attempts", map[string]any{"message": "flaky", "attempts": 2}, builtin.DefaultFailType, "flaky", false, ""},
		{"no message", map[string]any{}, builtin.DefaultFailType, "failed on purpose", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.ExecuteActivity(builtin.Fail, tt.in)
			appErr := applicationError(t, err)
			if appErr.Type() != tt.wantType || appErr.Message() != tt.wantMsg || appErr.NonRetryable() != tt.wantNonRetryable {
				t.Errorf("error = type %q, message %q, non-retryable %v; want %q, %q, %v",
					appErr.Type(), appErr.Message(), appErr.NonRetryable(), tt.wantType, tt.wantMsg, tt.wantNonRetryable)
			}
			if tt.wantDetails == "" {
				if appErr.HasDetails() {
					t.Error("error has details, want none")
				}
				return
			}
			var got jsonText
			if err := appErr.Details(&got); err != nil {
				t.Fatalf("details: %v", err)
			}
			if string(got) != tt.wantDetails {
				t.Errorf("details = %s, want %s", got, tt.wantDetails)
			}
		})
	}
}

// jsonText receives a JSON payload verbatim.
type jsonText []byte

func (j *jsonText) UnmarshalJSON(b []byte) error {
	*j = append((*j)[:0], b...)
	return nil
}

func TestFailSucceedsFromAttempt(t *testing.T) {
	env := newEnv(t, nil)
	v, err := env.ExecuteActivity(builtin.Fail, builtin.FailInput{Message: "flaky", Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	var res builtin.FailResult
	if err := v.Get(&res); err != nil || res.Attempt != 1 {
		t.Errorf("result = %+v, %v; want attempt 1", res, err)
	}
}

// failWithRetries is a test workflow running the fail activity under a retry
// policy of maxAttempts.
func failWithRetries(ctx workflow.Context, in builtin.FailInput, maxAttempts int32) (builtin.FailResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumAttempts:    maxAttempts,
		},
	})
	var res builtin.FailResult
	err := workflow.ExecuteActivity(ctx, builtin.Fail, in).Get(ctx, &res)
	return res, err
}

// TestFailUnderRetryPolicy runs fail through Temporal's retries (in the
// time-skipping test environment) and counts the attempts.
func TestFailUnderRetryPolicy(t *testing.T) {
	tests := []struct {
		name         string
		in           builtin.FailInput
		maxAttempts  int32
		wantAttempts int
		wantResult   int32 // 0 when the workflow must fail
	}{
		{"succeeds on the third attempt", builtin.FailInput{Message: "flaky", Attempts: 3}, 5, 3, 3},
		{"retries exhausted first", builtin.FailInput{Message: "flaky", Attempts: 3}, 2, 2, 0},
		{"non-retryable stops at once", builtin.FailInput{Message: "fatal", Attempts: 3, NonRetryable: true}, 5, 1, 0},
		{"always failing", builtin.FailInput{Message: "down", Type: "Unavailable"}, 4, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := activities.NewRegistry()
			if err := builtin.Register(r); err != nil {
				t.Fatal(err)
			}
			env := quietSuite().NewTestWorkflowEnvironment()
			r.Attach(env)
			env.RegisterWorkflow(failWithRetries)
			var attempts []int32
			env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				attempts = append(attempts, info.Attempt)
			})
			env.ExecuteWorkflow(failWithRetries, tt.in, tt.maxAttempts)
			if len(attempts) != tt.wantAttempts || attempts[len(attempts)-1] != int32(tt.wantAttempts) {
				t.Errorf("attempts = %v, want 1..%d", attempts, tt.wantAttempts)
			}
			err := env.GetWorkflowError()
			if tt.wantResult == 0 {
				var appErr *temporal.ApplicationError
				if !errors.As(err, &appErr) {
					t.Fatalf("workflow error = %v, want an application error", err)
				}
				wantType := tt.in.Type
				if wantType == "" {
					wantType = builtin.DefaultFailType
				}
				if appErr.Type() != wantType || appErr.Message() != tt.in.Message {
					t.Errorf("error = type %q message %q, want %q %q", appErr.Type(), appErr.Message(), wantType, tt.in.Message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var res builtin.FailResult
			if err := env.GetWorkflowResult(&res); err != nil || res.Attempt != tt.wantResult {
				t.Errorf("result = %+v, %v; want attempt %d", res, err, tt.wantResult)
			}
		})
	}
}
