package dsl

// KindAssert checks a condition and fails the step when it does not hold;
// its Body is *AssertStep.
const KindAssert Kind = "assert"

// AssertStep fails with a non-retryable AssertionFailed error when Cond
// does not hold. Message, a template, says what was expected.
type AssertStep struct {
	Cond    Value `json:"cond"`
	Message Value `json:"message,omitempty"`
}

func (*AssertStep) children(_, _ string) []stepList { return nil }

func init() {
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindAssert, Def: "assertStep", Doc: "Checks a condition; when it does not hold, the step fails with the non-retryable type `AssertionFailed`, which `catch` can handle.", Example: "`assert: \"${ steps.charge.result.amount == input.amount }\", message: charged amount differs`"},
		order:    145,
		defs: []*Def{{
			Name: "assertStep",
			Doc:  "Checks a condition and fails with `AssertionFailed` (non-retryable) when it does not hold. The result is true.",
			Keys: []Key{
				{Name: "id", Ref: "stepId"},
				{Name: "assert", Doc: "The condition that must hold.", Example: "`assert: \"${ state.total > 0 }\"`", Required: true, Ref: "condition"},
				{Name: "message", Doc: "The failure's message; may be a template.", Default: "assertion failed: the condition", Example: "`message: \"${ 'total is ' + string(state.total) }\"`", Ref: "value"},
			},
		}},
		decode: decodeBody[*AssertStep],
		build: func(b *builder, s stepSrc) Body {
			st := &AssertStep{Cond: b.cond(s.kv, s.kp, s.sc)}
			b.readKeys(s.f, s.n, s.path, "assertStep", st, s.sc, "id", "assert")
			return st
		},
	})
}
