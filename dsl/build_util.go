package dsl

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dslrun/dslrun/internal/expression"
	suggestpkg "github.com/dslrun/dslrun/internal/suggest"
	"gopkg.in/yaml.v3"
)

// builder turns a checked node tree into a Workflow, collecting every
// diagnostic on the way.
type builder struct {
	file  string
	ds    Diagnostics
	ids   map[string]Pos
	sites []site
	// stateKeys are the state variables the definition declares or sets.
	stateKeys map[string]bool
	// inputFields are the properties of a closed input schema (one with
	// properties and additionalProperties: false); nil otherwise.
	inputFields []string
	// receives counts nested step lists, to bound recursion through steps.
	depth int
}

// site is a string value that holds expressions, with the variables in
// scope where it appears.
type site struct {
	node  *yaml.Node
	path  string
	raw   string
	scope *scope
	// want is what the value must yield, where the place says.
	want want
}

// want is what an expression's place requires of its value.
type want int

const (
	wantAny      want = iota
	wantBool          // a condition: a single expression that yields a boolean
	wantDuration      // sleep: a duration string
	wantTime          // sleepUntil: an RFC 3339 timestamp string
	wantList          // forEach's items
)

// scope lists the expression variables visible at a place in the
// definition.
type scope struct {
	parent *scope
	vars   []string
}

func (s *scope) with(vars ...string) *scope { return &scope{parent: s, vars: vars} }

// names returns every visible variable, sorted.
func (s *scope) names() []string {
	var out []string
	for p := s; p != nil; p = p.parent {
		out = append(out, p.vars...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (b *builder) pos(n *yaml.Node) Pos { return Pos{File: b.file, Line: n.Line, Col: n.Column} }

func (b *builder) errorf(n *yaml.Node, path string, code Code, format string, args ...any) {
	b.ds = append(b.ds, Diagnostic{Pos: b.pos(n), Path: path, Code: code, Msg: fmt.Sprintf(format, args...)})
}

// describe names the YAML type of n for messages.
func describe(n *yaml.Node) string { return DescribeNode(n) }

// DescribeNode names the YAML type of n as diagnostics say it: mapping,
// list, string, number, boolean or null.
func DescribeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int", "!!float":
			return "number"
		case "!!bool":
			return "boolean"
		case "!!null":
			return "null"
		}
		return "string"
	default:
		return "value"
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// fields reads a mapping whose keys must be among allowed. Unknown keys are
// reported with a suggestion. It returns the value nodes and the key nodes
// by key.
type fieldMap struct {
	// order lists the keys as written.
	order []string
	// nodes holds the key node and the value node of each key of order.
	nodes []*yaml.Node
	// index maps each key to its place in order, in a mapping of more than
	// smallMapping keys; smaller ones are searched.
	index map[string]int
}

// smallMapping is the most keys that a fieldMap searches without an index.
const smallMapping = 16

func (f fieldMap) find(k string) int {
	if f.index != nil {
		if i, ok := f.index[k]; ok {
			return i
		}
		return -1
	}
	for i, o := range f.order {
		if o == k {
			return i
		}
	}
	return -1
}

// val returns the value node of key k, nil when absent.
func (f fieldMap) val(k string) *yaml.Node {
	if i := f.find(k); i >= 0 {
		return f.nodes[2*i+1]
	}
	return nil
}

// key returns the key node of key k, nil when absent.
func (f fieldMap) key(k string) *yaml.Node {
	if i := f.find(k); i >= 0 {
		return f.nodes[2*i]
	}
	return nil
}

func (f fieldMap) has(k string) bool { return f.find(k) >= 0 }

func (b *builder) fields(n *yaml.Node, path string, allowed []string) (fieldMap, bool) {
	var f fieldMap
	if n.Kind != yaml.MappingNode {
		b.errorf(n, path, CodeType, "expected a mapping, got %s", describe(n))
		return f, false
	}
	size := len(n.Content) / 2
	f.order, f.nodes = make([]string, 0, size), make([]*yaml.Node, 0, 2*size)
	if size > smallMapping {
		f.index = make(map[string]int, size)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			b.errorf(k, path, CodeType, "keys must be strings, got %s", describe(k))
			continue
		}
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			b.unknownKey(k, path, allowed)
			continue
		}
		if f.has(k.Value) {
			continue // reported by Decode
		}
		if f.index != nil {
			f.index[k.Value] = len(f.order)
		}
		f.order = append(f.order, k.Value)
		f.nodes = append(f.nodes, k, v)
	}
	return f, true
}

func (b *builder) unknownKey(k *yaml.Node, path string, allowed []string) {
	msg := fmt.Sprintf("unknown key %q", k.Value)
	if s := suggest(k.Value, allowed); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	b.errorf(k, join(path, k.Value), CodeUnknownKey, "%s", msg)
}

func (b *builder) require(f fieldMap, n *yaml.Node, path string, keys ...string) bool {
	ok := true
	for _, k := range keys {
		if !f.has(k) {
			b.errorf(n, path, CodeRequired, "missing required key %q", k)
			ok = false
		}
	}
	return ok
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// str reads a plain string without expressions.
func (b *builder) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		b.errorf(n, path, CodeType, "expected a string, got %s", describe(n))
		return "", false
	}
	if expression.IsTemplate(n.Value) {
		b.errorf(n, path, CodeExpression, "expressions are not allowed here")
		return "", false
	}
	return n.Value, true
}

// nonEmpty reads a non-empty plain string.
func (b *builder) nonEmpty(n *yaml.Node, path string) (string, bool) {
	s, ok := b.str(n, path)
	if ok && strings.TrimSpace(s) == "" {
		b.errorf(n, path, CodeValue, "must not be empty")
		return "", false
	}
	return s, ok
}

// ident reads a string usable as an expression variable or step id.
func (b *builder) ident(n *yaml.Node, path, what string) (string, bool) {
	s, ok := b.str(n, path)
	if !ok {
		return "", false
	}
	if !identRe.MatchString(s) {
		b.errorf(n, path, CodeValue, "%s %q must be letters, digits and underscores, not starting with a digit", what, s)
		return "", false
	}
	return s, true
}

// oneOf reads a string that must be one of choices.
func (b *builder) oneOf(n *yaml.Node, path string, choices ...string) (string, bool) {
	s, ok := b.str(n, path)
	if !ok {
		return "", false
	}
	if !slices.Contains(choices, s) {
		msg := fmt.Sprintf("%q is not one of %s", s, strings.Join(choices, ", "))
		if sg := suggest(s, choices); sg != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sg)
		}
		b.errorf(n, path, CodeValue, "%s", msg)
		return "", false
	}
	return s, true
}

// template reads a string that may hold expressions, in scope sc.
func (b *builder) template(n *yaml.Node, path string, sc *scope) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		b.errorf(n, path, CodeType, "expected a string, got %s", describe(n))
		return "", false
	}
	b.site(n, path, sc, wantAny)
	return n.Value, true
}

func (b *builder) boolean(n *yaml.Node, path string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		b.errorf(n, path, CodeType, "expected a boolean, got %s", describe(n))
		return false
	}
	v, _ := strconv.ParseBool(strings.ToLower(n.Value))
	return v
}

func (b *builder) integer(n *yaml.Node, path string, min, max int) int {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		b.errorf(n, path, CodeType, "expected an integer, got %s", describe(n))
		return 0
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		b.errorf(n, path, CodeValue, "invalid integer %q", n.Value)
		return 0
	}
	if v < min || v > max {
		b.errorf(n, path, CodeValue, "%d is out of range [%d, %d]", v, min, max)
		return 0
	}
	return v
}

func (b *builder) number(n *yaml.Node, path string) float64 {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		b.errorf(n, path, CodeType, "expected a number, got %s", describe(n))
		return 0
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		b.errorf(n, path, CodeValue, "invalid number %q", n.Value)
		return 0
	}
	return v
}

func (b *builder) duration(n *yaml.Node, path string) Duration {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		b.errorf(n, path, CodeDuration, "duration %s has no unit (want e.g. 30s, 5m, 1h30m, 2d)", n.Value)
		return 0
	}
	s, ok := b.str(n, path)
	if !ok {
		return 0
	}
	d, err := ParseDuration(s)
	if err != nil {
		b.errorf(n, path, CodeDuration, "%v", err)
		return 0
	}
	return d
}

func (b *builder) strList(n *yaml.Node, path string) []string {
	if n.Kind != yaml.SequenceNode {
		b.errorf(n, path, CodeType, "expected a list, got %s", describe(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		if s, ok := b.nonEmpty(c, index(path, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// value converts any YAML value into the value model, recording every
// string with an expression as a site in scope sc. With sc nil,
// expressions are not allowed.
func (b *builder) value(n *yaml.Node, path string, sc *scope) Value {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				b.errorf(k, path, CodeType, "keys must be strings, got %s", describe(k))
				continue
			}
			m[k.Value] = b.value(v, join(path, k.Value), sc)
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			l[i] = b.value(c, index(path, i), sc)
		}
		return l
	case yaml.ScalarNode:
		return b.scalar(n, path, sc)
	default: // documents and aliases never reach the builder (Decode)
		return nil
	}
}

func (b *builder) scalar(n *yaml.Node, path string, sc *scope) Value {
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		v, _ := strconv.ParseBool(strings.ToLower(n.Value))
		return v
	case "!!int":
		s := strings.ReplaceAll(n.Value, "_", "")
		if isLegacyOctal(s) {
			b.errorf(n, path, CodeValue, "ambiguous number %s: quote it if it is a string, or drop the leading zero", n.Value)
			return nil
		}
		var v int64
		if err := n.Decode(&v); err != nil {
			b.errorf(n, path, CodeValue, "integer %s does not fit in 64 bits", n.Value)
			return nil
		}
		return int(v)
	case "!!float":
		v := b.number(n, path)
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int(v)
		}
		return v
	}
	// !!str, !!timestamp and !!binary stay strings, as written.
	if expression.IsTemplate(n.Value) {
		if sc == nil {
			b.errorf(n, path, CodeExpression, "expressions are not allowed here")
			return n.Value
		}
		b.site(n, path, sc, wantAny)
	}
	return n.Value
}

func isLegacyOctal(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return len(s) > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9'
}

// cond reads a condition: a boolean literal or a single expression.
func (b *builder) cond(n *yaml.Node, path string, sc *scope) Value {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		return b.boolean(n, path)
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		b.errorf(n, path, CodeType, "expected a condition (a boolean or ${ ... }), got %s", describe(n))
		return nil
	}
	b.site(n, path, sc, wantBool)
	return n.Value
}

// durationOrExpr reads a duration literal or a template that yields one at
// run time.
func (b *builder) durationOrExpr(n *yaml.Node, path string, sc *scope) Value {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && expression.IsTemplate(n.Value) {
		b.site(n, path, sc, wantDuration)
		return n.Value
	}
	d := b.duration(n, path)
	return d.String()
}

func (b *builder) site(n *yaml.Node, path string, sc *scope, w want) {
	b.sites = append(b.sites, site{node: n, path: path, raw: n.Value, scope: sc, want: w})
}

// suggest returns the candidate that s most likely misspells, or "".
func suggest(s string, candidates []string) string { return suggestpkg.Closest(s, candidates) }
