package dsl

import "encoding/json"

// Version is the only DSL version this package reads.
const Version = "v1"

// Value is a YAML value in dslrun's value model: nil, bool, int, float64,
// string, []any or map[string]any. Strings may contain ${ ... } templates,
// which the interpreter evaluates at run time.
type Value = any

// Pos is a position in a source file. Line and Col are 1-based; the zero
// Pos means "unknown".
type Pos struct {
	File string `json:"-"`
	Line int    `json:"-"`
	Col  int    `json:"-"`
}

// IsValid reports whether p names a line.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Workflow is a parsed definition. Its JSON encoding (without positions) is
// the canonical definition recorded in every run's history; see Canonical.
type Workflow struct {
	Pos         Pos    `json:"-"`
	DSL         string `json:"dsl"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Input is the JSON schema (draft-07) of the workflow input.
	Input map[string]any `json:"input,omitempty"`
	// State holds the initial state variables; values may be templates over
	// input and workflow.
	State map[string]Value `json:"state,omitempty"`
	// Activity holds the defaults of every activity step. In the canonical
	// form they are already merged into each step.
	Activity *ActivityOptions `json:"activity,omitempty"`
	// Options are the start options of the workflow.
	Options *WorkflowOptions `json:"options,omitempty"`
	// Schedule, when present, is reconciled by apply.
	Schedule *Schedule `json:"schedule,omitempty"`
	// ContinueAsNew controls automatic continue-as-new.
	ContinueAsNew *AutoContinueAsNew `json:"continueAsNew,omitempty"`
	Signals       map[string]*Signal `json:"signals,omitempty"`
	Queries       map[string]*Query  `json:"queries,omitempty"`
	Updates       map[string]*Update `json:"updates,omitempty"`
	Steps         []*Step            `json:"steps"`
	// Output is the workflow result; a template over the final scope.
	Output Value `json:"output,omitempty"`
}

// ActivityOptions are the Temporal options of an activity step.
type ActivityOptions struct {
	TaskQueue              string       `json:"taskQueue,omitempty"`
	StartToCloseTimeout    Duration     `json:"startToCloseTimeout,omitempty"`
	ScheduleToCloseTimeout Duration     `json:"scheduleToCloseTimeout,omitempty"`
	ScheduleToStartTimeout Duration     `json:"scheduleToStartTimeout,omitempty"`
	HeartbeatTimeout       Duration     `json:"heartbeatTimeout,omitempty"`
	Retry                  *RetryPolicy `json:"retry,omitempty"`
}

// RetryPolicy is a Temporal retry policy. Zero fields take Temporal's
// defaults (initial interval 1s, coefficient 2, maximum interval 100 ×
// initial, unlimited attempts).
type RetryPolicy struct {
	InitialInterval        Duration `json:"initialInterval,omitempty"`
	BackoffCoefficient     float64  `json:"backoffCoefficient,omitempty"`
	MaximumInterval        Duration `json:"maximumInterval,omitempty"`
	MaximumAttempts        int      `json:"maximumAttempts,omitempty"`
	NonRetryableErrorTypes []string `json:"nonRetryableErrorTypes,omitempty"`
}

// WorkflowOptions are the start options of a workflow: what a client sets
// when it starts a run.
type WorkflowOptions struct {
	// ID is the workflow id; a template over input. Empty: generated.
	ID               string         `json:"id,omitempty"`
	TaskQueue        string         `json:"taskQueue,omitempty"`
	ExecutionTimeout Duration       `json:"executionTimeout,omitempty"`
	RunTimeout       Duration       `json:"runTimeout,omitempty"`
	TaskTimeout      Duration       `json:"taskTimeout,omitempty"`
	Retry            *RetryPolicy   `json:"retry,omitempty"`
	Cron             string         `json:"cron,omitempty"`
	StartDelay       Duration       `json:"startDelay,omitempty"`
	Memo             map[string]any `json:"memo,omitempty"`
	SearchAttributes map[string]any `json:"searchAttributes,omitempty"`
	// IDReusePolicy is one of allowDuplicate, allowDuplicateFailedOnly,
	// rejectDuplicate, terminateIfRunning.
	IDReusePolicy string `json:"idReusePolicy,omitempty"`
	// IDConflictPolicy is one of fail, useExisting, terminateExisting.
	IDConflictPolicy string `json:"idConflictPolicy,omitempty"`
}

// Schedule is a Temporal schedule that apply creates or updates.
type Schedule struct {
	ID        string             `json:"id,omitempty"`
	Intervals []ScheduleInterval `json:"intervals,omitempty"`
	Cron      []string           `json:"cron,omitempty"`
	Calendars []ScheduleCalendar `json:"calendars,omitempty"`
	Jitter    Duration           `json:"jitter,omitempty"`
	TimeZone  string             `json:"timeZone,omitempty"`
	// Overlap is one of skip, bufferOne, bufferAll, cancelOther,
	// terminateOther, allowAll.
	Overlap string `json:"overlap,omitempty"`
	Paused  bool   `json:"paused,omitempty"`
	Note    string `json:"note,omitempty"`
	Input   Value  `json:"input,omitempty"`
}

// ScheduleInterval fires every Every, shifted by Offset.
type ScheduleInterval struct {
	Every  Duration `json:"every"`
	Offset Duration `json:"offset,omitempty"`
}

// ScheduleCalendar is a calendar spec; each field takes Temporal's range
// syntax ("1-5", "MON,WED", "*/15"). Empty fields take Temporal's
// defaults (second 0, minute 0, hour 0, every day).
type ScheduleCalendar struct {
	Second     string `json:"second,omitempty"`
	Minute     string `json:"minute,omitempty"`
	Hour       string `json:"hour,omitempty"`
	DayOfMonth string `json:"dayOfMonth,omitempty"`
	Month      string `json:"month,omitempty"`
	Year       string `json:"year,omitempty"`
	DayOfWeek  string `json:"dayOfWeek,omitempty"`
	Comment    string `json:"comment,omitempty"`
}

// AutoContinueAsNew controls automatic continue-as-new, checked at step
// boundaries. State and the position in the step list are carried over.
type AutoContinueAsNew struct {
	// Disabled turns automatic continue-as-new off.
	Disabled bool `json:"disabled,omitempty"`
	// AfterEvents continues as new once history exceeds this many events,
	// in addition to Temporal's own suggestion. 0 means only the suggestion.
	AfterEvents int `json:"afterEvents,omitempty"`
}

// Signal is a signal handler. The name "*" is the catch-all handler.
type Signal struct {
	Pos Pos `json:"-"`
	// Set assigns state variables from the signal's args.
	Set map[string]Value `json:"set,omitempty"`
	// Do runs steps in a coroutine of their own.
	Do []*Step `json:"do,omitempty"`
}

// Query is a query handler: an expression over state. The name "*" is the
// catch-all handler.
type Query struct {
	Pos    Pos   `json:"-"`
	Result Value `json:"result"`
}

// Update is an update handler.
type Update struct {
	Pos Pos `json:"-"`
	// Args is a JSON schema that the update's argument must satisfy.
	Args map[string]any `json:"args,omitempty"`
	// Validate is a condition; an update for which it is false is
	// rejected before anything is written to history.
	Validate Value   `json:"validate,omitempty"`
	Do       []*Step `json:"do,omitempty"`
	// Return is the value returned to the caller.
	Return Value `json:"return,omitempty"`
}

// Kind names a step kind; it is the YAML key that selects the kind.
type Kind string

// Step kinds.
const (
	KindActivity       Kind = "activity"
	KindSet            Kind = "set"
	KindIf             Kind = "if"
	KindSwitch         Kind = "switch"
	KindParallel       Kind = "parallel"
	KindRace           Kind = "race"
	KindForEach        Kind = "forEach"
	KindWhile          Kind = "while"
	KindSleep          Kind = "sleep"
	KindSleepUntil     Kind = "sleepUntil"
	KindAwait          Kind = "await"
	KindChild          Kind = "child"
	KindSignalWorkflow Kind = "signalWorkflow"
	KindTry            Kind = "try"
	KindFail           Kind = "fail"
	KindReturn         Kind = "return"
	KindContinueAsNew  Kind = "continueAsNew"
	KindLog            Kind = "log"
)

// Kinds lists every step kind in documentation order: the kinds of the
// description of the DSL (see Lang).
var Kinds = func() []Kind {
	out := make([]Kind, len(stepKinds))
	for i, s := range stepKinds {
		out[i] = s.Kind
	}
	return out
}()

// Step is one step of a definition. Exactly one of the kind fields is set,
// and Kind names it.
type Step struct {
	Pos  Pos    `json:"-"`
	ID   string `json:"id,omitempty"`
	Kind Kind   `json:"kind"`

	Activity       *ActivityStep       `json:"activity,omitempty"`
	Set            map[string]Value    `json:"set,omitempty"`
	If             *IfStep             `json:"if,omitempty"`
	Switch         *SwitchStep         `json:"switch,omitempty"`
	Parallel       *ParallelStep       `json:"parallel,omitempty"`
	Race           *ParallelStep       `json:"race,omitempty"`
	ForEach        *ForEachStep        `json:"forEach,omitempty"`
	While          *WhileStep          `json:"while,omitempty"`
	Sleep          *SleepStep          `json:"sleep,omitempty"`
	SleepUntil     *SleepStep          `json:"sleepUntil,omitempty"`
	Await          *AwaitStep          `json:"await,omitempty"`
	Child          *ChildStep          `json:"child,omitempty"`
	SignalWorkflow *SignalWorkflowStep `json:"signalWorkflow,omitempty"`
	Try            *TryStep            `json:"try,omitempty"`
	Fail           *FailStep           `json:"fail,omitempty"`
	Return         *ReturnStep         `json:"return,omitempty"`
	ContinueAsNew  *ContinueAsNewStep  `json:"continueAsNew,omitempty"`
	Log            *LogStep            `json:"log,omitempty"`
}

// ActivityStep runs a Temporal activity.
type ActivityStep struct {
	// Name is the activity type; a string or a template (activity choice).
	Name string `json:"name"`
	// With is the single argument passed to the activity.
	With  Value `json:"with,omitempty"`
	Local bool  `json:"local,omitempty"`
	// ActivityID is the activity id; a template. Empty: Temporal's.
	ActivityID string `json:"activityId,omitempty"`
	ActivityOptions
}

// IfStep runs Then when Cond is true, else Else.
type IfStep struct {
	Cond Value   `json:"cond"`
	Then []*Step `json:"then"`
	Else []*Step `json:"else,omitempty"`
}

// SwitchStep runs the first case whose condition holds, else Default.
type SwitchStep struct {
	Cases   []*Case `json:"cases"`
	Default []*Step `json:"default,omitempty"`
}

// Case is one case of a switch.
type Case struct {
	Pos  Pos     `json:"-"`
	When Value   `json:"when"`
	Do   []*Step `json:"do"`
}

// ParallelStep runs branches concurrently as coroutines of the one
// workflow. For parallel the step waits for all branches; for race the
// first branch to finish wins and the others are cancelled.
type ParallelStep struct {
	Branches [][]*Step `json:"branches"`
}

// ForEachStep runs Do for each item of Items, at most Concurrency at a
// time. Its result is the list of iteration results in input order.
type ForEachStep struct {
	Items       Value   `json:"items"`
	As          string  `json:"as"`
	Index       string  `json:"index"`
	Concurrency int     `json:"concurrency"`
	Do          []*Step `json:"do"`
}

// WhileStep runs Do while Cond holds.
type WhileStep struct {
	Cond Value   `json:"cond"`
	Do   []*Step `json:"do"`
}

// SleepStep waits on a durable timer: for a duration (sleep) or until a
// timestamp (sleepUntil). Value is a literal or a template.
type SleepStep struct {
	Value Value `json:"value"`
}

// AwaitStep waits until Cond holds, or Timeout passes. Its result is true
// when the condition held and false on timeout.
type AwaitStep struct {
	Cond    Value    `json:"cond"`
	Timeout Duration `json:"timeout,omitempty"`
}

// ChildStep starts a child workflow.
type ChildStep struct {
	// Workflow is the workflow type: a definition name or any type. With
	// File, it is the name of the definition in that file.
	Workflow string `json:"workflow"`
	// File is the path of a definition file, relative to the definition
	// that names it. The validation pipeline (package dsl/validate)
	// reads and validates it, and records its canonical form in Definition,
	// so that the child runs with the parent's bundled copy: no worker needs
	// to know it, and editing the file never changes a run in flight.
	File string `json:"-"`
	// Definition is the canonical form of File's definition, set by the
	// validation pipeline; the interpreter passes it to the child run.
	Definition json.RawMessage `json:"definition,omitempty"`
	With       Value           `json:"with,omitempty"`
	// ID is the child's workflow id; a template. Empty: derived by Temporal.
	ID        string `json:"id,omitempty"`
	TaskQueue string `json:"taskQueue,omitempty"`
	// Wait is whether the step waits for the child's result (default true).
	Wait bool `json:"wait"`
	// ParentClosePolicy is one of terminate (default), requestCancel, abandon.
	ParentClosePolicy string       `json:"parentClosePolicy"`
	ExecutionTimeout  Duration     `json:"executionTimeout,omitempty"`
	RunTimeout        Duration     `json:"runTimeout,omitempty"`
	TaskTimeout       Duration     `json:"taskTimeout,omitempty"`
	Retry             *RetryPolicy `json:"retry,omitempty"`
}

// SignalWorkflowStep signals another workflow.
type SignalWorkflowStep struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId,omitempty"`
	Signal     string `json:"signal"`
	With       Value  `json:"with,omitempty"`
}

// TryStep runs Try; on failure, the first matching Catch; Finally always
// runs, also when the workflow is cancelled.
type TryStep struct {
	Try     []*Step  `json:"try"`
	Catch   []*Catch `json:"catch,omitempty"`
	Finally []*Step  `json:"finally,omitempty"`
}

// Catch handles failures whose type is in Types (any failure when Types is
// empty). The failure is available as the variable error.
type Catch struct {
	Pos   Pos      `json:"-"`
	Types []string `json:"types,omitempty"`
	Do    []*Step  `json:"do"`
}

// FailStep fails the workflow (or the enclosing try) with an application
// error.
type FailStep struct {
	Message      Value  `json:"message"`
	Type         string `json:"type,omitempty"`
	NonRetryable bool   `json:"nonRetryable,omitempty"`
	Details      Value  `json:"details,omitempty"`
}

// ReturnStep ends the workflow with Value as its output.
type ReturnStep struct {
	Value Value `json:"value"`
}

// ContinueAsNewStep continues the workflow as a new run. State is carried
// over; Input replaces the input when set; State entries are assigned
// before carrying.
type ContinueAsNewStep struct {
	Input Value            `json:"input,omitempty"`
	State map[string]Value `json:"state,omitempty"`
}

// LogStep writes a message to the replay-safe workflow logger.
type LogStep struct {
	Message Value  `json:"message"`
	Level   string `json:"level"`
}
