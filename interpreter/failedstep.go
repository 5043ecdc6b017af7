package interpreter

import (
	"errors"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/dslrun/dslrun/dsl"
)

// FailedStep returns the path of the step that a run's failure names, as
// a client sees the failure (for example the error of WorkflowRun.Get).
// A run that fails in a step ends with an application error whose message
// starts with the step's path and ": " (failure.Error writes it); this is
// the one place that reads it back. ok is false for a failure that did not
// come from a step (a timeout, a termination, a definition error).
func FailedStep(err error) (path dsl.Path, ok bool) {
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		return "", false
	}
	p, _, found := strings.Cut(ae.Message(), ": ")
	if !found || !isStepPath(p) {
		return "", false
	}
	return dsl.Path(p), true
}

// isStepPath reports whether p is the path of a step: in the top-level
// steps or in a handler's do, ending at a list item.
func isStepPath(p string) bool {
	if !strings.HasPrefix(p, "steps[") && !strings.HasPrefix(p, "signals.") && !strings.HasPrefix(p, "updates.") {
		return false
	}
	return strings.HasSuffix(p, "]") && !strings.ContainsAny(p, " \t\n")
}
