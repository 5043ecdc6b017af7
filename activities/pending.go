package activities

import (
	"context"
	"encoding/base64"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// NotAsyncType is the application error type of the non-retryable failure
// [Pending] returns in a local activity, which Temporal cannot complete
// from outside.
const NotAsyncType = "dslrun.NotAsync"

// PendingTask is what [Pending] records about an activity that waits to be
// completed from outside: everything `dslrun activity complete` (or any
// Temporal client) needs to complete it. It is the activity's heartbeat
// details, shown by `dslrun describe` and `temporal workflow describe`
// while the activity is pending, and it is logged at info level.
type PendingTask struct {
	// WorkflowID, RunID and ActivityID identify the activity for
	// client.CompleteActivityByID (`dslrun activity complete -w WorkflowID
	// --activity-id ActivityID`).
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	ActivityID string `json:"activityId"`
	// Attempt is the attempt that waits; a retry waits again, under the
	// same activity id and a new task token.
	Attempt int32 `json:"attempt"`
	// TaskToken is the attempt's task token in standard base64, for
	// client.CompleteActivity (`dslrun activity complete --task-token`).
	TaskToken string `json:"taskToken"`
	// Details is what the activity passed to Pending: what it waits for.
	Details any `json:"details,omitempty"`
}

// Pending makes the running activity wait to be completed from outside,
// by a person or another system. An activity function returns its result:
//
//	func requestApproval(ctx context.Context, in Request) (any, error) {
//		if err := notify(in); err != nil {
//			return nil, err
//		}
//		return nil, activities.Pending(ctx, in)
//	}
//
// Pending records a [PendingTask] holding details (anything JSON can
// encode, nil for nothing) as the activity's heartbeat and logs it at info
// level with the worker's logger, then returns [activity.ErrResultPending]:
// the worker then leaves the activity open, and the step waits until
// `dslrun activity complete` or `dslrun activity fail` (or
// client.CompleteActivity or CompleteActivityByID) closes it, with the
// result or failure the step gets.
//
// The step's timeouts still apply: its startToCloseTimeout (1m by default)
// bounds the wait for each attempt, and with a heartbeatTimeout the
// completer must heartbeat (`dslrun activity heartbeat`) within it. Give
// such a step a startToCloseTimeout as long as the wait may be.
//
// In a local activity, which cannot be completed from outside, Pending
// returns a non-retryable [NotAsyncType] error instead.
func Pending(ctx context.Context, details any) error {
	info := activity.GetInfo(ctx)
	if info.IsLocalActivity {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("activity %q waits to be completed from outside, which a local activity cannot: run it without local: true", info.ActivityType.Name),
			NotAsyncType, nil)
	}
	task := PendingTask{
		WorkflowID: info.WorkflowExecution.ID,
		RunID:      info.WorkflowExecution.RunID,
		ActivityID: info.ActivityID,
		Attempt:    info.Attempt,
		TaskToken:  base64.StdEncoding.EncodeToString(info.TaskToken),
		Details:    details,
	}
	activity.RecordHeartbeat(ctx, task)
	activity.GetLogger(ctx).Info("activity waits to be completed from outside",
		"ActivityType", info.ActivityType.Name,
		"WorkflowID", task.WorkflowID,
		"RunID", task.RunID,
		"ActivityID", task.ActivityID,
		"Attempt", task.Attempt,
		"TaskToken", task.TaskToken,
		"Complete", fmt.Sprintf("dslrun activity complete -w %s --activity-id %s --result JSON", task.WorkflowID, task.ActivityID))
	return activity.ErrResultPending
}
