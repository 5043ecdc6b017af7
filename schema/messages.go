package schema

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dslrun/dslrun/dsl"
	closest "github.com/dslrun/dslrun/internal/suggest"
	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"
)

// stepListKeys are the keys whose value is a list of steps.
var stepListKeys = []string{"steps", "do", "then", "else", "default", "try", "finally"}

// frame is one node on the way from the root to an error's node.
type frame struct {
	node *yaml.Node
	// key is the key node when the node is a mapping value.
	key *yaml.Node
	// seg is the mapping key or the list index that leads to the node.
	seg string
	// index tells whether seg is a list index.
	index bool
	// path is the node's dslrun path, like steps[2].with.amount.
	path string
}

// mapper turns gojsonschema errors into dsl diagnostics.
type mapper struct {
	file string
	root *yaml.Node
	c    *compiled
	ds   dsl.Diagnostics
	// keys indexes the keys of large mappings, built on first use.
	keys map[*yaml.Node]map[string]int
	// multi caches which step mappings have more than one kind.
	multi map[*yaml.Node][]*yaml.Node
}

func (m *mapper) pos(n *yaml.Node) dsl.Pos {
	if n == nil {
		return dsl.Pos{File: m.file}
	}
	return dsl.Pos{File: m.file, Line: n.Line, Col: n.Column}
}

func (m *mapper) add(n *yaml.Node, path, msg string) {
	m.ds = append(m.ds, dsl.Diagnostic{Pos: m.pos(n), Path: path, Code: dsl.CodeSchema, Msg: msg})
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// lookup returns the index of key k in mapping n, or -1.
func (m *mapper) lookup(n *yaml.Node, k string) int {
	if len(n.Content) <= 32 {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				return i
			}
		}
		return -1
	}
	idx, ok := m.keys[n]
	if !ok {
		idx = make(map[string]int, len(n.Content)/2)
		for i := len(n.Content) - 2; i >= 0; i -= 2 {
			idx[n.Content[i].Value] = i
		}
		if m.keys == nil {
			m.keys = map[*yaml.Node]map[string]int{}
		}
		m.keys[n] = idx
	}
	if i, ok := idx[k]; ok {
		return i
	}
	return -1
}

// resolve follows an error context such as (root).steps.2.activity from the
// root node, as far as the tree allows.
func (m *mapper) resolve(ctx *gojsonschema.JsonContext) []frame {
	const sep = "\x00"
	segs := strings.Split(ctx.String(sep), sep)
	frames := make([]frame, 1, len(segs))
	frames[0] = frame{node: m.root}
	for _, seg := range segs[1:] {
		cur := frames[len(frames)-1]
		switch cur.node.Kind {
		case yaml.MappingNode:
			i := m.lookup(cur.node, seg)
			if i < 0 {
				return frames
			}
			frames = append(frames, frame{node: cur.node.Content[i+1], key: cur.node.Content[i], seg: seg, path: joinPath(cur.path, seg)})
		case yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(cur.node.Content) {
				return frames
			}
			frames = append(frames, frame{node: cur.node.Content[i], seg: seg, index: true, path: cur.path + "[" + seg + "]"})
		default:
			return frames
		}
	}
	return frames
}

// isStep tells whether frames[i] is a step: an item of a list of steps, or
// of a branch of parallel or race.
func isStep(frames []frame, i int) bool {
	if i < 2 || !frames[i].index || frames[i].node.Kind != yaml.MappingNode {
		return false
	}
	list := frames[i-1]
	if !list.index {
		return slices.Contains(stepListKeys, list.seg)
	}
	return i >= 3 && !frames[i-2].index && (frames[i-2].seg == "parallel" || frames[i-2].seg == "race")
}

// kindKeyNodes returns the key nodes of a step mapping that name step
// kinds, in document order.
func (m *mapper) kindKeyNodes(n *yaml.Node) []*yaml.Node {
	if ks, ok := m.multi[n]; ok {
		return ks
	}
	var ks []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if _, ok := m.c.kindKeys[n.Content[i].Value]; ok {
			ks = append(ks, n.Content[i])
		}
	}
	if m.multi == nil {
		m.multi = map[*yaml.Node][]*yaml.Node{}
	}
	m.multi[n] = ks
	return ks
}

// multiKind reports a step with several kinds the way the parser does:
// once, at the second kind key. It returns false when no frame is such a
// step. Errors inside such a step are noise (each kind's definition
// rejects the others' keys), so the caller drops them.
func (m *mapper) multiKind(frames []frame) bool {
	for i := range frames {
		if !isStep(frames, i) {
			continue
		}
		ks := m.kindKeyNodes(frames[i].node)
		if len(ks) < 2 {
			continue
		}
		names := make([]string, len(ks))
		for j, k := range ks {
			names[j] = k.Value
		}
		m.add(ks[1], frames[i].path, "step has more than one kind: "+strings.Join(names, " and "))
		return true
	}
	return false
}

// diagnostics maps the errors of one validation.
func (m *mapper) diagnostics(errs []gojsonschema.ResultError) dsl.Diagnostics {
	var wrappers []gojsonschema.ResultError
	for i := 0; i < len(errs); i++ {
		e := errs[i]
		frames := m.resolve(e.Context())
		at := frames[len(frames)-1]
		if m.multiKind(frames) {
			continue
		}
		// next returns the following error when it belongs to e: same
		// context, merged right after it by gojsonschema.
		next := func() gojsonschema.ResultError {
			if i+1 < len(errs) && errs[i+1].Context() == e.Context() {
				return errs[i+1]
			}
			return nil
		}
		switch e.Type() {
		case "condition_then", "condition_else", "number_all_of", "number_one_of":
			// Wrappers: the errors of the failing branch follow.
			wrappers = append(wrappers, e)
		case "number_any_of":
			if n := next(); n != nil && n.Type() == "required" {
				if g := m.c.groups[detail(n, "property")]; g != nil {
					if m.allKinds(g) {
						m.add(at.node, at.path, "step has no kind: want one of "+kindList())
					} else {
						m.add(at.node, at.path, "needs at least one of "+orList(quoteAll(g)))
					}
					i++
					continue
				}
			}
			wrappers = append(wrappers, e)
		case "invalid_property_name":
			prop := detail(e, "property")
			msg := ""
			for n := next(); n != nil && n.Value() == prop; n = next() {
				if msg == "" {
					msg = m.message(n, at, prop)
				}
				i++
			}
			if msg == "" {
				msg = fmt.Sprintf("invalid key %q", prop)
			}
			m.add(m.keyNode(at.node, prop), joinPath(at.path, prop), msg)
		case "required":
			m.add(at.node, at.path, fmt.Sprintf("missing required key %q", detail(e, "property")))
		case "additional_property_not_allowed":
			prop := detail(e, "property")
			m.add(m.keyNode(at.node, prop), joinPath(at.path, prop), fmt.Sprintf("unknown key %q", prop))
		case "false":
			m.add(at.node, at.path, m.excluded(frames))
		default:
			v := ""
			if at.node.Kind == yaml.ScalarNode {
				v = at.node.Value
			}
			if s, ok := e.Value().(string); ok {
				v = s
			}
			if msg := m.message(e, at, v); msg != "" {
				m.add(at.node, at.path, msg)
			}
		}
	}
	if len(m.ds) == 0 {
		// Only wrappers: should not happen, but never report a failed
		// validation as clean.
		for _, e := range wrappers {
			frames := m.resolve(e.Context())
			at := frames[len(frames)-1]
			m.add(at.node, at.path, sentence(e.Description()))
		}
	}
	return m.ds.Sort()
}

// allKinds tells whether every key of g is a step kind.
func (m *mapper) allKinds(g []string) bool {
	for _, k := range g {
		if _, ok := m.c.kindKeys[k]; !ok {
			return false
		}
	}
	return true
}

// keyNode returns the key node of k in mapping n, or n itself.
func (m *mapper) keyNode(n *yaml.Node, k string) *yaml.Node {
	if n.Kind == yaml.MappingNode {
		if i := m.lookup(n, k); i >= 0 {
			return n.Content[i]
		}
	}
	return n
}

// excluded explains a key that the schema rules out with a false schema:
// a key that another key excludes.
func (m *mapper) excluded(frames []frame) string {
	at := frames[len(frames)-1]
	switch at.seg {
	case "startDelay":
		return "startDelay cannot be combined with cron"
	case "taskQueue":
		return "a local activity runs on the workflow's worker: taskQueue is not allowed"
	case "activityId":
		return "a local activity has no activity id of its own: activityId is not allowed"
	}
	return fmt.Sprintf("key %q is not allowed here", at.seg)
}

// message words a value error. v is the offending value as text.
func (m *mapper) message(e gojsonschema.ResultError, at frame, v string) string {
	switch e.Type() {
	case "invalid_type":
		n := at.node
		if n.Kind == yaml.ScalarNode && n.Tag == "!!float" {
			if _, ok := scalar(n).(string); ok {
				return fmt.Sprintf("invalid number %q", n.Value)
			}
		}
		if m.c.durationKeys[at.seg] && !at.index && (n.Tag == "!!int" || n.Tag == "!!float") {
			return fmt.Sprintf("duration %s has no unit (want e.g. 30s, 5m, 1h30m, 2d)", n.Value)
		}
		return expected(detail(e, "expected")) + ", got " + describe(n)
	case "enum":
		var allowed []string
		if err := json.Unmarshal([]byte("["+detail(e, "allowed")+"]"), &allowed); err != nil {
			return sentence(e.Description())
		}
		if at.path == "dsl" {
			return fmt.Sprintf("unsupported DSL version %q (this dslrun reads %q)", v, dsl.Version)
		}
		msg := fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", "))
		if s := suggest(v, allowed); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return msg
	case "pattern":
		// The description gives every pattern a message (for editors too).
		// One per value: a positive duration has two patterns.
		if n := len(m.ds); n > 0 && m.ds[n-1].Path == at.path {
			return ""
		}
		return fmt.Sprintf("invalid value %q: %s", v, m.c.patternMessages[detail(e, "pattern")])
	case "number_gte", "number_gt":
		return fmt.Sprintf("%s is less than the minimum %s", v, detail(e, "min"))
	case "number_lte", "number_lt":
		return fmt.Sprintf("%s is more than the maximum %s", v, detail(e, "max"))
	case "array_min_items":
		switch at.seg {
		case "steps":
			return "a workflow needs at least one step"
		case "switch":
			return "switch needs at least one case"
		case "parallel", "race":
			return "needs at least one branch"
		}
		return fmt.Sprintf("needs at least %s items", detail(e, "min"))
	case "array_min_properties":
		if at.seg == "set" || at.seg == "state" {
			return "set needs at least one variable"
		}
		return fmt.Sprintf("needs at least %s keys", detail(e, "min"))
	}
	return sentence(e.Description())
}

func detail(e gojsonschema.ResultError, k string) string {
	switch v := e.Details()[k].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// sentence lowercases the first letter and drops a final period.
func sentence(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
		s = strings.ToLower(s[:1]) + s[1:]
	}
	return s
}

// expected words gojsonschema's expected types, "string" or
// "[boolean,string]", in YAML terms.
func expected(types string) string {
	list := strings.Split(strings.Trim(types, "[]"), ",")
	switch strings.Join(list, ",") {
	case "boolean,string":
		return "expected a condition (a boolean or ${ ... })"
	case "array,string":
		return "expected a list or ${ ... }"
	}
	words := make([]string, len(list))
	for i, t := range list {
		switch t {
		case "object":
			words[i] = "a mapping"
		case "array":
			words[i] = "a list"
		case "integer":
			words[i] = "an integer"
		case "null":
			words[i] = "null"
		default:
			words[i] = "a " + t
		}
	}
	return "expected " + orList(words)
}

// describe names the YAML type of n, as the parser does.
func describe(n *yaml.Node) string { return dsl.DescribeNode(n) }

func orList(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

func kindList() string {
	names := make([]string, len(dsl.Kinds()))
	for i, k := range dsl.Kinds() {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// suggest returns the candidate that s most likely misspells, or "".
func suggest(s string, candidates []string) string { return closest.Closest(s, candidates) }
