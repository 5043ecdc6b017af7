package dslruncmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/dslrun/dslrun/interpreter"
)

// statusName names a workflow status with the words dslrun apply uses.
func statusName(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "running"
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "completed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "cancelled"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "continued as new"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "timed out"
	case enumspb.WORKFLOW_EXECUTION_STATUS_PAUSED:
		return "paused"
	default:
		return "unknown"
	}
}

// timeOf formats a timestamp for output: RFC 3339 in UTC with
// milliseconds, or "" when unset.
func timeOf(t *timestamppb.Timestamp) string {
	if t == nil || !t.IsValid() || (t.GetSeconds() == 0 && t.GetNanos() == 0) {
		return ""
	}
	return t.AsTime().UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// runDescription is the -o json form of dslrun describe.
type runDescription struct {
	WorkflowID        string            `json:"workflowId"`
	RunID             string            `json:"runId"`
	Type              string            `json:"type"`
	Status            string            `json:"status"`
	TaskQueue         string            `json:"taskQueue"`
	StartTime         string            `json:"startTime"`
	CloseTime         string            `json:"closeTime,omitempty"`
	HistoryLength     int64             `json:"historyLength"`
	HistorySizeBytes  int64             `json:"historySizeBytes"`
	FirstRunID        string            `json:"firstRunId,omitempty"`
	Parent            string            `json:"parentWorkflowId,omitempty"`
	PendingActivities []pendingActivity `json:"pendingActivities"`
	PendingChildren   []pendingChild    `json:"pendingChildren"`
	// WorkflowTaskAttempt is the attempt of a pending workflow task that
	// failed before (the run makes no progress until one succeeds), and
	// WorkflowTaskFailure the last such failure, from history.
	WorkflowTaskAttempt int32  `json:"workflowTaskAttempt,omitempty"`
	WorkflowTaskFailure string `json:"workflowTaskFailure,omitempty"`
	// Memo and SearchAttributes are the run's, decoded (memo through the
	// codec when one is configured; search attributes are never encoded).
	Memo             map[string]json.RawMessage `json:"memo,omitempty"`
	SearchAttributes map[string]json.RawMessage `json:"searchAttributes,omitempty"`
	// Result is the output of a completed run.
	Result json.RawMessage `json:"result,omitempty"`
	// Failure is the failure chain of a failed or timed-out run.
	Failure *jsonFailure `json:"failure,omitempty"`
	// Reason is the reason given to terminate the run.
	Reason string `json:"reason,omitempty"`
	// NewRunID is the run a continued-as-new run handed over to.
	NewRunID string `json:"newRunId,omitempty"`
}

// closeOutcome fills in how a closed run ended, from its close event.
func (d *runDescription) closeOutcome(ctx context.Context, c client.Client) error {
	it := c.GetWorkflowHistory(ctx, d.WorkflowID, d.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	if !it.HasNext() {
		return nil
	}
	ev, err := it.Next()
	if err != nil {
		return err
	}
	failure := func(f *failurepb.Failure) {
		if f == nil {
			return
		}
		err := temporal.GetDefaultFailureConverter().FailureToError(f)
		d.Failure = &jsonFailure{Message: err.Error(), Chain: failureChain(err)}
	}
	switch a := ev.GetAttributes().(type) {
	case *historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes:
		d.Result = payloadsJSON(a.WorkflowExecutionCompletedEventAttributes.GetResult())
		if d.Result == nil {
			d.Result = json.RawMessage("null")
		}
	case *historypb.HistoryEvent_WorkflowExecutionFailedEventAttributes:
		failure(a.WorkflowExecutionFailedEventAttributes.GetFailure())
	case *historypb.HistoryEvent_WorkflowExecutionTimedOutEventAttributes:
		d.Failure = &jsonFailure{Message: "timed out", Chain: []string{"timeout: start to close"}}
	case *historypb.HistoryEvent_WorkflowExecutionTerminatedEventAttributes:
		d.Reason = a.WorkflowExecutionTerminatedEventAttributes.GetReason()
	case *historypb.HistoryEvent_WorkflowExecutionContinuedAsNewEventAttributes:
		d.NewRunID = a.WorkflowExecutionContinuedAsNewEventAttributes.GetNewExecutionRunId()
	}
	return nil
}

type pendingActivity struct {
	ActivityID string `json:"activityId"`
	Type       string `json:"type"`
	// Step is the id (or path) of the step that scheduled the activity.
	Step    string `json:"step,omitempty"`
	State   string `json:"state"`
	Attempt int32  `json:"attempt"`
	// MaximumAttempts is 0 when unlimited.
	MaximumAttempts   int32           `json:"maximumAttempts,omitempty"`
	LastHeartbeatTime string          `json:"lastHeartbeatTime,omitempty"`
	HeartbeatDetails  json.RawMessage `json:"heartbeatDetails,omitempty"`
	LastFailure       string          `json:"lastFailure,omitempty"`
	NextAttemptTime   string          `json:"nextAttemptTime,omitempty"`
}

type pendingChild struct {
	WorkflowID        string `json:"workflowId"`
	RunID             string `json:"runId"`
	Type              string `json:"type"`
	ParentClosePolicy string `json:"parentClosePolicy"`
}

func newDescribeCmd(opts *Options, runF func(*opsOptions) error) *cobra.Command {
	o := &opsOptions{Options: opts}
	cmd := &cobra.Command{
		Use:   "describe WORKFLOW_ID",
		Short: "Show a run's status, task queue, times, history length and pending work",
		Long: `Show a run: its status, workflow type, task queue, start and close times,
history length, and the activities and child workflows it is waiting for.

  dslrun describe order-42 --output json --address localhost:7233`,
		Args: cobra.ExactArgs(1),
	}
	o.register(cmd.Flags(), true)
	return newOpsCmd(o, cmd, func(ctx context.Context, _ []string) error {
		if runF != nil {
			return runF(o)
		}
		return runDescribe(ctx, o)
	})
}

func runDescribe(ctx context.Context, o *opsOptions) error {
	s, err := o.dial(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	resp, err := s.Client.DescribeWorkflowExecution(ctx, o.WorkflowID, o.RunID)
	if err != nil {
		return o.runError("describe", err)
	}
	info := resp.GetWorkflowExecutionInfo()
	d := runDescription{
		WorkflowID:        info.GetExecution().GetWorkflowId(),
		RunID:             info.GetExecution().GetRunId(),
		Type:              info.GetType().GetName(),
		Status:            statusName(info.GetStatus()),
		TaskQueue:         info.GetTaskQueue(),
		StartTime:         timeOf(info.GetStartTime()),
		CloseTime:         timeOf(info.GetCloseTime()),
		HistoryLength:     info.GetHistoryLength(),
		HistorySizeBytes:  info.GetHistorySizeBytes(),
		FirstRunID:        info.GetFirstRunId(),
		Parent:            info.GetParentExecution().GetWorkflowId(),
		PendingActivities: []pendingActivity{},
		PendingChildren:   []pendingChild{},
	}
	var steps map[string]string
	if len(resp.GetPendingActivities()) > 0 {
		steps = activitySteps(ctx, s.Client, d.WorkflowID, d.RunID)
	}
	for _, a := range resp.GetPendingActivities() {
		d.PendingActivities = append(d.PendingActivities, pendingActivity{
			ActivityID:        a.GetActivityId(),
			Type:              a.GetActivityType().GetName(),
			Step:              steps[a.GetActivityId()],
			State:             strings.ToLower(a.GetState().String()),
			Attempt:           a.GetAttempt(),
			MaximumAttempts:   a.GetMaximumAttempts(),
			LastHeartbeatTime: timeOf(a.GetLastHeartbeatTime()),
			HeartbeatDetails:  payloadsJSON(a.GetHeartbeatDetails()),
			LastFailure:       a.GetLastFailure().GetMessage(),
			NextAttemptTime:   timeOf(a.GetNextAttemptScheduleTime()),
		})
	}
	for _, c := range resp.GetPendingChildren() {
		d.PendingChildren = append(d.PendingChildren, pendingChild{
			WorkflowID:        c.GetWorkflowId(),
			RunID:             c.GetRunId(),
			Type:              c.GetWorkflowTypeName(),
			ParentClosePolicy: strings.ToLower(c.GetParentClosePolicy().String()),
		})
	}
	dc := s.derived.DataConverter
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	d.Memo = decodeFields(dc, info.GetMemo().GetFields())
	d.SearchAttributes = decodeFields(converter.GetDefaultDataConverter(), info.GetSearchAttributes().GetIndexedFields())
	if wt := resp.GetPendingWorkflowTask(); wt.GetAttempt() > 1 {
		d.WorkflowTaskAttempt = wt.GetAttempt()
		d.WorkflowTaskFailure = workflowTaskFailure(ctx, s.Client, d.WorkflowID, d.RunID)
	}
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		if err := d.closeOutcome(ctx, s.Client); err != nil {
			return o.runError("describe", err)
		}
	}
	if o.Output == "json" {
		return encodeJSON(o.Stdout, d)
	}
	tw := tabwriter.NewWriter(o.Stdout, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("workflow id", d.WorkflowID)
	row("run id", d.RunID)
	row("type", d.Type)
	row("status", d.Status)
	row("task queue", d.TaskQueue)
	row("start time", d.StartTime)
	row("close time", d.CloseTime)
	row("history length", fmt.Sprint(d.HistoryLength))
	row("parent", d.Parent)
	if d.Result != nil {
		row("result", compactJSON(d.Result))
	}
	row("reason", d.Reason)
	row("new run id", d.NewRunID)
	if len(d.Memo) > 0 {
		b, _ := json.Marshal(d.Memo)
		row("memo", string(b))
	}
	if len(d.SearchAttributes) > 0 {
		b, _ := json.Marshal(d.SearchAttributes)
		row("search attributes", string(b))
	}
	if d.WorkflowTaskAttempt > 0 {
		row("workflow task", fmt.Sprintf("failing, attempt %d: %s (no progress until one succeeds)", d.WorkflowTaskAttempt, d.WorkflowTaskFailure))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if d.Failure != nil {
		fmt.Fprintln(o.Stdout, "failure")
		for i, line := range d.Failure.Chain {
			fmt.Fprintf(o.Stdout, "%s%s\n", strings.Repeat("  ", i+1), line)
		}
	}
	if len(d.PendingActivities) > 0 {
		fmt.Fprintln(o.Stdout, "pending activities")
		for _, a := range d.PendingActivities {
			printPendingActivity(o.Stdout, a)
		}
	}
	if len(d.PendingChildren) > 0 {
		fmt.Fprintln(o.Stdout, "pending children")
		for _, c := range d.PendingChildren {
			fmt.Fprintf(o.Stdout, "  %s %s (parent close policy %s)\n", c.Type, c.WorkflowID, c.ParentClosePolicy)
		}
	}
	return nil
}

func newResultCmd(opts *Options, runF func(*opsOptions) error) *cobra.Command {
	o := &opsOptions{Options: opts}
	cmd := &cobra.Command{
		Use:   "result WORKFLOW_ID",
		Short: "Wait for a run to close and print its result",
		Long: `Wait for a run to close, following continue-as-new, and print its result as
JSON, or its failure chain, exactly as dslrun apply does. Ctrl-C stops waiting
and leaves the run alone.
Exit codes: 0 completed, 1 failed, 3 cancelled, 4 timed out or terminated.

  dslrun result order-42 --address localhost:7233`,
		Args: cobra.ExactArgs(1),
	}
	o.register(cmd.Flags(), true)
	return newOpsCmd(o, cmd, func(ctx context.Context, _ []string) error {
		if runF != nil {
			return runF(o)
		}
		return runResultCmd(ctx, o)
	})
}

func runResultCmd(ctx context.Context, o *opsOptions) error {
	s, err := o.dial(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	// Describe first: it names a missing workflow clearly, and pins the
	// run id that the output reports.
	resp, err := s.Client.DescribeWorkflowExecution(ctx, o.WorkflowID, o.RunID)
	if err != nil {
		return o.runError("result", err)
	}
	run := s.Client.GetWorkflow(ctx, o.WorkflowID, resp.GetWorkflowExecutionInfo().GetExecution().GetRunId())
	var raw json.RawMessage
	err = run.Get(ctx, &raw)
	return reportResult(o.Options, run, raw, err, o.Output, "")
}

// historyOptions are the options of dslrun history.
type historyOptions struct {
	opsOptions
	Follow bool
	Raw    bool
}

func newHistoryCmd(opts *Options, runF func(*historyOptions) error) *cobra.Command {
	o := &historyOptions{opsOptions: opsOptions{Options: opts, jsonl: true}}
	cmd := &cobra.Command{
		Use:   "history WORKFLOW_ID",
		Short: "Print the event history of a run",
		Long: `Print the event history of one run, an event a line: id, time, type and the
event's gist (activity type, timer, signal or update name, failure, results
decoded as JSON).

With --output jsonl each event is a line of JSON, its payloads decoded into
the JSON values they hold (--raw keeps them as Temporal encodes them: base64
data with its metadata). --follow prints the events as they happen, until
the run closes.

With --output json the history is printed in Temporal's standard JSON form,
payloads base64-encoded, as 'temporal workflow show --output json' prints it:
'dslrun replay' and the SDKs' replayers (client.HistoryFromJSON in Go) read it
back, so a run can be replayed against a changed interpreter.

  dslrun history order-42 --output json --address localhost:7233 > order-42.json
  dslrun history order-42 --follow --address localhost:7233`,
		Args: cobra.ExactArgs(1),
	}
	o.register(cmd.Flags(), true)
	cmd.Flags().BoolVarP(&o.Follow, "follow", "f", false, "print events as they happen until the run closes (text or jsonl)")
	cmd.Flags().BoolVar(&o.Raw, "raw", false, "with -o jsonl: keep payloads encoded as they are in Temporal (-o json always does)")
	return newOpsCmd(&o.opsOptions, cmd, func(ctx context.Context, _ []string) error {
		if o.Follow && o.Output == "json" {
			return usageErrorf("--follow prints events as they come: use --output text or jsonl")
		}
		if o.Raw && o.Output == "text" {
			return usageErrorf("--raw applies to --output jsonl (--output json is always raw)")
		}
		if runF != nil {
			return runF(o)
		}
		return runHistory(ctx, o)
	})
}

func runHistory(ctx context.Context, o *historyOptions) error {
	s, err := o.dial(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	it := s.Client.GetWorkflowHistory(ctx, o.WorkflowID, o.RunID, o.Follow, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return o.runError("history", err)
		}
		switch {
		case o.Output == "jsonl":
			if err := writeEventJSONL(o.Stdout, ev, o.Raw); err != nil {
				return err
			}
		case o.Follow:
			line := fmt.Sprintf("%-4d  %-24s  %-38s  %s", ev.GetEventId(), timeOf(ev.GetEventTime()), ev.GetEventType().String(), eventGist(ev))
			fmt.Fprintln(o.Stdout, strings.TrimRight(line, " "))
		default:
			h.Events = append(h.Events, ev)
		}
	}
	if o.Output == "jsonl" || o.Follow {
		return nil
	}
	if o.Output == "json" {
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(o.Stdout, "%s\n", b)
		return err
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	for _, ev := range h.Events {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", ev.GetEventId(), timeOf(ev.GetEventTime()), ev.GetEventType().String(), eventGist(ev))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Events without a gist would end in the padding of the type column.
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line != "" {
			fmt.Fprintln(o.Stdout, strings.TrimRight(line, " \n"))
		}
	}
	return nil
}

// writeEventJSONL writes ev as one line of JSON. Unless raw, its payloads
// are the JSON values they hold (Temporal's payload shorthand); an event
// with a payload that is not plain JSON (binary, or still encrypted) keeps
// all its payloads encoded.
func writeEventJSONL(w io.Writer, ev *historypb.HistoryEvent, raw bool) error {
	var b []byte
	var err error
	if !raw {
		ev = expandEnvelope(ev)
		b, err = temporalproto.CustomJSONMarshalOptions{
			Metadata: map[string]any{commonpb.EnablePayloadShorthandMetadataKey: true},
		}.Marshal(ev)
	}
	if raw || err != nil {
		if b, err = (temporalproto.CustomJSONMarshalOptions{}).Marshal(ev); err != nil {
			return err
		}
	}
	var line bytes.Buffer
	if err := json.Compact(&line, b); err != nil {
		return err
	}
	line.WriteByte('\n')
	_, err = w.Write(line.Bytes())
	return err
}

// expandEnvelope returns ev with the definition in its envelope (the
// second argument of a start, a continue-as-new or a child workflow
// started by a child step) as JSON when it was recorded compressed
// (interpreter.NewEnvelope, or the compact start of interpreter.NewStart,
// which then shows as the input, null when it was left out, and the
// envelope with the definition and its hash), so that it reads as the run
// reads it; ev itself is left as it is.
func expandEnvelope(ev *historypb.HistoryEvent) *historypb.HistoryEvent {
	var in *commonpb.Payloads
	switch a := ev.GetAttributes().(type) {
	case *historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes:
		in = a.WorkflowExecutionStartedEventAttributes.GetInput()
	case *historypb.HistoryEvent_WorkflowExecutionContinuedAsNewEventAttributes:
		in = a.WorkflowExecutionContinuedAsNewEventAttributes.GetInput()
	case *historypb.HistoryEvent_StartChildWorkflowExecutionInitiatedEventAttributes:
		in = a.StartChildWorkflowExecutionInitiatedEventAttributes.GetInput()
	}
	dc := converter.GetDefaultDataConverter()
	ps, env, ok := startEnvelope(dc, in.GetPayloads())
	if !ok {
		return ev
	}
	def, err := env.Canonical()
	if err != nil || !json.Valid(def) {
		return ev
	}
	env.Definition, env.Deflated = def, nil
	p, err := dc.ToPayload(env)
	if err != nil {
		return ev
	}
	ps = append(slices.Clone(ps[:1]), p)
	ev = proto.Clone(ev).(*historypb.HistoryEvent)
	switch a := ev.GetAttributes().(type) {
	case *historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes:
		a.WorkflowExecutionStartedEventAttributes.GetInput().Payloads = ps
	case *historypb.HistoryEvent_WorkflowExecutionContinuedAsNewEventAttributes:
		a.WorkflowExecutionContinuedAsNewEventAttributes.GetInput().Payloads = ps
	case *historypb.HistoryEvent_StartChildWorkflowExecutionInitiatedEventAttributes:
		a.StartChildWorkflowExecutionInitiatedEventAttributes.GetInput().Payloads = ps
	}
	return ev
}

// startEnvelope reads the envelope of a run's arguments ps when its
// definition is compressed (a deflated JSON envelope or the compact
// start). It returns the arguments with the input first (a null payload,
// as a start with input nil records it, when the compact start left it
// out) and the envelope.
func startEnvelope(dc converter.DataConverter, ps []*commonpb.Payload) ([]*commonpb.Payload, *interpreter.Envelope, bool) {
	if len(ps) == 0 || len(ps) > 2 {
		return nil, nil, false
	}
	raw := make([]json.RawMessage, 2)
	for i, p := range ps {
		if dc.FromPayload(p, &raw[i]) != nil {
			return nil, nil, false
		}
	}
	_, env, err := interpreter.DecodeArgs(raw[0], raw[1])
	if err != nil || env == nil || (len(env.Deflated) == 0 && !isBinary(ps[len(ps)-1])) {
		return nil, nil, false
	}
	if len(ps) == 1 {
		null, err := dc.ToPayload(nil)
		if err != nil {
			return nil, nil, false
		}
		ps = []*commonpb.Payload{null, ps[0]}
	}
	return ps, env, true
}

// isBinary reports whether p holds bytes (binary/plain).
func isBinary(p *commonpb.Payload) bool {
	return string(p.GetMetadata()[converter.MetadataEncoding]) == converter.MetadataEncodingBinary
}

// eventGist says in a few words what an event is about.
func eventGist(ev *historypb.HistoryEvent) string {
	switch a := ev.GetAttributes().(type) {
	case *historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes:
		return fmt.Sprintf("type %s, task queue %s", a.WorkflowExecutionStartedEventAttributes.GetWorkflowType().GetName(),
			a.WorkflowExecutionStartedEventAttributes.GetTaskQueue().GetName())
	case *historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes:
		return payloadsGist(a.WorkflowExecutionCompletedEventAttributes.GetResult())
	case *historypb.HistoryEvent_WorkflowExecutionFailedEventAttributes:
		return a.WorkflowExecutionFailedEventAttributes.GetFailure().GetMessage()
	case *historypb.HistoryEvent_WorkflowExecutionCancelRequestedEventAttributes:
		return a.WorkflowExecutionCancelRequestedEventAttributes.GetCause()
	case *historypb.HistoryEvent_WorkflowExecutionTerminatedEventAttributes:
		return a.WorkflowExecutionTerminatedEventAttributes.GetReason()
	case *historypb.HistoryEvent_WorkflowExecutionContinuedAsNewEventAttributes:
		return "new run id " + a.WorkflowExecutionContinuedAsNewEventAttributes.GetNewExecutionRunId()
	case *historypb.HistoryEvent_ActivityTaskScheduledEventAttributes:
		return fmt.Sprintf("%s (id %s)", a.ActivityTaskScheduledEventAttributes.GetActivityType().GetName(), a.ActivityTaskScheduledEventAttributes.GetActivityId())
	case *historypb.HistoryEvent_ActivityTaskStartedEventAttributes:
		return fmt.Sprintf("attempt %d", a.ActivityTaskStartedEventAttributes.GetAttempt())
	case *historypb.HistoryEvent_ActivityTaskCompletedEventAttributes:
		return payloadsGist(a.ActivityTaskCompletedEventAttributes.GetResult())
	case *historypb.HistoryEvent_ActivityTaskFailedEventAttributes:
		return a.ActivityTaskFailedEventAttributes.GetFailure().GetMessage()
	case *historypb.HistoryEvent_TimerStartedEventAttributes:
		return a.TimerStartedEventAttributes.GetStartToFireTimeout().AsDuration().String()
	case *historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes:
		return a.WorkflowExecutionSignaledEventAttributes.GetSignalName()
	case *historypb.HistoryEvent_WorkflowExecutionUpdateAcceptedEventAttributes:
		return a.WorkflowExecutionUpdateAcceptedEventAttributes.GetAcceptedRequest().GetInput().GetName()
	case *historypb.HistoryEvent_WorkflowExecutionUpdateCompletedEventAttributes:
		if f := a.WorkflowExecutionUpdateCompletedEventAttributes.GetOutcome().GetFailure(); f != nil {
			return "failed: " + f.GetMessage()
		}
		return payloadsGist(a.WorkflowExecutionUpdateCompletedEventAttributes.GetOutcome().GetSuccess())
	case *historypb.HistoryEvent_MarkerRecordedEventAttributes:
		return a.MarkerRecordedEventAttributes.GetMarkerName()
	case *historypb.HistoryEvent_StartChildWorkflowExecutionInitiatedEventAttributes:
		return fmt.Sprintf("%s %s", a.StartChildWorkflowExecutionInitiatedEventAttributes.GetWorkflowType().GetName(),
			a.StartChildWorkflowExecutionInitiatedEventAttributes.GetWorkflowId())
	case *historypb.HistoryEvent_SignalExternalWorkflowExecutionInitiatedEventAttributes:
		return fmt.Sprintf("%s to %s", a.SignalExternalWorkflowExecutionInitiatedEventAttributes.GetSignalName(),
			a.SignalExternalWorkflowExecutionInitiatedEventAttributes.GetWorkflowExecution().GetWorkflowId())
	}
	return ""
}

// payloadsGist shows a result in short: its JSON, cut at 60 characters.
func payloadsGist(p *commonpb.Payloads) string {
	if len(p.GetPayloads()) == 0 {
		return ""
	}
	var v any
	if err := converter.GetDefaultDataConverter().FromPayload(p.GetPayloads()[0], &v); err != nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	s := string(b)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// listOptions are the options of dslrun list.
type listOptions struct {
	opsOptions
	Query string
	Limit int
}

func newListCmd(opts *Options, runF func(*listOptions) error) *cobra.Command {
	o := &listOptions{opsOptions: opsOptions{Options: opts}}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List runs, newest first",
		Long: `List runs, newest first, filtered by a Temporal visibility query (the same
syntax as 'temporal workflow list --query': WorkflowType, WorkflowId,
ExecutionStatus, TaskQueue, StartTime, search attributes).

  dslrun list --query 'WorkflowType="entity" AND ExecutionStatus="Running"' --limit 20 --address localhost:7233`,
		Args: cobra.NoArgs,
	}
	o.register(cmd.Flags(), false)
	cmd.Flags().StringVarP(&o.Query, "query", "q", "", "visibility query (default: every run)")
	cmd.Flags().IntVar(&o.Limit, "limit", 100, "print at most this many runs; 0 prints all")
	return newOpsCmd(&o.opsOptions, cmd, func(ctx context.Context, _ []string) error {
		if o.Limit < 0 {
			return usageErrorf("--limit must not be negative, got %d", o.Limit)
		}
		if runF != nil {
			return runF(o)
		}
		return runList(ctx, o)
	})
}

// listedRun is one run in the -o json form of dslrun list.
type listedRun struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	Type       string `json:"type"`
	Status     string `json:"status"`
	TaskQueue  string `json:"taskQueue"`
	StartTime  string `json:"startTime"`
	CloseTime  string `json:"closeTime,omitempty"`
}

func runList(ctx context.Context, o *listOptions) error {
	s, err := o.dial(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	runs := []listedRun{}
	var token []byte
	for {
		pageSize := 100
		if o.Limit > 0 && o.Limit-len(runs) < pageSize {
			pageSize = o.Limit - len(runs)
		}
		resp, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: s.Namespace, PageSize: int32(pageSize), NextPageToken: token, Query: o.Query,
		})
		if err != nil {
			return &exitError{code: ExitFailure, err: fmt.Errorf("list: %w", err)}
		}
		for _, e := range resp.GetExecutions() {
			runs = append(runs, listedRun{
				WorkflowID: e.GetExecution().GetWorkflowId(),
				RunID:      e.GetExecution().GetRunId(),
				Type:       e.GetType().GetName(),
				Status:     statusName(e.GetStatus()),
				TaskQueue:  e.GetTaskQueue(),
				StartTime:  timeOf(e.GetStartTime()),
				CloseTime:  timeOf(e.GetCloseTime()),
			})
			if o.Limit > 0 && len(runs) == o.Limit {
				break
			}
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 || (o.Limit > 0 && len(runs) >= o.Limit) {
			break
		}
	}
	if o.Output == "json" {
		return encodeJSON(o.Stdout, runs)
	}
	return printRuns(o.Stdout, runs)
}

func printRuns(w io.Writer, runs []listedRun) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tWORKFLOW ID\tTYPE\tSTART TIME")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Status, r.WorkflowID, r.Type, r.StartTime)
	}
	return tw.Flush()
}

// decodeFields decodes memo or search-attribute fields as JSON; a field
// that cannot be decoded shows why, as a string.
func decodeFields(dc converter.DataConverter, fields map[string]*commonpb.Payload) map[string]json.RawMessage {
	if len(fields) == 0 {
		return nil
	}
	out := make(map[string]json.RawMessage, len(fields))
	for k, p := range fields {
		var raw json.RawMessage
		if err := dc.FromPayload(p, &raw); err != nil {
			raw, _ = json.Marshal("cannot decode: " + err.Error())
		}
		out[k] = raw
	}
	return out
}
