package activities

import (
	"context"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/dslrun/dslrun/internal/suggest"
)

// UnknownActivityType is the application error type of the failure of an
// activity that no registration on the worker serves. [Registry.Attach]
// registers a dynamic activity that fails every such task at once,
// non-retryable, instead of leaving it to be retried forever on a task queue
// where nobody serves it. A definition may handle it like any other failure:
//
//	catch:
//	  - types: [dslrun.UnknownActivity]
//
// Its details are {"activity": NAME, "taskQueue": QUEUE, "suggestion":
// NAME or ""}.
const UnknownActivityType = "dslrun.UnknownActivity"

// unknownActivity fails activity tasks whose type the worker has no
// registration for. known holds the registered names at Attach time, for
// the did-you-mean hint.
//
// It is registered as the worker's dynamic activity through the SDK's
// interface of an activity implementation (Execute, ActivityType,
// GetFunction) rather than as a function: the SDK calls a dynamic function
// with converter.EncodedValues for a remote task but with the workflow's
// raw arguments for a local one, and no single function signature accepts
// both. A worker calls Execute for a remote task and the function for a
// local one; the SDK's test environment calls the function for both.
type unknownActivity struct {
	known []string
}

// Execute serves a remote activity task of an unknown type.
func (u *unknownActivity) Execute(ctx context.Context, _ *commonpb.Payloads) (*commonpb.Payloads, error) {
	return nil, u.fail(ctx)
}

// ActivityType is the type of the SDK's own dynamic activities: no name.
func (u *unknownActivity) ActivityType() activity.Type { return activity.Type{} }

// GetFunction returns the function the SDK calls with the arguments as
// they are (a local activity, the test environment).
func (u *unknownActivity) GetFunction() any {
	return func(ctx context.Context, _ ...any) (any, error) { return nil, u.fail(ctx) }
}

// fail is the failure of the activity task running in ctx.
func (u *unknownActivity) fail(ctx context.Context) error {
	info := activity.GetInfo(ctx)
	return u.failure(info.ActivityType.Name, info.TaskQueue)
}

// failure is the error of an unknown activity name on taskQueue.
func (u *unknownActivity) failure(name, taskQueue string) error {
	hint := suggest.Closest(name, u.known)
	msg := fmt.Sprintf("activity %q is not registered on task queue %q", name, taskQueue)
	if hint != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", hint)
	}
	return temporal.NewNonRetryableApplicationError(msg, UnknownActivityType, nil, map[string]any{
		"activity":   name,
		"taskQueue":  taskQueue,
		"suggestion": hint,
	})
}
