package interpreter

import (
	"fmt"
	"slices"
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
	err := r.rootGet(ctx, t, nil)
	r.waitedFor(ctx, blocked)
	if err != nil {
		return errorFailure(n.path, "", "", err, nil)
	}
	return nil
}

// await waits for the condition, re-evaluated whenever something happens
// (a signal, an update, another coroutine's step). Its result is true when
// the condition held and false when the timeout passed first.
//
// Where the step is resumable (see cursor) and automatic continue-as-new
// is due while it waits, with no signal or update handler running, it
// continues as new (changeAwaitContinue); the new run waits at the same
// step, until the deadline of the timeout carried in Carry.Await. It does
// so only once a signal or an update came while it waited in this run (only
// those make history grow there), so a run that resumes at the await
// handles at least one message before it continues as new again.
func (r *runner) await(ctx workflow.Context, e *env, n *node, a *awaitNode, cur cursor) (any, error) {
	timeout := a.timeout
	var deadline time.Time
	if timeout > 0 {
		deadline = workflow.Now(ctx).Add(timeout)
		if ac := r.resumeAwait(cur.pos); ac != nil && !ac.Deadline.IsZero() {
			deadline = ac.Deadline
			timeout = deadline.Sub(workflow.Now(ctx))
		}
	}
	var cerr error
	movable := cur.pos != nil && r.plan.autoCAN
	moved := false
	// Only a message (signal or update) makes history grow while the run
	// waits here: the await moves only once one came during this run.
	messages := r.messages
	holds := func() bool {
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
	cond := func() bool {
		if holds() {
			return true
		}
		if r.messages == messages || !movable || r.signalTasks > 0 || !workflow.AllHandlersFinished(ctx) || !r.continueDue(ctx) {
			return false
		}
		// Asked here, where the old behaviour (wait on) differs: the
		// condition runs in the step's own coroutine.
		if !newBehaviour(ctx, changeAwaitContinue) {
			movable = false
			return false
		}
		moved = true
		return true
	}
	ok := true
	var err error
	switch {
	case a.timeout > 0 && timeout <= 0:
		// Resumed after its deadline: the condition decides alone.
		ok = holds()
	case a.timeout > 0:
		ok, err = workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      timeout,
			TimerOptions: workflow.TimerOptions{Summary: n.summary},
		}, r.rootCond(ctx, cond))
	default:
		err = workflow.Await(ctx, r.rootCond(ctx, cond))
	}
	r.waited()
	if cerr != nil {
		return nil, exprFailure(n.path, "await", cerr)
	}
	if err != nil {
		return nil, errorFailure(n.path, "", "", err, nil)
	}
	if moved {
		c := r.continueAt(cur.pos, nil)
		if a.timeout > 0 {
			c.carry.Await = &AwaitCarry{At: cur.pos, Deadline: deadline}
		}
		return nil, c
	}
	return ok, nil
}

// resumeAwait returns the carried await when the step at pos is the one
// the run resumes at, once.
func (r *runner) resumeAwait(pos []int) *AwaitCarry {
	if r.awaitAt == nil || pos == nil || !slices.Equal(r.awaitAt.At, pos) {
		return nil
	}
	ac := r.awaitAt
	r.awaitAt = nil
	return ac
}
