package dslruncmd_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/activities/shell"
	dslruncmd "github.com/dslrun/dslrun/cmd"
)

const shellDefinition = `dsl: v1
name: shell-steps
steps:
  - id: greet
    activity: shell
    with: {command: [echo, hello]}
  - try:
      - activity: shell
        with: {command: "echo broken >&2; exit 4", shell: true}
        retry: {maximumAttempts: 1}
    catch:
      - types: [ShellExit]
        do:
          - return: {greeting: "${ steps.greet.result.stdout }", code: "${ error.details.exitCode }", stderr: "${ error.details.stderr }"}
`

// TestShellOffByDefault: without --allow-shell, validate warns at the step
// and says to pass the flag, activities says OFF, and apply's run fails at
// the first shell step, non-retryably, with dslrun.ShellDisabled.
func TestShellOffByDefault(t *testing.T) {
	dir := writeFiles(t, map[string]string{"shell.yaml": shellDefinition})
	file := filepath.Join(dir, "shell.yaml")
	code, stdout, stderr := run("validate", file)
	if code != 0 {
		t.Fatalf("validate exited %d\n%s%s", code, stdout, stderr)
	}
	if want := "shell.yaml:4:5: steps[0]: warning: the shell activity is off: pass --allow-shell"; !strings.Contains(stdout, want) {
		t.Errorf("validate's stdout lacks %q:\n%s", want, stdout)
	}
	_, stdout, _ = run("activities")
	if !strings.Contains(stdout, shell.DisabledSummary) {
		t.Errorf("activities does not say the shell is off:\n%s", stdout)
	}
	code, stdout, stderr = run("apply", file, "--address", sharedServer(t), "--worker", "--task-queue", "q-shell-off", "--id", "shell-off")
	if code != dslruncmd.ExitFailure {
		t.Fatalf("apply exited %d, want 1\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"shell.yaml:4:5: " + shell.DisabledErrorType + ": steps[0]",
		"start the worker (dslrun worker, dev or apply) with --allow-shell to run commands (non-retryable)",
		"activity shell failed (nonretryablefailure)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("apply's stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestShellAllowed: with --allow-shell the steps run on the embedded
// server's worker, and a non-zero exit is caught as ShellExit with its exit
// code and stderr.
func TestShellAllowed(t *testing.T) {
	dir := writeFiles(t, map[string]string{"shell.yaml": shellDefinition})
	file := filepath.Join(dir, "shell.yaml")
	code, stdout, stderr := run("validate", "--allow-shell", file)
	if code != 0 || strings.Contains(stderr, "warning") {
		t.Fatalf("validate --allow-shell exited %d\n%s%s", code, stdout, stderr)
	}
	_, stdout, _ = run("activities", "--allow-shell")
	if !strings.Contains(stdout, shell.Spec().Summary) {
		t.Errorf("activities --allow-shell does not list the shell:\n%s", stdout)
	}
	code, stdout, stderr = run("apply", file, "--allow-shell", "--address", sharedServer(t), "--worker", "--task-queue", "q-shell-on", "--id", "shell-on", "-q")
	if code != 0 {
		t.Fatalf("apply exited %d\n%s%s", code, stdout, stderr)
	}
	wantJSON(t, stdout, `{"greeting": "hello\n", "code": 4, "stderr": "broken\n"}`)
}

// TestShellFlagOnEveryWorkerCommand: the commands that run a worker, and
// those that check or list activities as it would, take --allow-shell.
func TestShellFlagOnEveryWorkerCommand(t *testing.T) {
	for _, command := range []string{"worker", "dev", "apply", "validate", "activities"} {
		code, stdout, stderr := run(command, "--help")
		if code != 0 || !strings.Contains(stdout, "--allow-shell") {
			t.Errorf("%s --help (exit %d) does not list --allow-shell:\n%s%s", command, code, stdout, stderr)
		}
	}
}
