package dslruncmd

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
)

// ExternalFailureType is the failure type of an activity failed by
// `dslrun activity fail` without --type: what a catch matches.
const ExternalFailureType = "ExternalFailure"

// activityOptions are the options of dslrun activity complete, fail and
// heartbeat: which activity (by task token, or by workflow id and activity
// id) and what to send it.
type activityOptions struct {
	opsOptions
	ActivityID string
	TaskToken  string
	Result     string
	Details    string
	Reason     string
	Type       string
	Retryable  bool

	verb  string // complete, fail or heartbeat
	token []byte // the decoded --task-token
}

func newActivityCmd(opts *Options, runF func(*activityOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "activity",
		Short: "Complete, fail or heartbeat an activity from outside",
		Long: `Complete, fail or heartbeat an activity that waits to be completed from
outside: one that returned activity.ErrResultPending, such as the built-in
external.wait or a Go activity that calls activities.Pending.

Name the activity by workflow id and activity id (dslrun describe lists the
ids of a run's pending activities), or by the task token that the activity
logged and recorded as its heartbeat details.

  dslrun activity complete -w refund-42 --activity-id 5 --result '{"approved": true}'
  dslrun activity fail -w refund-42 --activity-id 5 --reason "over budget"
  dslrun activity heartbeat --task-token CiQ2... --details '{"progress": 0.5}'`,
	}
	cmd.AddCommand(
		newActivityVerbCmd(opts, runF, "complete", "Complete an activity with a result",
			`Complete a pending activity: its step succeeds with --result as its result.

  dslrun activity complete -w refund-42 --activity-id 5 --result '{"approved": true, "by": "ops"}' --address localhost:7233`),
		newActivityVerbCmd(opts, runF, "fail", "Fail an activity with a reason",
			`Fail a pending activity with an application error: its message is --reason,
its type --type (default `+ExternalFailureType+`, what a catch matches) and its details
--details. The failure is non-retryable unless --retryable is set, in which case
the step's retry policy may start the activity again.

  dslrun activity fail -w refund-42 --activity-id 5 --reason "over budget" --address localhost:7233`),
		newActivityVerbCmd(opts, runF, "heartbeat", "Record a heartbeat of an activity",
			`Record a heartbeat of a pending activity, with --details as its heartbeat details:
an activity whose step has a heartbeatTimeout must be heartbeated within it.
Exits 3 when the run asks for the activity to be cancelled.

  dslrun activity heartbeat -w refund-42 --activity-id 5 --details '{"seen": true}' --address localhost:7233`),
	)
	return cmd
}

// newActivityVerbCmd builds dslrun activity complete, fail or heartbeat.
func newActivityVerbCmd(opts *Options, runF func(*activityOptions) error, verb, short, long string) *cobra.Command {
	o := &activityOptions{opsOptions: opsOptions{Options: opts}, verb: verb}
	cmd := &cobra.Command{
		Use:   verb + " (-w WORKFLOW_ID --activity-id ID | --task-token TOKEN)",
		Short: short,
		Long:  long,
		Args:  cobra.NoArgs,
	}
	fs := cmd.Flags()
	o.register(fs, true)
	fs.StringVarP(&o.WorkflowID, "workflow-id", "w", "", "workflow id of the run that scheduled the activity")
	fs.StringVar(&o.ActivityID, "activity-id", "", "activity id (dslrun describe lists those of the pending activities)")
	fs.StringVar(&o.TaskToken, "task-token", "", "the activity's task token in base64, instead of --workflow-id and --activity-id")
	switch verb {
	case "complete":
		fs.StringVar(&o.Result, "result", "", "the activity's result as JSON, or @file.json, or @- for standard input")
	case "fail":
		fs.StringVar(&o.Reason, "reason", "", "the failure's message (default: failed by dslrun activity fail)")
		fs.StringVar(&o.Type, "type", ExternalFailureType, "the failure's type, which catch matches")
		fs.StringVar(&o.Details, "details", "", "the failure's details as JSON, or @file.json, or @- for standard input")
		fs.BoolVar(&o.Retryable, "retryable", false, "let the step's retry policy start the activity again")
	case "heartbeat":
		fs.StringVar(&o.Details, "details", "", "heartbeat details as JSON, or @file.json, or @- for standard input")
	}
	if verb != "complete" {
		// The Temporal CLI's name of the flag.
		fs.StringVar(&o.Details, "detail", "", "same as --details")
		_ = fs.MarkHidden("detail")
	}
	return newOpsCmd(&o.opsOptions, cmd, func(ctx context.Context, _ []string) error {
		if err := o.checkTarget(); err != nil {
			return err
		}
		if o.verb == "complete" && o.Result == "" {
			return usageErrorf("--result is required: the activity's result as JSON (null for none)")
		}
		if runF != nil {
			return runF(o)
		}
		return runActivity(ctx, o)
	})
}

// checkTarget checks that the flags name one activity, one way, and
// decodes the task token.
func (o *activityOptions) checkTarget() error {
	byID := o.WorkflowID != "" || o.ActivityID != "" || o.RunID != ""
	switch {
	case o.TaskToken != "" && byID:
		return usageErrorf("--task-token names the activity alone: drop --workflow-id, --run-id and --activity-id")
	case o.TaskToken != "":
		token, err := decodeToken(o.TaskToken)
		if err != nil {
			return usageErrorf("--task-token: %v", err)
		}
		o.token = token
	case o.WorkflowID == "" && o.ActivityID == "":
		return usageErrorf("name the activity: --workflow-id and --activity-id, or --task-token")
	case o.WorkflowID == "":
		return usageErrorf("--activity-id needs --workflow-id")
	case o.ActivityID == "":
		return usageErrorf("--workflow-id needs --activity-id (dslrun describe %s lists the pending activities)", o.WorkflowID)
	}
	return nil
}

// decodeToken decodes a task token in standard or URL-safe base64, padded
// or not.
func decodeToken(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) > 0 {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// activityOutcome is the -o json output of dslrun activity.
type activityOutcome struct {
	WorkflowID string `json:"workflowId,omitempty"`
	RunID      string `json:"runId,omitempty"`
	ActivityID string `json:"activityId,omitempty"`
	TaskToken  string `json:"taskToken,omitempty"`
	Status     string `json:"status"`
}

func runActivity(ctx context.Context, o *activityOptions) error {
	var payload any
	var payloadFlag, payloadArg string
	switch o.verb {
	case "complete":
		payloadFlag, payloadArg = "--result", o.Result
	default:
		payloadFlag, payloadArg = "--details", o.Details
	}
	if payloadArg != "" {
		v, err := readInput(payloadArg, o.Stdin)
		if err != nil {
			return usageErrorf("%s: %v", payloadFlag, err)
		}
		payload = v
	}
	s, err := o.dial(ctx)
	if err != nil {
		return err
	}
	defer s.Close()

	out := activityOutcome{WorkflowID: o.WorkflowID, RunID: o.RunID, ActivityID: o.ActivityID}
	if o.token != nil {
		out.TaskToken = o.TaskToken
	}
	c := s.Client
	switch o.verb {
	case "complete", "fail":
		var failure error
		if o.verb == "fail" {
			failure = o.failure(payload)
			payload = nil
		}
		if o.token != nil {
			err = c.CompleteActivity(ctx, o.token, payload, failure)
		} else {
			err = c.CompleteActivityByID(ctx, s.Namespace, o.WorkflowID, o.RunID, o.ActivityID, payload, failure)
		}
		out.Status = map[string]string{"complete": "completed", "fail": "failed"}[o.verb]
	case "heartbeat":
		var details []any
		if o.Details != "" {
			details = []any{payload}
		}
		if o.token != nil {
			err = c.RecordActivityHeartbeat(ctx, o.token, details...)
		} else {
			err = c.RecordActivityHeartbeatByID(ctx, s.Namespace, o.WorkflowID, o.RunID, o.ActivityID, details...)
		}
		out.Status = "recorded"
		var canceled *temporal.CanceledError
		if errors.As(err, &canceled) {
			out.Status = "cancel requested"
			if err := o.report(out); err != nil {
				return err
			}
			return silent(ExitCancelled)
		}
	}
	if err != nil {
		return o.activityError(err)
	}
	return o.report(out)
}

// failure is the error that dslrun activity fail sends.
func (o *activityOptions) failure(details any) error {
	reason := o.Reason
	if reason == "" {
		reason = "failed by dslrun activity fail"
	}
	opts := temporal.ApplicationErrorOptions{NonRetryable: !o.Retryable}
	if o.Details != "" {
		opts.Details = []any{details}
	}
	return temporal.NewApplicationErrorWithOptions(reason, o.Type, opts)
}

// activityError explains a failed call, naming the activity.
func (o *activityOptions) activityError(err error) error {
	what := "the activity of this task token"
	if o.token == nil {
		what = fmt.Sprintf("activity %q of workflow %q", o.ActivityID, o.WorkflowID)
		if o.RunID != "" {
			what += fmt.Sprintf(" (run id %s)", o.RunID)
		}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return &exitError{code: ExitFailure, err: fmt.Errorf("activity %s: %s is not pending (it is closed, not started yet, or does not exist): %v", o.verb, what, nf.Message)}
	}
	return &exitError{code: ExitFailure, err: fmt.Errorf("activity %s: %s: %w", o.verb, what, err)}
}

// report prints the outcome.
func (o *activityOptions) report(out activityOutcome) error {
	if o.Output == "json" {
		return encodeJSON(o.Stdout, out)
	}
	target := "the activity of the task token"
	if o.token == nil {
		target = fmt.Sprintf("activity %s of %s", o.ActivityID, o.WorkflowID)
	}
	switch out.Status {
	case "completed":
		fmt.Fprintf(o.Stdout, "completed %s\n", target)
	case "failed":
		fmt.Fprintf(o.Stdout, "failed %s\n", target)
	case "recorded":
		fmt.Fprintf(o.Stdout, "heartbeat recorded for %s\n", target)
	case "cancel requested":
		fmt.Fprintf(o.Stdout, "heartbeat recorded for %s; the run asks for it to be cancelled\n", target)
	}
	return nil
}
