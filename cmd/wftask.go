package dslruncmd

import (
	"context"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// workflowTaskFailure describes the last failed workflow task of a run
// from its history: "Cause: message" (WorkflowWorkerUnhandledFailure: a
// panic, say) or "timed out (StartToClose)", "" when none failed. A workflow
// task that keeps failing is retried by the server without a new event
// (the history holds the first failure of a series only), and the run shows
// as running: this, with the attempt count of the pending workflow task
// (DescribeWorkflowExecution), is what says why it makes no progress.
func workflowTaskFailure(ctx context.Context, c client.Client, id, runID string) string {
	last := ""
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return last
		}
		if a := ev.GetWorkflowTaskFailedEventAttributes(); a != nil {
			msg, _, _ := strings.Cut(a.GetFailure().GetMessage(), "\n")
			last = fmt.Sprintf("%s: %s", a.GetCause(), msg)
		}
		if a := ev.GetWorkflowTaskTimedOutEventAttributes(); a != nil {
			last = fmt.Sprintf("timed out (%s)", a.GetTimeoutType())
		}
	}
	return last
}
