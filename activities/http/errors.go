package http

import (
	"encoding/json"
	"fmt"
	nethttp "net/http"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
)

// maxDetailBody is the largest response body kept whole in the details of
// an HTTPStatus failure; a larger one is cut to its first bytes there (the
// failure is recorded in history).
const maxDetailBody = 8 << 10

// StatusDetails are the details of an [StatusErrorType] failure, read in a
// catch as error.details.
type StatusDetails struct {
	// Status is the response's status code.
	Status int `json:"status"`
	// Headers are the response's headers, as in [Result].
	Headers map[string]string `json:"headers"`
	// Body is the response's body as in [Result], cut to its first 8 KiB of
	// text when it is longer (BodyTruncated is then true).
	Body any `json:"body"`
	// BodyTruncated says that Body is only the start of the body.
	BodyTruncated bool `json:"bodyTruncated,omitempty"`
	// RetryAfter is the delay the response's Retry-After asked for, as a
	// Go duration, when it had a valid one.
	RetryAfter string `json:"retryAfter,omitempty"`
}

// statusError is the failure of a response whose status is not expected.
func statusError(r *request, res Result, retryAfter string, now time.Time) error {
	d := StatusDetails{Status: res.Status, Headers: res.Headers, Body: res.Body}
	if b, err := json.Marshal(res.Body); err == nil && len(b) > maxDetailBody {
		text, _ := res.Body.(string)
		if text == "" {
			text = string(b)
		}
		d.Body, d.BodyTruncated = strings.ToValidUTF8(text[:maxDetailBody], ""), true
	}
	msg := fmt.Sprintf("%s %s: status %d %s", r.method, r.url, res.Status, nethttp.StatusText(res.Status))
	opts := temporal.ApplicationErrorOptions{NonRetryable: !retryableStatus(res.Status), Details: []any{&d}}
	if !opts.NonRetryable {
		if delay, ok := parseRetryAfter(retryAfter, now); ok {
			opts.NextRetryDelay = delay
			d.RetryAfter = delay.String()
			msg += fmt.Sprintf(" (retry after %s)", delay)
		}
	}
	return temporal.NewApplicationErrorWithOptions(msg, StatusErrorType, opts)
}

// retryableStatus: 408, 429 and 5xx may succeed later, and so may an
// unexpected 2xx (a 202 Accepted while a job runs, when expectedStatus is
// [200]: the retry policy is then the poller). Other 4xx, 1xx and 3xx will
// not.
func retryableStatus(status int) bool {
	return status == nethttp.StatusRequestTimeout || status == nethttp.StatusTooManyRequests ||
		status >= 500 || (status >= 200 && status < 300)
}

// parseRetryAfter reads a Retry-After value: seconds, or an HTTP date.
// A date in the past is no delay at all (false).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 || secs > 7*24*3600 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := nethttp.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now).Round(time.Second)
	if d <= 0 {
		return 0, false
	}
	return d, true
}

// tooLarge is the failure of a response body over the limit.
func tooLarge(r *request, status int) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("%s %s: response body is larger than maxResponseBytes (%d bytes); nothing was returned", r.method, r.url, r.maxBytes),
		TooLargeErrorType, nil, map[string]any{"status": status, "maxResponseBytes": r.maxBytes})
}

// retryable returns a retryable application error of type typ.
func retryable(typ, msg string, details any) error {
	if details == nil {
		return temporal.NewApplicationError(msg, typ)
	}
	return temporal.NewApplicationError(msg, typ, details)
}

// invalidInput returns the non-retryable error of an unusable input.
func invalidInput(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), InvalidInputType, nil)
}
