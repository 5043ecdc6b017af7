package schema

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/dslrun/dslrun/dsl"
	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"
)

// ID is the $id of the schema.
const ID = "https://dslrun.dev/schema/v1/workflow.schema.json"

//go:embed workflow.schema.json
var schemaText string

// JSON returns the schema, a draft-07 JSON schema of the whole DSL. The
// caller owns the returned slice.
func JSON() []byte { return []byte(schemaText) }

// compiled is the schema compiled by gojsonschema, with what the error
// mapper reads from the schema itself.
type compiled struct {
	schema *gojsonschema.Schema
	// groups maps the first key of each "at least one of these keys" anyOf
	// to the whole group, in schema order.
	groups map[string][]string
	// kindKeys maps each step kind to the keys a step of that kind allows.
	kindKeys map[string][]string
	// durationKeys are the keys whose value is a duration.
	durationKeys map[string]bool
	err          error
}

// load compiles the embedded schema once. It is checked against the
// draft-07 meta-schema that gojsonschema carries; nothing is fetched, since
// every $ref in the schema is local (a test checks it).
var load = sync.OnceValue(func() *compiled {
	c := &compiled{}
	sl := gojsonschema.NewSchemaLoader()
	sl.Draft = gojsonschema.Draft7
	sl.AutoDetect = false
	sl.Validate = true
	c.schema, c.err = sl.Compile(gojsonschema.NewStringLoader(schemaText))
	if c.err != nil {
		c.err = fmt.Errorf("compile the embedded schema: %w", c.err)
		return c
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(schemaText), &raw); err != nil {
		c.err = fmt.Errorf("read the embedded schema: %w", err)
		return c
	}
	c.groups = requiredGroups(raw)
	c.kindKeys = kindKeys(raw)
	c.durationKeys = durationKeys(raw)
	return c
})

// requiredGroups finds every anyOf whose branches each require one key:
// the schema's way of saying "needs at least one of these keys". Groups are
// keyed by their first key: when no branch holds, gojsonschema reports the
// first branch's error (all score alike), so that key names the group.
func requiredGroups(v any) map[string][]string {
	groups := map[string][]string{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if branches, ok := v["anyOf"].([]any); ok {
				var keys []string
				for _, b := range branches {
					bm, _ := b.(map[string]any)
					req, _ := bm["required"].([]any)
					if len(req) != 1 || len(bm) != 1+annotations(bm) {
						keys = nil
						break
					}
					k, _ := req[0].(string)
					keys = append(keys, k)
				}
				if len(keys) > 0 {
					groups[keys[0]] = keys
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return groups
}

// annotations counts the keywords of s that only annotate it for editors.
func annotations(s map[string]any) int {
	n := 0
	for _, k := range []string{"errorMessage", "patternErrorMessage", "description", "$comment"} {
		if _, ok := s[k]; ok {
			n++
		}
	}
	return n
}

// kindKeys reads, for each step kind, the keys its definition allows.
func kindKeys(raw map[string]any) map[string][]string {
	defs, _ := raw["definitions"].(map[string]any)
	step, _ := defs["step"].(map[string]any)
	deps, _ := step["dependencies"].(map[string]any)
	out := map[string][]string{}
	for kind, d := range deps {
		ref, _ := d.(map[string]any)["$ref"].(string)
		def, _ := defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
		props, _ := def["properties"].(map[string]any)
		for k := range props {
			out[kind] = append(out[kind], k)
		}
		slices.Sort(out[kind])
	}
	return out
}

// durationKeys finds the properties whose schema is a duration: one that
// leads, through $refs, to the duration definitions or to a duration
// pattern.
func durationKeys(raw map[string]any) map[string]bool {
	defs, _ := raw["definitions"].(map[string]any)
	isDuration := func(s map[string]any) bool {
		for range 8 { // bounded: refs could loop
			if pat, _ := s["pattern"].(string); pat == patDuration || pat == patDurationOrExpr {
				return true
			}
			ref, _ := s["$ref"].(string)
			if ref == "#/definitions/positiveDuration" {
				return true
			}
			next, ok := defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
			if !ok {
				return false
			}
			s = next
		}
		return false
	}
	keys := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				for k, p := range props {
					if pm, ok := p.(map[string]any); ok && isDuration(pm) {
						keys[k] = true
					}
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(raw)
	return keys
}

// Validate checks a definition against the schema. root is the node tree
// returned by dsl.Decode (its root value; a document node is unwrapped).
// Every error is reported, at the line and column of the node it concerns
// and with the node's dslrun path, with code dsl.CodeSchema; the result is
// sorted and free of duplicates. A nil result means the definition
// matches the schema.
func Validate(filename string, root *yaml.Node) dsl.Diagnostics {
	c := load()
	if c.err != nil {
		return dsl.Diagnostics{{Pos: dsl.Pos{File: filename}, Code: dsl.CodeSchema, Msg: "internal error: " + c.err.Error()}}
	}
	if root == nil {
		root = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	conv := &converter{file: filename}
	doc := conv.value(root, 1)
	if len(conv.ds) > 0 {
		return conv.ds.Sort()
	}
	res, err := c.schema.Validate(gojsonschema.NewRawLoader(doc))
	if err != nil {
		return dsl.Diagnostics{{Pos: dsl.Pos{File: filename}, Code: dsl.CodeSchema, Msg: "internal error: " + err.Error()}}
	}
	if res.Valid() {
		return nil
	}
	m := &mapper{file: filename, root: root, c: c}
	return m.diagnostics(res.Errors())
}
