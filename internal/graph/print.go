package graph

import (
	"fmt"
	"strings"
)

// Mermaid returns the graph as a Mermaid flowchart.
func (g *Graph) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	byID := g.byID()
	var walk func(c *cluster, indent string)
	walk = func(c *cluster, indent string) {
		for _, id := range c.nodes {
			n := byID[id]
			fmt.Fprintf(&b, "%s%s%s\n", indent, id, mermaidShape(n.shape, mermaidText(strings.Join(n.label, "\n"))))
		}
		for _, sub := range c.clusters {
			fmt.Fprintf(&b, "%ssubgraph %s [\"%s\"]\n", indent, sub.id, mermaidText(sub.label))
			walk(sub, indent+"  ")
			fmt.Fprintf(&b, "%send\n", indent)
		}
	}
	walk(g.root, "  ")
	for i, e := range g.edges {
		from := e.from
		if c, ok := g.tryEdges[i]; ok {
			from = c
		}
		arrow := "-->"
		if e.dashed {
			arrow = "-.->"
		}
		if e.label != "" {
			fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", from, arrow, mermaidText(e.label), e.to)
		} else {
			fmt.Fprintf(&b, "  %s %s %s\n", from, arrow, e.to)
		}
	}
	return b.String()
}

func mermaidShape(s shape, label string) string {
	switch s {
	case shapeRound:
		return `(["` + label + `"])`
	case shapeSubroutine:
		return `[["` + label + `"]]`
	case shapeHexagon:
		return `{{"` + label + `"}}`
	case shapeRhombus:
		return `{"` + label + `"}`
	case shapeParallelogram:
		return `[/"` + label + `"/]`
	case shapeFork:
		return `[/"` + label + `"\]`
	case shapeStop:
		return `(("` + label + `"))`
	case shapeRect:
	}
	return `["` + label + `"]`
}

// mermaidText escapes a label for a quoted Mermaid string: quotes and
// angle brackets as entities, line breaks as <br/>.
func mermaidText(s string) string {
	r := strings.NewReplacer("&", "#amp;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", "<br/>")
	return r.Replace(s)
}

// DOT returns the graph in Graphviz's DOT language.
func (g *Graph) DOT() string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote(g.name))
	b.WriteString("  compound=true;\n  fontname=\"Helvetica\"; fontsize=10;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n")
	byID := g.byID()
	first := map[string]string{} // cluster id -> a node inside it
	var walk func(c *cluster, indent string)
	walk = func(c *cluster, indent string) {
		for _, id := range c.nodes {
			n := byID[id]
			fmt.Fprintf(&b, "%s%s [label=%s, %s];\n", indent, id, dotQuote(strings.Join(n.label, "\n")), dotShape(n.shape))
		}
		for _, sub := range c.clusters {
			fmt.Fprintf(&b, "%ssubgraph cluster_%s {\n%s  label=%s; style=rounded;\n", indent, sub.id, indent, dotQuote(sub.label))
			walk(sub, indent+"  ")
			fmt.Fprintf(&b, "%s}\n", indent)
		}
	}
	walk(g.root, "  ")
	var anyNode func(c *cluster) string
	anyNode = func(c *cluster) string {
		if len(c.nodes) > 0 {
			return c.nodes[0]
		}
		for _, s := range c.clusters {
			if n := anyNode(s); n != "" {
				return n
			}
		}
		return ""
	}
	var index func(c *cluster)
	index = func(c *cluster) {
		for _, s := range c.clusters {
			first[s.id] = anyNode(s)
			index(s)
		}
	}
	index(g.root)
	for i, e := range g.edges {
		var attrs []string
		if e.label != "" {
			attrs = append(attrs, "label="+dotQuote(e.label))
		}
		if e.dashed {
			attrs = append(attrs, "style=dashed")
		}
		from := e.from
		if c, ok := g.tryEdges[i]; ok && first[c] != "" {
			from = first[c]
			attrs = append(attrs, "ltail=cluster_"+c)
		}
		if len(attrs) > 0 {
			fmt.Fprintf(&b, "  %s -> %s [%s];\n", from, e.to, strings.Join(attrs, ", "))
		} else {
			fmt.Fprintf(&b, "  %s -> %s;\n", from, e.to)
		}
	}
	b.WriteString("}\n")
	return b.String()
}

func dotShape(s shape) string {
	switch s {
	case shapeRound:
		return "shape=box, style=rounded"
	case shapeSubroutine:
		return "shape=box, peripheries=2"
	case shapeHexagon:
		return "shape=hexagon"
	case shapeRhombus:
		return "shape=diamond"
	case shapeParallelogram:
		return "shape=parallelogram"
	case shapeFork:
		return "shape=trapezium"
	case shapeStop:
		return "shape=doublecircle"
	case shapeRect:
	}
	return "shape=box"
}

// dotQuote quotes s as a DOT string; line breaks become \n.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func (g *Graph) byID() map[string]*node {
	m := make(map[string]*node, len(g.nodes))
	for _, n := range g.nodes {
		m[n.id] = n
	}
	return m
}
