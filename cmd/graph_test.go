package dslruncmd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	dslruncmd "github.com/dslrun/dslrun/cmd"
)

// TestGraph checks dslrun graph: the example's drawing equals the golden
// file of internal/graph, in both formats; an invalid file exits 1 with
// its diagnostics, a bad format 2.
func TestGraph(t *testing.T) {
	for format, ext := range map[string]string{"mermaid": ".mmd", "dot": ".dot"} {
		want, err := os.ReadFile(filepath.Join("..", "internal", "graph", "testdata", "try-catch"+ext))
		if err != nil {
			t.Fatal(err)
		}
		if got := mustRun(t, dslruncmd.ExitOK, "graph", filepath.Join("..", "examples", "try-catch.yaml"), "--format", format); got != string(want) {
			t.Errorf("--format %s:\n%s\nwant:\n%s", format, got, want)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("dsl: v1\nname: bad\nsteps:\n  - activty: echo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run("graph", bad)
	if code != dslruncmd.ExitFailure || stdout != "" || !strings.Contains(stderr, bad+`:4:5: steps[0].activty: unknown key "activty"`) {
		t.Errorf("invalid file: exit %d\nstdout %q\nstderr %s", code, stdout, stderr)
	}
	if code, _, _ := run("graph", bad, "--format", "png"); code != dslruncmd.ExitUsage {
		t.Errorf("--format png: exit %d, want 2", code)
	}
}
