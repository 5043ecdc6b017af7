package dsltest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dslrun/dslrun/dsl"
)

// DefaultStartTime is the virtual time at which a case's run starts unless
// the file or the case sets startTime: a fixed time, so that outputs that
// read workflow.now are the same on every machine.
var DefaultStartTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultTimeout bounds a case in virtual time unless the file or the case
// sets timeout: a run still open after it fails the case (a definition
// that waits forever, or a retry policy that never gives up).
const DefaultTimeout = 366 * 24 * time.Hour

// File is a parsed test file.
type File struct {
	// Path is the test file's name, as given.
	Path string
	// Workflow is the path of the definition under test, relative to the
	// working directory (the file's workflow key, else its name without
	// _test).
	Workflow string
	// WorkflowPos is where the workflow key is, or the file's start.
	WorkflowPos dsl.Pos
	// Cases are the file's cases, in order.
	Cases []*Case

	// root is the test file's YAML node tree.
	root *yaml.Node
}

// Case is one test case.
type Case struct {
	// Name is the case's name, unique in its file.
	Name string
	// Pos is the position of the case in its file; Path is "cases[i]".
	Pos  dsl.Pos
	Path string
	// Input is the run's input (nil when absent).
	Input any
	// WorkflowID is the run's workflow id; empty: the definition's
	// options.id, else "<name>-test".
	WorkflowID string
	// StartTime is the virtual time the run starts at.
	StartTime time.Time
	// Timeout bounds the run in virtual time.
	Timeout time.Duration
	// Mocks are the mocked activities by name: the file's, then the
	// case's own, which replace the file's of the same name.
	Mocks map[string]*Mock
	// Events are the signals, updates, queries and cancellations sent to
	// the run, in file order.
	Events []*Event
	// Expect holds the case's expectations.
	Expect Expect
}

// Mock is the behaviour of a mocked activity: one outcome per attempt
// (every call, retries included, takes the next; the last one repeats).
type Mock struct {
	Pos      dsl.Pos
	Path     string
	Outcomes []*Outcome
}

// Outcome is what one call of a mocked activity does.
type Outcome struct {
	Pos  dsl.Pos
	Path string
	// Result is returned when there is neither Error nor Timeout.
	Result any
	// Error, when set, fails the call with an application error.
	Error *MockError
	// Timeout, when set, fails the call with a timeout of that kind:
	// startToClose, scheduleToClose, scheduleToStart or heartbeat.
	Timeout string
	// After is how long the call takes, in virtual time.
	After time.Duration
}

// MockError is an application error returned by a mocked call.
type MockError struct {
	Type         string
	Message      string
	NonRetryable bool
	Details      any
}

// Event is something sent to the run at a virtual time.
type Event struct {
	Pos  dsl.Pos
	Path string
	// At is the virtual time after the run's start.
	At time.Duration
	// Kind is signal, update, query or cancel.
	Kind string
	// Name is the signal, update or query name.
	Name string
	// With is the argument; HasWith tells whether the event gave one.
	With    any
	HasWith bool
	// Expect is what an update or a query must answer; nil: an update
	// must be accepted and complete, a query must answer.
	Expect *EventExpect
}

// EventExpect is the expected answer of an update or a query.
type EventExpect struct {
	Pos  dsl.Pos
	Path string
	// Result is the expected result, when HasResult.
	Result    any
	HasResult bool
	ResultPos dsl.Pos
	// Rejected expects the update to be rejected (by its args schema or
	// its validate condition).
	Rejected bool
	// Failure expects the update's steps to fail.
	Failure *FailureExpect
}

// Expect is what a case expects of its run. Unset fields are not checked,
// except that a run must succeed unless Failure or Cancelled is set.
type Expect struct {
	Pos  dsl.Pos
	Path string
	// Output is the expected output, when set.
	Output *Value
	// Failure expects the run to fail.
	Failure *FailureExpect
	// Cancelled expects the run to end cancelled.
	Cancelled bool
	// State holds expected state variables, read from the final state.
	State map[string]*Value
	// Steps holds expected results of steps by id.
	Steps map[string]*Value
	// Queries holds the expected answers of queries made after the run.
	Queries map[string]*Value
	// Activities holds expectations on the calls of activities.
	Activities map[string]*CallsExpect
	// Duration is the expected virtual time from the start to the end of
	// the last run.
	Duration *time.Duration
	// Runs is the expected number of runs (1 plus the continue-as-news).
	Runs int
}

// Value is an expected value and where it is written.
type Value struct {
	Pos  dsl.Pos
	Path string
	V    any
}

// FailureExpect is an expected failure.
type FailureExpect struct {
	Pos  dsl.Pos
	Path string
	// Type must equal the failure's type when set.
	Type string
	// Message must be contained in the failure's message when set.
	Message string
	// Step must equal the path of the step that failed when set.
	Step string
}

// CallsExpect is an expectation on the calls of one activity.
type CallsExpect struct {
	Pos  dsl.Pos
	Path string
	// Count, when set, is the number of calls, retries included.
	Count *int
	// Calls, when set, are the with: values of the calls, in order.
	Calls *Value
}

// Parse reads and checks the test file at path. The diagnostics report
// every mistake at its position; the File is nil when there are errors.
func Parse(path string) (*File, dsl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, dsl.Diagnostics{{Pos: dsl.Pos{File: path}, Code: dsl.CodeYAML, Msg: fmt.Sprintf("cannot read file: %v", err)}}
	}
	return ParseSource(path, src)
}

// ParseSource checks a test file held in memory; see Parse.
func ParseSource(path string, src []byte) (*File, dsl.Diagnostics) {
	root, ds := dsl.Decode(path, src)
	if ds.HasErrors() {
		return nil, ds
	}
	d := &decoder{file: path}
	f := d.file0(root)
	f.root = root
	ds = append(ds, d.ds...).Sort()
	if ds.HasErrors() {
		return nil, ds
	}
	return f, ds
}

// DefinitionFor returns the definition a test file tests by default: its
// name without _test.
func DefinitionFor(testFile string) string {
	dir, base := filepath.Split(testFile)
	for _, ext := range []string{".yaml", ".yml"} {
		if s, ok := strings.CutSuffix(base, "_test"+ext); ok {
			return filepath.Join(dir, s+ext)
		}
	}
	return testFile
}

// The keys of each mapping of the format.
var (
	fileKeys     = []string{"workflow", "startTime", "timeout", "activities", "cases"}
	caseKeys     = []string{"name", "input", "workflowId", "startTime", "timeout", "activities", "events", "expect"}
	outcomeKeys  = []string{"result", "error", "timeout", "after"}
	mockKeys     = append([]string{"attempts"}, outcomeKeys...)
	errorKeys    = []string{"type", "message", "nonRetryable", "details"}
	eventKeys    = []string{"at", "signal", "update", "query", "cancel", "with", "expect"}
	eventExpKeys = []string{"result", "rejected", "failure"}
	expectKeys   = []string{"output", "failure", "cancelled", "state", "steps", "queries", "activities", "duration", "runs"}
	failureKeys  = []string{"type", "message", "step"}
	callsKeys    = []string{"count", "calls"}
	timeoutKinds = []string{"startToClose", "scheduleToClose", "scheduleToStart", "heartbeat"}
)

func (d *decoder) file0(root *yaml.Node) *File {
	f := &File{Path: d.file, Workflow: DefinitionFor(d.file), WorkflowPos: dsl.Pos{File: d.file, Line: 1, Col: 1}}
	m, ok := d.mapping(root, "", fileKeys)
	if !ok {
		return f
	}
	if n := m.val("workflow"); n != nil {
		if s, ok := d.str(n, "workflow"); ok {
			if !strings.HasSuffix(s, ".yaml") && !strings.HasSuffix(s, ".yml") {
				d.errorf(n, "workflow", dsl.CodeValue, "want a .yaml or .yml definition file, got %q", s)
			}
			f.Workflow = filepath.Join(filepath.Dir(d.file), s)
			f.WorkflowPos = d.pos(n)
		}
	} else if f.Workflow == d.file {
		d.errorf(root, "", dsl.CodeRequired, "a test file not named NAME_test.yaml needs workflow: the definition file it tests")
	}
	start := DefaultStartTime
	if n := m.val("startTime"); n != nil {
		start = d.time(n, "startTime", start)
	}
	timeout := DefaultTimeout
	if n := m.val("timeout"); n != nil {
		timeout = d.duration(n, "timeout", true)
	}
	var mocks map[string]*Mock
	if n := m.val("activities"); n != nil {
		mocks = d.mocks(n, "activities")
	}
	n := m.val("cases")
	if n == nil {
		d.errorf(root, "", dsl.CodeRequired, "missing key \"cases\": a test file needs at least one case")
		return f
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "cases", dsl.CodeType, "expected a list of cases, got %s", dsl.DescribeNode(n))
		return f
	}
	if len(n.Content) == 0 {
		d.errorf(n, "cases", dsl.CodeValue, "a test file needs at least one case")
	}
	names := map[string]bool{}
	for i, cn := range n.Content {
		c := d.case0(cn, fmt.Sprintf("cases[%d]", i), start, timeout, mocks)
		if c == nil {
			continue
		}
		if names[c.Name] {
			d.errorf(cn, c.Path+".name", dsl.CodeValue, "case name %q is used twice", c.Name)
		}
		names[c.Name] = true
		f.Cases = append(f.Cases, c)
	}
	return f
}

func (d *decoder) case0(n *yaml.Node, path string, start time.Time, timeout time.Duration, fileMocks map[string]*Mock) *Case {
	m, ok := d.mapping(n, path, caseKeys)
	if !ok {
		return nil
	}
	c := &Case{Pos: d.pos(n), Path: path, StartTime: start, Timeout: timeout, Mocks: map[string]*Mock{}}
	if v := m.val("name"); v != nil {
		if s, ok := d.str(v, path+".name"); ok {
			if strings.TrimSpace(s) == "" {
				d.errorf(v, path+".name", dsl.CodeValue, "must not be empty")
			}
			c.Name = s
		}
	} else {
		d.errorf(n, path, dsl.CodeRequired, "missing key \"name\"")
	}
	if v := m.val("input"); v != nil {
		c.Input = value(v)
	}
	if v := m.val("workflowId"); v != nil {
		c.WorkflowID, _ = d.str(v, path+".workflowId")
	}
	if v := m.val("startTime"); v != nil {
		c.StartTime = d.time(v, path+".startTime", start)
	}
	if v := m.val("timeout"); v != nil {
		c.Timeout = d.duration(v, path+".timeout", true)
	}
	for k, mk := range fileMocks {
		c.Mocks[k] = mk
	}
	if v := m.val("activities"); v != nil {
		for k, mk := range d.mocks(v, path+".activities") {
			c.Mocks[k] = mk
		}
	}
	if v := m.val("events"); v != nil {
		c.Events = d.events(v, path+".events")
	}
	if v := m.val("expect"); v != nil {
		c.Expect = d.expect(v, path+".expect")
	} else {
		c.Expect = Expect{Pos: c.Pos, Path: path + ".expect"}
	}
	return c
}

func (d *decoder) mocks(n *yaml.Node, path string) map[string]*Mock {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, dsl.CodeType, "expected a mapping of activity names to mocks, got %s", dsl.DescribeNode(n))
		return nil
	}
	out := map[string]*Mock{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := join(path, k.Value)
		if strings.TrimSpace(k.Value) == "" {
			d.errorf(k, p, dsl.CodeValue, "activity name must not be empty")
			continue
		}
		mk := &Mock{Pos: d.pos(v), Path: p}
		m, ok := d.mapping(v, p, mockKeys)
		if !ok {
			continue
		}
		if an := m.val("attempts"); an != nil {
			for _, other := range outcomeKeys {
				if m.val(other) != nil {
					d.errorf(m.keys[other], join(p, other), dsl.CodeValue, "give attempts or %s, not both: put it in each attempt", other)
				}
			}
			if an.Kind != yaml.SequenceNode || len(an.Content) == 0 {
				d.errorf(an, p+".attempts", dsl.CodeType, "expected a non-empty list of outcomes, got %s", dsl.DescribeNode(an))
				continue
			}
			for j, on := range an.Content {
				op := fmt.Sprintf("%s.attempts[%d]", p, j)
				om, ok := d.mapping(on, op, outcomeKeys)
				if ok {
					mk.Outcomes = append(mk.Outcomes, d.outcome(on, om, op))
				}
			}
		} else {
			mk.Outcomes = []*Outcome{d.outcome(v, m, p)}
		}
		out[k.Value] = mk
	}
	return out
}

func (d *decoder) outcome(n *yaml.Node, m fields, path string) *Outcome {
	o := &Outcome{Pos: d.pos(n), Path: path}
	set := 0
	if v := m.val("result"); v != nil {
		o.Result = value(v)
		set++
	}
	if v := m.val("error"); v != nil {
		set++
		o.Error = &MockError{Message: "mocked failure"}
		if v.Kind == yaml.ScalarNode {
			o.Error.Message, _ = d.str(v, path+".error")
		} else if em, ok := d.mapping(v, path+".error", errorKeys); ok {
			if t := em.val("type"); t != nil {
				o.Error.Type, _ = d.str(t, path+".error.type")
			}
			if t := em.val("message"); t != nil {
				o.Error.Message, _ = d.str(t, path+".error.message")
			}
			if t := em.val("nonRetryable"); t != nil {
				o.Error.NonRetryable = d.bool(t, path+".error.nonRetryable")
			}
			if t := em.val("details"); t != nil {
				o.Error.Details = value(t)
			}
		}
	}
	if v := m.val("timeout"); v != nil {
		set++
		if s, ok := d.str(v, path+".timeout"); ok {
			if !contains(timeoutKinds, s) {
				d.errorf(v, path+".timeout", dsl.CodeValue, "want one of %s, got %q%s", strings.Join(timeoutKinds, ", "), s, didYouMean(s, timeoutKinds))
			}
			o.Timeout = s
		}
	}
	if set > 1 {
		d.errorf(n, path, dsl.CodeValue, "an outcome is one of result, error or timeout")
	}
	if v := m.val("after"); v != nil {
		o.After = d.duration(v, path+".after", false)
	}
	return o
}

func (d *decoder) events(n *yaml.Node, path string) []*Event {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, dsl.CodeType, "expected a list of events, got %s", dsl.DescribeNode(n))
		return nil
	}
	var out []*Event
	for i, en := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		m, ok := d.mapping(en, p, eventKeys)
		if !ok {
			continue
		}
		e := &Event{Pos: d.pos(en), Path: p}
		if v := m.val("at"); v != nil {
			e.At = d.duration(v, p+".at", false)
		} else {
			d.errorf(en, p, dsl.CodeRequired, "missing key \"at\": the virtual time after the start")
		}
		var kinds []string
		for _, k := range []string{"signal", "update", "query", "cancel"} {
			if m.val(k) != nil {
				kinds = append(kinds, k)
			}
		}
		switch len(kinds) {
		case 0:
			d.errorf(en, p, dsl.CodeStepKind, "an event needs one of signal, update, query or cancel")
			continue
		case 1:
		default:
			d.errorf(en, p, dsl.CodeStepKind, "an event has one of signal, update, query or cancel, not %s", strings.Join(kinds, " and "))
			continue
		}
		e.Kind = kinds[0]
		kv := m.val(e.Kind)
		if e.Kind == "cancel" {
			if !d.bool(kv, p+".cancel") {
				d.errorf(kv, p+".cancel", dsl.CodeValue, "write cancel: true, or leave the event out")
			}
		} else if s, ok := d.str(kv, p+"."+e.Kind); ok {
			if strings.TrimSpace(s) == "" {
				d.errorf(kv, p+"."+e.Kind, dsl.CodeValue, "must not be empty")
			}
			e.Name = s
		}
		if v := m.val("with"); v != nil {
			if e.Kind == "cancel" {
				d.errorf(m.keys["with"], p+".with", dsl.CodeValue, "a cancellation takes no with")
			}
			e.With, e.HasWith = value(v), true
		}
		if v := m.val("expect"); v != nil {
			if e.Kind != "update" && e.Kind != "query" {
				d.errorf(m.keys["expect"], p+".expect", dsl.CodeValue, "only an update or a query has an answer to expect")
			} else {
				e.Expect = d.eventExpect(v, p+".expect", e.Kind)
			}
		}
		out = append(out, e)
	}
	return out
}

func (d *decoder) eventExpect(n *yaml.Node, path, kind string) *EventExpect {
	m, ok := d.mapping(n, path, eventExpKeys)
	if !ok {
		return nil
	}
	x := &EventExpect{Pos: d.pos(n), Path: path}
	if v := m.val("result"); v != nil {
		x.Result, x.HasResult, x.ResultPos = value(v), true, d.pos(v)
	}
	if v := m.val("rejected"); v != nil {
		x.Rejected = d.bool(v, path+".rejected")
		if kind != "update" {
			d.errorf(m.keys["rejected"], path+".rejected", dsl.CodeValue, "only an update can be rejected")
		}
	}
	if v := m.val("failure"); v != nil {
		x.Failure = d.failure(v, path+".failure")
		if kind != "update" {
			d.errorf(m.keys["failure"], path+".failure", dsl.CodeValue, "only an update can fail")
		}
	}
	n2 := 0
	for _, b := range []bool{x.HasResult, x.Rejected, x.Failure != nil} {
		if b {
			n2++
		}
	}
	if n2 > 1 {
		d.errorf(n, path, dsl.CodeValue, "expect one of result, rejected or failure")
	}
	return x
}

func (d *decoder) expect(n *yaml.Node, path string) Expect {
	x := Expect{Pos: d.pos(n), Path: path}
	m, ok := d.mapping(n, path, expectKeys)
	if !ok {
		return x
	}
	if v := m.val("output"); v != nil {
		x.Output = &Value{Pos: d.pos(v), Path: path + ".output", V: value(v)}
	}
	if v := m.val("failure"); v != nil {
		x.Failure = d.failure(v, path+".failure")
	}
	if v := m.val("cancelled"); v != nil {
		x.Cancelled = d.bool(v, path+".cancelled")
	}
	if x.Output != nil && (x.Failure != nil || x.Cancelled) {
		d.errorf(n, path, dsl.CodeValue, "a run that fails or is cancelled has no output: expect output, failure or cancelled")
	}
	if x.Failure != nil && x.Cancelled {
		d.errorf(n, path, dsl.CodeValue, "expect failure or cancelled, not both")
	}
	x.State = d.values(m.val("state"), path+".state")
	x.Steps = d.values(m.val("steps"), path+".steps")
	x.Queries = d.values(m.val("queries"), path+".queries")
	if v := m.val("activities"); v != nil {
		if v.Kind != yaml.MappingNode {
			d.errorf(v, path+".activities", dsl.CodeType, "expected a mapping of activity names, got %s", dsl.DescribeNode(v))
		} else {
			x.Activities = map[string]*CallsExpect{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, cv := v.Content[i], v.Content[i+1]
				p := join(path+".activities", k.Value)
				cm, ok := d.mapping(cv, p, callsKeys)
				if !ok {
					continue
				}
				ce := &CallsExpect{Pos: d.pos(cv), Path: p}
				if c := cm.val("count"); c != nil {
					if k, ok := d.int(c, p+".count"); ok {
						ce.Count = &k
					}
				}
				if c := cm.val("calls"); c != nil {
					if c.Kind != yaml.SequenceNode {
						d.errorf(c, p+".calls", dsl.CodeType, "expected a list of with: values, one a call, got %s", dsl.DescribeNode(c))
					} else {
						ce.Calls = &Value{Pos: d.pos(c), Path: p + ".calls", V: value(c)}
					}
				}
				if ce.Count == nil && ce.Calls == nil {
					d.errorf(cv, p, dsl.CodeRequired, "expect count, calls or both")
				}
				x.Activities[k.Value] = ce
			}
		}
	}
	if v := m.val("duration"); v != nil {
		dd := d.duration(v, path+".duration", false)
		x.Duration = &dd
	}
	if v := m.val("runs"); v != nil {
		if k, ok := d.int(v, path+".runs"); ok {
			if k < 1 {
				d.errorf(v, path+".runs", dsl.CodeValue, "a chain has at least 1 run")
			}
			x.Runs = k
		}
	}
	return x
}

func (d *decoder) failure(n *yaml.Node, path string) *FailureExpect {
	f := &FailureExpect{Pos: d.pos(n), Path: path}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" && n.Value == "true" {
		return f // failure: true, any failure
	}
	m, ok := d.mapping(n, path, failureKeys)
	if !ok {
		return f
	}
	if v := m.val("type"); v != nil {
		f.Type, _ = d.str(v, path+".type")
	}
	if v := m.val("message"); v != nil {
		f.Message, _ = d.str(v, path+".message")
	}
	if v := m.val("step"); v != nil {
		f.Step, _ = d.str(v, path+".step")
	}
	return f
}

func (d *decoder) values(n *yaml.Node, path string) map[string]*Value {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, dsl.CodeType, "expected a mapping, got %s", dsl.DescribeNode(n))
		return nil
	}
	out := map[string]*Value{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		out[k.Value] = &Value{Pos: d.pos(v), Path: join(path, k.Value), V: value(v)}
	}
	return out
}
