package expression

import (
	"errors"
	"fmt"
	"sync"

	"github.com/expr-lang/expr/vm"
)

// Eval evaluates the program over vars, a map from variable name to value,
// and returns the normalised result (see Normalize). Every variable the
// expression uses must be in vars; values are used as they are (a
// time.Time such as workflow.now keeps its methods). Errors are *Error, or
// *LimitError when the evaluation exceeded a limit; positions are within
// the expression source. Eval never panics.
func (p *Program) Eval(vars map[string]any) (any, error) {
	b := &budget{}
	v, err := p.run(vars, b)
	if err != nil {
		return nil, err
	}
	return p.normalizeResult(v, b)
}

// EvalBool evaluates a condition, whose result must be a bool.
func (p *Program) EvalBool(vars map[string]any) (bool, error) {
	v, err := p.Eval(vars)
	if err != nil {
		return false, err
	}
	return p.asBool(v)
}

func (p *Program) asBool(v any) (bool, error) {
	ok, isBool := v.(bool)
	if !isBool {
		return false, errorAtByte(p.src, firstToken(p.src), fmt.Sprintf("condition must be a bool, got %s", typeName(v)))
	}
	return ok, nil
}

func (p *Program) normalizeResult(v any, b *budget) (any, error) {
	out, err := normalizeValue(v, b)
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			cp := *le
			cp.Offset = firstToken(p.src)
			cp.Line, cp.Col = lineCol(p.src, cp.Offset)
			return nil, &cp
		}
		return nil, errorAtByte(p.src, firstToken(p.src), "invalid result: "+err.Error())
	}
	return out, nil
}

// vms are the machines expressions run on. A machine starts every run
// afresh (its position, stack, scopes and memory count); reusing one
// saves its allocations, and keeps it off the caller's stack: a waiting
// workflow's stack is as large as its deepest evaluation needed
// (docs/benchmarks.md, "Large forEach and open runs").
var vms = sync.Pool{New: func() any { return &vm.VM{MemoryBudget: MemoryBudget} }}

// run evaluates the program with budget b and returns expr's raw result.
func (p *Program) run(vars map[string]any, b *budget) (out any, err error) {
	env := make(map[string]any, len(p.uses)+1)
	for _, u := range p.uses {
		v, ok := vars[u.name]
		if !ok {
			e := *u.pos
			e.Msg = fmt.Sprintf("variable %q is not set", u.name)
			return nil, &e
		}
		env[u.name] = v
	}
	env[budgetVar] = b
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, errorAtByte(p.src, firstToken(p.src), fmt.Sprintf("internal error evaluating expression: %v", r))
		}
	}()
	machine := vms.Get().(*vm.VM)
	defer vms.Put(machine)
	out, err = machine.Run(p.prog, env)
	if err != nil {
		return nil, fromFileError(p.src, err)
	}
	return out, nil
}
