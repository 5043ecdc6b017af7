package dsl

import "gopkg.in/yaml.v3"

// The steps that work on state and the run's end: set, log, return, fail
// and continueAsNew.

// Step kinds of this file.
const (
	// KindSet assigns state variables; its Body is SetStep.
	KindSet Kind = "set"
	// KindLog writes to the workflow logger; its Body is *LogStep.
	KindLog Kind = "log"
	// KindReturn ends the workflow with a result; its Body is *ReturnStep.
	KindReturn Kind = "return"
	// KindFail fails the workflow or the enclosing try; its Body is
	// *FailStep.
	KindFail Kind = "fail"
	// KindContinueAsNew continues the workflow as a new run; its Body is
	// *ContinueAsNewStep.
	KindContinueAsNew Kind = "continueAsNew"
)

// SetStep assigns state variables: name → value, a template or not.
type SetStep map[string]Value

// LogStep writes a message to the replay-safe workflow logger.
type LogStep struct {
	Message Value  `json:"message"`
	Level   string `json:"level"`
}

// ReturnStep ends the workflow with Value as its output.
type ReturnStep struct {
	Value Value `json:"value"`
}

// FailStep fails the workflow (or the enclosing try) with an application
// error.
type FailStep struct {
	Message      Value  `json:"message"`
	Type         string `json:"type,omitempty"`
	NonRetryable bool   `json:"nonRetryable,omitempty"`
	Details      Value  `json:"details,omitempty"`
}

// ContinueAsNewStep continues the workflow as a new run. State is carried
// over; Input replaces the input when set; State entries are assigned
// before carrying.
type ContinueAsNewStep struct {
	Input Value            `json:"input,omitempty"`
	State map[string]Value `json:"state,omitempty"`
}

func (SetStep) children(_, _ string) []stepList            { return nil }
func (*LogStep) children(_, _ string) []stepList           { return nil }
func (*ReturnStep) children(_, _ string) []stepList        { return nil }
func (*FailStep) children(_, _ string) []stepList          { return nil }
func (*ContinueAsNewStep) children(_, _ string) []stepList { return nil }

func (s SetStep) assignedState() []string { return sortedKeys(s) }

func (s *ContinueAsNewStep) assignedState() []string {
	if s == nil {
		return nil
	}
	return sortedKeys(s.State)
}

func init() {
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindSet, Def: "setStep", Doc: "Assigns state variables; values may be `${ ... }` templates.", Example: "`set: {approved: true}`"},
		order:    20,
		defs: []*Def{
			{
				Name: "setStep",
				Doc:  "Assigns state variables.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "set", Doc: "State variables to assign, in order; values may be `${ ... }` templates.", Example: "`set: {approved: true, total: \"${ state.total + 1 }\"}`", Required: true, Ref: "assignments"},
				},
			},
		},
		decode: decodeBody[SetStep],
		build: func(b *builder, s stepSrc) Body {
			return SetStep(b.setValues(s.kv, s.kp, s.sc))
		},
	})
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindFail, Def: "failStep", Doc: "Fails the workflow (or the enclosing try) with an application error.", Example: "`fail: card declined`"},
		order:    150,
		defs: []*Def{
			{
				Name: "failStep",
				Doc:  "Fails the workflow, or the enclosing try, with an application error.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "fail", Doc: "The error message, or a mapping with message, type, nonRetryable and details.", Example: "`fail: card declined` or `fail: {message: \"${ 'declined: ' + input.card }\", type: CardDeclined, nonRetryable: true}`", Required: true, Ref: "failOptions"},
				},
			},
			{
				Name:  "failOptions",
				Label: "string, or mapping (below)",
				Keys: []Key{
					{Name: "message", Doc: "The error message; may be a template.", Example: "`message: card declined`", Required: true, Ref: "value"},
					{Name: "type", Doc: "Error type, matched by `catch.types` and `retry.nonRetryableErrorTypes`.", Example: "`type: CardDeclined`", Ref: "nonEmptyString"},
					{Name: "nonRetryable", Doc: "Mark the error as not retryable.", Default: "false", Example: "`nonRetryable: true`", Schema: typ("boolean")},
					{Name: "details", Doc: "Extra data attached to the error; may hold templates.", Example: "`details: {card: \"${ input.card }\"}`", Ref: "value"},
				},
				Schema: map[string]any{
					"type": list("string", "number", "boolean", "null", "object"),
				},
			},
		},
		decode: decodeBody[*FailStep],
		build:  buildFail,
	})
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindReturn, Def: "returnStep", Doc: "Ends the workflow with this value as its result.", Example: "`return: \"${ steps.charge.result }\"`"},
		order:    160,
		defs: []*Def{
			{
				Name: "returnStep",
				Doc:  "Ends the workflow with a result.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "return", Doc: "The workflow's result; may be a template.", Example: "`return: \"${ steps.charge.result }\"`", Required: true, Ref: "value"},
				},
			},
		},
		decode: decodeBody[*ReturnStep],
		build: func(b *builder, s stepSrc) Body {
			return &ReturnStep{Value: b.value(s.kv, s.kp, s.sc)}
		},
	})
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindContinueAsNew, Def: "continueAsNewStep", Doc: "Continues the workflow as a new run, carrying state.", Example: "`continueAsNew: {input: \"${ {cursor: state.cursor} }\"}`"},
		order:    170,
		defs: []*Def{
			{
				Name: "continueAsNewStep",
				Doc:  "Continues the workflow as a new run: state is carried over.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "continueAsNew", Doc: "Empty (`continueAsNew:`), or a mapping with the new run's `input` and `state` assignments made before carrying.", Example: "`continueAsNew: {input: \"${ {cursor: state.cursor} }\", state: {page: 0}}`", Required: true, Ref: "continueAsNewOptions"},
				},
			},
			{
				Name:  "continueAsNewOptions",
				Label: "null, or mapping (below)",
				Keys: []Key{
					{Name: "input", Doc: "Input of the new run; may be a template.", Default: "the current input", Example: "`input: \"${ {cursor: state.cursor} }\"`", Ref: "value"},
					{Name: "state", Doc: "State variables assigned before the state is carried over.", Example: "`state: {page: 0}`", Ref: "assignments"},
				},
				Schema: map[string]any{
					"type": list("null", "object"),
				},
			},
		},
		decode: decodeBody[*ContinueAsNewStep],
		build:  buildContinueAsNew,
	})
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindLog, Def: "logStep", Doc: "Writes a message to the workflow's replay-safe logger.", Example: "`log: \"${ 'charged ' + input.orderId }\"`"},
		order:    180,
		defs: []*Def{
			{
				Name: "logStep",
				Doc:  "Writes a message to the workflow's replay-safe logger.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "log", Doc: "The message: any value, with `${ ... }` templates.", Example: "`log: \"${ 'charged order ' + input.orderId }\"`", Required: true, Ref: "value"},
					{Name: "level", Doc: "Log level.", Default: "info", Example: "`level: warn`", Schema: map[string]any{
						"type":    "string",
						"enum":    list(LogLevels...),
						"default": "info",
					}},
				},
			},
		},
		decode: decodeBody[*LogStep],
		build:  buildLog,
	})
}

// LogLevels are the values of a log step's level.
var LogLevels = []string{"debug", "info", "warn", "error"}

func buildLog(b *builder, s stepSrc) Body {
	st := &LogStep{Level: "info", Message: b.value(s.kv, s.kp, s.sc)}
	b.readKeys(s.f, s.n, s.path, "logStep", st, s.sc, "id", "log")
	return st
}

func buildFail(b *builder, s stepSrc) Body {
	n, path, sc := s.kv, s.kp, s.sc
	if n.Kind == yaml.ScalarNode {
		return &FailStep{Message: b.value(n, path, sc)}
	}
	f, ok := b.fields(n, path, keysOf("failOptions"))
	if !ok {
		return (*FailStep)(nil)
	}
	st := &FailStep{}
	b.readKeys(f, n, path, "failOptions", st, sc)
	return st
}

func buildContinueAsNew(b *builder, s stepSrc) Body {
	n, path, sc := s.kv, s.kp, s.sc
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return &ContinueAsNewStep{}
	}
	f, ok := b.fields(n, path, keysOf("continueAsNewOptions"))
	if !ok {
		return (*ContinueAsNewStep)(nil)
	}
	st := &ContinueAsNewStep{}
	b.readKeys(f, n, path, "continueAsNewOptions", st, sc)
	return st
}
