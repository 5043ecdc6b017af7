package dslruncmd

import (
	"context"
	"fmt"
	"io"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// noWorkerAfter is how long apply gives a worker to poll the run's task
// queue before it warns that none does.
const noWorkerAfter = 5 * time.Second

// warnNoWorker prints a warning, once, when noWorkerAfter after the start
// no worker polls taskQueue for workflow tasks: the run then waits, and
// apply with it, until one does. It returns when ctx ends.
func warnNoWorker(ctx context.Context, c client.Client, taskQueue string, w io.Writer) {
	t := time.NewTimer(noWorkerAfter)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-t.C:
	}
	resp, err := c.DescribeTaskQueue(ctx, taskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil || len(resp.GetPollers()) > 0 {
		return
	}
	_, _ = fmt.Fprintf(w, "warning: no worker polls task queue %q: the run waits until one does (start one with 'dslrun worker --task-queue %s', or apply with --worker)\n", taskQueue, taskQueue)
}
