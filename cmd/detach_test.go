package dslruncmd_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestApplySecondInterruptDetaches: the first Ctrl-C asks Temporal to
// cancel the run; when its cleanup (a finally that waits for a signal) keeps
// it open, a second Ctrl-C stops waiting, says the run is still cancelling
// and exits 5; describe then shows the run still running.
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
	// The run is indeed still open, in its cleanup; terminate it so that
	// nothing is left running on the shared server.
	if code, stdout, stderr := run("describe", "--address", addr, "-o", "json", id); code != 0 || !strings.Contains(stdout, `"status": "running"`) {
		t.Errorf("describe after detaching exited %d, want a running run:\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := run("terminate", "--address", addr, id); code != 0 {
		t.Errorf("terminate exited %d: %s", code, stderr)
	}
}
