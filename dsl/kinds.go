package dsl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"gopkg.in/yaml.v3"
)

// Each step kind lives in one file, dsl/step_*.go: its Kind constant, the
// type of its Body, its part of the description (a StepKind and the Defs
// of its keys) and the function that builds it from YAML. The file
// registers the kind from an init function; this file holds the registry
// and the Step's JSON form, which every kind shares.

// Body is the part of a step that its kind defines: *ActivityStep for
// activity, SetStep for set, *IfStep for if, and so on (each kind's
// documentation names its type). Only this package's types implement it.
type Body interface {
	// children returns the step lists nested in the body with their
	// paths, given the path of the step and of its kind key.
	children(path, kindPath string) []stepList
}

// stateAssigner is a Body that assigns state variables, so that
// expressions elsewhere may read them.
type stateAssigner interface {
	assignedState() []string
}

// kindSpec is everything the package knows of one step kind.
type kindSpec struct {
	StepKind
	// order places the kind in documentation order (and its Defs in the
	// schema).
	order int
	// defs are the Defs of the kind's keys, in schema order; the first is
	// the step's own (StepKind.Def).
	defs []*Def
	// decode decodes the body's canonical form (decodeBody of the body's
	// type).
	decode func(data []byte) (Body, error)
	// build builds the Body from the step's YAML, reporting what is
	// wrong; it may return a nil pointer when the kind's value is unusable.
	build func(b *builder, s stepSrc) Body
}

// stepSrc is what the builder hands a kind's build function.
type stepSrc struct {
	n    *yaml.Node // the step's mapping
	f    fieldMap   // its keys
	kv   *yaml.Node // the value of the kind key
	path string     // the step's path
	kp   string     // the kind key's path
	sc   *scope     // the variables in scope
}

// val returns the value of the step's key k, nil when absent.
func (s stepSrc) val(k string) *yaml.Node { return s.f.val(k) }

// keyPath returns the path of the step's key k.
func (s stepSrc) keyPath(k string) string { return join(s.path, k) }

var registry struct {
	mu    sync.Mutex
	kinds map[Kind]*kindSpec
}

// registerKind adds a kind; step files call it from init.
func registerKind(k *kindSpec) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.kinds == nil {
		registry.kinds = map[Kind]*kindSpec{}
	}
	if _, dup := registry.kinds[k.Kind]; dup {
		panic("dsl: step kind registered twice: " + string(k.Kind))
	}
	registry.kinds[k.Kind] = k
}

// kindSpecs returns the registered kinds in documentation order.
var kindSpecs = sync.OnceValue(func() []*kindSpec {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	out := make([]*kindSpec, 0, len(registry.kinds))
	for _, k := range registry.kinds {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b *kindSpec) int { return a.order - b.order })
	return out
})

// kindOf returns the registered kind k, nil when there is none.
func kindOf(k Kind) *kindSpec {
	i := slices.IndexFunc(kindSpecs(), func(s *kindSpec) bool { return s.Kind == k })
	if i < 0 {
		return nil
	}
	return kindSpecs()[i]
}

// Kinds returns every step kind in documentation order: the kinds of the
// description of the DSL (see Lang). The slice is shared: callers must
// not modify it.
func Kinds() []Kind { return kindNames() }

var kindNames = sync.OnceValue(func() []Kind {
	out := make([]Kind, 0, len(kindSpecs()))
	for _, k := range kindSpecs() {
		out = append(out, k.Kind)
	}
	return out
})

// MarshalJSON encodes the step as its canonical form records it: the id
// when set, the kind, and the body under the kind's key (left out when it
// is empty, a nil pointer or an empty mapping).
func (s *Step) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the caller's encoder escapes if it wants to
	buf.WriteByte('{')
	if s.ID != "" {
		buf.WriteString(`"id":`)
		if err := enc.Encode(s.ID); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteByte(',')
	}
	buf.WriteString(`"kind":`)
	if err := enc.Encode(s.Kind); err != nil {
		return nil, err
	}
	buf.Truncate(buf.Len() - 1)
	if !emptyBody(s.Body) {
		buf.WriteByte(',')
		if err := enc.Encode(string(s.Kind)); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1)
		buf.WriteByte(':')
		if err := enc.Encode(s.Body); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func emptyBody(b Body) bool {
	if b == nil {
		return true
	}
	v := reflect.ValueOf(b)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map:
		return v.IsNil() || (v.Kind() == reflect.Map && v.Len() == 0)
	}
	return false
}

// UnmarshalJSON decodes a step of the canonical form. Numbers in values
// come back in the value model, as Unmarshal says.
func (s *Step) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	var st Step
	if v, ok := raw["id"]; ok {
		if err := json.Unmarshal(v, &st.ID); err != nil {
			return fmt.Errorf("step id: %w", err)
		}
	}
	if err := json.Unmarshal(raw["kind"], &st.Kind); err != nil {
		return fmt.Errorf("step kind: %w", err)
	}
	k := kindOf(st.Kind)
	if k == nil {
		return fmt.Errorf("unknown step kind %q", st.Kind)
	}
	body, err := k.decode(raw[string(st.Kind)])
	if err != nil {
		return fmt.Errorf("%s step: %w", st.Kind, err)
	}
	st.Body = body
	*s = st
	return nil
}

// decodeBody decodes a body of type T; no data gives T's zero value (a
// nil pointer or mapping), as for a body that the canonical form left out.
func decodeBody[T Body](data []byte) (Body, error) {
	var t T
	if data != nil {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&t); err != nil {
			return nil, err
		}
		fixNumbers(reflect.ValueOf(&t))
	}
	return t, nil
}
