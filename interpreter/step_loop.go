package interpreter

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// The loops: forEach and while (see dsl/step_loop.go).

type forEachNode struct {
	items       value
	as, index   string
	concurrency int
	do          []*node
	// none is set when the loop keeps no iteration results (results:
	// none): its result is null and it carries none.
	none bool
	// reproducible is set when the items read nothing but the input: a run
	// that continues as new inside the loop evaluates them again instead
	// of carrying them.
	reproducible bool
}

type whileNode struct {
	cond value
	do   []*node
}

func (c *compiler) forEach(path, kp string, f *dsl.ForEachStep, vars []string) *forEachNode {
	as, index := f.As, f.Index
	if as == "" {
		as = "item"
	}
	if index == "" {
		index = "index"
	}
	inner := append(slices.Clone(vars), as, index)
	_, err := compileValue(f.Items, []string{dsl.VarInput})
	return &forEachNode{
		items:        c.value(kp, f.Items, vars),
		as:           as,
		index:        index,
		concurrency:  max(f.Concurrency, 1),
		do:           c.steps(path+".do", f.Do, inner),
		none:         f.Results == dsl.ResultsNone,
		reproducible: err == nil,
	}
}

func (c *compiler) while(path, kp string, w *dsl.WhileStep, vars []string) *whileNode {
	return &whileNode{cond: c.value(kp, w.Cond, vars), do: c.steps(path+".do", w.Do, vars)}
}

// forEach runs the body for every item, at most concurrency at a time, each
// iteration in a scope of its own. Its result is the list of iteration
// results in input order.
//
// Where the step is resumable (see cursor) and automatic continue-as-new
// is due, it continues as new between two iterations: a sequential loop
// before its next item, a concurrent one once the iterations it started
// have ended (it starts no more meanwhile). The new run resumes the loop
// at its next item with the results so far (Carry.Loop).
func (r *runner) forEach(ctx workflow.Context, e *env, sc *scope, n *node, f *forEachNode, cur cursor) (any, error) {
	lc := r.resumeLoop(cur.pos)
	start := 0
	var items []any
	if lc != nil {
		start = lc.Next
	}
	if lc != nil && lc.Items != nil {
		items = append(make([]any, start, start+len(lc.Items)), lc.Items...)
	} else {
		iv, err := e.eval(f.items)
		if err != nil {
			return nil, exprFailure(n.path, "forEach", err)
		}
		switch t := iv.(type) {
		case []any:
			items = t
		case nil:
		default:
			return nil, exprFailure(n.path, "forEach", fmt.Errorf("items must be a list, got %s", typeName(iv)))
		}
		if start > len(items) {
			return nil, definitionError("%s: the run resumes the loop at item %d of %d", n.path, start, len(items))
		}
	}
	var results []any // nil when the loop keeps none
	if !f.none {
		results = make([]any, len(items))
		if lc != nil {
			copy(results, lc.Results)
		}
	}
	// due reports whether the loop continues as new before item i.
	old := false
	due := func(i int) bool {
		if i == start || cur.pos == nil || old || !r.continueDue(ctx) {
			return false
		}
		if !newBehaviour(ctx, changeForEachContinue) {
			old = true
			return false
		}
		return true
	}
	carry := func(i int) error {
		l := &LoopCarry{At: cur.pos, Next: i}
		if !f.none {
			l.Results = results[:i]
		}
		if !f.reproducible {
			l.Items = items[i:]
		}
		return r.continueAt(cur.pos, l)
	}
	iteration := func(ctx workflow.Context, i int) error {
		isc := sc.child(true, binding{f.as, items[i]}, binding{f.index, i})
		res, err := r.execList(ctx, isc, f.do)
		if !f.none {
			results[i] = res
		}
		return err
	}
	if f.concurrency <= 1 || len(items)-start <= 1 {
		for i := start; i < len(items); i++ {
			if due(i) {
				return nil, carry(i)
			}
			if err := iteration(ctx, i); err != nil {
				return nil, err
			}
		}
		return f.result(results), nil
	}

	bctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	if act := singleActivity(f); act != nil && newBehaviour(ctx, changeForEachActivities) {
		stopAt, first := r.forEachActivities(ctx, bctx, cancel, sc, n, f, act, items, results, start, due)
		if first != nil {
			return nil, first
		}
		if stopAt >= 0 {
			return nil, carry(stopAt)
		}
		return f.result(results), nil
	}
	gctx := offRoot(bctx)
	inFlight, started, done := 0, 0, 0
	stopAt := -1
	var first error
	for i := start; i < len(items); i++ {
		if inFlight >= f.concurrency {
			if err := workflow.Await(ctx, r.rootCond(ctx, func() bool { return inFlight < f.concurrency || first != nil })); err != nil && first == nil {
				first = errorFailure(n.path, "", "", err, nil)
			}
			r.waited()
		}
		if first != nil {
			break
		}
		if due(i) {
			stopAt = i
			break
		}
		if err := r.countCoroutine(ctx, n.path); err != nil {
			first = err
			cancel()
			break
		}
		inFlight++
		started++
		workflow.GoNamed(gctx, fmt.Sprintf("%s.do#%d", n.path, i), func(ctx workflow.Context) {
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
	if stopAt >= 0 {
		return nil, carry(stopAt)
	}
	return f.result(results), nil
}

// result is the loop's result: its results, or null when it keeps none.
func (f *forEachNode) result(results []any) any {
	if f.none {
		return nil
	}
	return results
}

// resumeLoop returns the carried forEach when the step at pos is the one
// the run resumes in, once.
func (r *runner) resumeLoop(pos []int) *LoopCarry {
	if r.loop == nil || pos == nil || !slices.Equal(r.loop.At, pos) {
		return nil
	}
	lc := r.loop
	r.loop = nil
	return lc
}

// while runs the body while the condition holds. Where the loop is
// resumable (see cursor), each iteration after the first of a run may
// continue as new; the loop then resumes in the next run, where its
// condition is read again from the carried state, and a run that continued
// as new inside the body resumes there. Its result is the last
// iteration's.
func (r *runner) while(ctx workflow.Context, e *env, sc *scope, n *node, w *whileNode, cur cursor) (any, error) {
	var last any
	for iter := 0; ; iter++ {
		if iter == 0 && len(cur.resume) > 1 {
			res, err := r.execListAt(ctx, sc, w.do, into(cur.pos, 0, cur.resume))
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
			if err := r.countStep(ctx, n.path); err != nil {
				return nil, err
			}
		}
		e.refresh()
		ok, err := e.cond(w.cond)
		e.refresh() // not kept while the body runs
		if err != nil {
			return nil, exprFailure(n.path, "while", err)
		}
		if !ok {
			return last, nil
		}
		res, err := r.execListAt(ctx, sc, w.do, into(cur.pos, 0, nil))
		if err != nil {
			return nil, err
		}
		last = res
	}
}

// singleActivity returns the activity of a forEach whose body is one
// activity step, or nil.
func singleActivity(f *forEachNode) *activityNode {
	if len(f.do) != 1 {
		return nil
	}
	a, _ := f.do[0].data.(*activityNode)
	return a
}

// activityIteration is an iteration of forEachActivities whose activity
// runs.
type activityIteration struct {
	i    int
	sc   *scope
	st   stepRun
	fut  workflow.Future
	name string
}

// forEachActivities runs a concurrent forEach whose body is one activity
// step (the fan-out) without a coroutine per iteration: the forEach
// itself schedules each item's activity and waits for whichever completes,
// as a hand-written fan-out does. Every iteration coroutine was woken on
// every pass of the SDK's dispatcher, at a cost that grew with the
// concurrency; this path does the same work with one. The iterations are
// the same: the step counts, metrics, step ids, results, failures and
// continue-as-new (due) of the general path. It returns the item to
// continue as new before (-1: none) or the first failure.
func (r *runner) forEachActivities(ctx, bctx workflow.Context, cancel func(), sc *scope, n *node, f *forEachNode, act *activityNode,
	items, results []any, start int, due func(int) bool) (int, error) {
	body := f.do[0]
	var first error
	var pending []*activityIteration
	fail := func(err error) {
		if first == nil {
			first = err
			cancel()
		}
	}
	// collect ends the iterations whose activity completed, in the order
	// they started.
	collect := func() {
		kept := pending[:0]
		for _, it := range pending {
			if !it.fut.IsReady() {
				kept = append(kept, it)
				continue
			}
			res, err := r.result(bctx, it.fut)
			res, err = r.activityResult(body, act, it.name, res, err)
			res, err = r.endStep(bctx, it.sc, body, it.st, res, err)
			if results != nil {
				results[it.i] = res
			}
			if err != nil {
				fail(err)
			}
		}
		clear(pending[len(kept):])
		pending = kept
	}
	ready := func() bool {
		for _, it := range pending {
			if it.fut.IsReady() {
				return true
			}
		}
		return false
	}
	// wait blocks until an activity completed (or, interruptible, the run
	// is cancelled), then ends what completed.
	var dctx workflow.Context
	wait := func(interruptible bool) {
		blocked := !ready()
		wctx := ctx
		if !interruptible {
			if dctx == nil {
				dctx, _ = workflow.NewDisconnectedContext(ctx)
			}
			wctx = dctx
		}
		err := workflow.Await(wctx, r.rootCond(ctx, func() bool { return ready() || interruptible && first != nil }))
		r.waitedFor(bctx, blocked && err == nil)
		if err != nil {
			fail(errorFailure(n.path, "", "", err, nil))
		}
		collect()
	}
	stopAt := -1
	for i := start; i < len(items); i++ {
		for len(pending) >= f.concurrency && first == nil {
			wait(true)
		}
		if first != nil {
			break
		}
		if due(i) {
			stopAt = i
			break
		}
		if err := r.countCoroutine(ctx, n.path); err != nil {
			fail(err)
			break
		}
		isc := sc.child(true, binding{f.as, items[i]}, binding{f.index, i})
		st, err := r.beginStep(bctx, body)
		if err != nil {
			fail(err)
			break
		}
		fut, name, err := r.startActivity(bctx, r.env(bctx, isc), body, act)
		if err != nil {
			_, err = r.endStep(bctx, isc, body, st, nil, err)
			fail(err)
			break
		}
		pending = append(pending, &activityIteration{i: i, sc: isc, st: st, fut: fut, name: name})
	}
	for len(pending) > 0 {
		wait(false)
	}
	return stopAt, first
}
