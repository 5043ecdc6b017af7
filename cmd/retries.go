package dslruncmd

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
)

// retryPollInterval is how often apply's progress asks the server about
// failed attempts of pending activities: the retries of an activity are not
// in the history, which holds only its last attempt.
const retryPollInterval = 250 * time.Millisecond

// watchProgressAndRetries runs watchProgress and, beside it until it
// returns, watchRetries, both writing whole lines to w.
func watchProgressAndRetries(ctx context.Context, c client.Client, id, runID string, w io.Writer) {
	lw := &lineWriter{w: w}
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { watchRetries(rctx, c, id, lw) })
	watchProgress(ctx, c, id, runID, lw)
	stop()
	wg.Wait()
}

// lineWriter serialises writes, each of which is one or more whole lines.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// watchRetries polls the latest run of id for pending activities and
// prints a line for each failed attempt it sees, once:
//
//	charge: attempt 2 failed: card declined, next in 4s
//
// An attempt that fails and is retried between two polls is reported with
// the next one's failure only. A workflow task that keeps failing is
// reported the same way, with the last failure its history records:
//
//	workflow task: attempt 3 failed: WorkflowWorkerUnhandledFailure: ...
func watchRetries(ctx context.Context, c client.Client, id string, w io.Writer) {
	reported := map[string]int32{} // activity id -> last failed attempt printed
	var taskReported int32         // last failed workflow task attempt printed
	var steps map[string]string
	t := time.NewTicker(retryPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		resp, err := c.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			continue
		}
		for _, a := range resp.GetPendingActivities() {
			failed := a.GetAttempt() - 1
			if a.GetLastFailure() == nil || failed < 1 || failed <= reported[a.GetActivityId()] {
				continue
			}
			reported[a.GetActivityId()] = failed
			label := steps[a.GetActivityId()]
			if label == "" {
				steps = activitySteps(ctx, c, id, resp.GetWorkflowExecutionInfo().GetExecution().GetRunId())
				label = steps[a.GetActivityId()]
			}
			if label == "" {
				label = "activity " + a.GetActivityType().GetName()
			}
			next := "retrying"
			if at := a.GetNextAttemptScheduleTime(); at != nil && at.IsValid() {
				if d := time.Until(at.AsTime()); d > 0 {
					next = "next in " + d.Round(100*time.Millisecond).String()
				}
			}
			fmt.Fprintf(w, "  %s: attempt %d failed: %s, %s\n", label, failed, a.GetLastFailure().GetMessage(), next)
		}
		if failed := resp.GetPendingWorkflowTask().GetAttempt() - 1; failed > taskReported {
			taskReported = failed
			why := workflowTaskFailure(ctx, c, id, resp.GetWorkflowExecutionInfo().GetExecution().GetRunId())
			fmt.Fprintf(w, "  workflow task: attempt %d failed: %s; the run makes no progress until one succeeds\n", failed, why)
		}
	}
}
