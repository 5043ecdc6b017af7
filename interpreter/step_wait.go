package interpreter

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// The steps that wait: sleep, sleepUntil and await (see
// dsl/step_wait.go).

type sleepNode struct {
	value value
}

type sleepUntilNode struct {
	value value
}

type awaitNode struct {
	cond    value
	timeout time.Duration
}

func (c *compiler) await(kp string, a *dsl.AwaitStep, vars []string) *awaitNode {
	return &awaitNode{cond: c.value(kp, a.Cond, vars), timeout: time.Duration(a.Timeout)}
}

func (r *runner) sleep(ctx workflow.Context, e *env, n *node, s *sleepNode) (any, error) {
	v, err := e.eval(s.value)
	if err != nil {
		return nil, exprFailure(n.path, "sleep", err)
	}
	str, ok := v.(string)
	if !ok {
		return nil, exprFailure(n.path, "sleep", fmt.Errorf("want a duration such as 30s, got %s %q", typeName(v), text(v)))
	}
	d, err := dsl.ParseDuration(str)
	if err != nil {
		return nil, exprFailure(n.path, "sleep", err)
	}
	return nil, r.timer(ctx, n, time.Duration(d))
}

func (r *runner) sleepUntil(ctx workflow.Context, e *env, n *node, s *sleepUntilNode) (any, error) {
	v, err := e.eval(s.value)
	if err != nil {
		return nil, exprFailure(n.path, "sleepUntil", err)
	}
	str, ok := v.(string)
	if !ok {
		return nil, exprFailure(n.path, "sleepUntil", fmt.Errorf("want an RFC 3339 timestamp, got %s %q", typeName(v), text(v)))
	}
	t, err := time.Parse(time.RFC3339Nano, str)
	if err != nil {
		return nil, exprFailure(n.path, "sleepUntil", fmt.Errorf("invalid timestamp %q: want RFC 3339, e.g. 2026-01-02T15:04:05Z", str))
	}
	return nil, r.timer(ctx, n, t.Sub(workflow.Now(ctx)))
}

// timer waits d on a durable timer; d <= 0 returns at once.
func (r *runner) timer(ctx workflow.Context, n *node, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: n.summary})
	blocked := !t.IsReady()
	err := t.Get(ctx, nil)
	r.waitedFor(ctx, blocked)
	if err != nil {
		return errorFailure(n.path, "", "", err, nil)
	}
	return nil
}

// await waits for the condition, re-evaluated whenever something happens
// (a signal, an update, another coroutine's step). Its result is true when
// the condition held and false when the timeout passed first.
func (r *runner) await(ctx workflow.Context, e *env, n *node, a *awaitNode) (any, error) {
	var cerr error
	cond := func() bool {
		// The environment is made again for every evaluation, and dropped
		// after it: a run that waits here keeps no copy of its variables.
		e.refresh()
		ok, err := e.cond(a.cond)
		e.refresh()
		if err != nil {
			cerr = err
			return true
		}
		return ok
	}
	ok := true
	var err error
	if a.timeout > 0 {
		ok, err = workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      a.timeout,
			TimerOptions: workflow.TimerOptions{Summary: n.summary},
		}, cond)
	} else {
		err = workflow.Await(ctx, cond)
	}
	r.waited()
	if cerr != nil {
		return nil, exprFailure(n.path, "await", cerr)
	}
	if err != nil {
		return nil, errorFailure(n.path, "", "", err, nil)
	}
	return ok, nil
}
