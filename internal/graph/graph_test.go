package graph_test

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/dslrun/dslrun/internal/graph"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestExamplesGolden draws every example as Mermaid and DOT and compares
// with testdata/<example>.mmd and .dot (go test -update rewrites them).
func TestExamplesGolden(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if validate.IsTestFile(f) {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			r := validate.File(f, nil)
			if !r.Valid() {
				t.Fatalf("invalid example:\n%v", r.Diagnostics)
			}
			g := graph.New(r.Workflow)
			golden(t, filepath.Join("testdata", name+".mmd"), g.Mermaid())
			golden(t, filepath.Join("testdata", name+".dot"), g.DOT())
		})
	}
	if n < 10 {
		t.Fatalf("only %d examples", n)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/graph -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./internal/graph -update rewrites it); got:\n%s", path, got)
	}
}

func draw(t *testing.T, src string) *graph.Graph {
	t.Helper()
	w, ds := dsl.Parse("t.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return graph.New(w)
}

// TestShapesAndEdges checks the parts a reader relies on: the try box that
// catches leave, finally that all ways out pass through, loops back, a
// failed end, continue-as-new back to the start, escaped labels.
func TestShapesAndEdges(t *testing.T) {
	g := draw(t, `
dsl: v1
name: shapes
state: {n: 0}
steps:
  - try:
      - {id: charge, activity: ChargeCard, with: {a: 1}}
    catch:
      - types: [Declined, Fraud]
        do: [{fail: {message: no, type: Refused}}]
    finally:
      - {activity: Release}
  - while: '${ state.n < 3 && input.go == "yes" }'
    do: [{sleep: 1h}]
  - if: ${ input.again }
    then: [{continueAsNew: {}}]
  - child: {workflow: other, wait: false}
`)
	m := g.Mermaid()
	for _, want := range []string{
		`subgraph c2 ["try"]`,
		`n3["charge: activity ChargeCard"]`,
		`c2 -.->|"catch Declined, Fraud"| n4`,
		`subgraph c5 ["finally"]`,
		`n3 --> n6`,
		`n7{"while state.n #lt; 3 #amp;#amp; input.go == #quot;yes#quot;"}`,
		`n8 -.-> n7`,
		`n7 -->|"done"| n9`,
		`n10 -.->|"new run"| n1`,
		`n11[["child other<br/>(not awaited)"]]`,
		`n4 --> n13`,
		`n13(("failed"))`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("mermaid lacks %q:\n%s", want, m)
		}
	}
	d := g.DOT()
	for _, want := range []string{
		`digraph "shapes" {`,
		`subgraph cluster_c2 {`,
		`n3 -> n4 [label="catch Declined, Fraud", style=dashed, ltail=cluster_c2];`,
		`n7 [label="while state.n < 3 && input.go == \"yes\"", shape=diamond];`,
		`n11 [label="child other\n(not awaited)", shape=box, peripheries=2];`,
	} {
		if !strings.Contains(d, want) {
			t.Errorf("dot lacks %q:\n%s", want, d)
		}
	}
}

// TestDOTRenders runs Graphviz on every golden DOT file when dot is
// installed, so that the DOT printed is valid for the tool it is for.
func TestDOTRenders(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz (dot) is not installed")
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.dot"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden DOT files: %v", err)
	}
	for _, f := range files {
		out, err := exec.Command(dot, "-Tsvg", "-o", os.DevNull, f).CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("dot %s: %v\n%s", f, err, out)
		}
	}
}
