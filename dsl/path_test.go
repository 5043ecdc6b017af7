package dsl_test

import (
	"testing"

	"github.com/dslrun/dslrun/dsl"
)

func TestPath(t *testing.T) {
	src := []byte(`dsl: v1
name: p
steps:
  - activity: echo
  - parallel:
      - - log: a
        - id: charge
          activity: charge
          with: {amount: 3}
`)
	root, ds := dsl.Decode("p.yaml", src)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	p := dsl.Path("steps").Index(1).Key("parallel").Index(0).Index(1)
	if p != "steps[1].parallel[0][1]" {
		t.Fatalf("path %q", p)
	}
	for _, tc := range []struct {
		path      dsl.Path
		line, col int
	}{
		{p, 7, 11},
		{p.Key("with").Key("amount"), 9, 26},
		{"steps[0].activity", 4, 15},
		{"steps[5]", 0, 0},
		{"steps[0].nosuch", 0, 0},
		{"name.x", 0, 0},
	} {
		got := tc.path.Pos("p.yaml", root)
		if got.Line != tc.line || got.Col != tc.col {
			t.Errorf("%s: at %d:%d, want %d:%d", tc.path, got.Line, got.Col, tc.line, tc.col)
		}
		if tc.line > 0 && got.File != "p.yaml" {
			t.Errorf("%s: file %q", tc.path, got.File)
		}
	}
}
