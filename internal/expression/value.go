package expression

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Normalize converts v to dslrun's value model: nil, bool, int, float64
// (only for numbers that are not integral, or too large for int), string,
// []any and map[string]any. The interpreter applies it to activity results
// and payloads, and evaluation applies it to every result.
//
// Conversions: every integer type becomes int (an unsigned value above the
// int range becomes float64, as a JSON round trip would make it); an
// integral float64 within the int range becomes int (so -0.0 becomes 0);
// a float32 becomes the float64 of its shortest decimal form; json.Number
// (from a json.Decoder with UseNumber) becomes int when it is an integer
// that fits, float64 otherwise; time.Time becomes an RFC 3339 string with
// nanoseconds (a time in the host's Local zone is written in UTC);
// time.Duration becomes its String(); a *time.Location its name; []byte a
// base64 string, as encoding/json writes it; slices and arrays of any type
// become []any; maps with string, integer, float or bool keys become
// map[string]any; a type with a MarshalJSON or MarshalText method, and a
// struct, goes through encoding/json. NaN, infinities, other types, two
// keys of a map that convert to the same string, and values nested more
// than MaxValueDepth levels are errors.
//
// For any value that encoding/json can encode (except time.Duration, which
// it writes as nanoseconds), Normalize(v) deep-equals Normalize of v after
// an encode and a decode with UseNumber.
func Normalize(v any) (any, error) {
	return normalizeValue(v, nil)
}

// normalizeValue is Normalize charging one step per value to b.
func normalizeValue(v any, b *budget) (any, error) {
	return normalizer{b: b}.value(v, 0)
}

type normalizer struct{ b *budget }

func (n normalizer) value(v any, depth int) (any, error) {
	if depth > MaxValueDepth {
		return nil, errValueDepth()
	}
	if err := n.b.charge(1); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool, string, int:
		return x, nil
	case float64:
		return normFloat(x)
	case int64:
		return int(x), nil
	case int32:
		return int(x), nil
	case int16:
		return int(x), nil
	case int8:
		return int(x), nil
	case uint:
		return normUint(uint64(x)), nil
	case uint64:
		return normUint(x), nil
	case uint32:
		return int(x), nil
	case uint16:
		return int(x), nil
	case uint8:
		return int(x), nil
	case float32:
		f, err := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		if err != nil {
			return nil, fmt.Errorf("unsupported number %v", x)
		}
		return normFloat(f)
	case json.Number:
		return normNumber(x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x), nil
	case time.Time:
		return formatTime(x), nil
	case time.Duration:
		return x.String(), nil
	case *time.Location:
		if x == nil {
			return nil, nil
		}
		return x.String(), nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			ne, err := n.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = ne
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ne, err := n.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = ne
		}
		return out, nil
	}
	return n.reflected(reflect.ValueOf(v), depth)
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

func (n normalizer) reflected(rv reflect.Value, depth int) (any, error) {
	t := rv.Type()
	if t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) || t.Kind() == reflect.Struct {
		return n.viaJSON(rv.Interface(), depth)
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return n.value(rv.Elem().Interface(), depth)
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return normUint(rv.Uint()), nil
	case reflect.Float32:
		return n.value(float32(rv.Float()), depth)
	case reflect.Float64:
		return normFloat(rv.Float())
	case reflect.Slice:
		if rv.IsNil() {
			if t.Elem().Kind() == reflect.Uint8 {
				return "", nil
			}
			return []any{}, nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return base64.StdEncoding.EncodeToString(rv.Bytes()), nil
		}
		fallthrough
	case reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			e, err := n.value(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			k, err := keyString(iter.Key())
			if err != nil {
				return nil, err
			}
			if _, dup := out[k]; dup {
				return nil, fmt.Errorf("duplicate key %q in map", k)
			}
			e, err := n.value(iter.Value().Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = e
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value of type %s", t)
}

// viaJSON normalises a value the way it would come back from a JSON round
// trip.
func (n normalizer) viaJSON(v any, depth int) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("unsupported value of type %T: %v", v, err)
	}
	if err := n.b.chargeBytes(len(data)); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("unsupported value of type %T: %v", v, err)
	}
	return n.value(out, depth)
}

// keyString converts a map key to the string a JSON object would use.
func keyString(k reflect.Value) (string, error) {
	if k.Kind() == reflect.Interface {
		if k.IsNil() {
			return "null", nil
		}
		k = k.Elem()
	}
	switch k.Kind() {
	case reflect.String:
		return k.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(k.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		f, err := normFloat(k.Float())
		if err != nil {
			return "", err
		}
		return string(appendScalar(nil, f)), nil
	case reflect.Bool:
		return strconv.FormatBool(k.Bool()), nil
	}
	return "", fmt.Errorf("unsupported map key of type %s", k.Type())
}

// The range of float64 values that convert exactly to int.
const (
	minIntFloat = -(1 << 63)
	maxIntFloat = 1 << 63 // exclusive
)

func normFloat(f float64) (any, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("unsupported number %v", f)
	}
	if f == math.Trunc(f) && f >= minIntFloat && f < maxIntFloat {
		return int(f), nil
	}
	return f, nil
}

func normUint(u uint64) any {
	if u <= math.MaxInt64 {
		return int(u)
	}
	return float64(u)
}

func normNumber(n json.Number) (any, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return int(i), nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, fmt.Errorf("invalid number %q", string(n))
	}
	return normFloat(f)
}

// formatTime writes t in RFC 3339 with nanoseconds; a time in the host's
// Local zone is written in UTC, so that the host never shows through.
func formatTime(t time.Time) string {
	if t.Location() == time.Local {
		t = t.UTC()
	}
	return t.Format(time.RFC3339Nano)
}

// typeName names the type of v in dslrun's words, for error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, json.Number:
		return "int"
	case float32, float64:
		return "float"
	case string:
		return "string"
	case time.Time:
		return "time"
	case time.Duration:
		return "duration"
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map:
		return "map"
	}
	return fmt.Sprintf("%T", v)
}

// cost measures v for §charge, in steps, stopping early once it exceeds
// limit.
func cost(v any, mode int, limit int) (int, error) {
	switch mode {
	case chargeString:
		if s, ok := v.(string); ok {
			return 1 + len(s)/bytesPerStep, nil
		}
		return 1, nil
	case chargeShallow:
		switch x := v.(type) {
		case string:
			return 1 + len(x)/bytesPerStep, nil
		case []any:
			return 1 + len(x), nil
		}
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Slice, reflect.Array, reflect.Map:
			return 1 + rv.Len(), nil
		}
		return 1, nil
	case chargeIn:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Map {
			return 1, nil
		}
	}
	c := &sizer{limit: limit}
	err := c.size(v, 0)
	return c.n, err
}

// sizer counts the elements and bytes of a value, recursively.
type sizer struct {
	n, limit int
}

func (c *sizer) size(v any, depth int) error {
	if depth > MaxValueDepth {
		return errValueDepth()
	}
	c.n++
	if c.n > c.limit {
		return nil
	}
	switch x := v.(type) {
	case nil, bool, int, float64, time.Time, time.Duration:
		return nil
	case string:
		c.n += len(x) / bytesPerStep
		return nil
	case []any:
		for _, e := range x {
			if err := c.size(e, depth+1); err != nil || c.n > c.limit {
				return err
			}
		}
		return nil
	case map[string]any:
		for k, e := range x {
			c.n += len(k) / bytesPerStep
			if err := c.size(e, depth+1); err != nil || c.n > c.limit {
				return err
			}
		}
		return nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !rv.IsNil() {
			return c.size(rv.Elem().Interface(), depth)
		}
	case reflect.String:
		c.n += rv.Len() / bytesPerStep
	case reflect.Slice, reflect.Array:
		switch rv.Type().Elem().Kind() {
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			c.n += rv.Len()
			return nil
		}
		for i := 0; i < rv.Len() && c.n <= c.limit; i++ {
			if err := c.size(rv.Index(i).Interface(), depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		iter := rv.MapRange()
		for iter.Next() && c.n <= c.limit {
			if err := c.size(iter.Key().Interface(), depth+1); err != nil {
				return err
			}
			if err := c.size(iter.Value().Interface(), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// sortedKeys returns the keys of map m in a deterministic order: null,
// then booleans, numbers, strings, and other keys by their printed form.
func sortedKeys(m reflect.Value) []reflect.Value {
	keys := m.MapKeys()
	if m.Type().Key().Kind() == reflect.String {
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		return keys
	}
	ifaces := make([]any, len(keys))
	for i, k := range keys {
		ifaces[i] = k.Interface()
	}
	sort.Sort(keySorter{keys, ifaces})
	return keys
}

type keySorter struct {
	keys   []reflect.Value
	ifaces []any
}

func (s keySorter) Len() int           { return len(s.keys) }
func (s keySorter) Less(i, j int) bool { return compareKeys(s.ifaces[i], s.ifaces[j]) < 0 }
func (s keySorter) Swap(i, j int) {
	s.keys[i], s.keys[j] = s.keys[j], s.keys[i]
	s.ifaces[i], s.ifaces[j] = s.ifaces[j], s.ifaces[i]
}

func compareKeys(a, b any) int {
	ra, rb := keyRank(a), keyRank(b)
	if ra != rb {
		return ra - rb
	}
	switch ra {
	case 1:
		ab, bb := a.(bool), b.(bool)
		switch {
		case ab == bb:
			return 0
		case !ab:
			return -1
		}
		return 1
	case 2:
		return compareNumbers(reflect.ValueOf(a), reflect.ValueOf(b))
	case 3:
		return strings.Compare(a.(string), b.(string))
	case 4:
		return strings.Compare(fmt.Sprintf("%T %v", a, a), fmt.Sprintf("%T %v", b, b))
	}
	return 0
}

func keyRank(v any) int {
	if v == nil {
		return 0
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Bool:
		return 1
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return 2
	case reflect.String:
		if _, ok := v.(string); ok {
			return 3
		}
	}
	return 4
}

func compareNumbers(a, b reflect.Value) int {
	isInt := func(v reflect.Value) bool { return v.CanInt() }
	if isInt(a) && isInt(b) {
		return cmpOrdered(a.Int(), b.Int())
	}
	if a.CanUint() && b.CanUint() {
		return cmpOrdered(a.Uint(), b.Uint())
	}
	return cmpOrdered(toFloat(a), toFloat(b))
}

func toFloat(v reflect.Value) float64 {
	switch {
	case v.CanInt():
		return float64(v.Int())
	case v.CanUint():
		return float64(v.Uint())
	}
	return v.Float()
}

func cmpOrdered[T int64 | uint64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
