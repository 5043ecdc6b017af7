package shell

import (
	"context"
	"encoding/json"

	"go.temporal.io/sdk/temporal"

	"github.com/dslrun/dslrun/activities"
)

// Name is the activity type name of the shell activity.
const Name = "shell"

// AllowFlag is the flag of the dslrun commands that turns the activity on.
const AllowFlag = "--allow-shell"

// Application error types of the shell activity's failures.
const (
	// ExitErrorType: the command exited with a non-zero status or was
	// killed by a signal. Retryable; details are [ExitDetails].
	ExitErrorType = "ShellExit"
	// TimeoutErrorType: the input's timeout expired and the process group
	// was stopped. Retryable.
	TimeoutErrorType = "ShellTimeout"
	// OutputTooLargeErrorType: standard output went over maxOutputBytes;
	// the process group was stopped. Non-retryable.
	OutputTooLargeErrorType = "ShellOutputTooLarge"
	// StartErrorType: the command could not start (not found, not
	// executable, no such dir). Non-retryable.
	StartErrorType = "ShellStart"
	// InvalidInputType: an input the activity cannot use. Non-retryable.
	InvalidInputType = "InvalidInput"
	// DisabledErrorType: the worker that got the step was started without
	// --allow-shell. Non-retryable.
	DisabledErrorType = "dslrun.ShellDisabled"
)

// Limits of the output.
const (
	// DefaultMaxOutputBytes is the largest standard output accepted when
	// the input sets no maxOutputBytes: 1 MiB.
	DefaultMaxOutputBytes = 1 << 20
	// MaxOutputBytes is the largest maxOutputBytes allowed: 2 MiB,
	// Temporal's limit of a result.
	MaxOutputBytes = 2 << 20
	// StderrTail is how much of the end of standard error the result and
	// the failures keep.
	StderrTail = 4 << 10
)

const inputSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["command"],
  "additionalProperties": false,
  "properties": {
    "command": {
      "description": "the program and its arguments, run without a shell; a string only with shell: true",
      "anyOf": [{"type": "array", "minItems": 1, "items": {"type": "string"}}, {"type": "string", "minLength": 1}]
    },
    "shell": {"type": "boolean", "default": false, "description": "run the string command with /bin/sh -c"},
    "dir": {"type": "string", "minLength": 1, "description": "working directory (default: the worker's)"},
    "env": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}, "description": "names of worker environment variables the process sees; it sees no others"},
    "stdin": {"type": "string", "description": "standard input of the process (default: empty)"},
    "timeout": {"type": "string", "pattern": "^(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|ms|s|m|h))+$", "description": "stop the process group after this long, as a Go duration; the attempt fails with ShellTimeout"},
    "maxOutputBytes": {"type": "integer", "minimum": 1, "maximum": 2097152, "default": 1048576, "description": "largest standard output accepted; more fails with ShellOutputTooLarge"}
  }
}`

const outputSchema = `{
  "type": "object",
  "properties": {
    "exitCode": {"type": "integer"},
    "stdout": {"type": "string"},
    "stderr": {"type": "string", "description": "the last 4 KiB of standard error"}
  }
}`

// Spec returns the spec of the shell activity.
func Spec() activities.Spec {
	return activities.Spec{
		Name:    Name,
		Summary: "Run a command on the worker (only on workers started with --allow-shell)",
		Description: "Runs `command` (an argument list; a string with `shell: true` runs under `/bin/sh -c`) in its own process group, " +
			"with only the worker environment variables listed in `env`, and returns `{exitCode, stdout, stderr}`. " +
			"A non-zero exit fails with `ShellExit` (retryable; exit code and stderr tail in the details); " +
			"`timeout` and cancellation stop the whole process group; stdout over `maxOutputBytes` fails with `ShellOutputTooLarge`. " +
			"Workers serve it only when started with `--allow-shell`; elsewhere the step fails with `dslrun.ShellDisabled`.",
		Input:  json.RawMessage(inputSchema),
		Output: json.RawMessage(outputSchema),
		Examples: []activities.Example{{
			Summary: "Run make with a timeout, seeing only PATH and HOME",
			YAML: `- id: build
  activity: shell
  heartbeatTimeout: 10s
  with: {command: [make, build], dir: /srv/site, env: [PATH, HOME], timeout: 5m}
`,
		}},
	}
}

// Register adds the shell activity to r. Call it only for workers that
// were asked to run commands (dslrun's --allow-shell).
func Register(r *activities.Registry) error {
	return r.Register(Spec(), Execute)
}

// DisabledSummary is the summary of the shell activity that
// [RegisterDisabled] registers, which `dslrun activities` shows.
const DisabledSummary = "Run a command on the worker: OFF, start dslrun with " + AllowFlag + " to turn it on"

// RegisterDisabled adds to r, under the shell activity's name and input
// schema (so that validate still checks with:), an activity that fails
// every attempt, non-retryably, with [DisabledErrorType].
func RegisterDisabled(r *activities.Registry) error {
	spec := Spec()
	spec.Summary = DisabledSummary
	return r.Register(spec, disabled)
}

func disabled(context.Context, json.RawMessage) (Result, error) {
	return Result{}, temporal.NewNonRetryableApplicationError(
		"the shell activity is off on this worker: start the worker (dslrun worker, dev or apply) with "+AllowFlag+" to run commands",
		DisabledErrorType, nil)
}
