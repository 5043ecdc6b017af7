// Package graph draws a dslrun definition as a flowchart: the engine of
// `dslrun graph`, which prints it as Mermaid (the default) or as Graphviz
// DOT.
//
// Every step is a node whose shape tells its kind: a rectangle runs an
// activity, a subroutine box starts a child workflow, a hexagon waits (a
// sleep, sleepUntil or await), a rhombus chooses (if, switch, while,
// forEach), a parallelogram works on state (set, log, assert, signal).
// Edges follow the order of the steps, labelled with the branch they take
// (then, else, a switch case's condition, each item, done). parallel and
// race fork into their branches and join again; try draws its steps in a
// box whose failures lead, labelled with the types each catch handles, to
// the catch steps, and finally in a box that every way out of the try
// passes through. return, fail and continueAsNew end their path at the end
// node, a failed node or the start again. Signal, update and query
// handlers are drawn beside the steps, each in a box of its own.
package graph

import (
	"fmt"
	"strings"

	"github.com/dslrun/dslrun/dsl"
)

// Shape is the shape of a node.
type shape int

const (
	shapeRect          shape = iota // activity
	shapeRound                      // start, end
	shapeSubroutine                 // child workflow
	shapeHexagon                    // waits
	shapeRhombus                    // decisions and loops
	shapeParallelogram              // state, logs, signals sent
	shapeFork                       // parallel and race: fork and join
	shapeStop                       // failed, continued as new
)

type node struct {
	id    string
	label []string // lines
	shape shape
}

type edge struct {
	from, to string
	label    string
	dashed   bool
}

// cluster is a box of nodes: a try, a finally, a handler, a loop body.
type cluster struct {
	id       string
	label    string
	nodes    []string
	clusters []*cluster
}

// Graph is a definition drawn as a flowchart, ready to print.
type Graph struct {
	name  string
	nodes []*node
	edges []edge
	// root holds the nodes and clusters at the top level.
	root *cluster
	// cur is the cluster new nodes go in.
	cur *cluster
	n   int

	start, end string
	// terminals are the steps that end their path (return, fail,
	// continueAsNew), connected when the end nodes exist.
	terminals []terminal
	// tryEdges maps the index of an edge taken on a failure in a try box
	// to the box's cluster id: such an edge leaves the box, not a node.
	tryEdges map[int]string
}

// exit is a way out of a part of the graph, waiting for the node it leads
// to.
type exit struct {
	from  string
	label string
}

// New draws w.
func New(w *dsl.Workflow) *Graph {
	g := &Graph{name: w.Name, root: &cluster{}, tryEdges: map[int]string{}}
	g.cur = g.root
	g.start = g.add(shapeRound, "start: "+w.Name)
	exits := g.list(w.Steps, []exit{{from: g.start}})
	g.end = g.add(shapeRound, "end")
	g.connect(exits, g.end)
	g.connectEnds()
	g.handlers(w)
	return g
}

// add creates a node in the current cluster.
func (g *Graph) add(s shape, label ...string) string {
	g.n++
	id := fmt.Sprintf("n%d", g.n)
	g.nodes = append(g.nodes, &node{id: id, label: label, shape: s})
	g.cur.nodes = append(g.cur.nodes, id)
	return id
}

func (g *Graph) connect(exits []exit, to string) {
	for _, e := range exits {
		g.edges = append(g.edges, edge{from: e.from, to: to, label: e.label})
	}
}

// endKind is where a terminal step's path ends: at the end node, the
// failed node or the start (continue-as-new).
type endKind int

const (
	toEnd endKind = iota
	toFailed
	toStart
)

// open starts a cluster inside the current one and makes it current; the
// returned function closes it.
func (g *Graph) open(label string) (*cluster, func()) {
	g.n++
	c := &cluster{id: fmt.Sprintf("c%d", g.n), label: label}
	parent := g.cur
	parent.clusters = append(parent.clusters, c)
	g.cur = c
	return c, func() { g.cur = parent }
}

// terminal is a step that ends its path.
type terminal struct {
	from string
	kind endKind
}

func (g *Graph) list(steps []*dsl.Step, in []exit) []exit {
	for _, s := range steps {
		in = g.step(s, in)
	}
	return in
}

// step draws one step, entered by in, and returns its ways out.
func (g *Graph) step(s *dsl.Step, in []exit) []exit {
	id := ""
	if s.ID != "" {
		id = s.ID + ": "
	}
	single := func(sh shape, lines ...string) []exit {
		n := g.add(sh, lines...)
		g.connect(in, n)
		return []exit{{from: n}}
	}
	switch b := s.Body.(type) {
	case *dsl.ActivityStep:
		lines := []string{id + "activity " + text(b.Name)}
		if b.Local {
			lines = append(lines, "(local)")
		}
		if b.TaskQueue != "" {
			lines = append(lines, "on "+b.TaskQueue)
		}
		return single(shapeRect, lines...)
	case *dsl.ChildStep:
		lines := []string{id + "child " + text(b.Workflow)}
		if b == nil {
			return single(shapeSubroutine, id+"child")
		}
		if b.File != "" {
			lines = []string{id + "child " + b.File}
		}
		if !b.Wait {
			lines = append(lines, "(not awaited)")
		}
		return single(shapeSubroutine, lines...)
	case *dsl.SleepStep:
		return single(shapeHexagon, id+string(s.Kind)+" "+text(b.Value))
	case *dsl.AwaitStep:
		lines := []string{id + "await " + text(b.Cond)}
		if b.Timeout > 0 {
			lines = append(lines, "timeout "+dsl.Duration(b.Timeout).String())
		}
		return single(shapeHexagon, lines...)
	case dsl.SetStep:
		return single(shapeParallelogram, id+"set "+strings.Join(dsl.SortedKeys(b), ", "))
	case *dsl.LogStep:
		return single(shapeParallelogram, id+"log")
	case *dsl.AssertStep:
		return single(shapeParallelogram, id+"assert "+text(b.Cond))
	case *dsl.SignalWorkflowStep:
		return single(shapeParallelogram, id+"signal "+text(b.Signal)+" to "+text(b.WorkflowID))
	case *dsl.ReturnStep:
		n := g.add(shapeParallelogram, id+"return")
		g.connect(in, n)
		g.terminals = append(g.terminals, terminal{n, toEnd})
		return nil
	case *dsl.FailStep:
		label := id + "fail"
		if b != nil && b.Type != "" {
			label += " " + b.Type
		}
		n := g.add(shapeParallelogram, label)
		g.connect(in, n)
		g.terminals = append(g.terminals, terminal{n, toFailed})
		return nil
	case *dsl.ContinueAsNewStep:
		n := g.add(shapeParallelogram, id+"continueAsNew")
		g.connect(in, n)
		g.terminals = append(g.terminals, terminal{n, toStart})
		return nil
	case *dsl.IfStep:
		d := g.add(shapeRhombus, id+"if "+text(b.Cond))
		g.connect(in, d)
		out := g.list(b.Then, []exit{{from: d, label: "then"}})
		if len(b.Else) > 0 {
			out = append(out, g.list(b.Else, []exit{{from: d, label: "else"}})...)
		} else {
			out = append(out, exit{from: d, label: "else"})
		}
		return out
	case *dsl.SwitchStep:
		d := g.add(shapeRhombus, id+"switch")
		g.connect(in, d)
		var out []exit
		for _, c := range b.Cases {
			out = append(out, g.list(c.Do, []exit{{from: d, label: text(c.When)}})...)
		}
		if len(b.Default) > 0 {
			out = append(out, g.list(b.Default, []exit{{from: d, label: "default"}})...)
		} else {
			out = append(out, exit{from: d, label: "default"})
		}
		return out
	case *dsl.WhileStep:
		d := g.add(shapeRhombus, id+"while "+text(b.Cond))
		g.connect(in, d)
		back := g.list(b.Do, []exit{{from: d, label: "do"}})
		for _, e := range back {
			g.edges = append(g.edges, edge{from: e.from, to: d, label: e.label, dashed: true})
		}
		return []exit{{from: d, label: "done"}}
	case *dsl.ForEachStep:
		label := []string{id + "forEach " + text(b.Items)}
		if b.Concurrency > 1 {
			label = append(label, fmt.Sprintf("%d at a time", b.Concurrency))
		}
		d := g.add(shapeRhombus, label...)
		g.connect(in, d)
		back := g.list(b.Do, []exit{{from: d, label: "each " + b.As}})
		for _, e := range back {
			g.edges = append(g.edges, edge{from: e.from, to: d, label: e.label, dashed: true})
		}
		return []exit{{from: d, label: "done"}}
	case *dsl.ParallelStep:
		word := "parallel"
		joinLabel := "all done"
		if s.Kind == dsl.KindRace {
			word, joinLabel = "race", "first wins"
		}
		fork := g.add(shapeFork, id+word)
		g.connect(in, fork)
		var outs []exit
		for i, br := range b.Branches {
			outs = append(outs, g.list(br, []exit{{from: fork, label: fmt.Sprintf("branch %d", i)}})...)
		}
		join := g.add(shapeFork, joinLabel)
		g.connect(outs, join)
		return []exit{{from: join}}
	case *dsl.TryStep:
		return g.try(id, b, in)
	}
	return single(shapeRect, id+string(s.Kind))
}

func (g *Graph) try(id string, b *dsl.TryStep, in []exit) []exit {
	c, closeTry := g.open(strings.TrimSuffix(id, ": ") + " try")
	if id == "" {
		c.label = "try"
	}
	entry := len(g.edges)
	out := g.list(b.Try, in)
	closeTry()
	// The catches are entered from the try box: from its first node.
	first := ""
	if len(g.edges) > entry {
		first = g.edges[entry].to
	}
	for _, h := range b.Catch {
		label := "catch"
		if len(h.Types) > 0 {
			label += " " + strings.Join(h.Types, ", ")
		}
		if first != "" {
			ex := exit{from: first, label: label}
			ex2 := g.list(h.Do, []exit{ex})
			// Mark the edge from the try box as dashed: it is taken on a
			// failure anywhere in the box.
			for i := range g.edges {
				if g.edges[i].from == first && g.edges[i].label == label {
					g.edges[i].dashed = true
					g.tryEdges[i] = c.id
				}
			}
			out = append(out, ex2...)
		}
	}
	if len(b.Finally) > 0 {
		_, closeFinally := g.open("finally")
		out = g.list(b.Finally, out)
		closeFinally()
	}
	return out
}

// connectEnds connects the terminal steps drawn so far.
func (g *Graph) connectEnds() {
	failed := ""
	for _, t := range g.terminals {
		switch t.kind {
		case toEnd:
			g.edges = append(g.edges, edge{from: t.from, to: g.end})
		case toFailed:
			if failed == "" {
				cur := g.cur
				g.cur = g.root
				failed = g.add(shapeStop, "failed")
				g.cur = cur
			}
			g.edges = append(g.edges, edge{from: t.from, to: failed})
		case toStart:
			g.edges = append(g.edges, edge{from: t.from, to: g.start, label: "new run", dashed: true})
		}
	}
	g.terminals = nil
}

// handlers draws the signal, update and query handlers, each in a box.
func (g *Graph) handlers(w *dsl.Workflow) {
	for _, name := range dsl.SortedKeys(w.Signals) {
		h := w.Signals[name]
		_, done := g.open("signal " + name)
		in := []exit{{from: g.add(shapeRound, "on signal "+name)}}
		if len(h.Set) > 0 {
			n := g.add(shapeParallelogram, "set "+strings.Join(dsl.SortedKeys(h.Set), ", "))
			g.connect(in, n)
			in = []exit{{from: n}}
		}
		g.list(h.Do, in)
		done()
	}
	for _, name := range dsl.SortedKeys(w.Updates) {
		h := w.Updates[name]
		_, done := g.open("update " + name)
		in := []exit{{from: g.add(shapeRound, "on update "+name)}}
		if h.Validate != nil {
			n := g.add(shapeRhombus, "validate "+text(h.Validate))
			g.connect(in, n)
			in = []exit{{from: n, label: "accepted"}}
		}
		out := g.list(h.Do, in)
		r := g.add(shapeRound, "reply")
		g.connect(out, r)
		done()
	}
	if len(w.Queries) > 0 {
		_, done := g.open("queries")
		for _, name := range dsl.SortedKeys(w.Queries) {
			g.add(shapeRound, "query "+name)
		}
		done()
	}
	g.connectEnds()
}

// maxText is the longest expression or value a label shows in full.
const maxText = 48

// text renders a value for a label: an expression without its ${ },
// other values as they are, cut when long.
func text(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
		if strings.HasPrefix(s, "${") && strings.HasSuffix(s, "}") && strings.Count(s, "${") == 1 {
			s = strings.TrimSpace(s[2 : len(s)-1])
		}
	case nil:
		s = "null"
	default:
		s = fmt.Sprint(x)
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxText {
		s = string(r[:maxText-1]) + "…"
	}
	return s
}
