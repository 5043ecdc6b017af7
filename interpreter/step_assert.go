package interpreter

import (
	"fmt"

	"github.com/dslrun/dslrun/dsl"
)

// The assert step (see dsl/step_assert.go).

// AssertionFailedType is the failure type of an assert step whose
// condition does not hold.
const AssertionFailedType = "AssertionFailed"

type assertNode struct {
	cond    value
	message value // nil: the condition's text
	text    string
}

func (c *compiler) assert(kp string, a *dsl.AssertStep, vars []string) *assertNode {
	n := &assertNode{cond: c.value(kp, a.Cond, vars), message: c.optValue(kp+".message", a.Message, vars)}
	if s, ok := a.Cond.(string); ok {
		n.text = s
	} else {
		n.text = fmt.Sprint(a.Cond)
	}
	return n
}

// assert fails the step, non-retryably, when the condition does not hold;
// its result is true.
func (r *runner) assert(e *env, n *node, a *assertNode) (any, error) {
	ok, err := e.cond(a.cond)
	if err != nil {
		return nil, exprFailure(n.path, "assert", err)
	}
	if ok {
		return true, nil
	}
	msg := "assertion failed: " + a.text
	if a.message != nil {
		v, err := e.eval(a.message)
		if err != nil {
			return nil, exprFailure(n.path, "message", err)
		}
		msg = text(v)
	}
	return nil, &failure{
		path:         n.path,
		typ:          AssertionFailedType,
		types:        []string{AssertionFailedType},
		message:      msg,
		nonRetryable: true,
	}
}
