package activities_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/dslrun/dslrun/activities"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

type pair struct {
	A int `json:"a"`
	B int `json:"b"`
}

// TestAttachedActivityTakesJSON proves that a registered activity whose
// parameter is a struct can be called both ways the interpreter calls it:
// remotely with a map (a JSON payload) and locally with json.RawMessage.
// Before the adapter, the SDK called the local one with the raw map and
// panicked in reflect.
func TestAttachedActivityTakesJSON(t *testing.T) {
	r := activities.NewRegistry()
	err := r.Register(activities.Spec{Name: "sum", Summary: "adds"}, func(_ context.Context, p pair) (int, error) {
		return p.A + p.B, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wf := func(ctx workflow.Context) ([]int, error) {
		args := map[string]any{"a": 2, "b": 3}
		var remote, local int
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
		if err := workflow.ExecuteActivity(actx, "sum", args).Get(ctx, &remote); err != nil {
			return nil, err
		}
		raw, _ := json.Marshal(args)
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
		if err := workflow.ExecuteLocalActivity(lctx, "sum", json.RawMessage(raw)).Get(ctx, &local); err != nil {
			return nil, err
		}
		return []int{remote, local}, nil
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(wf)
	r.Attach(env)
	env.ExecuteWorkflow(wf)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var got []int
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != 5 || got[1] != 5 {
		t.Fatalf("remote, local = %v, want [5 5]", got)
	}
}
