package dslruncmd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dslrun/dslrun/activities"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

func init() {
	if os.Getenv(testActivitiesEnv) == "1" {
		activities.MustRegister(activities.Spec{
			Name:    "test.gate",
			Summary: "Log its start, wait for a release file, log its end (test only)",
			Input: json.RawMessage(`{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["dir", "name"],
  "additionalProperties": false,
  "properties": {"dir": {"type": "string"}, "name": {"type": "string"}}
}`),
		}, gate)
	}
}

// gateInput is the input of test.gate.
type gateInput struct {
	Dir  string `json:"dir"`
	Name string `json:"name"`
}

// gate appends "start NAME" to DIR/log and creates DIR/NAME.started, waits
// until DIR/NAME.release exists, then appends "end NAME".
func gate(ctx context.Context, in gateInput) (string, error) {
	logLine := func(line string) error {
		f, err := os.OpenFile(filepath.Join(in.Dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(f, line)
		return errorsJoin(err, f.Close())
	}
	if err := logLine("start " + in.Name); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(in.Dir, in.Name+".started"), nil, 0o644); err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(in.Dir, in.Name+".release")); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return in.Name, logLine("end " + in.Name)
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// TestWorkerTuning starts a dslrun worker with --max-concurrent-activities 1
// and a run of two parallel activities that each wait to be released. While
// the first runs, the worker reports no free activity slot, and the server
// holds the second as scheduled, not started; it starts only after the
// first ended (the activities' own log says so). Nothing here depends on
// timing: the test releases each activity itself.
func TestWorkerTuning(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, hangBound)
	addr := sharedServer(t)
	gates := t.TempDir()
	dir := writeFiles(t, map[string]string{"two.yaml": `dsl: v1
name: two
input:
  type: object
  required: [dir]
  properties:
    dir: {type: string}
steps:
  - id: both
    parallel:
      - - activity: test.gate
          with: {dir: "${ input.dir }", name: a}
      - - activity: test.gate
          with: {dir: "${ input.dir }", name: b}
output: ${ steps.both.result }
`})
	queue := "tuning-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	w := startDslrun(t, []string{testActivitiesEnv + "=1"}, "worker", "--dir", dir, "--address", addr, "--task-queue", queue,
		"--max-concurrent-activities", "1", "--metrics-address", "127.0.0.1:0")
	metrics := w.waitOutput(t, regexp.MustCompile(`metrics: (http://\S+/metrics)`), hangBound)[1]
	w.waitOutput(t, regexp.MustCompile(`press Ctrl-C`), hangBound)
	if !strings.Contains(w.stderr(), "  tuning:     max concurrent activities 1\n") {
		t.Errorf("the worker does not show its tuning:\n%s", w.stderr())
	}

	c := dial(t, addr)
	id := queue + "-run"
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, "two", map[string]any{"dir": gates})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	first := waitAnyFile(ctx, t, filepath.Join(gates, "a.started"), filepath.Join(gates, "b.started"))
	firstName := strings.TrimSuffix(filepath.Base(first), ".started")
	other := map[string]string{"a": "b", "b": "a"}[firstName]

	// The worker's one activity slot is taken.
	slots := regexp.MustCompile(`(?m)^temporal_worker_task_slots_available\{[^}]*worker_type="ActivityWorker"[^}]*\} (\S+)$`)
	for {
		m := slots.FindStringSubmatch(scrape(ctx, t, metrics))
		if m != nil && m[1] == "0" {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the worker never reported 0 free activity slots; last: %v", m)
		}
		sleepCtx(ctx, 20*time.Millisecond)
	}
	// The server holds the other activity: scheduled, not started.
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]enumspb.PendingActivityState{}
	for _, pa := range desc.GetPendingActivities() {
		states[pa.GetActivityId()] = pa.GetState()
	}
	started, scheduled := 0, 0
	for _, s := range states {
		if s == enumspb.PENDING_ACTIVITY_STATE_STARTED {
			started++
		}
		if s == enumspb.PENDING_ACTIVITY_STATE_SCHEDULED {
			scheduled++
		}
	}
	if started != 1 || scheduled != 1 {
		t.Errorf("pending activities %v: want one started and one scheduled", states)
	}

	release(t, gates, firstName)
	waitAnyFile(ctx, t, filepath.Join(gates, other+".started"))
	release(t, gates, other)
	var out []string
	if err := run.Get(ctx, &out); err != nil {
		t.Fatalf("run: %v", err)
	}
	log, err := os.ReadFile(filepath.Join(gates, "log"))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("start %s\nend %s\nstart %s\nend %s\n", firstName, firstName, other, other)
	if string(log) != want {
		t.Errorf("activities ran as\n%s\nwant one after the other:\n%s", log, want)
	}

	w.signal(t, syscall.SIGTERM)
	if code := w.wait(t, hangBound); code != 0 {
		t.Errorf("worker exited %d:\n%s", code, w.output())
	}
}

func release(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name+".release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitAnyFile waits until one of paths exists and returns it.
func waitAnyFile(ctx context.Context, t *testing.T, paths ...string) string {
	t.Helper()
	for {
		for _, p := range paths {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("none of %v appeared: %v", paths, ctx.Err())
		}
		sleepCtx(ctx, 20*time.Millisecond)
	}
}
