package interpreter

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// dispatch runs a step by kind.
func (r *runner) dispatch(ctx workflow.Context, sc *scope, n *node, cur cursor) (any, error) {
	e := r.env(ctx, sc)
	resuming := len(cur.resume) > 1
	switch n.kind {
	case dsl.KindActivity:
		return r.activity(ctx, e, n)
	case dsl.KindSet:
		return r.set(e, n.path, n.set)
	case dsl.KindIf:
		// A run that continued as new inside a branch resumes in it: the
		// condition was read by the previous run.
		if resuming {
			if cur.resume[0] == 0 {
				return r.execListAt(ctx, sc, n.then, into(cur.pos, 0, cur.resume))
			}
			return r.execListAt(ctx, sc, n.els, into(cur.pos, 1, cur.resume))
		}
		ok, err := e.cond(n.cond)
		if err != nil {
			return nil, exprFailure(n.path, "if", err)
		}
		if ok {
			return r.execListAt(ctx, sc, n.then, into(cur.pos, 0, nil))
		}
		return r.execListAt(ctx, sc, n.els, into(cur.pos, 1, nil))
	case dsl.KindSwitch:
		if resuming {
			if i := cur.resume[0]; i < len(n.cases) {
				return r.execListAt(ctx, sc, n.cases[i].do, into(cur.pos, i, cur.resume))
			}
			return r.execListAt(ctx, sc, n.deflt, into(cur.pos, len(n.cases), cur.resume))
		}
		for i, c := range n.cases {
			ok, err := e.cond(c.when)
			if err != nil {
				return nil, exprFailure(n.path, fmt.Sprintf("switch[%d].when", i), err)
			}
			if ok {
				return r.execListAt(ctx, sc, c.do, into(cur.pos, i, nil))
			}
		}
		return r.execListAt(ctx, sc, n.deflt, into(cur.pos, len(n.cases), nil))
	case dsl.KindParallel:
		return r.parallel(ctx, sc, n)
	case dsl.KindRace:
		return r.race(ctx, sc, n)
	case dsl.KindForEach:
		return r.forEach(ctx, e, sc, n)
	case dsl.KindWhile:
		return r.while(ctx, e, sc, n, cur)
	case dsl.KindSleep:
		return r.sleep(ctx, e, n)
	case dsl.KindSleepUntil:
		return r.sleepUntil(ctx, e, n)
	case dsl.KindAwait:
		return r.await(ctx, e, n)
	case dsl.KindChild:
		return r.childWorkflow(ctx, e, n)
	case dsl.KindSignalWorkflow:
		return r.signalWorkflow(ctx, e, n)
	case dsl.KindTry:
		return r.try(ctx, sc, n)
	case dsl.KindFail:
		return nil, r.fail(e, n)
	case dsl.KindReturn:
		v, err := e.eval(n.ret)
		if err != nil {
			return nil, exprFailure(n.path, "return", err)
		}
		return nil, &returnSignal{value: v}
	case dsl.KindContinueAsNew:
		return nil, r.continueAsNew(e, n)
	case dsl.KindLog:
		return nil, r.log(ctx, e, n)
	}
	return nil, limitFailure(n.path, fmt.Sprintf("unknown step kind %q", n.kind))
}

// set evaluates every value against the state before the step, then
// assigns them in key order. Its result is the mapping of assigned values.
func (r *runner) set(e *env, path string, assigns []assign) (any, error) {
	vals := make([]any, len(assigns))
	for i, a := range assigns {
		v, err := e.eval(a.val)
		if err != nil {
			return nil, exprFailure(path, "set."+a.key, err)
		}
		vals[i] = v
	}
	out := make(map[string]any, len(assigns))
	for i, a := range assigns {
		r.state[a.key] = vals[i]
		out[a.key] = vals[i]
	}
	return out, nil
}

func (r *runner) activity(ctx workflow.Context, e *env, n *node) (any, error) {
	a := n.activity
	nv, err := e.eval(a.name)
	if err != nil {
		return nil, exprFailure(n.path, "activity", err)
	}
	name, ok := nv.(string)
	if !ok || strings.TrimSpace(name) == "" {
		return nil, exprFailure(n.path, "activity", fmt.Errorf("the activity name must be a non-empty string, got %s %q", typeName(nv), text(nv)))
	}
	with, err := e.eval(a.with)
	if err != nil {
		return nil, exprFailure(n.path, "with", err)
	}
	o := a.opts
	var activityID string
	if a.id != nil {
		iv, err := e.eval(a.id)
		if err != nil {
			return nil, exprFailure(n.path, "activityId", err)
		}
		if activityID, ok = iv.(string); !ok || strings.TrimSpace(activityID) == "" {
			return nil, exprFailure(n.path, "activityId", fmt.Errorf("the activity id must be a non-empty string, got %s %q", typeName(iv), text(iv)))
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
			return nil, exprFailure(n.path, "with", err)
		}
		fut = workflow.ExecuteLocalActivity(lctx, name, json.RawMessage(raw))
	} else {
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
	res, err := r.result(ctx, fut)
	if err != nil {
		return nil, errorFailure(n.path, fmt.Sprintf("activity %q", name), name, err, a.retry)
	}
	return res, nil
}

// result waits for a future and decodes its value into the value model.
func (r *runner) result(ctx workflow.Context, fut workflow.Future) (any, error) {
	var raw json.RawMessage
	err := fut.Get(ctx, &raw)
	r.waited()
	if err != nil {
		return nil, err
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("cannot decode the result: %w", err)
	}
	return v, nil
}

// parallel runs every branch as a coroutine and waits for all of them. The
// first failure cancels the other branches; the step fails with it once
// they have ended. Its result is the list of branch results.
func (r *runner) parallel(ctx workflow.Context, sc *scope, n *node) (any, error) {
	results := make([]any, len(n.branches))
	bctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	done := 0
	var first error
	for i, branch := range n.branches {
		workflow.GoNamed(bctx, fmt.Sprintf("%s.parallel[%d]", n.path, i), func(ctx workflow.Context) {
			res, err := r.execList(ctx, sc, branch)
			results[i] = res
			if err != nil && first == nil {
				first = err
				cancel()
			}
			done++
		})
	}
	r.awaitAll(ctx, func() bool { return done == len(n.branches) })
	if first != nil {
		return nil, first
	}
	return results, nil
}

// race runs every branch as a coroutine; the first to end, with a result
// or a failure, decides the step, and the others are cancelled. The step
// ends once every branch has. Its result is {branch, result}.
func (r *runner) race(ctx workflow.Context, sc *scope, n *node) (any, error) {
	bctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	done := 0
	winner := -1
	var res any
	var err error
	for i, branch := range n.branches {
		workflow.GoNamed(bctx, fmt.Sprintf("%s.race[%d]", n.path, i), func(ctx workflow.Context) {
			br, berr := r.execList(ctx, sc, branch)
			if winner < 0 {
				winner, res, err = i, br, berr
				cancel()
			}
			done++
		})
	}
	r.awaitAll(ctx, func() bool { return done == len(n.branches) })
	if err != nil {
		return nil, err
	}
	return map[string]any{"branch": winner, "result": res}, nil
}

// awaitAll waits for cond even when ctx is cancelled: coroutines started by
// a step always end before the step does.
func (r *runner) awaitAll(ctx workflow.Context, cond func() bool) {
	if cond() {
		return
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	_ = workflow.Await(dctx, cond)
	r.waited()
}

// forEach runs the body for every item, at most concurrency at a time, each
// iteration in a scope of its own. Its result is the list of iteration
// results in input order.
func (r *runner) forEach(ctx workflow.Context, e *env, sc *scope, n *node) (any, error) {
	f := n.forEach
	iv, err := e.eval(f.items)
	if err != nil {
		return nil, exprFailure(n.path, "forEach", err)
	}
	var items []any
	switch t := iv.(type) {
	case []any:
		items = t
	case nil:
	default:
		return nil, exprFailure(n.path, "forEach", fmt.Errorf("items must be a list, got %s", typeName(iv)))
	}
	results := make([]any, len(items))
	iteration := func(ctx workflow.Context, i int) error {
		isc := sc.child(true, binding{f.as, items[i]}, binding{f.index, i})
		res, err := r.execList(ctx, isc, f.do)
		results[i] = res
		return err
	}
	if f.concurrency <= 1 || len(items) <= 1 {
		for i := range items {
			if err := iteration(ctx, i); err != nil {
				return nil, err
			}
		}
		return results, nil
	}

	bctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	inFlight, started, done := 0, 0, 0
	var first error
	for i := range items {
		if inFlight >= f.concurrency {
			if err := workflow.Await(ctx, func() bool { return inFlight < f.concurrency || first != nil }); err != nil && first == nil {
				first = errorFailure(n.path, "", "", err, nil)
			}
			r.waited()
		}
		if first != nil {
			break
		}
		inFlight++
		started++
		workflow.GoNamed(bctx, fmt.Sprintf("%s.do#%d", n.path, i), func(ctx workflow.Context) {
			if err := iteration(ctx, i); err != nil && first == nil {
				first = err
				cancel()
			}
			inFlight--
			done++
		})
	}
	r.awaitAll(ctx, func() bool { return done == started })
	if first != nil {
		return nil, first
	}
	return results, nil
}

// while runs the body while the condition holds. Where the loop is
// resumable (see cursor), each iteration after the first of a run may
// continue as new; the loop then resumes in the next run, where its
// condition is read again from the carried state, and a run that continued
// as new inside the body resumes there. Its result is the last
// iteration's.
func (r *runner) while(ctx workflow.Context, e *env, sc *scope, n *node, cur cursor) (any, error) {
	var last any
	for iter := 0; ; iter++ {
		if iter == 0 && len(cur.resume) > 1 {
			res, err := r.execListAt(ctx, sc, n.body, into(cur.pos, 0, cur.resume))
			if err != nil {
				return nil, err
			}
			last = res
			continue
		}
		if iter > 0 && cur.pos != nil {
			if err := r.autoContinue(ctx, cur.pos); err != nil {
				return nil, err
			}
		}
		if iter > 0 {
			r.busy++
			if r.busy > maxBusySteps {
				return nil, limitFailure(n.path, fmt.Sprintf("the run executed %d steps without waiting once (a loop that never waits?)", maxBusySteps))
			}
		}
		e.refresh()
		ok, err := e.cond(n.cond)
		if err != nil {
			return nil, exprFailure(n.path, "while", err)
		}
		if !ok {
			return last, nil
		}
		res, err := r.execListAt(ctx, sc, n.body, into(cur.pos, 0, nil))
		if err != nil {
			return nil, err
		}
		last = res
	}
}

func (r *runner) sleep(ctx workflow.Context, e *env, n *node) (any, error) {
	v, err := e.eval(n.sleep)
	if err != nil {
		return nil, exprFailure(n.path, "sleep", err)
	}
	s, ok := v.(string)
	if !ok {
		return nil, exprFailure(n.path, "sleep", fmt.Errorf("want a duration such as 30s, got %s %q", typeName(v), text(v)))
	}
	d, err := dsl.ParseDuration(s)
	if err != nil {
		return nil, exprFailure(n.path, "sleep", err)
	}
	return nil, r.timer(ctx, n, time.Duration(d))
}

func (r *runner) sleepUntil(ctx workflow.Context, e *env, n *node) (any, error) {
	v, err := e.eval(n.sleep)
	if err != nil {
		return nil, exprFailure(n.path, "sleepUntil", err)
	}
	s, ok := v.(string)
	if !ok {
		return nil, exprFailure(n.path, "sleepUntil", fmt.Errorf("want an RFC 3339 timestamp, got %s %q", typeName(v), text(v)))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, exprFailure(n.path, "sleepUntil", fmt.Errorf("invalid timestamp %q: want RFC 3339, e.g. 2026-01-02T15:04:05Z", s))
	}
	return nil, r.timer(ctx, n, t.Sub(workflow.Now(ctx)))
}

// timer waits d on a durable timer; d <= 0 returns at once.
func (r *runner) timer(ctx workflow.Context, n *node, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	err := workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: n.summary}).Get(ctx, nil)
	r.waited()
	if err != nil {
		return errorFailure(n.path, "", "", err, nil)
	}
	return nil
}

// await waits for the condition, re-evaluated whenever something happens
// (a signal, an update, another coroutine's step). Its result is true when
// the condition held and false when the timeout passed first.
func (r *runner) await(ctx workflow.Context, e *env, n *node) (any, error) {
	var cerr error
	cond := func() bool {
		e.refresh()
		ok, err := e.cond(n.cond)
		if err != nil {
			cerr = err
			return true
		}
		return ok
	}
	ok := true
	var err error
	if n.timeout > 0 {
		ok, err = workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      n.timeout,
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

// parentClosePolicy maps the DSL's parent close policies.
func parentClosePolicy(s string) (enumspb.ParentClosePolicy, bool) {
	switch s {
	case "", "terminate":
		return enumspb.PARENT_CLOSE_POLICY_TERMINATE, true
	case "requestCancel":
		return enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL, true
	case "abandon":
		return enumspb.PARENT_CLOSE_POLICY_ABANDON, true
	}
	return enumspb.PARENT_CLOSE_POLICY_UNSPECIFIED, false
}

// childWorkflow starts a child workflow and waits for its result, or only
// for its start when the step does not wait.
func (r *runner) childWorkflow(ctx workflow.Context, e *env, n *node) (any, error) {
	c := n.child
	tv, err := e.eval(c.workflow)
	if err != nil {
		return nil, exprFailure(n.path, "child.workflow", err)
	}
	wfType, ok := tv.(string)
	if !ok || strings.TrimSpace(wfType) == "" {
		return nil, exprFailure(n.path, "child.workflow", fmt.Errorf("the workflow type must be a non-empty string, got %s %q", typeName(tv), text(tv)))
	}
	with, err := e.eval(c.with)
	if err != nil {
		return nil, exprFailure(n.path, "child.with", err)
	}
	id := ""
	if c.id != nil {
		iv, err := e.eval(c.id)
		if err != nil {
			return nil, exprFailure(n.path, "child.id", err)
		}
		id = text(iv)
	}
	pcp, ok := parentClosePolicy(c.spec.ParentClosePolicy)
	if !ok {
		return nil, exprFailure(n.path, "child.parentClosePolicy", fmt.Errorf("unknown parent close policy %q", c.spec.ParentClosePolicy))
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:               id,
		TaskQueue:                c.spec.TaskQueue,
		WorkflowExecutionTimeout: time.Duration(c.spec.ExecutionTimeout),
		WorkflowRunTimeout:       time.Duration(c.spec.RunTimeout),
		WorkflowTaskTimeout:      time.Duration(c.spec.TaskTimeout),
		RetryPolicy:              c.retry,
		ParentClosePolicy:        pcp,
		// A waited-for child is part of the step: when the run is cancelled,
		// wait for the child to end (its own cleanup included).
		WaitForCancellation: c.spec.Wait,
		StaticSummary:       n.summary,
	})
	what := fmt.Sprintf("child workflow %q", wfType)
	args := []any{with}
	if c.envelope != nil {
		args = append(args, c.envelope)
	}
	fut := workflow.ExecuteChildWorkflow(cctx, wfType, args...)
	var exec workflow.Execution
	err = fut.GetChildWorkflowExecution().Get(ctx, &exec)
	r.waited()
	if err != nil {
		return nil, errorFailure(n.path, what, wfType, err, nil)
	}
	if !c.spec.Wait {
		return map[string]any{"workflowId": exec.ID, "runId": exec.RunID}, nil
	}
	res, err := r.result(ctx, fut)
	if err != nil {
		return nil, errorFailure(n.path, what, wfType, err, c.retry)
	}
	return res, nil
}

func (r *runner) signalWorkflow(ctx workflow.Context, e *env, n *node) (any, error) {
	s := n.signal
	idv, err := e.eval(s.workflowID)
	if err != nil {
		return nil, exprFailure(n.path, "signalWorkflow.workflowId", err)
	}
	runv, err := e.eval(s.runID)
	if err != nil {
		return nil, exprFailure(n.path, "signalWorkflow.runId", err)
	}
	with, err := e.eval(s.with)
	if err != nil {
		return nil, exprFailure(n.path, "signalWorkflow.with", err)
	}
	id := text(idv)
	if id == "" {
		return nil, exprFailure(n.path, "signalWorkflow.workflowId", fmt.Errorf("the workflow id is empty"))
	}
	err = workflow.SignalExternalWorkflow(ctx, id, text(runv), s.name, with).Get(ctx, nil)
	r.waited()
	if err != nil {
		return nil, errorFailure(n.path, fmt.Sprintf("signal %q to workflow %q", s.name, id), "", err, nil)
	}
	return nil, nil
}

// try runs the try steps; a failure that a catch matches runs that catch
// with the variable error; finally always runs, on a disconnected context
// when the run is being cancelled, and a failure in finally replaces the
// outcome. Catch blocks never see the run's own cancellation, nor
// expression or limit errors.
func (r *runner) try(ctx workflow.Context, sc *scope, n *node) (any, error) {
	t := n.try
	res, err := r.execList(ctx, sc, t.try)
	if f, ok := err.(*failure); ok && ctx.Err() == nil {
		for _, c := range t.catches {
			if f.matches(c.types) {
				csc := sc.child(false, binding{errorVar, f.info()})
				res, err = r.execList(ctx, csc, c.do)
				break
			}
		}
	}
	if len(t.finally) > 0 {
		fctx := ctx
		if ctx.Err() != nil {
			fctx, _ = workflow.NewDisconnectedContext(ctx)
		}
		if _, ferr := r.execList(fctx, sc, t.finally); ferr != nil {
			return nil, ferr
		}
	}
	return res, err
}

// fail raises an application error of the step's type.
func (r *runner) fail(e *env, n *node) error {
	f := n.fail
	mv, err := e.eval(f.message)
	if err != nil {
		return exprFailure(n.path, "fail.message", err)
	}
	details, err := e.eval(f.details)
	if err != nil {
		return exprFailure(n.path, "fail.details", err)
	}
	typ := f.typ
	if typ == "" {
		typ = DefaultFailType
	}
	return &failure{
		path:         n.path,
		typ:          typ,
		types:        []string{typ},
		message:      text(mv),
		details:      details,
		nonRetryable: f.nonRetryable,
	}
}

// continueAsNew ends the run as a continue-as-new that starts the
// definition again from its first step, with the new input (or the same)
// and the state, after the step's state assignments.
func (r *runner) continueAsNew(e *env, n *node) error {
	c := n.can
	input := r.input
	if c.input != nil {
		v, err := e.eval(c.input)
		if err != nil {
			return exprFailure(n.path, "continueAsNew.input", err)
		}
		input = v
	}
	if _, err := r.set(e, n.path, c.state); err != nil {
		return err
	}
	return &continueSignal{input: input, carry: &Carry{State: r.state}}
}

func (r *runner) log(ctx workflow.Context, e *env, n *node) error {
	v, err := e.eval(n.log.message)
	if err != nil {
		return exprFailure(n.path, "log", err)
	}
	logger := workflow.GetLogger(ctx)
	msg := text(v)
	switch n.log.level {
	case "debug":
		logger.Debug(msg, "step", n.path)
	case "warn":
		logger.Warn(msg, "step", n.path)
	case "error":
		logger.Error(msg, "step", n.path)
	default:
		logger.Info(msg, "step", n.path)
	}
	return nil
}
