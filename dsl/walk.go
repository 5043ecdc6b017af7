package dsl

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Walk calls fn for every step of w in definition order, with the step's
// path as diagnostics print it (steps[2].parallel[1][0]); handler steps
// follow, under signals.<name>.do and updates.<name>.do. It stops early
// when fn returns false.
func Walk(w *Workflow, fn func(path string, s *Step) bool) {
	var walk func(prefix string, steps []*Step) bool
	walk = func(prefix string, steps []*Step) bool {
		for i, s := range steps {
			p := index(prefix, i)
			if !fn(p, s) {
				return false
			}
			for _, sub := range s.childLists(p) {
				if !walk(sub.path, sub.steps) {
					return false
				}
			}
		}
		return true
	}
	if !walk("steps", w.Steps) {
		return
	}
	for _, k := range sortedKeys(w.Signals) {
		if !walk(join(join("signals", k), "do"), w.Signals[k].Do) {
			return
		}
	}
	for _, k := range sortedKeys(w.Updates) {
		if !walk(join(join("updates", k), "do"), w.Updates[k].Do) {
			return
		}
	}
}

type stepList struct {
	path  string
	steps []*Step
}

// childLists returns the step lists nested in s with their paths, given
// the path of s.
func (s *Step) childLists(p string) []stepList {
	var out []stepList
	add := func(path string, steps []*Step) {
		if steps != nil {
			out = append(out, stepList{path, steps})
		}
	}
	switch {
	case s.If != nil:
		add(join(p, "then"), s.If.Then)
		add(join(p, "else"), s.If.Else)
	case s.Switch != nil:
		for i, c := range s.Switch.Cases {
			add(join(index(join(p, "switch"), i), "do"), c.Do)
		}
		add(join(p, "default"), s.Switch.Default)
	case s.Parallel != nil:
		for i, b := range s.Parallel.Branches {
			add(index(join(p, "parallel"), i), b)
		}
	case s.Race != nil:
		for i, b := range s.Race.Branches {
			add(index(join(p, "race"), i), b)
		}
	case s.ForEach != nil:
		add(join(p, "do"), s.ForEach.Do)
	case s.While != nil:
		add(join(p, "do"), s.While.Do)
	case s.Try != nil:
		add(join(p, "try"), s.Try.Try)
		for i, c := range s.Try.Catch {
			add(join(index(join(p, "catch"), i), "do"), c.Do)
		}
		add(join(p, "finally"), s.Try.Finally)
	}
	return out
}

// Lookup returns the node at a diagnostic path (steps[2].with.amount) in
// the tree that Decode returned, or nil when there is none.
func Lookup(root *yaml.Node, path string) *yaml.Node {
	n := root
	for _, seg := range splitPath(path) {
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

// splitPath splits steps[2].with.amount into steps, 2, with, amount.
func splitPath(path string) []string {
	var out []string
	for _, part := range strings.Split(path, ".") {
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
