package dslruncmd_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dslrun/dslrun/activities"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
)

// These tests run dslrun as real processes (the test binary, which
// testscript.Main installs on PATH as dslrun) to check what only processes
// can show: workers sharing a task queue, a worker killed with SIGKILL, a
// dev server restarted on its database file, and the dev server's Web UI.

// testActivitiesEnv makes a dslrun process started by these tests register
// the test-only activities below in its default registry.
const testActivitiesEnv = "DSLRUN_TEST_ACTIVITIES"

func init() {
	if os.Getenv(testActivitiesEnv) == "1" {
		activities.MustRegister(activities.Spec{
			Name:    "test.effect",
			Summary: "Append a line to a file, once per idempotency key (test only)",
			Input: json.RawMessage(`{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["file"],
  "additionalProperties": false,
  "properties": {
    "file": {"type": "string"},
    "idempotencyKey": {"type": "string"},
    "hold": {"type": "string"}
  }
}`),
		}, applyEffect)
	}
}

// effectInput is the input of test.effect.
type effectInput struct {
	// File receives one line per applied effect.
	File string `json:"file"`
	// IdempotencyKey, when not empty, makes the effect apply once.
	IdempotencyKey string `json:"idempotencyKey"`
	// Hold is how long the first attempt heartbeats after applying its
	// effect before it returns: the window in which a test kills the worker.
	Hold string `json:"hold"`
}

// effectResult is the result of test.effect.
type effectResult struct {
	Applied bool  `json:"applied"`
	Attempt int32 `json:"attempt"`
}

// applyEffect is an activity with a side effect outside Temporal: it
// appends to a file, skipping the write when a line with its idempotency key
// is already there. Each attempt leaves a marker file, File.attemptN, once
// its effect is applied.
func applyEffect(ctx context.Context, in effectInput) (effectResult, error) {
	attempt := activity.GetInfo(ctx).Attempt
	applied, err := appendOnce(in.File, in.IdempotencyKey)
	if err != nil {
		return effectResult{}, err
	}
	if err := os.WriteFile(fmt.Sprintf("%s.attempt%d", in.File, attempt), nil, 0o644); err != nil {
		return effectResult{}, err
	}
	if attempt == 1 && in.Hold != "" {
		hold, err := time.ParseDuration(in.Hold)
		if err != nil {
			return effectResult{}, err
		}
		deadline := time.After(hold)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
	wait:
		for {
			select {
			case <-ctx.Done():
				return effectResult{}, ctx.Err()
			case <-deadline:
				break wait
			case <-tick.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}
	return effectResult{Applied: applied, Attempt: attempt}, nil
}

// appendOnce appends key (or "-" without one) as a line of file, unless a
// key is given and already there. The write is synced before it returns.
func appendOnce(file, key string) (bool, error) {
	line := key
	if key == "" {
		line = "-"
	} else if data, err := os.ReadFile(file); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if l == key {
				return false, nil
			}
		}
	}
	f, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return false, err
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return false, err
	}
	return true, f.Close()
}

// TestWorkerScaleOut starts two dslrun worker processes on one task queue,
// starts a batch of runs (two with dslrun apply --detach, the rest by name
// through a plain Temporal client, without an envelope) and checks from
// the histories that activities ran on both workers.
func TestWorkerScaleOut(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, hangBound)
	addr := sharedServer(t)
	dir := writeFiles(t, map[string]string{"fanout.yaml": `dsl: v1
name: fanout
steps:
  - {activity: sleep, with: {duration: 30ms}}
  - {activity: sleep, with: {duration: 30ms}}
  - {activity: sleep, with: {duration: 30ms}}
  - id: last
    activity: echo
    with: {done: true}
output: ${ steps.last.result.done }
`})
	queue := "scale-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	workers := []*proc{
		startDslrun(t, nil, "worker", "--dir", dir, "--address", addr, "--task-queue", queue),
		startDslrun(t, nil, "worker", "--dir", dir, "--address", addr, "--task-queue", queue),
	}
	for _, w := range workers {
		w.waitOutput(t, regexp.MustCompile(`press Ctrl-C`), hangBound)
	}
	c := dial(t, addr)

	var ids []string
	for i := range 2 {
		a := startDslrun(t, nil, "apply", filepath.Join(dir, "fanout.yaml"), "--detach", "-o", "json",
			"--id", fmt.Sprintf("%s-apply-%d", queue, i), "--address", addr, "--task-queue", queue)
		if code := a.wait(t, hangBound); code != 0 {
			t.Fatalf("apply --detach exited %d:\n%s", code, a.output())
		}
		var started struct{ WorkflowID, Status string }
		if err := json.Unmarshal([]byte(a.stdout()), &started); err != nil || started.Status != "running" {
			t.Fatalf("apply --detach -o json printed %q (%v), want a running workflow", a.stdout(), err)
		}
		ids = append(ids, started.WorkflowID)
	}
	const byName = 10
	for i := range byName {
		id := fmt.Sprintf("%s-name-%d", queue, i)
		if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, "fanout"); err != nil {
			t.Fatalf("start fanout by name: %v", err)
		}
		ids = append(ids, id)
	}

	perWorker := map[string]int{}
	for _, id := range ids {
		var done bool
		if err := c.GetWorkflow(ctx, id, "").Get(ctx, &done); err != nil || !done {
			t.Fatalf("run %s: result %v, error %v; want true", id, done, err)
		}
		for _, ev := range history(ctx, t, c, id) {
			if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
				perWorker[a.GetIdentity()]++
			}
		}
	}
	t.Logf("activity tasks per worker identity: %v", perWorker)
	for _, w := range workers {
		if perWorker[w.identity()] == 0 {
			t.Errorf("worker %s ran no activity of %d runs; per identity: %v", w.identity(), len(ids), perWorker)
		}
	}
	if len(perWorker) != 2 {
		t.Errorf("activities ran on %d identities, want the 2 workers: %v", len(perWorker), perWorker)
	}
	for _, w := range workers {
		w.signal(t, syscall.SIGTERM)
	}
	for _, w := range workers {
		if code := w.wait(t, hangBound); code != 0 {
			t.Errorf("worker exited %d after SIGTERM, want 0:\n%s", code, w.output())
		}
	}
}

// TestWorkerKilledDuringActivity kills a worker process with SIGKILL while
// two runs are inside an activity whose side effect is already applied,
// then starts another worker. Both runs complete; the effect with an
// idempotency key is applied once, the one without it twice (Temporal runs
// activities at least once).
func TestWorkerKilledDuringActivity(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, hangBound)
	addr := sharedServer(t)
	dir := writeFiles(t, map[string]string{"effect.yaml": `dsl: v1
name: effect
input:
  type: object
  required: [file]
  properties:
    file: {type: string}
    key: {type: string}
steps:
  - id: effect
    activity: test.effect
    with:
      file: ${ input.file }
      idempotencyKey: ${ input.key ?? "" }
      hold: 1h
    heartbeatTimeout: 5s
    retry: {initialInterval: 100ms, maximumAttempts: 5}
output: ${ steps.effect.result }
`})
	queue := "fault-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	env := []string{testActivitiesEnv + "=1"}
	workerArgs := []string{"worker", "--dir", dir, "--address", addr, "--task-queue", queue}
	first := startDslrun(t, env, workerArgs...)
	c := dial(t, addr)

	keyed, unkeyed := filepath.Join(dir, "keyed.log"), filepath.Join(dir, "unkeyed.log")
	runs := map[string]map[string]any{
		queue + "-keyed":   {"file": keyed, "key": "order-1001"},
		queue + "-unkeyed": {"file": unkeyed},
	}
	for id, input := range runs {
		if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, "effect", input); err != nil {
			t.Fatalf("start %s: %v", id, err)
		}
	}
	// Kill the worker once both first attempts have applied their effect.
	for _, f := range []string{keyed, unkeyed} {
		waitFile(t, f+".attempt1", hangBound)
	}
	first.signal(t, syscall.SIGKILL)
	first.wait(t, hangBound)

	second := startDslrun(t, env, workerArgs...)
	results := map[string]effectResult{}
	for id := range runs {
		var r effectResult
		if err := c.GetWorkflow(ctx, id, "").Get(ctx, &r); err != nil {
			t.Fatalf("run %s after the worker was killed: %v\nsecond worker:\n%s", id, err, second.output())
		}
		results[id] = r
		for _, ev := range history(ctx, t, c, id) {
			if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && a.GetIdentity() != second.identity() {
				t.Errorf("run %s: the activity completed on %s, want the restarted worker %s", id, a.GetIdentity(), second.identity())
			}
		}
	}
	t.Logf("runs completed after the kill: %+v", results)
	if r := results[queue+"-keyed"]; r.Attempt != 2 || r.Applied {
		t.Errorf("keyed run: %+v, want attempt 2 that applied nothing", r)
	}
	if r := results[queue+"-unkeyed"]; r.Attempt != 2 || !r.Applied {
		t.Errorf("unkeyed run: %+v, want attempt 2 that applied its effect again", r)
	}
	if got := readLines(t, keyed); len(got) != 1 || got[0] != "order-1001" {
		t.Errorf("effect with an idempotency key applied as %q, want once", got)
	}
	if got := readLines(t, unkeyed); len(got) != 2 {
		t.Errorf("effect without a key applied as %q, want twice (the at-least-once contract)", got)
	}
	second.signal(t, syscall.SIGINT)
	if code := second.wait(t, hangBound); code != 0 {
		t.Errorf("worker exited %d after SIGINT, want 0:\n%s", code, second.output())
	}
}

// TestDevSurvivesKill starts a run that races an hour-long durable timer
// against a signal, on a dslrun dev process with a database file, kills that
// process with SIGKILL once the timer is started, and starts a new dev
// process on the same file. A signal sent there finishes the run, which
// cancels the timer the first process started. No clock decides the
// outcome: the timer cannot be due within the test's bound against a hang.
func TestDevSurvivesKill(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, hangBound)
	dir := writeFiles(t, map[string]string{"nap.yaml": `dsl: v1
name: nap
state: {woken: false}
signals:
  wake:
    set: {woken: true}
steps:
  - race:
      - - sleep: 1h
      - - await: ${ state.woken }
  - id: after
    activity: echo
    with: {text: rested}
output: ${ steps.after.result.text }
`})
	db := filepath.Join(t.TempDir(), "dev.db")
	devArgs := []string{"dev", "--db-file", db, "--port", "0", "--ui-port", "0", "--dir", dir}
	first := startDslrun(t, nil, devArgs...)
	addr := first.waitOutput(t, frontendLine, hangBound)[1]
	c := dial(t, addr)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "nap-1", TaskQueue: "dslrun"}, "nap")
	if err != nil {
		t.Fatalf("start nap by name: %v", err)
	}
	waitEvent(ctx, t, c, run.GetID(), enumspb.EVENT_TYPE_TIMER_STARTED)
	first.signal(t, syscall.SIGKILL)
	first.wait(t, hangBound)
	c.Close()

	second := startDslrun(t, nil, devArgs...)
	addr = second.waitOutput(t, frontendLine, hangBound)[1]
	second.waitOutput(t, bannerEnd, hangBound)
	if !strings.Contains(second.stdout(), "database           "+db) {
		t.Errorf("banner does not name the database file %s:\n%s", db, second.stdout())
	}
	c = dial(t, addr)
	if err := c.SignalWorkflow(ctx, "nap-1", "", "wake", nil); err != nil {
		t.Fatalf("signal after restart: %v\n%s", err, second.output())
	}
	var out string
	if err := c.GetWorkflow(ctx, "nap-1", "").Get(ctx, &out); err != nil || out != "rested" {
		t.Fatalf("run after restart: %q, %v; want \"rested\"\n%s", out, err, second.output())
	}
	var started, canceled bool
	for _, ev := range history(ctx, t, c, "nap-1") {
		started = started || ev.GetEventType() == enumspb.EVENT_TYPE_TIMER_STARTED
		canceled = canceled || ev.GetEventType() == enumspb.EVENT_TYPE_TIMER_CANCELED
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && a.GetIdentity() != second.identity() {
			t.Errorf("the activity after the timer ran on %s, want the second dev process %s", a.GetIdentity(), second.identity())
		}
	}
	if !started || !canceled {
		t.Errorf("history: timer started %v, cancelled %v; want both (started by the first process, cancelled on the second)", started, canceled)
	}
	c.Close()
	second.signal(t, syscall.SIGTERM)
	if code := second.wait(t, hangBound); code != 0 {
		t.Errorf("dev exited %d after SIGTERM, want 0:\n%s", code, second.output())
	}
}

// TestDevWebUI starts dslrun dev with its default database location and
// the Web UI, starts the hello example by name with a plain client.Execute
// Workflow call (no envelope), and finds the run in the UI's API.
func TestDevWebUI(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, hangBound)
	examples, err := filepath.Abs("../examples")
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	uiPort := freePort(t)
	dev := startDslrun(t, []string{"XDG_STATE_HOME=" + state},
		"dev", "--port", "0", "--ui-port", strconv.Itoa(uiPort), "--dir", examples)
	addr := dev.waitOutput(t, frontendLine, hangBound)[1]
	ui := "http://" + dev.waitOutput(t, regexp.MustCompile(`(?m)^  Web UI +http://(\S+)/namespaces/default/workflows$`), hangBound)[1]
	dev.waitOutput(t, bannerEnd, hangBound)
	for _, want := range []string{
		"database           " + filepath.Join(state, "dslrun", "dev.db"),
		"export TEMPORAL_ADDRESS=" + addr,
		"    hello                    " + filepath.Join(examples, "hello.yaml"),
	} {
		if !strings.Contains(dev.stdout(), want) {
			t.Errorf("banner lacks %q:\n%s", want, dev.stdout())
		}
	}
	if _, err := os.Stat(filepath.Join(state, "dslrun", "dev.db")); err != nil {
		t.Errorf("database in the state directory: %v", err)
	}

	var namespaces struct {
		Namespaces []struct {
			NamespaceInfo struct{ Name string } `json:"namespaceInfo"`
		} `json:"namespaces"`
	}
	getJSON(ctx, t, ui+"/api/v1/namespaces", &namespaces)
	if len(namespaces.Namespaces) == 0 || namespaces.Namespaces[0].NamespaceInfo.Name != "default" {
		t.Errorf("UI namespaces: %+v, want default", namespaces)
	}

	c := dial(t, addr)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "ui-hello", TaskQueue: "dslrun"}, "hello", map[string]any{"name": "Ada"})
	if err != nil {
		t.Fatalf("start hello by name: %v", err)
	}
	var greeting string
	if err := run.Get(ctx, &greeting); err != nil || greeting != "Hello, Ada!" {
		t.Fatalf("hello by name: %q, %v", greeting, err)
	}

	// The UI lists the run under the definition's name (visibility is
	// eventually consistent: poll briefly).
	type execution struct {
		Execution struct{ WorkflowID string } `json:"execution"`
		Type      struct{ Name string }       `json:"type"`
		Status    string                      `json:"status"`
	}
	var listed *execution
	for ; listed == nil && ctx.Err() == nil; sleepCtx(ctx, 200*time.Millisecond) {
		var list struct{ Executions []execution }
		getJSON(ctx, t, ui+"/api/v1/namespaces/default/workflows", &list)
		for i, e := range list.Executions {
			if e.Execution.WorkflowID == "ui-hello" && e.Status == "WORKFLOW_EXECUTION_STATUS_COMPLETED" {
				listed = &list.Executions[i]
			}
		}
	}
	if listed == nil {
		t.Fatal("the UI does not list the completed run ui-hello")
	}
	if listed.Type.Name != "hello" {
		t.Errorf("the UI lists ui-hello as type %q, want hello", listed.Type.Name)
	}

	// A second dev on the same UI port fails with a hint.
	busy := startDslrun(t, nil, "dev", "--memory", "--port", "0", "--ui-port", strconv.Itoa(uiPort))
	if code := busy.wait(t, hangBound); code != 1 || !strings.Contains(busy.stderr(), "is another server running?") {
		t.Errorf("dev on a busy UI port exited %d with:\n%s\nwant 1 and a hint", code, busy.output())
	}

	c.Close()
	dev.signal(t, syscall.SIGINT)
	if code := dev.wait(t, hangBound); code != 0 {
		t.Errorf("dev exited %d after SIGINT, want 0:\n%s", code, dev.output())
	}
	if !strings.Contains(dev.stderr(), "stopped") {
		t.Errorf("dev did not report its shutdown:\n%s", dev.stderr())
	}
}

var frontendLine = regexp.MustCompile(`(?m)^  Temporal frontend +(\S+) `)

// bannerEnd matches the last line of dslrun dev's banner: a test that reads
// the banner waits for it, as the lines are written one by one.
var bannerEnd = regexp.MustCompile(`(?m)^  SDKs: client\.Options`)

// proc is a dslrun process started by a test.
type proc struct {
	cmd    *exec.Cmd
	out    lockedBuffer
	errOut lockedBuffer
	done   chan struct{}
}

// startDslrun starts dslrun with args in a clean environment (PATH, a
// temporary HOME, and env). It is killed when the test ends.
func startDslrun(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	bin, err := exec.LookPath("dslrun")
	if err != nil {
		t.Fatalf("dslrun is not on PATH (testscript.Main installs it): %v", err)
	}
	return startProc(t, bin, env, args...)
}

// startProc starts the program bin as startDslrun starts dslrun.
func startProc(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.errOut
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", filepath.Base(bin), err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// identity is the Temporal identity of the process's workers: the SDK's
// default, pid@host@.
func (p *proc) identity() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%d@%s@", p.cmd.Process.Pid, host)
}

func (p *proc) stdout() string { return p.out.String() }
func (p *proc) stderr() string { return p.errOut.String() }
func (p *proc) output() string {
	return "--- stdout\n" + p.stdout() + "--- stderr\n" + p.stderr()
}

// waitOutput waits until stdout or stderr matches re and returns the
// submatches.
func (p *proc) waitOutput(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, s := range []string{p.stdout(), p.stderr()} {
			if m := re.FindStringSubmatch(s); m != nil {
				return m
			}
		}
		select {
		case <-p.done:
			t.Fatalf("dslrun %s exited before printing %q:\n%s", strings.Join(p.cmd.Args[1:], " "), re, p.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dslrun %s did not print %q within %s:\n%s", strings.Join(p.cmd.Args[1:], " "), re, timeout, p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *proc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the process to exit and returns its exit code (-1 when
// killed by a signal).
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("dslrun %s still running after %s:\n%s", strings.Join(p.cmd.Args[1:], " "), timeout, p.output())
	}
	return p.cmd.ProcessState.ExitCode()
}

// lockedBuffer is a bytes.Buffer safe for a writer and readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// hangBound bounds every wait of these tests, against a hang only: the
// waits are for events (output, an exit, a file, a history event), which
// come far sooner on any machine, however busy.
const hangBound = 3 * time.Minute

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// writeFiles writes files into a new temporary folder and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func dial(t *testing.T, addr string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort: addr,
		Logger:   tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	})
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(c.Close)
	return c
}

// history returns the events of the latest run of id.
func history(ctx context.Context, t *testing.T, c client.Client, id string) []*historypb.HistoryEvent {
	t.Helper()
	var events []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		events = append(events, ev)
	}
	return events
}

// waitEvent waits, long-polling the history of id, until it has an event
// of type et.
func waitEvent(ctx context.Context, t *testing.T, c client.Client, id string, et enumspb.EventType) {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, id, "", true, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("no %v event in the history of %s: %v", et, id, err)
		}
		if ev.GetEventType() == et {
			return
		}
	}
	t.Fatalf("%s closed with no %v event", id, et)
}

// sleepCtx waits for d or until ctx ends: the pause between two polls of
// something eventually consistent.
func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func waitFile(t *testing.T, path string, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %s", path, timeout)
		}
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	for s := bufio.NewScanner(f); s.Scan(); {
		lines = append(lines, s.Text())
	}
	return lines
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func getJSON(ctx context.Context, t *testing.T, url string, v any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v\n%s", url, resp.Status, err, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, body)
	}
}
