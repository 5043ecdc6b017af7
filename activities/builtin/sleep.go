package builtin

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/dslrun/dslrun/activities"
)

// defaultHeartbeat is how often sleep heartbeats when neither the input nor
// the activity's heartbeat timeout says otherwise.
const defaultHeartbeat = time.Second

// SleepInput is the input of the sleep activity.
type SleepInput struct {
	// Duration is how long to sleep, as a Go duration ("1s", "1m30s").
	Duration string `json:"duration"`
	// Heartbeat is how often to heartbeat, as a Go duration. The default is
	// one second, or half the activity's heartbeat timeout if that is shorter.
	Heartbeat string `json:"heartbeat,omitempty"`
}

// SleepResult is the result of the sleep activity.
type SleepResult struct {
	// Slept is the requested duration, normalised ("1m30s").
	Slept string `json:"slept"`
}

// goDuration is the JSON schema of a non-negative Go duration string.
const goDuration = `{"type": "string", "pattern": "^(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$"`

func sleepSpec() activities.Spec {
	return activities.Spec{
		Name:    Sleep,
		Summary: "Wait for a duration while heartbeating",
		Description: "Sleeps inside the worker, heartbeating its progress so that a cancelled step stops promptly " +
			"(it returns the context's error) and a retried attempt resumes from the last heartbeat. " +
			"For a durable wait with no worker involved, use the DSL's sleep step instead.",
		Input: schema(`{
  "type": "object",
  "required": ["duration"],
  "additionalProperties": false,
  "properties": {
    "duration": ` + goDuration + `, "description": "how long to sleep, as a Go duration such as 1s or 1m30s"},
    "heartbeat": ` + goDuration + `, "description": "how often to heartbeat (default 1s, or half the heartbeat timeout if shorter)"}
  }
}`),
		Output: schema(`{"type": "object", "properties": {"slept": {"type": "string"}}}`),
		Examples: []activities.Example{{
			Summary: "Sleep for two seconds, cancellable within 200 milliseconds",
			YAML: `- activity: sleep
  heartbeatTimeout: 1s
  with: {duration: 2s, heartbeat: 200ms}
`,
		}},
	}
}

// sleep waits for in.Duration, heartbeating the elapsed time. It returns
// early with ctx.Err() when the activity is cancelled or times out, and a
// retried attempt resumes from the elapsed time of the last heartbeat.
func sleep(ctx context.Context, in SleepInput) (SleepResult, error) {
	d, err := time.ParseDuration(in.Duration)
	if err != nil || d < 0 {
		return SleepResult{}, invalidInput("duration %q: must be a non-negative Go duration such as 1s", in.Duration)
	}
	every := defaultHeartbeat
	if hb := activity.GetInfo(ctx).HeartbeatTimeout; hb > 0 && hb/2 < every {
		every = hb / 2
	}
	if in.Heartbeat != "" {
		every, err = time.ParseDuration(in.Heartbeat)
		if err != nil || every <= 0 {
			return SleepResult{}, invalidInput("heartbeat %q: must be a positive Go duration such as 200ms", in.Heartbeat)
		}
	}
	result := SleepResult{Slept: d.String()}

	var done time.Duration
	if activity.HasHeartbeatDetails(ctx) {
		var last string
		if err := activity.GetHeartbeatDetails(ctx, &last); err == nil {
			if p, err := time.ParseDuration(last); err == nil && p > 0 {
				done = min(p, d)
			}
		}
	}
	if done >= d {
		return result, nil
	}

	start := time.Now()
	timer := time.NewTimer(d - done)
	defer timer.Stop()
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	activity.RecordHeartbeat(ctx, done.String())
	for {
		select {
		case <-ctx.Done():
			return SleepResult{}, ctx.Err()
		case <-timer.C:
			return result, nil
		case <-ticker.C:
			// A late tick can be chosen over a timer that is due as well:
			// progress never goes past the duration.
			activity.RecordHeartbeat(ctx, min(done+time.Since(start), d).String())
		}
	}
}
