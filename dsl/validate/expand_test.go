package validate_test

import (
	"os"
	"path/filepath"
	"slices"
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
