package schema

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/dslrun/dslrun/dsl"
	"gopkg.in/yaml.v3"
)

// converter turns a yaml.Node tree into the document model gojsonschema
// walks: nil, bool, json.Number, string, []any and map[string]any. Node
// trees from dsl.Decode hold no aliases and are at most dsl.MaxDepth deep;
// the converter still refuses both rather than trusting its caller.
type converter struct {
	file string
	ds   dsl.Diagnostics
}

func (c *converter) errorf(n *yaml.Node, code dsl.Code, msg string) {
	if len(c.ds) < 100 {
		c.ds = append(c.ds, dsl.Diagnostic{
			Pos:  dsl.Pos{File: c.file, Line: n.Line, Col: n.Column},
			Code: code,
			Msg:  msg,
		})
	}
}

func (c *converter) value(n *yaml.Node, depth int) any {
	if depth > dsl.MaxDepth {
		c.errorf(n, dsl.CodeLimit, "nesting is deeper than the limit of "+strconv.Itoa(dsl.MaxDepth))
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return c.value(n.Content[0], depth)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = c.value(n.Content[i+1], depth+1)
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, e := range n.Content {
			l[i] = c.value(e, depth+1)
		}
		return l
	case yaml.AliasNode:
		c.errorf(n, dsl.CodeYAML, "YAML aliases are not supported: repeat the value instead")
		return nil
	case yaml.ScalarNode:
		return scalar(n)
	}
	return nil
}

// scalar converts a scalar by its resolved tag. Numbers become json.Number
// in plain decimal form; non-finite floats (.inf, .nan) have no JSON form
// and stay strings, so that any numeric keyword refuses them.
func scalar(n *yaml.Node) any {
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		return strings.EqualFold(n.Value, "true")
	case "!!int":
		s := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10))
		}
		if b, ok := new(big.Int).SetString(s, 0); ok {
			return json.Number(b.String())
		}
		return n.Value
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return n.Value
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	}
	// !!str, !!timestamp, !!binary: the text as written, as the parser
	// keeps it.
	return n.Value
}
