package interpreter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/dsl"
)

// library is a Definitions for tests: YAML definitions by name.
func library(t *testing.T, defs ...string) Definitions {
	t.Helper()
	m := map[string][]byte{}
	for _, src := range defs {
		c := canonical(t, src)
		w, err := dsl.Unmarshal(c)
		if err != nil {
			t.Fatal(err)
		}
		m[w.Name] = c
	}
	return DefinitionsFunc(func(name string) ([]byte, bool) {
		b, ok := m[name]
		return b, ok
	})
}

const greetDef = `
dsl: v1
name: greet
input:
  type: object
  required: [name]
  properties:
    name: {type: string}
steps:
  - id: hello
    activity: ${ "greet_" + input.lang }
    with: ${ input.name }
output: ${ steps.hello.result }
`

func TestStartedByNameWithInputOnly(t *testing.T) {
	h := newHarness(t, Options{Definitions: library(t, greetDef)})
	h.activity("greet_en", func(_ context.Context, n string) (string, error) { return "hello " + n, nil })
	h.activity("greet_fr", func(_ context.Context, n string) (string, error) { return "bonjour " + n, nil })
	h.env.ExecuteWorkflow("greet", map[string]any{"name": "Ada", "lang": "fr"})
	wantEqual(t, h.result(), "bonjour Ada")
}

func TestDefinitionErrors(t *testing.T) {
	good := canonical(t, greetDef)
	tests := []struct {
		name  string
		start func(h *harness)
		want  string
	}{
		{"unknown name", func(h *harness) { h.env.ExecuteWorkflow("nope", nil) }, `no definition named "nope"`},
		{"no source", func(h *harness) { h.env.ExecuteWorkflow(WorkflowType, nil) }, "needs the definition"},
		{"hash mismatch", func(h *harness) {
			h.env.ExecuteWorkflow(WorkflowType, map[string]any{"name": "x"}, &Envelope{Definition: good, Hash: "0000"})
		}, "does not match its hash"},
		{"type mismatch", func(h *harness) {
			h.env.ExecuteWorkflow("other", map[string]any{"name": "x"}, &Envelope{Definition: good})
		}, `workflow type "other" cannot run definition "greet"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{Definitions: library(t, greetDef)})
			tt.start(h)
			app := h.wantFailure(DefinitionErrorType, tt.want)
			if !app.NonRetryable() {
				t.Error("definition error is retryable")
			}
		})
	}
}

// TestStartForms: every form a run can be started in runs the same, on
// the definition's own type and on WorkflowType: an envelope with the
// definition as JSON or deflated (runs recorded before), and the compact
// start of NewStart (the definition as bytes after the input, or alone).
func TestStartForms(t *testing.T) {
	const def = `
dsl: v1
name: forms
steps:
  - set: {x: 1}
output: ${ [input, state.x] }
`
	c := canonical(t, def)
	compact, err := deflate(c)
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]any{"n": 1}
	deflated := NewEnvelope(c, dsl.Hash(c))
	for _, wfType := range []string{"forms", WorkflowType} {
		for _, tt := range []struct {
			name string
			args []any
			want string
		}{
			{"JSON envelope", []any{in, &Envelope{Definition: c, Hash: dsl.Hash(c)}}, `[{"n":1},1]`},
			{"deflated envelope", []any{in, &deflated}, `[{"n":1},1]`},
			{"input and compact definition", []any{in, compact}, `[{"n":1},1]`},
			{"null input and compact definition", []any{nil, compact}, `[null,1]`},
			{"compact definition alone", []any{compact}, `[null,1]`},
		} {
			t.Run(wfType+"/"+tt.name, func(t *testing.T) {
				h := newHarness(t)
				h.env.ExecuteWorkflow(wfType, tt.args...)
				if got, err := json.Marshal(h.result()); err != nil || string(got) != tt.want {
					t.Errorf("result %s (%v), want %s", got, err, tt.want)
				}
			})
		}
		t.Run(wfType+"/corrupt compact definition", func(t *testing.T) {
			h := newHarness(t)
			h.env.ExecuteWorkflow(wfType, []byte{deflatedFormat1, 0xff, 0xff, 0xff})
			h.wantFailure(DefinitionErrorType, "the definition in the run's arguments: the deflated definition is corrupt")
		})
	}
}

func TestInputSchemaChecked(t *testing.T) {
	h := newHarness(t, Options{Definitions: library(t, greetDef)})
	h.env.ExecuteWorkflow("greet", map[string]any{"lang": "en"})
	h.wantFailure(InputErrorType, "name is required")
}

func TestLocalActivity(t *testing.T) {
	const def = `
dsl: v1
name: local
steps:
  - id: l
    activity: add
    local: true
    startToCloseTimeout: 5s
    with: {a: 1, b: 2}
output: ${ steps.l.result }
`
	h := newHarness(t)
	// The SDK calls a local activity with the workflow's arguments as they
	// are; the interpreter hands it JSON, which the registry's adapter
	// decodes into the parameter type: register the production way.
	r := activities.NewRegistry()
	if err := r.Register(activities.Spec{Name: "add", Summary: "Add a and b"}, addActivity); err != nil {
		t.Fatal(err)
	}
	r.Attach(h.env)
	h.run(def, nil)
	wantEqual(t, h.result(), 3)
}

const parentDef = `
dsl: v1
name: parent
steps:
  - id: kid
    child:
      workflow: greet
      id: ${ "greet-" + input.name }
      with: ${ input }
  - id: detached
    child:
      workflow: greet
      id: detached-1
      wait: false
      parentClosePolicy: abandon
      with: {name: Bob, lang: en}
output: '${ {kid: steps.kid.result, detached: steps.detached.result.workflowId} }'
`

func TestChildWorkflow(t *testing.T) {
	h := newHarness(t, Options{Definitions: library(t, greetDef, parentDef)})
	h.activity("greet_en", func(_ context.Context, n string) (string, error) { return "hello " + n, nil })
	h.env.ExecuteWorkflow("parent", map[string]any{"name": "Ada", "lang": "en"})
	wantEqual(t, h.result(), map[string]any{"kid": "hello Ada", "detached": "detached-1"})
}

func TestChildFailureCaughtByOriginalType(t *testing.T) {
	const failing = `
dsl: v1
name: failing-child
steps:
  - activity: charge
    retry: {maximumAttempts: 1}
`
	const parent = `
dsl: v1
name: catching-parent
steps:
  - try:
      - child: {workflow: failing-child}
    catch:
      - types: [PaymentDeclined]
        do:
          - return: ${ error.type + " in " + error.activity }
`
	h := newHarness(t, Options{Definitions: library(t, failing, parent)})
	h.activity("charge", func(context.Context) error {
		return temporal.NewApplicationError("declined", "PaymentDeclined")
	})
	h.env.ExecuteWorkflow("catching-parent", nil)
	wantEqual(t, h.result(), "PaymentDeclined in failing-child")
}

func TestSignalWorkflow(t *testing.T) {
	const def = `
dsl: v1
name: signaller
steps:
  - signalWorkflow:
      workflowId: ${ "order-" + input.id }
      signal: approve
      with: {by: bot}
`
	h := newHarness(t)
	var sent atomic.Int32
	h.env.OnSignalExternalWorkflow(mock.Anything, "order-7", "", "approve", mock.Anything).Return(
		func(_, _, _ string, _ string, arg any) error {
			if m, ok := arg.(map[string]any); ok && m["by"] == "bot" {
				sent.Add(1)
			}
			return nil
		})
	h.run(def, map[string]any{"id": "7"})
	h.result()
	if sent.Load() != 1 {
		t.Fatal("signal not sent with its argument")
	}
}

func continueAsNew(t *testing.T, h *harness) (input any, env Envelope) {
	t.Helper()
	var can *workflow.ContinueAsNewError
	if !errors.As(h.env.GetWorkflowError(), &can) {
		t.Fatalf("workflow error %v, want continue-as-new", h.env.GetWorkflowError())
	}
	var raw json.RawMessage
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &raw, &env); err != nil {
		t.Fatal(err)
	}
	in, err := decodeJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	return in, env
}

func TestExplicitContinueAsNewCarriesState(t *testing.T) {
	const def = `
dsl: v1
name: counter
state: {count: 0}
steps:
  - set:
      count: ${ state.count + 1 }
  - if: ${ state.count < 3 }
    then:
      - continueAsNew:
          input: '${ {round: state.count} }'
          state:
            big: 9007199254740993
output: ${ state.count }
`
	h := newHarness(t)
	h.run(def, map[string]any{"round": 0})
	in, env := continueAsNew(t, h)
	wantEqual(t, in, map[string]any{"round": 1})
	if env.Carry == nil || env.Carry.Next != 0 || env.Carry.Runs != 1 {
		t.Fatalf("carry %+v, want next 0, runs 1", env.Carry)
	}
	wantEqual(t, env.Carry.State, map[string]any{"count": 1, "big": 9007199254740993})
	next, err := env.Canonical()
	if err != nil || len(env.Deflated) == 0 || !checkHash(next, dsl.Hash(canonical(t, def))) {
		t.Fatalf("the next run does not carry the same definition, deflated (%v)", err)
	}

	// The next run starts from the carried state.
	h2 := newHarness(t)
	h2.env.ExecuteWorkflow(WorkflowType, in, &Envelope{Deflated: env.Deflated, Carry: &Carry{State: map[string]any{"count": 2}}})
	wantEqual(t, h2.result(), 3)
}

func TestAutomaticContinueAsNewResumes(t *testing.T) {
	const def = `
dsl: v1
name: auto
state: {n: 0}
steps:
  - id: first
    set: {a: 1}
  - id: second
    set:
      n: ${ state.n + 1 }
  - set:
      n: ${ state.n + 10 }
output: '${ {n: state.n, first: steps.first.result} }'
`
	h := newHarness(t)
	h.env.SetContinueAsNewSuggested(true)
	h.run(def, nil)
	_, env := continueAsNew(t, h)
	if env.Carry.Next != 1 {
		t.Fatalf("resumes at %d, want 1", env.Carry.Next)
	}

	// Resume in a run where continue-as-new is not suggested.
	h2 := newHarness(t)
	h2.env.ExecuteWorkflow(WorkflowType, nil, &env)
	wantEqual(t, h2.result(), map[string]any{"n": 11, "first": map[string]any{"a": 1}})
}

func TestAutomaticContinueAsNewDisabled(t *testing.T) {
	const def = `
dsl: v1
name: no-auto
continueAsNew: {disabled: true}
steps:
  - set: {a: 1}
  - set: {b: 2}
output: ${ state }
`
	h := newHarness(t)
	h.env.SetContinueAsNewSuggested(true)
	h.run(def, nil)
	wantEqual(t, h.result(), map[string]any{"a": 1, "b": 2})
}

func TestAutomaticContinueAsNewInTopLevelWhile(t *testing.T) {
	const def = `
dsl: v1
name: poll
state: {n: 0}
steps:
  - while: ${ state.n < 5 }
    do:
      - sleep: 1m
      - set:
          n: ${ state.n + 1 }
output: ${ state.n }
`
	h := newHarness(t)
	h.env.SetContinueAsNewSuggested(true)
	h.run(def, nil)
	_, env := continueAsNew(t, h)
	// Step boundaries inside the loop's body are resumable too: the run
	// continues as new at the first one, after the sleep and before the
	// set (top-level step 0, the body, its step 1).
	if env.Carry.Next != 0 || fmt.Sprint(env.Carry.Resume) != "[0 0 1]" || num(env.Carry.State["n"]) != 0 {
		t.Fatalf("carry %+v, want resume at [0 0 1] with n = 0", env.Carry)
	}
	h2 := newHarness(t)
	h2.env.ExecuteWorkflow(WorkflowType, nil, &env)
	wantEqual(t, h2.result(), 5)
	if d := h2.env.Now().Sub(h2.start); d != 4*time.Minute {
		t.Fatalf("the resumed loop slept %v, want 4m", d)
	}
}

// TestNoInputIsAnEmptyObject: a run started by name without any argument
// (as `temporal workflow start --type optional` would) gets {} when the
// input schema is an object, so optional fields and defaults work; a
// required field is still enforced.
func TestNoInputIsAnEmptyObject(t *testing.T) {
	const optional = `
dsl: v1
name: optional
input:
  type: object
  properties: {name: {type: string}}
steps:
  - log: hi
output: ${ input?.name ?? "nobody" }
`
	h := newHarness(t, Options{Definitions: library(t, optional)})
	h.env.ExecuteWorkflow("optional")
	if got := h.result(); got != "nobody" {
		t.Fatalf("output = %v, want nobody", got)
	}

	h = newHarness(t, Options{Definitions: library(t, greetDef)})
	h.env.ExecuteWorkflow("greet")
	h.wantFailure(InputErrorType, "name is required")
}

// TestAutomaticContinueAsNewNested: with continue-as-new suggested all the
// time, a run continues as new at every step boundary it reaches, also
// inside an if inside a loop and inside a nested loop, and each next run
// resumes exactly there. The chain ends with the result of a run that
// never continues as new, and each run makes progress.
func TestAutomaticContinueAsNewNested(t *testing.T) {
	const def = `
dsl: v1
name: nested
state: {i: 0, j: 0, sum: 0}
steps:
  - log: start
  - while: ${ state.i < 3 }
    do:
      - if: ${ state.i != 1 }
        then:
          - set: {j: 0}
          - while: ${ state.j < 2 }
            do:
              - sleep: 1m
              - set: {sum: "${ state.sum + 10 }", j: "${ state.j + 1 }"}
        else:
          - switch:
              - when: ${ state.i == 1 }
                do:
                  - sleep: 1m
                  - set: {sum: "${ state.sum + 1 }"}
      - set: {i: "${ state.i + 1 }"}
output: ${ state.sum }
`
	plain := newHarness(t)
	plain.run(def, nil)
	want := plain.result()
	if num(want) != 41 {
		t.Fatalf("without continue-as-new: %v, want 41", want)
	}

	h := newHarness(t)
	h.env.SetContinueAsNewSuggested(true)
	h.run(def, nil)
	var resumes []string
	for runs := 1; ; runs++ {
		if runs > 100 {
			t.Fatalf("more than 100 runs: %v", resumes)
		}
		if h.env.GetWorkflowError() == nil {
			if got := h.result(); num(got) != 41 {
				t.Fatalf("after %d runs: %v, want 41 (resumed at %v)", runs, got, resumes)
			}
			t.Logf("%d runs, resumed at %v", runs, resumes)
			break
		}
		_, env := continueAsNew(t, h)
		resumes = append(resumes, fmt.Sprint(env.Carry.Resume))
		if n := len(resumes); n > 1 && resumes[n-1] == resumes[n-2] && env.Carry.Resume != nil {
			t.Fatalf("no progress: resumed at %v twice", resumes[n-1])
		}
		h = newHarness(t)
		h.env.SetContinueAsNewSuggested(true)
		h.env.ExecuteWorkflow(WorkflowType, nil, &env)
	}
	// Positions inside the nested loop and inside the switch were used.
	joined := strings.Join(resumes, " ")
	for _, p := range []string{"[1 0 0 0 1 0 1]", "[1 0 0 1 0 0 1]"} {
		if !strings.Contains(joined, p) {
			t.Errorf("no run resumed at %s: %v", p, joined)
		}
	}
}
