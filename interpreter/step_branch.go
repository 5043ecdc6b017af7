package interpreter

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// The steps that choose what runs: if, switch and try (see
// dsl/step_branch.go).

type ifNode struct {
	cond value
	then []*node
	els  []*node
}

type switchNode struct {
	cases []caseNode
	deflt []*node
}

type caseNode struct {
	when value
	do   []*node
}

type tryNode struct {
	try     []*node
	catches []catchNode
	finally []*node
}

type catchNode struct {
	types []string // empty or containing "*": any failure
	do    []*node
}

func (c *compiler) ifStep(path, kp string, s *dsl.IfStep, vars []string) *ifNode {
	return &ifNode{
		cond: c.value(kp, s.Cond, vars),
		then: c.steps(path+".then", s.Then, vars),
		els:  c.steps(path+".else", s.Else, vars),
	}
}

func (c *compiler) switchStep(path, kp string, s *dsl.SwitchStep, vars []string) *switchNode {
	sn := &switchNode{deflt: c.steps(path+".default", s.Default, vars)}
	for i, cs := range s.Cases {
		cp := fmt.Sprintf("%s[%d]", kp, i)
		sn.cases = append(sn.cases, caseNode{
			when: c.value(cp+".when", cs.When, vars),
			do:   c.steps(cp+".do", cs.Do, vars),
		})
	}
	return sn
}

func (c *compiler) try(path, kp string, t *dsl.TryStep, vars []string) *tryNode {
	tn := &tryNode{
		try:     c.steps(kp, t.Try, vars),
		finally: c.steps(path+".finally", t.Finally, vars),
	}
	cvars := append(slices.Clone(vars), errorVar)
	for i, ct := range t.Catch {
		tn.catches = append(tn.catches, catchNode{
			types: ct.Types,
			do:    c.steps(fmt.Sprintf("%s.catch[%d].do", path, i), ct.Do, cvars),
		})
	}
	return tn
}

// ifStep runs then or else. A run that continued as new inside a branch
// resumes in it: the condition was read by the previous run.
func (r *runner) ifStep(ctx workflow.Context, e *env, sc *scope, n *node, s *ifNode, cur cursor) (any, error) {
	if len(cur.resume) > 1 {
		if cur.resume[0] == 0 {
			return r.execListAt(ctx, sc, s.then, into(cur.pos, 0, cur.resume))
		}
		return r.execListAt(ctx, sc, s.els, into(cur.pos, 1, cur.resume))
	}
	ok, err := e.cond(s.cond)
	if err != nil {
		return nil, exprFailure(n.path, "if", err)
	}
	if ok {
		return r.execListAt(ctx, sc, s.then, into(cur.pos, 0, nil))
	}
	return r.execListAt(ctx, sc, s.els, into(cur.pos, 1, nil))
}

// switchStep runs the first case whose condition holds, else the default;
// like if, it resumes in the branch a continue-as-new left.
func (r *runner) switchStep(ctx workflow.Context, e *env, sc *scope, n *node, s *switchNode, cur cursor) (any, error) {
	if len(cur.resume) > 1 {
		if i := cur.resume[0]; i < len(s.cases) {
			return r.execListAt(ctx, sc, s.cases[i].do, into(cur.pos, i, cur.resume))
		}
		return r.execListAt(ctx, sc, s.deflt, into(cur.pos, len(s.cases), cur.resume))
	}
	for i, c := range s.cases {
		ok, err := e.cond(c.when)
		if err != nil {
			return nil, exprFailure(n.path, fmt.Sprintf("switch[%d].when", i), err)
		}
		if ok {
			return r.execListAt(ctx, sc, c.do, into(cur.pos, i, nil))
		}
	}
	return r.execListAt(ctx, sc, s.deflt, into(cur.pos, len(s.cases), nil))
}

// try runs the try steps; a failure that a catch matches runs that catch
// with the variable error; finally always runs, on a disconnected context
// when the run is being cancelled, and a failure in finally replaces the
// outcome. Catch blocks never see the run's own cancellation, nor
// expression or limit errors.
func (r *runner) try(ctx workflow.Context, sc *scope, t *tryNode) (any, error) {
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
