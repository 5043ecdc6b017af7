package interpreter

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dslrun/dslrun/internal/expression"
	"slices"
	"strings"
	"time"

	"github.com/xeipuuv/gojsonschema"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// maxBusySteps bounds the steps a run executes without waiting once (for
// an activity, a timer, a condition, ...). A loop whose body never waits
// would otherwise keep the workflow task running until the SDK's deadlock
// detector fails it, on every worker, forever. The count is deterministic.
const maxBusySteps = 10_000

// maxTaskExprSteps is the expression operation budget of one workflow task:
// all the expressions evaluated between two workflow tasks share it, on top
// of each expression's own limit (expression.MaxSteps). A few expressions
// near their own limit in a row could otherwise keep the task busy past the
// SDK's deadlock detector, and a failed task is retried forever. It counts
// steps, never time, so every replay fails at the same place.
const maxTaskExprSteps = 2_000_000

// runDynamic is the dynamic workflow: the run's workflow type names the
// definition. The arguments are the input and an optional Envelope, or
// the compact start (DecodeArgs).
func (in *interpreter) runDynamic(ctx workflow.Context, args converter.EncodedValues) (any, error) {
	var first, second json.RawMessage
	if args != nil && args.HasValues() {
		if err := args.Get(&first, &second); err != nil {
			return nil, definitionError("cannot decode the workflow arguments (want input, then an optional envelope): %v", err)
		}
	}
	input, env, err := DecodeArgs(first, second)
	if err != nil {
		return nil, definitionError("the definition in the run's arguments: %v", err)
	}
	return in.run(ctx, input, env)
}

// runInline is the workflow registered as WorkflowType: the definition comes
// with the run (an Envelope, or the compact start).
func (in *interpreter) runInline(ctx workflow.Context, first, second json.RawMessage) (any, error) {
	input, env, err := DecodeArgs(first, second)
	if err != nil {
		return nil, definitionError("the definition in the run's arguments: %v", err)
	}
	if env == nil || (len(env.Definition) == 0 && len(env.Deflated) == 0) {
		return nil, definitionError("a run of %s needs the definition in its second argument", WorkflowType)
	}
	return in.run(ctx, input, env)
}

func definitionError(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), DefinitionErrorType, nil)
}

// lookupResult is the marker a run records when it loads its definition
// by name.
type lookupResult struct {
	Definition json.RawMessage `json:"definition,omitempty"`
	Error      string          `json:"error,omitempty"`
}

// lookup loads the definition called name once, recording it in history.
func (in *interpreter) lookup(ctx workflow.Context, name string) ([]byte, error) {
	// The side effect runs even without a definitions source: a replay
	// reads the recorded marker and never calls the function, so a worker
	// without definitions can still replay any run started by name.
	defs := in.defs
	enc := workflow.SideEffect(ctx, func(workflow.Context) any {
		if defs == nil {
			return lookupResult{Error: fmt.Sprintf("no definition %q: this worker has no definitions to look up, and the run was started without one", name)}
		}
		b, ok := defs.Lookup(name)
		switch {
		case !ok:
			return lookupResult{Error: fmt.Sprintf("no definition named %q on worker", name)}
		case !json.Valid(b):
			return lookupResult{Error: fmt.Sprintf("definition %q is not canonical JSON", name)}
		}
		return lookupResult{Definition: b}
	})
	var res lookupResult
	if err := enc.Get(&res); err != nil {
		return nil, definitionError("definition %q: %v", name, err)
	}
	if res.Error != "" {
		return nil, definitionError("%s", res.Error)
	}
	return res.Definition, nil
}

// run executes one run of a definition.
func (in *interpreter) run(ctx workflow.Context, rawInput json.RawMessage, env *Envelope) (any, error) {
	// Two calls, so that newRunner's frame is off the stack while the
	// steps run on it: an open run's stack is a power of two that its
	// deepest call fits in.
	r, err := in.newRunner(ctx, rawInput, env)
	if err != nil {
		return nil, err
	}
	return r.execute(ctx)
}

// newRunner prepares one run of a definition: its definition, plan and
// input.
func (in *interpreter) newRunner(ctx workflow.Context, rawInput json.RawMessage, env *Envelope) (*runner, error) {
	info := workflow.GetInfo(ctx)
	wfType := info.WorkflowType.Name
	def, err := env.Canonical()
	if err != nil {
		return nil, definitionError("the definition in the run's envelope: %v", err)
	}
	if len(def) == 0 {
		d, err := in.lookup(ctx, wfType)
		if err != nil {
			return nil, err
		}
		def = d
	}
	if env != nil && !checkHash(def, env.Hash) {
		return nil, definitionError("the definition does not match its hash %s", env.Hash)
	}
	p, err := in.plan(def)
	if err != nil {
		return nil, definitionError("the definition cannot run: %v", err)
	}
	if wfType != WorkflowType && wfType != p.name {
		return nil, definitionError("workflow type %q cannot run definition %q", wfType, p.name)
	}
	input, err := decodeJSON(rawInput)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("input: %v", err), InputErrorType, nil)
	}
	if input == nil && p.inputObject {
		// Started without input (any Temporal client may do that): the
		// schema's object, empty, so that optional fields work.
		input = map[string]any{}
	}
	if p.input != nil {
		if err := checkSchema(p.input, input); err != nil {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("input: %v", err), InputErrorType, nil)
		}
	}
	r := &runner{
		plan:   p,
		wfType: wfType,
		def:    p.def,
		input:  input,
		state:  map[string]any{},
		root:   &scope{own: true},
	}
	if env != nil {
		r.hash = env.Hash
		r.carry = env.Carry
	}
	return r, nil
}

// checkSchema validates v against s and describes every violation.
func checkSchema(s *gojsonschema.Schema, v any) error {
	res, err := s.Validate(gojsonschema.NewGoLoader(v))
	if err != nil {
		return err
	}
	if res.Valid() {
		return nil
	}
	msgs := make([]string, 0, len(res.Errors()))
	for _, e := range res.Errors() {
		msgs = append(msgs, e.String())
	}
	slices.Sort(msgs) // the validator's order follows Go map order
	return errors.New(strings.Join(msgs, "; "))
}

// runner is the state of one run. Every coroutine of the run shares it;
// Temporal runs one coroutine at a time, so it needs no locking.
type runner struct {
	plan   *plan
	wfType string
	def    json.RawMessage
	hash   string
	carry  *Carry

	input any
	state map[string]any
	root  *scope
	// running holds the paths of the steps running now, once for each
	// (an inner step of a concurrent forEach as often as it runs).
	running []string
	// messages counts the signals and updates handled (see await).
	messages int
	// signalTasks counts the signal handlers whose do steps are running.
	signalTasks int
	// signalChans are the channels of the declared signals, in the order
	// of plan.signalNames; anySignalLive is set while the catch-all
	// handler takes signals (see signalTurn).
	signalChans   []workflow.ReceiveChannel
	anySignalLive bool
	// waitCtx is the run's context, without its cancellation
	// (rootAwait, rootGet).
	waitCtx workflow.Context
	// runCtx is the run's context, the root coroutine's; cancelSteps
	// cancels the steps' context, which stopSeen says the root did
	// because a handler stopped the run (see rootTurn).
	runCtx      workflow.Context
	cancelSteps workflow.CancelFunc
	stopSeen    bool
	// stop is set by a handler that ends the run: a failure, a return or a
	// continue-as-new. The first one wins.
	stop error
	// busy counts the steps executed since the run last waited, as the
	// first release counted them; work is the count that replaced it (see
	// workBudget).
	busy int
	work workBudget
	// loop is the forEach the run resumes in (Carry.Loop), until that
	// forEach takes it.
	loop *LoopCarry
	// awaitAt is the await the run resumes at (Carry.Await), until that
	// await takes it.
	awaitAt *AwaitCarry
	// history is the state of the history guard (see checkHistory).
	history historyGuard
	// exprBudget is the expression budget of the current workflow task, which
	// exprEpoch identifies by the history length at its start.
	exprBudget *expression.Budget
	exprEpoch  int
	// metrics is the handler of the per-step metrics (metrics.go), tagged
	// with the definition, made on first use.
	metrics client.MetricsHandler
}

// taskBudget returns the expression budget of the current workflow task,
// renewed whenever a new workflow task has started. The history length at
// the start of the task is part of the history, so replays renew it at the
// same points.
func (r *runner) taskBudget(ctx workflow.Context) *expression.Budget {
	epoch := workflow.GetInfo(ctx).GetCurrentHistoryLength()
	if r.exprBudget == nil || epoch != r.exprEpoch {
		r.exprBudget = expression.NewBudget(maxTaskExprSteps)
		r.exprEpoch = epoch
	}
	return r.exprBudget
}

// execute runs the steps of the definition and ends the run.
func (r *runner) execute(ctx workflow.Context) (any, error) {
	res, err := r.executeSteps(ctx)
	// The signals' turn after the root ends, as their coroutines took it
	// (see signalTurn).
	r.signalTurn(ctx)
	return res, err
}

// begin sets the run up: its state (carried or initial), its handlers,
// and the position to resume at (nil: the first step).
func (r *runner) begin(ctx workflow.Context) ([]int, error) {
	var resume []int
	if c := r.carry; c != nil {
		if c.State != nil {
			r.state = c.State
		}
		if c.Steps != nil {
			r.root.steps = c.Steps
		}
		resume = c.Resume
		if len(resume) == 0 {
			resume = []int{c.Next}
		}
		r.loop = c.Loop
		r.awaitAt = c.Await
	} else if err := r.initState(ctx); err != nil {
		return nil, err.runError()
	}
	if err := r.registerHandlers(ctx); err != nil {
		return nil, definitionError("handlers: %v", err)
	}
	return resume, nil
}

func (r *runner) executeSteps(ctx workflow.Context) (any, error) {
	resume, err := r.begin(ctx)
	if err != nil {
		return nil, err
	}
	// The steps run on this coroutine and act for the root coroutine of
	// earlier releases too (see root.go): the signals' turn before the
	// first step, the root's turn whenever they block, and the pass after
	// they end.
	mainCtx, cancelMain := workflow.WithCancel(ctx)
	r.runCtx, r.cancelSteps, r.waitCtx = ctx, cancelMain, uncancellable{ctx}
	r.signalTurn(ctx)
	mainErr := r.top(workflow.WithValue(mainCtx, rootKey{}, true), resume)
	r.endTurn()
	if r.stopSeen {
		// A handler stopped the run while the steps ran: its stop ends
		// it, whatever the cancelled steps returned.
		mainErr = r.stop
	}
	cancelMain()
	return r.finish(ctx, mainErr)
}

// initState evaluates the initial state variables, all against the input
// before any is assigned.
func (r *runner) initState(ctx workflow.Context) *failure {
	e := r.env(ctx, r.root)
	vals := make([]any, len(r.plan.state))
	for i, a := range r.plan.state {
		v, err := e.eval(a.val)
		if err != nil {
			return exprFailure("state."+a.key, "", err)
		}
		vals[i] = v
	}
	for i, a := range r.plan.state {
		r.state[a.key] = vals[i]
	}
	return nil
}

// top runs the top-level steps, from the position resume when a run
// continues another (nil: from the first step).
func (r *runner) top(ctx workflow.Context, resume []int) error {
	_, err := r.execListAt(ctx, r.root, r.plan.steps, cursor{pos: []int{}, resume: resume})
	return err
}

// cursor locates a step list for automatic continue-as-new. pos is the
// path of the list (see Carry.Resume), nil where a run cannot resume (inside
// parallel, race, forEach, try, catch, finally and handlers: their other
// branches, iterations or cleanup would be lost); resume is the rest of the
// path to start at within the list, nil to start at its first step.
type cursor struct {
	pos    []int
	resume []int
}

// at returns the path of step i of the list, or nil when not resumable.
func (c cursor) at(i int) []int {
	if c.pos == nil {
		return nil
	}
	return append(append(make([]int, 0, len(c.pos)+1), c.pos...), i)
}

// into returns the cursor of list slot of the step at path p, resuming
// there when resume (the rest of the carried path after the step's index)
// starts with slot.
func into(p []int, slot int, resume []int) cursor {
	c := cursor{}
	if p != nil {
		c.pos = append(append(make([]int, 0, len(p)+1), p...), slot)
	}
	if len(resume) > 1 && resume[0] == slot {
		c.resume = resume[1:]
	}
	return c
}

// execListAt runs a list of steps like execList, from the position in cur,
// continuing as new between steps when automatic continue-as-new is due
// and the list is resumable.
func (r *runner) execListAt(ctx workflow.Context, sc *scope, steps []*node, cur cursor) (any, error) {
	start := 0
	var inner []int
	if len(cur.resume) > 0 {
		start, inner = cur.resume[0], cur.resume[1:]
	}
	var last any
	for i := start; i < len(steps); i++ {
		here := cur.at(i)
		if i > start && here != nil {
			if err := r.autoContinue(ctx, here); err != nil {
				return nil, err
			}
		}
		step := cursor{pos: here}
		if i == start {
			step.resume = inner
		}
		res, err := r.execAt(ctx, sc, steps[i], step)
		if err != nil {
			return nil, err
		}
		last = res
	}
	return last, nil
}

// autoContinue returns a continue-as-new that resumes at the step at path
// next, when automatic continue-as-new is on and due.
func (r *runner) autoContinue(ctx workflow.Context, next []int) error {
	if !r.continueDue(ctx) {
		return nil
	}
	return r.continueAt(next, nil)
}

// continueDue reports whether automatic continue-as-new is on and due:
// Temporal suggests it, or the history is over afterEvents.
func (r *runner) continueDue(ctx workflow.Context) bool {
	if !r.plan.autoCAN {
		return false
	}
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || (r.plan.afterEvents > 0 && info.GetCurrentHistoryLength() > r.plan.afterEvents)
}

// continueAt returns the automatic continue-as-new that resumes at the
// step at path next, inside the forEach loop there when loop is set.
func (r *runner) continueAt(next []int, loop *LoopCarry) *continueSignal {
	carry := &Carry{State: r.state, Steps: r.root.steps, Next: next[0], Loop: loop}
	if len(next) > 1 {
		carry.Resume = next
	}
	return &continueSignal{input: r.input, carry: carry, path: "continueAsNew"}
}

// finish turns the outcome of the steps into the run's result.
func (r *runner) finish(ctx workflow.Context, err error) (any, error) {
	for {
		if ctx.Err() != nil {
			// Cancelled: the finally blocks have run; end as cancelled.
			return nil, ctx.Err()
		}
		var f *failure
		if errors.As(err, &f) {
			return nil, endError(ctx, f)
		}
		if err != nil && !isControl(err) {
			return nil, err
		}
		if werr := r.waitHandlers(ctx); werr != nil {
			continue // cancelled while waiting
		}
		if err == nil && r.stop != nil {
			err = r.stop
			continue
		}
		switch c := err.(type) {
		case *returnSignal:
			return c.value, nil
		case *continueSignal:
			carry := c.carry
			if r.carry != nil {
				carry.Runs = r.carry.Runs + 1
			} else {
				carry.Runs = 1
			}
			env := Envelope{Definition: r.def, Hash: r.hash}
			if newBehaviour(ctx, changeCompactEnvelope) {
				env = NewEnvelope(r.def, r.hash)
			}
			env.Carry = carry
			if f := checkPayload(ctx, c.path, "the continue-as-new's input, state, step results and definition", c.input, env); f != nil {
				return nil, f.runError()
			}
			return nil, workflow.NewContinueAsNewError(ctx, r.wfType, c.input, env)
		}
		out, oerr := r.env(ctx, r.root).eval(r.plan.output)
		if oerr != nil {
			return nil, exprFailure("output", "", oerr).runError()
		}
		if f := checkPayload(ctx, "output", "the output", out); f != nil {
			return nil, f.runError()
		}
		return out, nil
	}
}

// waitHandlers waits until no signal or update handler is running and no
// signal is pending, so that the run never ends in the middle of one.
func (r *runner) waitHandlers(ctx workflow.Context) error {
	for {
		err := r.rootAwait(ctx, func() bool {
			return r.signalTasks == 0 && workflow.AllHandlersFinished(ctx)
		})
		if err != nil {
			return err
		}
		if !r.drainSignals(ctx) {
			return nil
		}
	}
}

// exec runs one step, records its result under its id, and attributes any
// failure to it.
func (r *runner) exec(ctx workflow.Context, sc *scope, n *node) (any, error) {
	return r.execAt(ctx, sc, n, cursor{})
}

// execAt is exec for a step at the position in cur (see cursor): cur.pos
// is the step's own path, cur.resume the rest of the path to resume at
// inside it.
func (r *runner) execAt(ctx workflow.Context, sc *scope, n *node, cur cursor) (any, error) {
	st, err := r.beginStep(ctx, n)
	if err != nil {
		return nil, err
	}
	res, err := r.dispatch(ctx, sc, n, cur)
	return r.endStep(ctx, sc, n, st, res, err)
}

// stepRun is a step that beginStep started, for endStep.
type stepRun struct {
	metrics stepMetrics
	began   time.Time
}

// beginStep counts the step at n as started: the work budget, the
// running steps, the step metrics.
func (r *runner) beginStep(ctx workflow.Context, n *node) (stepRun, error) {
	if err := ctx.Err(); err != nil {
		return stepRun{}, errorFailure(n.path, "", "", err, nil)
	}
	if err := r.countStep(ctx, n.path); err != nil {
		return stepRun{}, err
	}
	r.running = append(r.running, n.path)
	sm, began := r.stepStart(ctx, n)
	return stepRun{sm, began}, nil
}

// endStep ends the step that beginStep started with its result or error:
// it attributes a failure to the step and records the outcome under the
// step's id in sc.
func (r *runner) endStep(ctx workflow.Context, sc *scope, n *node, st stepRun, res any, err error) (any, error) {
	r.stepEnd(ctx, st.metrics, st.began, err)
	if i := slices.Index(r.running, n.path); i >= 0 {
		r.running = slices.Delete(r.running, i, i+1)
	}
	if err != nil {
		if isControl(err) {
			return nil, err
		}
		var f *failure
		if !errors.As(err, &f) {
			f = errorFailure(n.path, "", "", err, nil)
			err = f
		}
		if n.id != "" {
			sc.record(n.id, map[string]any{"error": f.info()})
		}
		return nil, err
	}
	if n.id != "" {
		sc.record(n.id, map[string]any{"result": res})
	}
	return res, nil
}

// waited notes that the run blocked: the busy count starts again.
func (r *runner) waited() { r.busy = 0 }

// execList runs steps in order; its result is the last step's.
func (r *runner) execList(ctx workflow.Context, sc *scope, steps []*node) (any, error) {
	var last any
	for _, n := range steps {
		res, err := r.exec(ctx, sc, n)
		if err != nil {
			return nil, err
		}
		last = res
	}
	return last, nil
}

// env evaluates values for one step. The expression environment is built
// on first use, once per step, so a step whose values are constants costs
// nothing, and all of a step's values see the same state.
type env struct {
	r    *runner
	ctx  workflow.Context
	sc   *scope
	vars map[string]any
	// query is set for query handlers: they run outside workflow tasks and
	// must not change the run, not even its expression budget.
	query bool
}

func (r *runner) env(ctx workflow.Context, sc *scope) *env {
	return &env{r: r, ctx: ctx, sc: sc}
}

func (e *env) eval(v value) (any, error) {
	if v == nil {
		return nil, nil
	}
	if c, ok := v.(constValue); ok {
		return c.v, nil
	}
	if e.vars == nil {
		e.vars = e.r.vars(e.ctx, e.sc)
	}
	if e.query {
		return v.eval(e.vars, nil)
	}
	return v.eval(e.vars, e.r.taskBudget(e.ctx))
}

// refresh drops the environment, so that the next evaluation sees the
// state as it is now (conditions evaluated repeatedly).
func (e *env) refresh() { e.vars = nil }

// cond evaluates a condition.
func (e *env) cond(v value) (bool, error) {
	x, err := e.eval(v)
	if err != nil {
		return false, err
	}
	b, ok := x.(bool)
	if !ok {
		return false, fmt.Errorf("condition must be a bool, got %s", typeName(x))
	}
	return b, nil
}
