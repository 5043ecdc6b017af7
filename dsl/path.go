package dsl

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Path locates a value in a definition: mapping keys joined by dots and
// list indexes in brackets, e.g. steps[2].do[0].with. Diagnostics carry
// paths, and so do a run's failures: a path is position-free, so the
// history of a run keeps it, and whoever holds the file finds the position
// with Node or Pos.
type Path string

// Key returns the path of key k below p.
func (p Path) Key(k string) Path {
	if p == "" {
		return Path(k)
	}
	return p + "." + Path(k)
}

// Index returns the path of item i of the list at p.
func (p Path) Index(i int) Path { return Path(fmt.Sprintf("%s[%d]", p, i)) }

// Node returns the node at p in the tree that Decode returned, or nil when
// there is none.
func (p Path) Node(root *yaml.Node) *yaml.Node {
	n := root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, seg := range p.segments() {
		if n == nil {
			return nil
		}
		if i, err := strconv.Atoi(seg); err == nil && n.Kind == yaml.SequenceNode {
			if i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
			continue
		}
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == seg {
				next = n.Content[j+1]
				break
			}
		}
		n = next
	}
	return n
}

// Pos returns the position of the value at p in the definition file
// (named file) whose tree is root. A path that the tree does not hold
// (the file changed since the run started) gives the zero Pos.
func (p Path) Pos(file string, root *yaml.Node) Pos {
	n := p.Node(root)
	if n == nil {
		return Pos{}
	}
	return Pos{File: file, Line: n.Line, Col: n.Column}
}

// segments splits steps[2].with.amount into steps, 2, with, amount.
func (p Path) segments() []string {
	var out []string
	for _, part := range strings.Split(string(p), ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				out = append(out, part)
				break
			}
			if i > 0 {
				out = append(out, part[:i])
			}
			j := strings.IndexByte(part[i:], ']')
			if j < 0 {
				out = append(out, part[i:])
				break
			}
			out = append(out, part[i+1:i+j])
			part = part[i+j+1:]
		}
	}
	return out
}
