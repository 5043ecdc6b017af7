package interpreter

import (
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// The steps that work on state and the run's end: set, log, return, fail
// and continueAsNew (see dsl/step_set.go).

type setNode struct {
	assigns []assign
}

type logNode struct {
	message value
	level   string
}

type returnNode struct {
	value value
}

type failNode struct {
	message      value
	typ          string
	nonRetryable bool
	details      value
}

type canNode struct {
	input value // nil: the current input
	state []assign
}

func (c *compiler) log(kp string, l *dsl.LogStep, vars []string) *logNode {
	level := l.Level
	if level == "" {
		level = "info"
	}
	return &logNode{message: c.value(kp, l.Message, vars), level: level}
}

func (c *compiler) fail(kp string, f *dsl.FailStep, vars []string) *failNode {
	return &failNode{
		message:      c.value(kp+".message", f.Message, vars),
		typ:          f.Type,
		nonRetryable: f.NonRetryable,
		details:      c.value(kp+".details", f.Details, vars),
	}
}

// continueAsNew compiles a continueAsNew step; a nil body (the canonical
// form of `continueAsNew:`) carries the input and state as they are.
func (c *compiler) continueAsNew(kp string, s *dsl.ContinueAsNewStep, vars []string) *canNode {
	cn := &canNode{}
	if s != nil {
		cn.input = c.optValue(kp+".input", s.Input, vars)
		cn.state = c.assigns(kp+".state", s.State, vars)
	}
	return cn
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

// ret ends the run with the step's value as its output.
func (r *runner) ret(e *env, n *node, s *returnNode) (any, error) {
	v, err := e.eval(s.value)
	if err != nil {
		return nil, exprFailure(n.path, "return", err)
	}
	if f := checkPayload(e.ctx, n.path, "the return value", v); f != nil {
		return nil, f
	}
	return nil, &returnSignal{value: v}
}

// fail raises an application error of the step's type.
func (r *runner) fail(e *env, n *node, f *failNode) error {
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
func (r *runner) continueAsNew(e *env, n *node, c *canNode) error {
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
	return &continueSignal{input: input, carry: &Carry{State: r.state}, path: n.path}
}

func (r *runner) log(ctx workflow.Context, e *env, n *node, l *logNode) error {
	v, err := e.eval(l.message)
	if err != nil {
		return exprFailure(n.path, "log", err)
	}
	logger := workflow.GetLogger(ctx)
	msg := text(v)
	switch l.level {
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
