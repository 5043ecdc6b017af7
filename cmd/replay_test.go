package dslruncmd_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dslruncmd "github.com/dslrun/dslrun/cmd"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
)

// TestReplayRecordedHistories replays every history recorded with today's
// interpreter (the folder, as dslrun replay DIR does): all replay.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories in %s (%v)", historiesDir, err)
	}
	code, stdout, stderr := run("replay", historiesDir)
	if code != dslruncmd.ExitOK {
		t.Fatalf("replay %s: exit %d\n%s%s", historiesDir, code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(files)+1 {
		t.Fatalf("%d lines for %d histories:\n%s", len(lines), len(files), stdout)
	}
	for i, f := range files {
		if !strings.HasPrefix(lines[i], "ok        "+f+": ") {
			t.Errorf("line %d: %q, want ok for %s", i, lines[i], f)
		}
	}
	if want := len(files); lines[len(lines)-1] != itoa(want)+" runs replayed" {
		t.Errorf("summary %q", lines[len(lines)-1])
	}

	// One file, as JSON, and standard input.
	code, stdout, _ = run("replay", filepath.Join(historiesDir, "hello.json"), "-o", "json")
	var got []struct {
		Source, WorkflowID, RunID, Type, Status string
		Events                                  int
	}
	if code != dslruncmd.ExitOK || json.Unmarshal([]byte(stdout), &got) != nil || len(got) != 1 {
		t.Fatalf("replay hello.json -o json: exit %d\n%s", code, stdout)
	}
	if g := got[0]; g.Status != "ok" || g.Type != "hello" || g.WorkflowID != "record-hello" || g.RunID == "" || g.Events == 0 {
		t.Errorf("replay hello.json -o json: %+v", g)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestReplayReportsChangedDefinition is the control: recorded histories
// whose definition was edited so that the interpreter issues other
// commands fail to replay, each reported with the recorded event where
// replay diverged and the step that recorded it; exit 1.
func TestReplayReportsChangedDefinition(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, from string
		edit       func(def map[string]any)
		want       string // the report's line about the event
	}{
		{"activity-renamed.json", "order.json", func(def map[string]any) {
			defActivity(def, 0)["name"] = "math.multiply"
		}, "nondeterministic: event 5 ActivityTaskScheduled activity math.add, step charge"},
		{"child-renamed.json", "order.json", func(def map[string]any) {
			step(def, 1)["child"].(map[string]any)["workflow"] = "invoice"
		}, "nondeterministic: event 11 StartChildWorkflowExecutionInitiated child receipt record-order-receipt, step receipt"},
		{"steps-swapped.json", "tour-inline.json", func(def map[string]any) {
			steps := def["steps"].([]any)
			steps[0], steps[1] = steps[1], steps[0]
		}, "nondeterministic: event 5 ActivityTaskScheduled activity inc, step first"},
	}
	for _, tt := range tests {
		writeEdited(t, filepath.Join(historiesDir, tt.from), filepath.Join(dir, tt.name), tt.edit)
	}
	// The unchanged hello history beside them replays.
	copyFile(t, filepath.Join(historiesDir, "hello.json"), filepath.Join(dir, "hello.json"))

	code, stdout, stderr := run("replay", dir)
	if code != dslruncmd.ExitFailure {
		t.Fatalf("replay: exit %d, want %d\n%s%s", code, dslruncmd.ExitFailure, stdout, stderr)
	}
	t.Logf("replay %s:\n%s", dir, stdout)
	for _, tt := range tests {
		block := reportOf(stdout, filepath.Join(dir, tt.name))
		if !strings.HasPrefix(block, "FAIL      ") {
			t.Errorf("%s: not reported as failed:\n%s", tt.name, block)
		}
		if !strings.Contains(block, "\n          "+tt.want+"\n") {
			t.Errorf("%s: report lacks %q:\n%s", tt.name, tt.want, block)
		}
		if !strings.Contains(block, "TMPRL1100") {
			t.Errorf("%s: report lacks the SDK's message:\n%s", tt.name, block)
		}
	}
	if !strings.Contains(stdout, "ok        "+filepath.Join(dir, "hello.json")+": hello record-hello") {
		t.Errorf("hello.json not replayed ok:\n%s", stdout)
	}
	if !strings.HasSuffix(stdout, "\n3 of 4 runs failed to replay\n") {
		t.Errorf("summary:\n%s", stdout)
	}

	// -o json names the event and the step.
	code, stdout, _ = run("replay", filepath.Join(dir, "child-renamed.json"), "-o", "json")
	var got []struct {
		Status string
		Event  struct {
			ID   int64
			Type string
			Step string
		}
	}
	if code != dslruncmd.ExitFailure || json.Unmarshal([]byte(stdout), &got) != nil || len(got) != 1 {
		t.Fatalf("replay -o json: exit %d\n%s", code, stdout)
	}
	if g := got[0]; g.Status != "nondeterministic" || g.Event.ID != 11 || g.Event.Type != "StartChildWorkflowExecutionInitiated" || g.Event.Step != "receipt" {
		t.Errorf("replay -o json: %+v", g)
	}
}

// TestReplayRefusesWhatIsNoHistory checks the inputs that are not
// histories: exit 1, with the file named.
func TestReplayRefusesWhatIsNoHistory(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"events": "nope"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := run("replay", bad)
	if code != dslruncmd.ExitFailure || !strings.HasPrefix(stdout, "FAIL      "+bad+"\n          unreadable\n          not a Temporal JSON history") {
		t.Errorf("replay bad.json: exit %d\n%s", code, stdout)
	}
	code, _, stderr := run("replay", filepath.Join(dir, "missing.json"))
	if code != dslruncmd.ExitFailure || !strings.Contains(stderr, "missing.json: no such file or directory") {
		t.Errorf("replay missing.json: exit %d\n%s", code, stderr)
	}
	// --from-server needs a configured server: the embedded one holds no runs.
	code, _, stderr = run("replay", "--from-server")
	if code != dslruncmd.ExitFailure || !strings.Contains(stderr, "no Temporal address is configured") {
		t.Errorf("replay --from-server without an address: exit %d\n%s", code, stderr)
	}
	for _, args := range [][]string{
		{"replay"},
		{"replay", "x.json", "--from-server"},
		{"replay", "x.json", "--query", "WorkflowType='a'"},
		{"replay", "--from-server", "--run-id", "r"},
		{"replay", "--from-server", "-w", "a", "--query", "x"},
		{"replay", "--from-server", "-w", "a", "--since", "1h"},
	} {
		if code, _, stderr := run(args...); code != dslruncmd.ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
}

// reportOf cuts the report of one source out of replay's text output.
func reportOf(stdout, source string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.SplitAfter(stdout, "\n") {
		switch {
		case strings.Contains(line, " "+source+": ") || strings.HasSuffix(line, " "+source+"\n"):
			in = true
		case !strings.HasPrefix(line, "          "):
			in = false
		}
		if in {
			b.WriteString(line)
		}
	}
	return b.String()
}

func step(def map[string]any, i int) map[string]any {
	return def["steps"].([]any)[i].(map[string]any)
}

func defActivity(def map[string]any, i int) map[string]any {
	return step(def, i)["activity"].(map[string]any)
}

// writeEdited copies the recorded history from to to, with edit applied to
// the definition in its start envelope (and the envelope's hash dropped, so
// that the run does not refuse the changed definition).
func writeEdited(t *testing.T, from, to string, edit func(def map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	h, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[1]
	var env map[string]any
	dec := json.NewDecoder(bytes.NewReader(p.GetData()))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		t.Fatal(err)
	}
	edit(env["definition"].(map[string]any))
	delete(env, "hash")
	if p.Data, err = json.Marshal(env); err != nil {
		t.Fatal(err)
	}
	writeHistory(t, h, to)
}

func writeHistory(t *testing.T, h *historypb.History, path string) {
	t.Helper()
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReplayFromServerQuery replays the runs a visibility query selects
// among the open and recent runs of the shared server.
func TestReplayFromServerQuery(t *testing.T) {
	conn := []string{"--address", sharedServer(t)}
	id := "replay-query-hello"
	mustRun(t, dslruncmd.ExitOK, append([]string{"apply", filepath.Join("..", "examples", "hello.yaml"), "--id", id, "--task-queue", "q-" + id, "--worker", "-q"}, conn...)...)
	args := append([]string{"replay", "--from-server", "--query", `WorkflowId="` + id + `"`, "--since", "1h", "-o", "json"}, conn...)
	// Visibility lags a moment behind the run's close.
	deadline := time.Now().Add(hangBound)
	for {
		code, stdout, stderr := run(args...)
		if code != dslruncmd.ExitOK {
			t.Fatalf("replay --from-server: exit %d\n%s%s", code, stdout, stderr)
		}
		var got []struct{ WorkflowID, Type, Status string }
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("replay -o json: %v\n%s", err, stdout)
		}
		if len(got) == 1 {
			if g := got[0]; g.WorkflowID != id || g.Type != "hello" || g.Status != "ok" {
				t.Errorf("replay --from-server: %+v", g)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run never showed in visibility: %s", stdout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
