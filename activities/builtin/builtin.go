package builtin

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/dslrun/dslrun/activities"
)

// Activity type names of the built-ins: the wire contract used in
// definitions (`activity: sleep`).
const (
	Echo             = "echo"
	Log              = "log"
	Sleep            = "sleep"
	Fail             = "fail"
	MathAdd          = "math.add"
	CounterIncrement = "counter.increment"
)

// InvalidInputType is the application error type of the non-retryable error
// a built-in returns when it cannot use its input.
const InvalidInputType = "InvalidInput"

// plugin is one built-in activity: its spec and its function.
type plugin struct {
	spec activities.Spec
	fn   any
}

// bundle returns every built-in, with c serving counter.increment.
func bundle(c *Counter) []plugin {
	return []plugin{
		{echoSpec(), echo},
		{logSpec(), logMessage},
		{sleepSpec(), sleep},
		{failSpec(), fail},
		{mathAddSpec(), mathAdd},
		{counterSpec(), c.Increment},
		{externalWaitSpec(), externalWait},
	}
}

func init() {
	for _, p := range bundle(NewCounter()) {
		activities.MustRegister(p.spec, p.fn)
	}
}

// Register adds every built-in to r, with a new [Counter] serving
// counter.increment. It reports every registration that failed (for example
// names r already has).
func Register(r *activities.Registry) error {
	var errs []error
	for _, p := range bundle(NewCounter()) {
		errs = append(errs, r.Register(p.spec, p.fn))
	}
	return errors.Join(errs...)
}

// invalidInput returns the non-retryable error for an unusable input.
func invalidInput(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), InvalidInputType, nil)
}

// schema marks a JSON schema literal; it panics at init if the literal is not
// JSON, which the package tests would catch first.
func schema(s string) json.RawMessage {
	if !json.Valid([]byte(s)) {
		panic("builtin: invalid JSON schema literal: " + s)
	}
	return json.RawMessage(s)
}
