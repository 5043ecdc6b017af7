package dslruncmd_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	dslruncmd "github.com/dslrun/dslrun/cmd"
)

// customBinaryDir is the example of a custom dslrun binary: a module of its
// own whose main blank-imports an activity bundle and calls dslruncmd.Main.
const customBinaryDir = "../examples/custom-binary"

// buildCustomBinary builds examples/custom-binary with -tags noserver (no
// embedded server: a small binary and a quick link) into a temporary folder.
func buildCustomBinary(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building the custom binary needs the go command: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "acme-dslrun")
	cmd := exec.Command(goBin, "build", "-tags", "noserver", "-o", bin, ".")
	cmd.Dir = customBinaryDir
	if out, err := cmd.CombinedOutput(); err != nil {
		// A dependency bumped in the main module and not in the example's
		// go.mod and go.sum shows here: run go mod tidy in the example.
		t.Fatalf("go build in %s: %v\n%s(after a dependency change in go.mod: cd %s && go mod tidy)", customBinaryDir, err, out, strings.TrimPrefix(customBinaryDir, "../"))
	}
	return bin
}

// TestCustomBinary builds the custom binary of examples/custom-binary and
// checks that its activity bundle is part of every command: activities
// lists it, validate checks with: against its schemas, and a worker of the
// binary runs the example's workflow, including a local activity and a
// retried activity that resumes from its last heartbeat.
func TestCustomBinary(t *testing.T) {
	t.Parallel()
	bin := buildCustomBinary(t)

	t.Run("activities", func(t *testing.T) {
		p := startProc(t, bin, nil, "activities")
		if code := p.wait(t, hangBound); code != 0 {
			t.Fatalf("activities exited %d:\n%s", code, p.output())
		}
		for _, name := range []string{"acme.slug", "acme.wordcount", "echo"} {
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` `).MatchString(p.stdout()) {
				t.Errorf("activities does not list %s:\n%s", name, p.stdout())
			}
		}
	})

	t.Run("validate", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"bad.yaml": `dsl: v1
name: bad
steps:
  - activity: acme.wordcount
    with:
      lines: [one two]
      crashAftr: 1
  - activity: acme.slug
    local: true
    with: {text: 3}
`})
		bad := filepath.Join(dir, "bad.yaml")
		p := startProc(t, bin, nil, "validate", bad)
		if code := p.wait(t, hangBound); code != dslruncmd.ExitFailure {
			t.Fatalf("validate exited %d, want %d:\n%s", code, dslruncmd.ExitFailure, p.output())
		}
		want := bad + `:7:18: steps[0].with.crashAftr: unknown property "crashAftr" (did you mean "crashAfter"?) (input of activity "acme.wordcount")
` + bad + `:10:18: steps[1].with.text: expected string, got integer (input of activity "acme.slug")
1 of 1 files invalid
`
		if got := p.stdout() + p.stderr(); got != want {
			t.Errorf("validate printed\n%s\nwant\n%s", got, want)
		}

		// The stock command tree, without the bundle, cannot check these
		// with: values: it accepts the file, warning that it does not know
		// the activities.
		var stdout, stderr bytes.Buffer
		code := dslruncmd.Run(dslruncmd.Options{Args: []string{"validate", bad}, Stdout: &stdout, Stderr: &stderr, LookupEnv: noEnv})
		out := stdout.String() + stderr.String()
		if code != dslruncmd.ExitOK || strings.Contains(out, "crashAftr") || !strings.Contains(out, `"acme.wordcount" is not registered`) {
			t.Errorf("stock validate exited %d, want 0 with a warning about the unknown acme.wordcount and nothing about its with::\n%s", code, out)
		}

		// The example itself is clean for the custom binary: no warnings.
		report := filepath.Join(customBinaryDir, "report.yaml")
		p = startProc(t, bin, nil, "validate", report)
		if code := p.wait(t, hangBound); code != 0 || p.stdout()+p.stderr() != "ok  "+report+" (acme-report)\n" {
			t.Errorf("validate %s exited %d and printed %q, want 0 and only its ok line", report, code, p.stdout()+p.stderr())
		}
	})

	t.Run("run", func(t *testing.T) {
		addr := sharedServer(t)
		queue := "custom-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		worker := startProc(t, bin, nil, "worker", "--dir", customBinaryDir, "--address", addr, "--task-queue", queue)
		// apply needs no wait for the worker: the run's tasks wait on the
		// queue until the worker polls it.
		input := `{"title": "Quarterly Report, Q3!", "lines": ["to be or not to be", "that is the question", "whether tis nobler"], "crashAfter": 2}`
		a := startProc(t, bin, nil, "apply", filepath.Join(customBinaryDir, "report.yaml"),
			"--address", addr, "--task-queue", queue, "-o", "json", "--input", input)
		if code := a.wait(t, hangBound); code != 0 {
			t.Fatalf("apply exited %d:\n%s\nworker:\n%s", code, a.output(), worker.output())
		}
		var res struct {
			Status string
			Result struct {
				File      string
				Words     int
				Attempt   int
				ResumedAt int
			}
		}
		if err := json.Unmarshal([]byte(a.stdout()), &res); err != nil {
			t.Fatalf("apply -o json printed %q: %v", a.stdout(), err)
		}
		if res.Status != "completed" {
			t.Fatalf("status %q, want completed:\n%s", res.Status, a.output())
		}
		r := res.Result
		if r.File != "quarterly-report-q3.txt" {
			t.Errorf("file %q, want quarterly-report-q3.txt (from the local activity acme.slug)", r.File)
		}
		if r.Words != 13 {
			t.Errorf("words %d, want 13", r.Words)
		}
		// The first attempt failed after line 2. Only the first heartbeat
		// of an attempt is sure to reach the server before it fails (the
		// SDK batches the later ones), so the second attempt resumes at
		// line 1 or 2, never at 0.
		if r.Attempt != 2 || r.ResumedAt < 1 || r.ResumedAt > 2 {
			t.Errorf("attempt %d resumed at line %d, want attempt 2 resuming at line 1 or 2 from its heartbeat", r.Attempt, r.ResumedAt)
		}

		worker.signal(t, syscall.SIGTERM)
		if code := worker.wait(t, hangBound); code != 0 {
			t.Errorf("worker exited %d after SIGTERM, want 0:\n%s", code, worker.output())
		}
		if !strings.Contains(worker.output(), "acme-report") {
			t.Errorf("worker did not list the definition acme-report it serves:\n%s", worker.output())
		}
	})
}

// noEnv is an empty environment, so no Temporal settings of the machine
// running the tests leak in.
func noEnv(string) (string, bool) { return "", false }
