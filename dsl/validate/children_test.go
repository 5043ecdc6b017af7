package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeChain writes levels files, level0.yaml to level<levels-1>.yaml, each
// with six child steps naming the next (the last one logs), and returns
// the folder.
func writeChain(t *testing.T, levels int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range levels {
		var b strings.Builder
		fmt.Fprintf(&b, "dsl: v1\nname: level%d\nsteps:\n", i)
		if i == levels-1 {
			b.WriteString("  - log: leaf\n")
		}
		for range 6 {
			if i < levels-1 {
				fmt.Fprintf(&b, "  - child: {file: level%d.yaml}\n", i+1)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("level%d.yaml", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestChildFilesValidatedOnce (issue 11, case 3): ten files, each with six
// child: {file: next} steps, took 0.7 s, 3.0 s, 12.2 s as the chain grew
// (x4 a level, every inclusion validated again). Each file is now read and
// validated once, and the bundle, which does grow six-fold a level, is
// refused once it is over the limit of a run's payload.
func TestChildFilesValidatedOnce(t *testing.T) {
	dir := writeChain(t, 5)
	top := filepath.Join(dir, "level0.yaml")
	src, err := os.ReadFile(top)
	if err != nil {
		t.Fatal(err)
	}
	rs := newResolver(top, nil)
	r := rs.source(top, src)
	if !r.Valid() {
		t.Fatalf("invalid: %v", r.Diagnostics)
	}
	if len(rs.done) != 4 || len(rs.files) != 4 {
		t.Errorf("%d child results, %d files read, want 4 each (every file once)", len(rs.done), len(rs.files))
	}
	if err := r.Canonicalize(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(r.Definition.Canonical), `"leaf"`); n != 6*6*6*6 {
		t.Errorf("%d leaves bundled, want %d", n, 6*6*6*6)
	}

	r = File(filepath.Join(writeChain(t, 10), "level0.yaml"), nil)
	want := `steps[5].child.file: with child file "level4.yaml" the definition is over 2096128 bytes, the limit that a run's payload allows`
	if r.Valid() || !strings.Contains(r.Diagnostics.Error(), want) {
		t.Errorf("ten levels: want an error %q, got\n%v", want, r.Diagnostics)
	}
}

// TestDefinitionTooLarge (issue 11, case 5): a file within the file size
// limit whose canonical form is over the payload limit was accepted, and
// apply could not start it. It is refused at validate time, with both
// sizes.
func TestDefinitionTooLarge(t *testing.T) {
	src := "dsl: v1\nname: big\nstate:\n  blob: " + strings.Repeat("x", 3_000_000) + "\nsteps:\n  - log: hi\n"
	r := Source("big.yaml", []byte(src), nil)
	want := "big.yaml:1:1: the definition is 3000"
	if r.Valid() || !strings.HasPrefix(r.Diagnostics.Error(), want) || !strings.Contains(r.Diagnostics.Error(), "over the limit of 2096128 that a run's payload allows") {
		t.Errorf("want an error starting %q, got\n%v", want, r.Diagnostics)
	}
	if MaxDefinitionSize != 2<<20-1<<10 {
		t.Errorf("MaxDefinitionSize %d is not the interpreter's PayloadLimit", MaxDefinitionSize)
	}
}

// TestDefinitionSizeAtTheLimit: a definition exactly MaxDefinitionSize
// bytes in canonical form is valid, one byte more is refused with its
// size. Its values need escapes in JSON (tabs, quotes, non-ASCII), so the
// canonical form is larger than the text that YAML holds.
func TestDefinitionSizeAtTheLimit(t *testing.T) {
	src := func(tail int) []byte {
		return []byte("dsl: v1\nname: big\nstate:\n  blob: \"" + strings.Repeat(`a\t\"é`, 250_000) + strings.Repeat("x", tail) +
			"\"\nactivity: {startToCloseTimeout: 30s}\nsteps:\n  - activity: charge\n  - log: hi\n")
	}
	r := Source("big.yaml", src(0), nil)
	if err := r.Canonicalize(); err != nil || !r.Valid() {
		t.Fatalf("%v %v", err, r.Diagnostics)
	}
	tail := MaxDefinitionSize - len(r.Definition.Canonical)
	if tail <= 0 {
		t.Fatalf("canonical form of %d bytes already at the limit", len(r.Definition.Canonical))
	}

	r = Source("big.yaml", src(tail), nil)
	if !r.Valid() {
		t.Fatalf("at the limit: %v", r.Diagnostics)
	}
	if err := r.Canonicalize(); err != nil || len(r.Definition.Canonical) != MaxDefinitionSize {
		t.Fatalf("at the limit: canonical form %d bytes (%v), want %d", len(r.Definition.Canonical), err, MaxDefinitionSize)
	}

	r = Source("big.yaml", src(tail+1), nil)
	want := fmt.Sprintf("big.yaml:1:1: the definition is %d bytes in canonical form", MaxDefinitionSize+1)
	if r.Valid() || !strings.HasPrefix(r.Diagnostics.Error(), want) {
		t.Errorf("one byte over: want an error starting %q, got\n%v", want, r.Diagnostics)
	}
}
