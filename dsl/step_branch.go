package dsl

import "gopkg.in/yaml.v3"

// The steps that choose what runs: if, switch and try.

// Step kinds of this file.
const (
	// KindIf runs one of two step lists; its Body is *IfStep.
	KindIf Kind = "if"
	// KindSwitch runs the first case that holds; its Body is *SwitchStep.
	KindSwitch Kind = "switch"
	// KindTry handles failures; its Body is *TryStep.
	KindTry Kind = "try"
)

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

func (s *IfStep) children(p, _ string) []stepList {
	if s == nil {
		return nil
	}
	return lists(stepList{join(p, "then"), s.Then}, stepList{join(p, "else"), s.Else})
}

func (s *SwitchStep) children(p, kp string) []stepList {
	if s == nil {
		return nil
	}
	var out []stepList
	for i, c := range s.Cases {
		out = append(out, stepList{join(index(kp, i), "do"), c.Do})
	}
	return lists(append(out, stepList{join(p, "default"), s.Default})...)
}

func (s *TryStep) children(p, kp string) []stepList {
	if s == nil {
		return nil
	}
	out := []stepList{{kp, s.Try}}
	for i, c := range s.Catch {
		out = append(out, stepList{join(index(join(p, "catch"), i), "do"), c.Do})
	}
	return lists(append(out, stepList{join(p, "finally"), s.Finally})...)
}

func init() {
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindIf, Def: "ifStep", Doc: "Runs `then` when the condition holds, else `else`.", Example: "`if: \"${ input.amount > 100 }\", then: [{activity: RequestApproval}]`"},
		order:    30,
		defs: []*Def{
			{
				Name: "ifStep",
				Doc:  "Runs `then` when the condition holds, else `else`.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "if", Doc: "The condition: true, false or a `${ ... }` expression.", Example: "`if: \"${ input.amount > 100 }\"`", Required: true, Ref: "condition"},
					{Name: "then", Doc: "Steps run when the condition holds.", Example: "`then: [{activity: RequestApproval}]`", Required: true, Ref: "steps"},
					{Name: "else", Doc: "Steps run when it does not.", Default: "none", Example: "`else: [{log: auto-approved}]`", Ref: "steps"},
				},
			},
		},
		decode: decodeBody[*IfStep],
		build: func(b *builder, s stepSrc) Body {
			st := &IfStep{Cond: b.cond(s.kv, s.kp, s.sc)}
			b.readKeys(s.f, s.n, s.path, "ifStep", st, s.sc, "id", "if")
			return st
		},
	})
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindSwitch, Def: "switchStep", Doc: "Runs the `do` of the first case whose `when` holds, else `default`.", Example: "`switch: [{when: \"${ input.fruit == 'apple' }\", do: [{activity: Peel}]}]`"},
		order:    40,
		defs: []*Def{
			{
				Name: "switchStep",
				Doc:  "Runs the first case whose condition holds, else `default`.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "switch", Doc: "The cases, checked in order; at least one.", Example: "`switch: [{when: \"${ input.size > 10 }\", do: [{activity: ShipFreight}]}]`", Required: true, Schema: map[string]any{
						"type":     "array",
						"minItems": 1,
						"items":    ref("switchCase"),
					}},
					{Name: "default", Doc: "Steps run when no case holds.", Default: "none", Example: "`default: [{activity: ShipParcel}]`", Ref: "steps"},
				},
			},
			{
				Name:  "switchCase",
				Label: "`{when, do}`",
				Doc:   "A case of a switch.",
				Keys: []Key{
					{Name: "when", Doc: "The condition of the case.", Example: "`when: \"${ input.country == 'FR' }\"`", Required: true, Ref: "condition"},
					{Name: "do", Doc: "Steps run when the condition holds.", Example: "`do: [{activity: ShipLocal}]`", Required: true, Ref: "steps"},
				},
			},
		},
		decode: decodeBody[*SwitchStep],
		build:  buildSwitch,
	})
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindTry, Def: "tryStep", Doc: "Runs steps; on failure, the first matching `catch`; `finally` always runs, also on cancellation.", Example: "`try: [{activity: Book}], finally: [{activity: Release}]`"},
		order:    140,
		defs: []*Def{
			{
				Name: "tryStep",
				Doc:  "Runs `try`; on failure, the first matching `catch`; `finally` always runs, also when the workflow is cancelled. Needs catch or finally.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "try", Doc: "Steps to run.", Example: "`try: [{activity: BookFlight}]`", Required: true, Ref: "steps"},
					{Name: "catch", Doc: "Failure handlers, checked in order; the failure is `error` in their expressions.", Example: "`catch: [{types: [SoldOut], do: [{activity: Refund}]}]`", Schema: map[string]any{
						"type":  "array",
						"items": ref("catchHandler"),
					}},
					{Name: "finally", Doc: "Cleanup steps, run whether `try` succeeds, fails or is cancelled.", Example: "`finally: [{activity: ReleaseSeat}]`", Ref: "steps"},
				},
				AtLeastOne:    []string{"catch", "finally"},
				AtLeastOneMsg: "try needs catch or finally",
			},
			{
				Name:  "catchHandler",
				Label: "`{types, do}`",
				Doc:   "A failure handler of a try step.",
				Keys: []Key{
					{Name: "types", Doc: "Failure types this handler catches.", Default: "any failure", Example: "`types: [SoldOut, PaymentDeclined]`", Ref: "stringList"},
					{Name: "do", Doc: "Steps run for a caught failure; `error` holds it.", Example: "`do: [{log: \"${ error.message }\"}]`", Required: true, Ref: "steps"},
				},
			},
		},
		decode: decodeBody[*TryStep],
		build:  buildTry,
	})
}

func buildSwitch(b *builder, s stepSrc) Body {
	st := &SwitchStep{}
	kv, kp := s.kv, s.kp
	if kv.Kind != yaml.SequenceNode {
		b.errorf(kv, kp, CodeType, "expected a list of cases, got %s", describe(kv))
	} else {
		if len(kv.Content) == 0 {
			b.errorf(kv, kp, CodeValue, "switch needs at least one case")
		}
		for i, c := range kv.Content {
			cp := index(kp, i)
			cf, ok := b.fields(c, cp, keysOf("switchCase"))
			if !ok {
				continue
			}
			cs := &Case{Pos: b.pos(c)}
			b.readKeys(cf, c, cp, "switchCase", cs, s.sc)
			st.Cases = append(st.Cases, cs)
		}
	}
	b.readKeys(s.f, s.n, s.path, "switchStep", st, s.sc, "id", "switch")
	return st
}

func buildTry(b *builder, s stepSrc) Body {
	t := &TryStep{Try: b.steps(s.kv, s.kp, s.sc)}
	if v := s.val("catch"); v != nil {
		p := s.keyPath("catch")
		if v.Kind != yaml.SequenceNode {
			b.errorf(v, p, CodeType, "expected a list of handlers, got %s", describe(v))
		} else {
			for i, c := range v.Content {
				cp := index(p, i)
				cf, ok := b.fields(c, cp, keysOf("catchHandler"))
				if !ok {
					continue
				}
				ct := &Catch{Pos: b.pos(c)}
				b.readKeys(cf, c, cp, "catchHandler", ct, s.sc.with(ScopeCatch.Vars()...))
				t.Catch = append(t.Catch, ct)
			}
		}
	}
	b.readKeys(s.f, s.n, s.path, "tryStep", t, s.sc, "id", "try", "catch")
	if s.val("catch") == nil && s.val("finally") == nil {
		b.errorf(s.n, s.path, CodeRequired, "try needs catch or finally")
	}
	return t
}
