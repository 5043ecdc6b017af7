package interpreter

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl"
)

// TestBusyCoroutinesFailTheRun: loops whose bodies start coroutines
// (forEach with concurrency, parallel, race) and never wait used to spin
// forever: every join of the coroutines counted as a wait. Their steps and
// coroutines now count toward one budget, so each run fails with
// LimitExceeded, non-retryable and not caught, in its first workflow task.
func TestBusyCoroutinesFailTheRun(t *testing.T) {
	for _, tc := range []struct {
		name, steps, where string
	}{
		{"while around forEach", `
  - try:
      - while: true
        do:
          - forEach: "${ [1, 2] }"
            concurrency: 2
            do: [{set: {n: "${ state.n + 1 }"}}]
    catch:
      - do: [{set: {caught: true}}]
`, "steps[0].try[0]"},
		{"while around parallel", `
  - while: true
    do:
      - parallel: [[{set: {n: "${ state.n + 1 }"}}]]
`, "steps[0]"},
		{"while around race", `
  - while: true
    do:
      - race:
          - [{set: {n: "${ state.n + 1 }"}}]
          - [{set: {n: "${ state.n + 2 }"}}]
`, "steps[0]"},
		{"await that holds", `
  - while: true
    do:
      - await: true
      - set: {n: "${ state.n + 1 }"}
`, "steps[0]"},
		{"nested forEach", `
  - forEach: "${ 1..1000 }"
    concurrency: 1000
    do:
      - forEach: "${ 1..1000 }"
        concurrency: 1000
        do: [{set: {n: "${ state.n + 1 }"}}]
`, "steps[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.run("dsl: v1\nname: busy\nstate: {n: 0}\nsteps:"+tc.steps, nil)
			app := h.wantFailure(LimitExceededType, tc.where, "without waiting once")
			if !app.NonRetryable() {
				t.Error("the limit failure is retryable")
			}
		})
	}
}

// TestCoroutinesPerTaskBounded: a fan-out whose iterations wait start at
// most maxTaskCoroutines coroutines before they do.
func TestCoroutinesPerTaskBounded(t *testing.T) {
	h := newHarness(t)
	h.run(`
dsl: v1
name: wide
steps:
  - forEach: "${ 1..6000 }"
    concurrency: 1000
    do:
      - parallel:
          - [{await: "${ false }"}]
          - [{await: "${ false }"}]
          - [{await: "${ false }"}]
          - [{await: "${ false }"}]
          - [{await: "${ false }"}]
`, nil)
	h.wantFailure(LimitExceededType, "steps[0].do[0]", "started 5000 coroutines (parallel branches, race branches, forEach iterations) without waiting once")
}

// TestWorkThatWaitsIsNotBounded: the budget starts again whenever the run
// really waits, remote activity, local activity or timer, so long loops
// and wide fan-outs that wait complete. Each run does well over
// maxBusySteps steps and coroutines in all (in the test environment the
// workflow task never changes: only the waits start the count again).
func TestWorkThatWaitsIsNotBounded(t *testing.T) {
	// 40 steps that cost no expression work, after each wait.
	constSets := strings.Repeat("\n      - set: {x: 1}", 40)
	inc := func(_ context.Context, in json.RawMessage) (int, error) {
		var n int
		err := json.Unmarshal(in, &n)
		return n + 1, err
	}
	for _, tc := range []struct {
		name, def string
		want      any
	}{
		{"fan-out of activities", `
dsl: v1
name: fan
steps:
  - id: each
    forEach: "${ 1..2000 }"
    concurrency: 50
    do:
      - parallel:
          - [{activity: inc, with: "${ item }"}]
          - [{set: {x: 1}}]
output: ${ len(steps.each.result) }
`, 2000},
		{"loop of local activities", `
dsl: v1
name: loop
state: {n: 0}
steps:
  - while: ${ state.n < 260 }
    do:
      - id: a
        activity: inc
        local: true
        with: ${ state.n }
      - set: {n: "${ steps.a.result }"}` + constSets + `
output: ${ state.n }
`, 260},
		{"loop of timers", `
dsl: v1
name: timers
state: {n: 0}
steps:
  - while: ${ state.n < 260 }
    do:
      - sleep: 1s
      - set: {n: "${ state.n + 1 }"}` + constSets + `
output: ${ state.n }
`, 260},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.activity("inc", inc)
			h.run(tc.def, nil)
			if got := h.result(); got != tc.want {
				t.Fatalf("output %v (%T), want %v", got, got, tc.want)
			}
		})
	}
}

// busyCoroutinesDef is the definition of testdata/histories/
// busy-coroutines.json, recorded (dslrun apply, then dslrun history -o
// json) before changeWorkBudget: its loop of forEach and parallel joins
// completed with 22,000 steps and coroutines in one workflow task.
const busyCoroutinesDef = `
dsl: v1
name: busy-coroutines
state: {n: 0, m: 0}
steps:
  - id: first
    activity: echo
    with: start
  - while: ${ state.n < 2000 }
    do:
      - forEach: "${ [1, 2] }"
        concurrency: 2
        do:
          - set: {m: "${ state.m + item }"}
      - parallel:
          - - set: {n: "${ state.n + 1 }"}
          - - set: {m: "${ state.m + 1 }"}
  - activity: echo
    with: ${ state.m }
output: '${ {n: state.n, m: state.m} }'
`

// TestBusyCoroutinesHistoryReplays: the history recorded before
// changeWorkBudget still replays (DefaultVersion: the old count), and the
// same definition fails a new run, whose history records the version.
func TestBusyCoroutinesHistoryReplays(t *testing.T) {
	h := loadHistory(t, historiesDir+"/busy-coroutines.json")
	var env Envelope
	started := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	if err := json.Unmarshal(started.GetInput().GetPayloads()[1].GetData(), &env); err != nil {
		t.Fatal(err)
	}
	if want := dsl.Hash(canonical(t, busyCoroutinesDef)); env.Hash != want {
		t.Fatalf("the recorded definition has hash %s, busyCoroutinesDef %s", env.Hash, want)
	}
	if err := replay(h); err != nil {
		t.Fatalf("replay: %v", err)
	}

	hr := newHarness(t)
	hr.activity("echo", echoActivity)
	hr.run(busyCoroutinesDef, nil)
	hr.wantFailure(LimitExceededType, "without waiting once")
}
