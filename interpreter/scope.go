package interpreter

import (
	"maps"

	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// binding is one expression variable of a scope.
type binding struct {
	name  string
	value any
}

// scope is where a step runs: the variables it adds (loop variables,
// handler arguments, the error in catch) and, for the run itself and for
// each forEach iteration, the results of the steps with an id.
type scope struct {
	parent *scope
	vars   []binding
	// own is set when the steps with an id that run in the scope record
	// in steps, which maps their ids to {result} or {error} and is made on
	// the first record; otherwise they record into the parent's.
	own   bool
	steps map[string]any
}

// child returns a scope below s with more variables. When ownSteps is set,
// the steps with an id that run in it record there (a forEach iteration);
// otherwise they record where s does.
func (s *scope) child(ownSteps bool, vars ...binding) *scope {
	return &scope{parent: s, vars: vars, own: ownSteps}
}

// record stores the entry of step id in the nearest scope that keeps steps.
func (s *scope) record(id string, entry map[string]any) {
	for c := s; c != nil; c = c.parent {
		if c.own {
			if c.steps == nil {
				c.steps = map[string]any{}
			}
			c.steps[id] = entry
			return
		}
	}
}

// stepsView returns the steps visible from s: inner scopes shadow outer
// ones. The result is a new map, safe to hand to an expression.
func (s *scope) stepsView() map[string]any {
	var chain []map[string]any
	for c := s; c != nil; c = c.parent {
		if c.steps != nil {
			chain = append(chain, c.steps)
		}
	}
	if len(chain) == 0 {
		return map[string]any{}
	}
	out := maps.Clone(chain[len(chain)-1])
	for i := len(chain) - 2; i >= 0; i-- {
		m := chain[i]
		for _, k := range dsl.SortedKeys(m) {
			out[k] = m[k]
		}
	}
	return out
}

// vars builds the expression environment of a step running in sc. State and
// steps are copies, so a value an expression returns never aliases the
// run's own maps.
func (r *runner) vars(ctx workflow.Context, sc *scope) map[string]any {
	m := map[string]any{
		"input":    r.input,
		"state":    maps.Clone(r.state),
		"steps":    sc.stepsView(),
		"workflow": r.workflowVars(ctx),
	}
	for c := sc; c != nil; c = c.parent {
		for _, b := range c.vars {
			if _, shadowed := m[b.name]; !shadowed {
				m[b.name] = b.value
			}
		}
	}
	return m
}

// workflowVars is the variable workflow: facts about the run, all
// deterministic (now is workflow time).
func (r *runner) workflowVars(ctx workflow.Context) map[string]any {
	info := workflow.GetInfo(ctx)
	return map[string]any{
		"id":                     info.WorkflowExecution.ID,
		"runId":                  info.WorkflowExecution.RunID,
		"name":                   r.plan.name,
		"type":                   info.WorkflowType.Name,
		"taskQueue":              info.TaskQueueName,
		"attempt":                int(info.Attempt),
		"historyLength":          info.GetCurrentHistoryLength(),
		"now":                    workflow.Now(ctx),
		"continueAsNewSuggested": info.GetContinueAsNewSuggested(),
	}
}
