package dsl

import (
	"github.com/dslrun/dslrun/internal/expression"
	"gopkg.in/yaml.v3"
)

// The steps that wait: sleep, sleepUntil and await.

// Step kinds of this file.
const (
	// KindSleep waits for a duration; its Body is *SleepStep.
	KindSleep Kind = "sleep"
	// KindSleepUntil waits until a time; its Body is *SleepStep.
	KindSleepUntil Kind = "sleepUntil"
	// KindAwait waits for a condition; its Body is *AwaitStep.
	KindAwait Kind = "await"
)

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

func (*SleepStep) children(_, _ string) []stepList { return nil }
func (*AwaitStep) children(_, _ string) []stepList { return nil }

func init() {
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindSleep, Def: "sleepStep", Doc: "Waits on a durable timer for a duration.", Example: "`sleep: 1h30m`"},
		order:    90,
		defs: []*Def{
			{
				Name: "sleepStep",
				Doc:  "Waits on a durable timer for a duration.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "sleep", Doc: "How long to wait: a duration (`30s`, `1h30m`, `2d`) or a `${ ... }` template that yields one.", Example: "`sleep: 10m`", Required: true, Schema: map[string]any{
						"type":                "string",
						"pattern":             durationPattern + `|\$\{`,
						"patternErrorMessage": "want a duration (e.g. 30s, 1h30m, 2d) or ${ ... }",
					}},
				},
			},
		},
		decode: decodeBody[*SleepStep],
		build: func(b *builder, s stepSrc) Body {
			return &SleepStep{Value: b.durationOrExpr(s.kv, s.kp, s.sc)}
		},
	})
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindSleepUntil, Def: "sleepUntilStep", Doc: "Waits on a durable timer until a time (RFC 3339).", Example: "`sleepUntil: \"2026-01-02T15:04:05Z\"`"},
		order:    100,
		defs: []*Def{
			{
				Name: "sleepUntilStep",
				Doc:  "Waits on a durable timer until a point in time.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "sleepUntil", Doc: "When to wake up: an RFC 3339 timestamp, or a `${ ... }` template that yields one.", Example: "`sleepUntil: \"2026-01-02T15:04:05Z\"`", Required: true, Schema: map[string]any{
						"type":                "string",
						"pattern":             `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})$|\$\{`,
						"patternErrorMessage": "want an RFC 3339 timestamp (e.g. 2026-01-02T15:04:05Z) or ${ ... }",
					}},
				},
			},
		},
		decode: decodeBody[*SleepStep],
		build: func(b *builder, s stepSrc) Body {
			return &SleepStep{Value: b.timestampOrExpr(s.kv, s.kp, s.sc)}
		},
	})
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindAwait, Def: "awaitStep", Doc: "Waits until a condition holds, or `timeout` passes.", Example: "`await: \"${ state.approved }\"`"},
		order:    110,
		defs: []*Def{
			{
				Name: "awaitStep",
				Doc:  "Waits until a condition over state holds, or the timeout passes. The result is true when the condition held, false on timeout.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "await", Doc: "The condition, re-checked whenever state changes.", Example: "`await: \"${ state.approved }\"`", Required: true, Ref: "condition"},
					{Name: "timeout", Doc: "Stop waiting after this long.", Default: "wait forever", Example: "`timeout: 24h`", Ref: "positiveDuration"},
				},
			},
		},
		decode: decodeBody[*AwaitStep],
		build: func(b *builder, s stepSrc) Body {
			st := &AwaitStep{Cond: b.cond(s.kv, s.kp, s.sc)}
			b.readKeys(s.f, s.n, s.path, "awaitStep", st, s.sc, "id", "await")
			return st
		},
	})
}

func (b *builder) timestampOrExpr(n *yaml.Node, path string, sc *scope) Value {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!str" || n.Tag == "!!timestamp") {
		if expression.IsTemplate(n.Value) {
			b.site(n, path, sc, wantTime)
			return n.Value
		}
		t, err := parseTimestamp(n.Value)
		if err != nil {
			b.errorf(n, path, CodeValue, "%v", err)
			return nil
		}
		return t
	}
	b.errorf(n, path, CodeType, "expected an RFC 3339 timestamp or ${ ... }, got %s", describe(n))
	return nil
}
