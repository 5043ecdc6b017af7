package dslruncmd_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/interpreter"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// TestEntityContinuesAsNewWhileWaiting (issue 11) runs examples/entity.yaml
// on the embedded server with afterEvents lowered from 2,000 to 100, and
// sends it 240 addPoints updates from four clients at once, so that many
// arrive around the continue-as-news, then close. The
// entity waits at its top-level await all along: it continues as new there,
// into several runs, none of whose histories grows far past afterEvents,
// and no update is lost: the points are their sum. Before, the run never
// continued as new while waiting: one run took every event, and a busy
// entity reached the history guard.
func TestEntityContinuesAsNewWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	src, err := os.ReadFile(filepath.Join("..", "examples", "entity.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "afterEvents: 2000") {
		t.Fatal("examples/entity.yaml no longer sets afterEvents: 2000")
	}
	src = []byte(strings.Replace(string(src), "afterEvents: 2000", "afterEvents: 100", 1))
	wdef, ds := dsl.Parse("entity.yaml", src)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	canonical, err := dsl.Canonical(wdef)
	if err != nil {
		t.Fatal(err)
	}
	const queue = "entity-can"
	c := startWorker(t, sharedServer(t), queue, nil)
	env := interpreter.NewEnvelope(canonical, dsl.Hash(canonical))
	r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, "entity", map[string]any{"points": 5}, env)
	if err != nil {
		t.Fatal(err)
	}
	first := r.GetRunID()

	const clients, each = 4, 60
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for range each {
				// By workflow id: the update goes to the run that is
				// current, and the client follows the chain.
				h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
					WorkflowID: r.GetID(), UpdateName: "addPoints", Args: []any{map[string]any{"points": 1}},
					WaitForStage: client.WorkflowUpdateStageCompleted,
				})
				if err == nil {
					err = h.Get(ctx, nil)
				}
				if err != nil {
					t.Errorf("addPoints: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: r.GetID(), UpdateName: "close", WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		t.Fatal(err)
	}
	var closedAt int
	if err := h.Get(ctx, &closedAt); err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := r.Get(ctx, &out); err != nil {
		t.Fatal(err)
	}
	want := 5 + clients*each
	if closedAt != want || out["points"] != float64(want) || out["level"] != "silver" {
		t.Errorf("close returned %d, output %v; want %d points, silver", closedAt, out, want)
	}

	runs := chainEvents(ctx, t, c, r.GetID(), first)
	// An update costs about 5 events (a workflow task, accepted,
	// completed); the four in flight when the run continues as new, and the
	// workflow tasks around it, stay far under 100 more.
	if len(runs) < 5 {
		t.Errorf("%d runs (%v events), want the updates spread over several", len(runs), runs)
	}
	for i, n := range runs {
		if n > 200 {
			t.Errorf("run %d has %d history events, more than the bound of 200", i, n)
		}
	}
	t.Logf("%d updates in %d runs of %v events", clients*each+1, len(runs), runs)
}

// awaitSignalsDef counts what signals and updates add while it waits at a
// top-level await, continuing as new every 100 events.
const awaitSignalsDef = `
dsl: v1
name: await-signals
state: {n: 0, signals: 0, updates: 0, closed: false}
continueAsNew: {afterEvents: 100}
signals:
  add:
    set: {n: "${ state.n + args }", signals: "${ state.signals + 1 }"}
updates:
  add:
    do:
      - set: {n: "${ state.n + args }", updates: "${ state.updates + 1 }"}
    return: ${ state.n }
  close:
    do:
      - set: {closed: true}
    return: ${ state.n }
steps:
  - await: ${ state.closed }
output: '${ {n: state.n, signals: state.signals, updates: state.updates} }'
`

// TestAwaitContinuesAsNewSignalsAndUpdates (issue 11): signals and updates
// sent at once from four clients to a run waiting at a top-level await,
// which continues as new every 100 events or so, all reach the state
// exactly once: none is lost at a continue-as-new. The signals of a run are
// handled, and its running handlers end, before it continues as new; a
// signal that arrives while the run completes makes the server refuse the
// continue-as-new (UnhandledCommand) and hand the run the signal first; an
// update not yet delivered then goes to the next run. An update delivered
// in the refused workflow task fails with the server's WorkflowNotReady
// ("unexpected workflow task failure"), and the client sends it again; yet
// the worker may have applied it already (seen once in 5 such updates): a
// Temporal server and SDK behaviour whenever a run closes, or continues as
// new, in a workflow task with an update while a signal arrives, which the
// test allows for.
func TestAwaitContinuesAsNewSignalsAndUpdates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	wdef, ds := dsl.Parse("await-signals.yaml", []byte(awaitSignalsDef))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	canonical, err := dsl.Canonical(wdef)
	if err != nil {
		t.Fatal(err)
	}
	const queue = "await-signals"
	c := startWorker(t, sharedServer(t), queue, nil)
	r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, "await-signals", nil, interpreter.NewEnvelope(canonical, dsl.Hash(canonical)))
	if err != nil {
		t.Fatal(err)
	}
	first := r.GetRunID()
	const each = 100
	var wg sync.WaitGroup
	var retried atomic.Int32
	for range 2 {
		wg.Go(func() {
			for range each {
				if err := c.SignalWorkflow(ctx, r.GetID(), "", "add", 1); err != nil {
					t.Errorf("signal: %v", err)
					return
				}
			}
		})
		wg.Go(func() {
			for i := 0; i < each; {
				h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
					WorkflowID: r.GetID(), UpdateName: "add", Args: []any{1000}, WaitForStage: client.WorkflowUpdateStageCompleted,
				})
				if err == nil {
					err = h.Get(ctx, nil)
				}
				var notReady *serviceerror.WorkflowNotReady
				if errors.As(err, &notReady) {
					// The server refused the workflow task that carried the
					// update (a continue-as-new with a signal arriving at the
					// same moment): the update did not happen; send it again.
					retried.Add(1)
					continue
				}
				if err != nil {
					t.Errorf("update: %v", err)
					return
				}
				i++
			}
		})
	}
	wg.Wait()
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: r.GetID(), UpdateName: "close", WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]int
	if err := r.Get(ctx, &out); err != nil {
		t.Fatal(err)
	}
	// Every signal once; every update at least once, and at most once more
	// for each one sent again (see above); n is what they added.
	sent := int(retried.Load())
	if out["signals"] != 2*each || out["updates"] < 2*each || out["updates"] > 2*each+sent || out["n"] != out["signals"]+1000*out["updates"] {
		t.Errorf("output %v: want %d signals, %d to %d updates, and n their sum", out, 2*each, 2*each, 2*each+sent)
	}
	runs := chainEvents(ctx, t, c, r.GetID(), first)
	if len(runs) < 5 {
		t.Errorf("%d runs (%v events), want the messages spread over several", len(runs), runs)
	}
	for i, n := range runs {
		if n > 250 {
			t.Errorf("run %d has %d history events, more than the bound of 250", i, n)
		}
	}
	t.Logf("%d signals and %d updates (%d sent again, %d applied twice) in %d runs of %v events", 2*each, 2*each+1, sent, out["updates"]-2*each, len(runs), runs)
}

// chainEvents returns the number of history events of each run of the
// chain that starts at run first.
func chainEvents(ctx context.Context, t testing.TB, c client.Client, id, first string) []int {
	t.Helper()
	var runs []int
	for runID := first; runID != ""; {
		it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		n, next := 0, ""
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			n++
			if a := ev.GetWorkflowExecutionContinuedAsNewEventAttributes(); a != nil {
				next = a.GetNewExecutionRunId()
			}
		}
		runs = append(runs, n)
		runID = next
	}
	return runs
}
