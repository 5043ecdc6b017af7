package interpreter

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// The steps that run branches concurrently: parallel and race (see
// dsl/step_parallel.go).

type parallelNode struct {
	branches [][]*node
}

type raceNode struct {
	branches [][]*node
}

func (c *compiler) branches(kp string, s *dsl.ParallelStep, vars []string) [][]*node {
	var out [][]*node
	for i, b := range s.Branches {
		out = append(out, c.steps(fmt.Sprintf("%s[%d]", kp, i), b, vars))
	}
	return out
}

// parallel runs every branch as a coroutine and waits for all of them. The
// first failure cancels the other branches; the step fails with it once
// they have ended. Its result is the list of branch results.
func (r *runner) parallel(ctx workflow.Context, sc *scope, n *node, p *parallelNode) (any, error) {
	results := make([]any, len(p.branches))
	bctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	done := 0
	var first error
	started := 0
	for i, branch := range p.branches {
		if err := r.countCoroutine(ctx, n.path); err != nil {
			first = err
			cancel()
			break
		}
		started++
		workflow.GoNamed(offRoot(bctx), fmt.Sprintf("%s.parallel[%d]", n.path, i), func(ctx workflow.Context) {
			res, err := r.execList(ctx, sc, branch)
			results[i] = res
			if err != nil && first == nil {
				first = err
				cancel()
			}
			done++
		})
	}
	r.awaitAll(ctx, func() bool { return done == started })
	if first != nil {
		return nil, first
	}
	return results, nil
}

// race runs every branch as a coroutine; the first to end, with a result
// or a failure, decides the step, and the others are cancelled. The step
// ends once every branch has. Its result is {branch, result}.
func (r *runner) race(ctx workflow.Context, sc *scope, n *node, p *raceNode) (any, error) {
	bctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	done := 0
	winner := -1
	var res any
	var err error
	started := 0
	var limit error
	for i, branch := range p.branches {
		if limit = r.countCoroutine(ctx, n.path); limit != nil {
			cancel()
			break
		}
		started++
		workflow.GoNamed(offRoot(bctx), fmt.Sprintf("%s.race[%d]", n.path, i), func(ctx workflow.Context) {
			br, berr := r.execList(ctx, sc, branch)
			if winner < 0 {
				winner, res, err = i, br, berr
				cancel()
			}
			done++
		})
	}
	r.awaitAll(ctx, func() bool { return done == started })
	if limit != nil {
		return nil, limit
	}
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
	_ = workflow.Await(dctx, r.rootCond(ctx, cond))
	r.waited()
}
