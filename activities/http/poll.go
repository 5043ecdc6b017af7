package http

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/dslrun/dslrun/internal/expression"
)

// defaultPollInterval is the pause between two requests of a poll that
// sets no interval.
const defaultPollInterval = "1s"

// pollVars are the variables of a poll's until condition.
var pollVars = []string{"response"}

// PollProgress is the heartbeat of a polling attempt.
type PollProgress struct {
	// Polls is the number of requests made so far.
	Polls int `json:"polls"`
	// Status is the status of the last response.
	Status int `json:"status"`
}

// poll sends r every interval until p.Until holds over the response, the
// poll's timeout expires, a request fails, or ctx ends.
func (a *Activity) poll(ctx context.Context, r *request, p *Poll) (Result, error) {
	interval, err := duration(p.Interval, defaultPollInterval, "poll.interval")
	if err != nil {
		return Result{}, err
	}
	var deadline time.Time
	if p.Timeout != "" {
		t, err := duration(p.Timeout, "", "poll.timeout")
		if err != nil {
			return Result{}, err
		}
		deadline = time.Now().Add(t)
	}
	until, err := expression.Compile(p.Until, pollVars)
	if err != nil {
		return Result{}, invalidInput("poll.until %q: %v (write the condition without ${ }, over the variable response)", p.Until, err)
	}
	every := heartbeatInterval(ctx)
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	progress := PollProgress{}
	for {
		res, err := a.do(ctx, r)
		if err != nil {
			return Result{}, err
		}
		progress.Polls++
		progress.Status = res.Status
		activity.RecordHeartbeat(ctx, progress)
		done, err := holds(until, res)
		if err != nil {
			return Result{}, invalidInput("poll.until %q: %v", p.Until, err)
		}
		if done {
			res.Polls = progress.Polls
			return res, nil
		}
		wait := interval
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return Result{}, pollTimeout(r, p, progress.Polls, res)
			}
			wait = min(wait, left)
		}
		timer := time.NewTimer(wait)
	waiting:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return Result{}, ctx.Err()
			case <-ticker.C:
				activity.RecordHeartbeat(ctx, progress)
			case <-timer.C:
				break waiting
			}
		}
	}
}

// holds evaluates the until condition over a response.
func holds(until *expression.Program, res Result) (bool, error) {
	headers := make(map[string]any, len(res.Headers))
	for k, v := range res.Headers {
		headers[k] = v
	}
	response, err := expression.Normalize(map[string]any{"status": res.Status, "headers": headers, "body": res.Body})
	if err != nil {
		return false, err
	}
	return until.EvalBool(map[string]any{"response": response})
}

// pollTimeout is the failure of a poll whose condition did not hold in time.
func pollTimeout(r *request, p *Poll, polls int, last Result) error {
	d := StatusDetails{Status: last.Status, Headers: last.Headers, Body: last.Body}
	if s, ok := last.Body.(string); ok && len(s) > maxDetailBody {
		d.Body, d.BodyTruncated = s[:maxDetailBody], true
	}
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("%s %s: %q did not hold within %s (%d requests, last status %d)", r.method, r.url, p.Until, p.Timeout, polls, last.Status),
		PollTimeoutErrorType, nil, &d)
}

// heartbeatInterval is how often a waiting attempt heartbeats: every
// second, or half the step's heartbeatTimeout when that is shorter. The
// SDK throttles what reaches the server; a cancellation arrives in the
// answer to a heartbeat.
func heartbeatInterval(ctx context.Context) time.Duration {
	every := time.Second
	if hb := activity.GetInfo(ctx).HeartbeatTimeout; hb > 0 && hb/2 < every {
		every = hb / 2
	}
	return every
}

// heartbeatEvery records a heartbeat every interval until the returned
// stop is called.
func heartbeatEvery(ctx context.Context, every time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
