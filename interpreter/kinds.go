package interpreter

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// Each step kind's compiled form, its compiler and its execution live in
// one file, step_*.go, named as the dsl package's file that declares the
// kind. This file holds the two switches that name every kind: the one
// that compiles a step's body into its node, and dispatch, which runs it.

// compileBody compiles the body of s into n.data.
func (c *compiler) compileBody(n *node, s *dsl.Step, vars []string) {
	path, kp := n.path, n.path+"."+string(s.Kind)
	switch s.Kind {
	case dsl.KindActivity:
		if b, ok := bodyOf[dsl.ActivityStep](c, n, s); ok {
			n.data = c.activity(path, kp, b, vars)
		}
	case dsl.KindSet:
		b, _ := s.Body.(dsl.SetStep)
		n.data = &setNode{assigns: c.assigns(kp, b, vars)}
	case dsl.KindIf:
		if b, ok := bodyOf[dsl.IfStep](c, n, s); ok {
			n.data = c.ifStep(path, kp, b, vars)
		}
	case dsl.KindSwitch:
		if b, ok := bodyOf[dsl.SwitchStep](c, n, s); ok {
			n.data = c.switchStep(path, kp, b, vars)
		}
	case dsl.KindParallel:
		if b, ok := bodyOf[dsl.ParallelStep](c, n, s); ok {
			n.data = &parallelNode{branches: c.branches(kp, b, vars)}
		}
	case dsl.KindRace:
		if b, ok := bodyOf[dsl.ParallelStep](c, n, s); ok {
			n.data = &raceNode{branches: c.branches(kp, b, vars)}
		}
	case dsl.KindForEach:
		if b, ok := bodyOf[dsl.ForEachStep](c, n, s); ok {
			n.data = c.forEach(path, kp, b, vars)
		}
	case dsl.KindWhile:
		if b, ok := bodyOf[dsl.WhileStep](c, n, s); ok {
			n.data = c.while(path, kp, b, vars)
		}
	case dsl.KindSleep:
		if b, ok := bodyOf[dsl.SleepStep](c, n, s); ok {
			n.data = &sleepNode{value: c.value(kp, b.Value, vars)}
		}
	case dsl.KindSleepUntil:
		if b, ok := bodyOf[dsl.SleepStep](c, n, s); ok {
			n.data = &sleepUntilNode{value: c.value(kp, b.Value, vars)}
		}
	case dsl.KindAwait:
		if b, ok := bodyOf[dsl.AwaitStep](c, n, s); ok {
			n.data = c.await(kp, b, vars)
		}
	case dsl.KindChild:
		if b, ok := bodyOf[dsl.ChildStep](c, n, s); ok {
			n.data = c.child(kp, b, vars)
		}
	case dsl.KindSignalWorkflow:
		if b, ok := bodyOf[dsl.SignalWorkflowStep](c, n, s); ok {
			n.data = c.signalWorkflow(kp, b, vars)
		}
	case dsl.KindTry:
		if b, ok := bodyOf[dsl.TryStep](c, n, s); ok {
			n.data = c.try(path, kp, b, vars)
		}
	case dsl.KindAssert:
		if b, ok := bodyOf[dsl.AssertStep](c, n, s); ok {
			n.data = c.assert(kp, b, vars)
		}
	case dsl.KindFail:
		if b, ok := bodyOf[dsl.FailStep](c, n, s); ok {
			n.data = c.fail(kp, b, vars)
		}
	case dsl.KindReturn:
		var v dsl.Value
		if b, _ := s.Body.(*dsl.ReturnStep); b != nil {
			v = b.Value
		}
		n.data = &returnNode{value: c.value(kp, v, vars)}
	case dsl.KindContinueAsNew:
		b, _ := s.Body.(*dsl.ContinueAsNewStep)
		n.data = c.continueAsNew(kp, b, vars)
	case dsl.KindUpsert:
		if b, ok := bodyOf[dsl.UpsertStep](c, n, s); ok {
			n.data = c.upsert(kp, b, vars)
		}
	case dsl.KindLog:
		if b, ok := bodyOf[dsl.LogStep](c, n, s); ok {
			n.data = c.log(kp, b, vars)
		}
	default:
		c.errorf(n.path, "unknown step kind %q", s.Kind)
	}
}

// bodyOf returns the body of s as a *T, reporting a step whose body is
// missing or of another type.
func bodyOf[T any](c *compiler, n *node, s *dsl.Step) (*T, bool) {
	b, _ := any(s.Body).(*T)
	if b == nil {
		c.errorf(n.path, "step of kind %q has no %s field", s.Kind, s.Kind)
		return nil, false
	}
	return b, true
}

// dispatch runs a compiled step.
func (r *runner) dispatch(ctx workflow.Context, sc *scope, n *node, cur cursor) (any, error) {
	e := r.env(ctx, sc)
	switch d := n.data.(type) {
	case *activityNode:
		return r.activity(ctx, e, n, d)
	case *setNode:
		return r.set(e, n.path, d.assigns)
	case *ifNode:
		return r.ifStep(ctx, e, sc, n, d, cur)
	case *switchNode:
		return r.switchStep(ctx, e, sc, n, d, cur)
	case *parallelNode:
		return r.parallel(ctx, sc, n, d)
	case *raceNode:
		return r.race(ctx, sc, n, d)
	case *forEachNode:
		return r.forEach(ctx, e, sc, n, d, cur)
	case *whileNode:
		return r.while(ctx, e, sc, n, d, cur)
	case *sleepNode:
		return r.sleep(ctx, e, n, d)
	case *sleepUntilNode:
		return r.sleepUntil(ctx, e, n, d)
	case *awaitNode:
		return r.await(ctx, e, n, d, cur)
	case *childNode:
		return r.childWorkflow(ctx, e, n, d)
	case *signalNode:
		return r.signalWorkflow(ctx, e, n, d)
	case *tryNode:
		return r.try(ctx, sc, d)
	case *assertNode:
		return r.assert(e, n, d)
	case *failNode:
		return nil, r.fail(e, n, d)
	case *returnNode:
		return r.ret(e, n, d)
	case *canNode:
		return nil, r.continueAsNew(e, n, d)
	case *upsertNode:
		return r.upsert(ctx, e, n, d)
	case *logNode:
		return nil, r.log(ctx, e, n, d)
	}
	return nil, limitFailure(n.path, fmt.Sprintf("unknown step kind %q", n.kind))
}
