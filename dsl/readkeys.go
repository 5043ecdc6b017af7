package dsl

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// The builder reads most keys through the description: a key's type in
// the description (its Ref, or its inline JSON schema) chooses the
// builder's reader for it, and the key's value lands in the struct field
// named after the key (its json name, or a dsl tag). Keys whose reading
// needs more than their type (a scope of their own, a check across keys)
// are read by hand and passed as skip.

// reader reads one value of a type of the description.
type reader func(b *builder, n *yaml.Node, path string, sc *scope) any

// readerNamed returns the builder's reader of a value type of the
// description, by Def name (nil when the builder has none). A Def whose
// schema is a bare $ref reads as what it refers to.
func readerNamed(name string) reader {
	switch name {
	case "value":
		return func(b *builder, n *yaml.Node, p string, sc *scope) any { return b.value(n, p, sc) }
	case "literal":
		return func(b *builder, n *yaml.Node, p string, _ *scope) any { return b.value(n, p, nil) }
	case "template":
		return func(b *builder, n *yaml.Node, p string, sc *scope) any { s, _ := b.template(n, p, sc); return s }
	case "nonEmptyString":
		return func(b *builder, n *yaml.Node, p string, _ *scope) any { s, _ := b.nonEmpty(n, p); return s }
	case "plainString":
		return func(b *builder, n *yaml.Node, p string, _ *scope) any { s, _ := b.str(n, p); return s }
	case "duration":
		return func(b *builder, n *yaml.Node, p string, _ *scope) any { return b.duration(n, p) }
	case "timestamp":
		return func(b *builder, n *yaml.Node, p string, _ *scope) any { return b.timestamp(n, p) }
	case "positiveDuration":
		return func(b *builder, n *yaml.Node, p string, _ *scope) any { return b.positiveDuration(n, p) }
	case "condition":
		return func(b *builder, n *yaml.Node, p string, sc *scope) any { return b.cond(n, p, sc) }
	case "steps":
		return func(b *builder, n *yaml.Node, p string, sc *scope) any { return b.steps(n, p, sc) }
	case "assignments":
		return func(b *builder, n *yaml.Node, p string, sc *scope) any { return b.setValues(n, p, sc) }
	case "retryPolicy":
		return func(b *builder, n *yaml.Node, p string, _ *scope) any { return b.retry(n, p) }
	case "stringList":
		return func(b *builder, n *yaml.Node, p string, _ *scope) any { return b.strList(n, p) }
	case "jsonSchema":
		return func(b *builder, n *yaml.Node, p string, _ *scope) any { return b.jsonSchema(n, p) }
	}
	return nil
}

// readerOf returns the reader of key k's type, nil when the description
// names no type the builder reads by itself.
func readerOf(k Key) reader {
	name, schema := k.Ref, k.Schema
	for name != "" {
		if r := readerNamed(name); r != nil {
			return r
		}
		d := Lang().Def(name)
		if d == nil || len(d.Keys) > 0 {
			return nil
		}
		name, schema = refName(d.Schema), d.Schema
	}
	switch {
	case schema["type"] == "boolean":
		return func(b *builder, n *yaml.Node, p string, _ *scope) any { return b.boolean(n, p) }
	case schema["type"] == "integer":
		lo, hi := schema["minimum"].(int), schema["maximum"].(int)
		return func(b *builder, n *yaml.Node, p string, _ *scope) any { return b.integer(n, p, lo, hi) }
	case schema["type"] == "number":
		return func(b *builder, n *yaml.Node, p string, _ *scope) any { return b.number(n, p) }
	case schema["enum"] != nil && schema["type"] == "string":
		var choices []string
		for _, c := range schema["enum"].([]any) {
			choices = append(choices, c.(string))
		}
		return func(b *builder, n *yaml.Node, p string, _ *scope) any { s, _ := b.oneOf(n, p, choices...); return s }
	}
	return nil
}

var defReaders sync.Map // Def name → []reader, one per key

// readersOf returns the readers of d's keys, in order, made once.
func readersOf(d *Def) []reader {
	if rs, ok := defReaders.Load(d.Name); ok {
		return rs.([]reader)
	}
	rs := make([]reader, len(d.Keys))
	for i, k := range d.Keys {
		rs[i] = readerOf(k)
	}
	defReaders.Store(d.Name, rs)
	return rs
}

// refName is the Def name of a schema that is only a $ref, else "".
func refName(schema map[string]any) string {
	if len(schema) != 1 {
		return ""
	}
	r, _ := schema["$ref"].(string)
	return strings.TrimPrefix(r, "#/definitions/")
}

// readKeys reads the keys of f that Def def describes into the struct dst
// points to, but those in skip. When a required key is missing (reported
// here), the other required keys are not read either; optional keys are.
// It reports whether every required key (but those in skip) is there.
func (b *builder) readKeys(f fieldMap, n *yaml.Node, path, def string, dst any, sc *scope, skip ...string) bool {
	d := tables().byName[def]
	required := tables().required[def]
	if slices.ContainsFunc(required, func(k string) bool { return slices.Contains(skip, k) }) {
		required = slices.DeleteFunc(slices.Clone(required), func(k string) bool { return slices.Contains(skip, k) })
	}
	complete := b.require(f, n, path, required...)
	fields := fieldsOf(reflect.TypeOf(dst).Elem())
	v := reflect.ValueOf(dst).Elem()
	rs := readersOf(d)
	for i, k := range d.Keys {
		kn := f.val(k.Name)
		if kn == nil || slices.Contains(skip, k.Name) || (k.Required && !complete) {
			continue
		}
		r := rs[i]
		idx, ok := fields[k.Name]
		if r == nil || !ok {
			panic(fmt.Sprintf("dsl: %s.%s has no reader or no field in %T: read it by hand and skip it", def, k.Name, dst))
		}
		got := reflect.ValueOf(r(b, kn, join(path, k.Name), sc))
		if !got.IsValid() {
			continue
		}
		fv := v.FieldByIndex(idx)
		if got.Type().AssignableTo(fv.Type()) {
			fv.Set(got)
		} else {
			fv.Set(got.Convert(fv.Type()))
		}
	}
	return complete
}

var fieldIndexes sync.Map // reflect.Type → map[string][]int

// fieldsOf maps the keys of struct type t to its fields: a field's dsl
// tag, else its json name; embedded structs' fields count as t's own.
func fieldsOf(t reflect.Type) map[string][]int {
	if m, ok := fieldIndexes.Load(t); ok {
		return m.(map[string][]int)
	}
	m := map[string][]int{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			idx := append(slices.Clone(prefix), i)
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, idx)
				continue
			}
			name := sf.Tag.Get("dsl")
			if name == "" {
				name, _, _ = strings.Cut(sf.Tag.Get("json"), ",")
			}
			if name != "" && name != "-" {
				m[name] = idx
			}
		}
	}
	walk(t, nil)
	fieldIndexes.Store(t, m)
	return m
}
