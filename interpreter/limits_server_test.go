//go:build dslrun_server

package interpreter

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/dsl"
)

// limitsDefs are the definitions whose histories pin the version gates of
// continue-as-new inside forEach and of the history guard. They are small
// on purpose: afterEvents and the guard (lowered by the replay test, see
// limitsGuard) make them cross their thresholds within a few hundred events.
var limitsDefs = []struct {
	file string // base name of the recorded histories
	dir  string // histories (replayed by the glob) or limits (guard lowered)
	src  string
	// drive, when set, sends the run its signals and updates, by workflow
	// id (so to whichever run of the chain is current).
	drive func(ctx context.Context, t *testing.T, c client.Client, id string)
}{
	{"foreach-can", historiesDir, `
dsl: v1
name: foreach-can
continueAsNew: {afterEvents: 100}
steps:
  - id: each
    forEach: ${ 1..40 }
    concurrency: 4
    do:
      - activity: inc
        with: ${ item }
  - id: seq
    forEach: ${ 1..20 }
    do:
      - activity: inc
        with: ${ item * 10 }
  - log: done
output: '${ {each: sum(steps.each.result), seq: sum(steps.seq.result)} }'
`, nil},
	{"history-guard", limitsHistoriesDir, `
dsl: v1
name: history-guard
steps:
  - parallel:
      - - forEach: ${ 1..30 }
          do:
            - activity: inc
              with: ${ item }
      - - activity: inc
          with: 0
  - log: done
`, nil},
	{"await-can", limitsHistoriesDir, awaitCanDef, driveAwaitCan},
}

// awaitCanDef waits at two top-level awaits, without and with a timeout,
// while signals and updates make its history grow past afterEvents: the
// runs before changeAwaitContinue keep waiting in one run, later ones
// continue as new while waiting.
const awaitCanDef = `
dsl: v1
name: await-can
state: {n: 0, done: false}
continueAsNew: {afterEvents: 100}
signals:
  add:
    set: {n: "${ state.n + args }"}
updates:
  add:
    do:
      - set: {n: "${ state.n + args }"}
    return: ${ state.n }
  close:
    do:
      - set: {done: true}
steps:
  - await: ${ state.n >= 30 }
  - id: open
    await: ${ state.done }
    timeout: 1h
  - log: done
output: '${ {n: state.n, open: steps.open.result} }'
`

// driveAwaitCan sends 30 signals (the first await), then 30 updates and
// close (the second). Before changeAwaitContinue the run stays at the
// awaits, and the history guard (lowered to limitsGuard) fails it during
// the updates: the driver stops there.
func driveAwaitCan(ctx context.Context, t *testing.T, c client.Client, id string) {
	for range 30 {
		if err := c.SignalWorkflow(ctx, id, "", "add", 1); err != nil {
			t.Logf("signal: %v", err)
			return
		}
	}
	for _, name := range append(slices.Repeat([]string{"add"}, 30), "close") {
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateName: name, Args: []any{1}, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		if err != nil {
			t.Logf("update %s: %v", name, err)
			return
		}
	}
}

// TestServerRecordLimits runs limitsDefs on the embedded server and replays
// every run of each chain; with DSLRUN_RECORD_HISTORIES=SUFFIX it writes
// them as FILE-SUFFIX-N.json (N: the run in the chain, from 1). The guard
// is lowered to limitsGuard while it runs, as the replay test lowers it.
//
//	DSLRUN_RECORD_HISTORIES=v0 go test -tags dslrun_server -run ServerRecordLimits ./interpreter/
func TestServerRecordLimits(t *testing.T) {
	defer lowerGuard()()
	ctx, c := startServer(t, 5*time.Minute)
	const tq = "record-limits"
	w := worker.New(c, tq, worker.Options{})
	reg := activities.NewRegistry()
	if err := reg.Register(activities.Spec{Name: "inc", Summary: "Add one"}, incActivity); err != nil {
		t.Fatal(err)
	}
	reg.Attach(w)
	Register(w, Options{})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	suffix := os.Getenv("DSLRUN_RECORD_HISTORIES")
	for _, d := range limitsDefs {
		def := canonical(t, d.src)
		r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: tq}, WorkflowType, nil, &Envelope{Definition: def, Hash: dsl.Hash(def)})
		if err != nil {
			t.Fatal(err)
		}
		first := r.GetRunID()
		if d.drive != nil {
			go d.drive(ctx, t, c, r.GetID())
		}
		var out any
		runErr := r.Get(ctx, &out)
		t.Logf("%s: result %v, error %v", d.file, out, runErr)
		n := 0
		for runID := first; runID != ""; {
			n++
			h := &historypb.History{}
			next := ""
			it := c.GetWorkflowHistory(ctx, r.GetID(), runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				e, err := it.Next()
				if err != nil {
					t.Fatal(err)
				}
				h.Events = append(h.Events, e)
				if a := e.GetWorkflowExecutionContinuedAsNewEventAttributes(); a != nil {
					next = a.GetNewExecutionRunId()
				}
			}
			t.Logf("%s: run %d: %d events", d.file, n, len(h.Events))
			if err := replay(h); err != nil {
				t.Errorf("%s: run %d: replay: %v", d.file, n, err)
			}
			if suffix != "" {
				b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
				if err != nil {
					t.Fatal(err)
				}
				name := filepath.Join(d.dir, d.file+"-"+suffix+"-"+strconv.Itoa(n)+".json")
				if err := os.WriteFile(name, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			runID = next
		}
	}
}
