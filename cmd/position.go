package dslruncmd

import (
	"errors"
	"fmt"
	"os"

	"go.temporal.io/sdk/temporal"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/interpreter"
)

// failedStepAt returns "file:line:col" of the step that err, a run's
// failure, names, in the definition file as it is now; "" when there is no
// file, no step, or the file no longer holds that step. The run's history
// keeps only the path (position-free); the file gives the position.
func failedStepAt(file string, err error) string {
	if file == "" || err == nil {
		return ""
	}
	path, ok := interpreter.FailedStep(err)
	if !ok {
		return ""
	}
	src, rerr := os.ReadFile(file)
	if rerr != nil {
		return ""
	}
	root, ds := dsl.Decode(file, src)
	if ds.HasErrors() {
		return ""
	}
	p := path.Pos(file, root)
	if !p.IsValid() {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// isStepFailure reports whether e is the application error that names the
// failed step: the line of the failure chain that a position belongs to.
func isStepFailure(e error) bool {
	var ae *temporal.ApplicationError
	if !errors.As(e, &ae) || ae != e {
		return false
	}
	_, ok := interpreter.FailedStep(ae)
	return ok
}
