package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dslrun/dslrun/dsl"
)

//go:generate go run ./gen

// Generate returns the JSON schema of the DSL, made from the description
// in dsl.Lang(): the text that workflow.schema.json must hold (a test
// checks it; go generate in this folder writes it).
func Generate() ([]byte, error) {
	l := dsl.Lang()
	root := obj{
		{"$schema", "http://json-schema.org/draft-07/schema#"},
		{"$id", ID},
		{"title", l.Title},
		{"description", l.Doc},
		{"$comment", l.Comment},
	}
	root = append(root, defBody(l.Root)...)
	defs := obj{}
	for _, d := range l.Defs {
		defs = append(defs, member{d.Name, defSchema(d)})
		if d.Name == "branches" {
			// The step definition sits after the lists that hold steps.
			defs = append(defs, member{"step", stepSchema(l)})
		}
	}
	root = append(root, member{"definitions", defs})
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encode the schema: %w", err)
	}
	return buf.Bytes(), nil
}

// member is one member of an ordered JSON object.
type member struct {
	key string
	val any
}

// obj is a JSON object that keeps its members' order, so that the
// generated schema reads in the order the description is written.
type obj []member

// MarshalJSON writes the members in order.
func (o obj) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		var v bytes.Buffer
		enc := json.NewEncoder(&v)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m.val); err != nil {
			return nil, err
		}
		buf.Write(bytes.TrimRight(v.Bytes(), "\n"))
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func defSchema(d *dsl.Def) obj {
	o := obj{}
	if desc := d.Description(); desc != "" {
		o = append(o, member{"description", desc})
	}
	return append(o, defBody(d)...)
}

// defBody is the schema of a Def without its description: a closed
// mapping of its keys, or its Schema as written.
func defBody(d *dsl.Def) obj {
	o := obj{}
	if d.Keys != nil {
		// A mapping; Schema may widen its type (a fail step's message
		// alone, a continueAsNew with no options).
		if t, ok := d.Schema["type"]; ok {
			o = append(o, member{"type", t})
		} else {
			o = append(o, member{"type", "object"})
		}
		o = append(o, member{"additionalProperties", false})
		if req := d.RequiredKeys(); len(req) > 0 {
			o = append(o, member{"required", req})
		}
	}
	if len(d.AtLeastOne) > 0 {
		var anyOf []any
		for i, k := range d.AtLeastOne {
			branch := obj{{"required", []string{k}}}
			if i == 0 && d.AtLeastOneMsg != "" {
				branch = append(branch, member{"errorMessage", d.AtLeastOneMsg})
			}
			anyOf = append(anyOf, branch)
		}
		o = append(o, member{"anyOf", anyOf})
	}
	for _, k := range slices.Sorted(maps.Keys(d.Schema)) {
		if k == "type" && d.Keys != nil {
			continue
		}
		o = append(o, member{k, d.Schema[k]})
	}
	if d.Keys != nil {
		props := obj{}
		for _, k := range d.Keys {
			props = append(props, member{k.Name, keySchema(k)})
		}
		o = append(o, member{"properties", props})
	}
	return o
}

func keySchema(k dsl.Key) obj {
	o := obj{}
	if desc := k.Description(); desc != "" {
		o = append(o, member{"description", desc})
	}
	if k.Ref != "" {
		o = append(o, member{"$ref", "#/definitions/" + k.Ref})
	}
	for _, name := range slices.Sorted(maps.Keys(k.Schema)) {
		o = append(o, member{name, k.Schema[name]})
	}
	return o
}

// stepSchema is the schema of a step: any mapping with exactly one kind
// key; the kind's key selects, through dependencies, the Def that closes
// the mapping to that kind's keys.
func stepSchema(l *dsl.Language) obj {
	props := obj{{"id", obj{{"description", l.StepID.Description()}}}}
	deps := obj{}
	var anyOf []any
	var kinds []string
	for _, s := range l.Steps {
		kinds = append(kinds, string(s.Kind))
	}
	for i, s := range l.Steps {
		props = append(props, member{string(s.Kind), obj{{"description", s.Description()}}})
		deps = append(deps, member{string(s.Kind), obj{{"$ref", "#/definitions/" + s.Def}}})
		branch := obj{{"required", []string{string(s.Kind)}}}
		if i == 0 {
			branch = append(branch, member{"errorMessage", "step has no kind: want one of " + strings.Join(kinds, ", ")})
		}
		anyOf = append(anyOf, branch)
	}
	return obj{
		{"description", l.StepDoc},
		{"type", "object"},
		{"properties", props},
		{"dependencies", deps},
		{"anyOf", anyOf},
	}
}
