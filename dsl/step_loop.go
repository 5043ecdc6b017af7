package dsl

import (
	"slices"

	"github.com/dslrun/dslrun/internal/expression"
	"gopkg.in/yaml.v3"
)

// The loops: forEach and while.

// Step kinds of this file.
const (
	// KindForEach runs steps for each item of a list; its Body is
	// *ForEachStep.
	KindForEach Kind = "forEach"
	// KindWhile runs steps while a condition holds; its Body is *WhileStep.
	KindWhile Kind = "while"
)

// ForEachStep runs Do for each item of Items, at most Concurrency at a
// time. Its result is the list of iteration results in input order, or
// null when Results is ResultsNone.
type ForEachStep struct {
	Items       Value  `json:"items"`
	As          string `json:"as"`
	Index       string `json:"index"`
	Concurrency int    `json:"concurrency"`
	// Results is ResultsNone to keep no iteration results; empty keeps
	// them all.
	Results string  `json:"results,omitempty"`
	Do      []*Step `json:"do"`
}

// ResultsNone is the value of forEach's results key that keeps no
// iteration results: the step's result is null, and a run that continues
// as new inside the loop carries none, so the number of items is not
// limited by the size of their results.
const ResultsNone = "none"

// WhileStep runs Do while Cond holds.
type WhileStep struct {
	Cond Value   `json:"cond"`
	Do   []*Step `json:"do"`
}

func (s *ForEachStep) children(p, _ string) []stepList {
	if s == nil {
		return nil
	}
	return lists(stepList{join(p, "do"), s.Do})
}

func (s *WhileStep) children(p, _ string) []stepList {
	if s == nil {
		return nil
	}
	return lists(stepList{join(p, "do"), s.Do})
}

func init() {
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindForEach, Def: "forEachStep", Doc: "Runs `do` for each item of a list, at most `concurrency` at a time; the result is the list of iteration results.", Example: "`forEach: \"${ input.items }\", do: [{activity: Pack, with: \"${ item }\"}]`"},
		order:    70,
		defs: []*Def{
			{
				Name: "forEachStep",
				Doc:  "Runs `do` for each item, at most `concurrency` at a time. The result is the list of iteration results, in input order.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "forEach", Doc: "The items: a list, or a `${ ... }` expression that yields one.", Example: "`forEach: \"${ input.items }\"`", Required: true, Schema: map[string]any{
						"type":                list("array", "string"),
						"pattern":             `\$\{`,
						"patternErrorMessage": "want a list or ${ ... }",
					}},
					{Name: "as", Doc: "Name of the variable holding the current item.", Default: "item", Example: "`as: order`", Schema: map[string]any{
						"$ref":    "#/definitions/identifier",
						"default": "item",
					}},
					{Name: "index", Doc: "Name of the variable holding the current position, from 0.", Default: "index", Example: "`index: i`", Schema: map[string]any{
						"$ref":    "#/definitions/identifier",
						"default": "index",
					}},
					{Name: "concurrency", Doc: "Most iterations running at once, 1 to 1000.", Default: "1 (one after the other)", Example: "`concurrency: 5`", Schema: map[string]any{
						"type":    "integer",
						"minimum": 1,
						"maximum": 1000,
						"default": 1,
					}},
					{Name: "results", Doc: "`all` keeps every iteration's result, in the step's result (a list in input order) and across continue-as-new; `none` keeps none: the step's result is null, so a loop over many items is not limited by the size of their results (steps.<id> inside the body still sees each iteration's own steps).", Default: "all", Example: "`results: none`", Schema: map[string]any{
						"type":    "string",
						"enum":    list("all", ResultsNone),
						"default": "all",
					}},
					{Name: "do", Doc: "Steps run for each item.", Example: "`do: [{activity: Pack, with: \"${ item }\"}]`", Required: true, Ref: "steps"},
				},
			},
		},
		decode: decodeBody[*ForEachStep],
		build:  buildForEach,
	})
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindWhile, Def: "whileStep", Doc: "Runs `do` while the condition holds.", Example: "`while: \"${ state.pending > 0 }\", do: [{activity: Poll}]`"},
		order:    80,
		defs: []*Def{
			{
				Name: "whileStep",
				Doc:  "Runs `do` while the condition holds.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "while", Doc: "The condition, checked before each iteration.", Example: "`while: \"${ state.cursor != '' }\"`", Required: true, Ref: "condition"},
					{Name: "do", Doc: "Steps of one iteration.", Example: "`do: [{activity: FetchPage, id: page}]`", Required: true, Ref: "steps"},
				},
			},
		},
		decode: decodeBody[*WhileStep],
		build: func(b *builder, s stepSrc) Body {
			st := &WhileStep{Cond: b.cond(s.kv, s.kp, s.sc)}
			b.readKeys(s.f, s.n, s.path, "whileStep", st, s.sc, "id", "while")
			return st
		},
	})
}

func buildForEach(b *builder, s stepSrc) Body {
	st := &ForEachStep{As: "item", Index: "index", Concurrency: 1}
	kv, kp, sc := s.kv, s.kp, s.sc
	switch {
	case kv.Kind == yaml.SequenceNode:
		st.Items = b.value(kv, kp, sc)
	case kv.Kind == yaml.ScalarNode && kv.Tag == "!!str" && expression.IsTemplate(kv.Value):
		b.site(kv, kp, sc, wantList)
		st.Items = kv.Value
	default:
		b.errorf(kv, kp, CodeType, "expected a list or ${ ... }, got %s", describe(kv))
	}
	if v := s.val("as"); v != nil {
		if name, ok := b.ident(v, s.keyPath("as"), "variable"); ok {
			st.As = name
		}
	}
	if v := s.val("index"); v != nil {
		if name, ok := b.ident(v, s.keyPath("index"), "variable"); ok {
			st.Index = name
		}
	}
	for _, k := range []string{"as", "index"} {
		if v := s.val(k); v != nil && slices.Contains(ReservedVars(), v.Value) {
			b.errorf(v, s.keyPath(k), CodeValue, "%q is a reserved variable name", v.Value)
		}
	}
	if st.As == st.Index {
		b.errorf(s.n, s.path, CodeValue, "as and index must differ")
	}
	b.readKeys(s.f, s.n, s.path, "forEachStep", st, sc.with(st.As, st.Index), "id", "forEach", "as", "index")
	if st.Results == "all" {
		st.Results = "" // the default: the canonical form leaves it out
	}
	return st
}
