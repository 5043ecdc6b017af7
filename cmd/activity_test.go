package dslruncmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/dslrun/dslrun/activities"
	dslruncmd "github.com/dslrun/dslrun/cmd"
	"github.com/dslrun/dslrun/interpreter"
)

// TestActivityUsageErrors checks that dslrun activity refuses flags that
// do not name one activity, one way, before it dials anything.
func TestActivityUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"activity", "complete", "--result", "1"}, "dslrun: name the activity: --workflow-id and --activity-id, or --task-token"},
		{[]string{"activity", "complete", "-w", "x", "--result", "1"}, "dslrun: --workflow-id needs --activity-id (dslrun describe x lists the pending activities)"},
		{[]string{"activity", "fail", "--activity-id", "5"}, "dslrun: --activity-id needs --workflow-id"},
		{[]string{"activity", "heartbeat", "--task-token", "AAAA", "-w", "x"}, "dslrun: --task-token names the activity alone: drop --workflow-id, --run-id and --activity-id"},
		{[]string{"activity", "heartbeat", "--task-token", "not base64!"}, "dslrun: --task-token: not base64"},
		{[]string{"activity", "complete", "-w", "x", "--activity-id", "5"}, "dslrun: --result is required: the activity's result as JSON (null for none)"},
		{[]string{"activity", "complete", "-w", "x", "--activity-id", "5", "--result", "{"}, "dslrun: --result: not valid JSON: unexpected EOF"},
		{[]string{"activity", "fail", "-w", "x", "--activity-id", "5", "--detail", "nope"}, "dslrun: --details: not valid JSON: invalid character 'o' in literal null (expecting 'u')"},
		{[]string{"activity", "complete", "x", "--result", "1"}, `dslrun: unknown command "x" for "dslrun activity complete"`},
		{[]string{"activity", "fail", "-w", "x", "--activity-id", "5", "-o", "yaml"}, `dslrun: --output must be text or json, not "yaml"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := run(tt.args...)
			if code != dslruncmd.ExitUsage {
				t.Errorf("exit code %d, want %d (stderr %q)", code, dslruncmd.ExitUsage, stderr)
			}
			if got, _, _ := strings.Cut(stderr, "\n"); got != tt.want {
				t.Errorf("stderr\n got %q\nwant %q", got, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

// TestActivityNeedsAServer: like the other operations commands, activity
// never starts the embedded server.
func TestActivityNeedsAServer(t *testing.T) {
	code, _, stderr := run("activity", "complete", "-w", "x", "--activity-id", "5", "--result", "1")
	if code != dslruncmd.ExitFailure || !strings.Contains(stderr, "no Temporal address is configured") {
		t.Errorf("exit %d, stderr %q; want 1 and the missing address", code, stderr)
	}
}

// pendingActivity is one entry of describe -o json's pendingActivities.
type pendingActivity struct {
	ActivityID string `json:"activityId"`
	Type       string `json:"type"`
	State      string `json:"state"`
	Attempt    int    `json:"attempt"`
	// Set by describe when the activity heartbeats.
	HeartbeatDetails json.RawMessage `json:"heartbeatDetails"`
}

// waitPending waits until run id has a started pending activity of type
// typ whose heartbeat (activities.Pending's) is recorded, and returns it.
// It polls describe: the start of an activity that has not closed is not
// in the history.
func waitPending(t *testing.T, conn []string, id, typ string) pendingActivity {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		code, stdout, _ := run(append([]string{"describe", id, "-o", "json"}, conn...)...)
		if code == dslruncmd.ExitOK {
			var d struct {
				Status            string            `json:"status"`
				PendingActivities []pendingActivity `json:"pendingActivities"`
			}
			if err := json.Unmarshal([]byte(stdout), &d); err != nil {
				t.Fatalf("describe -o json: %v\n%s", err, stdout)
			}
			if d.Status != "running" {
				t.Fatalf("%s is %s, want running with a pending %s", id, d.Status, typ)
			}
			for _, a := range d.PendingActivities {
				if a.Type == typ && a.State == "started" && len(a.HeartbeatDetails) > 0 {
					return a
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no started %s activity with a heartbeat after a minute:\n%s", id, typ, stdout)
		}
		time.Sleep(wait)
	}
}

// startApproval starts examples/async-approval.yaml detached on queue,
// served by an in-process worker, and waits until its external.wait is
// pending.
func startApproval(t *testing.T, conn []string, queue, id string) pendingActivity {
	t.Helper()
	path := filepath.Join("..", "examples", "async-approval.yaml")
	mustRun(t, dslruncmd.ExitOK, append([]string{"apply", path, "--detach", "--id", id, "--task-queue", queue,
		"--input", `{"order": "A-42", "amount": 120}`}, conn...)...)
	return waitPending(t, conn, id, "external.wait")
}

// TestActivityCompleteFailHeartbeat drives examples/async-approval.yaml on
// the shared server: completed by workflow and activity id, the run ends
// with the completer's value; failed, the run fails with the reason; by
// the task token from the heartbeat details, heartbeat and complete work
// too.
func TestActivityCompleteFailHeartbeat(t *testing.T) {
	addr := sharedServer(t)
	conn := []string{"--address", addr}
	queue := "q-activity-cmd"
	startWorker(t, addr, queue, nil)

	t.Run("complete", func(t *testing.T) {
		id := "activity-complete"
		a := startApproval(t, conn, queue, id)
		if a.ActivityID != "approval" {
			t.Errorf("activity id %q, want the step's activityId, approval", a.ActivityID)
		}
		var task activities.PendingTask
		if err := json.Unmarshal(a.HeartbeatDetails, &task); err != nil || task.ActivityID != a.ActivityID || task.WorkflowID != id {
			t.Errorf("heartbeat details %s (%v), want the PendingTask of activity %s", a.HeartbeatDetails, err, a.ActivityID)
		}
		desc := mustRun(t, dslruncmd.ExitOK, append([]string{"describe", id}, conn...)...)
		for _, want := range []string{
			"pending activities\n  external.wait (id " + a.ActivityID + ", step approval, started, attempt 1 of 1)\n    last heartbeat: ",
			`    heartbeat details: {"workflowId":"` + id + `","runId":"`,
			`"details":{"message":"approve the refund of 120 for order A-42","data":{"amount":120,"order":"A-42"}}}`,
		} {
			if !strings.Contains(desc, want) {
				t.Errorf("describe lacks %q:\n%s", want, desc)
			}
		}
		out := mustRun(t, dslruncmd.ExitOK, append([]string{"activity", "complete", "-w", id, "--activity-id", a.ActivityID,
			"--result", `{"approved": true, "by": "ops"}`, "-o", "json"}, conn...)...)
		var got map[string]string
		if err := json.Unmarshal([]byte(out), &got); err != nil || got["status"] != "completed" || got["activityId"] != a.ActivityID {
			t.Errorf("activity complete -o json printed %q (%v)", out, err)
		}
		res := mustRun(t, dslruncmd.ExitOK, append([]string{"result", id}, conn...)...)
		wantJSON(t, res, `{"by": "ops", "order": "A-42", "status": "approved"}`)
		// Once closed, the activity cannot be completed again.
		code, _, stderr := run(append([]string{"activity", "complete", "-w", id, "--activity-id", a.ActivityID, "--result", "1"}, conn...)...)
		if code != dslruncmd.ExitFailure || !strings.Contains(stderr, `activity complete: activity "`+a.ActivityID+`" of workflow "`+id+`" is not pending`) {
			t.Errorf("second complete: exit %d, stderr %q", code, stderr)
		}
	})

	t.Run("fail", func(t *testing.T) {
		id := "activity-fail"
		a := startApproval(t, conn, queue, id)
		out := mustRun(t, dslruncmd.ExitOK, append([]string{"activity", "fail", "-w", id, "--activity-id", a.ActivityID,
			"--reason", "over budget", "--details", `{"limit": 100}`}, conn...)...)
		if want := "failed activity " + a.ActivityID + " of " + id + "\n"; out != want {
			t.Errorf("activity fail printed %q, want %q", out, want)
		}
		code, _, stderr := run(append([]string{"result", id}, conn...)...)
		if code != dslruncmd.ExitFailure || !strings.Contains(stderr, "over budget") || !strings.Contains(stderr, dslruncmd.ExternalFailureType) {
			t.Errorf("result: exit %d, stderr %q; want 1, the reason and the type", code, stderr)
		}
	})

	t.Run("task token", func(t *testing.T) {
		id := "activity-token"
		a := startApproval(t, conn, queue, id)
		var task activities.PendingTask
		if err := json.Unmarshal(a.HeartbeatDetails, &task); err != nil || task.TaskToken == "" {
			t.Fatalf("heartbeat details %s (%v): no task token", a.HeartbeatDetails, err)
		}
		out := mustRun(t, dslruncmd.ExitOK, append([]string{"activity", "heartbeat", "--task-token", task.TaskToken,
			"--details", `{"seen": true}`}, conn...)...)
		if out != "heartbeat recorded for the activity of the task token\n" {
			t.Errorf("heartbeat printed %q", out)
		}
		mustRun(t, dslruncmd.ExitOK, append([]string{"activity", "complete", "--task-token", task.TaskToken,
			"--result", `{"approved": false}`}, conn...)...)
		res := mustRun(t, dslruncmd.ExitOK, append([]string{"result", id}, conn...)...)
		wantJSON(t, res, `{"by": "someone", "order": "A-42", "status": "rejected"}`)
	})
}

// TestApplyUnknownActivity: a misspelt activity name fails the run at
// once with dslrun.UnknownActivity (no retries), and apply exits 1 naming
// it with a did-you-mean.
func TestApplyUnknownActivity(t *testing.T) {
	addr := sharedServer(t)
	dir := writeFiles(t, map[string]string{"typo.yaml": `dsl: v1
name: typo
steps:
  - id: greet
    activity: echoo
    with: {greeting: hi}
`})
	queue := "q-unknown-activity"
	code, stdout, stderr := run("apply", filepath.Join(dir, "typo.yaml"), "--address", addr, "--worker", "--task-queue", queue, "--id", "unknown-activity")
	if code != dslruncmd.ExitFailure {
		t.Fatalf("apply exited %d, want 1\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		`typo.yaml:5:15: steps[0].activity: warning: activity "echoo" is not registered (did you mean "echo"?)`,
		activities.UnknownActivityType, `activity "echoo" is not registered on task queue "` + queue + `" (did you mean "echo"?)`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("apply's stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// wantJSON compares two JSON documents by value.
func wantJSON(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("not JSON: %q (%v)", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("got %s, want %s", gb, wb)
	}
}

// TestApplyShowsRetries: apply's progress reports an activity's failed
// attempts as they happen (they are not in the history), with the step,
// the failure and the time to the next attempt. The second attempt waits
// until apply has printed the first one's failure.
func TestApplyShowsRetries(t *testing.T) {
	addr := sharedServer(t)
	const queue = "q-retries"
	release := make(chan struct{})
	reg := activities.NewRegistry()
	err := reg.Register(activities.Spec{Name: "flaky"}, func(ctx context.Context, _ any) (string, error) {
		if activity.GetInfo(ctx).Attempt == 1 {
			return "", temporal.NewApplicationError("card declined", "Declined")
		}
		select {
		case <-release:
			return "charged", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr)
	w := worker.New(c, queue, worker.Options{})
	interpreter.Register(w, interpreter.Options{})
	reg.Attach(w)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	dir := writeFiles(t, map[string]string{"flaky.yaml": `dsl: v1
name: flaky
steps:
  - id: charge
    activity: flaky
    startToCloseTimeout: 2m
    retry: {initialInterval: 10ms, maximumAttempts: 2}
output: ${ steps.charge.result }
`})
	stderr := &watchWriter{want: "  charge: attempt 1 failed: card declined, ", seen: release}
	var stdout bytes.Buffer
	code := dslruncmd.Run(dslruncmd.Options{
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: stderr, Registry: reg,
		Args:      []string{"apply", filepath.Join(dir, "flaky.yaml"), "--address", addr, "--task-queue", queue, "--id", "apply-retries"},
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	out := stderr.String()
	if code != dslruncmd.ExitOK || strings.TrimSpace(stdout.String()) != `"charged"` {
		t.Fatalf("apply exited %d with %q\n%s", code, stdout.String(), out)
	}
	for _, want := range []string{"  > charge activity flaky\n", "  charge: attempt 1 failed: card declined, ", "  ok charge activity flaky ("} {
		if !strings.Contains(out, want) {
			t.Errorf("apply's progress lacks %q:\n%s", want, out)
		}
	}
}

// watchWriter collects what is written and closes seen once it holds want.
type watchWriter struct {
	mu   sync.Mutex
	b    strings.Builder
	want string
	seen chan struct{}
	done bool
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if !w.done && strings.Contains(w.b.String(), w.want) {
		w.done = true
		close(w.seen)
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestApplyWarnsWithoutWorker starts a run on a task queue that no worker
// polls: apply says so, and keeps waiting until the run ends (here: it is
// terminated once the warning is out).
func TestApplyWarnsWithoutWorker(t *testing.T) {
	addr := sharedServer(t)
	const queue, id = "q-no-worker", "apply-no-worker"
	dir := writeFiles(t, map[string]string{"idle.yaml": "dsl: v1\nname: idle\nsteps:\n  - log: never runs\n"})
	seen := make(chan struct{})
	stderr := &watchWriter{want: `warning: no worker polls task queue "q-no-worker"`, seen: seen}
	c := dial(t, addr)
	go func() {
		select {
		case <-seen:
		case <-time.After(hangBound): // a bound against a hang: the assertion below then fails
		}
		ctx, cancel := context.WithTimeout(context.Background(), hangBound)
		defer cancel()
		_ = c.TerminateWorkflow(ctx, id, "", "test: the warning is out")
	}()
	code := dslruncmd.Run(dslruncmd.Options{
		Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: stderr,
		Args:      []string{"apply", filepath.Join(dir, "idle.yaml"), "--address", addr, "--task-queue", queue, "--id", id},
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	out := stderr.String()
	if !strings.Contains(out, `warning: no worker polls task queue "q-no-worker": the run waits until one does`) {
		t.Errorf("no warning about the missing worker:\n%s", out)
	}
	if code != dslruncmd.ExitTimedOut {
		t.Errorf("apply exited %d, want %d (terminated):\n%s", code, dslruncmd.ExitTimedOut, out)
	}
}
