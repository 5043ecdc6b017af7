package interpreter

import (
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

	activity *activityNode
	set      []assign
	cond     value // if, while, await
	then     []*node
	els      []*node
	cases    []caseNode
	deflt    []*node
	branches [][]*node
	forEach  *forEachNode
	body     []*node // while
	sleep    value   // sleep, sleepUntil
	timeout  time.Duration
	child    *childNode
	signal   *signalNode
	try      *tryNode
	fail     *failNode
	ret      value
	can      *canNode
	log      *logNode
}

type activityNode struct {
	name  value
	with  value
	id    value // nil: Temporal's activity id
	local bool
	opts  dsl.ActivityOptions
	retry *temporal.RetryPolicy
}

type caseNode struct {
	when value
	do   []*node
}

type forEachNode struct {
	items       value
	as, index   string
	concurrency int
	do          []*node
}

type childNode struct {
	workflow value
	with     value
	id       value // nil: chosen by Temporal
	spec     *dsl.ChildStep
	retry    *temporal.RetryPolicy
	// envelope carries the child's bundled definition (child.file), so that
	// the child runs it without any worker knowing it by name.
	envelope *Envelope
}

type signalNode struct {
	workflowID value
	runID      value
	name       string
	with       value
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

type logNode struct {
	message value
	level   string
}

// compiler turns a dsl.Workflow into a plan, collecting errors.
type compiler struct {
	errs []error
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
	c := &compiler{}
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
	kp := path + "." + string(s.Kind)
	missing := func() { c.errorf(path, "step of kind %q has no %s field", s.Kind, s.Kind) }
	switch s.Kind {
	case dsl.KindActivity:
		a := s.Activity
		if a == nil {
			missing()
			break
		}
		n.activity = &activityNode{
			name:  c.value(kp, a.Name, vars),
			with:  c.value(path+".with", a.With, vars),
			id:    c.optValue(path+".activityId", optString(a.ActivityID), vars),
			local: a.Local,
			opts:  a.ActivityOptions,
			retry: RetryPolicy(a.Retry),
		}
	case dsl.KindSet:
		n.set = c.assigns(kp, s.Set, vars)
	case dsl.KindIf:
		if s.If == nil {
			missing()
			break
		}
		n.cond = c.value(kp, s.If.Cond, vars)
		n.then = c.steps(path+".then", s.If.Then, vars)
		n.els = c.steps(path+".else", s.If.Else, vars)
	case dsl.KindSwitch:
		if s.Switch == nil {
			missing()
			break
		}
		for i, cs := range s.Switch.Cases {
			cp := fmt.Sprintf("%s[%d]", kp, i)
			n.cases = append(n.cases, caseNode{
				when: c.value(cp+".when", cs.When, vars),
				do:   c.steps(cp+".do", cs.Do, vars),
			})
		}
		n.deflt = c.steps(path+".default", s.Switch.Default, vars)
	case dsl.KindParallel, dsl.KindRace:
		ps := s.Parallel
		if s.Kind == dsl.KindRace {
			ps = s.Race
		}
		if ps == nil {
			missing()
			break
		}
		for i, b := range ps.Branches {
			n.branches = append(n.branches, c.steps(fmt.Sprintf("%s[%d]", kp, i), b, vars))
		}
	case dsl.KindForEach:
		f := s.ForEach
		if f == nil {
			missing()
			break
		}
		as, index := f.As, f.Index
		if as == "" {
			as = "item"
		}
		if index == "" {
			index = "index"
		}
		inner := append(slices.Clone(vars), as, index)
		n.forEach = &forEachNode{
			items:       c.value(kp, f.Items, vars),
			as:          as,
			index:       index,
			concurrency: max(f.Concurrency, 1),
			do:          c.steps(path+".do", f.Do, inner),
		}
	case dsl.KindWhile:
		if s.While == nil {
			missing()
			break
		}
		n.cond = c.value(kp, s.While.Cond, vars)
		n.body = c.steps(path+".do", s.While.Do, vars)
	case dsl.KindSleep, dsl.KindSleepUntil:
		ss := s.Sleep
		if s.Kind == dsl.KindSleepUntil {
			ss = s.SleepUntil
		}
		if ss == nil {
			missing()
			break
		}
		n.sleep = c.value(kp, ss.Value, vars)
	case dsl.KindAwait:
		if s.Await == nil {
			missing()
			break
		}
		n.cond = c.value(kp, s.Await.Cond, vars)
		n.timeout = time.Duration(s.Await.Timeout)
	case dsl.KindChild:
		ch := s.Child
		if ch == nil {
			missing()
			break
		}
		cn := &childNode{
			workflow: c.value(kp+".workflow", ch.Workflow, vars),
			with:     c.value(kp+".with", ch.With, vars),
			spec:     ch,
			retry:    RetryPolicy(ch.Retry),
		}
		if len(ch.Definition) > 0 {
			cn.envelope = &Envelope{Definition: ch.Definition, Hash: dsl.Hash(ch.Definition)}
		}
		if ch.ID != "" {
			cn.id = c.value(kp+".id", ch.ID, vars)
		}
		n.child = cn
	case dsl.KindSignalWorkflow:
		sw := s.SignalWorkflow
		if sw == nil {
			missing()
			break
		}
		n.signal = &signalNode{
			workflowID: c.value(kp+".workflowId", sw.WorkflowID, vars),
			runID:      c.value(kp+".runId", sw.RunID, vars),
			name:       sw.Signal,
			with:       c.value(kp+".with", sw.With, vars),
		}
	case dsl.KindTry:
		t := s.Try
		if t == nil {
			missing()
			break
		}
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
		n.try = tn
	case dsl.KindFail:
		f := s.Fail
		if f == nil {
			missing()
			break
		}
		n.fail = &failNode{
			message:      c.value(kp+".message", f.Message, vars),
			typ:          f.Type,
			nonRetryable: f.NonRetryable,
			details:      c.value(kp+".details", f.Details, vars),
		}
	case dsl.KindReturn:
		var v dsl.Value
		if s.Return != nil {
			v = s.Return.Value
		}
		n.ret = c.value(kp, v, vars)
	case dsl.KindContinueAsNew:
		cn := &canNode{}
		if s.ContinueAsNew != nil {
			cn.input = c.optValue(kp+".input", s.ContinueAsNew.Input, vars)
			cn.state = c.assigns(kp+".state", s.ContinueAsNew.State, vars)
		}
		n.can = cn
	case dsl.KindLog:
		l := s.Log
		if l == nil {
			missing()
			break
		}
		level := l.Level
		if level == "" {
			level = "info"
		}
		n.log = &logNode{message: c.value(kp, l.Message, vars), level: level}
	default:
		c.errorf(path, "unknown step kind %q", s.Kind)
	}
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
