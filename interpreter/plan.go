package interpreter

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/xeipuuv/gojsonschema"
	"go.temporal.io/sdk/temporal"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/internal/jsonschema"
)

// plan is a definition compiled for execution: every template parsed and
// compiled once, step paths computed, maps turned into sorted slices. A
// plan is immutable and shared by every run of the same definition on a
// worker.
type plan struct {
	// def is the canonical definition the plan was made from: its runs
	// share it (they send it again when they continue as new).
	def    []byte
	name   string
	steps  []*node
	state  []assign
	output value
	input  *gojsonschema.Schema
	// inputObject is set when the input schema says type: object; a run
	// started without input then gets {}, as dslrun apply starts it.
	inputObject bool
	autoCAN     bool
	afterEvents int

	signals     map[string]*signalPlan
	signalNames []string // sorted, without "*"
	anySignal   *signalPlan
	queries     map[string]value
	queryNames  []string // sorted, without "*"
	updates     map[string]*updatePlan
	updateNames []string // sorted, without "*"
}

type assign struct {
	key string
	val value
}

type signalPlan struct {
	name string
	set  []assign
	do   []*node
}

type updatePlan struct {
	name     string
	args     *gojsonschema.Schema
	validate value // nil: always valid
	do       []*node
	ret      value
}

// node is one compiled step.
type node struct {
	path string
	id   string
	kind dsl.Kind
	// summary labels the step's timers and activities in the Temporal UI.
	summary string

	// data is the compiled body: *activityNode, *setNode, *ifNode, …
	// (see kinds.go).
	data any
}

// compiler turns a dsl.Workflow into a plan, collecting errors.
type compiler struct {
	errs []error
	// children is the definition's table of child definitions
	// (dsl.Workflow.Children); sent holds the envelope made for each
	// child definition from it, by hash, and refs each entry's own
	// references into the table (childTable).
	children map[string]json.RawMessage
	sent     map[string]*Envelope
	refs     map[string][]string
}

func (c *compiler) errorf(path, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

func (c *compiler) value(path string, v dsl.Value, vars []string) value {
	cv, err := compileValue(v, vars)
	if err != nil {
		c.errorf(path, "%v", err)
		return constValue{}
	}
	return cv
}

// optValue compiles v, or returns nil when v is nil.
func (c *compiler) optValue(path string, v dsl.Value, vars []string) value {
	if v == nil {
		return nil
	}
	return c.value(path, v, vars)
}

// optString is s as a value, nil when empty: an absent optional string.
func optString(s string) dsl.Value {
	if s == "" {
		return nil
	}
	return s
}

func (c *compiler) assigns(path string, m map[string]dsl.Value, vars []string) []assign {
	out := make([]assign, 0, len(m))
	for _, k := range dsl.SortedKeys(m) {
		out = append(out, assign{key: k, val: c.value(path+"."+k, m[k], vars)})
	}
	return out
}

func (c *compiler) schema(path string, m map[string]any) *gojsonschema.Schema {
	if m == nil {
		return nil
	}
	s, err := jsonschema.Compile(m)
	if err != nil {
		c.errorf(path, "invalid JSON schema: %v", err)
		return nil
	}
	return s
}

// compilePlan compiles a decoded canonical definition.
func compilePlan(w *dsl.Workflow) (*plan, error) {
	c := &compiler{children: w.Children}
	p := &plan{name: w.Name, autoCAN: true}
	if w.ContinueAsNew != nil {
		p.autoCAN = !w.ContinueAsNew.Disabled
		p.afterEvents = w.ContinueAsNew.AfterEvents
	}
	p.input = c.schema("input", w.Input)
	p.inputObject = w.Input["type"] == "object"
	p.state = c.assigns("state", w.State, dsl.ScopeState.Vars())
	p.steps = c.steps("steps", w.Steps, rootVars)
	p.output = c.value("output", w.Output, rootVars)

	hvars := append(slices.Clone(rootVars), handlerVars...)
	p.signals = map[string]*signalPlan{}
	for _, name := range dsl.SortedKeys(w.Signals) {
		s := w.Signals[name]
		path := "signals." + name
		sp := &signalPlan{
			name: name,
			set:  c.assigns(path+".set", s.Set, hvars),
			do:   c.steps(path+".do", s.Do, hvars),
		}
		if name == "*" {
			p.anySignal = sp
			continue
		}
		p.signals[name] = sp
		p.signalNames = append(p.signalNames, name)
	}
	p.queries = map[string]value{}
	for _, name := range dsl.SortedKeys(w.Queries) {
		if name == "*" {
			// The Go SDK (v1.50) has no dynamic query handler: an unknown
			// query type is answered by the SDK itself with an error.
			continue
		}
		p.queries[name] = c.value("queries."+name, w.Queries[name].Result, hvars)
		p.queryNames = append(p.queryNames, name)
	}
	p.updates = map[string]*updatePlan{}
	for _, name := range dsl.SortedKeys(w.Updates) {
		if name == "*" {
			// No dynamic update handler in the Go SDK (v1.50) either.
			continue
		}
		u := w.Updates[name]
		path := "updates." + name
		up := &updatePlan{
			name:     name,
			args:     c.schema(path+".args", u.Args),
			validate: c.optValue(path+".validate", u.Validate, hvars),
			do:       c.steps(path+".do", u.Do, hvars),
			ret:      c.value(path+".return", u.Return, hvars),
		}
		p.updates[name] = up
		p.updateNames = append(p.updateNames, name)
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return p, nil
}

func (c *compiler) steps(prefix string, steps []*dsl.Step, vars []string) []*node {
	out := make([]*node, 0, len(steps))
	for i, s := range steps {
		out = append(out, c.step(fmt.Sprintf("%s[%d]", prefix, i), s, vars))
	}
	return out
}

func (c *compiler) step(path string, s *dsl.Step, vars []string) *node {
	n := &node{path: path, id: s.ID, kind: s.Kind, summary: path}
	if s.ID != "" {
		n.summary = s.ID
	}
	c.compileBody(n, s, vars)
	return n
}

// RetryPolicy converts a DSL retry policy into Temporal's; nil means
// Temporal's default. It is the one conversion for activities and child
// workflows (in the plan) and for the run itself (NewStart): a maximumAttempts
// beyond int32 is clamped rather than wrapped, and the list of non-retryable
// types is copied, so the result never aliases the definition.
func RetryPolicy(r *dsl.RetryPolicy) *temporal.RetryPolicy {
	if r == nil {
		return nil
	}
	return &temporal.RetryPolicy{
		InitialInterval:        time.Duration(r.InitialInterval),
		BackoffCoefficient:     r.BackoffCoefficient,
		MaximumInterval:        time.Duration(r.MaximumInterval),
		MaximumAttempts:        int32(min(r.MaximumAttempts, 1<<31-1)),
		NonRetryableErrorTypes: slices.Clone(r.NonRetryableErrorTypes),
	}
}
