package dsl

import "gopkg.in/yaml.v3"

// KindUpsert sets search attributes and memo of the run while it runs;
// its Body is *UpsertStep.
const KindUpsert Kind = "upsert"

// UpsertStep sets search attributes and memo entries of the running
// workflow. Values are templates; a search attribute is typed by its value
// as options.searchAttributes are.
type UpsertStep struct {
	SearchAttributes map[string]Value `json:"searchAttributes,omitempty"`
	Memo             map[string]Value `json:"memo,omitempty"`
}

func (*UpsertStep) children(_, _ string) []stepList { return nil }

func init() {
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindUpsert, Def: "upsertStep", Doc: "Sets search attributes and memo entries of the running workflow, so that `dslrun list --query` and the Temporal UI see its progress.", Example: "`upsert: {searchAttributes: {OrderStage: shipped}, memo: {receipt: \"${ steps.charge.result }\"}}`"},
		order:    175,
		defs: []*Def{{
			Name: "upsertStep",
			Doc:  "Sets search attributes and memo entries of the running workflow. The result is the mapping of what was set.",
			Keys: []Key{
				{Name: "id", Ref: "stepId"},
				{Name: "upsert", Doc: "What to set: `searchAttributes`, `memo`, or both.", Example: "`upsert: {searchAttributes: {OrderStage: shipped}}`", Required: true, Ref: "upsertOptions"},
			},
		}, {
			Name:          "upsertOptions",
			Label:         "mapping (below)",
			AtLeastOne:    []string{"searchAttributes", "memo"},
			AtLeastOneMsg: "upsert needs searchAttributes or memo",
			Keys: []Key{
				{Name: "searchAttributes", Doc: "Search attributes to set; they must exist in the namespace (`dslrun dev --search-attribute NAME=TYPE`). Values may be templates and are typed by their value, as in options.searchAttributes.", Example: "`searchAttributes: {OrderStage: \"${ state.stage }\"}`", Schema: map[string]any{
					"type":                 "object",
					"minProperties":        1,
					"additionalProperties": ref("value"),
				}},
				{Name: "memo", Doc: "Memo entries to set; values may be templates.", Example: "`memo: {carrier: dhl}`", Schema: map[string]any{
					"type":                 "object",
					"minProperties":        1,
					"additionalProperties": ref("value"),
				}},
			},
		}},
		decode: decodeBody[*UpsertStep],
		build: func(b *builder, s stepSrc) Body {
			f, ok := b.fields(s.kv, s.kp, keysOf("upsertOptions"))
			if !ok {
				return (*UpsertStep)(nil)
			}
			st := &UpsertStep{}
			for _, k := range []string{"searchAttributes", "memo"} {
				v := f.val(k)
				if v == nil {
					continue
				}
				m := b.mapValue(v, join(s.kp, k), s.sc)
				if v.Kind == yaml.MappingNode && len(v.Content) == 0 {
					b.errorf(v, join(s.kp, k), CodeValue, "%s needs at least one entry", k)
				}
				if k == "memo" {
					st.Memo = m
				} else {
					st.SearchAttributes = m
				}
			}
			if st.SearchAttributes == nil && st.Memo == nil && !f.has("searchAttributes") && !f.has("memo") {
				b.errorf(s.kv, s.kp, CodeRequired, "upsert needs searchAttributes or memo")
			}
			return st
		},
	})
}
