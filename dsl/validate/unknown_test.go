package validate_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/dsl/validate"
)

// TestWarningsGolden runs every definition in testdata/warnings through the
// full pipeline: each is valid, and its diagnostics, all warnings, are
// the archive's want section, text exact (-update rewrites them).
func TestWarningsGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/warnings/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no warning cases")
	}
	reg := registry(t)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, src, want := readCase(t, file)
			r := validate.Source("in.yaml", src, reg)
			if !r.Valid() {
				t.Fatalf("definition with warnings only is invalid:\n%v", r.Diagnostics)
			}
			for _, d := range r.Diagnostics {
				if d.Severity != dsl.SeverityWarning || (d.Code != validate.CodeUnknownActivity && d.Code != dsl.CodeUnknownName && d.Code != validate.CodeLoopWithoutContinue) {
					t.Errorf("%v: severity %v, code %q; want a warning, %q, %q or %q", d, d.Severity, d.Code, validate.CodeUnknownActivity, dsl.CodeUnknownName, validate.CodeLoopWithoutContinue)
				}
			}
			got := []byte(r.Diagnostics.Error() + "\n")
			wantDiagnostics(t, file, ar, want, got)
		})
	}
}

// TestNoRegistryNoWarning: without a registry nothing is known, so nothing
// is reported about names.
func TestNoRegistryNoWarning(t *testing.T) {
	r := validate.Source("in.yaml", []byte("dsl: v1\nname: x\nsteps:\n  - activity: echoo\n"), nil)
	if len(r.Diagnostics) != 0 {
		t.Errorf("diagnostics without a registry: %v", r.Diagnostics)
	}
}
