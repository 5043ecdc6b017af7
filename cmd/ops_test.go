package dslruncmd_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dslruncmd "github.com/dslrun/dslrun/cmd"
	"github.com/dslrun/dslrun/interpreter"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// run runs dslrun in process with args and no environment, and returns
// its exit code, stdout and stderr.
func run(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := dslruncmd.Run(dslruncmd.Options{
		Stdin:     strings.NewReader(""),
		Stdout:    &stdout,
		Stderr:    &stderr,
		Args:      args,
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	return code, stdout.String(), stderr.String()
}

// TestOpsUsageErrors checks that argument and flag mistakes of the
// operations commands, and of apply's start variants, exit 2 with a message
// naming the mistake, before anything is dialled or started.
func TestOpsUsageErrors(t *testing.T) {
	entity := filepath.Join("..", "examples", "entity.yaml")
	approval := filepath.Join("..", "examples", "approval.yaml")
	tests := []struct {
		args []string
		want string // the first line of stderr
	}{
		{[]string{"signal"}, "dslrun: accepts 2 arg(s), received 0"},
		{[]string{"signal", "req-1"}, "dslrun: accepts 2 arg(s), received 1"},
		{[]string{"signal", "", "approve"}, "dslrun: the workflow id must not be empty"},
		{[]string{"signal", "req-1", "approve", "--input", "{bad"}, "dslrun: --input: not valid JSON: invalid character 'b' looking for beginning of object key string"},
		{[]string{"signal", "req-1", "approve", "--input", "1 2"}, "dslrun: --input: not valid JSON: more than one value"},
		{[]string{"query"}, "dslrun: accepts between 1 and 2 arg(s), received 0"},
		{[]string{"query", "a", "b", "c"}, "dslrun: accepts between 1 and 2 arg(s), received 3"},
		{[]string{"query", "acct-1", "status", "--input", "@no-such-file.json"}, "dslrun: --input: open no-such-file.json: no such file or directory"},
		{[]string{"update", "acct-1"}, "dslrun: accepts 2 arg(s), received 1"},
		{[]string{"update", "acct-1", "close", "-o", "yaml"}, `dslrun: --output must be text or json, not "yaml"`},
		{[]string{"cancel"}, "dslrun: accepts 1 arg(s), received 0"},
		{[]string{"cancel", "a", "b"}, "dslrun: accepts 1 arg(s), received 2"},
		{[]string{"terminate"}, "dslrun: accepts 1 arg(s), received 0"},
		{[]string{"terminate", "x", "--force"}, "dslrun: unknown flag: --force"},
		{[]string{"describe"}, "dslrun: accepts 1 arg(s), received 0"},
		{[]string{"describe", "x", "-o", "yaml"}, `dslrun: --output must be text or json, not "yaml"`},
		{[]string{"result", "a", "b"}, "dslrun: accepts 1 arg(s), received 2"},
		{[]string{"history"}, "dslrun: accepts 1 arg(s), received 0"},
		{[]string{"history", "x", "--run"}, "dslrun: unknown flag: --run"},
		{[]string{"list", "extra"}, `dslrun: unknown command "extra" for "dslrun list"`},
		{[]string{"list", "--limit", "-1"}, "dslrun: --limit must not be negative, got -1"},
		{[]string{"list", "--limit", "ten"}, `dslrun: invalid argument "ten" for "--limit" flag: strconv.ParseInt: parsing "ten": invalid syntax`},
		{[]string{"apply", entity, "--signal", "x", "--update", "close"}, "dslrun: --signal and --update cannot be used together"},
		{[]string{"apply", entity, "--update-input", "{}"}, "dslrun: --update-input needs --update"},
		{[]string{"apply", entity, "--signal-input", "{}"}, "dslrun: --signal-input needs --signal"},
		{[]string{"apply", entity, "--update", "addPoint"}, `dslrun: --update "addPoint": entity has no update handler of that name (declared: addPoints, close)`},
		{[]string{"apply", entity, "--signal", "close"}, `dslrun: --signal "close": entity has no signal handler of that name (declared: none)`},
		{[]string{"apply", entity, "--update", "addPoints", "--update-input", "{"}, "dslrun: --update-input: not valid JSON: unexpected EOF"},
		{[]string{"apply", approval, "--signal", "approve", "--signal-input", "nope"}, "dslrun: --signal-input: not valid JSON: invalid character 'o' in literal null (expecting 'u')"},
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
			if !strings.Contains(stderr, "Run 'dslrun --help' for usage.") {
				t.Errorf("no usage hint in stderr %q", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

// TestOpsNeedAServer checks that the operations commands refuse to start the
// embedded server (it would hold none of the user's runs) and say how to
// reach one, exiting 1.
func TestOpsNeedAServer(t *testing.T) {
	for _, args := range [][]string{
		{"signal", "req-1", "approve"},
		{"query", "acct-1"},
		{"update", "acct-1", "close"},
		{"cancel", "x"},
		{"terminate", "x"},
		{"describe", "x"},
		{"result", "x"},
		{"history", "x", "-o", "json"},
		{"list"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := run(args...)
			if code != dslruncmd.ExitFailure {
				t.Errorf("exit code %d, want %d", code, dslruncmd.ExitFailure)
			}
			want := "dslrun: no Temporal address is configured: set --address or TEMPORAL_ADDRESS (or a profile) to reach a running server, e.g. the one `dslrun dev` starts\n"
			if stderr != want {
				t.Errorf("stderr\n got %q\nwant %q", stderr, want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

// TestOpsHelp checks that every operations command's help shows a full
// invocation.
func TestOpsHelp(t *testing.T) {
	for cmd, want := range map[string]string{
		"signal":    "dslrun signal req-1 approve --input '{\"by\": \"ops\"}' --address",
		"query":     "dslrun query account-7 status --address",
		"update":    "dslrun update account-7 addPoints --input '{\"points\": 120}' --address",
		"cancel":    "dslrun cancel order-42 --reason",
		"terminate": "dslrun terminate order-42 --reason",
		"describe":  "dslrun describe order-42 --output json --address",
		"result":    "dslrun result order-42 --address",
		"history":   "dslrun history order-42 --output json --address",
		"list":      "dslrun list --query 'WorkflowType=\"entity\"",
		"apply":     "--update addPoints --update-input '{\"points\": 50}'",
	} {
		code, stdout, stderr := run(cmd, "--help")
		if code != dslruncmd.ExitOK || !strings.Contains(stdout, want) {
			t.Errorf("%s --help: exit %d, stdout lacks %q:\n%s%s", cmd, code, want, stdout, stderr)
		}
	}
}

var record = flag.Bool("record", false, "TestRecordHistories: run every example on the shared server and write its history to "+historiesDir)

// historiesDir is where the interpreter's replay test finds histories.
const historiesDir = "../interpreter/testdata/histories"

// driven is an example that waits for outside input: it is started with
// input (long waits, so that the driver is never too late), and drive
// then sends it signals and updates through the CLI.
type driven struct {
	input string
	drive func(t *testing.T, conn []string, id string)
}

// drivenExamples are the examples that need outside input.
func drivenExamples() map[string]driven {
	return map[string]driven{
		"entity": {`{}`, func(t *testing.T, conn []string, id string) {
			mustRun(t, dslruncmd.ExitOK, append([]string{"update", id, "addPoints", "--input", `{"points": 120}`}, conn...)...)
			mustRun(t, dslruncmd.ExitFailure, append([]string{"update", id, "addPoints", "--input", `{"points": -5}`}, conn...)...)
			mustRun(t, dslruncmd.ExitOK, append([]string{"query", id, "status"}, conn...)...)
			mustRun(t, dslruncmd.ExitOK, append([]string{"update", id, "addPoints", "--input", `{"points": 900}`}, conn...)...)
			mustRun(t, dslruncmd.ExitOK, append([]string{"update", id, "close"}, conn...)...)
		}},
		"approval": {`{"timeout": "10m"}`, func(t *testing.T, conn []string, id string) {
			mustRun(t, dslruncmd.ExitOK, append([]string{"signal", id, "approve", "--input", `{"by": "ops"}`}, conn...)...)
		}},
		"async-approval": {`{"order": "A-42", "amount": 120}`, func(t *testing.T, conn []string, id string) {
			a := waitPending(t, conn, id, "external.wait")
			mustRun(t, dslruncmd.ExitOK, append([]string{"activity", "complete", "-w", id, "--activity-id", a.ActivityID, "--result", `{"approved": true, "by": "ops"}`}, conn...)...)
		}},
	}
}

func mustRun(t *testing.T, want int, args ...string) string {
	t.Helper()
	code, stdout, stderr := run(args...)
	if code != want {
		t.Fatalf("dslrun %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout
}

// TestRecordHistories, with -record, runs every example on the package's
// shared server through the CLI (the examples that wait for input driven
// by signals and updates), checks that the history of its first run
// replays, and writes that history (dslrun history -o json) to
// interpreter/testdata/histories/<example>.json, where the interpreter's
// replay test replays it. Without -record it checks that every example has
// a recorded history that parses and is of the example's workflow type.
//
//	go test ./cmd -run TestRecordHistories -record
func TestRecordHistories(t *testing.T) {
	examples, err := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defs := examples[:0]
	for _, e := range examples {
		if !strings.HasSuffix(e, "_test.yaml") { // the tests of dslrun test are no definitions
			defs = append(defs, e)
		}
	}
	examples = defs
	if len(examples) == 0 {
		t.Fatal("no examples found")
	}
	if !*record {
		for _, path := range examples {
			name := strings.TrimSuffix(filepath.Base(path), ".yaml")
			h := filepath.Join(historiesDir, name+".json")
			f, err := os.Open(h)
			if err != nil {
				t.Errorf("%s has no recorded history (%v): run go test ./cmd -run TestRecordHistories -record", path, err)
				continue
			}
			hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
			f.Close()
			if err != nil {
				t.Errorf("%s: %v", h, err)
				continue
			}
			if len(hist.GetEvents()) == 0 {
				t.Errorf("%s: no events", h)
				continue
			}
			if got := hist.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName(); got != name {
				t.Errorf("%s: workflow type %q, want %q", h, got, name)
			}
		}
		return
	}
	addr := sharedServer(t)
	if err := os.MkdirAll(historiesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, path := range examples {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		if strings.HasPrefix(name, "http-") {
			continue // they need a local service: TestHTTPExamples -record writes theirs
		}
		if name == "schedule" {
			continue // apply reconciles its schedule and starts nothing: TestScheduleExample -record writes its history
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn := []string{"--address", addr}
			id := "record-" + name
			runID := recordRun(t, path, name, id, conn)
			h := mustRun(t, dslruncmd.ExitOK, append([]string{"history", id, "--run-id", runID, "-o", "json"}, conn...)...)
			hist := replayJSON(t, h)
			out := filepath.Join(historiesDir, name+".json")
			if err := os.WriteFile(out, []byte(h), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s: %d events", out, len(hist.GetEvents()))
		})
	}
}

// replayJSON parses the output of history -o json and replays it with an
// interpreter that has no definitions (the definition must come from the
// history), as the run it was: expressions may read workflow.id, and the
// replayer's default id is "ReplayId".
func replayJSON(t *testing.T, h string) *historypb.History {
	t.Helper()
	hist, err := client.HistoryFromJSON(strings.NewReader(h), client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("history -o json does not parse: %v", err)
	}
	if len(hist.GetEvents()) == 0 {
		t.Fatal("history -o json holds no events")
	}
	r := worker.NewWorkflowReplayer()
	interpreter.Register(r, interpreter.Options{})
	started := hist.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	if err := r.ReplayWorkflowHistoryWithOptions(nil, hist, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: started.GetWorkflowId(), RunID: started.GetOriginalExecutionRunId()},
	}); err != nil {
		t.Fatalf("the history does not replay: %v", err)
	}
	return hist
}

// TestHistoryJSONReplays runs an example that signals and updates on the
// shared server and checks that dslrun history -o json of the run is what
// the SDK's replayer reads and replays.
func TestHistoryJSONReplays(t *testing.T) {
	conn := []string{"--address", sharedServer(t)}
	path := filepath.Join("..", "examples", "entity.yaml")
	id := "history-json-entity"
	runID := recordRun(t, path, "entity", id, conn)
	hist := replayJSON(t, mustRun(t, dslruncmd.ExitOK, append([]string{"history", id, "--run-id", runID, "-o", "json"}, conn...)...))
	var updates int
	for _, e := range hist.GetEvents() {
		if e.GetWorkflowExecutionUpdateCompletedEventAttributes() != nil {
			updates++
		}
	}
	if updates != 3 {
		t.Errorf("%d updates completed in history, want 3 (the rejected one leaves none)", updates)
	}
}

// recordRun runs the example to its end and returns the id of its first
// run.
func recordRun(t *testing.T, path, name, id string, conn []string) string {
	t.Helper()
	queue := "q-" + id
	args := append([]string{"apply", path, "--id", id, "--task-queue", queue, "--worker", "-o", "json"}, conn...)
	d, ok := drivenExamples()[name]
	if !ok {
		// Examples that need no outside input: apply waits for the result.
		return appliedRunID(t, mustRunAny(t, args...))
	}
	args = append(args, "--input", d.input)
	var (
		wg     sync.WaitGroup
		stdout string
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		stdout = mustRunAny(t, args...)
	}()
	// Wait for the run to exist before driving it.
	deadline := time.Now().Add(hangBound)
	for {
		code, _, _ := run(append([]string{"describe", id}, conn...)...)
		if code == dslruncmd.ExitOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.drive(t, conn, id)
	wg.Wait()
	return appliedRunID(t, stdout)
}

// mustRunAny runs dslrun and returns its stdout, failing on a usage error
// only: an example may end failed or cancelled on purpose, and its history
// is worth replaying all the same.
func mustRunAny(t *testing.T, args ...string) string {
	code, stdout, stderr := run(args...)
	if code == dslruncmd.ExitUsage {
		t.Errorf("dslrun %s: usage error\n%s", strings.Join(args, " "), stderr)
	}
	return stdout
}

func appliedRunID(t *testing.T, stdout string) string {
	t.Helper()
	var res struct {
		RunID  string `json:"runId"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.RunID == "" {
		t.Fatalf("apply -o json printed no run id: %q (%v)", stdout, err)
	}
	if res.Status != "completed" {
		t.Logf("the recorded run ended %s", res.Status)
	}
	return res.RunID
}
