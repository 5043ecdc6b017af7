package interpreter

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/dslrun/dslrun/activities"
)

// big is an expression of a value of about 3 MB as JSON: over the payload
// limit, within the expression limits (1 MiB per string).
const big = `"${ map(1..3, repeat('x', 1000000)) }"`

// TestPayloadTooLarge (issue 11, case 2): a payload over the limit built
// by an expression used to leave the run "running" forever, its workflow
// task failing on every attempt. The interpreter measures every payload
// before Temporal sees it, and fails the step or the run with
// PayloadTooLarge, non-retryable, naming the step and the size.
func TestPayloadTooLarge(t *testing.T) {
	for _, tc := range []struct {
		name, steps, extra, where string
	}{
		{"activity input", `
  - activity: echo
    with: ` + big, "", `steps[0]: the input of activity "echo" is 3000010 bytes as JSON`},
		{"output", `
  - set: {x: 1}
output: ` + big, "", "output: the output is 3000010 bytes"},
		{"return", `
  - return: ` + big, "", "steps[0]: the return value is 3000010 bytes"},
		{"signal argument", `
  - signalWorkflow: {workflowId: other, signal: go, with: ` + big + `}`, "", `steps[0]: the argument of signal "go" is 3000010 bytes`},
		{"child input", `
  - child: {workflow: greet, with: ` + big + `}`, "", `steps[0]: the input of child workflow "greet" (with its definition) is 3000010 bytes`},
		{"continueAsNew carry", `
  - continueAsNew:
      state: {blob: ` + big + `}`, "", "steps[0]: the continue-as-new's input, state, step results and definition is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.activity("echo", echoActivity)
			h.run("dsl: v1\nname: big\nsteps:"+tc.steps+"\n", nil)
			app := h.wantFailure(PayloadTooLargeType, tc.where, "over the payload limit of 2096128 bytes")
			if !app.NonRetryable() {
				t.Error("PayloadTooLarge is retryable")
			}
		})
	}
}

// TestPayloadTooLargeCaught: a step whose payload is too large fails like
// any step: catch handles it, with the size in error.details.
func TestPayloadTooLargeCaught(t *testing.T) {
	h := newHarness(t)
	h.activity("echo", echoActivity)
	h.run(`
dsl: v1
name: big
steps:
  - try:
      - activity: echo
        with: `+big+`
    catch:
      - types: [dslrun.PayloadTooLarge]
        do:
          - return: ${ error.details }
`, nil)
	wantEqual(t, h.result(), map[string]any{"bytes": 3000010, "limit": PayloadLimit})
}

// TestPayloadTooLargeResults: an update whose result is too large fails
// (the run goes on), and so does a query.
func TestPayloadTooLargeResults(t *testing.T) {
	h := newHarness(t)
	h.activity("echo", echoActivity)
	updateErr := h.updateAt(time.Minute, "grow")
	var queryErr error
	h.env.RegisterDelayedCallback(func() {
		_, queryErr = h.env.QueryWorkflow("blob")
		h.env.SignalWorkflow("done", nil)
	}, 2*time.Minute)
	h.run(`
dsl: v1
name: big
state: {done: false}
queries:
  blob: `+big+`
updates:
  grow:
    do: [{set: {x: 1}}]
    return: `+big+`
signals:
  done: {set: {done: true}}
steps:
  - await: ${ state.done }
output: ok
`, nil)
	if got := h.result(); got != "ok" {
		t.Fatalf("output %v", got)
	}
	for what, err := range map[string]error{"update": *updateErr, "query": queryErr} {
		if err == nil || !strings.Contains(err.Error(), PayloadTooLargeType) && !strings.Contains(err.Error(), "over the payload limit") {
			t.Errorf("%s: error %v, want %s", what, err, PayloadTooLargeType)
		}
	}
}

// TestPayloadJustUnderTheLimit: the limit is exact: a value of
// PayloadLimit bytes as JSON goes through.
func TestPayloadJustUnderTheLimit(t *testing.T) {
	h := newHarness(t)
	var got int
	h.activity("size", func(_ context.Context, in json.RawMessage) (int, error) {
		got = len(in)
		return len(in), nil
	})
	// A JSON string of n characters is n+2 bytes; a list adds its brackets
	// and commas.
	h.run(`
dsl: v1
name: edge
steps:
  - id: a
    activity: size
    with: "${ [repeat('x', 1000000), repeat('x', 1000000), repeat('x', 96118)] }"
output: ${ steps.a.result }
`, nil)
	if h.result() != PayloadLimit || got != PayloadLimit {
		t.Fatalf("the activity got %d bytes, want %d", got, PayloadLimit)
	}
}

// TestPayloadLimitHistoryReplays: testdata/payload-limit-old.json.gz
// (gzipped: 8 MB of JSON) was recorded before changePayloadLimit, on an
// embedded server whose blob size limit was raised to 16 MiB: an activity
// input and an output of 3 MB went through. It must still replay
// (DefaultVersion: no check), and the same definition now fails a new run
// at its first step.
func TestPayloadLimitHistoryReplays(t *testing.T) {
	f, err := os.Open("testdata/payload-limit-old.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	h, err := client.HistoryFromJSON(zr, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := replay(h); err != nil {
		t.Fatalf("replay: %v", err)
	}

	hr := newHarness(t)
	hr.activity("size", func(_ context.Context, in json.RawMessage) (int, error) { return len(in), nil })
	hr.run(`dsl: v1
name: payload-limit-old
steps:
  - id: a
    activity: size
    with: "${ map(1..3, repeat('x', 1000000)) }"
  - id: b
    activity: size
    with: small
output: "${ {a: steps.a.result, b: steps.b.result, blob: map(1..3, repeat('y', 1000000))} }"
`, nil)
	hr.wantFailure(PayloadTooLargeType, `steps[0]: the input of activity "size" is 3000010 bytes`)
}

// TestActivityResultTooLarge (issue 11): an activity of a registry whose
// result is over the payload limit fails non-retryably with
// PayloadTooLarge, in the activity, local or not. A local activity's
// result goes into a marker that the server refuses, failing the workflow
// task forever; a remote one is refused when the worker reports it and
// the attempt times out, again and again. catch handles the failure.
func TestActivityResultTooLarge(t *testing.T) {
	for _, local := range []bool{false, true} {
		t.Run(map[bool]string{false: "remote", true: "local"}[local], func(t *testing.T) {
			h := newHarness(t)
			reg := activities.NewRegistry()
			if err := reg.Register(activities.Spec{Name: "blob", Summary: "3 MB"}, func(context.Context, any) (string, error) {
				return strings.Repeat("x", 3_000_000), nil
			}); err != nil {
				t.Fatal(err)
			}
			reg.Attach(h.env)
			h.run(fmt.Sprintf(`
dsl: v1
name: big-result
steps:
  - try:
      - activity: blob
        local: %v
    catch:
      - types: [dslrun.PayloadTooLarge]
        do:
          - return: ${ error.message }
`, local), nil)
			got, _ := h.result().(string)
			if !strings.Contains(got, `the result of activity "blob" is 3000002 bytes as JSON, over the payload limit of 2096128 bytes`) {
				t.Fatalf("caught %q", got)
			}
		})
	}
}

// TestFailureTooLarge (issue 11): a run or an update that fails with a
// failure over the payload limit, its message, details and cause together
// (a fail step's details, or an activity's failure details, which the
// failure carries twice: decoded and in its cause), fails with
// PayloadTooLarge naming the step instead: Temporal would refuse the
// failure by failing the workflow task, forever. A failure under the
// limit keeps its type.
func TestFailureTooLarge(t *testing.T) {
	const half = `"${ repeat('x', 1000000) }"` // about 1 MB as JSON
	for _, tc := range []struct {
		name, steps, typ, where string
	}{
		{"fail details", `
  - fail: {type: Oops, message: too much, details: ` + big + `}`, PayloadTooLargeType, `steps[0]: the failure of type Oops (message "too much", details and cause) is 30000`},
		{"fail details under the limit", `
  - fail: {type: Oops, message: enough, details: ` + half + `}`, "Oops", "steps[0]: enough"},
		{"activity failure details, twice", `
  - set: {x: 1}
  - activity: boom
    with: {size: 1100000}`, PayloadTooLargeType, `steps[1]: the failure of type Boom (message "boom", details and cause) is 22000`},
		{"activity failure details, once", `
  - activity: boom
    with: {size: 900000}`, "Boom", `steps[0]: activity "boom" failed: boom`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.activity("boom", func(_ context.Context, in struct{ Size int }) error {
				return temporal.NewNonRetryableApplicationError("boom", "Boom", nil, strings.Repeat("y", in.Size))
			})
			h.run("dsl: v1\nname: big\nsteps:"+tc.steps+"\n", nil)
			h.wantFailure(tc.typ, tc.where)
		})
	}
}

// TestFailureTooLargeInUpdate: an update whose do fails with details over
// the limit fails with PayloadTooLarge; the run goes on.
func TestFailureTooLargeInUpdate(t *testing.T) {
	h := newHarness(t)
	updateErr := h.updateAt(time.Minute, "explode")
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow("done", nil) }, 2*time.Minute)
	h.run(`
dsl: v1
name: big
state: {done: false}
updates:
  explode:
    do:
      - fail: {type: Oops, message: too much, details: `+big+`}
signals:
  done: {set: {done: true}}
steps:
  - await: ${ state.done }
output: ok
`, nil)
	if got := h.result(); got != "ok" {
		t.Fatalf("output %v", got)
	}
	var app *temporal.ApplicationError
	if !errors.As(*updateErr, &app) || app.Type() != PayloadTooLargeType || !strings.Contains(app.Error(), "updates.explode.do[0]: the failure of type Oops") {
		t.Errorf("update error %v, want %s naming updates.explode.do[0]", *updateErr, PayloadTooLargeType)
	}
}
