package interpreter

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/activities"
)

// PayloadTooLargeType is the error type of a step, update, query or run
// whose payload (an activity's input, a child's input, a signal's
// argument, a continue-as-new's carry, an update's or a query's result, the
// run's output) is over PayloadLimit. The interpreter measures it before
// Temporal sees it: Temporal refuses such a payload by failing the workflow
// task, which is then retried forever with nothing to show for it.
// Non-retryable; a catch may handle it where a step failed.
const PayloadTooLargeType = activities.PayloadTooLargeType

// PayloadLimit is the most bytes the values of one payload, encoded as
// JSON, may take: Temporal's default blob size limit (the server's dynamic
// config limit.blobSize.error, 2 MiB) less 1 KiB. The interpreter
// checks it, so it is a constant: a limit that differed between workers
// would make a run's replay depend on the worker.
const PayloadLimit = activities.PayloadLimit

// The 1 KiB kept under Temporal's limit is room for what wraps the JSON:
// each payload's metadata, and a codec's nonce, tag and key id.

// changePayloadLimit gates the payload checks: a history recorded before
// them replays as it ran (with a codec that compresses, an oversized value
// may have gone through).
const changePayloadLimit = "dslrun.payload-limit"

// payloadSize returns the bytes the values take as JSON, as the SDK's
// data converter encodes them (one payload each). A value that JSON cannot
// encode counts as 0: the SDK reports it.
func payloadSize(values ...any) int {
	n := 0
	for _, v := range values {
		if b, err := json.Marshal(v); err == nil {
			n += len(b)
		}
	}
	return n
}

// checkPayload fails the step at path with PayloadTooLargeType when
// values, the payload described by what (`activity "echo" input`), are
// over PayloadLimit; in the replay of a run recorded before the check, it
// lets them through as that run did.
func checkPayload(ctx workflow.Context, path, what string, values ...any) *failure {
	n := payloadSize(values...)
	if n <= PayloadLimit || !newBehaviour(ctx, changePayloadLimit) {
		return nil
	}
	return payloadFailure(path, what, n)
}

// payloadFailure is a payload of n bytes that is too large.
func payloadFailure(path, what string, n int) *failure {
	return &failure{
		path:         path,
		typ:          PayloadTooLargeType,
		types:        []string{PayloadTooLargeType},
		message:      payloadMessage(what, n),
		details:      map[string]any{"bytes": n, "limit": PayloadLimit},
		nonRetryable: true,
	}
}

func payloadMessage(what string, n int) string {
	return fmt.Sprintf("%s is %d bytes as JSON, over the payload limit of %d bytes (Temporal's 2 MiB blob size limit)", what, n, PayloadLimit)
}

// checkQueryResult refuses a query result over PayloadLimit. A query
// records nothing: no version gate.
func checkQueryResult(name string, v any) error {
	if n := payloadSize(v); n > PayloadLimit {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("query %q: %s", name, payloadMessage("the result", n)), PayloadTooLargeType, nil)
	}
	return nil
}

// failureSize estimates the bytes of the failure a run or an update ends
// with when f fails it: its message and details, and the messages and
// details of the application errors in its cause, which travel with it.
func failureSize(f *failure) int {
	n := len(f.Error()) + payloadSize(f.details)
	for e := f.cause; e != nil; e = errors.Unwrap(e) {
		if a, ok := e.(*temporal.ApplicationError); ok {
			n += len(a.Message()) + payloadSize(errorDetails(a))
		}
	}
	return n
}

// endError is the error a run or an update ends with when f fails it:
// f.runError(), unless f is over PayloadLimit with its cause, which
// Temporal would refuse by failing the workflow task forever; then a
// PayloadTooLarge failure of the same step, without f's details and
// cause. In the replay of a run recorded before the payload checks, f as
// it is.
func endError(ctx workflow.Context, f *failure) error {
	n := failureSize(f)
	if n <= PayloadLimit || !newBehaviour(ctx, changePayloadLimit) {
		return f.runError()
	}
	return payloadFailure(f.path, fmt.Sprintf("the failure of type %s (message %q, details and cause)", f.typ, clip(f.message)), n).runError()
}

// maxIDLength is Temporal's default limit on the length of names and ids
// (the server's dynamic config limit.maxIDLength): an activity type or
// activity id over it makes the server refuse the command, which fails the
// workflow task on every attempt.
const maxIDLength = 1000

// changeIDLength gates checkIDs: a server whose limit was raised may have
// accepted longer names in a history recorded before.
const changeIDLength = "dslrun.id-length"

// checkIDs fails an activity step whose activity type or id, taken from an
// expression, is longer than Temporal accepts. No worker can serve such a
// type, so it fails like any other unknown activity type
// (activities.UnknownActivityType, non-retryable); a too long id is an
// expression that gave a wrong value.
func checkIDs(ctx workflow.Context, path, name, id string) *failure {
	if len(name) <= maxIDLength && len(id) <= maxIDLength || !newBehaviour(ctx, changeIDLength) {
		return nil
	}
	if len(name) > maxIDLength {
		return &failure{
			path:         path,
			what:         fmt.Sprintf("activity %q", clip(name)),
			activity:     name,
			typ:          activities.UnknownActivityType,
			types:        []string{activities.UnknownActivityType},
			message:      fmt.Sprintf("the activity type is %d bytes long, over Temporal's limit of %d: no worker can serve it", len(name), maxIDLength),
			details:      map[string]any{"activity": name, "taskQueue": "", "suggestion": ""},
			nonRetryable: true,
		}
	}
	return exprFailure(path, "activityId", fmt.Errorf("the activity id is %d bytes long, over Temporal's limit of %d", len(id), maxIDLength))
}

// clip shortens s for a message.
func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	return strings.ToValidUTF8(s[:40], "") + "..."
}
