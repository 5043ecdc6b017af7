package dslruncmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/dslrun/dslrun/internal/expression"
	"github.com/dslrun/dslrun/interpreter"
	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
)

type applyOptions struct {
	*Options
	File      string
	Input     string
	ID        string
	Detach    bool
	Worker    bool
	TaskQueue string
	Output    string
	Quiet     bool
	// DryRun prints how apply would change the definition's schedule.
	DryRun bool
	// Root is the folder child files must be in (--root).
	Root    string
	Connect connectOptions
	// Message is signal-with-start or update-with-start (ops_start.go).
	Message startMessage
}

func newApplyCmd(opts *Options, runF func(*applyOptions) error) *cobra.Command {
	o := &applyOptions{Options: opts}
	o.Connect.AllowEmbedded = true
	o.Connect.AbandonMemoryServer = true
	o.Connect.EphemeralServer = true
	cmd := &cobra.Command{
		Use:   "apply FILE",
		Short: "Validate a workflow definition and run it",
		Long: `Validate a workflow definition exactly as 'dslrun validate' does, then run it and
wait for its result, showing the steps as they start and finish.

With no Temporal address configured (--address, TEMPORAL_ADDRESS, or a profile),
apply starts an embedded Temporal server and a worker in this process. With an
address it starts the run on that cluster and, with --worker, also serves it
from this process; otherwise workers on the task queue ('dslrun worker') run it.

A definition with a schedule block is not run: apply creates its schedule, or
updates it when it differs from the file, and prints created, updated (with
what changed) or unchanged (see 'dslrun schedule --help'); --dry-run prints the
difference and changes nothing. A schedule needs a server that outlives apply.
Temporal cannot change the memo of an existing schedule: a change of
schedule.memo is refused, and nothing is changed.

--signal starts the run with a signal (signal-with-start: a run already
running under the id gets the signal instead), --update with an update whose
return value is printed (update-with-start; with the definition's
options.idConflictPolicy, default useExisting).

Ctrl-C asks Temporal to cancel the run; a second Ctrl-C stops waiting and says
whether the run is still cancelling (its cleanup may take a while).
Exit codes: 0 completed, 1 failed or invalid, 2 usage, 3 cancelled, 4 timed out
or terminated, 5 detached by a second Ctrl-C while the run was still open.

  dslrun apply examples/hello.yaml --input '{"name": "Ada"}'
  dslrun apply order.yaml --input @order.json --id order-42 --address temporal:7233 --detach
  dslrun apply examples/entity.yaml --id account-7 --update addPoints --update-input '{"points": 50}' --address temporal:7233 --detach`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = args[0]
			if o.Output != "text" && o.Output != "json" {
				return usageErrorf("--output must be text or json, not %q", o.Output)
			}
			if runF != nil {
				return runF(o)
			}
			return applyJSONError(o, runApply(cmd.Context(), o))
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.Input, "input", "i", "", "workflow input as JSON, or @file.json, or @- for standard input")
	fs.StringVar(&o.ID, "id", "", "workflow id (default: options.id of the definition, else <name>-<random>)")
	fs.BoolVar(&o.Detach, "detach", false, "start the run and exit without waiting (needs a server that outlives this command)")
	fs.BoolVar(&o.Worker, "worker", false, "also run a worker in this process when using a remote server")
	fs.StringVar(&o.TaskQueue, "task-queue", "", "task queue of the run (default: options.taskQueue of the definition, else dslrun)")
	fs.StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "do not show progress")
	addRootFlag(cmd, &o.Root)
	fs.BoolVar(&o.DryRun, "dry-run", false, "for a definition with a schedule: print how its schedule would change, change nothing")
	o.Connect.Flags.Register(fs)
	o.Connect.Server.register(fs)
	o.Connect.Codec.register(fs)
	o.Connect.Metrics.register(fs)
	o.Message.register(fs)
	addPluginsFlag(cmd, opts)
	return cmd
}

func runApply(ctx context.Context, o *applyOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	r := validate.FileWith(o.File, validate.Options{Registry: o.Registry, Root: o.Root})
	if !r.Valid() && o.Output == "json" { // the diagnostics go in the JSON
		return &exitError{code: ExitFailure, err: &invalidDefinitionError{fmt.Errorf("%s is invalid: nothing was started", o.File), r.Diagnostics}}
	}
	for _, d := range r.Diagnostics { // errors, or warnings only
		fmt.Fprintln(o.Stderr, d.String())
	}
	if !r.Valid() {
		return &exitError{code: ExitFailure, err: fmt.Errorf("%s is invalid: nothing was started", o.File)}
	}
	if err := r.Canonicalize(); err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	w := r.Workflow
	if w.Schedule != nil || o.DryRun {
		return applyScheduleOf(ctx, o, r) // schedule_apply.go
	}
	input, err := readInput(o.Input, o.Stdin)
	if err != nil {
		return usageErrorf("--input: %v", err)
	}
	start, err := interpreter.NewStart(r.Definition, input, interpreter.StartOptions{ID: o.ID, TaskQueue: o.TaskQueue})
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	if err := o.Message.prepare(w, o.Stdin); err != nil {
		return err
	}

	s, err := open(ctx, o.Options, o.Connect)
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	defer s.Close()
	if o.Detach && s.Embedded {
		return usageErrorf("--detach needs a Temporal server that outlives this command: set --address or TEMPORAL_ADDRESS (for example to a 'dslrun dev' server)")
	}
	if s.Embedded || o.Worker {
		if s.Ephemeral {
			// The SDK names a worker by a checksum of the executable,
			// which it computes at the first worker start by reading the
			// whole binary (about 200 MB with the embedded server): a
			// third of a second or more. The name is recorded in the
			// run's history, which dies with this process: a fixed name
			// does.
			worker.SetBinaryChecksum("dslrun-apply")
		}
		wk := worker.New(s.Client, start.Options.TaskQueue, worker.Options{})
		interpreter.Register(wk, interpreter.Options{Definitions: staticDefinitions{w.Name: r.Definition.Canonical}})
		o.Registry.Attach(wk)
		if err := wk.Start(); err != nil {
			return &exitError{code: ExitFailure, err: fmt.Errorf("start worker: %w", err)}
		}
		defer wk.Stop()
	}

	if s.Embedded {
		// The only worker is this process's, on this client: the server
		// hands it the first workflow task in its answer to the start
		// (eager start) instead of through a task queue.
		start.Options.EnableEagerStart = true
	}
	run, err := o.Message.start(ctx, o, s.Client, start)
	if err != nil {
		return explainStartError(err) // schedule_def.go
	}
	s.log.Info("dslrun: run started", "workflowId", run.GetID())
	if o.Detach {
		return printStarted(o, run)
	}
	if !o.Quiet && o.Output == "text" {
		fmt.Fprintf(o.Stderr, "%s %s (workflow id %s, run id %s)\n", startedLine(run), w.Name, run.GetID(), run.GetRunID())
	}
	err = waitRun(ctx, o.Options, s.Client, run, o.Output, o.Quiet, o.File, start.Options.TaskQueue)
	s.log.Info("dslrun: result reported")
	return err
}

// waitRun waits for a run (following continue-as-new), printing progress,
// then the result or the failure, and returns the exit status. file is the
// definition file the run was applied from ("" when unknown): a failed
// step is shown at its position there. When no worker polls taskQueue a
// few seconds after the start, a warning says so.
func waitRun(ctx context.Context, o *Options, c client.Client, run client.WorkflowRun, output string, quiet bool, file, taskQueue string) error {
	waitCtx, stopWait := context.WithCancel(ctx)
	defer stopWait()
	warned := make(chan struct{})
	if output == "text" {
		go func() {
			defer close(warned)
			warnNoWorker(waitCtx, c, taskQueue, o.Stderr)
		}()
	} else {
		close(warned)
	}
	// The progress printer follows the history with long polls and ends by
	// itself when the last run of the chain closes.
	progressCtx, stopProgress := context.WithCancel(ctx)
	defer stopProgress()
	progressDone := make(chan struct{})
	if !quiet && output == "text" {
		go func() {
			defer close(progressDone)
			watchProgressAndRetries(progressCtx, c, run.GetID(), run.GetRunID(), o.Stderr)
		}()
	} else {
		close(progressDone)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	detached := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-waitCtx.Done():
				return
			case <-sigs:
				n++
				if n == 1 {
					fmt.Fprintf(o.Stderr, "cancelling %s (press Ctrl-C again to stop waiting)\n", run.GetID())
					cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					if err := c.CancelWorkflow(cctx, run.GetID(), ""); err != nil {
						fmt.Fprintf(o.Stderr, "cancel: %v\n", err)
					}
					cancel()
				} else {
					close(detached)
					stopWait()
					return
				}
			}
		}
	}()
	var raw json.RawMessage
	err := run.Get(waitCtx, &raw)
	interrupted := waitCtx.Err() != nil
	stopWait()
	if !interrupted {
		// Let the progress printer reach the closing event, so that every
		// step's line is out before the result.
		select {
		case <-progressDone:
		case <-time.After(5 * time.Second):
		}
	}
	stopProgress()
	<-progressDone
	<-warned
	select {
	case <-detached:
		return detach(o, c, run, output, file)
	default:
	}
	return reportResult(o, run, raw, err, output, file)
}

// detach reports a second Ctrl-C: the run may have closed meanwhile (then
// its outcome is reported as usual), or it is still open, cancelling.
func detach(o *Options, c client.Client, run client.WorkflowRun, output, file string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := c.DescribeWorkflowExecution(ctx, run.GetID(), "")
	if err == nil && d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		var raw json.RawMessage
		err := c.GetWorkflow(ctx, run.GetID(), "").Get(ctx, &raw)
		return reportResult(o, run, raw, err, output, file)
	}
	msg := fmt.Sprintf("stopped waiting: %s is still open, cancellation requested (its cleanup goes on; see dslrun describe %s)", run.GetID(), run.GetID())
	if err != nil {
		msg = fmt.Sprintf("stopped waiting for %s, cancellation requested; its state is unknown: %v", run.GetID(), err)
	}
	if output == "json" {
		_ = json.NewEncoder(o.Stdout).Encode(runResult{WorkflowID: run.GetID(), RunID: run.GetRunID(), Status: "cancelling"})
	}
	return &exitError{code: ExitDetached, err: errors.New(msg)}
}

// runResult is the -o json form of a finished run.
type runResult struct {
	WorkflowID string          `json:"workflowId"`
	RunID      string          `json:"runId"`
	Status     string          `json:"status"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      *jsonFailure    `json:"error,omitempty"`
	// Update is the outcome of apply --update.
	Update *updateOutcome `json:"update,omitempty"`
	// Existing is set when apply --signal or --update found the run
	// already running: it got the message, and no run was started.
	Existing bool `json:"existingRun,omitempty"`
}

type jsonFailure struct {
	Message string   `json:"message"`
	Chain   []string `json:"chain"`
	// At is file:line:col of the failed step in the applied file.
	At string `json:"at,omitempty"`
}

func reportResult(o *Options, run client.WorkflowRun, raw json.RawMessage, err error, output, file string) error {
	status, code := "completed", ExitOK
	var canceled *temporal.CanceledError
	var terminated *temporal.TerminatedError
	var timeout *temporal.TimeoutError
	switch {
	case err == nil:
	case errors.As(err, &canceled):
		status, code = "cancelled", ExitCancelled
	case errors.As(err, &terminated):
		status, code = "terminated", ExitTimedOut
	case errors.As(err, &timeout) && !hasActivityError(err):
		status, code = "timed out", ExitTimedOut
	case errors.Is(err, context.Canceled):
		return &exitError{code: ExitFailure, err: fmt.Errorf("stopped waiting for %s", run.GetID())}
	case isCodecError(err): // the run did not fail: its result is unreadable here
		return &exitError{code: ExitFailure, err: fmt.Errorf("result of %s: %w", run.GetID(), err)}
	default:
		status, code = "failed", ExitFailure
	}
	chain, stepIdx := failureLines(err)
	at := failedStepAt(file, err)
	if output == "json" {
		res := runResult{WorkflowID: run.GetID(), RunID: run.GetRunID(), Status: status}
		if len(raw) > 0 && string(raw) != "null" {
			res.Result = raw
		}
		res.Update = startedUpdate(run)
		res.Existing = startedExisting(run)
		if err != nil {
			res.Error = &jsonFailure{Message: err.Error(), Chain: chain, At: at}
		}
		enc := json.NewEncoder(o.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
		if code != ExitOK {
			return silent(code)
		}
		return nil
	}
	if err != nil {
		fmt.Fprintf(o.Stderr, "%s %s\n", run.GetID(), status)
		for i, line := range chain {
			if i == stepIdx && at != "" {
				line = at + ": " + line
			}
			fmt.Fprintf(o.Stderr, "%s%s\n", strings.Repeat("  ", i+1), line)
		}
		return silent(code)
	}
	writeJSON(o.Stdout, raw)
	return nil
}

func hasActivityError(err error) bool {
	var ae *temporal.ActivityError
	return errors.As(err, &ae)
}

// failureChain lists the causes of err, outermost first, one line each.
func failureChain(err error) []string {
	lines, _ := failureLines(err)
	return lines
}

// failureLines is failureChain, with the index of the line of the
// application error that names the failed step (-1: none), where apply
// shows the step's position.
func failureLines(err error) (lines []string, step int) {
	step = -1
	seen := map[string]bool{}
	for e := err; e != nil; e = errors.Unwrap(e) {
		line := describeFailure(e)
		if line == "" || seen[line] {
			continue
		}
		seen[line] = true
		if step < 0 && isStepFailure(e) {
			step = len(lines)
		}
		lines = append(lines, line)
	}
	return lines, step
}

func describeFailure(e error) string {
	switch t := e.(type) {
	case *temporal.WorkflowExecutionError:
		return ""
	case *temporal.ActivityError:
		return fmt.Sprintf("activity %s failed (%s)", t.ActivityType().GetName(), strings.ToLower(strings.TrimPrefix(t.RetryState().String(), "RetryState")))
	case *temporal.ApplicationError:
		msg := t.Message()
		if t.Type() != "" {
			msg = t.Type() + ": " + msg
		}
		if t.NonRetryable() {
			msg += " (non-retryable)"
		}
		return msg
	case *temporal.TimeoutError:
		return "timeout: " + strings.ToLower(strings.TrimPrefix(t.TimeoutType().String(), "TimeoutType"))
	case *temporal.CanceledError:
		return "cancelled"
	case *temporal.ChildWorkflowExecutionError:
		return "child workflow failed"
	}
	return firstLine(e.Error())
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func writeJSON(w io.Writer, raw json.RawMessage) {
	if len(raw) == 0 {
		raw = json.RawMessage("null")
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		buf.Reset()
		buf.Write(raw)
	}
	buf.WriteByte('\n')
	_, _ = w.Write(buf.Bytes()) // stdout: nothing to do about a failed write
}

func printStarted(o *applyOptions, run client.WorkflowRun) error {
	if o.Output == "json" {
		enc := json.NewEncoder(o.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(runResult{WorkflowID: run.GetID(), RunID: run.GetRunID(), Status: "running", Update: startedUpdate(run), Existing: startedExisting(run)})
	}
	fmt.Fprintf(o.Stdout, "%s workflow id %s, run id %s\n", startedLine(run), run.GetID(), run.GetRunID())
	return nil
}

// readInput reads --input: JSON text, @file, or @- for stdin. No input is
// null.
func readInput(arg string, stdin io.Reader) (any, error) {
	if arg == "" {
		return nil, nil
	}
	data := []byte(arg)
	if strings.HasPrefix(arg, "@") {
		var err error
		if arg == "@-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(arg[1:])
		}
		if err != nil {
			return nil, err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, errors.New("not valid JSON: more than one value")
	}
	return expression.Normalize(v)
}

// staticDefinitions serves canonical definitions from memory by name.
type staticDefinitions map[string][]byte

// Lookup implements interpreter.Definitions.
func (d staticDefinitions) Lookup(name string) ([]byte, bool) {
	b, ok := d[name]
	return b, ok
}

var _ interpreter.Definitions = staticDefinitions(nil)
