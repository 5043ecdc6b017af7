package dslruncmd

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
)

// TestRetryLogger: the SDK's "Activity error." line is a WARN line for a
// failure that is retried, an ERROR line for one that is not (a
// non-retryable application error, a cancellation); other ERROR lines
// stay, also in loggers derived with fields.
func TestRetryLogger(t *testing.T) {
	for _, tt := range []struct {
		name string
		msg  string
		err  error
		want string
	}{
		{"retryable application error", "Activity error.", temporal.NewApplicationError("busy", "Busy"), "level=WARN"},
		{"plain error", "Activity error.", errors.New("connection refused"), "level=WARN"},
		{"non-retryable", "Activity error.", temporal.NewNonRetryableApplicationError("declined", "CardDeclined", nil), "level=ERROR"},
		{"cancelled", "Activity error.", temporal.NewCanceledError(), "level=ERROR"},
		{"another message", "Workflow panic", errors.New("boom"), "level=ERROR"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			base := newSDKLogger(&buf, "warn")
			for _, l := range []tlog.Logger{base, tlog.With(base, "Namespace", "default")} {
				buf.Reset()
				l.Error(tt.msg, "ActivityType", "charge", "Attempt", 1, "Error", tt.err)
				if got := buf.String(); !strings.Contains(got, " "+tt.want+" ") {
					t.Errorf("logged %q, want %s", got, tt.want)
				}
			}
		})
	}
}
