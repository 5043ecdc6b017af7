package dslruncmd_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"go.temporal.io/sdk/temporal"
)

// TestApplySecondInterruptDetaches: the first Ctrl-C asks Temporal to
// cancel the run; when its cleanup (a finally that waits for a signal) keeps
// it open, a second Ctrl-C stops waiting, says the run is still cancelling
// and exits 5; describe then shows the run still running, and a worker
// started later finishes the cleanup.
func TestApplySecondInterruptDetaches(t *testing.T) {
	addr := sharedServer(t)
	dir := t.TempDir()
	def := filepath.Join(dir, "detach.yaml")
	src := `dsl: v1
name: detach
state: {release: false}
signals: {release: {set: {release: true}}}
steps:
  - try:
      - sleep: 1h
    finally:
      - await: "${ state.release }"
`
	if err := os.WriteFile(def, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	id := "detach-" + strings.ReplaceAll(t.Name(), "/", "-")
	p := startDslrun(t, nil, "apply", "--address", addr, "--worker", "--task-queue", id, "--id", id, def)
	p.waitOutput(t, regexp.MustCompile(`steps\[0\]\.try\[0\]`), hangBound)
	p.signal(t, syscall.SIGINT)
	p.waitOutput(t, regexp.MustCompile(`cancelling `+id), hangBound)
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t, hangBound); code != 5 {
		t.Fatalf("apply exited %d after the second Ctrl-C, want 5 (detached):\n%s", code, p.output())
	}
	if !strings.Contains(p.stderr(), "stopped waiting: "+id+" is still open, cancellation requested") {
		t.Errorf("the second Ctrl-C does not say the run is still cancelling:\n%s", p.output())
	}
	// The run is indeed still open, in its cleanup.
	if code, stdout, stderr := run("describe", "--address", addr, "-o", "json", id); code != 0 || !strings.Contains(stdout, `"status": "running"`) {
		t.Errorf("describe after detaching exited %d, want a running run:\n%s%s", code, stdout, stderr)
	}
	// Nothing is lost with the apply process: a worker started later on
	// the task queue runs the rest of the cleanup once it is released, and
	// the run ends cancelled.
	w := startDslrun(t, nil, "worker", "--address", addr, "--task-queue", id, "--dir", dir)
	w.waitOutput(t, regexp.MustCompile(`press Ctrl-C`), hangBound)
	if code, _, stderr := run("signal", "--address", addr, id, "release"); code != 0 {
		t.Fatalf("signal exited %d: %s", code, stderr)
	}
	c := dial(t, addr)
	ctx := testContext(t, hangBound)
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, nil); !temporal.IsCanceledError(err) {
		t.Errorf("the run after its cleanup: %v, want cancelled\n%s", err, w.output())
	}
	w.signal(t, syscall.SIGTERM)
	if code := w.wait(t, hangBound); code != 0 {
		t.Errorf("worker exited %d after SIGTERM:\n%s", code, w.output())
	}
}
