package dslruncmd_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/activities/builtin"
	dhttp "github.com/dslrun/dslrun/activities/http" // also registers http in the default registry of this test binary, as cmd/dslrun does
	dslruncmd "github.com/dslrun/dslrun/cmd"
	"github.com/dslrun/dslrun/internal/devserver"
	"github.com/dslrun/dslrun/interpreter"
)

// exampleService is the local service that the examples/http-*.yaml
// definitions call. Each test gets a fresh one.
type exampleService struct {
	*httptest.Server
	token string // the Authorization that POST /items requires

	mu       sync.Mutex
	counts   map[string]int
	times    map[string][]time.Time
	authOK   bool
	jobPolls chan int // every GET /jobs/j1, with its count
	// ready is the request count at which a job, report or status is done;
	// 0 never.
	ready int
}

func newExampleService(t *testing.T, token string, ready int) *exampleService {
	t.Helper()
	s := &exampleService{token: token, counts: map[string]int{}, times: map[string][]time.Time{}, jobPolls: make(chan int, 10000), ready: ready}
	s.Server = httptest.NewServer(nethttp.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *exampleService) serve(w nethttp.ResponseWriter, r *nethttp.Request) {
	key := r.Method + " " + r.URL.Path
	s.mu.Lock()
	s.counts[key]++
	n := s.counts[key]
	s.times[key] = append(s.times[key], time.Now())
	s.mu.Unlock()
	done := s.ready > 0 && n >= s.ready
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch key {
	case "GET /items/1":
		reply(200, map[string]any{"id": 1, "name": "widget"})
	case "POST /items":
		if r.Header.Get("Authorization") != s.token {
			reply(401, map[string]any{"error": "unauthorized"}) // never echoes what it got
			return
		}
		s.mu.Lock()
		s.authOK = true
		s.mu.Unlock()
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		reply(201, map[string]any{"id": 2, "name": in["name"]})
	case "GET /flaky":
		if n < 3 {
			w.Header().Set("Retry-After", "1")
			reply(503, map[string]any{"error": "busy"})
			return
		}
		reply(200, map[string]any{"ok": true, "attempt": n})
	case "GET /big":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, strings.Repeat("x", 4096))
	case "POST /jobs":
		reply(200, map[string]any{"id": "j1"})
	case "GET /jobs/j1":
		s.jobPolls <- n
		state := "running"
		if done {
			state = "done"
		}
		reply(200, map[string]any{"state": state})
	case "GET /reports/r1":
		if !done {
			reply(202, map[string]any{"state": "running"})
			return
		}
		reply(200, map[string]any{"report": "r1", "rows": 3})
	case "GET /status":
		state := "running"
		if done {
			state = "done"
		}
		reply(200, map[string]any{"state": state})
	default:
		reply(404, map[string]any{"error": "not found"})
	}
}

func (s *exampleService) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[key]
}

// TestHTTPExamples runs every examples/http-*.yaml end to end on the shared
// embedded server against a local service, and checks the outputs and what
// the service saw. With -record it also writes their histories where
// TestRecordHistories writes the other examples' (for the interpreter's
// replay test).
func TestHTTPExamples(t *testing.T) {
	const token = "Bearer example-token"
	t.Setenv(dhttp.SecretEnvPrefix+"API_TOKEN", token)
	addr := sharedServer(t)
	for _, tt := range []struct {
		file  string
		ready int
		want  string
		check func(t *testing.T, s *exampleService)
	}{
		{"http-requests.yaml", 0, `{
			"item": {"id": 1, "name": "widget"},
			"created": {"id": 2, "name": "widget copy"},
			"missing": 404,
			"flaky": {"ok": true, "attempt": 3},
			"tooLarge": "HTTPResponseTooLarge"
		}`, func(t *testing.T, s *exampleService) {
			if !s.authOK {
				t.Error("POST /items never had the secret's Authorization")
			}
			// Retry-After: 1 on the 503s: each retry waited at least 1s
			// (the retry policy alone would wait 100ms, then 200ms).
			s.mu.Lock()
			times := s.times["GET /flaky"]
			s.mu.Unlock()
			for i := 1; i < len(times); i++ {
				if gap := times[i].Sub(times[i-1]); gap < 900*time.Millisecond {
					t.Errorf("retry %d of /flaky came %s after the previous attempt, despite Retry-After: 1", i, gap)
				}
			}
		}},
		{"http-poll-frequent.yaml", 3, `{"job": "j1", "state": "done", "polls": 3}`, nil},
		{"http-poll-infrequent.yaml", 3, `{"report": "r1", "rows": 3}`, func(t *testing.T, s *exampleService) {
			if n := s.count("GET /reports/r1"); n != 3 {
				t.Errorf("%d attempts, want 3", n)
			}
		}},
		{"http-poll-periodic.yaml", 5, `{"state": "done", "checks": 5}`, nil},
	} {
		t.Run(tt.file, func(t *testing.T) {
			s := newExampleService(t, token, tt.ready)
			queue := "q-http-" + strings.TrimSuffix(tt.file, ".yaml")
			code, stdout, stderr := run("apply", filepath.Join("..", "examples", tt.file), "--address", addr, "--worker",
				"--task-queue", queue, "--id", queue, "-q", "--input", fmt.Sprintf(`{"baseUrl": %q}`, s.URL))
			if code != 0 {
				t.Fatalf("apply exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			wantJSON(t, stdout, tt.want)
			if tt.check != nil {
				tt.check(t, s)
			}
			if *record {
				// TestRecordHistories -record skips these examples: they
				// need the local service.
				h := mustRun(t, dslruncmd.ExitOK, "history", queue, "--address", addr, "-o", "json")
				replayJSON(t, h)
				out := filepath.Join(historiesDir, strings.TrimSuffix(tt.file, ".yaml")+".json")
				if err := os.WriteFile(out, []byte(h), 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s", out)
			}
		})
	}
}

// TestHTTPPollCancelled cancels a run while its http step polls: the
// activity stops at once (the history records its cancellation, which the
// workflow waits for because the step has a heartbeatTimeout) and the run
// ends cancelled.
func TestHTTPPollCancelled(t *testing.T) {
	ctx := testContext(t, hangBound)
	addr := sharedServer(t)
	s := newExampleService(t, "", 0) // never done
	queue, id := "q-http-poll-cancel", "http-poll-cancel"
	startHTTPWorker(t, addr, queue)
	code, stdout, stderr := run("apply", filepath.Join("..", "examples", "http-poll-frequent.yaml"), "--address", addr,
		"--task-queue", queue, "--id", id, "--detach", "--input", fmt.Sprintf(`{"baseUrl": %q}`, s.URL))
	if code != 0 {
		t.Fatalf("apply exited %d\n%s%s", code, stdout, stderr)
	}
	for n := range s.jobPolls { // polling has started
		if n >= 2 {
			break
		}
	}
	c := dial(t, addr)
	if err := c.CancelWorkflow(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	waitEvent(ctx, t, c, id, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED)
	var cancelled bool
	for _, ev := range history(ctx, t, c, id) {
		if ev.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED {
			cancelled = true
		}
	}
	if !cancelled {
		t.Error("the polling activity never acknowledged its cancellation")
	}
}

// startHTTPWorker starts an in-process worker on queue serving the
// interpreter, the built-ins and http.
func startHTTPWorker(t *testing.T, addr, queue string) {
	t.Helper()
	c := dial(t, addr)
	w := worker.New(c, queue, worker.Options{})
	reg := activities.NewRegistry()
	if err := builtin.Register(reg); err != nil {
		t.Fatal(err)
	}
	if err := dhttp.Register(reg, dhttp.Options{}); err != nil {
		t.Fatal(err)
	}
	reg.Attach(w)
	interpreter.Register(w, interpreter.Options{})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
}

// TestHTTPSecretCanary runs examples/http-requests.yaml with a canary as
// the secret API_TOKEN, on an embedded server of its own backed by a
// SQLite file, with debug logs: the service gets the canary, and it
// appears nowhere in the history (payloads decoded), describe, the logs or
// the database files. Positive controls show each search finds what is
// there.
func TestHTTPSecretCanary(t *testing.T) {
	ctx := testContext(t, hangBound)
	canary := "Bearer canary-7f3a9c1e5b"
	t.Setenv(dhttp.SecretEnvPrefix+"API_TOKEN", canary)
	dir := t.TempDir()
	db := filepath.Join(dir, "canary.db")
	srv, err := devserver.Start(ctx, devserver.Options{DBFile: db})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = srv.Stop()
		}
	}
	t.Cleanup(stop)
	addr := srv.FrontendAddress()
	s := newExampleService(t, canary, 0)
	logFile := filepath.Join(dir, "worker.log")
	id := "http-canary"
	code, stdout, stderr := run("apply", filepath.Join("..", "examples", "http-requests.yaml"), "--address", addr, "--worker",
		"--task-queue", "q-http-canary", "--id", id, "--log-file", logFile, "--log-level", "debug",
		"--input", fmt.Sprintf(`{"baseUrl": %q}`, s.URL))
	if code != 0 {
		t.Fatalf("apply exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !s.authOK {
		t.Fatal("the service never got the secret: the canary proves nothing")
	}
	_, describe, describeErr := run("describe", id, "--address", addr)
	_, historyJSON, _ := run("history", id, "--address", addr, "-o", "json")
	_, historyText, _ := run("history", id, "--address", addr)
	events := history(ctx, t, dial(t, addr), id)
	logs, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{
		"apply output":      stdout + stderr,
		"describe":          describe + describeErr,
		"history -o json":   historyJSON + decodedPayloads(t, historyJSON),
		"history":           historyText,
		"history (decoded)": eventsText(t, events),
		"worker log":        string(logs),
	}
	// Positive controls: the secret's name, and the service's URL, which
	// is in the input and the activities' inputs.
	for name, want := range map[string]string{"history (decoded)": "API_TOKEN", "history -o json": s.URL, "worker log": "http"} {
		if !strings.Contains(texts[name], want) {
			t.Errorf("control: %s lacks %q, so the search for the canary there proves nothing", name, want)
		}
	}
	for name, text := range texts {
		if strings.Contains(text, "canary-7f3a9c1e5b") {
			t.Errorf("the secret's value is in %s", name)
		}
	}

	stop() // flush the database files
	files, _ := filepath.Glob(db + "*")
	var all []byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, data...)
	}
	if !strings.Contains(string(all), s.URL) {
		t.Errorf("control: the database files (%v) lack the service's URL", files)
	}
	if strings.Contains(string(all), "canary-7f3a9c1e5b") {
		t.Errorf("the secret's value is in the database files %v", files)
	}
}

// eventsText is the history as protojson text, with every payload's data
// decoded next to it.
func eventsText(t *testing.T, events []*historypb.HistoryEvent) string {
	t.Helper()
	var b strings.Builder
	for _, ev := range events {
		j, err := protojson.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
		payloadData(ev.ProtoReflect(), &b)
	}
	return b.String()
}

// payloadData appends the data of every temporal.api.common.v1.Payload
// inside m.
func payloadData(m protoreflect.Message, b *strings.Builder) {
	if m.Descriptor().FullName() == "temporal.api.common.v1.Payload" {
		if f := m.Descriptor().Fields().ByName("data"); f != nil {
			b.Write(m.Get(f).Bytes())
			b.WriteByte('\n')
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				payloadData(v.List().Get(i).Message(), b)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				payloadData(mv.Message(), b)
				return true
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			payloadData(v.Message(), b)
		}
		return true
	})
}

// decodedPayloads decodes every "data" string of a history in JSON form
// (base64 in Temporal's JSON).
func decodedPayloads(t *testing.T, historyJSON string) string {
	t.Helper()
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "data" {
					if d, err := base64.StdEncoding.DecodeString(s); err == nil {
						b.Write(d)
						b.WriteByte('\n')
					}
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var doc any
	if err := json.Unmarshal([]byte(historyJSON), &doc); err != nil {
		t.Fatalf("history -o json: %v", err)
	}
	walk(doc)
	return b.String()
}

// TestHTTPValidateMisspeltKey: validate reports a misspelt key of an http
// step's with: at its line, with a did-you-mean. (The column is the key's
// value's: dsl/validate maps the path of an unknown property to its value
// node.)
func TestHTTPValidateMisspeltKey(t *testing.T) {
	dir := writeFiles(t, map[string]string{"get.yaml": `dsl: v1
name: get
steps:
  - id: get
    activity: http
    with:
      url: https://example.com/items
      headrs: {Accept: application/json}
      poll: {intervl: 1s, until: response.status == 200}
`})
	code, stdout, stderr := run("validate", filepath.Join(dir, "get.yaml"))
	if code != 1 {
		t.Fatalf("validate exited %d, want 1\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		`get.yaml:8:15: steps[0].with.headrs: unknown property "headrs" (did you mean "headers"?) (input of activity "http")`,
		`get.yaml:9:23: steps[0].with.poll.intervl: unknown property "intervl" (did you mean "interval"?) (input of activity "http")`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("validate's stdout lacks\n%s\n in:\n%s", want, stdout)
		}
	}
}
