package validate_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/activities/builtin"
	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/dslrun/dslrun/schema"
	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/invalid/*.txtar")

func registry(t testing.TB) *activities.Registry {
	t.Helper()
	r := activities.NewRegistry()
	if err := builtin.Register(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestInvalidGolden runs every invalid definition in testdata/invalid
// through the full pipeline and compares the diagnostics, text exact, with
// the archive's want section. It also proves that the parser and the JSON
// schema each catch every case that gets past YAML decoding.
func TestInvalidGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("want at least 40 invalid cases, have %d", len(files))
	}
	reg := registry(t)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, src, want := readCase(t, file)
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			r := validate.Source("in.yaml", src, reg)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if r.Valid() {
				t.Fatalf("invalid definition accepted")
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
				t.Errorf("validation allocated %d MiB, want a bounded amount (< 256 MiB)", alloc>>20)
			}
			got := []byte(r.Diagnostics.Error() + "\n")
			if updated := wantDiagnostics(t, file, ar, want, got); updated {
				return
			}
			// Past decoding, both the parser and the schema must see a problem.
			root, ds := dsl.Decode("in.yaml", src)
			if ds.HasErrors() {
				return
			}
			_, pds := dsl.Build("in.yaml", root)
			sds := schema.Validate("in.yaml", root)
			if !pds.HasErrors() && !onlyActivityInput(r.Diagnostics) && !filesOnly[name] {
				t.Errorf("the parser alone accepts this definition")
			}
			if !sds.HasErrors() && !schemaBlind[name] {
				t.Errorf("the JSON schema alone accepts this definition")
			}
		})
	}
}

// filesOnly lists the cases that only reading other files can find: the
// parser and the schema see one document.
var filesOnly = map[string]bool{
	"child-file-missing":     true,
	"child-file-two-missing": true,
	"child-file-outside":     true,
}

// schemaBlind lists the cases that a JSON schema cannot see by design:
// they need the expression compiler, knowledge of other parts of the
// document (step ids, state names), or the activity registry.
var schemaBlind = map[string]bool{
	"child-file-two-missing": true, // files: see filesOnly
	"child-file-outside":     true,
	"expr-syntax":            true,
	"typed-expressions":      true,
	"workflow-field":         true,
	"schedule-cron":          true, // a rule across two blocks
	"schedule-start-delay":   true,
	"schedule-rules":         true, // calendar range syntax, times compared, 10s
	"expr-undefined-var":     true,
	"expr-unknown-step":      true,
	"expr-unknown-state":     true,
	"expr-unterminated":      true,
	"duplicate-id":           true,
	"loop-var-outside":       true,
	"error-outside-catch":    true,
	"activity-input":         true,
	"bad-cron":               true,
	"bad-input-schema":       true,
	"legacy-octal":           true,
	"reserved-loop-var":      true,
	"many-errors":            false,
	"bad-timestamp":          true,
	"deep-steps":             true,
	"child-file-missing":     true,
}

func onlyActivityInput(ds dsl.Diagnostics) bool {
	for _, d := range ds {
		if d.Code != dsl.CodeActivityInput {
			return false
		}
	}
	return true
}

// TestExamplesValid checks that every file in examples/ is valid with the
// built-in activities. The subfolders are not read: examples/custom-binary
// uses activities of its own and is validated and run with its own binary
// by cmd/custombinary_test.go.
func TestExamplesValid(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("want at least 10 examples, have %d", len(files))
	}
	reg := registry(t)
	for _, f := range files {
		if validate.IsTestFile(f) {
			continue // a test of dslrun test, not a definition
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := validate.File(f, reg)
			if !r.Valid() {
				t.Fatalf("example is invalid:\n%v", r.Diagnostics)
			}
			if err := r.Canonicalize(); err != nil {
				t.Fatal(err)
			}
			if _, err := dsl.Unmarshal(r.Definition.Canonical); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// readCase reads a golden case: the archive, its definition in.yaml and
// the diagnostics it wants.
func readCase(t *testing.T, file string) (ar *txtar.Archive, src, want []byte) {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ar.Files {
		switch f.Name {
		case "in.yaml":
			src = f.Data
		case "want":
			want = f.Data
		}
	}
	return ar, src, want
}

// wantDiagnostics compares got with the case's want section, or with
// -update writes got into it (adding the section when missing) and
// reports that it did.
func wantDiagnostics(t *testing.T, file string, ar *txtar.Archive, want, got []byte) (updated bool) {
	t.Helper()
	if !*update {
		if !bytes.Equal(got, want) {
			t.Errorf("diagnostics differ\n--- got\n%s--- want\n%s", got, want)
		}
		return false
	}
	for i := range ar.Files {
		if ar.Files[i].Name == "want" {
			ar.Files[i].Data = got
		}
	}
	if want == nil {
		ar.Files = append(ar.Files, txtar.File{Name: "want", Data: got})
	}
	if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
		t.Fatal(err)
	}
	return true
}
