package builtin

import (
	"context"
	"strings"

	"github.com/dslrun/dslrun/activities"
)

// ExternalWait is the activity type name of the built-in that waits until a
// person or another system completes it from outside.
const ExternalWait = "external.wait"

// ExternalInput is the input of the external.wait activity.
type ExternalInput struct {
	// Message says what the run waits for, to whoever completes it.
	Message string `json:"message"`
	// Data is context for whoever completes it (an order, an amount, a link).
	Data any `json:"data,omitempty"`
}

func externalWaitSpec() activities.Spec {
	return activities.Spec{
		Name:    ExternalWait,
		Summary: "Wait until a person or another system completes this activity from outside",
		Description: "Goes pending (`activity.ErrResultPending`) through `activities.Pending`: the step waits until " +
			"`dslrun activity complete -w WORKFLOW_ID --activity-id ID --result JSON` (ID: the step's activityId, else the sequence number `dslrun describe` shows) gives its result, or " +
			"`dslrun activity fail ... --reason TEXT` fails it (or any Temporal client's CompleteActivity / CompleteActivityByID). " +
			"The message, the data, the workflow and activity ids and the task token are logged at info level and recorded as the " +
			"activity's heartbeat details, which `dslrun describe` shows while it waits. Each attempt waits up to the step's " +
			"startToCloseTimeout (1m by default): set one as long as the wait may be, and `retry: {maximumAttempts: 1}` to " +
			"handle an unanswered request as an ActivityTimeout instead of asking again. Not usable as a local activity.",
		Input: schema(`{
  "type": "object",
  "required": ["message"],
  "additionalProperties": false,
  "properties": {
    "message": {"type": "string", "minLength": 1, "description": "what the run waits for, to whoever completes it"},
    "data": {"description": "context for whoever completes it, shown with the message"}
  }
}`),
		Output: schema(`{"description": "the value sent by dslrun activity complete --result"}`),
		Examples: []activities.Example{{
			Summary: "Ask for an approval for up to three days",
			YAML: `- id: approval
  activity: external.wait
  activityId: approval
  startToCloseTimeout: 72h
  retry: {maximumAttempts: 1}
  with:
    message: approve the refund
    data: {order: A-42, amount: 120}
`,
		}},
	}
}

// externalWait goes pending with its input as the pending task's details.
func externalWait(ctx context.Context, in ExternalInput) (any, error) {
	if strings.TrimSpace(in.Message) == "" {
		return nil, invalidInput("message must not be empty")
	}
	return nil, activities.Pending(ctx, in)
}
