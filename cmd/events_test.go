package dslruncmd_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/interpreter"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// handWrittenSteps is the Go workflow that a DSL definition of n sequential
// activity steps stands for.
func handWrittenSteps(ctx workflow.Context, n int) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	v := 0
	for range n {
		if err := workflow.ExecuteActivity(ctx, "inc", v).Get(ctx, &v); err != nil {
			return 0, err
		}
	}
	return v, nil
}

func stepsDefinition(name string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "dsl: v1\nname: %s\nstate: {v: 0}\nsteps:\n", name)
	for range n {
		b.WriteString("  - id: s\n    activity: inc\n    with: ${ state.v }\n  - set: {v: \"${ steps.s.result }\"}\n")
	}
	b.WriteString("output: ${ state.v }\n")
	// Step ids must be unique: number them.
	out := b.String()
	for i := range n {
		out = strings.Replace(out, "id: s\n", fmt.Sprintf("id: s%d\n", i), 1)
		out = strings.Replace(out, "steps.s.result", fmt.Sprintf("steps.s%d.result", i), 1)
	}
	return out
}

// TestHistoryEventsMatchHandWrittenGo checks invariant 4 of the design on
// the embedded server: a definition of N activity steps costs the history
// events of the same activities in hand-written Go — the same events apart
// from workflow tasks (whose batching depends on timing) — plus exactly
// one marker when the run is started by name (its definition, recorded
// once).
func TestHistoryEventsMatchHandWrittenGo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const queue = "events"
	defs := map[string][]byte{}
	c := startWorker(t, sharedServer(t), queue, interpreter.DefinitionsFunc(func(name string) ([]byte, bool) {
		b, ok := defs[name]
		return b, ok
	}))

	// events runs a workflow and counts its history events, all and apart
	// from workflow tasks, by type.
	events := func(wfType string, args ...any) (result int, all int, byType map[string]int) {
		t.Helper()
		r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, wfType, args...)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Get(ctx, &result); err != nil {
			t.Fatalf("%s: %v", wfType, err)
		}
		byType = map[string]int{}
		it := c.GetWorkflowHistory(ctx, r.GetID(), r.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			all++
			switch ev.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			default:
				byType[ev.GetEventType().String()]++
			}
		}
		return result, all, byType
	}

	for _, n := range []int{10, 50} {
		name := fmt.Sprintf("seq%d", n)
		wdef, ds := dsl.Parse(name+".yaml", []byte(stepsDefinition(name, n)))
		if ds.HasErrors() {
			t.Fatal(ds)
		}
		canonical, err := dsl.Canonical(wdef)
		if err != nil {
			t.Fatal(err)
		}
		defs[name] = canonical

		goRes, goAll, goTypes := events("hand", n)
		inRes, inAll, inTypes := events(name, nil, interpreter.Envelope{Definition: canonical, Hash: dsl.Hash(canonical)})
		byRes, byAll, byTypes := events(name, nil)
		if goRes != n || inRes != n || byRes != n {
			t.Fatalf("n=%d: results Go %d, inline %d, by name %d; want %d", n, goRes, inRes, byRes, n)
		}
		if fmt.Sprint(inTypes) != fmt.Sprint(goTypes) {
			t.Errorf("n=%d inline: events %v, hand-written Go %v", n, inTypes, goTypes)
		}
		byTypes["MarkerRecorded"]--
		if byTypes["MarkerRecorded"] == 0 {
			delete(byTypes, "MarkerRecorded")
		}
		if fmt.Sprint(byTypes) != fmt.Sprint(goTypes) {
			t.Errorf("n=%d by name: events less one marker %v, hand-written Go %v", n, byTypes, goTypes)
		}
		t.Logf("n=%d: history events Go %d, DSL inline %d, DSL by name %d", n, goAll, inAll, byAll)
	}
}
