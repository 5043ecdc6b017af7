package interpreter

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/dsl/validate"
)

// prepareFile validates and prepares one definition file, as apply does.
func prepareFile(t *testing.T, path string) *dsl.Definition {
	t.Helper()
	r := validate.File(path, nil)
	if !r.Valid() {
		t.Fatalf("%s: %v", path, r.Diagnostics)
	}
	if err := r.Canonicalize(); err != nil {
		t.Fatal(err)
	}
	return r.Definition
}

// childEnvelopes returns the envelopes that the plan of d sends to its
// child steps, by the child's workflow type.
func childEnvelopes(t *testing.T, d *dsl.Definition) map[string]*Envelope {
	t.Helper()
	p, err := compilePlan(d.Workflow)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*Envelope{}
	var walk func([]*node)
	walk = func(ns []*node) {
		for _, n := range ns {
			switch b := n.data.(type) {
			case *childNode:
				out[b.spec.Workflow] = b.compact
			case *parallelNode:
				for _, br := range b.branches {
					walk(br)
				}
			}
		}
	}
	walk(p.steps)
	return out
}

// TestChildEnvelopeFromTable: a child started from the definition's table
// of child definitions gets exactly the definition, and hash, that
// validating its file on its own makes, with the part of the table it
// needs itself and no more. top starts a and b in parallel, both start
// shared; a also starts leaf.
func TestChildEnvelopeFromTable(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"top.yaml":      "dsl: v1\nname: top\nsteps:\n  - parallel:\n      - [{child: {file: a.yaml}}]\n      - [{child: {file: b.yaml}}]\n",
		"a.yaml":        "dsl: v1\nname: a\nsteps:\n  - child: {file: shared.yaml}\n  - child: {file: sub/leaf.yaml}\n",
		"b.yaml":        "dsl: v1\nname: b\nsteps:\n  - child: {file: shared.yaml}\n  - child: {file: shared.yaml}\n",
		"shared.yaml":   "dsl: v1\nname: shared\nsteps:\n  - child: {file: sub/leaf.yaml}\n",
		"sub/leaf.yaml": "dsl: v1\nname: leaf\nsteps:\n  - log: \"a <leaf> & more\"\n",
	}
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]*dsl.Definition{}
	for name, file := range map[string]string{"a": "a.yaml", "b": "b.yaml", "shared": "shared.yaml", "leaf": "sub/leaf.yaml"} {
		want[name] = prepareFile(t, filepath.Join(dir, file))
	}
	top := prepareFile(t, filepath.Join(dir, "top.yaml"))
	if n := len(top.Workflow.Children); n != 4 {
		t.Errorf("top's table holds %d definitions, want 4", n)
	}
	check := func(parent string, d *dsl.Definition, kids ...string) {
		t.Helper()
		got := childEnvelopes(t, d)
		if len(got) != len(kids) {
			t.Errorf("%s: envelopes for %d children, want %d", parent, len(got), len(kids))
		}
		for _, kid := range kids {
			e := got[kid]
			if e == nil {
				t.Errorf("%s: no envelope for child %s", parent, kid)
				continue
			}
			def, err := e.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			if e.Hash != want[kid].Hash || string(def) != string(want[kid].Canonical) {
				t.Errorf("%s sends %s\n%s (hash %s)\nwant, as %s validated alone,\n%s (hash %s)", parent, kid, def, e.Hash, kid, want[kid].Canonical, want[kid].Hash)
			}
		}
	}
	check("top", top, "a", "b")
	check("a", want["a"], "shared", "leaf")
	check("b", want["b"], "shared")
	check("shared", want["shared"], "leaf")
	if strings.Contains(string(want["b"].Canonical), `"name":"a"`) || !strings.Contains(string(want["b"].Canonical), `"name":"leaf"`) {
		t.Errorf("b's table is not the part it needs (shared and leaf):\n%s", want["b"].Canonical)
	}
	// The child definitions a plan makes, carried on by continue-as-new or
	// by the child's own start, are prepared again identically.
	again, err := dsl.Prepare(top.Workflow)
	if err != nil || string(again.Canonical) != string(top.Canonical) {
		t.Errorf("the canonical form prepared again differs (%v):\n%s\nwant\n%s", err, again.Canonical, top.Canonical)
	}
}

// TestChildTableMissingEntry: a child step whose hash is not in the
// table, or whose entry does not match its hash, fails the plan (the run
// fails with dslrun.DefinitionError) instead of starting the child with
// another definition.
func TestChildTableMissingEntry(t *testing.T) {
	const hash = "0000000000000000000000000000000000000000000000000000000000000000"
	w, err := dsl.Unmarshal([]byte(`{"dsl":"v1","name":"p","options":{"taskQueue":"dslrun"},"steps":[{"kind":"child","child":{"workflow":"c","definitionHash":"` + hash + `","wait":true,"parentClosePolicy":"terminate"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := compilePlan(w); err == nil || !strings.Contains(err.Error(), "not in the definition's table") {
		t.Errorf("missing entry: got %v", err)
	}
	w.Children = map[string]json.RawMessage{hash: []byte(`{"dsl":"v1","name":"c","steps":[]}`)}
	if _, err := compilePlan(w); err == nil || !strings.Contains(err.Error(), "does not match its hash") {
		t.Errorf("wrong entry: got %v", err)
	}
}
