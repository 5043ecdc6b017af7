package dslruncmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/interpreter"
	"github.com/google/uuid"
	"github.com/spf13/pflag"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// startMessage holds apply's start variants: signal-with-start
// (--signal) and update-with-start (--update).
type startMessage struct {
	Signal      string
	SignalInput string
	Update      string
	UpdateInput string

	arg any // the decoded --signal-input or --update-input
}

func (m *startMessage) register(fs *pflag.FlagSet) {
	fs.StringVar(&m.Signal, "signal", "", "signal-with-start: send this signal with the start (or to the run already running under the id)")
	fs.StringVar(&m.SignalInput, "signal-input", "", "argument of --signal as JSON, or @file.json")
	fs.StringVar(&m.Update, "update", "", "update-with-start: send this update with the start and print what it returns (the run already running under the id gets it, unless options.idConflictPolicy says otherwise)")
	fs.StringVar(&m.UpdateInput, "update-input", "", "argument of --update as JSON, or @file.json")
}

// prepare checks the flags against each other and against the handlers w
// declares, and reads the message's argument.
func (m *startMessage) prepare(w *dsl.Workflow, stdin io.Reader) error {
	switch {
	case m.Signal != "" && m.Update != "":
		return usageErrorf("--signal and --update cannot be used together")
	case m.SignalInput != "" && m.Signal == "":
		return usageErrorf("--signal-input needs --signal")
	case m.UpdateInput != "" && m.Update == "":
		return usageErrorf("--update-input needs --update")
	}
	var err error
	switch {
	case m.Signal != "":
		if err := checkDeclared("signal", m.Signal, w.Name, dsl.SortedKeys(w.Signals)); err != nil {
			return err
		}
		if m.arg, err = readInput(m.SignalInput, stdin); err != nil {
			return usageErrorf("--signal-input: %v", err)
		}
	case m.Update != "":
		if err := checkDeclared("update", m.Update, w.Name, dsl.SortedKeys(w.Updates)); err != nil {
			return err
		}
		if m.arg, err = readInput(m.UpdateInput, stdin); err != nil {
			return usageErrorf("--update-input: %v", err)
		}
	}
	return nil
}

// checkDeclared refuses a message that no handler of the definition takes:
// it would wait, unread, in the run's history.
func checkDeclared(kind, name, workflow string, declared []string) error {
	for _, d := range declared {
		if d == name || d == "*" {
			return nil
		}
	}
	list := "none"
	if len(declared) > 0 {
		list = strings.Join(declared, ", ")
	}
	return usageErrorf("--%s %q: %s has no %s handler of that name (declared: %s)", kind, name, workflow, kind, list)
}

// start starts the run: plainly, with a signal, or with an update, whose
// outcome it reports on stderr (text) or keeps for the JSON result.
func (m *startMessage) start(ctx context.Context, o *applyOptions, c client.Client, st *interpreter.Start) (client.WorkflowRun, error) {
	switch {
	case m.Signal != "":
		before := runningRunID(ctx, c, st.Options.ID)
		run, err := c.SignalWithStartWorkflow(ctx, st.Options.ID, m.Signal, m.arg, st.Options, st.WorkflowType, st.Args...)
		if err != nil {
			return nil, &exitError{code: ExitFailure, err: fmt.Errorf("signal-with-start: %w", err)}
		}
		if before != "" && run.GetRunID() == before {
			return &existingRun{run}, nil
		}
		return run, nil
	case m.Update != "":
		return m.updateWithStart(ctx, o, c, st)
	}
	run, err := c.ExecuteWorkflow(ctx, st.Options, st.WorkflowType, st.Args...)
	if err != nil {
		return nil, &exitError{code: ExitFailure, err: fmt.Errorf("start workflow: %w", err)}
	}
	return run, nil
}

func (m *startMessage) updateWithStart(ctx context.Context, o *applyOptions, c client.Client, st *interpreter.Start) (client.WorkflowRun, error) {
	so := st.Options
	if so.WorkflowIDConflictPolicy == enumspb.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED {
		// Temporal needs a conflict policy for update-with-start; updating
		// the run that already holds the id is what the pattern is for.
		so.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	}
	before := runningRunID(ctx, c, so.ID)
	op := c.NewWithStartWorkflowOperation(so, st.WorkflowType, st.Args...)
	out := &updateOutcome{UpdateID: uuid.NewString(), Update: m.Update}
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID:     out.UpdateID,
			UpdateName:   m.Update,
			Args:         []any{m.arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	getCtx := ctx
	if err != nil {
		// The request failed, perhaps before the start was even sent, in
		// which case the operation never completes: do not wait long.
		var cancel context.CancelFunc
		getCtx, cancel = context.WithTimeout(ctx, time.Second)
		defer cancel()
	}
	run, startErr := op.Get(getCtx)
	if startErr != nil {
		if err != nil {
			startErr = err
		}
		return nil, &exitError{code: ExitFailure, err: fmt.Errorf("update-with-start: %w", startErr)}
	}
	var raw json.RawMessage
	if err == nil {
		err = h.Get(ctx, &raw)
	}
	out.set(raw, err)
	ur := &updatedRun{WorkflowRun: run, update: out, existing: before != "" && run.GetRunID() == before}
	if out.Status == "rejected" {
		if o.Output == "json" {
			_ = encodeJSON(o.Stdout, runResult{WorkflowID: run.GetID(), RunID: run.GetRunID(), Status: "running", Update: out})
			return nil, silent(ExitFailure)
		}
		return nil, &exitError{code: ExitFailure, err: fmt.Errorf("%s (workflow id %s, run id %s)", out.Error.Message, run.GetID(), run.GetRunID())}
	}
	if o.Output == "text" {
		if out.Status == "completed" {
			fmt.Fprintf(o.Stderr, "update %s returned %s\n", m.Update, compactJSON(out.Result))
		} else {
			fmt.Fprintf(o.Stderr, "update %s failed: %s\n", m.Update, strings.Join(out.Error.Chain, ": "))
		}
	}
	return ur, nil
}

// updatedRun is a run started with an update, carrying the update's
// outcome into apply's JSON result.
type updatedRun struct {
	client.WorkflowRun
	update   *updateOutcome
	existing bool // the run was already running: none was started
}

// existingRun is the run that apply --signal found running under the id:
// it got the signal, and no run was started.
type existingRun struct{ client.WorkflowRun }

// runningRunID returns the run id of the run running under id, or "".
func runningRunID(ctx context.Context, c client.Client, id string) string {
	if id == "" {
		return ""
	}
	resp, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil || resp.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return ""
	}
	return resp.GetWorkflowExecutionInfo().GetExecution().GetRunId()
}

// startedExisting reports whether apply's signal or update went to a run
// that was already running rather than to one it started.
func startedExisting(run client.WorkflowRun) bool {
	switch r := run.(type) {
	case *existingRun:
		return true
	case *updatedRun:
		return r.existing
	}
	return false
}

// startedLine says what apply did: started a run, or sent its signal or
// update to the run already running under the id.
func startedLine(run client.WorkflowRun) string {
	if !startedExisting(run) {
		return "started"
	}
	if startedUpdate(run) != nil {
		return "updated the running"
	}
	return "signalled the running"
}

// startedUpdate returns the outcome of the update a run was started with,
// or nil.
func startedUpdate(run client.WorkflowRun) *updateOutcome {
	if ur, ok := run.(*updatedRun); ok {
		return ur.update
	}
	return nil
}

func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
