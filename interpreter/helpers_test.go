package interpreter

import (
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/dslrun/dslrun/dsl"
)

// harness is one test workflow environment with the interpreter registered.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	// start is the test clock when the environment was made.
	start time.Time
}

func newHarness(t *testing.T, opts ...Options) *harness {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := s.NewTestWorkflowEnvironment()
	// The deadlock detector fails a workflow task that runs longer than 1 s
	// by default: a clock, which a busy machine or the race detector (an
	// expression that spends its whole operation budget takes 0.2 s on an
	// idle machine) can trip. The interpreter's own limits are counts,
	// which the tests check; here the detector is a bound against a hang.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 5 * time.Minute})
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	Register(env, o)
	return &harness{t: t, env: env, start: env.Now()}
}

// activity registers fn as the activity called name.
func (h *harness) activity(name string, fn any) {
	h.env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
}

// updateAt sends the update name (id u1, no arguments) after d of test
// time and returns where its rejection or completion error lands.
func (h *harness) updateAt(d time.Duration, name string) *error {
	var err error
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(name, "u1", &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(e error) { err = e },
			OnComplete: func(_ any, e error) { err = e },
		}, nil)
	}, d)
	return &err
}

// canonical parses a YAML definition the production way.
func canonical(t testing.TB, src string) []byte {
	t.Helper()
	w, ds := dsl.Parse("test.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatalf("definition does not parse:\n%v", ds)
	}
	c, err := dsl.Canonical(w)
	if err != nil {
		t.Fatalf("canonical: %v", err)
	}
	return c
}

// run executes a definition inline, as dslrun apply does.
func (h *harness) run(src string, input any) {
	h.t.Helper()
	c := canonical(h.t, src)
	env := NewEnvelope(c, dsl.Hash(c))
	h.env.ExecuteWorkflow(WorkflowType, input, &env)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
}

// result returns the run's result, failing the test if the run failed.
func (h *harness) result() any {
	h.t.Helper()
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow failed: %v", err)
	}
	var raw json.RawMessage
	if err := h.env.GetWorkflowResult(&raw); err != nil {
		if strings.Contains(err.Error(), "no data available") {
			return nil // a nil result has no payload
		}
		h.t.Fatalf("result: %v", err)
	}
	v, err := decodeJSON(raw)
	if err != nil {
		h.t.Fatalf("result: %v", err)
	}
	return v
}

// appError returns the run's failure as an application error.
func (h *harness) appError() *temporal.ApplicationError {
	h.t.Helper()
	err := h.env.GetWorkflowError()
	if err == nil {
		h.t.Fatal("workflow succeeded, want a failure")
	}
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		h.t.Fatalf("workflow error %v (%T) has no application error", err, err)
	}
	return app
}

// wantFailure checks the run failed with an application error of type typ
// whose message contains every part.
func (h *harness) wantFailure(typ string, parts ...string) *temporal.ApplicationError {
	h.t.Helper()
	app := h.appError()
	if app.Type() != typ {
		h.t.Fatalf("error type %q, want %q (error: %v)", app.Type(), typ, app)
	}
	for _, p := range parts {
		if !strings.Contains(app.Error(), p) {
			h.t.Errorf("error %q does not contain %q", app.Error(), p)
		}
	}
	return app
}

func wantEqual(t *testing.T, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		t.Fatalf("got  %s (%#v)\nwant %s (%#v)", gb, got, wb, want)
	}
}

// num reads a JSON number from an activity input.
func num(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}
