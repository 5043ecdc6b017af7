package dsl

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Language is the one description of the DSL. Every mapping with fixed
// keys (the workflow, its blocks, each step kind) and every reusable value
// type is declared once, as a Def: the workflow and its blocks in
// lang_defs.go, each step kind beside its model and builder in
// step_*.go (see kinds.go). From it:
//
//   - the builder takes the keys each mapping allows and the keys it
//     requires (unknown-key and missing-key checks);
//   - the schema package generates the JSON schema (go generate), which
//     editors read and which validation enforces beside the builder;
//   - cmd/dslrun's hidden docs generator writes the reference tables of
//     docs/dsl.md.
//
// A test fails when a generated file is stale.
type Language struct {
	// Title and Doc describe a definition file as a whole; Comment is a
	// note for people who edit the generated schema by hand.
	Title, Doc, Comment string
	// Root is the top level of a definition file.
	Root *Def
	// Defs are the named parts: blocks and value types, in the order the
	// schema lists them.
	Defs []*Def
	// StepDoc describes a step in general, and StepID the id every step
	// may have.
	StepDoc string
	StepID  Key
	// Steps are the step kinds, in documentation order.
	Steps []StepKind
}

// Def describes one part of the DSL. A Def with Keys is a mapping whose
// keys are exactly those; a Def without Keys is a value type whose JSON
// schema is Schema.
type Def struct {
	// Name names the part: the definition name in the JSON schema (the
	// "#/definitions/NAME" of a $ref).
	Name string
	// Doc is a one-line description, shown by editors and the reference.
	Doc string
	// Label is how the reference names the type of a key that has this
	// Def as its Ref, e.g. "duration > 0". Empty: the Def's name.
	Label string
	// Default and Example complete Doc for a key that has this Def as its
	// Ref and says nothing of its own.
	Default, Example string
	// Keys are the keys of a mapping, in documentation order.
	Keys []Key
	// AtLeastOne lists keys of which a mapping needs at least one, and
	// AtLeastOneMsg says so when none is there.
	AtLeastOne    []string
	AtLeastOneMsg string
	// Schema holds JSON-schema keywords (draft-07) that the key table does
	// not say: a value type's whole schema, or a block's cross-key rules.
	Schema map[string]any
}

// Key is one key of a mapping.
type Key struct {
	Name string
	// Ref names the Def of the key's value; Schema, when Ref is empty,
	// holds the value's JSON schema inline.
	Ref    string
	Schema map[string]any
	// Label is how the reference names the value's type when Ref's label
	// does not say it (or there is no Ref).
	Label    string
	Required bool
	// Doc says what the key means, Default what holds when it is absent,
	// Example one way to write it.
	Doc, Default, Example string
}

// StepKind is a kind of step: the YAML key that selects it, what it does,
// and the Def of its keys (the kind key itself, id and the kind's own).
type StepKind struct {
	Kind    Kind
	Doc     string
	Example string
	Def     string
}

// Description joins Doc, Default and Example into the text editors show.
func (k Key) Description() string {
	return describeDoc(k.Doc, k.Default, k.Example)
}

// Description joins Doc, Default and Example into the text editors show.
func (d *Def) Description() string { return describeDoc(d.Doc, d.Default, d.Example) }

// Description joins the kind's Doc and Example into the text editors
// show for its key.
func (s StepKind) Description() string { return describeDoc(s.Doc, "", s.Example) }

func describeDoc(doc, def, example string) string {
	var b strings.Builder
	b.WriteString(doc)
	if def != "" {
		b.WriteString(" Default: " + def + ".")
	}
	if example != "" {
		b.WriteString(" Example: " + example + ".")
	}
	return b.String()
}

// KeyNames returns the names of d's keys, in order.
func (d *Def) KeyNames() []string {
	out := make([]string, len(d.Keys))
	for i, k := range d.Keys {
		out[i] = k.Name
	}
	return out
}

// RequiredKeys returns the names of d's required keys, in order.
func (d *Def) RequiredKeys() []string {
	var out []string
	for _, k := range d.Keys {
		if k.Required {
			out = append(out, k.Name)
		}
	}
	return out
}

// Key returns d's key called name.
func (d *Def) Key(name string) (Key, bool) {
	i := slices.IndexFunc(d.Keys, func(k Key) bool { return k.Name == name })
	if i < 0 {
		return Key{}, false
	}
	return d.Keys[i], true
}

// Def returns the Def called name; nil when there is none.
func (l *Language) Def(name string) *Def {
	if name == "" {
		return l.Root
	}
	i := slices.IndexFunc(l.Defs, func(d *Def) bool { return d.Name == name })
	if i < 0 {
		return nil
	}
	return l.Defs[i]
}

// Step returns the description of kind k.
func (l *Language) Step(k Kind) (StepKind, bool) {
	i := slices.IndexFunc(l.Steps, func(s StepKind) bool { return s.Kind == k })
	if i < 0 {
		return StepKind{}, false
	}
	return l.Steps[i], true
}

// Lang returns the description of the DSL. It is shared: callers must not
// modify it.
func Lang() *Language { return lang() }

var lang = sync.OnceValue(func() *Language {
	names := make([]string, 0, len(kindSpecs()))
	l := &Language{
		Title:   langTitle,
		Doc:     langDoc,
		Comment: langComment,
		StepID:  stepIDKey,
		Defs:    slices.Clone(defs),
	}
	for _, k := range kindSpecs() {
		names = append(names, string(k.Kind))
		l.Steps = append(l.Steps, k.StepKind)
		l.Defs = append(l.Defs, k.defs...)
	}
	kinds := strings.Join(names, ", ")
	l.StepDoc = fmt.Sprintf(stepDoc, kinds)
	// The root's steps key names the kinds too.
	root := *rootDef
	root.Keys = slices.Clone(rootDef.Keys)
	for i, k := range root.Keys {
		if k.Name == "steps" {
			root.Keys[i].Doc = fmt.Sprintf(k.Doc, kinds)
		}
	}
	l.Root = &root
	return l
})

// keyTables are the key lists the builder reads for every mapping, made
// once from the description.
type keyTables struct {
	defs     map[string][]string // Def name ("" for the root) → its keys
	required map[string][]string // Def name → its required keys
	steps    map[Kind][]string   // kind → its keys besides the kind key and id
	// allowed maps each kind to every key a step of it allows: id, the
	// kind key, then steps[kind].
	allowed map[Kind][]string
	byName  map[string]*Def // Def name → Def
}

var tables = sync.OnceValue(func() keyTables {
	l := Lang()
	t := keyTables{
		defs:     map[string][]string{"": l.Root.KeyNames()},
		required: map[string][]string{"": l.Root.RequiredKeys()},
		steps:    map[Kind][]string{},
		allowed:  map[Kind][]string{},
		byName:   map[string]*Def{"": l.Root},
	}
	for _, d := range l.Defs {
		t.byName[d.Name] = d
		t.defs[d.Name] = d.KeyNames()
		t.required[d.Name] = d.RequiredKeys()
	}
	for _, s := range l.Steps {
		var keys []string
		for _, name := range t.defs[s.Def] {
			if name != "id" && name != string(s.Kind) {
				keys = append(keys, name)
			}
		}
		t.steps[s.Kind] = keys
		t.allowed[s.Kind] = append([]string{"id", string(s.Kind)}, keys...)
	}
	return t
})

// keysOf returns the keys allowed in the mapping described by Def name
// (shared: not to be modified); it panics on a name the description
// lacks, which a test rules out.
func keysOf(name string) []string {
	keys, ok := tables().defs[name]
	if !ok {
		panic("dsl: no definition " + name)
	}
	return keys
}

// requiredOf returns the required keys of the mapping described by Def
// name, but skip (a step's kind key, which selected the Def); shared: not
// to be modified.
func requiredOf(name, skip string) []string {
	keys, ok := tables().required[name]
	if !ok {
		panic("dsl: no definition " + name)
	}
	if skip == "" || !slices.Contains(keys, skip) {
		return keys
	}
	var out []string
	for _, k := range keys {
		if k != skip {
			out = append(out, k)
		}
	}
	return out
}

// stepKeysOf returns the keys a step of kind k allows besides its kind
// key and id (shared: not to be modified).
func stepKeysOf(k Kind) []string {
	keys, ok := tables().steps[k]
	if !ok {
		panic("dsl: no step kind " + string(k))
	}
	return keys
}

// list is []any of strings, for schema fragments.
func list(s ...string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// ref is the schema fragment that refers to Def name.
func ref(name string) map[string]any {
	return map[string]any{"$ref": "#/definitions/" + name}
}

// typ is the schema fragment of a JSON type.
func typ(name string) map[string]any { return map[string]any{"type": name} }
