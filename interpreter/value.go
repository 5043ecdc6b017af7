package interpreter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/internal/expression"
)

// Expression variables, from the one table of scopes (dsl.Scope): rootVars
// are visible in steps, output and handlers; handlers add handlerVars,
// catch blocks add errorVar and forEach adds its loop variables.
var (
	rootVars    = dsl.ScopeWorkflow.Vars()
	handlerVars = dsl.ScopeHandler.Vars()
)

const errorVar = dsl.VarError

// value is a compiled dsl.Value: a constant, a template, or a list or
// mapping that holds templates. Evaluation never changes the value, so one
// compiled plan serves every run of a definition.
type value interface {
	// eval evaluates the value over vars, charging every expression step
	// to shared as well (nil: only the per-expression limits apply).
	eval(vars map[string]any, shared *expression.Budget) (any, error)
}

// constValue is a value without templates.
type constValue struct{ v any }

func (c constValue) eval(map[string]any, *expression.Budget) (any, error) { return c.v, nil }

// templateValue is a string holding ${ ... }.
type templateValue struct {
	src string
	t   *expression.Template
}

func (t templateValue) eval(vars map[string]any, shared *expression.Budget) (any, error) {
	v, err := t.t.EvalShared(vars, shared)
	if err != nil {
		return nil, &exprError{src: t.src, err: err}
	}
	return v, nil
}

// listValue is a list with at least one template inside.
type listValue []value

func (l listValue) eval(vars map[string]any, shared *expression.Budget) (any, error) {
	out := make([]any, len(l))
	for i, v := range l {
		x, err := v.eval(vars, shared)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// mapValue is a mapping with at least one template inside. Keys are
// evaluated in sorted order so that a failing expression is the same one on
// every replay.
type mapValue struct {
	keys []string
	vals []value
}

func (m mapValue) eval(vars map[string]any, shared *expression.Budget) (any, error) {
	out := make(map[string]any, len(m.keys))
	for i, k := range m.keys {
		x, err := m.vals[i].eval(vars, shared)
		if err != nil {
			return nil, err
		}
		out[k] = x
	}
	return out, nil
}

// exprError is an expression that failed to evaluate. It becomes a failure
// of type dslrun.ExpressionError, which no catch handles.
type exprError struct {
	src string
	err error
}

func (e *exprError) Error() string {
	return fmt.Sprintf("expression %s: %v", quoteSource(e.src), e.err)
}

func (e *exprError) Unwrap() error { return e.err }

// quoteSource quotes an expression source for a message, shortened.
func quoteSource(s string) string {
	const limit = 120
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// compileValue compiles v with the variables vars in scope. A nil v
// compiles to a constant nil.
func compileValue(v dsl.Value, vars []string) (value, error) {
	switch t := v.(type) {
	case string:
		// Not expression.IsTemplate: a string with an escaped $${ and no
		// expression still goes through the template, which unescapes it.
		if !strings.Contains(t, "${") {
			return constValue{t}, nil
		}
		tpl, err := expression.Parse(t)
		if err != nil {
			return nil, fmt.Errorf("expression %s: %w", quoteSource(t), err)
		}
		if _, err := tpl.Compile(vars); err != nil {
			return nil, fmt.Errorf("expression %s: %w", quoteSource(t), err)
		}
		return templateValue{src: t, t: tpl}, nil
	case []any:
		out := make(listValue, len(t))
		dynamic := false
		for i, x := range t {
			c, err := compileValue(x, vars)
			if err != nil {
				return nil, err
			}
			_, isConst := c.(constValue)
			dynamic = dynamic || !isConst
			out[i] = c
		}
		if !dynamic {
			return constValue{t}, nil
		}
		return out, nil
	case map[string]any:
		m := mapValue{keys: dsl.SortedKeys(t)}
		dynamic := false
		for _, k := range m.keys {
			c, err := compileValue(t[k], vars)
			if err != nil {
				return nil, err
			}
			_, isConst := c.(constValue)
			dynamic = dynamic || !isConst
			m.vals = append(m.vals, c)
		}
		if !dynamic {
			return constValue{t}, nil
		}
		return m, nil
	default:
		return constValue{v}, nil
	}
}

// decodeJSON decodes a JSON payload into the value model, keeping integers
// as integers. Empty input is nil; bytes that are not JSON (a payload of raw
// bytes) become a string.
func decodeJSON(raw []byte) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, nil
	}
	if v, ok := decodeScalar(raw); ok {
		return v, nil
	}
	if !json.Valid(raw) {
		return string(raw), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return expression.Normalize(v)
}

// decodeScalar decodes the common small results without a json.Decoder:
// null, booleans, integers and strings without escapes.
func decodeScalar(raw []byte) (any, bool) {
	switch s := string(raw); {
	case s == "null":
		return nil, true
	case s == "true":
		return true, true
	case s == "false":
		return false, true
	case len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' && !strings.ContainsAny(s[1:len(s)-1], "\\\"") && utf8.ValidString(s):
		for _, c := range []byte(s) {
			if c < 0x20 {
				return nil, false
			}
		}
		return s[1 : len(s)-1], true
	}
	digits := bytes.TrimPrefix(raw, []byte("-"))
	if len(digits) == 0 || digits[0] < '0' || digits[0] > '9' || (digits[0] == '0' && len(digits) > 1) {
		return nil, false
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return int(n), true
	}
	return nil, false
}

// text renders a value for a message: strings as they are, nil as the
// empty string, anything else as compact JSON.
func text(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// typeName names the type of a value in the value model, for messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case int, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any:
		return "mapping"
	}
	return fmt.Sprintf("%T", v)
}

// normalize converts a Go value into the value model; see
// expression.Normalize.
func normalize(v any) (any, error) { return expression.Normalize(v) }
