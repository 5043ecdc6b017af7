package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl"
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
// validated once.
func TestChildFilesValidatedOnce(t *testing.T) {
	dir := writeChain(t, 5)
	top := filepath.Join(dir, "level0.yaml")
	src, err := os.ReadFile(top)
	if err != nil {
		t.Fatal(err)
	}
	rs := newResolver(top, Options{})
	r := rs.source(top, src)
	if !r.Valid() {
		t.Fatalf("invalid: %v", r.Diagnostics)
	}
	if len(rs.done) != 4 || len(rs.files) != 4 {
		t.Errorf("%d child results, %d files read, want 4 each (every file once)", len(rs.done), len(rs.files))
	}
}

// TestChildDefinitionsStoredOnce (issue 11, case 3): the canonical form
// copied a child's definition into every step that named it, so the chain
// of ten files, each starting the next six times, grew six-fold a level
// (2,069,831 bytes at six levels) and was refused from seven levels on.
// Each child definition is now stored once in the outermost definition's
// table, and child steps refer to it by hash: the chain validates at ten
// levels and grows by the same number of bytes a level.
func TestChildDefinitionsStoredOnce(t *testing.T) {
	sizes := map[int]int{}
	for _, levels := range []int{2, 3, 4, 10} {
		r := File(filepath.Join(writeChain(t, levels), "level0.yaml"), nil)
		if !r.Valid() {
			t.Fatalf("%d levels: invalid: %v", levels, r.Diagnostics)
		}
		if err := r.Canonicalize(); err != nil {
			t.Fatal(err)
		}
		c := string(r.Definition.Canonical)
		sizes[levels] = len(c)
		if n := strings.Count(c, `"leaf"`); n != 1 {
			t.Errorf("%d levels: the leaf definition is stored %d times, want once", levels, n)
		}
		if n := len(r.Definition.Workflow.Children); n != levels-1 {
			t.Errorf("%d levels: %d child definitions in the table, want %d", levels, n, levels-1)
		}
		t.Logf("%d levels: canonical form %d bytes", levels, len(c))
	}
	step := sizes[3] - sizes[2]
	if sizes[4]-sizes[3] != step || sizes[10]-sizes[4] != 6*step {
		t.Errorf("canonical sizes %v: want the same growth (%d bytes) at every level", sizes, step)
	}
}

// TestChildTableMatchesChildFiles: the table of the outermost definition
// holds each child file under the hash that the file has when validated on
// its own, as that file's canonical form without its own table.
func TestChildTableMatchesChildFiles(t *testing.T) {
	dir := writeChain(t, 4)
	top := File(filepath.Join(dir, "level0.yaml"), nil)
	if err := top.Canonicalize(); err != nil || !top.Valid() {
		t.Fatalf("%v %v", err, top.Diagnostics)
	}
	for i := 1; i < 4; i++ {
		r := File(filepath.Join(dir, fmt.Sprintf("level%d.yaml", i)), nil)
		if err := r.Canonicalize(); err != nil || !r.Valid() {
			t.Fatalf("%v %v", err, r.Diagnostics)
		}
		body, ok := top.Definition.Workflow.Children[r.Definition.Hash]
		if !ok {
			t.Errorf("level%d.yaml (hash %s) is not in the table", i, r.Definition.Hash)
			continue
		}
		if string(body) != string(r.Definition.Body) {
			t.Errorf("level%d.yaml: table entry\n%s\nwant\n%s", i, body, r.Definition.Body)
		}
		if got := len(r.Definition.Workflow.Children); got != 3-i {
			t.Errorf("level%d.yaml on its own: %d entries in its table, want %d", i, got, 3-i)
		}
	}
	if !strings.Contains(string(top.Definition.Body), `"definitionHash":"`) || strings.Contains(string(top.Definition.Canonical), `"definition":`) {
		t.Errorf("child steps do not refer to the table by hash:\n%s", top.Definition.Canonical)
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

// TestChildTableSizeLimit: the table counts each child definition once
// against the payload limit: one large child file named three times
// fits, three different ones do not.
func TestChildTableSizeLimit(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	blob := strings.Repeat("x", 800_000)
	for _, k := range []string{"a", "b", "c"} {
		write(k+".yaml", "dsl: v1\nname: "+k+"\nstate:\n  blob: "+k+blob+"\nsteps:\n  - log: hi\n")
	}
	write("same.yaml", "dsl: v1\nname: same\nsteps:\n  - child: {file: a.yaml}\n  - child: {file: a.yaml}\n  - child: {file: a.yaml}\n")
	write("three.yaml", "dsl: v1\nname: three\nsteps:\n  - child: {file: a.yaml}\n  - child: {file: b.yaml}\n  - child: {file: c.yaml}\n")
	if r := File(filepath.Join(dir, "same.yaml"), nil); !r.Valid() {
		t.Errorf("one child file named three times: %v", r.Diagnostics)
	}
	r := File(filepath.Join(dir, "three.yaml"), nil)
	want := `three.yaml:6:19: steps[2].child.file: with child file "c.yaml" the definition is over 2096128 bytes, the limit that a run's payload allows`
	if r.Valid() || !strings.Contains(r.Diagnostics.Error(), want) {
		t.Errorf("three large child files: want an error %q, got\n%v", want, r.Diagnostics)
	}
	// The parent's own size and its table's, together (dsl.CanonicalSize
	// counts the table).
	write("big.yaml", "dsl: v1\nname: big\nstate:\n  blob: "+strings.Repeat("y", 1_400_000)+"\nsteps:\n  - child: {file: a.yaml}\n")
	r = File(filepath.Join(dir, "big.yaml"), nil)
	want = `big.yaml:1:1: the definition is 22`
	if r.Valid() || !strings.Contains(r.Diagnostics.Error(), want) {
		t.Errorf("a large parent with a large child file: want an error %q, got\n%v", want, r.Diagnostics)
	}
}

// TestCanonicalSizeWithChildren: dsl.CanonicalSize, which Source compares
// with the limit, counts the table of child definitions and the hashes in
// the child steps, byte for byte, also for a canonical form prepared again.
func TestCanonicalSizeWithChildren(t *testing.T) {
	r := File(filepath.Join(writeChain(t, 4), "level0.yaml"), nil)
	if !r.Valid() {
		t.Fatal(r.Diagnostics)
	}
	if err := r.Canonicalize(); err != nil {
		t.Fatal(err)
	}
	if got := dsl.CanonicalSize(r.Workflow); got != len(r.Definition.Canonical) {
		t.Errorf("CanonicalSize %d, canonical form %d bytes", got, len(r.Definition.Canonical))
	}
	w, err := dsl.Unmarshal(r.Definition.Canonical)
	if err != nil {
		t.Fatal(err)
	}
	if got := dsl.CanonicalSize(w); got != len(r.Definition.Canonical) {
		t.Errorf("prepared again: CanonicalSize %d, canonical form %d bytes", got, len(r.Definition.Canonical))
	}
}

// TestChildFilesRoot: child files must be in the folder of the file
// validated or below it, or in Options.Root (--root) or below it. The
// check is on the path, ".." resolved as written.
func TestChildFilesRoot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo") // outside.yaml goes beside it
	write := func(name, src string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	leaf := "dsl: v1\nname: %s\nsteps:\n  - log: hi\n"
	write("app/main.yaml", "dsl: v1\nname: main\nsteps:\n  - child: {file: ../shared/lib.yaml}\n  - child: {file: sub/../local.yaml}\n  - child: {file: ../app/local.yaml}\n")
	write("app/local.yaml", fmt.Sprintf(leaf, "local"))
	write("shared/lib.yaml", "dsl: v1\nname: lib\nsteps:\n  - child: {file: ../app/local.yaml}\n")
	write("app/escape.yaml", "dsl: v1\nname: escape\nsteps:\n  - child: {file: ../shared/out.yaml}\n")
	write("shared/out.yaml", "dsl: v1\nname: out\nsteps:\n  - child: {file: ../../outside.yaml}\n")
	write("../outside.yaml", fmt.Sprintf(leaf, "outside"))
	main := filepath.Join(dir, "app", "main.yaml")
	for _, tc := range []struct {
		name, file, root string
		want             string // an error, or "" for valid
	}{
		{"default root", main, "",
			`main.yaml:4:19: steps[0].child.file: child file "../shared/lib.yaml" is outside the folder of ` + main + `: child files must be in that folder or below it, or in the folder given by --root`},
		{"wider root", main, dir, ""},
		{"root as written, with ..", main, filepath.Join(dir, "app", "..", "."), ""},
		{"narrower root", main, filepath.Join(dir, "app", "sub"),
			`steps[1].child.file: child file "sub/../local.yaml" is outside the root folder "` + filepath.Join(dir, "app", "sub") + `" (--root): child files must be in that folder or below it`},
		{"a child file's child outside the root", filepath.Join(dir, "app", "escape.yaml"), dir,
			`out.yaml:4:19: steps[0].child.file: child file "../../outside.yaml" is outside the root folder "` + dir + `" (--root)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := FileWith(tc.file, Options{Root: tc.root})
			switch {
			case tc.want == "" && !r.Valid():
				t.Errorf("want valid, got\n%v", r.Diagnostics)
			case tc.want != "" && (r.Valid() || !strings.Contains(r.Diagnostics.Error(), tc.want)):
				t.Errorf("want an error %q, got\n%v", tc.want, r.Diagnostics)
			}
		})
	}
}
