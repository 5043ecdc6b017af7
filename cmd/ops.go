package dslruncmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/dslrun/dslrun/interpreter"
	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// opsOptions are shared by the commands that act on a run that already
// exists (signal, query, update, cancel, terminate, describe, result,
// history, list). They only ever talk to a configured server: the
// embedded one would hold no runs.
type opsOptions struct {
	*Options
	WorkflowID string
	RunID      string
	Output     string
	Connect    connectOptions

	namespace string // set by dial
	// jsonl allows -o jsonl (history).
	jsonl bool
}

// register adds the flags every operations command has; withRunID adds
// --run-id too.
func (o *opsOptions) register(fs *pflag.FlagSet, withRunID bool) {
	if withRunID {
		fs.StringVarP(&o.RunID, "run-id", "r", "", "run id (default: the latest run of the workflow id)")
	}
	fs.StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	o.Connect.Flags.Register(fs)
	o.Connect.Codec.register(fs)
}

// check validates the shared flags.
func (o *opsOptions) check() error {
	switch {
	case o.Output == "text" || o.Output == "json":
	case o.Output == "jsonl" && o.jsonl:
	case o.jsonl:
		return usageErrorf("--output must be text, json or jsonl, not %q", o.Output)
	default:
		return usageErrorf("--output must be text or json, not %q", o.Output)
	}
	return nil
}

// dial connects to the configured server.
func (o *opsOptions) dial(ctx context.Context) (*session, error) {
	s, err := open(ctx, o.Options, o.Connect)
	if err != nil {
		return nil, &exitError{code: ExitFailure, err: err}
	}
	o.namespace = s.Namespace
	return s, nil
}

// runError turns an error of a call on the workflow into the command's
// error, naming the workflow when the server does not know it.
func (o *opsOptions) runError(what string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		run := ""
		if o.RunID != "" {
			run = fmt.Sprintf(" (run id %s)", o.RunID)
		}
		if strings.Contains(nf.Message, "already completed") {
			return &exitError{code: ExitFailure, err: fmt.Errorf("%s: workflow %q%s has already closed", what, o.WorkflowID, run)}
		}
		return &exitError{code: ExitFailure, err: fmt.Errorf("%s: workflow %q%s not found in namespace %q", what, o.WorkflowID, run, o.namespace)}
	}
	return &exitError{code: ExitFailure, err: fmt.Errorf("%s: %w", what, err)}
}

// currentRun describes the run the command acts on (--run-id, else the
// latest run of the workflow id) and returns its run id and status.
func (o *opsOptions) currentRun(ctx context.Context, s *session, what string) (string, enumspb.WorkflowExecutionStatus, error) {
	resp, err := s.Client.DescribeWorkflowExecution(ctx, o.WorkflowID, o.RunID)
	if err != nil {
		return "", 0, o.runError(what, err)
	}
	info := resp.GetWorkflowExecutionInfo()
	return info.GetExecution().GetRunId(), info.GetStatus(), nil
}

// closedError is the error of a command that needs a running run, on one
// that has closed.
func (o *opsOptions) closedError(what, runID string, status enumspb.WorkflowExecutionStatus) error {
	return &exitError{code: ExitFailure, err: fmt.Errorf("%s: workflow %q (run id %s) has already closed (%s)", what, o.WorkflowID, runID, statusName(status))}
}

// newOpsCmd builds an operations command: cmd's RunE is set to check the
// shared flags, take the workflow id from the first argument, and call
// run with a context that Ctrl-C cancels.
// A command that acts on one run (it has --run-id) and takes the workflow
// id as its first argument also takes it as --workflow-id (-w), the
// Temporal CLI's way.
func newOpsCmd(o *opsOptions, cmd *cobra.Command, run func(ctx context.Context, args []string) error) *cobra.Command {
	idFlag := cmd.Flags().Lookup("run-id") != nil && cmd.Flags().Lookup("workflow-id") == nil
	if idFlag {
		cmd.Flags().StringVarP(&o.WorkflowID, "workflow-id", "w", "", "workflow id, in place of the first argument")
	}
	withFlag := func(c *cobra.Command, args []string) []string {
		if f := c.Flags().Lookup("workflow-id"); idFlag && f.Changed {
			return append([]string{o.WorkflowID}, args...)
		}
		return args
	}
	if validate := cmd.Args; idFlag && validate != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			full := withFlag(c, args)
			if err := validate(c, full); err != nil {
				if len(full) > len(args) {
					return usageErrorf("%v (--workflow-id counts as the first)", err)
				}
				return err
			}
			return nil
		}
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if err := o.check(); err != nil {
			return err
		}
		args = withFlag(c, args)
		if len(args) > 0 {
			o.WorkflowID = args[0]
			if o.WorkflowID == "" {
				return usageErrorf("the workflow id must not be empty")
			}
		}
		ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt)
		defer stop()
		return run(ctx, args)
	}
	return cmd
}

// encodeJSON writes v indented, as every -o json output is.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// messageInput reads the --input of a signal, query or update.
func messageInput(arg string, stdin io.Reader) (any, error) {
	v, err := readInput(arg, stdin)
	if err != nil {
		return nil, usageErrorf("--input: %v", err)
	}
	return v, nil
}

// signalOptions are the options of dslrun signal.
type signalOptions struct {
	opsOptions
	Name  string
	Input string
}

func newSignalCmd(opts *Options, runF func(*signalOptions) error) *cobra.Command {
	o := &signalOptions{opsOptions: opsOptions{Options: opts}}
	cmd := &cobra.Command{
		Use:   "signal WORKFLOW_ID NAME",
		Short: "Send a signal to a run",
		Long: `Send a signal to a run. The definition's handler for NAME (or its "*"
handler) receives --input as args. A signal sent before the run reaches the
step that waits for it is not lost.

  dslrun signal req-1 approve --input '{"by": "ops"}' --address localhost:7233`,
		Args: cobra.ExactArgs(2),
	}
	o.register(cmd.Flags(), true)
	cmd.Flags().StringVarP(&o.Input, "input", "i", "", "signal argument as JSON, or @file.json, or @- for standard input")
	return newOpsCmd(&o.opsOptions, cmd, func(ctx context.Context, args []string) error {
		o.Name = args[1]
		if runF != nil {
			return runF(o)
		}
		return runSignal(ctx, o)
	})
}

func runSignal(ctx context.Context, o *signalOptions) error {
	arg, err := messageInput(o.Input, o.Stdin)
	if err != nil {
		return err
	}
	s, err := o.dial(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Client.SignalWorkflow(ctx, o.WorkflowID, o.RunID, o.Name, arg); err != nil {
		return o.runError("signal", err)
	}
	if o.Output == "json" {
		// The run that got the signal: the one named, else the latest.
		runID, _, err := o.currentRun(ctx, s, "signal")
		if err != nil {
			return err
		}
		return encodeJSON(o.Stdout, map[string]string{"workflowId": o.WorkflowID, "runId": runID, "signal": o.Name, "status": "sent"})
	}
	fmt.Fprintf(o.Stdout, "signalled %s: %s\n", o.WorkflowID, o.Name)
	return nil
}

// queryOptions are the options of dslrun query.
type queryOptions struct {
	opsOptions
	Name  string
	Input string
}

func newQueryCmd(opts *Options, runF func(*queryOptions) error) *cobra.Command {
	o := &queryOptions{opsOptions: opsOptions{Options: opts}}
	cmd := &cobra.Command{
		Use:   "query WORKFLOW_ID [NAME]",
		Short: "Query a run's state",
		Long: `Query a run and print the answer as JSON. Queries never change the run.

Without NAME, the built-in query ` + interpreter.StateQuery + ` answers with every run's
state variables, the results of its steps with an id, and the steps running
now: {"state": ..., "steps": ..., "current": [...]}. With NAME, the
definition's query of that name (or its "*" query) answers, with --input as
args.

  dslrun query account-7 status --address localhost:7233`,
		Args: cobra.RangeArgs(1, 2),
	}
	o.register(cmd.Flags(), true)
	cmd.Flags().StringVarP(&o.Input, "input", "i", "", "query argument as JSON, or @file.json, or @- for standard input")
	return newOpsCmd(&o.opsOptions, cmd, func(ctx context.Context, args []string) error {
		o.Name = interpreter.StateQuery
		if len(args) > 1 {
			o.Name = args[1]
		}
		if runF != nil {
			return runF(o)
		}
		return runQuery(ctx, o)
	})
}

func runQuery(ctx context.Context, o *queryOptions) error {
	arg, err := messageInput(o.Input, o.Stdin)
	if err != nil {
		return err
	}
	var args []any
	if o.Input != "" {
		args = []any{arg}
	}
	s, err := o.dial(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	v, err := s.Client.QueryWorkflow(ctx, o.WorkflowID, o.RunID, o.Name, args...)
	if err != nil {
		return o.runError("query "+o.Name, err)
	}
	var raw json.RawMessage
	if v.HasValue() {
		if err := v.Get(&raw); err != nil {
			return &exitError{code: ExitFailure, err: fmt.Errorf("query %s: decode the answer: %w", o.Name, err)}
		}
	}
	writeJSON(o.Stdout, raw)
	return nil
}

// updateOptions are the options of dslrun update.
type updateOptions struct {
	opsOptions
	Name  string
	Input string
	ID    string
}

func newUpdateCmd(opts *Options, runF func(*updateOptions) error) *cobra.Command {
	o := &updateOptions{opsOptions: opsOptions{Options: opts}}
	cmd := &cobra.Command{
		Use:   "update WORKFLOW_ID NAME",
		Short: "Send an update to a run and print what it returns",
		Long: `Send an update to a run, wait for the handler to finish and print its return
value as JSON. An update that the handler's validator (its args schema or its
validate condition) rejects is never written to the run's history: update
prints the validator's message and exits 1.

  dslrun update account-7 addPoints --input '{"points": 120}' --address localhost:7233`,
		Args: cobra.ExactArgs(2),
	}
	o.register(cmd.Flags(), true)
	cmd.Flags().StringVarP(&o.Input, "input", "i", "", "update argument as JSON, or @file.json, or @- for standard input")
	cmd.Flags().StringVar(&o.ID, "update-id", "", "update id, which makes a retried update idempotent (default: random)")
	return newOpsCmd(&o.opsOptions, cmd, func(ctx context.Context, args []string) error {
		o.Name = args[1]
		if runF != nil {
			return runF(o)
		}
		return runUpdate(ctx, o)
	})
}

func runUpdate(ctx context.Context, o *updateOptions) error {
	arg, err := messageInput(o.Input, o.Stdin)
	if err != nil {
		return err
	}
	s, err := o.dial(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	id := o.ID
	if id == "" {
		id = uuid.NewString()
	}
	h, err := s.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID:     id,
		WorkflowID:   o.WorkflowID,
		RunID:        o.RunID,
		UpdateName:   o.Name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var raw json.RawMessage
	if err == nil {
		err = h.Get(ctx, &raw)
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return o.runError("update "+o.Name, err)
	}
	out := updateOutcome{WorkflowID: o.WorkflowID, RunID: o.RunID, UpdateID: id, Update: o.Name}
	if h != nil {
		out.RunID = h.RunID()
	}
	if out.RunID == "" {
		// The handle knows the run only when the server said which it was.
		if runID, _, derr := o.currentRun(ctx, s, "update "+o.Name); derr == nil {
			out.RunID = runID
		}
	}
	out.set(raw, err)
	return out.report(o.Options, o.Output)
}

// updateOutcome is the result of an update, from dslrun update or from
// apply --update.
type updateOutcome struct {
	WorkflowID string          `json:"workflowId,omitempty"`
	RunID      string          `json:"runId,omitempty"`
	UpdateID   string          `json:"updateId,omitempty"`
	Update     string          `json:"update"`
	Status     string          `json:"status"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      *jsonFailure    `json:"error,omitempty"`
	err        error
}

// set records the update's return value or failure.
func (u *updateOutcome) set(raw json.RawMessage, err error) {
	u.err = err
	switch {
	case err == nil:
		u.Status = "completed"
		if len(raw) == 0 {
			raw = json.RawMessage("null")
		}
		u.Result = raw
	case isRejection(err):
		u.Status = "rejected"
		u.Error = &jsonFailure{Message: rejectionMessage(err), Chain: failureChain(err)}
	default:
		u.Status = "failed"
		u.Error = &jsonFailure{Message: err.Error(), Chain: failureChain(err)}
	}
}

// report prints the outcome of dslrun update and returns its exit status.
func (u *updateOutcome) report(o *Options, output string) error {
	if output == "json" {
		if err := encodeJSON(o.Stdout, u); err != nil {
			return err
		}
		if u.err != nil {
			return silent(ExitFailure)
		}
		return nil
	}
	switch u.Status {
	case "completed":
		writeJSON(o.Stdout, u.Result)
		return nil
	case "rejected":
		return &exitError{code: ExitFailure, err: errors.New(u.Error.Message)}
	}
	if errors.Is(u.err, context.Canceled) {
		return &exitError{code: ExitFailure, err: fmt.Errorf("stopped waiting for update %s of %s", u.Update, u.WorkflowID)}
	}
	fmt.Fprintf(o.Stderr, "update %s of %s failed\n", u.Update, u.WorkflowID)
	for _, line := range u.Error.Chain {
		fmt.Fprintf(o.Stderr, "  %s\n", line)
	}
	return silent(ExitFailure)
}

// isRejection reports whether err is an update refused by its validator,
// or by the SDK for a name the run does not handle: such an update left no
// trace in history.
func isRejection(err error) bool {
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Type() == interpreter.UpdateRejectedType || strings.HasPrefix(ae.Message(), "unknown update ")
}

// rejectionMessage is the validator's own message.
func rejectionMessage(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Message()
	}
	return err.Error()
}

// cancelOptions are the options of dslrun cancel.
type cancelOptions struct {
	opsOptions
	Reason string
}

func newCancelCmd(opts *Options, runF func(*cancelOptions) error) *cobra.Command {
	o := &cancelOptions{opsOptions: opsOptions{Options: opts}}
	cmd := &cobra.Command{
		Use:   "cancel WORKFLOW_ID",
		Short: "Ask a run to cancel",
		Long: `Ask a run to cancel. Cancellation reaches every running step; the steps in
finally blocks still run, so cleanup happens, and then the run ends cancelled
(dslrun apply and dslrun result exit 3). Use terminate to stop a run at once.

  dslrun cancel order-42 --reason "customer changed their mind" --address localhost:7233`,
		Args: cobra.ExactArgs(1),
	}
	o.register(cmd.Flags(), true)
	cmd.Flags().StringVar(&o.Reason, "reason", "", "reason, recorded in the run's history")
	return newOpsCmd(&o.opsOptions, cmd, func(ctx context.Context, _ []string) error {
		if runF != nil {
			return runF(o)
		}
		return runCancel(ctx, o)
	})
}

func runCancel(ctx context.Context, o *cancelOptions) error {
	s, err := o.dial(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	// The server accepts a cancel request for a closed run, and ignores it.
	runID, status, err := o.currentRun(ctx, s, "cancel")
	if err != nil {
		return err
	}
	if status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return o.closedError("cancel", runID, status)
	}
	_, err = s.Client.WorkflowService().RequestCancelWorkflowExecution(ctx, &workflowservice.RequestCancelWorkflowExecutionRequest{
		Namespace:         s.Namespace,
		WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: o.WorkflowID, RunId: runID},
		Identity:          identity(),
		RequestId:         uuid.NewString(),
		Reason:            o.Reason,
	})
	if err != nil {
		return o.runError("cancel", err)
	}
	if o.Output == "json" {
		return encodeJSON(o.Stdout, map[string]string{"workflowId": o.WorkflowID, "runId": runID, "status": "cancel requested"})
	}
	fmt.Fprintf(o.Stdout, "cancellation of %s requested\n", o.WorkflowID)
	return nil
}

// terminateOptions are the options of dslrun terminate.
type terminateOptions struct {
	opsOptions
	Reason string
}

func newTerminateCmd(opts *Options, runF func(*terminateOptions) error) *cobra.Command {
	o := &terminateOptions{opsOptions: opsOptions{Options: opts}}
	cmd := &cobra.Command{
		Use:   "terminate WORKFLOW_ID",
		Short: "Stop a run at once, without cleanup",
		Long: `Terminate a run: it stops at once, no step (not even a finally block) runs
again, and the run ends terminated (dslrun apply and dslrun result exit 4).
Use cancel to let the run clean up.

  dslrun terminate order-42 --reason "stuck on a bad deploy" --address localhost:7233`,
		Args: cobra.ExactArgs(1),
	}
	o.register(cmd.Flags(), true)
	cmd.Flags().StringVar(&o.Reason, "reason", "", "reason, recorded in the run's history")
	return newOpsCmd(&o.opsOptions, cmd, func(ctx context.Context, _ []string) error {
		if runF != nil {
			return runF(o)
		}
		return runTerminate(ctx, o)
	})
}

func runTerminate(ctx context.Context, o *terminateOptions) error {
	s, err := o.dial(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	runID, status, err := o.currentRun(ctx, s, "terminate")
	if err != nil {
		return err
	}
	if status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return o.closedError("terminate", runID, status)
	}
	if err := s.Client.TerminateWorkflow(ctx, o.WorkflowID, runID, o.Reason); err != nil {
		return o.runError("terminate", err)
	}
	if o.Output == "json" {
		return encodeJSON(o.Stdout, map[string]string{"workflowId": o.WorkflowID, "runId": runID, "status": "terminated"})
	}
	fmt.Fprintf(o.Stdout, "terminated %s\n", o.WorkflowID)
	return nil
}

// identity names this process in the requests it makes, as the SDK's
// client does (pid@host).
func identity() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%d@%s@dslrun", os.Getpid(), host)
}
