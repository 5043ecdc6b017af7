package expression

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	closest "github.com/dslrun/dslrun/internal/suggest"
	"github.com/expr-lang/expr/ast"
)

// analysis is what compile learns from the parsed tree before expr checks
// it: the first error dslrun adds to expr's (nesting, $env, host-dependent
// methods), the references for the validator, and the variables used.
type analysis struct {
	src  string
	vars map[string]bool
	refs []Ref
	uses []use
	seen map[string]bool
	err  *Error
}

func analyze(src string, root ast.Node, vars []string) *analysis {
	a := &analysis{src: src, vars: make(map[string]bool, len(vars)), seen: make(map[string]bool)}
	for _, v := range vars {
		a.vars[v] = true
	}
	a.walk(root, 1, nil)
	sort.SliceStable(a.refs, func(i, j int) bool {
		if a.refs[i].Line != a.refs[j].Line {
			return a.refs[i].Line < a.refs[j].Line
		}
		return a.refs[i].Col < a.refs[j].Col
	})
	return a
}

func (a *analysis) fail(n ast.Node, msg string) {
	if a.err == nil {
		a.err = errorAtRune(a.src, n.Location().From, msg)
	}
}

// isVar reports whether name, used as an identifier, is one of the
// variables rather than a let binding that shadows it.
func (a *analysis) isVar(name string, lets []string) bool {
	return a.vars[name] && !slices.Contains(lets, name)
}

func (a *analysis) walk(n ast.Node, depth int, lets []string) {
	if n == nil || a.err != nil {
		return
	}
	if depth > MaxDepth {
		a.fail(n, fmt.Sprintf("expression is nested too deeply (more than %d levels)", MaxDepth))
		return
	}
	d := depth + 1
	switch n := n.(type) {
	case *ast.IdentifierNode:
		if n.Value == "$env" {
			a.fail(n, "$env is not available in dslrun expressions; name the variable instead")
			return
		}
		if a.isVar(n.Value, lets) && !a.seen[n.Value] {
			a.seen[n.Value] = true
			a.uses = append(a.uses, use{name: n.Value, pos: errorAtRune(a.src, n.Location().From, "")})
		}
	case *ast.UnaryNode:
		a.walk(n.Node, d, lets)
	case *ast.BinaryNode:
		a.walk(n.Left, d, lets)
		a.walk(n.Right, d, lets)
	case *ast.ChainNode:
		a.walk(n.Node, d, lets)
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && a.isVar(id.Value, lets) {
			if prop, ok := n.Property.(*ast.StringNode); ok && !n.Method {
				pos := errorAtRune(a.src, prop.Location().From, "")
				a.refs = append(a.refs, Ref{Root: id.Value, Field: prop.Value, Line: pos.Line, Col: pos.Col})
			}
		}
		if prop, ok := n.Property.(*ast.StringNode); ok && n.Method && prop.Value == "Local" {
			a.fail(prop, "method Local is not available: it depends on the host's time zone (use In(timezone(\"...\")) or UTC())")
			return
		}
		a.walk(n.Node, d, lets)
		a.walk(n.Property, d, lets)
	case *ast.SliceNode:
		a.walk(n.Node, d, lets)
		a.walk(n.From, d, lets)
		a.walk(n.To, d, lets)
	case *ast.CallNode:
		a.walk(n.Callee, d, lets)
		for _, arg := range n.Arguments {
			a.walk(arg, d, lets)
		}
	case *ast.BuiltinNode:
		for _, arg := range n.Arguments {
			a.walk(arg, d, lets)
		}
	case *ast.PredicateNode:
		a.walk(n.Node, d, lets)
	case *ast.VariableDeclaratorNode:
		a.walk(n.Value, d, lets)
		a.walk(n.Expr, d, append(slices.Clip(lets), n.Name))
	case *ast.SequenceNode:
		for _, x := range n.Nodes {
			a.walk(x, d, lets)
		}
	case *ast.ConditionalNode:
		a.walk(n.Cond, d, lets)
		a.walk(n.Exp1, d, lets)
		a.walk(n.Exp2, d, lets)
	case *ast.ArrayNode:
		for _, x := range n.Nodes {
			a.walk(x, d, lets)
		}
	case *ast.MapNode:
		for _, x := range n.Pairs {
			a.walk(x, d, lets)
		}
	case *ast.PairNode:
		a.walk(n.Key, d, lets)
		a.walk(n.Value, d, lets)
	}
}

// withSuggestion rewrites expr's "unknown name x" into
// `unknown name "x" (did you mean "y"?)`, and types it: the one place where
// an error is told apart by its text is here, at expr's boundary.
func withSuggestion(src string, err error, vars []string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	name, ok := strings.CutPrefix(e.Msg, "unknown name ")
	if !ok {
		return err
	}
	msg := fmt.Sprintf("unknown name %q", name)
	// A name that is called is compared with the functions, any other
	// with the variables.
	candidates := vars
	if rest := strings.TrimLeft(src[min(e.Offset+len(name), len(src)):], " \t\r\n"); strings.HasPrefix(rest, "(") {
		candidates = Functions()
	}
	if s := suggest(name, candidates); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return &Error{Line: e.Line, Col: e.Col, Offset: e.Offset, Msg: msg, UnknownName: name}
}

// suggest returns the candidate that name most likely misspells, or "".
func suggest(name string, candidates []string) string { return closest.Closest(name, candidates) }
