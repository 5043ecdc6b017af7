package validate_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/rogpeppe/go-internal/txtar"
)

// FuzzValidate drives the production path (decode, JSON schema, model,
// expressions, activity inputs, canonical form) with arbitrary bytes. It
// must never panic, every diagnostic must carry a position in the file,
// and a valid definition's canonical form must decode to the same
// canonical bytes (the form recorded in history is stable), whose size
// dsl.CanonicalSize gives without making it. The seeds are
// the examples and every invalid golden case, so `go test` replays them.
func FuzzValidate(f *testing.F) {
	examples, _ := filepath.Glob("../../examples/*.yaml")
	for _, file := range examples {
		if src, err := os.ReadFile(file); err == nil {
			f.Add(src)
		}
	}
	goldens, _ := filepath.Glob("testdata/invalid/*.txtar")
	for _, file := range goldens {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, af := range ar.Files {
			if af.Name == "in.yaml" {
				f.Add(af.Data)
			}
		}
	}
	reg := registry(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		r := validate.Source("f.yaml", src, reg)
		for _, d := range r.Diagnostics {
			if d.Pos.File != "f.yaml" || d.Pos.Line < 1 || d.Msg == "" {
				t.Fatalf("diagnostic without a position or message: %#v", d)
			}
			if strings.HasSuffix(d.Msg, ".") && !strings.HasSuffix(d.Msg, "...") {
				t.Errorf("message ends with a period: %q", d.Msg)
			}
		}
		if !r.Valid() {
			return
		}
		if err := r.Canonicalize(); err != nil {
			t.Fatalf("canonical form: %v", err)
		}
		if n := dsl.CanonicalSize(r.Workflow); n != len(r.Definition.Canonical) {
			t.Fatalf("CanonicalSize %d, canonical form %d bytes:\n%s", n, len(r.Definition.Canonical), r.Definition.Canonical)
		}
		w, err := dsl.Unmarshal(r.Definition.Canonical)
		if err != nil {
			t.Fatalf("canonical form does not decode: %v", err)
		}
		again, err := dsl.Canonical(w)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(r.Definition.Canonical) {
			t.Fatalf("canonical form is not stable:\n%s\n%s", r.Definition.Canonical, again)
		}
	})
}
