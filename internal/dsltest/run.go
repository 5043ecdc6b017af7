package dsltest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/stretchr/testify/mock"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/dslrun/dslrun/interpreter"
)

// Defaults of Options.
const (
	// DefaultRealTimeout bounds a case in real (wall-clock) time while its
	// run waits for something that never comes.
	DefaultRealTimeout = 30 * time.Second
	// DefaultMaxCalls is the most calls of one mocked activity in a case.
	DefaultMaxCalls = 1000
	// maxRuns is the most runs of a continue-as-new chain that a case
	// follows.
	maxRuns = 100
)

// CallLimitType is the failure type of a mocked activity called more than
// Options.MaxCalls times in a case (a retry policy that retries a mocked
// error forever).
const CallLimitType = "dslrun.TestCallLimit"

// Options configure a Runner.
type Options struct {
	// Registry holds the activities that run when a case does not mock
	// them, and that validation checks with: against; nil: none.
	Registry *activities.Registry
	// RealTimeout bounds each case in wall-clock time while it waits;
	// 0: DefaultRealTimeout.
	RealTimeout time.Duration
	// MaxCalls is the most calls of one mocked activity in a case;
	// 0: DefaultMaxCalls.
	MaxCalls int
	// Run, when set, selects the cases to run by name.
	Run *regexp.Regexp
	// Root is the folder that child definition files must be in
	// (validate.Options.Root); empty: the folder of each definition.
	Root string
}

// Runner runs test files. It caches the definitions of each folder that
// child workflows start by name. It is safe for concurrent use.
type Runner struct {
	opts Options

	mu      sync.Mutex
	folders map[string]map[string][]byte
}

// NewRunner returns a Runner.
func NewRunner(o Options) *Runner {
	if o.RealTimeout <= 0 {
		o.RealTimeout = DefaultRealTimeout
	}
	if o.MaxCalls <= 0 {
		o.MaxCalls = DefaultMaxCalls
	}
	return &Runner{opts: o, folders: map[string]map[string][]byte{}}
}

// RunFile parses, checks and runs one test file.
func (r *Runner) RunFile(path string) *FileResult {
	start := time.Now()
	res := &FileResult{File: path}
	defer func() { res.Elapsed = time.Since(start) }()
	f, ds := Parse(path)
	res.Diagnostics = ds
	if f == nil {
		return res
	}
	res.Workflow = f.Workflow
	vr := validate.FileWith(f.Workflow, validate.Options{Registry: r.opts.Registry, Root: r.opts.Root})
	if !vr.Valid() {
		res.Diagnostics = append(res.Diagnostics, dsl.Diagnostic{Pos: f.WorkflowPos, Path: "workflow", Code: dsl.CodeValue,
			Msg: fmt.Sprintf("the definition %s is invalid (its errors follow)", f.Workflow)})
		res.Diagnostics = append(res.Diagnostics, vr.Diagnostics...)
		return res
	}
	if err := vr.Canonicalize(); err != nil {
		res.Diagnostics = append(res.Diagnostics, dsl.Diagnostic{Pos: f.WorkflowPos, Path: "workflow", Code: dsl.CodeValue, Msg: err.Error()})
		return res
	}
	res.Name = vr.Workflow.Name
	uses := activityUses(vr.Definition.Workflow)
	res.Diagnostics = append(res.Diagnostics, r.checkMockNames(f, uses)...).Sort()
	for _, c := range f.Cases {
		if r.opts.Run != nil && !r.opts.Run.MatchString(c.Name) {
			continue
		}
		res.Cases = append(res.Cases, r.runCase(f, vr.Definition, uses, c))
	}
	return res
}

// checkMockNames warns about mocks of activities that no activity step of
// the definition (or of the children bundled in it) names.
func (r *Runner) checkMockNames(f *File, uses *uses) dsl.Diagnostics {
	if uses.dynamic {
		return nil
	}
	var ds dsl.Diagnostics
	names := uses.list()
	seen := map[*Mock]bool{}
	for _, c := range f.Cases {
		for name, mk := range c.Mocks {
			if seen[mk] || uses.steps[name] != nil {
				continue
			}
			seen[mk] = true
			ds = append(ds, dsl.Diagnostic{Pos: mk.Pos, Path: mk.Path, Severity: dsl.SeverityWarning, Code: dsl.CodeValue,
				Msg: fmt.Sprintf("no activity step of %s runs %q%s", filepath.Base(f.Workflow), name, didYouMean(name, names))})
		}
	}
	return ds
}

// lookup returns the definitions of dir by name, validated once.
func (r *Runner) lookup(dir string) map[string][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if defs, ok := r.folders[dir]; ok {
		return defs
	}
	defs := map[string][]byte{}
	files, _ := validate.Expand([]string{dir})
	for _, file := range files {
		vr := validate.FileWith(file, validate.Options{Registry: r.opts.Registry, Root: r.opts.Root})
		if !vr.Valid() || vr.Canonicalize() != nil {
			continue
		}
		if _, dup := defs[vr.Workflow.Name]; !dup {
			defs[vr.Workflow.Name] = vr.Definition.Canonical
		}
	}
	r.folders[dir] = defs
	return defs
}

// caseRun is the state of one case's runs.
type caseRun struct {
	r    *Runner
	file *File
	c    *Case
	res  *CaseResult

	mu    sync.Mutex
	calls []call
	// counts are the calls of each mocked activity so far, all runs.
	counts map[string]int
	// fired marks the events that happened.
	fired []bool
	// answers are the answers to updates and queries, by event index.
	answers map[int]*answer
	// limit holds the activities that went over MaxCalls.
	limit []string
}

// call is one recorded call of an activity.
type call struct {
	Name     string
	With     any
	Attempt  int32
	Workflow string
}

// answer is what an update or a query answered.
type answer struct {
	accepted, completed bool
	rejected            error
	result              any
	err                 error
}

func (r *Runner) runCase(f *File, def *dsl.Definition, uses *uses, c *Case) (res *CaseResult) {
	start := time.Now()
	res = &CaseResult{Name: c.Name, Pos: c.Pos, Path: c.Path}
	defer func() { res.Elapsed = time.Since(start) }()
	cr := &caseRun{r: r, file: f, c: c, res: res, counts: map[string]int{}, fired: make([]bool, len(c.Events)), answers: map[int]*answer{}}

	// An activity step that nothing serves fails the case before it runs.
	for _, name := range uses.list() {
		if _, mocked := c.Mocks[name]; mocked {
			continue
		}
		if r.opts.Registry != nil {
			if _, ok := r.opts.Registry.Lookup(name); ok {
				continue
			}
		}
		res.fail(c.Pos, c.Path+".activities", "", "activity %q (at %s) is neither mocked in this case nor registered: mock it under activities:", name, strings.Join(uses.steps[name], ", "))
	}
	if !res.Passed() {
		return res
	}

	id := c.WorkflowID
	if id == "" && (def.Workflow.Options == nil || def.Workflow.Options.ID == "") {
		id = def.Workflow.Name + "-test"
	}
	st, err := interpreter.NewStart(def, c.Input, interpreter.StartOptions{ID: id})
	if err != nil {
		res.fail(c.Pos, c.Path+".input", "", "the run cannot start: %v", err)
		return res
	}
	lookup := interpreter.DefinitionsFunc(func(name string) ([]byte, bool) {
		if name == def.Workflow.Name {
			return def.Canonical, true
		}
		b, ok := r.lookup(filepath.Dir(f.Workflow))[name]
		return b, ok
	})

	now, args := c.StartTime, st.Args
	var env *testsuite.TestWorkflowEnvironment
	var runErr error
	for run := 1; ; run++ {
		res.Runs = run
		env, runErr = cr.execute(st, args, now, lookup)
		var can *workflow.ContinueAsNewError
		if runErr == nil || !errors.As(runErr, &can) {
			break
		}
		if run == maxRuns {
			res.fail(c.Expect.Pos, c.Expect.Path, "", "the run continued as new %d times: a test follows at most %d runs", run, maxRuns)
			return res
		}
		next, err := continueArgs(can)
		if err != nil {
			res.fail(c.Pos, c.Path, "", "cannot read the arguments of the next run: %v", err)
			return res
		}
		args, now = next, env.Now()
	}
	if env == nil {
		return res // execute reported why
	}
	res.Virtual = env.Now().Sub(c.StartTime)
	cr.check(env, runErr)
	return res
}

// continueArgs decodes the arguments of the run a continue-as-new starts.
func continueArgs(can *workflow.ContinueAsNewError) ([]any, error) {
	n := len(can.Input.GetPayloads())
	raws := make([]json.RawMessage, n)
	ptrs := make([]any, n)
	for i := range raws {
		ptrs[i] = &raws[i]
	}
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, ptrs...); err != nil {
		return nil, err
	}
	out := make([]any, n)
	for i, raw := range raws {
		out[i] = raw
	}
	return out, nil
}

// execute runs one run of the case's chain on a fresh test environment.
// It returns the environment (nil when the case cannot run) and the run's
// error.
func (cr *caseRun) execute(st *interpreter.Start, args []any, now time.Time, defs interpreter.Definitions) (env *testsuite.TestWorkflowEnvironment, runErr error) {
	c := cr.c
	var s testsuite.WorkflowTestSuite
	s.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env = s.NewTestWorkflowEnvironment()
	// The deadlock detector is a wall clock; a busy machine must not trip
	// it. The interpreter's own limits are counts.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 5 * time.Minute})
	env.SetTestTimeout(cr.r.opts.RealTimeout)
	env.SetStartTime(now)
	interpreter.Register(env, interpreter.Options{Definitions: defs})
	cr.registerActivities(env)

	elapsed := now.Sub(c.StartTime)
	opts := st.Options
	if remain := c.Timeout - elapsed; opts.WorkflowExecutionTimeout == 0 || opts.WorkflowExecutionTimeout > remain {
		opts.WorkflowExecutionTimeout = max(remain, time.Millisecond)
	}
	env.SetStartWorkflowOptions(opts)
	for i, e := range c.Events {
		if cr.fired[i] || e.At < elapsed {
			continue
		}
		env.RegisterDelayedCallback(func() { cr.fire(env, i, e) }, e.At-elapsed)
	}

	defer func() {
		if p := recover(); p != nil {
			msg := fmt.Sprint(p)
			if strings.HasPrefix(msg, "test timeout") {
				msg, _, _ = strings.Cut(msg, ", workflow stack")
				cr.res.fail(c.Pos, c.Path, "", "the run waited %v of real time for something that never happened (%s): is an activity not mocked?", cr.r.opts.RealTimeout, msg)
			} else {
				cr.res.fail(c.Pos, c.Path, "", "the test environment failed: %s", msg)
			}
			env = nil
		}
	}()
	env.ExecuteWorkflow(st.WorkflowType, args...)
	if !env.IsWorkflowCompleted() {
		cr.res.fail(c.Pos, c.Path, "", "the run did not complete")
		return nil, nil
	}
	return env, env.GetWorkflowError()
}

// fire sends event i to the run.
func (cr *caseRun) fire(env *testsuite.TestWorkflowEnvironment, i int, e *Event) {
	cr.fired[i] = true
	var args []any
	if e.HasWith {
		args = append(args, e.With)
	}
	switch e.Kind {
	case "signal":
		env.SignalWorkflow(e.Name, e.With)
	case "cancel":
		env.CancelWorkflow()
	case "query":
		a := &answer{}
		cr.answers[i] = a
		v, err := env.QueryWorkflow(e.Name, args...)
		a.completed, a.err = true, err
		if err == nil && v.HasValue() {
			var raw json.RawMessage
			if err := v.Get(&raw); err != nil {
				a.err = err
			} else {
				a.result, a.err = decode(raw)
			}
		}
	case "update":
		a := &answer{}
		cr.answers[i] = a
		env.UpdateWorkflow(e.Name, fmt.Sprintf("%s-%d", e.Name, i), &testsuite.TestUpdateCallback{
			OnAccept: func() { a.accepted = true },
			OnReject: func(err error) { a.rejected = err },
			OnComplete: func(v any, err error) {
				a.completed, a.err = true, err
				if err == nil {
					a.result, a.err = normalise(v)
				}
			},
		}, args...)
	}
}

// normalise turns a value the SDK handed over into the value model.
func normalise(v any) (any, error) {
	switch x := v.(type) {
	case converter.EncodedValue:
		if !x.HasValue() {
			return nil, nil
		}
		var raw json.RawMessage
		if err := x.Get(&raw); err != nil {
			return nil, err
		}
		return decode(raw)
	case json.RawMessage:
		return decode(x)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decode(raw)
}

// activityFn is the shape of every activity a case registers: the adapted
// functions of the registry and the mocks.
type activityFn = func(ctx context.Context, in json.RawMessage) (any, error)

// registerActivities registers the registry's activities that the case
// does not mock, then the mocks, and records every call.
func (cr *caseRun) registerActivities(env *testsuite.TestWorkflowEnvironment) {
	c := cr.c
	if cr.r.opts.Registry != nil {
		var cap captured
		cr.r.opts.Registry.Attach(&cap)
		for _, reg := range cap.fns {
			if _, mocked := c.Mocks[reg.name]; !mocked {
				env.RegisterActivityWithOptions(reg.fn, activity.RegisterOptions{Name: reg.name})
			}
		}
		if cap.dynamic != nil {
			env.RegisterDynamicActivity(cap.dynamic, activity.DynamicRegisterOptions{})
		}
	}
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, args converter.EncodedValues) {
		var raw json.RawMessage
		if args != nil && args.HasValues() {
			_ = args.Get(&raw)
		}
		cr.record(info, raw)
	})
	env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, args []any) {
		var raw json.RawMessage
		if len(args) > 0 {
			switch a := args[0].(type) {
			case json.RawMessage:
				raw = a
			default:
				raw, _ = json.Marshal(a)
			}
		}
		cr.record(info, raw)
	})
	// The SDK takes registrations first, then mocks.
	for _, name := range dsl.SortedKeys(c.Mocks) {
		env.RegisterActivityWithOptions(activityFn(func(context.Context, json.RawMessage) (any, error) { return nil, nil }), activity.RegisterOptions{Name: name})
	}
	for _, name := range dsl.SortedKeys(c.Mocks) {
		mk := c.Mocks[name]
		used := cr.counts[name]
		last := len(mk.Outcomes) - 1
		for i := used; i < last; i++ {
			o := mk.Outcomes[i]
			env.OnActivity(name, mock.Anything, mock.Anything).Return(o.fn()).After(o.After).Once()
		}
		o := mk.Outcomes[last]
		if left := cr.r.opts.MaxCalls - max(used, last); left > 0 {
			env.OnActivity(name, mock.Anything, mock.Anything).Return(o.fn()).After(o.After).Times(left)
		}
		env.OnActivity(name, mock.Anything, mock.Anything).Return(activityFn(func(context.Context, json.RawMessage) (any, error) {
			cr.mu.Lock()
			cr.limit = append(cr.limit, name)
			cr.mu.Unlock()
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("mocked activity %q called more than %d times", name, cr.r.opts.MaxCalls), CallLimitType, nil)
		}))
	}
}

func (cr *caseRun) record(info *activity.Info, raw json.RawMessage) {
	v, err := decode(raw)
	if err != nil {
		v = string(raw)
	}
	cr.mu.Lock()
	defer cr.mu.Unlock()
	name := info.ActivityType.Name
	cr.calls = append(cr.calls, call{Name: name, With: v, Attempt: info.Attempt, Workflow: info.WorkflowExecution.ID})
	cr.counts[name]++
}

// fn returns the mock function of an outcome.
func (o *Outcome) fn() activityFn {
	return func(context.Context, json.RawMessage) (any, error) {
		switch {
		case o.Error != nil:
			opts := temporal.ApplicationErrorOptions{NonRetryable: o.Error.NonRetryable}
			if o.Error.Details != nil {
				opts.Details = []any{o.Error.Details}
			}
			return nil, temporal.NewApplicationErrorWithOptions(o.Error.Message, o.Error.Type, opts)
		case o.Timeout != "":
			return nil, temporal.NewTimeoutError(timeoutTypes[o.Timeout], nil)
		}
		return o.Result, nil
	}
}

var timeoutTypes = map[string]enumspb.TimeoutType{
	"startToClose":    enumspb.TIMEOUT_TYPE_START_TO_CLOSE,
	"scheduleToClose": enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
	"scheduleToStart": enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START,
	"heartbeat":       enumspb.TIMEOUT_TYPE_HEARTBEAT,
}

// captured is a worker.ActivityRegistry that keeps what a Registry
// attaches, so that a case can register all but the activities it mocks.
type captured struct {
	// The embedded registry is nil: Attach calls only the methods below.
	worker.ActivityRegistry
	fns     []registration
	dynamic any
}

type registration struct {
	name string
	fn   any
}

var _ worker.ActivityRegistry = (*captured)(nil)

func (c *captured) RegisterActivity(a any) { c.fns = append(c.fns, registration{fn: a}) }

func (c *captured) RegisterActivityWithOptions(a any, o activity.RegisterOptions) {
	c.fns = append(c.fns, registration{name: o.Name, fn: a})
}

func (c *captured) RegisterDynamicActivity(a any, _ activity.DynamicRegisterOptions) { c.dynamic = a }

// check compares the run with the case's expectations.
func (cr *caseRun) check(env *testsuite.TestWorkflowEnvironment, runErr error) {
	c, res, x := cr.c, cr.res, &cr.c.Expect
	for _, name := range cr.limit {
		mk := c.Mocks[name]
		res.fail(mk.Pos, mk.Path, "", "called more than %d times: give the mocked error nonRetryable: true or the step a retry policy with maximumAttempts", cr.r.opts.MaxCalls)
	}
	step := ""
	if p, ok := interpreter.FailedStep(runErr); ok {
		step = string(p)
	}
	var canceled *temporal.CanceledError
	isCancelled := errors.As(runErr, &canceled)
	var timeout *temporal.TimeoutError
	if runErr != nil && errors.As(runErr, &timeout) && step == "" && res.Virtual >= c.Timeout-time.Millisecond {
		res.fail(x.Pos, x.Path, "", "the run did not end within %v of virtual time (the case's timeout): it waits for something that never comes, or retries forever", c.Timeout)
		return
	}
	switch {
	case x.Cancelled:
		if !isCancelled {
			res.fail(x.Pos, x.Path+".cancelled", step, "the run was not cancelled: %s", outcome(runErr))
		}
	case x.Failure != nil:
		cr.checkFailure(x.Failure, runErr, step)
	case runErr != nil:
		res.fail(x.Pos, x.Path, step, "the run failed: %s", describe(runErr))
	}
	if x.Output != nil && runErr == nil {
		var raw json.RawMessage
		var got any
		if err := env.GetWorkflowResult(&raw); err != nil && !strings.Contains(err.Error(), "no data available") {
			res.fail(x.Output.Pos, x.Output.Path, "", "cannot read the output: %v", err)
		} else if got, err = decode(raw); err != nil {
			res.fail(x.Output.Pos, x.Output.Path, "", "cannot read the output: %v", err)
		} else {
			for _, d := range diff("output", got, x.Output.V) {
				res.fail(x.Output.Pos, x.Output.Path, "", "%s", d)
			}
		}
	}
	if x.State != nil || x.Steps != nil {
		cr.checkState(env)
	}
	for _, name := range dsl.SortedKeys(x.Queries) {
		want := x.Queries[name]
		got, err := query(env, name)
		if err != nil {
			res.fail(want.Pos, want.Path, "", "query %q failed: %v", name, err)
			continue
		}
		for _, d := range diff("query "+name, got, want.V) {
			res.fail(want.Pos, want.Path, "", "%s", d)
		}
	}
	cr.checkCalls()
	if x.Duration != nil && res.Virtual != *x.Duration {
		res.fail(x.Pos, x.Path+".duration", "", "the run took %v of virtual time, want %v", res.Virtual, *x.Duration)
	}
	if x.Runs > 0 && res.Runs != x.Runs {
		res.fail(x.Pos, x.Path+".runs", "", "%d runs (continue-as-new makes another), want %d", res.Runs, x.Runs)
	}
	cr.checkEvents(env)
}

func outcome(err error) string {
	if err == nil {
		return "it completed"
	}
	return "it failed: " + describe(err)
}

// describe says what a run's failure is: its message and type, without
// the wrappers of the SDK.
func describe(err error) string {
	typ, msg := failureOf(err)
	if typ == "" {
		return msg
	}
	return fmt.Sprintf("%s (type %s)", msg, typ)
}

func (cr *caseRun) checkFailure(want *FailureExpect, err error, step string) {
	res := cr.res
	if err == nil {
		res.fail(want.Pos, want.Path, "", "the run completed, want a failure")
		return
	}
	typ, msg := failureOf(err)
	if want.Type != "" && typ != want.Type {
		res.fail(want.Pos, want.Path+".type", step, "failure type %q, want %q (failure: %s)", typ, want.Type, describe(err))
	}
	if want.Message != "" && !strings.Contains(msg, want.Message) {
		res.fail(want.Pos, want.Path+".message", step, "failure message %q does not contain %q", msg, want.Message)
	}
	if want.Step != "" && step != want.Step {
		res.fail(want.Pos, want.Path+".step", step, "the failure is at step %q, want %q (failure: %s)", step, want.Step, describe(err))
	}
}

// failureOf returns the type and message of a run's failure.
func failureOf(err error) (typ, msg string) {
	var app *temporal.ApplicationError
	var timeout *temporal.TimeoutError
	var canceled *temporal.CanceledError
	var term *temporal.TerminatedError
	switch {
	case errors.As(err, &app):
		return app.Type(), app.Message()
	case errors.As(err, &timeout):
		return "Timeout", timeout.Error()
	case errors.As(err, &canceled):
		return "Canceled", canceled.Error()
	case errors.As(err, &term):
		return "Terminated", term.Error()
	}
	return "", err.Error()
}

func query(env *testsuite.TestWorkflowEnvironment, name string) (any, error) {
	v, err := env.QueryWorkflow(name)
	if err != nil {
		return nil, err
	}
	if !v.HasValue() {
		return nil, nil
	}
	var raw json.RawMessage
	if err := v.Get(&raw); err != nil {
		return nil, err
	}
	return decode(raw)
}

func (cr *caseRun) checkState(env *testsuite.TestWorkflowEnvironment) {
	x, res := &cr.c.Expect, cr.res
	v, err := query(env, interpreter.StateQuery)
	if err != nil {
		res.fail(x.Pos, x.Path, "", "cannot read the final state (query %s): %v", interpreter.StateQuery, err)
		return
	}
	m, _ := v.(map[string]any)
	for _, part := range []struct {
		key  string
		want map[string]*Value
	}{{"state", x.State}, {"steps", x.Steps}} {
		got, _ := m[part.key].(map[string]any)
		for _, name := range dsl.SortedKeys(part.want) {
			want := part.want[name]
			g, ok := got[name]
			if !ok {
				what := "state variable"
				if part.key == "steps" {
					what = "no result of step"
				}
				if what == "state variable" {
					res.fail(want.Pos, want.Path, "", "no state variable %q in the final state%s", name, didYouMean(name, dsl.SortedKeys(got)))
				} else {
					res.fail(want.Pos, want.Path, "", "%s %q (did the step run?)%s", what, name, didYouMean(name, dsl.SortedKeys(got)))
				}
				continue
			}
			for _, d := range diff(part.key+"."+name, g, want.V) {
				res.fail(want.Pos, want.Path, "", "%s", d)
			}
		}
	}
}

func (cr *caseRun) checkCalls() {
	x, res := &cr.c.Expect, cr.res
	for _, name := range dsl.SortedKeys(x.Activities) {
		want := x.Activities[name]
		var withs []any
		for _, cl := range cr.calls {
			if cl.Name == name {
				withs = append(withs, cl.With)
			}
		}
		if want.Count != nil && len(withs) != *want.Count {
			res.fail(want.Pos, want.Path+".count", "", "activity %q was called %d times, want %d", name, len(withs), *want.Count)
		}
		if want.Calls != nil {
			got := withs
			if got == nil {
				got = []any{}
			}
			for _, d := range diff("calls", got, want.Calls.V) {
				res.fail(want.Calls.Pos, want.Calls.Path, "", "%s", d)
			}
		}
	}
}

func (cr *caseRun) checkEvents(env *testsuite.TestWorkflowEnvironment) {
	res := cr.res
	for i, e := range cr.c.Events {
		if !cr.fired[i] {
			res.fail(e.Pos, e.Path, "", "the run ended after %v of virtual time, before this %s at %v", res.Virtual, e.Kind, e.At)
			continue
		}
		a := cr.answers[i]
		x := e.Expect
		switch e.Kind {
		case "query":
			if a.err != nil {
				res.fail(e.Pos, e.Path, "", "query %q at %v failed: %v", e.Name, e.At, a.err)
			} else if x != nil && x.HasResult {
				for _, d := range diff("result", a.result, x.Result) {
					res.fail(x.ResultPos, x.Path+".result", "", "%s", d)
				}
			}
		case "update":
			switch {
			case x != nil && x.Rejected:
				if a.rejected == nil {
					res.fail(x.Pos, x.Path+".rejected", "", "update %q at %v was accepted, want it rejected", e.Name, e.At)
				}
			case a.rejected != nil:
				res.fail(e.Pos, e.Path, "", "update %q at %v was rejected: %v", e.Name, e.At, a.rejected)
			case !a.completed:
				res.fail(e.Pos, e.Path, "", "update %q at %v did not complete before the run ended", e.Name, e.At)
			case x != nil && x.Failure != nil:
				if a.err == nil {
					res.fail(x.Failure.Pos, x.Failure.Path, "", "update %q completed, want a failure", e.Name)
				} else {
					cr.checkUpdateFailure(x.Failure, a.err)
				}
			case a.err != nil:
				res.fail(e.Pos, e.Path, "", "update %q at %v failed: %v", e.Name, e.At, a.err)
			case x != nil && x.HasResult:
				for _, d := range diff("result", a.result, x.Result) {
					res.fail(x.ResultPos, x.Path+".result", "", "%s", d)
				}
			}
		}
	}
}

func (cr *caseRun) checkUpdateFailure(want *FailureExpect, err error) {
	step := ""
	if p, ok := interpreter.FailedStep(err); ok {
		step = string(p)
	}
	cr.checkFailure(want, err, step)
}

// uses are the activity steps of a definition and of the child
// definitions bundled in it, by literal activity name.
type uses struct {
	steps map[string][]string
	// dynamic is set when a step chooses its activity by an expression.
	dynamic bool
}

func (u *uses) list() []string { return dsl.SortedKeys(u.steps) }

func activityUses(w0 *dsl.Workflow) *uses {
	u := &uses{steps: map[string][]string{}}
	var walk func(w *dsl.Workflow, prefix string, depth int)
	walk = func(w *dsl.Workflow, prefix string, depth int) {
		dsl.Walk(w, func(path string, s *dsl.Step) bool {
			switch b := s.Body.(type) {
			case *dsl.ActivityStep:
				if b.TaskQueue != "" {
					return true // served by another worker: may be mocked, need not be
				}
				if strings.Contains(b.Name, "${") {
					u.dynamic = true
				} else {
					u.steps[b.Name] = append(u.steps[b.Name], prefix+path)
				}
			case *dsl.ChildStep:
				def := b.Definition
				if b.DefinitionHash != "" {
					def = w0.Children[b.DefinitionHash] // the outermost table holds them all
				}
				if len(def) > 0 && depth < 10 {
					if cw, err := dsl.Unmarshal(def); err == nil {
						walk(cw, cw.Name+": ", depth+1)
					}
				}
			}
			return true
		})
	}
	walk(w0, "", 0)
	return u
}
