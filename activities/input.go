package activities

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dslrun/dslrun/internal/suggest"
	"github.com/xeipuuv/gojsonschema"
)

// InputError is one way in which a `with:` value does not match an
// activity's input schema.
type InputError struct {
	// Path locates the offending value inside `with:`: property names and
	// array indexes joined by dots ("amount", "items.2.sku"); "" is the whole
	// value. It always names a value that exists, so that a caller can map it
	// back to a YAML node: a missing required property is reported at its
	// parent, an unknown property at its own key.
	Path string
	// Msg is lowercase, without a trailing period, e.g. "expected number, got string".
	Msg string
	// UnknownProperty is set when the value has a property that the schema
	// does not allow: it is that property's name.
	UnknownProperty string
}

var _ error = InputError{}

// Error returns "path: msg", or msg alone for the whole value.
func (e InputError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// CheckInput validates a `with:` value (dslrun's value model: nil, bool, int,
// float64, string, []any, map[string]any) against the input schema of the
// activity called name. It returns the errors sorted by path and message, and
// nothing when the value is valid, the activity is unknown, or it has no input
// schema.
func (r *Registry) CheckInput(name string, with any) []InputError {
	e := r.get(name)
	if e == nil || e.input == nil {
		return nil
	}
	// A value of the value model is handed to the validator as the
	// document it would decode from the value's JSON encoding; any other
	// value is encoded and decoded.
	loader := gojsonschema.NewGoLoader(with)
	if doc, ok := jsonDoc(with); ok {
		loader = gojsonschema.NewRawLoader(doc)
	}
	res, err := e.input.Validate(loader)
	if err != nil {
		return []InputError{{Msg: "cannot be encoded as JSON: " + err.Error()}}
	}
	if res.Valid() {
		return nil
	}
	errs := make([]InputError, 0, len(res.Errors()))
	for _, re := range res.Errors() {
		errs = append(errs, e.inputError(re))
	}
	slices.SortFunc(errs, func(a, b InputError) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Msg, b.Msg)
	})
	return slices.Compact(errs)
}

// jsonDoc returns v, a value of the value model, as gojsonschema decodes
// its JSON encoding (json.Number for numbers), without encoding it. It
// reports false for any other value, and for values whose JSON encoding
// would differ from them (strings that are not UTF-8, floats that have
// none).
func jsonDoc(v any) (any, bool) {
	switch t := v.(type) {
	case nil, bool:
		return t, true
	case string:
		return t, utf8.ValidString(t)
	case int:
		return json.Number(strconv.Itoa(t)), true
	case float64:
		b, err := json.Marshal(t)
		return json.Number(b), err == nil
	case []any:
		if t == nil {
			return nil, true
		}
		out := make([]any, len(t))
		for i, e := range t {
			d, ok := jsonDoc(e)
			if !ok {
				return nil, false
			}
			out[i] = d
		}
		return out, true
	case map[string]any:
		if t == nil {
			return nil, true
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			d, ok := jsonDoc(e)
			if !ok || !utf8.ValidString(k) {
				return nil, false
			}
			out[k] = d
		}
		return out, true
	}
	return nil, false
}

// inputError turns one gojsonschema result into an InputError with a dslrun
// style message.
func (e *entry) inputError(re gojsonschema.ResultError) InputError {
	path := re.Field()
	if path == gojsonschema.STRING_ROOT_SCHEMA_PROPERTY {
		path = ""
	}
	d := re.Details()
	switch re.Type() {
	case "invalid_type":
		return InputError{Path: path, Msg: fmt.Sprintf("expected %s, got %v", typeList(fmt.Sprint(d["expected"])), d["given"])}
	case "required":
		return InputError{Path: path, Msg: fmt.Sprintf("missing required property %q", fmt.Sprint(d["property"]))}
	case "additional_property_not_allowed":
		prop := fmt.Sprint(d["property"])
		msg := fmt.Sprintf("unknown property %q", prop)
		if hint := closest(prop, propertyNames(e.inputDoc, path)); hint != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", hint)
		}
		return InputError{Path: joinPath(path, prop), Msg: msg, UnknownProperty: prop}
	case "enum":
		return InputError{Path: path, Msg: fmt.Sprintf("must be one of %v", d["allowed"])}
	case "const":
		return InputError{Path: path, Msg: fmt.Sprintf("must be %v", d["allowed"])}
	}
	return InputError{Path: path, Msg: lowerFirst(strings.TrimSuffix(re.Description(), "."))}
}

// typeList turns gojsonschema's "[string,null]" into "string or null".
func typeList(s string) string {
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return s
	}
	types := strings.Split(s[1:len(s)-1], ",")
	if len(types) < 2 {
		return strings.Join(types, "")
	}
	return strings.Join(types[:len(types)-1], ", ") + " or " + types[len(types)-1]
}

// lowerFirst lowercases the first letter of a library message unless it
// starts an acronym.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsUpper(r) {
		return s
	}
	if next, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(next) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

func joinPath(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

// propertyNames returns, best effort, the property names that the schema
// declares for the object at path (dot-separated, as in InputError.Path). It
// follows "properties", "items", "additionalProperties" and local "$ref"s,
// and gives up (returning nil) on anything more involved.
func propertyNames(root any, path string) []string {
	s := deref(root, root)
	if path != "" {
		for _, seg := range strings.Split(path, ".") {
			s = child(root, s, seg)
			if s == nil {
				return nil
			}
		}
	}
	m, _ := s.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	return sortedKeys(props)
}

// child returns the subschema that applies to the member seg of a value
// described by schema s.
func child(root, s any, seg string) any {
	m, ok := s.(map[string]any)
	if !ok {
		return nil
	}
	if _, err := strconv.Atoi(seg); err == nil {
		if items, ok := m["items"].(map[string]any); ok {
			return deref(root, items)
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		if p, ok := props[seg]; ok {
			return deref(root, p)
		}
	}
	if ap, ok := m["additionalProperties"].(map[string]any); ok {
		return deref(root, ap)
	}
	return nil
}

// deref follows local "$ref"s ("#/definitions/x") from s, at most a few
// levels deep so that a reference cycle cannot loop.
func deref(root, s any) any {
	for range 8 {
		m, ok := s.(map[string]any)
		if !ok {
			return s
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return s
		}
		s = pointer(root, ref)
	}
	return nil
}

// pointer resolves a local JSON pointer reference such as "#/definitions/x".
func pointer(root any, ref string) any {
	ref = strings.TrimPrefix(ref, "#")
	if ref == "" {
		return root
	}
	cur := root
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// closest returns the candidate that s most likely misspells, or "".
func closest(s string, candidates []string) string { return suggest.Closest(s, candidates) }
