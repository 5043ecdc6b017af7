package dsltest

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/internal/suggest"
)

// decoder reads a test file's node tree, collecting diagnostics.
type decoder struct {
	file string
	ds   dsl.Diagnostics
}

func (d *decoder) pos(n *yaml.Node) dsl.Pos {
	return dsl.Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, path string, code dsl.Code, format string, args ...any) {
	d.ds = append(d.ds, dsl.Diagnostic{Pos: d.pos(n), Path: path, Code: code, Msg: fmt.Sprintf(format, args...)})
}

// fields are the keys of a mapping: the value and key nodes by key.
type fields struct {
	vals map[string]*yaml.Node
	keys map[string]*yaml.Node
}

func (f fields) val(k string) *yaml.Node { return f.vals[k] }

// mapping reads a mapping whose keys must be among allowed, reporting
// unknown keys with a suggestion.
func (d *decoder) mapping(n *yaml.Node, path string, allowed []string) (fields, bool) {
	f := fields{vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, dsl.CodeType, "expected a mapping, got %s", dsl.DescribeNode(n))
		return f, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(allowed, k.Value) {
			d.errorf(k, join(path, k.Value), dsl.CodeUnknownKey, "unknown key %q%s", k.Value, didYouMean(k.Value, allowed))
			continue
		}
		f.vals[k.Value], f.keys[k.Value] = v, k
	}
	return f, true
}

func didYouMean(s string, candidates []string) string {
	if c := suggest.Closest(s, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Tag == "!!bool" || n.Tag == "!!int" || n.Tag == "!!float" {
		d.errorf(n, path, dsl.CodeType, "expected a string, got %s", dsl.DescribeNode(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) bool(n *yaml.Node, path string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errorf(n, path, dsl.CodeType, "expected true or false, got %s", dsl.DescribeNode(n))
		return false
	}
	return strings.EqualFold(n.Value, "true")
}

func (d *decoder) int(n *yaml.Node, path string) (int, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		var i int
		if err := n.Decode(&i); err == nil && i >= 0 {
			return i, true
		}
	}
	d.errorf(n, path, dsl.CodeType, "expected a whole number, 0 or more, got %s", dsl.DescribeNode(n))
	return 0, false
}

// duration reads a duration in the DSL's syntax (30s, 1h30m, 2d).
func (d *decoder) duration(n *yaml.Node, path string, positive bool) time.Duration {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		d.errorf(n, path, dsl.CodeDuration, "expected a duration such as 30s, 1h30m or 2d, got %s", dsl.DescribeNode(n))
		return 0
	}
	v, err := dsl.ParseDuration(n.Value)
	if err != nil {
		d.errorf(n, path, dsl.CodeDuration, "%v", err)
		return 0
	}
	if positive && v <= 0 {
		d.errorf(n, path, dsl.CodeDuration, "must be greater than zero")
	}
	return time.Duration(v)
}

func (d *decoder) time(n *yaml.Node, path string, def time.Time) time.Time {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!str" || n.Tag == "!!timestamp") {
		if t, err := time.Parse(time.RFC3339Nano, n.Value); err == nil {
			return t.UTC()
		}
	}
	d.errorf(n, path, dsl.CodeValue, "expected an RFC 3339 time such as 2025-01-01T00:00:00Z, got %s %q", dsl.DescribeNode(n), n.Value)
	return def
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// value converts a node to the DSL's value model: nil, bool, int64,
// float64, string, []any, map[string]any. Integers stay integers, and a
// float with an integral value below 2^53 becomes one, as in definitions.
func value(n *yaml.Node) any {
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			out[i] = value(c)
		}
		return out
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			out[n.Content[i].Value] = value(n.Content[i+1])
		}
		return out
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil
		case "!!bool":
			return strings.EqualFold(n.Value, "true")
		case "!!int":
			var i int64
			if err := n.Decode(&i); err == nil {
				return i
			}
			var f float64
			_ = n.Decode(&f)
			return f
		case "!!float":
			var f float64
			if err := n.Decode(&f); err == nil {
				if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
					return int64(f)
				}
				return f
			}
			return n.Value
		}
		return n.Value
	case yaml.DocumentNode, yaml.AliasNode:
		// dsl.Decode returns the document's root and refuses aliases.
	}
	return nil
}

// number reads a number of either side of a comparison.
func number(v any) (i int64, f float64, isInt, ok bool) {
	switch n := v.(type) {
	case int:
		return int64(n), float64(n), true, true
	case int64:
		return n, float64(n), true, true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), n, true, true
		}
		return 0, n, false, true
	case interface{ String() string }: // json.Number
		s := n.String()
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, float64(i), true, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return number(f)
		}
	}
	return 0, 0, false, false
}
