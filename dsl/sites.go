package dsl

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/dslrun/dslrun/internal/expression"
	"gopkg.in/yaml.v3"
)

// compileSites compiles every expression of the definition with the
// variables in scope where it stands, and checks that steps.<id> and
// state.<name> references name a step id and a state variable that exist.
// A text that stands in many places with the same scope (a step list's
// ${ state.total } a thousand times) is parsed and compiled once.
func (b *builder) compileSites() {
	ids := sortedKeys(b.ids)
	stateNames := sortedKeys(b.stateKeys)
	done := map[compiledKey]*compiledSite{}
	for _, s := range b.sites {
		c := done[compiledKey{s.raw, s.scope}]
		if c == nil {
			c = &compiledSite{}
			c.t, c.parseErr = expression.Parse(s.raw)
			done[compiledKey{s.raw, s.scope}] = c
		}
		if c.parseErr != nil {
			b.exprError(s, c.parseErr)
			continue
		}
		t := c.t
		if s.want == wantBool && !t.Whole() {
			b.errorf(s.node, s.path, CodeExpression, "a condition must be a boolean or a single ${ ... } expression")
			continue
		}
		if !c.compiled {
			c.compile(s.scope)
		}
		if c.compileErr != nil {
			b.exprError(s, c.compileErr)
			continue
		}
		if t.Whole() {
			b.checkResult(s, c.result)
		}
		for _, r := range c.refs {
			ref, line, col := r.Ref, r.line, r.col
			switch ref.Root {
			case "steps":
				if _, ok := b.ids[ref.Field]; !ok {
					b.refError(s, line, col, "unknown step id %q", ref.Field, ids)
				}
			case "state":
				if !b.stateKeys[ref.Field] {
					b.refError(s, line, col, "unknown state variable %q", ref.Field, stateNames)
				}
			case VarWorkflow:
				if !slices.Contains(WorkflowFields, ref.Field) {
					b.refError(s, line, col, "unknown workflow field %q", ref.Field, WorkflowFields)
				}
			case VarInput:
				if known := b.inputFields; known != nil && !slices.Contains(known, ref.Field) {
					b.refWarning(s, line, col, "the input schema has no property %q", ref.Field, known)
				}
			}
		}
	}
}

// compiledKey is a text with expressions and the scope it is compiled in.
type compiledKey struct {
	raw   string
	scope *scope
}

// compiledSite is what compileSites learnt of one text in one scope.
type compiledSite struct {
	t        *expression.Template
	parseErr error
	// compiled reports whether the fields below are set.
	compiled   bool
	compileErr error
	result     reflect.Kind // of a whole-value expression
	// refs are the references of every expression of the text, with their
	// lines and columns in the text.
	refs []siteRef
}

type siteRef struct {
	expression.Ref
	line, col int
}

func (c *compiledSite) compile(sc *scope) {
	c.compiled = true
	progs, err := c.t.Compile(sc.names())
	if err != nil {
		c.compileErr = err
		return
	}
	if c.t.Whole() {
		c.result = progs[0].Result()
	}
	var exprParts []expression.Part
	for _, p := range c.t.Parts() {
		if p.Expr {
			exprParts = append(exprParts, p)
		}
	}
	for i, prog := range progs {
		partLine, partCol := c.t.Position(exprParts[i].Offset)
		for _, ref := range prog.References() {
			line, col := ref.Line+partLine-1, ref.Col
			if ref.Line == 1 {
				col = partCol + ref.Col - 1
			}
			c.refs = append(c.refs, siteRef{ref, line, col})
		}
	}
}

// checkResult reports a whole-value expression whose value, known before
// run time, is not what its place needs.
func (b *builder) checkResult(s site, k reflect.Kind) {
	if k == reflect.Invalid {
		return
	}
	var ok bool
	var need string
	switch s.want {
	case wantAny:
		return
	case wantBool:
		ok, need = k == reflect.Bool, "a condition must be a boolean"
	case wantDuration:
		ok, need = k == reflect.String, "sleep takes a duration such as 30s"
	case wantTime:
		ok, need = k == reflect.String, "sleepUntil takes an RFC 3339 timestamp"
	case wantList:
		ok, need = k == reflect.Slice, "forEach takes a list"
	}
	if !ok {
		b.errorf(s.node, s.path, CodeExpression, "%s, but this expression yields %s", need, kindName(k))
	}
}

// kindName names a value's kind as the DSL's users know it.
func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + k.String()
}

// refWarning is refError as a warning: a name that may still be right.
func (b *builder) refWarning(s site, line, col int, format, name string, known []string) {
	b.refError(s, line, col, format, name, known)
	b.ds[len(b.ds)-1].Severity = SeverityWarning
}

func (b *builder) refError(s site, line, col int, format, name string, known []string) {
	msg := fmt.Sprintf(format, name)
	if sg := suggest(name, known); sg != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sg)
	}
	b.ds = append(b.ds, Diagnostic{Pos: b.scalarPos(s.node, line, col), Path: s.path, Code: CodeUnknownName, Msg: msg})
}

func (b *builder) exprError(s site, err error) {
	var list expression.Errors
	var one *expression.Error
	switch {
	case errors.As(err, &list):
		for _, e := range list {
			b.exprError(s, e)
		}
	case errors.As(err, &one):
		code := CodeExpression
		if one.UnknownName != "" {
			code = CodeUnknownName
		}
		b.ds = append(b.ds, Diagnostic{Pos: b.scalarPos(s.node, one.Line, one.Col), Path: s.path, Code: code, Msg: one.Msg})
	default:
		b.errorf(s.node, s.path, CodeExpression, "%v", err)
	}
}

// scalarPos maps a 1-based line and column inside a scalar's value to a
// position in the file. It is exact for plain and quoted scalars on one
// line without escapes, and close otherwise.
func (b *builder) scalarPos(n *yaml.Node, line, col int) Pos {
	p := b.pos(n)
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// The value starts on the line after the indicator, indented.
		p.Line += line
		p.Col = n.Column + 1 + col
		return p
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		col++
	}
	if line > 1 {
		p.Line += line - 1
		p.Col = col
		return p
	}
	p.Col += col - 1
	return p
}
