//go:build dslrun_server

// This file runs the interpreter on the embedded Temporal server, to count
// history events against hand-written Go and to replay real histories. It
// links the whole server, so it is behind a build tag:
//
//	go test -tags dslrun_server -run Server -v ./interpreter/

package interpreter

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/dsl"
)

// handWrittenParallel runs n activities at once, as coroutines.
func handWrittenParallel(ctx workflow.Context, n int) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	futs := make([]workflow.Future, n)
	for i := range n {
		futs[i] = workflow.ExecuteActivity(ctx, "inc", i)
	}
	sum := 0
	for _, f := range futs {
		var v int
		if err := f.Get(ctx, &v); err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

const parallelForEachDef = `
dsl: v1
name: fan-out
steps:
  - id: each
    forEach: ${ input.items }
    concurrency: 1000
    do:
      - activity: inc
        with: ${ item }
output: ${ sum(steps.each.result) }
`

// tourDef exercises most step kinds in one run, for a replayed history.
const tourDef = `
dsl: v1
name: tour
state: {approved: false, n: 0}
signals:
  approve:
    set: {approved: true}
steps:
  - id: first
    activity: inc
    with: 1
  - sleep: 1s
  - id: both
    parallel:
      - - activity: inc
          with: 2
      - - forEach: [1, 2, 3]
          concurrency: 2
          do:
            - activity: inc
              with: ${ item }
  - race:
      - - sleep: 1h
      - - await: ${ state.approved }
  - try:
      - activity: boom
        retry: {maximumAttempts: 2, initialInterval: 1s}
    catch:
      - types: [Boom]
        do:
          - set: {caught: true}
    finally:
      - activity: inc
        local: true
        with: 0
  - while: ${ state.n < 2 }
    do:
      - set:
          n: ${ state.n + 1 }
      - activity: inc
        with: ${ state.n }
  - id: kid
    child:
      workflow: sequential
output: '${ {first: steps.first.result, both: steps.both.result, caught: state.caught, n: state.n, kid: steps.kid.result} }'
`

func TestServerHistoryEvents(t *testing.T) {
	ctx, c := startServer(t, 5*time.Minute)

	defs := map[string][]byte{}
	for _, n := range []int{10, 100} {
		defs[fmt.Sprintf("seq%d", n)] = canonical(t, sequentialDef(n))
	}
	defs["fan-out"] = canonical(t, parallelForEachDef)
	defs["tour"] = canonical(t, tourDef)
	byName := DefinitionsFunc(func(name string) ([]byte, bool) {
		if name == "sequential" {
			return defs["seq10"], true
		}
		b, ok := defs[name]
		return b, ok
	})

	const tq = "interp-bench"
	w := worker.New(c, tq, worker.Options{})
	w.RegisterWorkflowWithOptions(handWritten, workflow.RegisterOptions{Name: "hand"})
	w.RegisterWorkflowWithOptions(handWrittenParallel, workflow.RegisterOptions{Name: "hand-parallel"})
	reg := activities.NewRegistry()
	if err := reg.Register(activities.Spec{Name: "inc", Summary: "Add one"}, incActivity); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(activities.Spec{Name: "boom", Summary: "Fail"}, func(context.Context, any) error {
		return temporal.NewApplicationError("boom", "Boom")
	}); err != nil {
		t.Fatal(err)
	}
	reg.Attach(w)
	Register(w, Options{Definitions: byName})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	run := func(wfType string, args ...any) (time.Duration, *historypb.History) {
		t.Helper()
		start := time.Now()
		r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: tq}, wfType, args...)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Get(ctx, nil); err != nil {
			t.Fatalf("%s: %v", wfType, err)
		}
		d := time.Since(start)
		h := &historypb.History{}
		it := c.GetWorkflowHistory(ctx, r.GetID(), r.GetRunID(), false, 0)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			h.Events = append(h.Events, e)
		}
		return d, h
	}
	median := func(f func() (time.Duration, *historypb.History)) (time.Duration, *historypb.History) {
		var ds []time.Duration
		var h *historypb.History
		for range 5 {
			var d time.Duration
			d, h = f()
			ds = append(ds, d)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2], h
	}

	type row struct {
		name        string
		goT, dslT   time.Duration
		goEv, dslEv [2]int // all events; events other than workflow tasks
		dslHistory  *historypb.History
		extra       int // events the DSL may add
	}
	count := func(h *historypb.History) [2]int {
		n := [2]int{len(h.Events), 0}
		for _, e := range h.Events {
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
				enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			default:
				n[1]++
			}
		}
		return n
	}
	var rows []row
	for _, n := range []int{10, 100} {
		def := defs[fmt.Sprintf("seq%d", n)]
		goT, goH := median(func() (time.Duration, *historypb.History) { return run("hand", n) })
		dslT, dslH := median(func() (time.Duration, *historypb.History) {
			return run(WorkflowType, nil, &Envelope{Definition: def, Hash: dsl.Hash(def)})
		})
		rows = append(rows, row{fmt.Sprintf("sequential n=%d, inline", n), goT, dslT, count(goH), count(dslH), dslH, 0})
	}
	goT, goH := median(func() (time.Duration, *historypb.History) { return run("hand", 10) })
	dslT, dslH := median(func() (time.Duration, *historypb.History) { return run("sequential", nil) })
	rows = append(rows, row{"sequential n=10, by name", goT, dslT, count(goH), count(dslH), dslH, 1})
	items := make([]any, 100)
	for i := range items {
		items[i] = i
	}
	goT, goH = median(func() (time.Duration, *historypb.History) { return run("hand-parallel", 100) })
	dslT, dslH = median(func() (time.Duration, *historypb.History) {
		return run("fan-out", map[string]any{"items": items})
	})
	// By name: the definition's side-effect marker; and the version gate
	// of the forEach that schedules its activities itself
	// (changeForEachActivities): its marker and search-attribute upsert.
	rows = append(rows, row{"100 concurrent (forEach), by name", goT, dslT, count(goH), count(dslH), dslH, 3})

	// Workflow task events depend on how completions batch (timing), so
	// the comparison is on the other events; both are printed.
	t.Logf("%-34s %8s %8s %6s %10s %10s", "workflow (median of 5)", "Go", "DSL", "ratio", "Go events", "DSL events")
	for _, r := range rows {
		t.Logf("%-34s %8v %8v %6.2f %4d (%4d) %4d (%4d)", r.name, r.goT.Round(time.Millisecond), r.dslT.Round(time.Millisecond),
			float64(r.dslT)/float64(r.goT), r.goEv[0], r.goEv[1], r.dslEv[0], r.dslEv[1])
		if extra := r.dslEv[1] - r.goEv[1]; extra > r.extra {
			t.Errorf("%s: %d non-workflow-task events more than hand-written Go, want at most %d", r.name, extra, r.extra)
		}
		// Real histories replay with no definitions and no activities, and
		// a reordered definition does not.
		if err := replay(r.dslHistory); err != nil {
			t.Errorf("%s: replay: %v", r.name, err)
		}
	}

	// A run of most step kinds, started by name and inline: replayed here,
	// with the reordering control, and recorded for replay_test.go when
	// DSLRUN_RECORD_HISTORIES is set.
	tour := defs["tour"]
	tourCompact, err := deflate(tour)
	if err != nil {
		t.Fatal(err)
	}
	for _, start := range []struct {
		file string
		typ  string
		args []any
	}{
		{"tour-by-name.json", "tour", nil},
		{"tour-inline.json", WorkflowType, []any{nil, &Envelope{Definition: tour, Hash: dsl.Hash(tour)}}},
		// As NewStart starts it: the definition compressed, as bytes,
		// the nil input left out.
		{"tour-compact.json", "tour", []any{tourCompact}},
	} {
		r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: tq}, start.typ, start.args...)
		if err != nil {
			t.Fatal(err)
		}
		// Approve once the race is under way: when its hour-long timer has
		// started, read from the history as it grows.
		go func() {
			it := c.GetWorkflowHistory(ctx, r.GetID(), r.GetRunID(), true, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				e, err := it.Next()
				if err != nil {
					return
				}
				if a := e.GetTimerStartedEventAttributes(); a != nil && a.GetStartToFireTimeout().AsDuration() == time.Hour {
					_ = c.SignalWorkflow(ctx, r.GetID(), r.GetRunID(), "approve", nil)
					return
				}
			}
		}()
		var out map[string]any
		if err := r.Get(ctx, &out); err != nil {
			t.Fatalf("%s: %v", start.file, err)
		}
		if out["caught"] != true || out["n"] != float64(2) || out["kid"] != float64(10) {
			t.Errorf("%s: output %v", start.file, out)
		}
		h := &historypb.History{}
		it := c.GetWorkflowHistory(ctx, r.GetID(), r.GetRunID(), false, 0)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			h.Events = append(h.Events, e)
		}
		if err := replay(h); err != nil {
			t.Errorf("%s: replay: %v", start.file, err)
		}
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if os.Getenv("DSLRUN_RECORD_HISTORIES") != "" {
			if err := os.WriteFile(filepath.Join(historiesDir, start.file), append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		reordered := proto.Clone(h).(*historypb.History)
		if !reorderDefinition(t, reordered) {
			t.Fatalf("%s: no definition found to reorder", start.file)
		}
		if err := replay(reordered); err == nil {
			t.Errorf("%s: replay of the reordered definition succeeded", start.file)
		}
		t.Logf("%s: %d events", start.file, len(h.Events))
	}
}
