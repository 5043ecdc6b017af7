package activities_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/activities"
)

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPendingCompletedFromOutside runs an activity that calls Pending: it
// heartbeats a PendingTask with its ids, task token and details, logs the
// same, and the workflow gets the result that the completer sent with the
// task token.
func TestPendingCompletedFromOutside(t *testing.T) {
	r := activities.NewRegistry()
	err := r.Register(activities.Spec{Name: "ask"}, func(ctx context.Context, in map[string]any) (any, error) {
		return nil, activities.Pending(ctx, in)
	})
	if err != nil {
		t.Fatal(err)
	}
	wf := func(ctx workflow.Context) (map[string]any, error) {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Hour})
		var out map[string]any
		err := workflow.ExecuteActivity(actx, "ask", map[string]any{"question": "ship it?"}).Get(ctx, &out)
		return out, err
	}
	var logs syncBuffer
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(wf)
	r.Attach(env)

	var task activities.PendingTask
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		if err := details.Get(&task); err != nil {
			t.Errorf("heartbeat details: %v", err)
		}
	})
	var token []byte
	env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, err error) {
		// Called twice: when the activity returns, then when it is completed.
		if token != nil {
			return
		}
		if !errors.Is(err, activity.ErrResultPending) {
			t.Errorf("activity returned %v, want ErrResultPending", err)
			return
		}
		token = info.TaskToken
		env.RegisterDelayedCallback(func() {
			if err := env.CompleteActivity(token, map[string]any{"approved": true}, nil); err != nil {
				t.Errorf("complete: %v", err)
			}
		}, time.Minute)
	})
	env.ExecuteWorkflow(wf)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	if got["approved"] != true {
		t.Errorf("result = %v, want the completer's {approved: true}", got)
	}
	if task.TaskToken == "" || task.TaskToken != base64.StdEncoding.EncodeToString(token) {
		t.Errorf("heartbeat task token %q, want the attempt's token %q", task.TaskToken, base64.StdEncoding.EncodeToString(token))
	}
	details, _ := task.Details.(map[string]any)
	if task.WorkflowID == "" || task.ActivityID == "" || task.Attempt != 1 || details["question"] != "ship it?" {
		t.Errorf("heartbeat = %+v", task)
	}
	for _, want := range []string{"activity waits to be completed from outside", "TaskToken=" + task.TaskToken,
		"dslrun activity complete -w " + task.WorkflowID + " --activity-id " + task.ActivityID} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

// TestPendingInLocalActivityFails: a local activity cannot wait to be
// completed from outside, so Pending fails it, non-retryable.
func TestPendingInLocalActivityFails(t *testing.T) {
	r := activities.NewRegistry()
	err := r.Register(activities.Spec{Name: "ask"}, func(ctx context.Context, in any) (any, error) {
		return nil, activities.Pending(ctx, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	wf := func(ctx workflow.Context) error {
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
		return workflow.ExecuteLocalActivity(lctx, "ask", []byte(`{}`)).Get(ctx, nil)
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(wf)
	r.Attach(env)
	env.ExecuteWorkflow(wf)
	var app *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &app) || app.Type() != activities.NotAsyncType || !app.NonRetryable() {
		t.Fatalf("workflow error = %v, want a non-retryable %s", err, activities.NotAsyncType)
	}
}
