package dslruncmd_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/interpreter"
	enumspb "go.temporal.io/api/enums/v1"
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

	var runs []int
	for runID := first; runID != ""; {
		it := c.GetWorkflowHistory(ctx, r.GetID(), runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
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
