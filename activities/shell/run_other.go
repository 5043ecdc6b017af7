//go:build !unix

package shell

import (
	"context"

	"go.temporal.io/sdk/temporal"
)

// Execute fails: the shell activity needs process groups and signals,
// which this package implements on Unix systems only.
func Execute(context.Context, Input) (Result, error) {
	return Result{}, temporal.NewNonRetryableApplicationError("shell: the shell activity needs a Unix system", StartErrorType, nil)
}
