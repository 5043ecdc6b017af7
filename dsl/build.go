package dsl

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dslrun/dslrun/internal/calendar"
	"gopkg.in/yaml.v3"
)

// MaxStepDepth bounds how deeply step lists nest inside each other.
const MaxStepDepth = 50

// Build turns a node tree from Decode into a Workflow. Diagnostics cover
// structure, types, values, step ids and expressions; the Workflow is
// usable only when they hold no errors.
func Build(filename string, root *yaml.Node) (*Workflow, Diagnostics) {
	b := &builder{file: filename, ids: map[string]Pos{}, stateKeys: map[string]bool{}}
	w := b.workflow(root)
	b.collectStateKeys(w)
	b.inputFields = closedProperties(w.Input)
	b.compileSites()
	return w, b.ds.Sort()
}

// Parse decodes and builds a definition: Decode followed by Build. It does
// not apply the JSON schema; see the schema package for the full check.
func Parse(filename string, src []byte) (*Workflow, Diagnostics) {
	root, ds := Decode(filename, src)
	if ds.HasErrors() {
		return nil, ds
	}
	return Build(filename, root)
}

func (b *builder) workflow(n *yaml.Node) *Workflow {
	w := &Workflow{Pos: b.pos(n)}
	f, ok := b.fields(n, "", keysOf(""))
	if !ok {
		return w
	}
	b.require(f, n, "", requiredOf("", "")...)
	root := &scope{vars: ScopeWorkflow.Vars()}
	if v := f.val("dsl"); v != nil {
		if s, ok := b.str(v, "dsl"); ok && s != Version {
			b.errorf(v, "dsl", CodeValue, "unsupported DSL version %q (this dslrun reads %q)", s, Version)
		}
		w.DSL = Version
	}
	if v := f.val("name"); v != nil {
		if s, ok := b.nonEmpty(v, "name"); ok {
			if !nameRe.MatchString(s) {
				b.errorf(v, "name", CodeValue, "name %q must be letters, digits, '-', '_' or '.', up to 200 characters", s)
			}
			w.Name = s
		}
	}
	if v := f.val("description"); v != nil {
		w.Description, _ = b.str(v, "description")
	}
	if v := f.val("input"); v != nil {
		w.Input = b.jsonSchema(v, "input")
	}
	if v := f.val("state"); v != nil {
		if sf, ok := b.fields(v, "state", nil); ok {
			w.State = map[string]Value{}
			for _, k := range sf.order {
				if _, ok := b.ident(sf.key(k), join("state", k), "state variable"); ok {
					w.State[k] = b.value(sf.val(k), join("state", k), &scope{vars: ScopeState.Vars()})
				}
			}
		}
	}
	if v := f.val("activity"); v != nil {
		w.Activity = b.activityOptions(v, "activity", nil)
	}
	if v := f.val("options"); v != nil {
		w.Options = b.workflowOptions(v, "options")
	}
	if v := f.val("schedule"); v != nil {
		w.Schedule = b.schedule(v, "schedule")
		if o := w.Options; o != nil && w.Schedule != nil {
			// The schedule starts the runs, when it says: a cron or a start
			// delay of the run's own would contradict it.
			if o.Cron != "" {
				b.errorf(Path("options.cron").Node(n), "options.cron", CodeValue, "cron cannot be combined with schedule: the schedule starts the runs")
			}
			if o.StartDelay != 0 {
				b.errorf(Path("options.startDelay").Node(n), "options.startDelay", CodeValue, "startDelay cannot be combined with schedule: scheduled runs start when the schedule says")
			}
		}
	}
	if v := f.val("continueAsNew"); v != nil {
		w.ContinueAsNew = b.autoContinueAsNew(v, "continueAsNew")
	}
	if v := f.val("signals"); v != nil {
		w.Signals = b.signals(v, "signals", root)
	}
	if v := f.val("queries"); v != nil {
		w.Queries = b.queries(v, "queries", root)
	}
	if v := f.val("updates"); v != nil {
		w.Updates = b.updates(v, "updates", root)
	}
	if v := f.val("steps"); v != nil {
		w.Steps = b.steps(v, "steps", root)
		if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
			b.errorf(v, "steps", CodeValue, "a workflow needs at least one step")
		}
	}
	if v := f.val("output"); v != nil {
		w.Output = b.value(v, "output", root)
	}
	return w
}

var nameRe = regexpMust(`^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$`)

// collectStateKeys records every state variable that the definition
// declares or assigns (state, set steps, signal sets, continueAsNew state),
// so that expressions may name variables that a later step assigns.
func (b *builder) collectStateKeys(w *Workflow) {
	for k := range w.State {
		b.stateKeys[k] = true
	}
	for _, s := range w.Signals {
		for k := range s.Set {
			b.stateKeys[k] = true
		}
	}
	Walk(w, func(_ string, s *Step) bool {
		if a, ok := s.Body.(stateAssigner); ok {
			for _, k := range a.assignedState() {
				b.stateKeys[k] = true
			}
		}
		return true
	})
}

func (b *builder) jsonSchema(n *yaml.Node, path string) map[string]any {
	if n.Kind != yaml.MappingNode {
		b.errorf(n, path, CodeType, "expected a JSON schema (a mapping), got %s", describe(n))
		return nil
	}
	m, _ := b.value(n, path, nil).(map[string]any)
	if err := checkJSONSchema(m); err != nil {
		msg := strings.TrimSuffix(err.Error(), ".")
		if msg != "" {
			msg = strings.ToLower(msg[:1]) + msg[1:]
		}
		b.errorf(n, path, CodeValue, "invalid JSON schema: %s", msg)
	}
	return m
}

func (b *builder) activityOptions(n *yaml.Node, path string, into *ActivityOptions) *ActivityOptions {
	f, ok := b.fields(n, path, keysOf("activityOptions"))
	if !ok {
		return nil
	}
	o := into
	if o == nil {
		o = &ActivityOptions{}
	}
	b.readKeys(f, n, path, "activityOptions", o, nil)
	return o
}

func (b *builder) positiveDuration(n *yaml.Node, path string) Duration {
	d := b.duration(n, path)
	if d == 0 && n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		if _, err := ParseDuration(n.Value); err == nil {
			b.errorf(n, path, CodeDuration, "duration must be greater than zero")
		}
	}
	return d
}

func (b *builder) retry(n *yaml.Node, path string) *RetryPolicy {
	f, ok := b.fields(n, path, keysOf("retryPolicy"))
	if !ok {
		return nil
	}
	r := &RetryPolicy{}
	b.readKeys(f, n, path, "retryPolicy", r, nil)
	if v := f.val("backoffCoefficient"); v != nil && r.BackoffCoefficient != 0 && r.BackoffCoefficient < 1 {
		b.errorf(v, join(path, "backoffCoefficient"), CodeValue, "backoff coefficient must be at least 1")
	}
	if r.MaximumInterval != 0 && r.InitialInterval != 0 && r.MaximumInterval < r.InitialInterval {
		b.errorf(f.val("maximumInterval"), join(path, "maximumInterval"), CodeValue, "maximum interval is shorter than the initial interval")
	}
	return r
}

// IDReusePolicies are the values of options.idReusePolicy.
var IDReusePolicies = []string{"allowDuplicate", "allowDuplicateFailedOnly", "rejectDuplicate", "terminateIfRunning"}

// IDConflictPolicies are the values of options.idConflictPolicy.
var IDConflictPolicies = []string{"fail", "useExisting", "terminateExisting"}

// OverlapPolicies are the values of schedule.overlap.
var OverlapPolicies = []string{"skip", "bufferOne", "bufferAll", "cancelOther", "terminateOther", "allowAll"}

func (b *builder) workflowOptions(n *yaml.Node, path string) *WorkflowOptions {
	f, ok := b.fields(n, path, keysOf("workflowOptions"))
	if !ok {
		return nil
	}
	o := &WorkflowOptions{}
	inputOnly := &scope{vars: ScopeStart.Vars()}
	b.readKeys(f, n, path, "workflowOptions", o, inputOnly, "cron", "memo", "searchAttributes")
	if v := f.val("cron"); v != nil {
		if s, ok := b.nonEmpty(v, join(path, "cron")); ok {
			if err := checkCron(s); err != nil {
				b.errorf(v, join(path, "cron"), CodeValue, "%v", err)
			}
			o.Cron = s
		}
	}
	if v := f.val("memo"); v != nil {
		o.Memo = b.mapValue(v, join(path, "memo"), inputOnly)
	}
	if v := f.val("searchAttributes"); v != nil {
		o.SearchAttributes = b.mapValue(v, join(path, "searchAttributes"), inputOnly)
	}
	if o.Cron != "" && o.StartDelay != 0 {
		b.errorf(f.val("startDelay"), join(path, "startDelay"), CodeValue, "startDelay cannot be combined with cron")
	}
	return o
}

func (b *builder) mapValue(n *yaml.Node, path string, sc *scope) map[string]any {
	if n.Kind != yaml.MappingNode {
		b.errorf(n, path, CodeType, "expected a mapping, got %s", describe(n))
		return nil
	}
	m, _ := b.value(n, path, sc).(map[string]any)
	return m
}

func (b *builder) schedule(n *yaml.Node, path string) *Schedule {
	before := len(b.ds)
	f, ok := b.fields(n, path, keysOf("schedule"))
	if !ok {
		return nil
	}
	s := &Schedule{}
	b.readKeys(f, n, path, "schedule", s, nil, "intervals", "cron", "calendars", "skip", "memo", "searchAttributes")
	if v := f.val("intervals"); v != nil {
		p := join(path, "intervals")
		if v.Kind != yaml.SequenceNode {
			b.errorf(v, p, CodeType, "expected a list, got %s", describe(v))
		} else {
			for i, c := range v.Content {
				cp := index(p, i)
				cf, ok := b.fields(c, cp, keysOf("scheduleInterval"))
				if !ok {
					continue
				}
				var iv ScheduleInterval
				b.readKeys(cf, c, cp, "scheduleInterval", &iv, nil)
				s.Intervals = append(s.Intervals, iv)
			}
		}
	}
	if v := f.val("cron"); v != nil {
		p := join(path, "cron")
		s.Cron = b.strList(v, p)
		for i, c := range s.Cron {
			if err := checkCron(c); err != nil {
				b.errorf(v.Content[i], index(p, i), CodeValue, "%v", err)
			}
		}
	}
	s.Calendars = b.calendars(f.val("calendars"), join(path, "calendars"))
	s.Skip = b.calendars(f.val("skip"), join(path, "skip"))
	if st, et := timeOf(s.StartTime), timeOf(s.EndTime); !st.IsZero() && !et.IsZero() && et.Before(st) {
		b.errorf(f.val("endTime"), join(path, "endTime"), CodeValue, "endTime %s is before startTime %s", s.EndTime, s.StartTime)
	}
	if s.CatchupWindow != 0 && s.CatchupWindow < Duration(10*time.Second) {
		b.errorf(f.val("catchupWindow"), join(path, "catchupWindow"), CodeValue, "catch-up window must be at least 10s (Temporal's shortest)")
	}
	if v := f.val("memo"); v != nil {
		s.Memo = b.mapValue(v, join(path, "memo"), nil)
	}
	if v := f.val("searchAttributes"); v != nil {
		s.SearchAttributes = b.mapValue(v, join(path, "searchAttributes"), nil)
		for i := 0; v.Kind == yaml.MappingNode && i+1 < len(v.Content); i += 2 {
			if k := v.Content[i].Value; !searchAttributeValue(s.SearchAttributes[k]) {
				b.errorf(v.Content[i+1], join(path, "searchAttributes."+k), CodeType, "a search attribute is a string, number, boolean or list of strings")
			}
		}
	}
	if len(s.Intervals) == 0 && len(s.Cron) == 0 && len(s.Calendars) == 0 && len(b.ds) == before {
		b.errorf(n, path, CodeRequired, "a schedule needs at least one of intervals, cron or calendars")
	}
	return s
}

// timestamp reads an RFC 3339 time without expressions, in canonical form.
func (b *builder) timestamp(n *yaml.Node, path string) string {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!timestamp" {
		n = &yaml.Node{Kind: n.Kind, Tag: "!!str", Value: n.Value, Line: n.Line, Column: n.Column}
	}
	s, ok := b.str(n, path)
	if !ok {
		return ""
	}
	t, err := parseTimestamp(s)
	if err != nil {
		b.errorf(n, path, CodeValue, "%v", err)
	}
	return t
}

func timeOf(s string) time.Time { t, _ := time.Parse(time.RFC3339Nano, s); return t }

// calendars reads a list of calendar specs, each field in Temporal's range
// syntax (a string, or an integer as written).
func (b *builder) calendars(v *yaml.Node, p string) []ScheduleCalendar {
	if v == nil {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		b.errorf(v, p, CodeType, "expected a list, got %s", describe(v))
		return nil
	}
	var out []ScheduleCalendar
	for i, c := range v.Content {
		cp := index(p, i)
		cf, ok := b.fields(c, cp, keysOf("scheduleCalendar"))
		if !ok {
			continue
		}
		var cal ScheduleCalendar
		for _, fd := range []struct {
			f   calendar.Field
			dst *string
		}{{calendar.Second, &cal.Second}, {calendar.Minute, &cal.Minute}, {calendar.Hour, &cal.Hour}, {calendar.DayOfMonth, &cal.DayOfMonth}, {calendar.Month, &cal.Month}, {calendar.Year, &cal.Year}, {calendar.DayOfWeek, &cal.DayOfWeek}, {calendar.Field{Name: "comment"}, &cal.Comment}} {
			v := cf.val(fd.f.Name)
			if v == nil {
				continue
			}
			if v.Kind == yaml.ScalarNode && v.Tag == "!!int" {
				*fd.dst = v.Value
			} else {
				*fd.dst, _ = b.nonEmpty(v, join(cp, fd.f.Name))
			}
			if fd.f.Name == "comment" || *fd.dst == "" {
				continue
			}
			if _, err := fd.f.Parse(*fd.dst); err != nil {
				b.errorf(v, join(cp, fd.f.Name), CodeValue, "%v", err)
			}
		}
		out = append(out, cal)
	}
	return out
}

// searchAttributeValue reports whether v can be a search attribute's value.
func searchAttributeValue(v any) bool {
	switch v := v.(type) {
	case string, int, float64, bool:
		return true
	case []any:
		for _, e := range v {
			if _, ok := e.(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}

func (b *builder) autoContinueAsNew(n *yaml.Node, path string) *AutoContinueAsNew {
	f, ok := b.fields(n, path, keysOf("autoContinueAsNew"))
	if !ok {
		return nil
	}
	a := &AutoContinueAsNew{}
	b.readKeys(f, n, path, "autoContinueAsNew", a, nil)
	return a
}

// handlerNames checks the keys of signals, queries and updates: identifiers
// or the catch-all "*".
func (b *builder) handlerNames(n *yaml.Node, path string, catchAll bool) (fieldMap, bool) {
	f, ok := b.fields(n, path, nil)
	if !ok {
		return f, false
	}
	for _, k := range f.order {
		if k == "*" {
			if !catchAll {
				b.errorf(f.key(k), join(path, k), CodeValue, "a catch-all \"*\" handler exists only for signals")
			}
			continue
		}
		if !handlerNameRe.MatchString(k) {
			b.errorf(f.key(k), join(path, k), CodeValue, "handler name %q must be letters, digits, '-', '_' or '.'", k)
		}
	}
	return f, true
}

var handlerNameRe = regexpMust(`^[A-Za-z_][A-Za-z0-9._-]*$`)

func (b *builder) signals(n *yaml.Node, path string, root *scope) map[string]*Signal {
	f, ok := b.handlerNames(n, path, true)
	if !ok {
		return nil
	}
	out := map[string]*Signal{}
	sc := root.with(ScopeHandler.Vars()...)
	for _, k := range f.order {
		p := join(path, k)
		v := f.val(k)
		before := len(b.ds)
		sf, ok := b.fields(v, p, keysOf("signalHandler"))
		if !ok {
			continue
		}
		s := &Signal{Pos: b.pos(f.key(k))}
		b.readKeys(sf, v, p, "signalHandler", s, sc)
		if sf.val("set") == nil && sf.val("do") == nil && len(b.ds) == before {
			b.errorf(v, p, CodeRequired, "a signal handler needs set or do")
		}
		out[k] = s
	}
	return out
}

func (b *builder) queries(n *yaml.Node, path string, root *scope) map[string]*Query {
	f, ok := b.handlerNames(n, path, false)
	if !ok {
		return nil
	}
	out := map[string]*Query{}
	sc := root.with(ScopeHandler.Vars()...)
	for _, k := range f.order {
		out[k] = &Query{Pos: b.pos(f.key(k)), Result: b.value(f.val(k), join(path, k), sc)}
	}
	return out
}

func (b *builder) updates(n *yaml.Node, path string, root *scope) map[string]*Update {
	f, ok := b.handlerNames(n, path, false)
	if !ok {
		return nil
	}
	out := map[string]*Update{}
	sc := root.with(ScopeHandler.Vars()...)
	for _, k := range f.order {
		p := join(path, k)
		v := f.val(k)
		uf, ok := b.fields(v, p, keysOf("updateHandler"))
		if !ok {
			continue
		}
		u := &Update{Pos: b.pos(f.key(k))}
		b.readKeys(uf, v, p, "updateHandler", u, sc)
		out[k] = u
	}
	return out
}

func (b *builder) setValues(n *yaml.Node, path string, sc *scope) map[string]Value {
	f, ok := b.fields(n, path, nil)
	if !ok {
		return nil
	}
	if len(f.order) == 0 {
		b.errorf(n, path, CodeValue, "set needs at least one variable")
	}
	out := map[string]Value{}
	for _, k := range f.order {
		if _, ok := b.ident(f.key(k), join(path, k), "state variable"); ok {
			out[k] = b.value(f.val(k), join(path, k), sc)
		}
	}
	return out
}

func (b *builder) steps(n *yaml.Node, path string, sc *scope) []*Step {
	if n.Kind != yaml.SequenceNode {
		b.errorf(n, path, CodeType, "expected a list of steps, got %s", describe(n))
		return nil
	}
	if b.depth >= MaxStepDepth {
		b.errorf(n, path, CodeLimit, "steps are nested deeper than the limit of %d", MaxStepDepth)
		return nil
	}
	b.depth++
	defer func() { b.depth-- }()
	out := make([]*Step, 0, len(n.Content))
	for i, c := range n.Content {
		if s := b.step(c, index(path, i), sc); s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (b *builder) step(n *yaml.Node, path string, sc *scope) *Step {
	f, ok := b.fields(n, path, nil)
	if !ok {
		return nil
	}
	var kinds []Kind
	for _, k := range f.order {
		if kindOf(Kind(k)) != nil {
			kinds = append(kinds, Kind(k))
		}
	}
	switch len(kinds) {
	case 0:
		all := []string{"id"}
		for _, k := range Kinds() {
			all = append(all, string(k))
		}
		suggested := false
		for _, k := range f.order {
			if k == "id" || slices.Contains(stepKeysAll(), k) {
				continue
			}
			b.unknownKey(f.key(k), path, all)
			if sg := suggest(k, all); sg != "" && sg != "id" {
				suggested = true
			}
		}
		if !suggested {
			b.errorf(n, path, CodeStepKind, "step has no kind: want one of %s", kindList())
		}
		return nil
	case 1:
	default:
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = string(k)
		}
		b.errorf(f.key(string(kinds[1])), path, CodeStepKind, "step has more than one kind: %s", strings.Join(names, " and "))
		return nil
	}
	kind := kinds[0]
	s := &Step{Pos: b.pos(n), Kind: kind}
	allowed := tables().allowed[kind]
	for _, k := range f.order {
		if !slices.Contains(allowed, k) {
			b.unknownKey(f.key(k), path, allowed)
		}
	}
	if v := f.val("id"); v != nil {
		if id, ok := b.ident(v, join(path, "id"), "step id"); ok {
			if first, dup := b.ids[id]; dup {
				b.errorf(v, join(path, "id"), CodeDuplicateID, "duplicate step id %q (first at line %d)", id, first.Line)
			} else {
				b.ids[id] = b.pos(v)
			}
			s.ID = id
		}
	}
	kv := f.val(string(kind))
	s.Body = kindOf(kind).build(b, stepSrc{n: n, f: f, kv: kv, path: path, kp: join(path, string(kind)), sc: sc})
	return s
}

func kindList() string {
	names := make([]string, len(Kinds()))
	for i, k := range Kinds() {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// stepKeysAll lists every key that some step kind allows besides its kind.
func stepKeysAll() []string {
	var out []string
	for _, k := range Kinds() {
		out = append(out, stepKeysOf(k)...)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// closedProperties returns the property names of a JSON schema that allows
// no others (properties and additionalProperties: false), sorted; nil when
// other properties may exist.
func closedProperties(schema map[string]any) []string {
	props, ok := schema["properties"].(map[string]any)
	if !ok || schema["additionalProperties"] != false {
		return nil
	}
	return sortedKeys(props)
}
