package interpreter

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// The activity step (see dsl/step_activity.go).

type activityNode struct {
	name  value
	with  value
	id    value // nil: Temporal's activity id
	local bool
	opts  dsl.ActivityOptions
	retry *temporal.RetryPolicy
}

func (c *compiler) activity(path, kp string, a *dsl.ActivityStep, vars []string) *activityNode {
	return &activityNode{
		name:  c.value(kp, a.Name, vars),
		with:  c.value(path+".with", a.With, vars),
		id:    c.optValue(path+".activityId", optString(a.ActivityID), vars),
		local: a.Local,
		opts:  a.ActivityOptions,
		retry: RetryPolicy(a.Retry),
	}
}

func (r *runner) activity(ctx workflow.Context, e *env, n *node, a *activityNode) (any, error) {
	fut, name, err := r.startActivity(ctx, e, n, a)
	if err != nil {
		return nil, err
	}
	res, err := r.result(ctx, fut)
	return r.activityResult(n, a, name, res, err)
}

// activityResult is the activity step's outcome from its future's.
func (r *runner) activityResult(n *node, a *activityNode, name string, res any, err error) (any, error) {
	if err != nil {
		return nil, errorFailure(n.path, fmt.Sprintf("activity %q", name), name, err, a.retry)
	}
	return res, nil
}

// startActivity evaluates the step's values and schedules its activity
// (or local activity) in ctx, returning the future of its result and the
// activity type.
func (r *runner) startActivity(ctx workflow.Context, e *env, n *node, a *activityNode) (workflow.Future, string, error) {
	nv, err := e.eval(a.name)
	if err != nil {
		return nil, "", exprFailure(n.path, "activity", err)
	}
	name, ok := nv.(string)
	if !ok || strings.TrimSpace(name) == "" {
		return nil, "", exprFailure(n.path, "activity", fmt.Errorf("the activity name must be a non-empty string, got %s %q", typeName(nv), text(nv)))
	}
	with, err := e.eval(a.with)
	if err != nil {
		return nil, "", exprFailure(n.path, "with", err)
	}
	o := a.opts
	var activityID string
	if a.id != nil {
		iv, err := e.eval(a.id)
		if err != nil {
			return nil, "", exprFailure(n.path, "activityId", err)
		}
		if activityID, ok = iv.(string); !ok || strings.TrimSpace(activityID) == "" {
			return nil, "", exprFailure(n.path, "activityId", fmt.Errorf("the activity id must be a non-empty string, got %s %q", typeName(iv), text(iv)))
		}
	}
	var fut workflow.Future
	if a.local {
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			ScheduleToCloseTimeout: time.Duration(o.ScheduleToCloseTimeout),
			StartToCloseTimeout:    time.Duration(o.StartToCloseTimeout),
			RetryPolicy:            a.retry,
			Summary:                n.summary,
		})
		// The SDK calls a local activity with its arguments as they are,
		// not through a payload: hand it JSON, as a remote activity gets.
		raw, err := json.Marshal(with)
		if err != nil {
			return nil, "", exprFailure(n.path, "with", err)
		}
		fut = workflow.ExecuteLocalActivity(lctx, name, json.RawMessage(raw))
	} else {
		if f := checkIDs(ctx, n.path, name, activityID); f != nil {
			return nil, "", f
		}
		if f := checkPayload(ctx, n.path, fmt.Sprintf("the input of activity %q", name), with); f != nil {
			return nil, "", f
		}
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			ActivityID:             activityID,
			TaskQueue:              o.TaskQueue,
			ScheduleToCloseTimeout: time.Duration(o.ScheduleToCloseTimeout),
			ScheduleToStartTimeout: time.Duration(o.ScheduleToStartTimeout),
			StartToCloseTimeout:    time.Duration(o.StartToCloseTimeout),
			HeartbeatTimeout:       time.Duration(o.HeartbeatTimeout),
			// An activity that heartbeats learns of cancellation and
			// acknowledges it: wait for that, so cleanup runs after it
			// stopped. One that does not heartbeat never learns, so waiting
			// would only delay the run by up to its timeout.
			WaitForCancellation: o.HeartbeatTimeout > 0,
			RetryPolicy:         a.retry,
			Summary:             n.summary,
		})
		fut = workflow.ExecuteActivity(actx, name, with)
	}
	return fut, name, nil
}

// result waits for a future and decodes its value into the value model.
func (r *runner) result(ctx workflow.Context, fut workflow.Future) (any, error) {
	var raw json.RawMessage
	blocked := !fut.IsReady()
	err := r.rootGet(ctx, fut, &raw)
	r.waitedFor(ctx, blocked)
	if err != nil {
		return nil, err
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("cannot decode the result: %w", err)
	}
	return v, nil
}
