// Package interpreter owns the one generic Temporal workflow that runs every
// dslrun definition: it walks the steps of a canonical definition (package
// dsl) and maps each onto a Temporal primitive, evaluates expressions
// (package internal/expression) over the run's state, and serves the
// definition's signals, queries and updates.
//
// # Registration and definitions
//
// [Register] installs the interpreter on a worker twice: as the dynamic
// workflow, so a run's workflow type is its definition's name (it reads
// well in the Temporal UI and any client can start it), and as
// [WorkflowType] for definitions passed inline. Argument 0 of every run is
// the user's input; optional argument 1 is an [Envelope] with the canonical
// definition and its hash and, after a continue-as-new, the carried state.
// dslrun apply ([NewStart]) sends the definition compressed, as bytes,
// instead of the envelope, and leaves out a nil input ([DecodeArgs] reads
// every form). Without a definition the run loads its
// definition by name from [Options].Definitions, once, inside
// workflow.SideEffect: the definition is then a marker in the run's
// history, and a replay never depends on files or worker memory.
//
// # Steps and results
//
// Each step kind maps onto one Temporal primitive and nothing more:
// activity (ExecuteActivity or ExecuteLocalActivity), sleep and sleepUntil
// (a timer), await (workflow.Await, with a timer when it has a timeout),
// child (ExecuteChildWorkflow), signalWorkflow (SignalExternalWorkflow).
// parallel, race and forEach run their branches and iterations as
// coroutines of the one workflow (workflow.Go), never as hidden child
// workflows; a concurrent forEach whose body is one activity step
// schedules and awaits the activities itself, as a hand-written fan-out
// does. The top-level steps run on the run's root coroutine, which also
// receives the signals (root.go). set, if, switch, while, try, fail,
// return, continueAsNew and log cost no history at all.
//
// An activity gets its evaluated with: value as its single argument. A
// local activity gets it as JSON (json.RawMessage), because the SDK calls
// local activities with the workflow's arguments unserialised; the
// activities registry's adapter decodes it into the function's parameter
// type, exactly as a remote activity's payload is decoded.
//
// A step's result is recorded as steps.<id>.result when the step has an
// id (steps.<id>.error when it failed). A list of steps has the result of
// its last step. Results by kind: activity and child, the normalised
// result (a child that is not waited for: {workflowId, runId}); set, the
// mapping of the values it assigned; if, switch, try, while, the result of
// the steps that ran (nil when none); parallel and forEach, the list of
// branch or iteration results in definition or input order; race,
// {branch, result} of the winner; await, true, or false on timeout; assert,
// true (or the step fails with AssertionFailed); upsert, {searchAttributes,
// memo} of what it set; sleep,
// sleepUntil, signalWorkflow and log, nil. The run's result is the output
// expression, evaluated after the last step, unless a return step ran.
//
// Each forEach iteration has a scope of its own: the steps with an id
// inside it record there, visible to later steps of the iteration only.
// Everything else shares the run's scope.
//
// # Failures
//
// A failed step becomes a failure attributed to the innermost step's path
// (steps[3].parallel[1][0]). A failed run ends with a
// *temporal.ApplicationError whose Type is the failure's own type (so that
// workflow retry policies and a parent's catch see it), whose message is
// "<path>: activity "<name>" failed: <message>" (or "<path>: <message>"
// for fail steps), whose details are the original details, and whose cause
// is the error Temporal returned for the step (an *temporal.ActivityError,
// a *temporal.ChildWorkflowExecutionError, ...), so errors.As finds every
// link of the chain.
//
// The type of a failure, and the names a catch matches, are: the Type of
// every *temporal.ApplicationError in the chain (an activity failing with
// type PaymentDeclined is caught by types: [PaymentDeclined], also through
// a child workflow); Timeout for any timeout, plus ActivityTimeout or
// ChildWorkflowTimeout; Canceled; Terminated; Panic. A catch without types,
// or with "*", matches every failure that can be caught. The variable
// error in catch is {type, message, details, nonRetryable, step, activity,
// attempt, cause}: attempt is the retry policy's maximum when the retries
// ran out, nil otherwise; cause is the full text of the original error.
//
// Failures that no catch handles (finally still runs): the run's own
// cancellation, ExpressionErrorType (an expression failed, exceeded its
// limits or gave a value of the wrong type) and LimitExceededType (the run
// did maxBusySteps steps, while iterations and coroutines, or started
// maxTaskCoroutines coroutines, without waiting once for anything outside
// the run: a loop that never blocks; see workBudget). All the expressions of one workflow task share an operation
// budget (maxTaskExprSteps) on top of each expression's own limits, so a
// step full of heavy expressions fails the run too instead of keeping the
// task busy past the deadlock detector; query handlers, which must not
// change the run, do not spend it. Both are non-retryable and fail the run, never the workflow
// task, so a hostile definition cannot keep workers busy retrying it.
//
// # Cancellation
//
// A cancelled run stops: running activities and child workflows are
// cancelled (an activity with a heartbeat timeout is waited for until it
// acknowledges, so cleanup runs after it stopped), timers and awaits
// return, no new step starts. finally blocks run on a disconnected
// context, and the run then ends as cancelled.
//
// # Signals, queries and updates
//
// Handlers are installed before the first step, so signals and updates
// that arrive with the start are seen. A signal's set runs at once, its do
// steps in a coroutine of their own; a failure there, or a return or
// continueAsNew, ends the run. Queries are expressions, read-only; every
// run also answers [StateQuery]. An update is checked before it reaches
// history (JSON schema of args, then validate) and rejected with
// [UpdateRejectedType]; its do steps run in the update's coroutine, a
// failure there fails the update (and the run, for expression and limit
// errors), and return gives its result. The catch-all "*" signal receives
// every signal without a handler of its own (handler.name holds its name).
// The Go SDK v1.50 has no dynamic query or update handlers, so "*" queries
// and updates are ignored. Before completing or continuing as new, a run
// waits until no handler is running and no signal is pending.
//
// # Continue-as-new
//
// An explicit continueAsNew starts the definition again from its first
// step with the carried state. Automatic continue-as-new (unless disabled
// in the definition) happens at step boundaries, when Temporal suggests it
// or the history exceeds continueAsNew.afterEvents: between the steps of
// the top-level list and of any list nested in while, if and switch steps
// (however deep), between the iterations of such while loops and of a
// forEach there (Carry.Loop), and while an await there waits, once a
// signal or update came and no handler runs (Carry.Await keeps its
// deadline). The new run resumes at the same place (Carry.Resume, a path
// through the nested lists) with the state and the step results. It never
// happens inside
// parallel, race, forEach, try, catch, finally or handler steps: their
// other branches, iterations or cleanup would be lost.
//
// # Determinism
//
// Workflow code here never reads files, the environment, the clock or
// random numbers, and iterates maps in sorted key order. Expressions see
// workflow.now. A change of behaviour is wrapped in workflow.GetVersion,
// asked only where the new behaviour differs from the old (see budget.go),
// so that a run records a version marker only when it takes a new path;
// every history recorded before a change replays on the old path
// (testdata/histories holds one for each change, and one of its new path).
package interpreter
