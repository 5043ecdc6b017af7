package dslruncmd_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	dslruncmd "github.com/dslrun/dslrun/cmd"
	"github.com/dslrun/dslrun/interpreter"
)

// processCPU returns the CPU time this process has used so far, from
// /proc/self/stat (utime and stime, in clock ticks of 1/100 s).
func processCPU(t *testing.T) time.Duration {
	t.Helper()
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skipf("no /proc/self/stat: %v", err)
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14 and stime 15.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("cannot read /proc/self/stat: %q", b)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// TestBusyLoopOfCoroutinesFails (issue 11, case 1): a while loop around a
// forEach of set steps never waits. It used to spin in its first workflow
// task forever (the task timed out every 10 s, nothing recorded, and the
// worker's goroutine kept burning a core after the run was terminated).
// Now apply reports the run failed with dslrun.LimitExceeded, and once it
// has returned the process is idle. With -record the history, which
// records the version marker of the new count, is written for the
// interpreter's replay test.
func TestBusyLoopOfCoroutinesFails(t *testing.T) {
	addr := sharedServer(t)
	dir := writeFiles(t, map[string]string{"while-fe.yaml": `dsl: v1
name: while-fe
state: {n: 0}
steps:
  - while: true
    do:
      - forEach: "${ [1, 2] }"
        concurrency: 2
        do: [{set: {n: "${ state.n + 1 }"}}]
`})
	conn := []string{"--address", addr}
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, stdout, stderr := run(append([]string{"apply", filepath.Join(dir, "while-fe.yaml"), "--worker", "--task-queue", "q-while-fe", "--id", "while-fe"}, conn...)...)
		done <- result{code, stdout, stderr}
	}()
	var res result
	select {
	case res = <-done:
	case <-time.After(hangBound): // a bound against a hang (the old behaviour)
		t.Fatal("apply of a busy loop did not end: the run spins")
	}
	if res.code != dslruncmd.ExitFailure || !strings.Contains(res.stderr, interpreter.LimitExceededType) || !strings.Contains(res.stderr, "without waiting once") {
		t.Fatalf("apply exited %d, want 1 with %s\n%s%s", res.code, interpreter.LimitExceededType, res.stdout, res.stderr)
	}

	// Failed in its first workflow task: one task, no retries of it.
	hist := replayJSON(t, mustRun(t, dslruncmd.ExitOK, append([]string{"history", "while-fe", "-o", "json"}, conn...)...))
	tasks, marker := 0, false
	for _, e := range hist.GetEvents() {
		if e.GetWorkflowTaskStartedEventAttributes() != nil {
			tasks++
		}
		if a := e.GetMarkerRecordedEventAttributes(); a != nil && a.GetMarkerName() == "Version" {
			marker = true
		}
	}
	if tasks != 1 || !marker {
		t.Errorf("%d workflow tasks, version marker %v: want 1 task and a marker", tasks, marker)
	}
	if *record {
		h := mustRun(t, dslruncmd.ExitOK, append([]string{"history", "while-fe", "-o", "json"}, conn...)...)
		if err := os.WriteFile(filepath.Join(historiesDir, "busy-limit.json"), []byte(h), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Idle afterwards: over two seconds the process (its shared server
	// included) uses well under half a core; a spinning workflow
	// goroutine would use a whole one.
	const window = 2 * time.Second
	before := processCPU(t)
	time.Sleep(window) // a measurement window, not a synchronisation
	used := processCPU(t) - before
	t.Logf("CPU used in the %v after the run failed: %v", window, used)
	if used > window/2 {
		t.Errorf("the process used %v of CPU in %v after the run failed: something still spins", used, window)
	}
}

// TestOversizedPayloadFails (issue 11, case 2): an activity input over
// Temporal's 2 MiB payload limit, built by an expression, used to leave the
// run running forever, its workflow task failing on every attempt with
// nothing printed. apply now reports the run failed with
// dslrun.PayloadTooLarge naming the step and the size. With -record the
// history (the version marker of the check, then the failure) is written
// for the interpreter's replay test.
func TestOversizedPayloadFails(t *testing.T) {
	addr := sharedServer(t)
	dir := writeFiles(t, map[string]string{"big.yaml": `dsl: v1
name: big
steps:
  - activity: echo
    with: "${ map(1..3, repeat('x', 1000000)) }"
`})
	conn := []string{"--address", addr}
	code, stdout, stderr := run(append([]string{"apply", filepath.Join(dir, "big.yaml"), "--worker", "--task-queue", "q-big", "--id", "payload-limit"}, conn...)...)
	want := `big.yaml:4:5: dslrun.PayloadTooLarge: steps[0]: the input of activity "echo" is 3000010 bytes as JSON, over the payload limit of 2096128 bytes`
	if code != dslruncmd.ExitFailure || !strings.Contains(stderr, want) {
		t.Fatalf("apply exited %d, want 1 with %q\n%s%s", code, want, stdout, stderr)
	}
	h := mustRun(t, dslruncmd.ExitOK, append([]string{"history", "payload-limit", "-o", "json"}, conn...)...)
	replayJSON(t, h)
	if *record {
		if err := os.WriteFile(filepath.Join(historiesDir, "payload-limit.json"), []byte(h), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestApplyShowsFailingWorkflowTasks (issue 11): a run whose workflow task
// fails on every attempt shows as running, and apply used to print
// nothing. It now prints each failed attempt with the failure recorded in
// history. Here the worker of the run's type panics; the run is terminated
// once apply has said so.
func TestApplyShowsFailingWorkflowTasks(t *testing.T) {
	addr := sharedServer(t)
	const queue = "q-wft-fails"
	c := dial(t, addr)
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(func(workflow.Context, any, any) error {
		panic("the worker cannot run this")
	}, workflow.RegisterOptions{Name: "wft-fails"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	dir := writeFiles(t, map[string]string{"wft-fails.yaml": "dsl: v1\nname: wft-fails\nsteps:\n  - set: {x: 1}\n"})

	const want = "  workflow task: attempt 1 failed: WorkflowWorkerUnhandledFailure: the worker cannot run this; the run makes no progress until one succeeds\n"
	seen := make(chan struct{})
	stderr := &watchWriter{want: want, seen: seen}
	done := make(chan int, 1)
	go func() {
		done <- dslruncmd.Run(dslruncmd.Options{
			Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: stderr,
			Args:      []string{"apply", filepath.Join(dir, "wft-fails.yaml"), "--address", addr, "--task-queue", queue, "--id", "wft-fails"},
			LookupEnv: func(string) (string, bool) { return "", false },
		})
	}()
	select {
	case <-seen:
	case <-time.After(hangBound): // a bound against a hang: the assertion below then fails
	}
	// describe says so too, once the server retries the task (attempt 2).
	var desc string
	for deadline := time.Now().Add(hangBound); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		_, desc, _ = run("describe", "--address", addr, "wft-fails")
		if strings.Contains(desc, "workflow task") {
			break
		}
	}
	if !regexp.MustCompile(`(?m)^workflow task +failing, attempt \d+: WorkflowWorkerUnhandledFailure: the worker cannot run this \(no progress until one succeeds\)$`).MatchString(desc) {
		t.Errorf("describe does not show the failing workflow task:\n%s", desc)
	}
	if err := c.TerminateWorkflow(context.Background(), "wft-fails", "", "test over"); err != nil {
		t.Fatal(err)
	}
	<-done
	if out := stderr.String(); !strings.Contains(out, want) {
		t.Errorf("apply's stderr lacks %q:\n%s", want, out)
	}
}

// TestActivityTypeTooLongFails (issue 11, case 5): an activity type taken
// from input that no worker serves fails the step with
// dslrun.UnknownActivity, also when it is longer than the server accepts:
// that one used to fail the workflow task on every attempt
// (BadScheduleActivityAttributes), and the run hung.
func TestActivityTypeTooLongFails(t *testing.T) {
	addr := sharedServer(t)
	dir := writeFiles(t, map[string]string{"chosen.yaml": "dsl: v1\nname: chosen\nsteps:\n  - activity: ${ input.act }\n"})
	for _, tc := range []struct{ name, act, want string }{
		{"unknown", "nope", `activity "nope" is not registered on task queue "q-chosen"`},
		{"too long", strings.Repeat("x", 1001), "the activity type is 1001 bytes long, over Temporal's limit of 1000: no worker can serve it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type result struct {
				code   int
				stderr string
			}
			done := make(chan result, 1)
			go func() {
				code, _, stderr := run("apply", filepath.Join(dir, "chosen.yaml"), "--address", addr, "--worker", "--task-queue", "q-chosen",
					"--input", `{"act": "`+tc.act+`"}`)
				done <- result{code, stderr}
			}()
			select {
			case res := <-done:
				if res.code != dslruncmd.ExitFailure || !strings.Contains(res.stderr, "dslrun.UnknownActivity") || !strings.Contains(res.stderr, tc.want) {
					t.Errorf("apply exited %d, want 1 with dslrun.UnknownActivity and %q:\n%s", res.code, tc.want, res.stderr)
				}
			case <-time.After(hangBound): // a bound against a hang (the old behaviour)
				t.Fatal("apply did not end: the run hangs")
			}
		})
	}
}
