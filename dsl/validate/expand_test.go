package validate_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl/validate"
)

func TestExpandSkipsPluginManifests(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.yaml", "b.yml", "tool.plugin.yaml", "sub/c.yaml", "sub/other.plugin.yml", "node_modules/pkg/ci.yml", "sub/node_modules/x.yaml"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("dsl: v1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := validate.Expand([]string{dir + "/..."})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yml"), filepath.Join(dir, "sub/c.yaml")}
	if !slices.Equal(got, want) {
		t.Errorf("Expand = %v, want %v", got, want)
	}
	// A manifest named on the command line is taken as given.
	one := filepath.Join(dir, "tool.plugin.yaml")
	if got, err := validate.Expand([]string{one}); err != nil || !slices.Equal(got, []string{one}) {
		t.Errorf("Expand(%s) = %v, %v", one, got, err)
	}
}

func TestExpandSkipsTestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"order.yaml", "order_test.yaml", "sub/b_test.yml", "sub/b.yml"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("dsl: v1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := validate.Expand([]string{dir + "/..."})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "order.yaml"), filepath.Join(dir, "sub/b.yml")}
	if !slices.Equal(got, want) {
		t.Errorf("Expand = %v, want %v", got, want)
	}
	if !validate.IsTestFile("x/order_test.yaml") || validate.IsTestFile("x/order.yaml") {
		t.Error("IsTestFile")
	}
}

// writeFiles writes name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for f, src := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExpandTakesOnlyDefinitions(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"order.yaml":             "# an order\ndsl: v1\nname: order\n",
		"quoted.yml":             "\"dsl\": v1\n",
		"config.yaml":            "apiVersion: v1\nkind: ConfigMap\ndata:\n  dsl: not-top-level\n",
		"sub/workflowcheck.yaml": "decls: {}\n",
		"only/ci.yaml":           "on: push\n",
	})
	got, err := validate.Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "order.yaml"), filepath.Join(dir, "quoted.yml")}
	if !slices.Equal(got, want) {
		t.Errorf("Expand(dir) = %v, want %v", got, want)
	}
	// Named explicitly, a file is taken as given (validate says what is wrong).
	cfg := filepath.Join(dir, "config.yaml")
	if got, err := validate.Expand([]string{cfg}); err != nil || !slices.Equal(got, []string{cfg}) {
		t.Errorf("Expand(%s) = %v, %v", cfg, got, err)
	}
	// A folder of YAML without a definition is an error that says so.
	if _, err := validate.Expand([]string{filepath.Join(dir, "only")}); err == nil || !strings.Contains(err.Error(), "no definitions (YAML files with a top-level dsl: key) among 1 YAML files") {
		t.Errorf("Expand(only) error = %v", err)
	}
}

func TestExpandExclude(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.yaml":             "dsl: v1\n",
		"big/b.yaml":         "dsl: v1\n",
		"big/deep/c.yaml":    "dsl: v1\n",
		"keep/wip-draft.yml": "dsl: v1\n",
		"keep/d.yaml":        "dsl: v1\n",
	})
	got, err := validate.Expand([]string{dir + "/..."}, "big", "wip-*")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.yaml"), filepath.Join(dir, "keep/d.yaml")}
	if !slices.Equal(got, want) {
		t.Errorf("Expand(..., big, wip-*) = %v, want %v", got, want)
	}
	if _, err := validate.Expand([]string{dir}, "[bad"); err == nil {
		t.Error("a malformed pattern is accepted")
	}
}

// TestExpandTests: a folder contributes its *_test.yaml files, /...
// recursively, and a folder without any is an error.
func TestExpandTests(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.yaml", "a_test.yaml", "sub/b_test.yml", "sub/b.yaml"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("dsl: v1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := validate.ExpandTests([]string{dir})
	if want := []string{filepath.Join(dir, "a_test.yaml")}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ExpandTests(dir) = %v, %v; want %v", got, err, want)
	}
	got, err = validate.ExpandTests([]string{dir + "/..."})
	if want := []string{filepath.Join(dir, "a_test.yaml"), filepath.Join(dir, "sub", "b_test.yml")}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ExpandTests(dir/...) = %v, %v; want %v", got, err, want)
	}
	if _, err := validate.ExpandTests([]string{filepath.Join(dir, "sub", "..", "sub")}); err != nil {
		t.Errorf("ExpandTests(sub) = %v", err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := validate.ExpandTests([]string{empty}); err == nil || !strings.Contains(err.Error(), "no *_test.yaml or *_test.yml files") {
		t.Errorf("ExpandTests(empty) error = %v", err)
	}
}
