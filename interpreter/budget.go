package interpreter

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// Version gates (workflow.GetVersion) of behaviour added after the first
// release. Each is asked lazily, only where the new behaviour would differ
// from the old one: a run that never gets there records no marker, and the
// replay of a history recorded before the change takes the old path
// (DefaultVersion) where the new code would have failed it.
const (
	// changeWorkBudget: coroutines count toward the budget of work without
	// waiting, which joins of parallel, race and forEach no longer reset.
	changeWorkBudget = "dslrun.work-budget"
	// changeForEachContinue: a forEach where automatic continue-as-new is
	// possible (see cursor) continues as new between its iterations, the
	// concurrent one once its running iterations have ended, carrying its
	// position and results (Carry.Loop).
	changeForEachContinue = "dslrun.foreach-continue-as-new"
	// changeHistoryGuard: a run whose history passes maxHistoryEvents fails
	// at its next step instead of growing until Temporal terminates it.
	changeHistoryGuard = "dslrun.history-guard"
	// changeCompactEnvelope: continue-as-new and child steps send the
	// definition compressed (NewEnvelope), no longer as JSON.
	changeCompactEnvelope = "dslrun.compact-envelope"
	// changeForEachActivities: a concurrent forEach whose body is one
	// activity step schedules and waits for the activities itself, with no
	// coroutine per iteration (forEachActivities).
	changeForEachActivities = "dslrun.foreach-activities"
	// changeAwaitContinue: an await where automatic continue-as-new is
	// possible (see cursor) continues as new while it waits, once it is due
	// and no handler runs, carrying the deadline of its timeout
	// (Carry.Await).
	changeAwaitContinue = "dslrun.await-continue-as-new"
)

// newBehaviour reports whether the run takes the behaviour of changeID:
// always in a new run, never in the replay of a history recorded before
// the change.
func newBehaviour(ctx workflow.Context, changeID string) bool {
	return workflow.GetVersion(ctx, changeID, workflow.DefaultVersion, 1) >= 1
}

// maxTaskCoroutines bounds the coroutines (iterations of a concurrent
// forEach, branches of parallel and race) a run starts without really
// waiting once. Each also counts toward maxBusySteps.
const maxTaskCoroutines = 5_000

// workBudget counts the work a run did since it last really waited: steps,
// while iterations and coroutines. It is the budget maxBusySteps bounds
// since changeWorkBudget; busy (the first release's count) is kept beside
// it, since the replay of an older history must fail where it failed.
//
// The count starts again when a new workflow task has started (the history
// length at its start changed), and when the run waited for a future that
// was not ready and was not cancelled meanwhile (an activity, local
// activity, timer, child or signal: only an event resolves such a future,
// and local activities complete without a new workflow task). A join of
// coroutines, an await whose condition another coroutine made true, a
// cancelled timer: none of them let the worker go, so none of them start
// the count again.
type workBudget struct {
	steps     int
	coroutine int
	epoch     int
	// old is set once the run has asked changeWorkBudget and takes the
	// old behaviour: the count no longer fails the run.
	old bool
}

// renewWork starts the count again when a new workflow task has started.
func (r *runner) renewWork(ctx workflow.Context) {
	if epoch := workflow.GetInfo(ctx).GetCurrentHistoryLength(); epoch != r.work.epoch {
		r.work = workBudget{epoch: epoch, old: r.work.old}
	}
}

// countStep counts one step or loop iteration at path, and fails it when
// the run did too much work without waiting, or when its history is over
// the guard.
func (r *runner) countStep(ctx workflow.Context, path string) error {
	r.busy++
	if r.busy > maxBusySteps {
		return limitFailure(path, fmt.Sprintf("the run executed %d steps without waiting once (a loop that never waits?)", maxBusySteps))
	}
	r.renewWork(ctx)
	r.work.steps++
	if err := r.checkWork(ctx, path); err != nil {
		return err
	}
	return r.checkHistory(ctx, path)
}

// countCoroutine counts a coroutine about to start for the step at path.
func (r *runner) countCoroutine(ctx workflow.Context, path string) error {
	r.renewWork(ctx)
	r.work.steps++
	r.work.coroutine++
	if err := r.checkWork(ctx, path); err != nil {
		return err
	}
	return r.checkHistory(ctx, path)
}

// maxHistoryEvents is the history guard: a run whose history has more
// events than this fails at its next step or iteration with
// LimitExceeded, since it reached it where automatic continue-as-new is
// not taken (inside parallel, race, try, a handler or a forEach's body,
// or with continueAsNew disabled). Temporal's default limit, at which the
// server terminates the run without running any finally, is 51,200
// events; the margin leaves room for cancelling what runs and for the
// finally blocks. A variable only so that tests can lower it.
var maxHistoryEvents = 40_960

// historyGuard is the state of the history guard of a run.
type historyGuard struct {
	// done is set once the guard has failed the run, or the run took the
	// old behaviour (changeHistoryGuard): it fails a run once, and the
	// finally blocks that run after that are not failed again.
	done bool
}

// checkHistory fails the step at path when the history is over
// maxHistoryEvents.
func (r *runner) checkHistory(ctx workflow.Context, path string) error {
	if r.history.done {
		return nil
	}
	n := workflow.GetInfo(ctx).GetCurrentHistoryLength()
	if n <= maxHistoryEvents {
		return nil
	}
	r.history.done = true
	if !newBehaviour(ctx, changeHistoryGuard) {
		return nil
	}
	return limitFailure(path, fmt.Sprintf("the run's history has %d events, over the limit of %d, at a step where it cannot continue as new "+
		"(inside parallel, race, try, a handler or a forEach's body, or with continueAsNew disabled); Temporal would terminate the run at 51,200 events. "+
		"Move the loop to the top level (or into while, if or switch there), or end each round with a continueAsNew step", n, maxHistoryEvents))
}

func (r *runner) checkWork(ctx workflow.Context, path string) error {
	if r.work.old {
		return nil
	}
	var msg string
	switch {
	case r.work.coroutine > maxTaskCoroutines:
		msg = fmt.Sprintf("the run started %d coroutines (parallel branches, race branches, forEach iterations) without waiting once", maxTaskCoroutines)
	case r.work.steps > maxBusySteps:
		msg = fmt.Sprintf("the run executed %d steps and coroutines without waiting once (a loop that never waits?)", maxBusySteps)
	default:
		return nil
	}
	if !newBehaviour(ctx, changeWorkBudget) {
		r.work.old = true
		return nil
	}
	return limitFailure(path, msg)
}

// waitedFor notes that the run waited for a future (see workBudget);
// blocked tells whether the future was not ready when the wait began.
func (r *runner) waitedFor(ctx workflow.Context, blocked bool) {
	r.waited()
	if blocked && ctx.Err() == nil {
		r.work.steps, r.work.coroutine = 0, 0
	}
}
