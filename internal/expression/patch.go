package expression

import (
	"reflect"
	"regexp"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// How §charge measures the value it passes through (see chargeCost).
const (
	chargeString  = iota // strings by size, anything else 1
	chargeShallow        // strings by size, collections by length
	chargeDeep           // every element and byte, recursively
	chargeIn             // right operand of in: maps 1, arrays deep
	chargeResult         // a string built by a method: counted as built
)

// builtinCharges says how the arguments of expr's builtins that scan their
// input are charged. Builtins with a closure (map, filter, ...) are charged
// by the ticks of the closure instead; builtins that take constant time
// (len, get, first, ...) are not charged; dslrun's own functions charge
// themselves.
var builtinCharges = map[string]int{
	"max": chargeDeep, "min": chargeDeep, "mean": chargeDeep, "median": chargeDeep,
	"flatten": chargeDeep, "concat": chargeShallow, "reverse": chargeShallow,
	"fromPairs": chargeShallow, "sum": chargeShallow, "count": chargeShallow,
	"indexOf": chargeString, "lastIndexOf": chargeString, "trim": chargeString,
	"trimPrefix": chargeString, "trimSuffix": chargeString, "hasPrefix": chargeString,
	"hasSuffix": chargeString, "int": chargeString, "float": chargeString,
	"duration": chargeString,
}

// patch rewrites a checked tree so that its work is accounted for in the
// evaluation's budget:
//
//   - every closure body becomes `§tick(§budget); body`;
//   - + on operands that may be strings becomes §add, which caps the result;
//   - a..b becomes §range, which caps the size, and x in a..b becomes
//     §inRange, which compares x with the bounds;
//   - operands of comparisons, in, contains, matches, and arguments of
//     scanning builtins pass through §charge, which charges their size;
//   - calls of dslrun's functions get the budget as a hidden first argument;
//   - results of method calls (such as Format) pass through §charge, which
//     counts a string result against the string limits.
//
// Types are preserved, so the second check sees the same types as the first.
func patch(node *ast.Node) {
	n := *node
	switch n := n.(type) {
	case *ast.UnaryNode:
		patch(&n.Node)
	case *ast.ChainNode:
		patch(&n.Node)
	case *ast.MemberNode:
		patch(&n.Node)
		patch(&n.Property)
	case *ast.SliceNode:
		patch(&n.Node)
		if n.From != nil {
			patch(&n.From)
		}
		if n.To != nil {
			patch(&n.To)
		}
	case *ast.VariableDeclaratorNode:
		patch(&n.Value)
		patch(&n.Expr)
	case *ast.SequenceNode:
		for i := range n.Nodes {
			patch(&n.Nodes[i])
		}
	case *ast.ConditionalNode:
		patch(&n.Cond)
		patch(&n.Exp1)
		patch(&n.Exp2)
	case *ast.ArrayNode:
		for i := range n.Nodes {
			patch(&n.Nodes[i])
		}
	case *ast.MapNode:
		for i := range n.Pairs {
			patch(&n.Pairs[i])
		}
	case *ast.PairNode:
		patch(&n.Key)
		patch(&n.Value)
	case *ast.PredicateNode:
		patch(&n.Node)
		loc := n.Node.Location()
		seq := &ast.SequenceNode{Nodes: []ast.Node{hiddenCall(fnTick, loc), n.Node}}
		seq.SetLocation(loc)
		n.Node = seq
	case *ast.BinaryNode:
		patchBinary(node, n)
	case *ast.BuiltinNode:
		for i := range n.Arguments {
			patch(&n.Arguments[i])
		}
		mode, ok := builtinCharges[n.Name]
		if !ok || (n.Name == "sum" || n.Name == "count") && len(n.Arguments) != 1 {
			return
		}
		for i := range n.Arguments {
			if _, isClosure := n.Arguments[i].(*ast.PredicateNode); !isClosure {
				charge(&n.Arguments[i], mode, 1)
			}
		}
	case *ast.CallNode:
		patch(&n.Callee)
		for i := range n.Arguments {
			patch(&n.Arguments[i])
		}
		switch callee := n.Callee.(type) {
		case *ast.IdentifierNode:
			if _, ok := overrides[callee.Value]; ok {
				args := make([]ast.Node, 0, len(n.Arguments)+1)
				n.Arguments = append(append(args, budgetIdent(n.Location())), n.Arguments...)
			}
		case *ast.MemberNode:
			if callee.Method {
				charge(node, chargeResult, 1)
			}
		}
	}
}

func patchBinary(node *ast.Node, n *ast.BinaryNode) {
	// x in a..b is a comparison with the bounds, whatever their size.
	if r, ok := n.Right.(*ast.BinaryNode); ok && n.Operator == "in" && r.Operator == ".." {
		patch(&n.Left)
		patch(&r.Left)
		patch(&r.Right)
		replace(node, hiddenCall(fnInRange, n.Location(), n.Left, r.Left, r.Right))
		return
	}
	patch(&n.Left)
	patch(&n.Right)
	lt, rt := n.Left.Type(), n.Right.Type()
	switch n.Operator {
	case "+":
		if maybe(lt, reflect.String) && maybe(rt, reflect.String) {
			replace(node, hiddenCall(fnAdd, n.Location(), n.Left, n.Right))
		}
	case "..":
		if maybe(lt, reflect.Int) && maybe(rt, reflect.Int) {
			replace(node, hiddenCall(fnRange, n.Location(), n.Left, n.Right))
		}
	case "==", "!=":
		charge(&n.Left, chargeDeep, 1)
		charge(&n.Right, chargeDeep, 1)
	case "in":
		charge(&n.Left, chargeDeep, 1)
		charge(&n.Right, chargeIn, 1)
	case "<", ">", "<=", ">=", "contains", "startsWith", "endsWith":
		charge(&n.Left, chargeString, 1)
		charge(&n.Right, chargeString, 1)
	case "matches":
		if s, ok := n.Right.(*ast.StringNode); ok {
			if _, err := regexp.Compile(s.Value); err == nil {
				// A constant pattern is compiled once by expr; matching
				// costs about the text's size times the pattern's.
				charge(&n.Left, chargeString, matchFactor(len(s.Value)))
			}
			return
		}
		replace(node, hiddenCall(fnMatches, n.Location(), n.Left, n.Right))
	}
}

// maybe reports whether a value of static type t may have kind k (for
// Int, any integer kind): t is unknown, an interface, or of that kind.
func maybe(t reflect.Type, k reflect.Kind) bool {
	if t == nil || t.Kind() == reflect.Interface {
		return true
	}
	if k == reflect.Int {
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return true
		}
		return false
	}
	return t.Kind() == k
}

// charge wraps *node in §charge(§budget, node, mode + factor<<3), unless
// the node is a literal or of a type whose values are all small. (Mode and
// factor share an argument so that the call takes expr's fast path for
// three arguments.)
func charge(node *ast.Node, mode, factor int) {
	n := *node
	if cheap(n) {
		return
	}
	if t := n.Type(); t != nil {
		switch t.Kind() {
		case reflect.Interface, reflect.String, reflect.Slice, reflect.Array, reflect.Map, reflect.Pointer:
		default:
			return
		}
	}
	loc := n.Location()
	replace(node, hiddenCall(fnCharge, loc, n, intNode(mode|factor<<3, loc)))
}

// cheap reports whether n is a literal, whose size is bounded by the size of
// the source.
func cheap(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.NilNode, *ast.BoolNode, *ast.IntegerNode, *ast.FloatNode, *ast.StringNode:
		return true
	case *ast.ArrayNode:
		for _, x := range n.Nodes {
			if !cheap(x) {
				return false
			}
		}
		return true
	case *ast.MapNode:
		for _, p := range n.Pairs {
			if pair, ok := p.(*ast.PairNode); !ok || !cheap(pair.Key) || !cheap(pair.Value) {
				return false
			}
		}
		return true
	}
	return false
}

// replace puts newNode in the place of *node, at the same location.
func replace(node *ast.Node, newNode ast.Node) {
	newNode.SetLocation((*node).Location())
	*node = newNode
}

// hiddenCall builds name(§budget, args...).
func hiddenCall(name string, loc file.Location, args ...ast.Node) *ast.CallNode {
	callee := &ast.IdentifierNode{Value: name}
	callee.SetLocation(loc)
	call := &ast.CallNode{Callee: callee, Arguments: append([]ast.Node{budgetIdent(loc)}, args...)}
	call.SetLocation(loc)
	return call
}

func budgetIdent(loc file.Location) ast.Node {
	id := &ast.IdentifierNode{Value: budgetVar}
	id.SetLocation(loc)
	return id
}

func intNode(v int, loc file.Location) ast.Node {
	n := &ast.IntegerNode{Value: v}
	n.SetLocation(loc)
	return n
}
