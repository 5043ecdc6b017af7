package dslruncmd_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/interpreter"
	"go.temporal.io/sdk/client"
)

// loopDef is a loop of 10,000 iterations, as 100 iterations of an outer
// loop each running 100 of an inner one, that sums the iteration numbers in
// state and runs an activity twice per inner loop (so its history grows,
// slowly): automatic continue-as-new then happens inside the inner loop as
// well as between outer iterations. continueAsNew is filled in by the test.
// (A timer would do as well as the activity, but the embedded server fires
// short timers up to a second late.)
const loopDef = `
dsl: v1
name: long-loop
state: {i: 0, j: 0, sum: 0}
continueAsNew: %s
steps:
  - while: ${ state.i < 100 }
    do:
      - set: {j: 0}
      - while: ${ state.j < 100 }
        do:
          - set: {sum: "${ state.sum + state.i * 100 + state.j }", j: "${ state.j + 1 }"}
          - if: ${ state.j %% 50 == 0 }
            then:
              - activity: echo
                with: ${ state.j }
      - set: {i: "${ state.i + 1 }"}
output: ${ state.sum }
`

// TestAutomaticContinueAsNewLongLoop runs the same nested 10,000-iteration
// loop on the embedded server twice: with automatic continue-as-new after
// 100 events, and with it disabled. Both must end with the same result; with
// it, the work is spread over several runs, none of whose histories
// exceeds afterEvents plus the events of one loop iteration and the
// continue-as-new itself (bound: 130 events).
func TestAutomaticContinueAsNewLongLoop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const queue = "can-long-loop"
	c := startWorker(t, sharedServer(t), queue, nil)

	run := func(can string) (result int, runs []int) {
		t.Helper()
		return runChain(ctx, t, c, queue, fmt.Sprintf(loopDef, can), "long-loop")
	}

	const want = 49995000 // 0 + 1 + ... + 9999
	gotOff, runsOff := run("{disabled: true}")
	gotOn, runsOn := run("{afterEvents: 100}")
	if gotOff != want || gotOn != want {
		t.Fatalf("results: without continue-as-new %d, with it %d; want %d for both", gotOff, gotOn, want)
	}
	if len(runsOff) != 1 {
		t.Errorf("disabled: %d runs, want 1", len(runsOff))
	}
	if len(runsOn) < 3 {
		t.Errorf("afterEvents 100: %d runs (%v), want the loop spread over several", len(runsOn), runsOn)
	}
	for i, n := range runsOn {
		if n > 130 {
			t.Errorf("run %d has %d history events, more than the bound of 130", i, n)
		}
	}
	t.Logf("without continue-as-new: one run of %d events; with it: %d runs of %v events", runsOff[0], len(runsOn), runsOn)
}

// runChain starts the definition src on queue as dslrun apply would, waits
// for the chain of runs it continues as new into, and returns the result
// and the number of history events of each run.
func runChain(ctx context.Context, t *testing.T, c client.Client, queue, src, name string) (result int, runs []int) {
	t.Helper()
	wdef, ds := dsl.Parse(name+".yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	canonical, err := dsl.Canonical(wdef)
	if err != nil {
		t.Fatal(err)
	}
	env := interpreter.Envelope{Definition: canonical, Hash: dsl.Hash(canonical)}
	r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, name, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	first := r.GetRunID() // Get follows the chain and moves the run id on
	if err := r.Get(ctx, &result); err != nil {
		t.Fatal(err)
	}
	// Walk the chain of runs from the first, counting each history.
	runs = chainEvents(ctx, t, c, r.GetID(), first)
	return result, runs
}

// fanOutDef is issue 11's case 4 made small: a forEach of 500 activities,
// 50 at a time, at the top level, summing their results.
const fanOutDef = `
dsl: v1
name: fan-out-can
continueAsNew: {afterEvents: 300}
steps:
  - id: each
    forEach: ${ 1..500 }
    concurrency: 50
    do:
      - activity: echo
        with: ${ item }
output: ${ sum(steps.each.result) }
`

// TestForEachContinuesAsNewOnServer (issue 11, case 4): the forEach
// continues as new whenever its run's history passes afterEvents, draining
// the iterations in flight each time, so no run holds more than afterEvents
// plus what the 50 iterations in flight add (an activity started and
// completed, a workflow task each at worst: 250 events) and the
// continue-as-new (bound: 600); every item's result reaches the sum. Before, the whole loop ran in one
// run of about 3,000 events, and a 100,000-item one was terminated by the
// server at 51,200.
func TestForEachContinuesAsNewOnServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const queue = "can-fan-out"
	c := startWorker(t, sharedServer(t), queue, nil)
	got, runs := runChain(ctx, t, c, queue, fanOutDef, "fan-out-can")
	if got != 125250 {
		t.Errorf("sum %d, want 125250", got)
	}
	if len(runs) < 3 {
		t.Errorf("%d runs (%v), want the loop spread over several", len(runs), runs)
	}
	for i, n := range runs {
		if n > 600 {
			t.Errorf("run %d has %d history events, more than the bound of 600", i, n)
		}
	}
	t.Logf("%d runs of %v events", len(runs), runs)
}
