package dsl

import (
	"fmt"
	"strings"
	"testing"
)

// TestDiagnosticsCap (issue 11, case 5): 50,000 findings in a file print
// MaxDiagnosticsPerFile lines and a count of the rest, which is an error
// when any of the rest is, per file.
func TestDiagnosticsCap(t *testing.T) {
	var ds Diagnostics
	for i := range 50_000 {
		ds = append(ds, Diagnostic{Pos: Pos{File: "a.yaml", Line: i + 1, Col: 1}, Code: CodeDuplicateKey, Msg: "duplicate key"})
	}
	// b.yaml: warnings first, its one error among the ones left out.
	for i := range 102 {
		sev := SeverityWarning
		if i == 101 {
			sev = SeverityError
		}
		ds = append(ds, Diagnostic{Pos: Pos{File: "b.yaml", Line: i + 1, Col: 1}, Severity: sev, Msg: fmt.Sprint("finding ", i)})
	}
	ds = append(ds, Diagnostic{Pos: Pos{File: "c.yaml", Line: 1, Col: 1}, Severity: SeverityWarning, Msg: "alone"})
	got := ds.Sort().Cap(MaxDiagnosticsPerFile)
	if len(got) != 2*MaxDiagnosticsPerFile+3 {
		t.Fatalf("%d diagnostics, want %d", len(got), 2*MaxDiagnosticsPerFile+3)
	}
	lines := strings.Split(got.Error(), "\n")
	for _, want := range []string{
		"a.yaml:101:1: and 49,900 more errors not shown (at most 100 a file): fix the ones above first",
		"b.yaml:101:1: and 1 more error and 1 more warning not shown (at most 100 a file): fix the ones above first",
		"c.yaml:1:1: warning: alone",
	} {
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			t.Errorf("no line %q", want)
		}
	}
	var b Diagnostics
	for _, d := range got {
		if d.Pos.File == "b.yaml" {
			b = append(b, d)
		}
	}
	if !b.HasErrors() {
		t.Error("b.yaml's capped diagnostics have no error: its one error was left out")
	}
	if short := ds[:3]; len(short.Cap(MaxDiagnosticsPerFile)) != 3 {
		t.Error("a short list was changed")
	}
}
