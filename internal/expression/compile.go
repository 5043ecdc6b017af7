package expression

import (
	"container/list"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/checker/nature"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/parser/utils"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
)

// Names the expression never sees: '§' cannot appear in an identifier, so a
// user cannot write them, and $env (the only other way to reach a variable
// by name) is rejected.
const (
	budgetVar = "§budget"
	fnTick    = "§tick"
	fnCharge  = "§charge"
	fnAdd     = "§add"
	fnRange   = "§range"
	fnInRange = "§inRange"
	fnMatches = "§matches"
)

var budgetType = reflect.TypeOf((*budget)(nil))

// cacheSize is the number of compiled programs kept by Compile.
const cacheSize = 4096

// programs is the cache of compiled programs, keyed by source and variables:
// the one piece of package-level state. A cached program is immutable and
// safe for concurrent use.
var programs = newProgramCache(cacheSize)

// Program is a compiled expression. It is immutable and safe for concurrent
// use; each evaluation has its own budget.
type Program struct {
	src  string
	vars []string
	prog *vm.Program
	refs []Ref
	uses []use
	// result is the result's static type, nil when it is only known at
	// run time.
	result reflect.Type
}

// use is the first use of a variable in a program, checked at evaluation.
type use struct {
	name string
	pos  *Error
}

// Ref is a member access whose root is a variable and whose first property
// is a constant, such as steps.charge.result or state["x"].
type Ref struct {
	// Root is the variable, e.g. "steps".
	Root string
	// Field is the first property, e.g. "charge".
	Field string
	// Line and Col are the 1-based position of the field within the
	// expression source (Col in runes).
	Line, Col int
}

// Result returns the static kind of the expression's value when it is
// known before run time (a literal, an operator's result, a function's),
// and reflect.Invalid when only a run can tell (a variable's field, say).
// Numbers have the kinds reflect.Int and reflect.Float64, lists
// reflect.Slice, mappings reflect.Map.
func (p *Program) Result() reflect.Kind {
	if p.result == nil {
		return reflect.Invalid
	}
	return p.result.Kind()
}

// Source is the expression's source text.
func (p *Program) Source() string { return p.src }

// Vars are the variables the program was compiled with, sorted.
func (p *Program) Vars() []string { return slices.Clone(p.vars) }

// References lists, in source order, every member access whose root is one
// of the program's variables and whose first property is a constant.
func (p *Program) References() []Ref { return slices.Clone(p.refs) }

// Compile compiles one expression (the text between ${ and }) in which
// exactly the given top-level variables are known, each of any type.
// Errors are *Error values positioned within src. Programs are cached by
// source and variables.
func Compile(src string, vars []string) (*Program, error) {
	names := vars
	if !sortedUnique(names) {
		names = slices.Clone(vars)
		slices.Sort(names)
		names = slices.Compact(names)
	}
	key := src + "\x00" + strings.Join(names, "\x00")
	if p := programs.get(key); p != nil {
		return p, nil
	}
	for _, n := range names {
		if !utils.IsValidIdentifier(n) || n == "$env" {
			return nil, fmt.Errorf("invalid variable name %q", n)
		}
	}
	names = slices.Clone(names)
	p, err := compile(src, names)
	if err != nil {
		return nil, err
	}
	programs.put(key, p)
	return p, nil
}

func sortedUnique(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return false
		}
	}
	return true
}

func compile(src string, vars []string) (p *Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, errorAtByte(src, firstToken(src), fmt.Sprintf("internal error compiling expression: %v", r))
		}
	}()
	if len(src) > MaxSourceBytes {
		return nil, errorAtByte(src, 0, fmt.Sprintf("expression is too long (%d bytes, the limit is %d)", len(src), MaxSourceBytes))
	}
	if strings.TrimSpace(src) == "" {
		return nil, errorAtByte(src, 0, "empty expression")
	}

	cfg := newConfig(vars)
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		return nil, fromFileError(src, err)
	}
	a := analyze(src, tree.Node, vars)
	if a.err != nil {
		return nil, a.err
	}
	result, err := checker.Check(tree, cfg)
	if err != nil {
		return nil, withSuggestion(src, fromFileError(src, err), vars)
	}
	if result != nil && result.Kind() == reflect.Interface {
		result = nil
	}

	patch(&tree.Node)
	resetNatures(&tree.Node)
	if _, err := checker.Check(tree, cfg); err != nil {
		return nil, errorAtByte(src, firstToken(src), "internal error checking expression: "+err.Error())
	}
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		return nil, fromFileError(src, err)
	}
	prog, err := compiler.Compile(tree, cfg)
	if err != nil {
		return nil, fromFileError(src, err)
	}
	return &Program{src: src, vars: vars, prog: prog, refs: a.refs, uses: a.uses, result: result}, nil
}

// newConfig builds expr's configuration: the variables (all of type any),
// the hidden budget, dslrun's functions in place of expr's, and no now().
func newConfig(vars []string) *conf.Config {
	env := types.Map{budgetVar: types.TypeOf((*budget)(nil))}
	for _, v := range vars {
		env[v] = types.Any
	}
	cfg := conf.CreateNew()
	for _, opt := range []expr.Option{
		expr.Env(env),
		expr.DisableBuiltin("now"),
		expr.MaxNodes(MaxNodes),
	} {
		opt(cfg)
	}
	for _, f := range functions() {
		cfg.Functions[f.Name] = f
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	return cfg
}

// resetNatures forgets the types found by the first check, so that the
// second check types the patched tree from scratch.
func resetNatures(node *ast.Node) {
	ast.Walk(node, natureReset{})
}

type natureReset struct{}

func (natureReset) Visit(node *ast.Node) { (*node).SetNature(nature.Nature{}) }

// programCache is a bounded least-recently-used cache of programs.
type programCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *cacheEntry, most recent first
	items map[string]*list.Element
}

type cacheEntry struct {
	key string
	p   *Program
}

func newProgramCache(max int) *programCache {
	return &programCache{max: max, order: list.New(), items: make(map[string]*list.Element)}
}

func (c *programCache) get(key string) *Program {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*cacheEntry).p
	}
	return nil
}

func (c *programCache) put(key string, p *Program) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key: key, p: p})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

func (c *programCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
