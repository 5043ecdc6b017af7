//go:build dslrun_server

package interpreter

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
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

// signalsBatchDef has declared signals (one whose handler runs steps), a
// catch-all, and steps that wait on activities of another task queue, so
// that TestServerRecordSignals can deliver signals in the same workflow
// task as the start, as activity completions, and as the run's end.
const signalsBatchDef = `
dsl: v1
name: signals-batch
state: {log: [], n: 0}
signals:
  b:
    set: {log: "${ concat(state.log, ['b' + string(args)]) }"}
  a:
    set: {log: "${ concat(state.log, ['a' + string(args)]) }"}
    do:
      - activity: gate
        taskQueue: signals-acts
        with: ${ args }
      - set: {n: "${ state.n + 1 }", log: "${ concat(state.log, ['a-done' + string(args)]) }"}
  "*":
    set: {log: "${ concat(state.log, [handler.name + string(args)]) }"}
steps:
  - activity: gate
    taskQueue: signals-acts
    with: 0
  - set: {log: "${ concat(state.log, ['step']) }"}
  - await: ${ state.n >= 2 }
  - activity: gate
    taskQueue: signals-acts
    with: 1
  - set: {log: "${ concat(state.log, ['end']) }"}
output: ${ state.log }
`

// signalsCancelDef waits until cancelled, with a catch-all signal handler
// and a finally that reads what the handlers did.
const signalsCancelDef = `
dsl: v1
name: signals-cancel
state: {log: []}
signals:
  "*":
    set: {log: "${ concat(state.log, [handler.name]) }"}
  k:
    set: {log: "${ concat(state.log, ['k']) }"}
steps:
  - try:
      - await: ${ len(state.log) > 100 }
    finally:
      - activity: gate
        taskQueue: signals-acts
        with: ${ len(state.log) }
`

// TestServerRecordSignals runs signalsBatchDef and signalsCancelDef on the
// embedded server with the workflow worker stopped while signals, activity
// completions and a cancellation pile up, so that each later workflow task
// handles several of them at once; it checks the order in which the
// handlers saw them and replays each history. With
// DSLRUN_RECORD_HISTORIES=SUFFIX it writes them to testdata/histories as
// signals-batch-SUFFIX.json and signals-cancel-SUFFIX.json.
//
//	DSLRUN_RECORD_HISTORIES=v0 go test -tags dslrun_server -run ServerRecordSignals ./interpreter/
func TestServerRecordSignals(t *testing.T) {
	ctx, c := startServer(t, 3*time.Minute)

	// gate(n) completes once the test has released n.
	var mu sync.Mutex
	released := map[int]bool{}
	changed := make(chan struct{})
	gate := func(ctx context.Context, n int) (int, error) {
		for {
			mu.Lock()
			ok, ch := released[n], changed
			mu.Unlock()
			if ok {
				return n + 1, nil
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
	}
	open := func(ns ...int) {
		mu.Lock()
		for _, n := range ns {
			released[n] = true
		}
		close(changed)
		changed = make(chan struct{})
		mu.Unlock()
	}
	acts := worker.New(c, "signals-acts", worker.Options{})
	reg := activities.NewRegistry()
	if err := reg.Register(activities.Spec{Name: "gate", Summary: "Wait for the test"}, gate); err != nil {
		t.Fatal(err)
	}
	reg.Attach(acts)
	if err := acts.Start(); err != nil {
		t.Fatal(err)
	}
	defer acts.Stop()

	const tq = "signals-wf"
	var wf worker.Worker
	startWorker := func() {
		wf = worker.New(c, tq, worker.Options{StickyScheduleToStartTimeout: time.Second})
		Register(wf, Options{})
		if err := wf.Start(); err != nil {
			t.Fatal(err)
		}
	}
	stopWorker := func() { wf.Stop() }
	history := func(id string) *historypb.History {
		h := &historypb.History{}
		it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			h.Events = append(h.Events, e)
		}
		return h
	}
	count := func(h *historypb.History, typ enumspb.EventType) int {
		n := 0
		for _, e := range h.GetEvents() {
			if e.GetEventType() == typ {
				n++
			}
		}
		return n
	}
	// waitFor polls the history (events, not time, are the condition; the
	// poll interval only paces the reads) until cond holds.
	waitFor := func(id, what string, cond func(h *historypb.History) bool) {
		t.Helper()
		for {
			if cond(history(id)) {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s: %s: %v", id, what, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	// idle: every workflow task scheduled has completed.
	idle := func(activities int) func(h *historypb.History) bool {
		return func(h *historypb.History) bool {
			return count(h, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) == count(h, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) &&
				count(h, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) >= activities
		}
	}
	signal := func(id string, sigs ...any) {
		for i := 0; i < len(sigs); i += 2 {
			if err := c.SignalWorkflow(ctx, id, "", sigs[i].(string), sigs[i+1]); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := func(id, src string) client.WorkflowRun {
		def := canonical(t, src)
		r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: tq}, WorkflowType, nil, &Envelope{Definition: def, Hash: dsl.Hash(def)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	save := func(name string, h *historypb.History) {
		if err := replay(h); err != nil {
			t.Errorf("%s: replay: %v", name, err)
		}
		suffix := os.Getenv("DSLRUN_RECORD_HISTORIES")
		if suffix == "" {
			return
		}
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(historiesDir, name+"-"+suffix+".json"), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// signals-batch: signals with the start; then with three activity
	// completions; then with the last completion, as the run ends.
	id := fmt.Sprintf("signals-batch-%d", time.Now().UnixNano())
	run := start(id, signalsBatchDef)
	signal(id, "b", 1, "a", 2, "zz", 3, "a", 4)
	startWorker()
	waitFor(id, "first task", idle(3)) // the step's gate and two a handlers' gates
	stopWorker()
	open(0, 2, 4)
	waitFor(id, "three completions", func(h *historypb.History) bool {
		return count(h, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) == 3
	})
	signal(id, "b", 5, "zz", 6)
	startWorker()
	waitFor(id, "second gate", idle(4))
	stopWorker()
	open(1)
	waitFor(id, "fourth completion", func(h *historypb.History) bool {
		return count(h, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) == 4
	})
	signal(id, "a", 7, "b", 8)
	startWorker()
	waitFor(id, "a7's gate", idle(5))
	open(7)
	var out []string
	if err := run.Get(ctx, &out); err != nil {
		t.Fatal(err)
	}
	stopWorker()
	want := []string{"a2", "a4", "b1", "zz3", "b5", "zz6", "step", "a-done2", "a-done4", "a7", "b8", "end", "a-done7"}
	if !slices.Equal(out, want) {
		// The order in which the first release handled them: any change
		// is a change of behaviour.
		t.Errorf("signals-batch: handlers saw\n%q, want\n%q", out, want)
	}
	save("signals-batch", history(id))

	// signals-cancel: a cancellation and signals in one workflow task.
	id = fmt.Sprintf("signals-cancel-%d", time.Now().UnixNano())
	run = start(id, signalsCancelDef)
	startWorker()
	waitFor(id, "first task", idle(0))
	stopWorker()
	if err := c.CancelWorkflow(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	signal(id, "zz", 1, "k", 2, "yy", 3)
	startWorker()
	waitFor(id, "finally's gate", idle(1))
	open(3)
	if err := run.Get(ctx, nil); err == nil {
		t.Error("signals-cancel: ended without error, want cancelled")
	}
	stopWorker()
	h := history(id)
	var got int
	for _, e := range h.GetEvents() {
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			var payload int
			_, _ = fmt.Sscan(string(a.GetInput().GetPayloads()[0].GetData()), &payload)
			got = payload
		}
	}
	if got != 3 {
		t.Errorf("signals-cancel: the finally saw %d signals, want 3", got)
	}
	save("signals-cancel", h)
}
