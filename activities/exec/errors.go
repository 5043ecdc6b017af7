package exec

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
)

// Error types of the failures that the worker decides, not the plugin. A
// definition catches them by type (`catch: [{types: [dslrun.PluginExit]}]`)
// and a retry policy can list them in nonRetryableErrorTypes.
const (
	// ErrorTypeExit: the process exited with a non-zero status, or was
	// killed by a signal, without a JSON error on stdout. The message ends
	// with the tail of its stderr. Retryable.
	ErrorTypeExit = "dslrun.PluginExit"
	// ErrorTypeStart: the process could not be started. Retryable.
	ErrorTypeStart = "dslrun.PluginStart"
	// ErrorTypeBadOutput: the process exited 0 but its stdout is not one
	// JSON value. Non-retryable.
	ErrorTypeBadOutput = "dslrun.PluginBadOutput"
	// ErrorTypeOutputTooLarge: the process wrote more than [MaxOutput]
	// bytes on stdout; it is stopped at once. Non-retryable.
	ErrorTypeOutputTooLarge = "dslrun.PluginOutputTooLarge"
	// ErrorTypeTimeout: the process ran longer than its manifest's
	// startToCloseTimeout and was stopped. Retryable.
	ErrorTypeTimeout = "dslrun.PluginTimeout"
	// ErrorTypeHeartbeatTimeout: a plugin with heartbeat: true sent no
	// heartbeat for its manifest's heartbeatTimeout and was stopped.
	// Retryable.
	ErrorTypeHeartbeatTimeout = "dslrun.PluginHeartbeatTimeout"
	// ErrorTypeDefault is the type of a JSON error that names none.
	ErrorTypeDefault = "PluginError"
)

// MaxOutput is the most bytes a process may write on stdout: Temporal's
// payload size limit. More is a failure, never a truncated result.
const MaxOutput = 2 << 20

// maxStderrTail is how much of the end of stderr a failure message quotes.
const maxStderrTail = 2048

// jsonError is the error object a failing process writes on stdout.
type jsonError struct {
	Error *struct {
		Type         string          `json:"type"`
		Message      string          `json:"message"`
		NonRetryable bool            `json:"nonRetryable"`
		Details      json.RawMessage `json:"details"`
	} `json:"error"`
}

// pluginError decodes stdout as a JSON error, reporting false when it is
// not one.
func pluginError(stdout []byte) (error, bool) {
	var je jsonError
	if err := json.Unmarshal(stdout, &je); err != nil || je.Error == nil {
		return nil, false
	}
	e := je.Error
	typ, msg := e.Type, e.Message
	if typ == "" {
		typ = ErrorTypeDefault
	}
	if msg == "" {
		msg = "plugin failed"
	}
	opts := temporal.ApplicationErrorOptions{NonRetryable: e.NonRetryable}
	if d := strings.TrimSpace(string(e.Details)); d != "" && d != "null" {
		opts.Details = []any{e.Details}
	}
	return temporal.NewApplicationErrorWithOptions(msg, typ, opts), true
}

// failure returns an application error of one of the worker's types.
func failure(typ string, nonRetryable bool, format string, args ...any) error {
	return temporal.NewApplicationErrorWithOptions(fmt.Sprintf(format, args...), typ,
		temporal.ApplicationErrorOptions{NonRetryable: nonRetryable})
}

// tailBuffer keeps the last bytes written to it.
type tailBuffer struct {
	buf       []byte
	truncated bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - maxStderrTail; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.truncated = true
	}
	return len(p), nil
}

// String returns the tail, trimmed, with "..." when its start was cut.
func (t *tailBuffer) String() string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(t.buf), "?"))
	if t.truncated {
		s = "..." + s
	}
	return s
}
