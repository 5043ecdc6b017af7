package builtin

import (
	"context"
	"encoding/json"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/dslrun/dslrun/activities"
)

// DefaultFailType is the application error type of the fail activity when
// its input names none.
const DefaultFailType = "Fail"

// FailInput is the input of the fail activity.
type FailInput struct {
	// Message is the error message.
	Message string `json:"message"`
	// Type is the application error type, [DefaultFailType] when empty; retry
	// policies and catch blocks match on it.
	Type string `json:"type,omitempty"`
	// NonRetryable makes the error non-retryable whatever the retry policy.
	NonRetryable bool `json:"nonRetryable,omitempty"`
	// Details, any JSON value, is attached to the error.
	Details json.RawMessage `json:"details,omitempty"`
	// Attempts, when set, makes the activity fail only while the attempt
	// number is below it and then succeed: with 3, attempts 1 and 2 fail and
	// attempt 3 returns {attempt: 3}.
	Attempts int64 `json:"attempts,omitempty"`
}

// FailResult is the result of the fail activity once it succeeds.
type FailResult struct {
	// Attempt is the attempt that succeeded.
	Attempt int32 `json:"attempt"`
}

func failSpec() activities.Spec {
	return activities.Spec{
		Name:    Fail,
		Summary: "Fail with an application error, optionally only for the first attempts",
		Description: "Returns a Temporal application error with the given message, type, details and retryability. " +
			"With `attempts`, it fails only while the attempt number is below `attempts` and then succeeds with " +
			"`{attempt: N}`, which makes retry policies easy to exercise.",
		Input: schema(`{
  "type": "object",
  "required": ["message"],
  "additionalProperties": false,
  "properties": {
    "message": {"type": "string", "minLength": 1, "description": "the error message"},
    "type": {"type": "string", "minLength": 1, "default": "Fail", "description": "the application error type"},
    "nonRetryable": {"type": "boolean", "default": false, "description": "make the error non-retryable"},
    "details": {"description": "any JSON value attached to the error"},
    "attempts": {"type": "integer", "minimum": 1, "description": "succeed from this attempt on"}
  }
}`),
		Output: schema(`{"type": "object", "properties": {"attempt": {"type": "integer"}}}`),
		Examples: []activities.Example{
			{
				Summary: "Fail for good",
				YAML: `- activity: fail
  with: {message: card declined, type: CardDeclined, nonRetryable: true, details: {code: 51}}
`,
			},
			{
				Summary: "Fail twice, then succeed on the third attempt",
				YAML: `- activity: fail
  retry: {initialInterval: 1s, maximumAttempts: 5}
  with: {message: flaky, attempts: 3}
`,
			},
		},
	}
}

// fail returns an application error described by in, or succeeds once the
// attempt number reaches in.Attempts.
func fail(ctx context.Context, in FailInput) (FailResult, error) {
	attempt := activity.GetInfo(ctx).Attempt
	if in.Attempts > 0 && int64(attempt) >= in.Attempts {
		return FailResult{Attempt: attempt}, nil
	}
	typ := in.Type
	if typ == "" {
		typ = DefaultFailType
	}
	msg := in.Message
	if msg == "" {
		msg = "failed on purpose"
	}
	opts := temporal.ApplicationErrorOptions{NonRetryable: in.NonRetryable}
	if len(in.Details) > 0 {
		opts.Details = []any{in.Details}
	}
	return FailResult{}, temporal.NewApplicationErrorWithOptions(msg, typ, opts)
}
