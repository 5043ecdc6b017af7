package expression

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/vm/runtime"
)

// Functions lists the functions available in expressions, sorted: expr's
// builtins without now, some of them replaced by dslrun's own versions
// with the same name (see overrides).
func Functions() []string {
	names := make([]string, 0, len(builtin.Names))
	for _, n := range builtin.Names {
		if n != "now" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// param is the kind of a function parameter, for checking and messages.
type param int

const (
	pString param = iota
	pInt
	pAny
	pList
	pMap
)

func (p param) String() string {
	return [...]string{"string", "int", "any", "array", "map"}[p]
}

func (p param) accepts(t reflect.Type) bool {
	if t == nil || t.Kind() == reflect.Interface {
		return true
	}
	switch p {
	case pAny:
		return true
	case pString:
		return t.Kind() == reflect.String
	case pInt:
		return maybe(t, reflect.Int)
	case pList:
		return t.Kind() == reflect.Slice || t.Kind() == reflect.Array
	case pMap:
		return t.Kind() == reflect.Map
	}
	return false
}

// spec describes one of dslrun's functions. It receives the evaluation's
// budget as a hidden first argument, added by patch.
type spec struct {
	name   string
	params []param
	min    int // required parameters; the others are optional
	out    reflect.Type
	call   func(b *budget, args []any) (any, error)
	// validate replaces the check of params when set.
	validate func(args []reflect.Type) (reflect.Type, error)
}

var (
	typeAny      = reflect.TypeFor[any]()
	typeString   = reflect.TypeFor[string]()
	typeBool     = reflect.TypeFor[bool]()
	typeList     = reflect.TypeFor[[]any]()
	typeStrings  = reflect.TypeFor[[]string]()
	typeInts     = reflect.TypeFor[[]int]()
	typeTime     = reflect.TypeFor[time.Time]()
	typeLocation = reflect.TypeFor[*time.Location]()
)

func (s *spec) function() *builtin.Function {
	return &builtin.Function{
		Name: s.name,
		Func: func(args ...any) (any, error) {
			b, ok := args[0].(*budget)
			if !ok {
				return nil, fmt.Errorf("internal error: %s called without its budget", s.name)
			}
			return s.call(b, args[1:])
		},
		Validate: func(args []reflect.Type) (reflect.Type, error) {
			if len(args) > 0 && args[0] == budgetType {
				args = args[1:]
			}
			if s.validate != nil {
				return s.validate(args)
			}
			if len(args) < s.min || len(args) > len(s.params) {
				return typeAny, fmt.Errorf("invalid number of arguments for %s (expected %s, got %d)", s.name, s.arity(), len(args))
			}
			for i, t := range args {
				if !s.params[i].accepts(t) {
					return typeAny, fmt.Errorf("cannot use %s as argument (type %s) to call %s", t, s.params[i], s.name)
				}
			}
			return s.out, nil
		},
	}
}

func (s *spec) arity() string {
	if s.min == len(s.params) {
		return fmt.Sprint(s.min)
	}
	return fmt.Sprintf("%d to %d", s.min, len(s.params))
}

// overrides are dslrun's versions of expr's builtins, by name: each caps
// what it builds and charges what it scans, or makes the builtin
// deterministic.
var overrides = map[string]*spec{
	"repeat":     {params: []param{pString, pInt}, min: 2, out: typeString, call: fnRepeat},
	"replace":    {params: []param{pString, pString, pString, pInt}, min: 3, out: typeString, call: fnReplace},
	"join":       {params: []param{pList, pString}, min: 1, out: typeString, call: fnJoin},
	"split":      {params: []param{pString, pString, pInt}, min: 2, out: typeStrings, call: splitter(strings.SplitN)},
	"splitAfter": {params: []param{pString, pString, pInt}, min: 2, out: typeStrings, call: splitter(strings.SplitAfterN)},
	"upper":      {params: []param{pString}, min: 1, out: typeString, call: caser(strings.ToUpper)},
	"lower":      {params: []param{pString}, min: 1, out: typeString, call: caser(strings.ToLower)},
	"toJSON":     {params: []param{pAny}, min: 1, out: typeString, call: fnToJSON},
	"fromJSON":   {params: []param{pString}, min: 1, out: typeAny, call: fnFromJSON},
	"toBase64":   {params: []param{pString}, min: 1, out: typeString, call: fnToBase64},
	"fromBase64": {params: []param{pString}, min: 1, out: typeString, call: fnFromBase64},
	"string":     {params: []param{pAny}, min: 1, out: typeString, call: fnString},
	"keys":       {params: []param{pMap}, min: 1, out: typeList, call: mapLister(func(k, _ reflect.Value) any { return k.Interface() })},
	"values":     {params: []param{pMap}, min: 1, out: typeList, call: mapLister(func(_, v reflect.Value) any { return v.Interface() })},
	"toPairs":    {params: []param{pMap}, min: 1, out: typeList, call: mapLister(func(k, v reflect.Value) any { return []any{k.Interface(), v.Interface()} })},
	"uniq":       {params: []param{pList}, min: 1, out: typeList, call: fnUniq},
	"sort":       {params: []param{pList, pString}, min: 1, out: typeList, call: fnSort},
	"date":       {out: typeTime, call: fnDate, validate: validateDate},
	"timezone":   {params: []param{pString}, min: 1, out: typeLocation, call: fnTimezone},
}

// hidden are the functions patch inserts; users cannot name them.
var hidden = map[string]*spec{
	fnTick:    {call: fnTickCall, validate: func([]reflect.Type) (reflect.Type, error) { return typeAny, nil }},
	fnCharge:  {call: fnChargeCall, validate: validateIdentity},
	fnAdd:     {call: fnAddCall, validate: validateAdd},
	fnRange:   {call: fnRangeCall, validate: func([]reflect.Type) (reflect.Type, error) { return typeInts, nil }},
	fnInRange: {call: fnInRangeCall, validate: func([]reflect.Type) (reflect.Type, error) { return typeBool, nil }},
	fnMatches: {call: fnMatchesCall, validate: func([]reflect.Type) (reflect.Type, error) { return typeBool, nil }},
}

// functions returns expr function definitions for overrides and hidden.
func functions() []*builtin.Function {
	out := make([]*builtin.Function, 0, len(overrides)+len(hidden))
	for _, set := range []map[string]*spec{overrides, hidden} {
		for name, s := range set {
			cp := *s
			cp.name = name
			out = append(out, cp.function())
		}
	}
	return out
}

// argument helpers: they check the run-time type of an argument whose
// static type was unknown.

func argError(name string, v any, want param) error {
	return fmt.Errorf("cannot use %s as argument (type %s) to call %s", typeName(v), want, name)
}

func argString(name string, args []any, i int) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", argError(name, args[i], pString)
	}
	return s, nil
}

func argInt(name string, args []any, i int) (int, error) {
	switch v := reflect.ValueOf(args[i]); {
	case v.CanInt():
		return int(v.Int()), nil
	case v.CanUint() && v.Uint() <= uint64(maxInt):
		return int(v.Uint()), nil
	}
	return 0, argError(name, args[i], pInt)
}

const maxInt = int(^uint(0) >> 1)

func fnRepeat(b *budget, args []any) (any, error) {
	s, err := argString("repeat", args, 0)
	if err != nil {
		return nil, err
	}
	n, err := argInt("repeat", args, 1)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("invalid argument for repeat (expected positive integer, got %d)", n)
	}
	if len(s) > 0 && n > MaxStringBytes/len(s) {
		return nil, errStringBytes()
	}
	if err := b.reserve(len(s) * n); err != nil {
		return nil, err
	}
	return strings.Repeat(s, n), nil
}

func fnReplace(b *budget, args []any) (any, error) {
	var strs [3]string
	for i := range strs {
		s, err := argString("replace", args, i)
		if err != nil {
			return nil, err
		}
		strs[i] = s
	}
	s, old, repl := strs[0], strs[1], strs[2]
	n := -1
	if len(args) == 4 {
		var err error
		if n, err = argInt("replace", args, 3); err != nil {
			return nil, err
		}
	}
	if err := b.chargeBytes(len(s)); err != nil {
		return nil, err
	}
	count := strings.Count(s, old)
	if n >= 0 && n < count {
		count = n
	}
	if count > 0 && len(repl) > len(old) && len(repl)-len(old) > (MaxStringBytes-len(s))/count {
		return nil, errStringBytes()
	}
	if err := b.reserve(len(s) + count*(len(repl)-len(old))); err != nil {
		return nil, err
	}
	return strings.Replace(s, old, repl, n), nil
}

func fnJoin(b *budget, args []any) (any, error) {
	glue := ""
	if len(args) == 2 {
		var err error
		if glue, err = argString("join", args, 1); err != nil {
			return nil, err
		}
	}
	var parts []string
	switch list := args[0].(type) {
	case []string:
		parts = list
	default:
		rv := reflect.ValueOf(list)
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return nil, argError("join", list, pList)
		}
		if err := b.charge(rv.Len()); err != nil {
			return nil, err
		}
		parts = make([]string, rv.Len())
		for i := range parts {
			s, ok := rv.Index(i).Interface().(string)
			if !ok {
				return nil, fmt.Errorf("cannot join element %d of type %s (expected string)", i, typeName(rv.Index(i).Interface()))
			}
			parts[i] = s
		}
	}
	total := 0
	for i, p := range parts {
		total += len(p)
		if i > 0 {
			total += len(glue)
		}
		if total > MaxStringBytes {
			return nil, errStringBytes()
		}
	}
	if err := b.reserve(total); err != nil {
		return nil, err
	}
	return strings.Join(parts, glue), nil
}

// splitter makes split and splitAfter: the number of parts is charged
// before they are made.
func splitter(split func(s, sep string, n int) []string) func(*budget, []any) (any, error) {
	return func(b *budget, args []any) (any, error) {
		s, err := argString("split", args, 0)
		if err != nil {
			return nil, err
		}
		sep, err := argString("split", args, 1)
		if err != nil {
			return nil, err
		}
		n := -1
		if len(args) == 3 {
			if n, err = argInt("split", args, 2); err != nil {
				return nil, err
			}
		}
		parts := strings.Count(s, sep) + 1
		if sep == "" {
			parts = len([]rune(s))
		}
		if n >= 0 && n < parts {
			parts = n
		}
		if err := b.chargeBytes(len(s)); err != nil {
			return nil, err
		}
		if err := b.charge(parts); err != nil {
			return nil, err
		}
		out := split(s, sep, n)
		if out == nil {
			out = []string{}
		}
		return out, nil
	}
}

func caser(convert func(string) string) func(*budget, []any) (any, error) {
	return func(b *budget, args []any) (any, error) {
		s, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("cannot change the case of %s (expected string)", typeName(args[0]))
		}
		if len(s) > 4*MaxStringBytes {
			return nil, errStringBytes()
		}
		out := convert(s)
		if err := b.reserve(len(out)); err != nil {
			return nil, err
		}
		return out, nil
	}
}

func fnToJSON(b *budget, args []any) (any, error) {
	v, err := normalizeValue(args[0], b)
	if err != nil {
		return nil, err
	}
	data, err := encodeJSON(v, "  ")
	if err != nil {
		return nil, err
	}
	if err := b.reserve(len(data)); err != nil {
		return nil, err
	}
	return string(data), nil
}

func fnFromJSON(b *budget, args []any) (any, error) {
	s, err := argString("fromJSON", args, 0)
	if err != nil {
		return nil, err
	}
	// Decoding is slow and allocates for every element: half a step per
	// byte, on top of a step per value for the normalisation.
	if err := b.charge(1 + len(s)/2); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: unexpected data after the value")
	}
	return normalizeValue(v, b)
}

func fnToBase64(b *budget, args []any) (any, error) {
	s, err := argString("toBase64", args, 0)
	if err != nil {
		return nil, err
	}
	if err := b.reserve(base64.StdEncoding.EncodedLen(len(s))); err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnFromBase64(b *budget, args []any) (any, error) {
	s, err := argString("fromBase64", args, 0)
	if err != nil {
		return nil, err
	}
	if err := b.reserve(base64.StdEncoding.DecodedLen(len(s))); err != nil {
		return nil, err
	}
	out, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return string(out), nil
}

// fnString renders a value as interpolation does, so that
// string(x) == "${ x }" for every x.
func fnString(b *budget, args []any) (any, error) {
	v, err := normalizeValue(args[0], b)
	if err != nil {
		return nil, err
	}
	out, err := render(nil, v)
	if err != nil {
		return nil, err
	}
	if err := b.reserve(len(out)); err != nil {
		return nil, err
	}
	return string(out), nil
}

// mapLister makes keys, values and toPairs, which list a map in sorted key
// order rather than Go's random map order. Sorting costs n·log2(n) steps.
func mapLister(item func(k, v reflect.Value) any) func(*budget, []any) (any, error) {
	return func(b *budget, args []any) (any, error) {
		m := reflect.ValueOf(args[0])
		if m.Kind() != reflect.Map {
			return nil, fmt.Errorf("cannot list the entries of %s (expected map)", typeName(args[0]))
		}
		n := m.Len()
		if err := b.charge(1 + n*bits.Len(uint(n))); err != nil {
			return nil, err
		}
		keys := sortedKeys(m)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = item(k, m.MapIndex(k))
		}
		return out, nil
	}
}

func listOf(name string, v any) ([]any, error) {
	if l, ok := v.([]any); ok {
		return l, nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, argError(name, v, pList)
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, nil
}

// fnUniq keeps the first of equal elements; each comparison costs a step.
func fnUniq(b *budget, args []any) (any, error) {
	list, err := listOf("uniq", args[0])
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, e := range list {
		if err := b.charge(1 + len(out)); err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(out, func(o any) bool { return runtime.Equal(o, e) }) {
			out = append(out, e)
		}
	}
	return out, nil
}

// fnSort sorts as expr does, charging n·log2(n) steps.
func fnSort(b *budget, args []any) (any, error) {
	list, err := listOf("sort", args[0])
	if err != nil {
		return nil, err
	}
	desc := false
	if len(args) == 2 {
		switch args[1] {
		case "asc":
		case "desc":
			desc = true
		default:
			return nil, fmt.Errorf("invalid order %v, expected asc or desc", args[1])
		}
	}
	n := len(list)
	if err := b.charge(1 + n*bits.Len(uint(n))); err != nil {
		return nil, err
	}
	out := slices.Clone(list)
	sort.Sort(&runtime.Sort{Desc: desc, Array: out})
	return out, nil
}

// dateLayouts are the layouts date() tries when none is given (expr's).
var dateLayouts = []string{
	"2006-01-02",
	"15:04:05",
	"2006-01-02 15:04:05",
	time.RFC3339,
	time.RFC822,
	time.RFC850,
	time.RFC1123,
}

// validateDate checks date([location,] text [, layout [, zone]]).
func validateDate(args []reflect.Type) (reflect.Type, error) {
	if len(args) > 0 && args[0] == typeLocation {
		args = args[1:]
	}
	if len(args) < 1 || len(args) > 3 {
		return typeAny, fmt.Errorf("invalid number of arguments for date (expected 1 to 3, got %d)", len(args))
	}
	for _, t := range args {
		if !pString.accepts(t) {
			return typeAny, fmt.Errorf("cannot use %s as argument (type string) to call date", t)
		}
	}
	return typeTime, nil
}

// fnDate parses a date. Without a zone, the text is read in UTC (never in
// the host's zone); a zone name is resolved from the embedded database.
func fnDate(b *budget, args []any) (any, error) {
	loc := time.UTC
	if len(args) > 0 {
		if l, ok := args[0].(*time.Location); ok && l != nil {
			loc, args = l, args[1:]
		}
	}
	if len(args) < 1 || len(args) > 3 {
		return nil, fmt.Errorf("invalid number of arguments for date (expected 1 to 3, got %d)", len(args))
	}
	strs := make([]string, len(args))
	for i := range args {
		s, err := argString("date", args, i)
		if err != nil {
			return nil, err
		}
		strs[i] = s
	}
	if err := b.chargeBytes(len(strs[0])); err != nil {
		return nil, err
	}
	if len(strs) == 3 {
		l, err := loadLocation(strs[2])
		if err != nil {
			return nil, err
		}
		loc = l
	}
	if len(strs) >= 2 {
		return time.ParseInLocation(strs[1], strs[0], loc)
	}
	for _, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, strs[0], loc); err == nil {
			return t, nil
		}
	}
	return nil, fmt.Errorf("invalid date %s", strs[0])
}

func fnTimezone(b *budget, args []any) (any, error) {
	name, err := argString("timezone", args, 0)
	if err != nil {
		return nil, err
	}
	// Reading the database is worth a few hundred steps.
	if err := b.charge(256); err != nil {
		return nil, err
	}
	return loadLocation(name)
}

// The hidden functions.

func fnTickCall(b *budget, _ []any) (any, error) {
	return nil, b.charge(1)
}

func validateIdentity(args []reflect.Type) (reflect.Type, error) {
	if len(args) == 0 || args[0] == nil {
		return typeAny, nil
	}
	return args[0], nil
}

// fnChargeCall is §charge(§budget, x, mode + factor<<3): it charges the
// size of x and returns x.
func fnChargeCall(b *budget, args []any) (any, error) {
	x, mode, factor := args[0], args[1].(int)&7, args[1].(int)>>3
	if mode == chargeResult {
		if s, ok := x.(string); ok {
			return x, b.reserve(len(s))
		}
		return x, b.charge(1)
	}
	n, err := cost(x, mode, MaxSteps-b.steps)
	if err != nil {
		return nil, err
	}
	if factor > 1 && n > 0 && n > (MaxSteps+1)/factor {
		return nil, b.charge(MaxSteps + 1)
	}
	return x, b.charge(n * factor)
}

func validateAdd(args []reflect.Type) (reflect.Type, error) {
	for _, t := range args {
		if t != nil && t.Kind() == reflect.String {
			return typeString, nil
		}
	}
	return typeAny, nil
}

// fnAddCall is + where an operand may be a string: concatenation is capped,
// anything else is expr's +.
func fnAddCall(b *budget, args []any) (any, error) {
	if x, ok := args[0].(string); ok {
		if y, ok := args[1].(string); ok {
			if len(x) > MaxStringBytes || len(y) > MaxStringBytes-len(x) {
				return nil, errStringBytes()
			}
			if err := b.reserve(len(x) + len(y)); err != nil {
				return nil, err
			}
			return x + y, nil
		}
	}
	return runtime.Add(args[0], args[1]), nil
}

// rangeBounds checks the bounds of a..b.
func rangeBounds(args []any) (lo, hi int, err error) {
	var bounds [2]int
	for i := range bounds {
		v := reflect.ValueOf(args[i])
		if !v.CanInt() {
			return 0, 0, fmt.Errorf("invalid operation: .. (expected int bounds, got %s)", typeName(args[i]))
		}
		bounds[i] = int(v.Int())
	}
	return bounds[0], bounds[1], nil
}

// fnRangeCall is a..b, with at most MaxRange elements.
func fnRangeCall(b *budget, args []any) (any, error) {
	lo, hi, err := rangeBounds(args)
	if err != nil {
		return nil, err
	}
	if hi < lo {
		return []int{}, nil
	}
	if uint64(hi)-uint64(lo) >= MaxRange {
		return nil, errRange()
	}
	n := hi - lo + 1
	if err := b.charge(n); err != nil {
		return nil, err
	}
	out := make([]int, n)
	for i := range out {
		out[i] = lo + i
	}
	return out, nil
}

// fnInRangeCall is x in a..b without building the range: true when x is a
// number equal to one of its elements, as expr's in would find.
func fnInRangeCall(b *budget, args []any) (any, error) {
	lo, hi, err := rangeBounds(args[1:])
	if err != nil {
		return nil, err
	}
	if err := b.charge(1); err != nil {
		return nil, err
	}
	v := reflect.ValueOf(args[0])
	switch {
	case v.CanInt():
		return int64(lo) <= v.Int() && v.Int() <= int64(hi), nil
	case v.CanUint():
		u := v.Uint()
		return u <= math.MaxInt64 && int64(lo) <= int64(u) && int64(u) <= int64(hi), nil
	case v.CanFloat():
		f := v.Float()
		return f == math.Trunc(f) && float64(lo) <= f && f <= float64(hi), nil
	}
	return false, nil
}

// matchFactor is the steps per bytesPerStep bytes of text that matching a
// pattern of n bytes costs. Go's regexp guarantees linear time, but its
// automaton can be as slow as about 10 MB/s: a step per byte, more for long
// patterns.
func matchFactor(n int) int {
	return bytesPerStep * (1 + n/16)
}

// maxPattern is the longest regular expression matches accepts when the
// pattern is not a constant.
const maxPattern = 4096

// fnMatchesCall is s matches pattern for a pattern that is not a constant.
func fnMatchesCall(b *budget, args []any) (any, error) {
	if args[0] == nil || args[1] == nil {
		return false, nil
	}
	s, ok1 := args[0].(string)
	pattern, ok2 := args[1].(string)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("invalid operation: matches (expected strings, got %s and %s)", typeName(args[0]), typeName(args[1]))
	}
	if len(pattern) > maxPattern {
		return nil, fmt.Errorf("regular expression is too long (%d bytes, the limit is %d)", len(pattern), maxPattern)
	}
	k := matchFactor(len(pattern))
	n := 1 + len(s)/bytesPerStep
	if n > (MaxSteps+1)/k {
		return nil, b.charge(MaxSteps + 1)
	}
	if err := b.charge(k*n + len(pattern)); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	return re.MatchString(s), nil
}
