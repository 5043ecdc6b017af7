package dslruncmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// payloadsJSON decodes payloads (heartbeat or failure details) as JSON:
// the one value, or an array when there are several; nil when there are
// none or they are not JSON.
func payloadsJSON(ps *commonpb.Payloads) json.RawMessage {
	dc := converter.GetDefaultDataConverter()
	var vals []json.RawMessage
	for _, p := range ps.GetPayloads() {
		var raw json.RawMessage
		if err := dc.FromPayload(p, &raw); err != nil {
			return nil
		}
		vals = append(vals, raw)
	}
	switch len(vals) {
	case 0:
		return nil
	case 1:
		return vals[0]
	}
	b, err := json.Marshal(vals)
	if err != nil {
		return nil
	}
	return b
}

// activitySteps maps the ids of the activities scheduled by a run to the
// step that scheduled each: the interpreter labels an activity with the
// step's id (or path) as its summary, which is in the history, not in the
// pending activity. It returns what it found before any error.
func activitySteps(ctx context.Context, c client.Client, workflowID, runID string) map[string]string {
	steps := map[string]string{}
	dc := converter.GetDefaultDataConverter()
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			break
		}
		a := e.GetActivityTaskScheduledEventAttributes()
		if a == nil {
			continue
		}
		var step string
		if s := e.GetUserMetadata().GetSummary(); s != nil && dc.FromPayload(s, &step) == nil && step != "" {
			steps[a.GetActivityId()] = step
		}
	}
	return steps
}

// printPendingActivity prints one pending activity of dslrun describe.
func printPendingActivity(w io.Writer, a pendingActivity) {
	step := ""
	if a.Step != "" {
		step = " step " + a.Step + ","
	}
	attempts := fmt.Sprint(a.Attempt)
	if a.MaximumAttempts > 0 {
		attempts += fmt.Sprintf(" of %d", a.MaximumAttempts)
	}
	fmt.Fprintf(w, "  %s (id %s,%s %s, attempt %s)\n", a.Type, a.ActivityID, step, a.State, attempts)
	if a.LastHeartbeatTime != "" {
		fmt.Fprintf(w, "    last heartbeat: %s\n", a.LastHeartbeatTime)
	}
	if len(a.HeartbeatDetails) > 0 {
		fmt.Fprintf(w, "    heartbeat details: %s\n", a.HeartbeatDetails)
	}
	if a.LastFailure != "" {
		fmt.Fprintf(w, "    last failure: %s\n", a.LastFailure)
	}
	if a.NextAttemptTime != "" {
		fmt.Fprintf(w, "    next attempt: %s\n", a.NextAttemptTime)
	}
}
