package dsl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Limits on what Decode accepts. They keep hostile files cheap to refuse.
const (
	// MaxFileSize is the largest definition file, in bytes.
	MaxFileSize = 4 << 20
	// MaxDepth is the deepest nesting of YAML collections.
	MaxDepth = 200
	// MaxNodes is the most YAML nodes (scalars and collections) in a file.
	MaxNodes = 1_000_000
)

var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Decode reads one YAML document into a node tree, refusing what dslrun
// does not accept: files over MaxFileSize, text that is not UTF-8, more
// than one document, aliases, nesting deeper than MaxDepth, duplicate keys
// and custom tags. The returned node is the document's root value.
func Decode(filename string, src []byte) (*yaml.Node, Diagnostics) {
	at := func(line, col int) Pos { return Pos{File: filename, Line: line, Col: col} }
	errAt := func(p Pos, code Code, format string, args ...any) Diagnostics {
		return Diagnostics{{Pos: p, Code: code, Msg: fmt.Sprintf(format, args...)}}
	}
	if len(src) > MaxFileSize {
		return nil, errAt(at(1, 1), CodeLimit, "file is %d bytes, more than the limit of %d", len(src), MaxFileSize)
	}
	if line, col, msg := notText(src); msg != "" {
		return nil, errAt(at(line, col), CodeYAML, "%s", msg)
	}
	if len(bytes.TrimSpace(src)) == 0 {
		return nil, errAt(at(1, 1), CodeYAML, "file is empty")
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errAt(at(1, 1), CodeYAML, "file has no YAML document")
		}
		return nil, yamlError(filename, err, src)
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case err == nil:
		return nil, errAt(at(second.Line, second.Column), CodeYAML,
			"file has more than one YAML document: put each definition in a file of its own")
	case errors.Is(err, io.EOF):
	default:
		return nil, yamlError(filename, err, src)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, errAt(at(1, 1), CodeYAML, "file is empty")
	}
	root := doc.Content[0]
	if ds := checkNodes(filename, root); len(ds) > 0 {
		return nil, ds
	}
	return root, nil
}

// notText finds the first NUL byte or invalid UTF-8 sequence of src and
// returns its position (the column counts characters, as YAML positions
// do) and what is wrong there; msg is "" when src is UTF-8 text with no
// NUL.
func notText(src []byte) (line, col int, msg string) {
	if bytes.IndexByte(src, 0) < 0 && utf8.Valid(src) {
		return 0, 0, ""
	}
	line, col = 1, 1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		switch {
		case r == 0:
			return line, col, "NUL byte: the file must be UTF-8 text"
		case r == utf8.RuneError && size == 1:
			return line, col, fmt.Sprintf("invalid UTF-8 (byte 0x%02x): the file must be UTF-8 text", src[i])
		case r == '\n':
			line, col = line+1, 1
		default:
			col++
		}
		i += size
	}
	return 0, 0, ""
}

// parserProblems are yaml.v3's parser errors (as opposed to its scanner
// errors): for them it reports a 0-based line, one line early.
var parserProblems = []string{
	"did not find expected <document start>",
	"found undefined tag handle",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
}

// yamlError turns yaml.v3's error into a diagnostic at the line it means
// (the collection or the token it was reading), at the line's first
// character. When that line, or one soon after it, has an unquoted ${
// inside a flow collection ({ } or [ ]), which YAML reads as the start of
// a nested mapping, the diagnostic points at it and says to quote it.
func yamlError(filename string, err error, src []byte) Diagnostics {
	msg := err.Error()
	line := 1
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if slices.Contains(parserProblems, msg) {
			line++
		}
	} else if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	lines := strings.Split(string(src), "\n")
	line = min(max(line, 1), len(lines))
	col := 1 + len(lines[line-1]) - len(strings.TrimLeft(lines[line-1], " \t"))
	msg = "invalid YAML: " + msg
	for l := line; l <= min(line+3, len(lines)); l++ {
		if c := unquotedFlowExpr(lines[l-1]); c > 0 {
			line, col = l, c
			msg += ` (an expression inside { } or [ ] must be quoted: "${ ... }")`
			break
		}
	}
	return Diagnostics{{Pos: Pos{File: filename, Line: line, Col: col}, Code: CodeYAML, Msg: msg}}
}

// unquotedFlowExpr returns the 1-based column of the first ${ on line that
// stands inside a flow collection and outside quotes, 0 when there is none.
func unquotedFlowExpr(line string) int {
	depth := 0
	var quote rune
	col := 0
	for i, r := range line {
		col++
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '#' && (i == 0 || line[i-1] == ' '):
			return 0
		case r == '$' && strings.HasPrefix(line[i:], "${") && depth > 0:
			return col
		case r == '{' || r == '[':
			depth++
		case r == '}' || r == ']':
			depth = max(depth-1, 0)
		}
	}
	return 0
}

// checkNodes walks the tree without recursion and reports aliases, depth,
// node count, duplicate keys and tags that dslrun refuses. Every finding is
// reported, up to a bound.
func checkNodes(filename string, root *yaml.Node) Diagnostics {
	type item struct {
		n     *yaml.Node
		depth int
	}
	var ds Diagnostics
	add := func(n *yaml.Node, code Code, format string, args ...any) {
		ds = append(ds, Diagnostic{Pos: Pos{File: filename, Line: n.Line, Col: n.Column}, Code: code, Msg: fmt.Sprintf(format, args...)})
	}
	stack := []item{{root, 1}}
	count, aliases := 0, 0
	var firstAlias *yaml.Node
	for len(stack) > 0 && len(ds) < 100 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := it.n
		count++
		if count > MaxNodes {
			add(root, CodeLimit, "file has more than %d YAML nodes", MaxNodes)
			break
		}
		switch n.Kind {
		case yaml.AliasNode:
			if aliases == 0 {
				firstAlias = n
			}
			aliases++
			continue
		case yaml.ScalarNode:
			switch n.Tag {
			case "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!binary":
			default:
				add(n, CodeYAML, "YAML tag %q is not supported", n.Tag)
			}
			continue
		case yaml.MappingNode, yaml.SequenceNode:
			if n.Tag != "!!map" && n.Tag != "!!seq" {
				add(n, CodeYAML, "YAML tag %q is not supported", n.Tag)
			}
		default: // the document node, unwrapped before the walk
		}
		if it.depth > MaxDepth {
			add(n, CodeLimit, "nesting is deeper than the limit of %d", MaxDepth)
			continue
		}
		if n.Kind == yaml.MappingNode {
			for _, d := range duplicateKeys(n) {
				add(d[1], CodeDuplicateKey, "duplicate key %q (first at line %d)", d[1].Value, d[0].Line)
			}
		}
		for i := len(n.Content) - 1; i >= 0; i-- {
			stack = append(stack, item{n.Content[i], it.depth + 1})
		}
	}
	if aliases > 0 {
		msg := fmt.Sprintf("YAML aliases (*%s) are not supported: repeat the value instead", firstAlias.Value)
		if aliases > 1 {
			msg += fmt.Sprintf(" (%d aliases in the file)", aliases)
		}
		add(firstAlias, CodeYAML, "%s", msg)
	}
	return ds.Sort()
}

// duplicateKeys returns, for every scalar key of mapping n that repeats an
// earlier one, the first key and the repeat. Small mappings, nearly all of
// a file, are searched; larger ones use a map.
func duplicateKeys(n *yaml.Node) [][2]*yaml.Node {
	var out [][2]*yaml.Node
	if len(n.Content) <= 2*smallMapping {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			for j := 0; j < i; j += 2 {
				if f := n.Content[j]; f.Kind == yaml.ScalarNode && f.Value == k.Value {
					out = append(out, [2]*yaml.Node{f, k})
					break
				}
			}
		}
		return out
	}
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind == yaml.ScalarNode {
			if first, dup := seen[k.Value]; dup {
				out = append(out, [2]*yaml.Node{first, k})
			} else {
				seen[k.Value] = k
			}
		}
	}
	return out
}
