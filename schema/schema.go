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
	// groups maps the first key of each "at least one of these keys" group
	// to the whole group, in the description's order.
	groups map[string][]string
	// kindKeys maps each step kind to the keys a step of that kind allows.
	kindKeys map[string][]string
	// durationKeys are the keys whose value is a duration.
	durationKeys map[string]bool
	// patternMessages maps each pattern of the schema to the
	// patternErrorMessage the description gives it.
	patternMessages map[string]string
	err             error
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
	l := dsl.Lang()
	c.groups = requiredGroups(l)
	c.kindKeys = kindKeys(l)
	c.durationKeys = durationKeys(l)
	c.patternMessages = map[string]string{}
	var raw any
	if c.err = json.Unmarshal([]byte(schemaText), &raw); c.err != nil {
		return c
	}
	walkSchema(raw, func(m map[string]any) {
		if p, ok := m["pattern"].(string); ok {
			c.patternMessages[p], _ = m["patternErrorMessage"].(string)
		}
	})
	return c
})

// requiredGroups maps the first key of each "needs at least one of these
// keys" group of the description (Def.AtLeastOne, and the step kinds, of
// which a step needs one) to the whole group. When no key of a group is
// there, gojsonschema reports the anyOf's first branch (all score alike),
// so that key names the group.
func requiredGroups(l *dsl.Language) map[string][]string {
	groups := map[string][]string{}
	for _, d := range l.Defs {
		if len(d.AtLeastOne) > 0 {
			groups[d.AtLeastOne[0]] = d.AtLeastOne
		}
	}
	var kinds []string
	for _, s := range l.Steps {
		kinds = append(kinds, string(s.Kind))
	}
	if len(kinds) > 0 {
		groups[kinds[0]] = kinds
	}
	return groups
}

// kindKeys maps each step kind to the keys a step of that kind allows.
func kindKeys(l *dsl.Language) map[string][]string {
	out := map[string][]string{}
	for _, s := range l.Steps {
		keys := l.Def(s.Def).KeyNames()
		slices.Sort(keys)
		out[string(s.Kind)] = keys
	}
	return out
}

// durationKeys finds the keys whose value is a duration: a key whose
// pattern, or the pattern of the Def it refers to (through other Defs),
// starts with the pattern of the duration Def.
func durationKeys(l *dsl.Language) map[string]bool {
	durPat, _ := l.Def("duration").Schema["pattern"].(string)
	isDuration := func(schema map[string]any, ref string) bool {
		for range 8 { // bounded: refs could loop
			if pat, _ := schema["pattern"].(string); durPat != "" && strings.HasPrefix(pat, durPat) {
				return true
			}
			if ref == "" {
				return false
			}
			if ref == "positiveDuration" {
				return true
			}
			d := l.Def(ref)
			if d == nil {
				return false
			}
			schema = d.Schema
			r, _ := d.Schema["$ref"].(string)
			ref = strings.TrimPrefix(r, "#/definitions/")
		}
		return false
	}
	keys := map[string]bool{}
	for _, d := range append([]*dsl.Def{l.Root}, l.Defs...) {
		for _, k := range d.Keys {
			if isDuration(k.Schema, k.Ref) {
				keys[k.Name] = true
			}
		}
	}
	return keys
}

// walkSchema calls f on every object of a decoded JSON schema.
func walkSchema(v any, f func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(v)
		for _, x := range v {
			walkSchema(x, f)
		}
	case []any:
		for _, x := range v {
			walkSchema(x, f)
		}
	}
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
