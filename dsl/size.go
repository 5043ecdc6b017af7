package dsl

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// CanonicalSize returns the size in bytes of w's canonical form (see
// Prepare) without making it: it walks w, applying the defaults as
// Normalize does, and adds up what the JSON encoding of each part takes.
// The result is never below len(Canonical(w)), and equal to it for every
// definition made of the types of this package and the value model; a
// value of another type is measured by encoding it with json.Marshal,
// which may count escapes that the canonical form does not make. It is
// meant for limits: a definition whose CanonicalSize is within a limit is
// within it in canonical form.
func CanonicalSize(w *Workflow) int {
	if w == nil {
		return len("null")
	}
	c := *w
	z := sizer{defaults: c.Activity, table: map[string]int{}}
	c.Activity = nil
	o := WorkflowOptions{}
	if c.Options != nil {
		o = *c.Options
	}
	if o.TaskQueue == "" {
		o.TaskQueue = DefaultTaskQueue
	}
	c.Options = &o
	for k, v := range c.Children {
		z.table[k] = len(v)
	}
	c.Children = nil
	n := z.of(reflect.ValueOf(&c).Elem())
	if len(z.table) > 0 { // ,"children":{...} (WithChildren)
		n += len(`,"children":{}`) + len(z.table) - 1
		for k, size := range z.table {
			n += stringSize(k) + 1 + size
		}
	}
	return n
}

// sizer measures JSON encodings as Prepare's encoder makes them (HTML
// characters not escaped), with the workflow's activity defaults merged
// into every activity step, and collects the table of child definitions
// (Workflow.Children) that Prepare makes of bundled child steps.
type sizer struct {
	defaults *ActivityOptions
	table    map[string]int // hash → size of the entry
}

var (
	stepPtrType    = reflect.TypeFor[*Step]()
	durationType   = reflect.TypeFor[Duration]()
	rawType        = reflect.TypeFor[json.RawMessage]()
	marshalerT     = reflect.TypeFor[json.Marshaler]()
	textMarshalerT = reflect.TypeFor[encoding.TextMarshaler]()
)

// any measures a value of the value model without reflection, and any
// other value with it.
func (z *sizer) any(x any) int {
	switch t := x.(type) {
	case nil:
		return len("null")
	case string:
		return stringSize(t)
	case int:
		return intSize(int64(t))
	case float64:
		return floatSize(t, 64)
	case bool:
		if t {
			return len("true")
		}
		return len("false")
	case map[string]any:
		if t == nil {
			return len("null")
		}
		n := 2 + max(len(t)-1, 0) // {} and the commas
		for k, v := range t {
			n += stringSize(k) + 1 + z.any(v)
		}
		return n
	case []any:
		if t == nil {
			return len("null")
		}
		n := 2 + max(len(t)-1, 0)
		for _, v := range t {
			n += z.any(v)
		}
		return n
	case *Step:
		return z.step(t)
	}
	return z.of(reflect.ValueOf(x))
}

func (z *sizer) of(v reflect.Value) int {
	t := v.Type()
	switch t {
	case stepPtrType:
		return z.step(v.Interface().(*Step))
	case durationType:
		return stringSize(Duration(v.Int()).String())
	case rawType:
		if v.IsNil() {
			return len("null")
		}
		return len(v.Bytes()) // the encoder compacts it: at most its length
	}
	if t.Kind() == reflect.Interface {
		return z.any(v.Interface())
	}
	if custom(t) {
		return marshalSize(v)
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return len("null")
		}
		return z.of(v.Elem())
	case reflect.String:
		return stringSize(v.String())
	case reflect.Bool:
		if v.Bool() {
			return len("true")
		}
		return len("false")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intSize(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return len(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32:
		return floatSize(v.Float(), 32)
	case reflect.Float64:
		return floatSize(v.Float(), 64)
	case reflect.Slice:
		if v.IsNil() {
			return len("null")
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return marshalSize(v) // base64
		}
		fallthrough
	case reflect.Array:
		n := 2 + max(v.Len()-1, 0)
		for i := range v.Len() {
			n += z.of(v.Index(i))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return len("null")
		}
		if t.Key().Kind() != reflect.String {
			return marshalSize(v)
		}
		n := 2 + max(v.Len()-1, 0)
		it := v.MapRange()
		for it.Next() {
			n += stringSize(it.Key().String()) + 1 + z.of(it.Value())
		}
		return n
	case reflect.Struct:
		fs := jsonFields(t)
		if fs == nil {
			return marshalSize(v)
		}
		n, count := 2, 0
		for _, f := range fs {
			fv := v.FieldByIndex(f.index)
			if f.omitEmpty && isEmptyValue(fv) {
				continue
			}
			n += f.nameSize + z.of(fv)
			count++
		}
		return n + max(count-1, 0)
	}
	return marshalSize(v)
}

// step measures s as Step.MarshalJSON encodes it, with an activity
// step's options merged with the workflow's defaults (Normalize).
func (z *sizer) step(s *Step) int {
	if s == nil {
		return len("null")
	}
	n := len(`{"kind":}`) + stringSize(string(s.Kind))
	if s.ID != "" {
		n += len(`"id":,`) + stringSize(s.ID)
	}
	if emptyBody(s.Body) {
		return n
	}
	n += 1 + stringSize(string(s.Kind)) + 1 // ,"kind":
	if a, ok := s.Body.(*ActivityStep); ok {
		c := *a
		applyActivityDefaults(&c.ActivityOptions, z.defaults, c.Local)
		return n + z.of(reflect.ValueOf(&c).Elem())
	}
	if ch, ok := s.Body.(*ChildStep); ok && ch.Bundled != nil {
		// As Prepare (bundle) writes it: the hash in the step, the
		// definition once in the table.
		c := *ch
		d := c.Bundled
		c.Definition, c.DefinitionHash = nil, d.Hash
		z.table[d.Hash] = len(d.Body)
		if d.Workflow != nil {
			for k, v := range d.Workflow.Children {
				z.table[k] = len(v)
			}
		}
		return n + z.of(reflect.ValueOf(&c).Elem())
	}
	return n + z.of(reflect.ValueOf(s.Body))
}

var customTypes sync.Map // reflect.Type → bool

// custom reports whether t (not an interface) or *t has its own JSON
// encoding.
func custom(t reflect.Type) bool {
	if c, ok := customTypes.Load(t); ok {
		return c.(bool)
	}
	c := t.Implements(marshalerT) || reflect.PointerTo(t).Implements(marshalerT) ||
		t.Implements(textMarshalerT) || reflect.PointerTo(t).Implements(textMarshalerT)
	customTypes.Store(t, c)
	return c
}

// marshalSize measures a value that the sizer does not know by encoding
// it; json.Marshal escapes HTML characters, so it never counts less than
// the canonical encoder writes.
func marshalSize(v reflect.Value) int {
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return 0 // Prepare fails on it as well
	}
	return len(b)
}

// stringSize is the size of s as a JSON string, as encoding/json writes it
// without HTML escaping.
func stringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				n += 2
			case c >= 0x20:
				n++
			case c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
				n += 2
			default:
				n += len(`\u0000`)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == '\u2028', r == '\u2029':
			n += len(`\ufffd`)
		default:
			n += size
		}
		i += size
	}
	return n
}

func intSize(i int64) int {
	var buf [24]byte
	return len(strconv.AppendInt(buf[:0], i, 10))
}

// floatSize is the size of f as encoding/json writes it.
func floatSize(f float64, bits int) int {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0 // Prepare fails on it
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	var buf [40]byte
	b := strconv.AppendFloat(buf[:0], f, format, -1, bits)
	if format == 'e' {
		// encoding/json writes e-07 as e-7.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			return n - 1
		}
	}
	return len(b)
}

func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// sizeField is a struct field that encoding/json writes.
type sizeField struct {
	index     []int
	nameSize  int // "name":
	omitEmpty bool
}

var sizeFields sync.Map // reflect.Type → []sizeField (nil: not measured)

// jsonFields lists the fields that encoding/json writes for t, in order,
// the fields of untagged embedded structs promoted. It returns nil for a
// struct whose encoding it does not mirror (field options other than
// omitempty, embedded pointers, names that conflict): those are measured
// with json.Marshal.
func jsonFields(t reflect.Type) []sizeField {
	if fs, ok := sizeFields.Load(t); ok {
		return fs.([]sizeField)
	}
	var fs []sizeField
	ok := true
	seen := map[string]bool{}
	var collect func(t reflect.Type, index []int)
	collect = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag, hasTag := f.Tag.Lookup("json")
			if tag == "-" {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			if f.Anonymous && !hasTag {
				if f.Type.Kind() == reflect.Struct {
					collect(f.Type, idx)
					continue
				}
				if !f.IsExported() {
					continue
				}
				ok = false
				return
			}
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			if (opts != "" && opts != "omitempty") || seen[name] || stringSize(name) != len(name)+2 {
				ok = false
				return
			}
			seen[name] = true
			fs = append(fs, sizeField{index: idx, nameSize: len(name) + 3, omitEmpty: opts == "omitempty"})
		}
	}
	collect(t, nil)
	if !ok {
		fs = nil
	}
	sizeFields.Store(t, fs)
	return fs
}
