package acme

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/sdk/activity"
)

// WordCountInput is the with: value of acme.wordcount.
type WordCountInput struct {
	Lines      []string `json:"lines"`
	CrashAfter int      `json:"crashAfter,omitempty"`
}

// WordCountResult is the result of acme.wordcount.
type WordCountResult struct {
	Words     int   `json:"words"`
	Lines     int   `json:"lines"`
	Attempt   int32 `json:"attempt"`
	ResumedAt int   `json:"resumedAt"`
}

// progress is the heartbeat of acme.wordcount: the next line to count and
// the words counted before it.
type progress struct {
	Next  int `json:"next"`
	Words int `json:"words"`
}

// wordCount counts the words of in.Lines. After each line it heartbeats its
// progress; a retried attempt starts from the last heartbeat that reached
// the server instead of from the first line.
func wordCount(ctx context.Context, in WordCountInput) (WordCountResult, error) {
	info := activity.GetInfo(ctx)
	var p progress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &p); err != nil || p.Next < 0 || p.Next > len(in.Lines) {
			// Progress that does not fit this input: count from the start.
			p = progress{}
		}
	}
	resumedAt := p.Next
	for p.Next < len(in.Lines) {
		if err := ctx.Err(); err != nil {
			return WordCountResult{}, err
		}
		p.Words += len(strings.Fields(in.Lines[p.Next]))
		p.Next++
		activity.RecordHeartbeat(ctx, p)
		if info.Attempt == 1 && in.CrashAfter > 0 && p.Next == in.CrashAfter && p.Next < len(in.Lines) {
			// A retryable failure: Temporal retries the activity under the
			// step's retry policy, and the next attempt resumes.
			return WordCountResult{}, fmt.Errorf("simulated crash after line %d", p.Next)
		}
	}
	return WordCountResult{Words: p.Words, Lines: len(in.Lines), Attempt: info.Attempt, ResumedAt: resumedAt}, nil
}
