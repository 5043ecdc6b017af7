package dslruncmd

import (
	"fmt"
	"os"
	"regexp"
	"time"

	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/dslrun/dslrun/internal/dsltest"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/worker"
)

type testCmdOptions struct {
	*Options
	Paths   []string
	Output  string
	JUnit   string
	Run     string
	Verbose bool
	Timeout time.Duration
	// Root is the folder child files must be in (--root).
	Root string
}

func newTestCmd(opts *Options, runF func(*testCmdOptions) error) *cobra.Command {
	o := &testCmdOptions{Options: opts}
	cmd := &cobra.Command{
		Use:   "test [PATH...]",
		Short: "Run the test files of workflow definitions (*_test.yaml) on a time-skipping test environment",
		Long: `Run test files: order_test.yaml beside order.yaml holds cases, each with an
input, mocked activities, signals, updates and queries at virtual times, and
expectations on the output, the failure, the final state and the activity
calls (docs/testing.md). Every case runs the definition with the interpreter
on the Temporal SDK's test environment, whose clock skips ahead while the run
waits: a 30-day sleep takes milliseconds. No server is needed. Activities a
case does not mock run as registered.

PATH is a test file, a folder (its *_test.yaml files) or a folder ending in
/... (recursive); the default is ./... . Test files are checked like
definitions, every mistake at its file:line:col, and so is the definition each
one tests. The exit code is 0 when every case passes, 1 when a case fails or a
file is invalid, and 2 on usage errors.

  dslrun test ./...
  dslrun test examples/order_test.yaml --run 'declined' -v
  dslrun test ./... -o json --junit report.xml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			if len(o.Paths) == 0 {
				o.Paths = []string{"./..."}
			}
			switch o.Output {
			case "text", "json":
			default:
				return usageErrorf("--output must be text or json, not %q", o.Output)
			}
			if o.Timeout <= 0 {
				return usageErrorf("--timeout must be positive")
			}
			if runF != nil {
				return runF(o)
			}
			return runTest(o)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	fs.StringVar(&o.JUnit, "junit", "", "also write a JUnit XML report to this file, for CI")
	fs.StringVar(&o.Run, "run", "", "run only the cases whose name matches this regular expression")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "list every case, not only the failed ones")
	fs.DurationVar(&o.Timeout, "timeout", dsltest.DefaultRealTimeout, "fail a case whose run waits this long in real time for something that never happens")
	addRootFlag(cmd, &o.Root)
	addPluginsFlag(cmd, opts)
	return cmd
}

func runTest(o *testCmdOptions) error {
	var filter *regexp.Regexp
	if o.Run != "" {
		re, err := regexp.Compile(o.Run)
		if err != nil {
			return usageErrorf("--run: %v", err)
		}
		filter = re
	}
	files, err := validate.ExpandTests(o.Paths)
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	// The SDK names a worker by a checksum of the executable, which it
	// computes when the test environment runs the first activity: it
	// reads the whole binary (about 200 MB with the embedded server), 1 to
	// 2 s. This command starts no worker of a server, so a fixed name does.
	worker.SetBinaryChecksum("dslrun-test")
	start := time.Now()
	r := dsltest.NewRunner(dsltest.Options{Registry: o.Registry, RealTimeout: o.Timeout, Run: filter, Root: o.Root})
	results := make([]*dsltest.FileResult, len(files))
	for i, f := range files {
		results[i] = r.RunFile(f)
	}
	s := dsltest.Summarize(results, time.Since(start))
	if o.Output == "json" {
		if err := dsltest.WriteJSON(o.Stdout, results, s); err != nil {
			return &exitError{code: ExitFailure, err: err}
		}
	} else {
		dsltest.WriteText(o.Stdout, results, s, o.Verbose)
	}
	if o.JUnit != "" {
		if err := writeJUnit(o.JUnit, results, s); err != nil {
			return &exitError{code: ExitFailure, err: err}
		}
	}
	if !s.Passed() {
		return silent(ExitFailure)
	}
	return nil
}

func writeJUnit(path string, results []*dsltest.FileResult, s dsltest.Summary) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--junit: %w", err)
	}
	if err := dsltest.WriteJUnit(f, results, s); err != nil {
		f.Close()
		return fmt.Errorf("--junit: %w", err)
	}
	return f.Close()
}
