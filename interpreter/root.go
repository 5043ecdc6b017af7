package interpreter

import (
	"go.temporal.io/sdk/workflow"
)

// The steps run on the run's root coroutine: the coroutine the SDK runs
// the workflow function in, as a hand-written workflow does its work.
// Releases before this one ran them in a coroutine of their own ("dslrun
// steps") while the root waited for them and took the signals' turn
// (rootAwait), and the order in which the two coroutines acted is recorded
// in every history. One coroutine fewer is a goroutine, its state and
// its stack less for every open run (docs/benchmarks.md, "Large forEach
// and open runs"), so the steps now act for both, in the same order, and
// no version gate is needed:
//
//   - The SDK resumes its coroutines in the order they were made, every
//     one on every pass of its dispatcher, the root first. So on each
//     pass the root took its turn (rootTurn: the run's stop, then pending
//     signals) and then the steps theirs. Every call on which the steps
//     block on the root coroutine (rootCond, rootGet) takes the root's turn
//     each time it is resumed, before it looks at its own condition. The
//     first evaluation of a condition happens before the call blocks,
//     within the steps' own turn, so it takes none.
//   - Where the root acted on a pass it made progress, so the dispatcher
//     made another pass; rootTurn marks progress the same way (progress).
//   - The root noticed that the steps had ended on the pass after they
//     did (endTurn).
//
// A call blocks "on the root coroutine" when its context descends from the
// steps' context (rootKey) and not from a coroutine a step started
// (offRoot).

// rootKey marks the contexts of the steps that run on the root coroutine.
type rootKey struct{}

// onRoot reports whether ctx belongs to the steps on the root coroutine.
func onRoot(ctx workflow.Context) bool {
	v, _ := ctx.Value(rootKey{}).(bool)
	return v
}

// offRoot is ctx for the coroutines a step starts (forEach iterations,
// parallel and race branches): their blocking calls are their own.
func offRoot(ctx workflow.Context) workflow.Context {
	if !onRoot(ctx) {
		return ctx
	}
	return workflow.WithValue(ctx, rootKey{}, false)
}

// rootCond is cond for a blocking call (workflow.Await and
// workflow.AwaitWithOptions) with ctx: on the root coroutine, each
// evaluation after the first, that is each one after the call blocked,
// takes the root's turn first. Both calls evaluate cond once before they
// block (AwaitWithOptions does since the SDK flag
// CancelAwaitTimerOnCondition, which every worker of this project sets).
func (r *runner) rootCond(ctx workflow.Context, cond func() bool) func() bool {
	if !onRoot(ctx) {
		return cond
	}
	first := true
	return func() bool {
		if first {
			first = false
		} else {
			r.rootTurn()
		}
		return cond()
	}
}

// rootGet is fut.Get(ctx, valuePtr). On the root coroutine it waits for
// the future with rootCond first: Get blocks until the future is ready
// whether or not ctx is cancelled, and so does an Await on r.waitCtx.
func (r *runner) rootGet(ctx workflow.Context, fut workflow.Future, valuePtr any) error {
	if onRoot(ctx) && !fut.IsReady() {
		_ = workflow.Await(r.waitCtx, r.rootCond(ctx, fut.IsReady))
	}
	return fut.Get(ctx, valuePtr)
}

// rootTurn is what the root coroutine of earlier releases did on a pass
// while the steps' coroutine ran (it waited in rootAwait for the steps to
// end or a handler to stop the run): once a handler has stopped the run,
// cancel the steps and take the signals' turn; otherwise take it when a
// signal is pending.
func (r *runner) rootTurn() {
	switch {
	case r.stop != nil && !r.stopSeen:
		r.stopSeen = true
		r.cancelSteps()
	case !r.signalsPending(r.runCtx):
		return
	}
	r.signalTurn(r.runCtx)
	r.progress()
}

// progress marks that the root coroutine made progress on this pass, as
// a blocking call does when it returns: the dispatcher makes another pass
// before the workflow task ends.
func (r *runner) progress() {
	_ = workflow.Await(r.waitCtx, func() bool { return true })
}

// endTurn blocks the root coroutine until the next pass, after the steps
// ended: the pass on which the root noticed that their coroutine had.
func (r *runner) endTurn() {
	r.progress() // the steps' coroutine ended on this pass
	asked := false
	_ = workflow.Await(r.waitCtx, func() bool {
		if !asked {
			asked = true
			return false
		}
		return true
	})
}
