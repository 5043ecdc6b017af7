package dsl

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by Canonical.
const (
	// DefaultTaskQueue is the task queue of workflows and activities when a
	// definition names none.
	DefaultTaskQueue = "dslrun"
	// DefaultStartToCloseTimeout is an activity's start-to-close timeout when
	// neither it nor a schedule-to-close timeout is set.
	DefaultStartToCloseTimeout = Duration(time.Minute)
)

// Definition is a valid definition made ready to run, once: the
// normalised model (see Normalize), the canonical form that every run of
// it records and executes, and that form's hash.
type Definition struct {
	Workflow  *Workflow
	Canonical []byte
	Hash      string
	// Body is Canonical without its table of child definitions
	// (Workflow.Children): what the table of a parent that starts this
	// definition by file holds under Hash. Without a table it is Canonical.
	Body []byte
}

// Prepare normalises w and encodes its canonical form: defaults applied
// (workflow activity options merged into each activity step, default
// timeouts), JSON with sorted keys and no positions. The same definition
// always yields the same bytes, whatever its formatting, comments or key
// order. w itself is not changed.
//
// Each child step that starts a file (ChildStep.Bundled) refers to the
// child's definition by its hash (ChildStep.DefinitionHash), and the
// canonical form carries one table (Workflow.Children) of every child
// definition it needs, directly or through other child files, each once:
// a definition that starts the same file six times at each of ten levels
// grows by one entry a level, not six-fold.
func Prepare(w *Workflow) (*Definition, error) {
	c, err := Normalize(w)
	if err != nil {
		return nil, err
	}
	table, err := bundle(w, c)
	if err != nil {
		return nil, err
	}
	c.Children = nil
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	canonical, err := WithChildren(body, table)
	if err != nil {
		return nil, err
	}
	if len(table) > 0 {
		c.Children = table
	}
	return &Definition{Workflow: c, Canonical: canonical, Hash: Hash(canonical), Body: body}, nil
}

// bundle sets DefinitionHash on the child steps of c (the normalised copy
// of w) whose step in w has a Bundled definition, and returns the table of
// child definitions: the entries c already had (a canonical form prepared
// again), each bundled child and the entries of its own table.
func bundle(w, c *Workflow) (map[string]json.RawMessage, error) {
	bundled := map[string]*Definition{}
	Walk(w, func(path string, s *Step) bool {
		if ch, ok := s.Body.(*ChildStep); ok && ch != nil && ch.Bundled != nil {
			bundled[path] = ch.Bundled
		}
		return true
	})
	// Copied in sorted key order, as the interpreter calls this (the
	// hash check of a definition) from workflow code.
	table := map[string]json.RawMessage{}
	copyTable(table, c.Children)
	if len(bundled) == 0 {
		return table, nil
	}
	var err error
	Walk(c, func(path string, s *Step) bool {
		ch, ok := s.Body.(*ChildStep)
		d := bundled[path]
		if !ok || ch == nil || d == nil {
			return true
		}
		if len(d.Body) == 0 || d.Hash == "" {
			err = fmt.Errorf("%s: child definition %q not prepared", path, d.Workflow.Name)
			return false
		}
		ch.Definition, ch.DefinitionHash = nil, d.Hash
		table[d.Hash] = d.Body
		if d.Workflow != nil {
			copyTable(table, d.Workflow.Children)
		}
		return true
	})
	return table, err
}

func copyTable(dst, src map[string]json.RawMessage) {
	for _, k := range SortedKeys(src) {
		dst[k] = src[k]
	}
}

// WithChildren returns the canonical form of the definition whose
// canonical form without a table is body, with table as its table of
// child definitions (Workflow.Children): body itself when table is empty,
// else body with the key "children" added last, its keys sorted, as the
// JSON encoding of the Workflow would place it. Prepare makes every
// canonical form this way, and the interpreter the definition it sends to
// a child from its parent's table, so both are the same bytes.
func WithChildren(body []byte, table map[string]json.RawMessage) ([]byte, error) {
	if len(table) == 0 {
		return body, nil
	}
	if len(body) < 2 || body[0] != '{' || body[len(body)-1] != '}' {
		return nil, fmt.Errorf("a canonical definition is a JSON object")
	}
	var buf bytes.Buffer
	buf.Grow(len(body) + len(`,"children":`))
	buf.Write(body[:len(body)-1])
	buf.WriteString(`,"children":`)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(table); err != nil {
		return nil, fmt.Errorf("encode the table of child definitions: %w", err)
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return append(out, '}'), nil
}

// Canonical returns the canonical form of w, as Prepare encodes it.
func Canonical(w *Workflow) ([]byte, error) {
	d, err := Prepare(w)
	if err != nil {
		return nil, err
	}
	return d.Canonical, nil
}

// Hash returns the hex SHA-256 of a canonical definition.
func Hash(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// Normalize returns a copy of w with defaults applied, as Canonical
// encodes it.
func Normalize(w *Workflow) (*Workflow, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep bundled child definitions byte for byte
	if err := enc.Encode(w); err != nil {
		return nil, fmt.Errorf("encode definition: %w", err)
	}
	c, err := Unmarshal(buf.Bytes())
	if err != nil {
		return nil, err
	}
	if c.Options == nil {
		c.Options = &WorkflowOptions{}
	}
	if c.Options.TaskQueue == "" {
		c.Options.TaskQueue = DefaultTaskQueue
	}
	defaults := c.Activity
	c.Activity = nil
	Walk(c, func(_ string, s *Step) bool {
		if a, ok := s.Body.(*ActivityStep); ok && a != nil {
			applyActivityDefaults(&a.ActivityOptions, defaults, a.Local)
		}
		return true
	})
	var unresolved []string
	Walk(w, func(path string, s *Step) bool {
		if c, ok := s.Body.(*ChildStep); ok && c != nil && c.File != "" && c.Bundled == nil {
			unresolved = append(unresolved, path+": "+c.File)
		}
		return true
	})
	if len(unresolved) > 0 {
		return nil, fmt.Errorf("child definition files not bundled (validate the definition through its file): %s", strings.Join(unresolved, ", "))
	}
	return c, nil
}

func applyActivityDefaults(o *ActivityOptions, d *ActivityOptions, local bool) {
	if d != nil {
		if o.TaskQueue == "" && !local {
			o.TaskQueue = d.TaskQueue
		}
		for _, p := range [][2]*Duration{
			{&o.StartToCloseTimeout, &d.StartToCloseTimeout},
			{&o.ScheduleToCloseTimeout, &d.ScheduleToCloseTimeout},
			{&o.ScheduleToStartTimeout, &d.ScheduleToStartTimeout},
			{&o.HeartbeatTimeout, &d.HeartbeatTimeout},
		} {
			if *p[0] == 0 {
				*p[0] = *p[1]
			}
		}
		if o.Retry == nil && d.Retry != nil {
			r := *d.Retry
			r.NonRetryableErrorTypes = append([]string(nil), d.Retry.NonRetryableErrorTypes...)
			o.Retry = &r
		}
	}
	if local {
		o.ScheduleToStartTimeout = 0
	}
	if o.StartToCloseTimeout == 0 && o.ScheduleToCloseTimeout == 0 {
		o.StartToCloseTimeout = DefaultStartToCloseTimeout
	}
}

// Unmarshal decodes a canonical definition. Numbers in values come back in
// the value model: integers as int, others as float64.
func Unmarshal(b []byte) (*Workflow, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var w Workflow
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("decode definition: %w", err)
	}
	fixNumbers(reflect.ValueOf(&w).Elem())
	return &w, nil
}

// fixNumbers replaces json.Number in every interface value reachable from
// v by int or float64.
func fixNumbers(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			fixNumbers(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fixNumbers(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			fixNumbers(v.Index(i))
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			key, val := iter.Key(), iter.Value()
			if val.Kind() != reflect.Interface {
				fixNumbers(val)
				continue
			}
			if val.IsNil() {
				continue
			}
			v.SetMapIndex(key, reflect.ValueOf(numbers(val.Interface())))
		}
	case reflect.Interface:
		if !v.IsNil() && v.CanSet() {
			v.Set(reflect.ValueOf(numbers(v.Interface())))
		}
	}
}

// numbers converts json.Number values inside a decoded JSON value.
func numbers(x any) any {
	switch t := x.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return int(i)
		}
		f, _ := strconv.ParseFloat(string(t), 64)
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int(f)
		}
		return f
	case []any:
		for i := range t {
			t[i] = numbers(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = numbers(t[k])
		}
	}
	return x
}
