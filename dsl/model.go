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
	// Children is the table of the definitions that child steps started
	// by file (ChildStep.DefinitionHash) need, directly or through other
	// child files, each stored once: by its hash (Definition.Hash), its
	// canonical form without a table of its own (Definition.Body). Set by
	// Prepare; it stays the last key of the canonical form (WithChildren).
	Children map[string]json.RawMessage `json:"children,omitempty"`
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
	// Skip calendars: their omitted fields match every value.
	Skip []ScheduleCalendar `json:"skip,omitempty"`
	// StartTime and EndTime bound the start times (canonical RFC 3339).
	StartTime        string         `json:"startTime,omitempty"`
	EndTime          string         `json:"endTime,omitempty"`
	CatchupWindow    Duration       `json:"catchupWindow,omitempty"`
	PauseOnFailure   bool           `json:"pauseOnFailure,omitempty"`
	RemainingActions int            `json:"remainingActions,omitempty"`
	Memo             map[string]any `json:"memo,omitempty"`
	SearchAttributes map[string]any `json:"searchAttributes,omitempty"`
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

// Kind names a step kind; it is the YAML key that selects the kind. The
// kinds are declared with their bodies, one file each (see Kinds).
type Kind string

// Step is one step of a definition: its id, its kind, and the body that
// its kind defines (see Body).
type Step struct {
	// Pos is where the step's mapping starts in its file; zero in a
	// definition decoded from its canonical form.
	Pos Pos
	// ID is the step's id, empty when it has none.
	ID string
	// Kind is the key that selects the step's kind.
	Kind Kind
	// Body holds the kind's part of the step; its type depends on Kind
	// (see Body). It may be a nil pointer in a definition that failed
	// validation.
	Body Body
}
