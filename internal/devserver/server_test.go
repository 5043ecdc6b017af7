package devserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// shared is the in-memory server of the tests that need no server of their
// own, started once in TestMain.
var shared *Server

// keywordAttr is a custom search attribute registered on the shared server.
const keywordAttr = "DslrunTestKeyword"

func TestMain(m *testing.M) {
	if os.Getenv(quietChildEnv) != "" {
		os.Exit(runQuietChild())
	}
	var err error
	shared, err = Start(context.Background(), Options{
		SearchAttributes: map[string]enumspb.IndexedValueType{keywordAttr: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start shared server:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := shared.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop shared server:", err)
		code = 1
	}
	os.Exit(code)
}

// quietLogger keeps the SDK's own logs out of the test output.
func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func dial(t testing.TB, s *Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  s.FrontendAddress(),
		Namespace: s.Namespace(),
		Logger:    quietLogger(),
	})
	if err != nil {
		t.Fatalf("dial %s: %v", s.FrontendAddress(), err)
	}
	return c
}

func startWorker(t testing.TB, c client.Client, taskQueue string) worker.Worker {
	t.Helper()
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(greetWorkflow)
	w.RegisterWorkflow(wakeWorkflow)
	w.RegisterWorkflow(counterWorkflow)
	w.RegisterActivity(greet)
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	return w
}

func greet(_ context.Context, name string) (string, error) {
	return "hello " + name, nil
}

func greetWorkflow(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, greet, name).Get(ctx, &out)
	return out, err
}

// counterWorkflow adds the arguments of its "add" updates until signalled
// "done".
func counterWorkflow(ctx workflow.Context) (int, error) {
	total := 0
	if err := workflow.SetUpdateHandler(ctx, "add", func(_ workflow.Context, n int) (int, error) {
		total += n
		return total, nil
	}); err != nil {
		return 0, err
	}
	workflow.GetSignalChannel(ctx, "done").Receive(ctx, nil)
	return total, nil
}

// testTimeout bounds each test against a hang. It is no measure of speed:
// nothing in these tests waits for a duration, and on a busy machine the
// servers take many times longer to start than on an idle one.
const testTimeout = 3 * time.Minute

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func TestWorkflowWithActivity(t *testing.T) {
	ctx := testContext(t)
	c := dial(t, shared)
	defer c.Close()
	w := startWorker(t, c, t.Name())
	defer w.Stop()

	for i := range 3 {
		begin := time.Now()
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: t.Name()}, greetWorkflow, "dslrun")
		if err != nil {
			t.Fatalf("start workflow: %v", err)
		}
		var got string
		if err := run.Get(ctx, &got); err != nil {
			t.Fatalf("workflow result: %v", err)
		}
		if got != "hello dslrun" {
			t.Errorf("result = %q, want %q", got, "hello dslrun")
		}
		t.Logf("workflow %d with one activity: %s", i+1, time.Since(begin))
	}
}

func TestUpdateWithStart(t *testing.T) {
	ctx := testContext(t)
	c := dial(t, shared)
	defer c.Close()
	w := startWorker(t, c, t.Name())
	defer w.Stop()

	id := "counter-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	add := func(n int) int {
		t.Helper()
		op := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
			ID:                       id,
			TaskQueue:                t.Name(),
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		}, counterWorkflow)
		h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
			StartWorkflowOperation: op,
			UpdateOptions: client.UpdateWorkflowOptions{
				UpdateName:   "add",
				Args:         []any{n},
				WaitForStage: client.WorkflowUpdateStageCompleted,
			},
		})
		if err != nil {
			t.Fatalf("update-with-start: %v", err)
		}
		var total int
		if err := h.Get(ctx, &total); err != nil {
			t.Fatalf("update result: %v", err)
		}
		return total
	}
	if got := add(5); got != 5 {
		t.Errorf("first update-with-start = %d, want 5 (a new workflow)", got)
	}
	if got := add(3); got != 8 {
		t.Errorf("second update-with-start = %d, want 8 (the same workflow)", got)
	}
	if err := c.SignalWorkflow(ctx, id, "", "done", nil); err != nil {
		t.Fatalf("signal: %v", err)
	}
	var total int
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, &total); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	if total != 8 {
		t.Errorf("workflow result = %d, want 8", total)
	}
}

func TestSearchAttributeVisibility(t *testing.T) {
	ctx := testContext(t)
	c := dial(t, shared)
	defer c.Close()
	w := startWorker(t, c, t.Name())
	defer w.Stop()

	key := temporal.NewSearchAttributeKeyKeyword(keywordAttr)
	value := "order-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		TaskQueue:             t.Name(),
		TypedSearchAttributes: temporal.NewSearchAttributes(key.ValueSet(value)),
	}, greetWorkflow, "search")
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	query := fmt.Sprintf("%s = %q", keywordAttr, value)
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Fatalf("list workflows %q: %v", query, err)
		}
		if n := len(resp.GetExecutions()); n == 1 {
			if got := resp.GetExecutions()[0].GetExecution().GetWorkflowId(); got != run.GetID() {
				t.Fatalf("listed workflow %q, want %q", got, run.GetID())
			}
			return
		} else if n > 1 {
			t.Fatalf("query %q matched %d workflows, want 1", query, n)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("query %q never listed the workflow: %v", query, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// wakeWorkflow is the run of TestFileDatabaseSurvivesRestart. It greets (an
// activity), starts an hour-long durable timer, and waits for that timer or a
// "wake" signal. Woken by the signal, it cancels the timer, which the server
// accepts only for a timer it holds, and returns the greeting and the signal's
// value; woken by the timer, it says so.
func wakeWorkflow(ctx workflow.Context, name string) (string, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var greeting string
	if err := workflow.ExecuteActivity(actx, greet, name).Get(ctx, &greeting); err != nil {
		return "", err
	}
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	timer := workflow.NewTimer(timerCtx, wakeTimer)
	var by string
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(timer, func(workflow.Future) { by = "the timer" })
	sel.AddReceive(workflow.GetSignalChannel(ctx, "wake"), func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, &by)
		cancelTimer()
	})
	sel.Select(ctx)
	if err := timer.Get(ctx, nil); err != nil && !temporal.IsCanceledError(err) {
		return "", err
	}
	return greeting + ", woken by " + by, nil
}

// wakeTimer is the timer of wakeWorkflow: far longer than testTimeout, so the
// servers of the test stop and start while it is pending.
const wakeTimer = time.Hour

// TestFileDatabaseSurvivesRestart stops the server while a run waits on a
// durable timer and a signal, starts a new server on the same file, and
// signals the run there: it resumes with the result of the activity it ran
// on the first server, and cancels the timer the first server started.
// Nothing depends on how long anything takes: the timer cannot be due
// before the test's bound against a hang, and the run is woken by a signal
// sent after the restart.
func TestFileDatabaseSurvivesRestart(t *testing.T) {
	ctx := testContext(t)
	dbFile := filepath.Join(t.TempDir(), "dslrun.db")
	opts := Options{DBFile: dbFile, Namespace: "durable", Retention: 72 * time.Hour}

	begin := time.Now()
	first, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("start on a new file: %v", err)
	}
	c := dial(t, first)
	t.Logf("new file database: start → client connected in %s", time.Since(begin))
	if !nonEmpty(dbFile) || !nonEmpty(dbFile+"-wal") {
		t.Errorf("want a non-empty database file and write-ahead log after start")
	}
	w := startWorker(t, c, t.Name())
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: t.Name()}, wakeWorkflow, "durable")
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	waitForEvent(ctx, t, c, run, enumspb.EVENT_TYPE_TIMER_STARTED)

	// While the first server runs, its file is locked.
	if s, err := Start(ctx, opts); err == nil {
		_ = s.Stop()
		t.Fatal("a second server started on a database file in use")
	} else if !strings.Contains(err.Error(), "in use by another server") {
		t.Errorf("second server on the same file: error %q, want it to say the file is in use", err)
	}

	w.Stop()
	c.Close()
	stopBegin := time.Now()
	if err := first.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("stop with clients closed: %s", time.Since(stopBegin))
	if err := first.Stop(); err != nil {
		t.Errorf("second Stop: %v, want the first result (nil)", err)
	}

	// The second start also adds a search attribute to the existing
	// namespace, through the operator API.
	opts.SearchAttributes = map[string]enumspb.IndexedValueType{"DslrunAddedLater": enumspb.INDEXED_VALUE_TYPE_INT}
	begin = time.Now()
	second, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("start again on the same file: %v", err)
	}
	defer func() {
		if err := second.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	c = dial(t, second)
	defer c.Close()
	t.Logf("existing file database: start → client connected in %s", time.Since(begin))

	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "durable"})
	if err != nil {
		t.Fatalf("namespace after restart: %v", err)
	}
	if got := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != 72*time.Hour {
		t.Errorf("retention after restart = %s, want 72h", got)
	}

	attrs, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "durable"})
	if err != nil {
		t.Fatalf("list search attributes: %v", err)
	}
	if got := attrs.GetCustomAttributes()["DslrunAddedLater"]; got != enumspb.INDEXED_VALUE_TYPE_INT {
		t.Errorf("search attribute added on restart: type %s, want Int", got)
	}

	if err := c.SignalWorkflow(ctx, run.GetID(), run.GetRunID(), "wake", "the second server"); err != nil {
		t.Fatalf("signal after restart: %v", err)
	}
	w = startWorker(t, c, t.Name())
	defer w.Stop()
	var got string
	if err := c.GetWorkflow(ctx, run.GetID(), run.GetRunID()).Get(ctx, &got); err != nil {
		t.Fatalf("workflow result after restart: %v", err)
	}
	if want := "hello durable, woken by the second server"; got != want {
		t.Errorf("result = %q, want %q", got, want)
	}
	var events []enumspb.EventType
	iter := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("history after restart: %v", err)
		}
		events = append(events, ev.GetEventType())
	}
	for _, want := range []enumspb.EventType{
		enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
		enumspb.EVENT_TYPE_TIMER_STARTED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
		enumspb.EVENT_TYPE_TIMER_CANCELED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
	} {
		if !slices.Contains(events, want) {
			t.Errorf("history after restart has no %s event: %v", want, events)
		}
	}
}

// waitForEvent waits, long-polling the run's history, until it holds an
// event of type typ.
func waitForEvent(ctx context.Context, t *testing.T, c client.Client, run client.WorkflowRun, typ enumspb.EventType) {
	t.Helper()
	iter := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), true, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("history while waiting for a %s event: %v", typ, err)
		}
		if ev.GetEventType() == typ {
			return
		}
	}
	t.Fatalf("the run closed with no %s event", typ)
}

// TestTwoMemoryServers checks that a second in-memory server in the process
// has a store of its own, and serves the Web UI.
func TestTwoMemoryServers(t *testing.T) {
	ctx := testContext(t)
	uiPort := freePort(t)
	begin := time.Now()
	other, err := Start(ctx, Options{UIPort: uiPort})
	if err != nil {
		t.Fatalf("start second server: %v", err)
	}
	t.Logf("in-memory server with UI: started in %s", time.Since(begin))
	defer func() {
		if err := other.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	if other.FrontendAddress() == shared.FrontendAddress() {
		t.Fatalf("both servers on %s", other.FrontendAddress())
	}

	c := dial(t, shared)
	defer c.Close()
	id := "only-on-shared-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: t.Name()}, greetWorkflow, "x"); err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	defer func() { _ = c.TerminateWorkflow(ctx, id, "", "test over") }()

	oc := dial(t, other)
	defer oc.Close()
	_, err = oc.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if !errors.As(err, &notFound) {
		t.Errorf("workflow of the shared server seen on the second one: describe error %v, want NotFound", err)
	}
	if _, err := c.DescribeWorkflowExecution(ctx, id, ""); err != nil {
		t.Errorf("describe on the shared server: %v", err)
	}

	t.Run("UI", func(t *testing.T) {
		if got, want := other.UIAddress(), net.JoinHostPort("127.0.0.1", strconv.Itoa(uiPort)); got != want {
			t.Errorf("UIAddress() = %q, want %q", got, want)
		}
		if shared.UIAddress() != "" {
			t.Errorf("UIAddress() of a server without UI = %q, want empty", shared.UIAddress())
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+other.UIAddress()+"/api/v1/namespaces", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET namespaces: %v", err)
		}
		defer func() { _ = resp.Body.Close() }()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("read body: %v", err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET namespaces: %s: %s", resp.Status, body)
		}
		var list struct {
			Namespaces []struct {
				NamespaceInfo struct {
					Name string `json:"name"`
				} `json:"namespaceInfo"`
			} `json:"namespaces"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
		var names []string
		for _, ns := range list.Namespaces {
			names = append(names, ns.NamespaceInfo.Name)
		}
		if !slices.Contains(names, DefaultNamespace) {
			t.Errorf("UI lists namespaces %q, want %q among them", names, DefaultNamespace)
		}
	})
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

func TestStartRefuses(t *testing.T) {
	dir := t.TempDir()
	notSQLite := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notSQLite, []byte("not a database, just some text"), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = busy.Close() }()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"any address", Options{IP: "0.0.0.0"}, "refusing to bind the embedded server to 0.0.0.0"},
		{"LAN address", Options{IP: "192.168.1.20"}, "refusing to bind the embedded server to 192.168.1.20"},
		{"IPv6 any", Options{IP: "::"}, "refusing to bind the embedded server to ::"},
		{"host name", Options{IP: "example.com"}, `invalid IP address "example.com"`},
		{"log level", Options{LogLevel: "loud"}, `unknown log level "loud"`},
		{"negative port", Options{FrontendPort: -1}, "invalid frontend port -1"},
		{"shared port", Options{FrontendPort: 7233, UIPort: 7233}, "frontend and UI cannot share port 7233"},
		{"frontend port in use", Options{FrontendPort: busyPort}, "frontend port:"},
		{"UI port in use", Options{UIPort: busyPort}, "UI port:"},
		{"not SQLite", Options{DBFile: notSQLite}, "is not a SQLite database"},
		{"URI characters", Options{DBFile: filepath.Join(dir, "a?mode=memory")}, "must not contain"},
		{"missing directory", Options{DBFile: filepath.Join(dir, "missing", "x.db")}, "database file:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(context.Background(), tt.opts)
			if err == nil {
				_ = s.Stop()
				t.Fatalf("Start(%+v) succeeded, want an error containing %q", tt.opts, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start(%+v) error = %q, want it to contain %q", tt.opts, err, tt.want)
			}
		})
	}
	if data, err := os.ReadFile(notSQLite); err != nil || !bytes.HasPrefix(data, []byte("not a database")) {
		t.Errorf("the refused file was changed: %q, %v", data, err)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogWriter(t *testing.T) {
	var buf syncBuffer
	ctx := testContext(t)
	s, err := Start(ctx, Options{LogLevel: "info", LogWriter: &buf})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	first, _, _ := strings.Cut(buf.String(), "\n")
	var line struct {
		Level string `json:"level"`
		Msg   string `json:"msg"`
	}
	if err := json.Unmarshal([]byte(first), &line); err != nil {
		t.Fatalf("first log line %q is not JSON: %v", first, err)
	}
	if line.Level != "info" || line.Msg == "" {
		t.Errorf("first log line %q: want an info message", first)
	}
}

// quietChildEnv, when set, makes the test binary run runQuietChild instead
// of the tests.
const quietChildEnv = "DSLRUN_DEVSERVER_QUIET_CHILD"

// TestQuiet runs a server, a workflow and Stop in a child process with no
// LogWriter, and checks that the child wrote nothing at all.
func TestQuiet(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(testContext(t), exe)
	cmd.Env = append(os.Environ(), quietChildEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	if stdout.Len() > 0 || stderr.Len() > 0 {
		t.Errorf("the server wrote to the terminal\nstdout:\n%s\nstderr:\n%s", &stdout, &stderr)
	}
}

// runQuietChild is the child of TestQuiet: it prints only on failure.
func runQuietChild() int {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		return 1
	}
	dir, err := os.MkdirTemp("", "dslrun-quiet-")
	if err != nil {
		return fail("temp dir: %v", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	s, err := Start(ctx, Options{DBFile: filepath.Join(dir, "dslrun.db")})
	if err != nil {
		return fail("start: %v", err)
	}
	c, err := client.Dial(client.Options{HostPort: s.FrontendAddress(), Logger: quietLogger()})
	if err != nil {
		return fail("dial: %v", err)
	}
	w := worker.New(c, "quiet", worker.Options{})
	w.RegisterWorkflow(greetWorkflow)
	w.RegisterActivity(greet)
	if err := w.Start(); err != nil {
		return fail("worker: %v", err)
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "quiet"}, greetWorkflow, "quiet")
	if err != nil {
		return fail("start workflow: %v", err)
	}
	if err := run.Get(ctx, nil); err != nil {
		return fail("workflow: %v", err)
	}
	w.Stop()
	c.Close()
	if err := s.Stop(); err != nil {
		return fail("stop: %v", err)
	}
	return 0
}
