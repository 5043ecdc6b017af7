package expression

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Template is a YAML scalar split into literal text and ${ ... }
// expressions. A template that is exactly one expression, with only
// whitespace around it, is a whole-value template: it evaluates to the
// expression's value, of any type. Any other template interpolates: it
// evaluates to a string. A Template is immutable and safe for concurrent
// use.
type Template struct {
	src   string
	parts []Part
	whole bool
}

// Part is a piece of a template.
type Part struct {
	// Text is the literal text, with each $${ replaced by ${, or the source
	// of an expression, between ${ and }.
	Text string
	// Expr reports whether Text is an expression.
	Expr bool
	// Offset is the byte offset in the template's source where the part
	// starts: for an expression, the byte after "${".
	Offset int
}

// IsTemplate reports whether s contains an expression: a ${ that is not
// escaped as $${. A string without one may still contain $${, which Parse
// and Eval turn into ${.
func IsTemplate(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.HasPrefix(s[i:], "$${") {
			i += 2
			continue
		}
		if strings.HasPrefix(s[i:], "${") {
			return true
		}
	}
	return false
}

// Parse splits s into literal text and expressions. The end of an
// expression is the first } outside brackets, braces, parentheses, string
// literals ("...", '...' and `...`, with backslash escapes in the first two)
// and /* */ comments. $${ stands for a literal ${. An unterminated ${ is an
// *Error positioned within s.
func Parse(s string) (*Template, error) {
	t := &Template{src: s}
	var lit strings.Builder
	litStart := 0
	flush := func(end int) {
		if end > litStart {
			t.parts = append(t.parts, Part{Text: lit.String(), Offset: litStart})
		}
		lit.Reset()
	}
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "$${") {
			lit.WriteString("${")
			i += 3
			continue
		}
		if strings.HasPrefix(s[i:], "${") {
			end, err := scanExpression(s, i)
			if err != nil {
				return nil, err
			}
			flush(i)
			t.parts = append(t.parts, Part{Text: s[i+2 : end], Expr: true, Offset: i + 2})
			i = end + 1
			litStart = i
			continue
		}
		lit.WriteByte(s[i])
		i++
	}
	flush(len(s))

	exprs := 0
	t.whole = true
	for _, p := range t.parts {
		if p.Expr {
			exprs++
		} else if strings.TrimSpace(p.Text) != "" {
			t.whole = false
		}
	}
	t.whole = t.whole && exprs == 1
	return t, nil
}

// scanExpression returns the index of the } that closes the ${ at start.
func scanExpression(s string, start int) (int, error) {
	depth := 0
	for i := start + 2; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\'':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return 0, errorAtByte(s, i, "unterminated string literal in expression")
			}
			i = j
		case '`':
			j := strings.IndexByte(s[i+1:], '`')
			if j < 0 {
				return 0, errorAtByte(s, i, "unterminated string literal in expression")
			}
			i += j + 1
		case '/':
			if strings.HasPrefix(s[i:], "/*") {
				j := strings.Index(s[i+2:], "*/")
				if j < 0 {
					return 0, errorAtByte(s, i, "unterminated comment in expression")
				}
				i += j + 3
			}
		case '(', '[', '{':
			depth++
		case ')', ']':
			if depth > 0 {
				depth--
			}
		case '}':
			if depth == 0 {
				return i, nil
			}
			depth--
		}
	}
	return 0, errorAtByte(s, start, "unterminated ${ (missing })")
}

// Source is the template's source text.
func (t *Template) Source() string { return t.src }

// Parts returns the template's parts in order.
func (t *Template) Parts() []Part { return slices.Clone(t.parts) }

// Whole reports whether the template is a single expression (whitespace
// around it allowed), whose evaluation keeps the value's type.
func (t *Template) Whole() bool { return t.whole }

// Static returns the text of a template without expressions, with $${
// unescaped, and true; for a template with expressions it returns "", false.
func (t *Template) Static() (string, bool) {
	var sb strings.Builder
	for _, p := range t.parts {
		if p.Expr {
			return "", false
		}
		sb.WriteString(p.Text)
	}
	return sb.String(), true
}

// Position converts a byte offset in the template's source into a 1-based
// line and column (in runes).
func (t *Template) Position(offset int) (line, col int) {
	return lineCol(t.src, offset)
}

// Compile compiles every expression of the template with the given
// variables. It returns the programs, one per expression in order, or an
// Errors with one *Error per failing expression, positioned within the
// template's source.
func (t *Template) Compile(vars []string) ([]*Program, error) {
	var progs []*Program
	var errs Errors
	for _, p := range t.parts {
		if !p.Expr {
			continue
		}
		prog, err := Compile(p.Text, vars)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				return nil, err
			}
			errs = append(errs, t.relocate(e, p).(*Error))
			continue
		}
		progs = append(progs, prog)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return progs, nil
}

// Eval evaluates the template over vars. The variables known to its
// expressions are the keys of vars. A whole-value template returns the
// expression's normalised value; any other template returns a string, in
// which each value is rendered: strings as they are, nil as null, numbers in
// their shortest form (integers without ".0"), booleans as true and false,
// lists and maps as compact JSON with sorted keys. All the expressions of a
// template share one budget. Errors are positioned within the template's
// source.
func (t *Template) Eval(vars map[string]any) (any, error) {
	return t.EvalShared(vars, nil)
}

// EvalShared is Eval with every step also charged to shared (nil: no
// shared budget). When shared runs out the evaluation fails with a
// *LimitError whose Limit is LimitShared.
func (t *Template) EvalShared(vars map[string]any, shared *Budget) (any, error) {
	if s, ok := t.Static(); ok {
		return s, nil
	}
	names := sortedNames(vars)
	b := &budget{shared: shared}
	if t.whole {
		for _, p := range t.parts {
			if p.Expr {
				v, err := t.evalPart(p, names, vars, b)
				if err != nil {
					return nil, err
				}
				return v, nil
			}
		}
	}
	return t.evalText(names, vars, b)
}

// sortedNames returns the names of vars, sorted.
func sortedNames(vars map[string]any) []string {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// evalText is EvalShared for a template that mixes text and expressions:
// a function of its own, so that a whole-value template (the common case)
// runs its expression on a smaller stack frame.
func (t *Template) evalText(names []string, vars map[string]any, b *budget) (any, error) {
	var out []byte
	for _, p := range t.parts {
		if !p.Expr {
			if len(out)+len(p.Text) > MaxStringBytes {
				return nil, errStringBytes()
			}
			out = append(out, p.Text...)
			continue
		}
		v, err := t.evalPart(p, names, vars, b)
		if err != nil {
			return nil, err
		}
		if out, err = render(out, v); err != nil {
			return nil, t.relocate(err, p)
		}
	}
	if err := b.reserve(len(out)); err != nil {
		return nil, err
	}
	return string(out), nil
}

// EvalBool evaluates a whole-value template whose value must be a bool.
func (t *Template) EvalBool(vars map[string]any) (bool, error) {
	v, err := t.Eval(vars)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		off := 0
		for _, p := range t.parts {
			if p.Expr {
				off = p.Offset + firstToken(p.Text)
				break
			}
		}
		return false, errorAtByte(t.src, off, fmt.Sprintf("condition must be a bool, got %s", typeName(v)))
	}
	return b, nil
}

func (t *Template) evalPart(p Part, names []string, vars map[string]any, b *budget) (any, error) {
	prog, err := Compile(p.Text, names)
	if err != nil {
		return nil, t.relocate(err, p)
	}
	v, err := prog.run(vars, b)
	if err != nil {
		return nil, t.relocate(err, p)
	}
	v, err = prog.normalizeResult(v, b)
	if err != nil {
		return nil, t.relocate(err, p)
	}
	return v, nil
}

// relocate moves the position of an error of part p from the expression's
// source to the template's.
func (t *Template) relocate(err error, p Part) error {
	var e *Error
	if errors.As(err, &e) {
		return errorAtByte(t.src, p.Offset+e.Offset, e.Msg)
	}
	var le *LimitError
	if errors.As(err, &le) {
		cp := *le
		off := p.Offset + firstToken(p.Text)
		if le.Line > 0 {
			off = p.Offset + le.Offset
		}
		cp.Line, cp.Col = lineCol(t.src, off)
		cp.Offset = off
		return &cp
	}
	return err
}
