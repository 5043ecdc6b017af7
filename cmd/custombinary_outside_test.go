package dslruncmd_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// checkoutPlaceholder is how docs/activities.md writes the path of the
// reader's dslrun checkout in its build commands.
const checkoutPlaceholder = "/path/to/dslrun"

// docBuildCommands returns the commands of the sh block that follows the
// marker "<!-- build-commands: NAME" in docs/activities.md, one per line,
// without comments, with the checkout placeholder replaced by root.
func docBuildCommands(t *testing.T, name, root string) []string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "activities.md"))
	if err != nil {
		t.Fatal(err)
	}
	marker := "<!-- build-commands: " + name + " "
	_, after, ok := strings.Cut(string(doc), marker)
	if !ok {
		t.Fatalf("docs/activities.md has no %q marker", marker)
	}
	_, block, ok := strings.Cut(after, "```sh\n")
	if !ok {
		t.Fatalf("docs/activities.md: no sh block after %q", marker)
	}
	block, _, ok = strings.Cut(block, "```")
	if !ok {
		t.Fatalf("docs/activities.md: the sh block after %q does not end", marker)
	}
	var cmds []string
	sc := bufio.NewScanner(strings.NewReader(block))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			cmds = append(cmds, strings.ReplaceAll(line, checkoutPlaceholder, root))
		}
	}
	return cmds
}

// runDocCommand runs one command of docs/activities.md in dir, as a shell
// would for these simple lines: "a && b" runs a then b, "cp" and "cd" are
// done here, "go" is the go command, with env added to its environment.
// It returns the folder that later commands run in.
func runDocCommand(t *testing.T, dir, line string, env ...string) string {
	t.Helper()
	for part := range strings.SplitSeq(line, "&&") {
		args := strings.Fields(part)
		switch {
		case len(args) == 2 && args[0] == "cd":
			dir = filepath.Join(dir, args[1])
		case len(args) == 4 && args[0] == "cp" && args[1] == "-R":
			if err := os.CopyFS(filepath.Join(dir, args[3]), os.DirFS(args[2])); err != nil {
				t.Fatalf("%s: %v", part, err)
			}
		case len(args) > 1 && args[0] == "go":
			cmd := exec.Command("go", args[1:]...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("in %s, %s: %v\n%s", dir, strings.TrimSpace(part), err, out)
			}
		default:
			t.Fatalf("docs/activities.md: %q is not a command this test knows how to run", strings.TrimSpace(part))
		}
	}
	return dir
}

// TestCustomBinaryOutsideRepo builds a custom dslrun binary in a folder
// outside the repository, with exactly the commands docs/activities.md
// gives, both ways it gives them: from a fresh folder holding only Go code
// (go mod init, a require and replace of the checkout, go build), and
// from a copy of examples/custom-binary with its replace pointed at the
// checkout. Each binary lists the acme activities and validates the
// example against their schemas (TestCustomBinary runs the example).
func TestCustomBinaryOutsideRepo(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("building a custom binary needs the go command: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	example := filepath.Join(root, "examples", "custom-binary")

	check := func(t *testing.T, bin, report string) {
		t.Helper()
		p := startProc(t, bin, nil, "activities")
		if code := p.wait(t, hangBound); code != 0 {
			t.Fatalf("activities exited %d:\n%s", code, p.output())
		}
		for _, name := range []string{"acme.slug", "acme.wordcount", "echo"} {
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` `).MatchString(p.stdout()) {
				t.Errorf("activities does not list %s:\n%s", name, p.stdout())
			}
		}
		// The stock binary warns about the acme activities; this one knows them.
		p = startProc(t, bin, nil, "validate", report)
		if code := p.wait(t, hangBound); code != 0 || p.stdout()+p.stderr() != "ok  "+report+" (acme-report)\n" {
			t.Errorf("validate %s exited %d and printed %q, want 0 and only its ok line", report, code, p.stdout()+p.stderr())
		}
	}

	t.Run("fresh folder", func(t *testing.T) {
		cmds := docBuildCommands(t, "fresh", root)
		if len(cmds) == 0 || len(cmds) > 3 {
			t.Fatalf("docs/activities.md gives %d commands for a fresh folder, want 1 to 3: %q", len(cmds), cmds)
		}
		// The reader's code: the example's bundle, and a main that imports it
		// under the module path of the doc's go mod init.
		m := regexp.MustCompile(`^go mod init (\S+)$`).FindStringSubmatch(cmds[0])
		if m == nil {
			t.Fatalf("the first command is %q, want go mod init MODULE", cmds[0])
		}
		dir := filepath.Join(t.TempDir(), "my-dslrun")
		if err := os.CopyFS(filepath.Join(dir, "acme"), os.DirFS(filepath.Join(example, "acme"))); err != nil {
			t.Fatal(err)
		}
		main, err := os.ReadFile(filepath.Join(example, "main.go"))
		if err != nil {
			t.Fatal(err)
		}
		main = []byte(strings.Replace(string(main), `"github.com/dslrun/dslrun/examples/custom-binary/acme"`, `"`+m[1]+`/acme"`, 1))
		writeTestFile(t, filepath.Join(dir, "main.go"), string(main))

		// go build -mod=mod writes go.sum lines for modules that the
		// module cache holds (the main module's build fetched them, checked
		// against its go.sum); the checksum database would only be asked
		// to confirm them, and may be out of reach.
		for _, c := range cmds {
			dir = runDocCommand(t, dir, c, "GOSUMDB=off")
		}
		out := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(cmds[len(cmds)-1])
		if out == nil {
			t.Fatalf("the last command is %q, want go build ... -o BINARY", cmds[len(cmds)-1])
		}
		check(t, filepath.Join(dir, out[1]), filepath.Join(example, "report.yaml"))
	})

	t.Run("copy of the example", func(t *testing.T) {
		cmds := docBuildCommands(t, "copy", root)
		if len(cmds) == 0 || len(cmds) > 3 {
			t.Fatalf("docs/activities.md gives %d commands for a copy of the example, want 1 to 3: %q", len(cmds), cmds)
		}
		dir := t.TempDir()
		for _, c := range cmds {
			dir = runDocCommand(t, dir, c)
		}
		if strings.HasPrefix(dir, root+string(filepath.Separator)) {
			t.Fatalf("the commands built in %s, want a folder outside the repository", dir)
		}
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		if want := "replace github.com/dslrun/dslrun => " + root + "\n"; !strings.Contains(string(mod), want) {
			t.Errorf("go.mod of the copy does not have %q:\n%s", want, mod)
		}
		out := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(cmds[len(cmds)-1])
		if out == nil {
			t.Fatalf("the last command is %q, want go build ... -o BINARY", cmds[len(cmds)-1])
		}
		check(t, filepath.Join(dir, out[1]), filepath.Join(dir, "report.yaml"))
	})
}
