package dslruncmd

import (
	"errors"
	"fmt"
	"go.opentelemetry.io/otel/trace"
	"io"
	"os"
	"strings"

	"github.com/dslrun/dslrun/activities"
	"github.com/spf13/cobra"
)

// Exit codes of dslrun, as returned by Main and Run.
const (
	ExitOK        = 0 // success
	ExitFailure   = 1 // invalid definition, failed run, command error
	ExitUsage     = 2 // bad flags or arguments
	ExitCancelled = 3 // the run ended cancelled
	ExitTimedOut  = 4 // the run timed out or was terminated
	ExitDetached  = 5 // a second Ctrl-C stopped waiting while the run was still cancelling
)

// Options are the process resources a command may use. Nil fields fall
// back to the process's own.
type Options struct {
	Stdin     io.Reader                   // os.Stdin if nil
	Stdout    io.Writer                   // os.Stdout if nil
	Stderr    io.Writer                   // os.Stderr if nil
	Args      []string                    // the arguments after the program name; os.Args[1:] if nil
	LookupEnv func(string) (string, bool) // os.LookupEnv if nil
	// Registry holds the activities that validate checks and workers
	// serve; nil means activities.Default().
	Registry *activities.Registry
	// TracerProvider, when not nil, turns tracing on with this provider
	// (the OTEL_* variables then configure nothing); nil: tracing as the
	// OTEL_* variables say (tracing.go).
	TracerProvider trace.TracerProvider
}

func (o *Options) fill() {
	if o.Stdin == nil {
		o.Stdin = os.Stdin
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Args == nil {
		o.Args = os.Args[1:]
	}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.Registry == nil {
		o.Registry = activities.Default()
	}
}

// exitError carries an exit code; its message, if any, is printed once by
// Run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// silent returns an error that sets the exit code without printing
// anything more: the command already reported.
func silent(code int) error { return &exitError{code: code} }

// flagError marks a usage mistake: Run prints it with a hint and exits 2.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &flagError{fmt.Errorf(format, args...)}
}

// Main runs dslrun with the process's resources and returns its exit code.
func Main() int { return Run(Options{}) }

// Run runs dslrun with opts and returns its exit code.
func Run(opts Options) int {
	opts.fill()
	cmd := New(&opts)
	cmd.SetArgs(opts.Args)
	err := cmd.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(opts.Stderr, "dslrun: %v\n", ee.err)
		}
		return ee.code
	}
	var fe *flagError
	if errors.As(err, &fe) || isCobraUsageError(err) {
		fmt.Fprintf(opts.Stderr, "dslrun: %v\nRun 'dslrun --help' for usage.\n", err)
		return ExitUsage
	}
	fmt.Fprintf(opts.Stderr, "dslrun: %v\n", err)
	return ExitFailure
}

// New builds the command tree. It first fills the nil fields of opts with
// the process's own resources, as Run does.
func New(opts *Options) *cobra.Command {
	opts.fill()
	root := &cobra.Command{
		Use:   "dslrun",
		Short: "Run declarative YAML workflows on Temporal",
		Long: `dslrun runs declarative YAML workflows on Temporal.

Check a definition, then run it on an embedded Temporal server:

  dslrun validate examples/
  dslrun apply examples/hello.yaml --input '{"name": "Ada"}'`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(opts.Stdin)
	root.SetOut(opts.Stdout)
	root.SetErr(opts.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &flagError{err} })
	root.AddCommand(
		newValidateCmd(opts, nil),
		newSchemaCmd(opts),
		newVersionCmd(opts),
		newActivitiesCmd(opts),
		newApplyCmd(opts, nil),
		newWorkerCmd(opts, nil), newDevCmd(opts, nil),
		newSignalCmd(opts, nil), newQueryCmd(opts, nil), newUpdateCmd(opts, nil), newCancelCmd(opts, nil), newTerminateCmd(opts, nil), newDescribeCmd(opts, nil), newResultCmd(opts, nil), newHistoryCmd(opts, nil), newListCmd(opts, nil),
		newActivityCmd(opts, nil),
		newReplayCmd(opts, nil),
		newTestCmd(opts, nil), newGraphCmd(opts, nil),
		newScheduleCmd(opts),
		newCodecServerCmd(opts, nil), newCodecKeyCmd(opts),
	)
	return root
}

// isCobraUsageError recognises cobra's own argument errors, which do not go
// through the flag error func.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "unknown flag", "unknown shorthand"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
