package dslruncmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/dslrun/dslrun/interpreter"
	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// replayOptions are the options of dslrun replay.
type replayOptions struct {
	*Options
	Paths      []string
	FromServer bool
	Query      string
	Since      time.Duration
	Limit      int
	WorkflowID string
	RunID      string
	Output     string
	Connect    connectOptions
}

func newReplayCmd(opts *Options, runF func(*replayOptions) error) *cobra.Command {
	o := &replayOptions{Options: opts}
	cmd := &cobra.Command{
		Use:   "replay (FILE|DIR|-)... | --from-server [--query QUERY | -w WORKFLOW_ID]",
		Short: "Replay run histories against this binary's interpreter to find non-determinism",
		Long: `Replay the histories of runs against the interpreter of this dslrun binary, as a
worker of this version would replay them, and report every run whose history
no longer matches: the event where replay diverged and the step that recorded
it. Run it before rolling out a new dslrun version (docs/upgrading.md).

Histories come from files written by 'dslrun history ID -o json' (Temporal's
JSON history, as 'temporal workflow show -o json' writes it), from every
*.json file of a folder, from standard input (-), or with --from-server from
the configured server: the runs that are open or closed within --since
(default 24h), of those only the ones --query selects (a visibility query, as
for dslrun list), or one run by --workflow-id and --run-id. Runs that the
dslrun interpreter did not run are skipped.

Exit codes: 0 every run replays, 1 any run does not (or a history cannot be
read), 2 usage.

  dslrun history order-42 -o json > order-42.json && dslrun replay order-42.json
  dslrun replay histories/
  dslrun replay --from-server --address temporal:7233
  dslrun replay --from-server --query 'WorkflowType="order"' --address temporal:7233`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			if o.Output != "text" && o.Output != "json" {
				return usageErrorf("--output must be text or json, not %q", o.Output)
			}
			switch {
			case o.FromServer && len(args) > 0:
				return usageErrorf("--from-server replays runs of the server: give no files")
			case !o.FromServer && len(args) == 0:
				return usageErrorf("give history files or folders to replay, or --from-server")
			case !o.FromServer && (o.Query != "" || o.WorkflowID != "" || o.RunID != "" || cmd.Flags().Changed("since")):
				return usageErrorf("--query, --since, --workflow-id and --run-id need --from-server")
			case (o.Query != "" || cmd.Flags().Changed("since")) && o.WorkflowID != "":
				return usageErrorf("--query and --since cannot be used with --workflow-id")
			case o.RunID != "" && o.WorkflowID == "":
				return usageErrorf("--run-id needs --workflow-id")
			case o.Limit < 0:
				return usageErrorf("--limit must not be negative, got %d", o.Limit)
			case o.Since <= 0:
				return usageErrorf("--since must be positive, got %s", o.Since)
			}
			if runF != nil {
				return runF(o)
			}
			return runReplay(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.FromServer, "from-server", false, "replay runs fetched from the configured server")
	fs.StringVarP(&o.Query, "query", "q", "", "with --from-server: replay only the open and recent runs this visibility query selects")
	fs.DurationVar(&o.Since, "since", 24*time.Hour, "with --from-server: replay the open runs and those closed within this long")
	fs.IntVar(&o.Limit, "limit", 1000, "with --from-server: replay at most this many runs; 0 replays all")
	fs.StringVarP(&o.WorkflowID, "workflow-id", "w", "", "with --from-server: replay this workflow's run")
	fs.StringVarP(&o.RunID, "run-id", "r", "", "with --workflow-id: this run (default: the latest)")
	fs.StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	o.Connect.Flags.Register(fs)
	o.Connect.Codec.register(fs) // histories read from the server are decoded
	return cmd
}

// replayedRun is the outcome of one history's replay, and its -o json form.
type replayedRun struct {
	// Source is the file the history came from, or "server".
	Source     string `json:"source"`
	WorkflowID string `json:"workflowId,omitempty"`
	RunID      string `json:"runId,omitempty"`
	Type       string `json:"type,omitempty"`
	Events     int    `json:"events"`
	// Status is ok, nondeterministic, failed (replay failed otherwise),
	// unreadable (the history could not be read) or skipped (not a dslrun
	// run, or nothing to replay yet: from a server only).
	Status string `json:"status"`
	// Event is the recorded event where replay diverged.
	Event *replayEvent `json:"event,omitempty"`
	Error string       `json:"error,omitempty"`
	// SDKError is the replayer's own message, with its attribute dumps.
	SDKError string `json:"sdkError,omitempty"`
}

// replayEvent names a history event and the step that recorded it.
type replayEvent struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
	// Step is the id (or path) of the step, from the event's summary.
	Step string `json:"step,omitempty"`
	// What is the gist of the event: activity type, timer, child workflow.
	What string `json:"what,omitempty"`
}

func (r *replayedRun) failed() bool { return r.Status != "ok" && r.Status != "skipped" }

func runReplay(ctx context.Context, o *replayOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	rp := newReplayer()
	var runs []*replayedRun
	if o.FromServer {
		var err error
		if runs, err = replayFromServer(ctx, o, rp); err != nil {
			return err
		}
	} else {
		files, err := historyFiles(o.Paths)
		if err != nil {
			return err
		}
		for _, f := range files {
			runs = append(runs, rp.replayFile(f, o.Stdin))
		}
	}
	return reportReplay(o, runs)
}

// historyFiles expands folders to their *.json files, sorted.
func historyFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		if p == "-" {
			files = append(files, p)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, &exitError{code: ExitFailure, err: err}
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		found, err := filepath.Glob(filepath.Join(p, "*.json"))
		if err != nil {
			return nil, &exitError{code: ExitFailure, err: err}
		}
		if len(found) == 0 {
			return nil, &exitError{code: ExitFailure, err: fmt.Errorf("%s: no *.json history files", p)}
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

// replayQuery selects the runs that are open or closed after now-since,
// and match query when it is set.
func replayQuery(query string, now time.Time, since time.Duration) string {
	q := fmt.Sprintf(`(ExecutionStatus = "Running" OR CloseTime > "%s")`, now.Add(-since).UTC().Format(time.RFC3339))
	if query != "" {
		q += " AND (" + query + ")"
	}
	return q
}

func replayFromServer(ctx context.Context, o *replayOptions, rp *replayer) ([]*replayedRun, error) {
	s, err := open(ctx, o.Options, o.Connect)
	if err != nil {
		return nil, &exitError{code: ExitFailure, err: err}
	}
	defer s.Close()
	type execution struct{ id, runID string }
	var execs []execution
	if o.WorkflowID != "" {
		resp, err := s.Client.DescribeWorkflowExecution(ctx, o.WorkflowID, o.RunID)
		if err != nil {
			oo := opsOptions{WorkflowID: o.WorkflowID, RunID: o.RunID, namespace: s.Namespace}
			return nil, oo.runError("replay", err)
		}
		execs = append(execs, execution{o.WorkflowID, resp.GetWorkflowExecutionInfo().GetExecution().GetRunId()})
	} else {
		query := replayQuery(o.Query, time.Now(), o.Since)
		var token []byte
		for {
			resp, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Namespace: s.Namespace, PageSize: 100, NextPageToken: token, Query: query,
			})
			if err != nil {
				return nil, &exitError{code: ExitFailure, err: fmt.Errorf("replay: list runs: %w", err)}
			}
			for _, e := range resp.GetExecutions() {
				execs = append(execs, execution{e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId()})
			}
			token = resp.GetNextPageToken()
			if len(token) == 0 || (o.Limit > 0 && len(execs) >= o.Limit) {
				break
			}
		}
		if o.Limit > 0 && len(execs) > o.Limit {
			execs = execs[:o.Limit]
		}
	}
	runs := make([]*replayedRun, 0, len(execs))
	for _, e := range execs {
		h, err := fetchHistory(ctx, s.Client, e.id, e.runID)
		if err != nil {
			runs = append(runs, &replayedRun{Source: "server", WorkflowID: e.id, RunID: e.runID, Status: "unreadable", Error: err.Error()})
			continue
		}
		runs = append(runs, rp.replay("server", h, true))
	}
	return runs, nil
}

// fetchHistory reads the whole history of one run, as it is now.
func fetchHistory(ctx context.Context, c client.Client, workflowID, runID string) (*historypb.History, error) {
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s (run id %s): %w", workflowID, runID, err)
		}
		h.Events = append(h.Events, ev)
	}
	return h, nil
}

func reportReplay(o *replayOptions, runs []*replayedRun) error {
	failed, skipped := 0, 0
	for _, r := range runs {
		if r.failed() {
			failed++
		}
		if r.Status == "skipped" {
			skipped++
		}
	}
	if o.Output == "json" {
		if runs == nil {
			runs = []*replayedRun{}
		}
		if err := encodeJSON(o.Stdout, runs); err != nil {
			return err
		}
	} else {
		for _, r := range runs {
			printReplayed(o.Stdout, r)
		}
		summary := fmt.Sprintf("%d of %d runs failed to replay", failed, len(runs)-skipped)
		if failed == 0 {
			summary = fmt.Sprintf("%d runs replayed", len(runs)-skipped)
		}
		if skipped > 0 {
			summary += fmt.Sprintf(" (%d skipped)", skipped)
		}
		fmt.Fprintln(o.Stdout, summary)
	}
	if failed > 0 {
		return silent(ExitFailure)
	}
	return nil
}

func printReplayed(w io.Writer, r *replayedRun) {
	name := r.Source
	if r.WorkflowID != "" {
		run := r.WorkflowID
		if r.Type != "" {
			run = r.Type + " " + run
		}
		if r.RunID != "" {
			run += " (run id " + r.RunID + ")"
		}
		if name == "server" {
			name = run
		} else {
			name += ": " + run
		}
	}
	switch r.Status {
	case "ok":
		fmt.Fprintf(w, "ok        %s, %d events\n", name, r.Events)
		return
	case "skipped":
		fmt.Fprintf(w, "skipped   %s: %s\n", name, r.Error)
		return
	}
	fmt.Fprintf(w, "FAIL      %s\n", name)
	if e := r.Event; e != nil {
		line := fmt.Sprintf("event %d %s", e.ID, e.Type)
		if e.What != "" {
			line += " " + e.What
		}
		if e.Step != "" {
			line += ", step " + e.Step
		}
		fmt.Fprintf(w, "          %s: %s\n", r.Status, line)
	} else {
		fmt.Fprintf(w, "          %s\n", r.Status)
	}
	if r.Error != "" {
		fmt.Fprintf(w, "          %s\n", r.Error)
	}
}

// replayer replays histories with the interpreter registered as a worker
// registers it. It needs no definitions: a run's definition is in its
// history (the start envelope or the by-name marker), and a worker's
// definitions are never consulted on replay. Activities are not run.
type replayer struct {
	wr     worker.WorkflowReplayer
	logger sdklog.Logger
}

func newReplayer() *replayer {
	r := worker.NewWorkflowReplayer()
	interpreter.Register(r, interpreter.Options{})
	return &replayer{wr: r, logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}
}

func (rp *replayer) replayFile(path string, stdin io.Reader) *replayedRun {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return &replayedRun{Source: path, Status: "unreadable", Error: err.Error()}
	}
	h, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
	if err != nil {
		return &replayedRun{Source: path, Status: "unreadable", Error: fmt.Sprintf("not a Temporal JSON history (dslrun history -o json): %v", err)}
	}
	return rp.replay(path, h, false)
}

// replay replays h and, when it fails, finds the event where it diverged.
// fromServer skips runs that are not dslrun's or have nothing to replay
// yet, instead of failing them.
func (rp *replayer) replay(source string, h *historypb.History, fromServer bool) *replayedRun {
	r := &replayedRun{Source: source, Events: len(h.GetEvents())}
	events := h.GetEvents()
	if len(events) == 0 {
		r.Status, r.Error = "unreadable", "the history has no events"
		return r
	}
	start := events[0].GetWorkflowExecutionStartedEventAttributes()
	if start == nil {
		r.Status, r.Error = "unreadable", "the history does not begin with WorkflowExecutionStarted"
		return r
	}
	r.WorkflowID, r.RunID, r.Type = start.GetWorkflowId(), start.GetOriginalExecutionRunId(), start.GetWorkflowType().GetName()
	if !isDslrunRun(h) {
		r.Status, r.Error = "failed", "not a run of the dslrun interpreter: no definition in its start input or in a marker"
		if fromServer {
			r.Status, r.Error = "skipped", "not a run of the dslrun interpreter"
		}
		return r
	}
	if !hasCompletedTask(h) {
		r.Status, r.Error = "ok", ""
		if fromServer {
			r.Status, r.Error = "skipped", "no workflow task has completed yet"
		}
		return r
	}
	err := rp.run(h)
	if err == nil {
		r.Status = "ok"
		return r
	}
	r.SDKError = replayMessage(err)
	r.Error = shortReplayMessage(r.SDKError)
	r.Status = "failed"
	if isNondeterminism(err) {
		r.Status = "nondeterministic"
	}
	r.Event = rp.locate(h, err)
	return r
}

// run replays h as the run it was: expressions may read workflow.id and
// workflow.runId.
func (rp *replayer) run(h *historypb.History) error {
	start := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	return rp.wr.ReplayWorkflowHistoryWithOptions(rp.logger, h, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: start.GetWorkflowId(), RunID: start.GetOriginalExecutionRunId()},
	})
}

// isNondeterminism reports whether a replay error is the SDK's
// non-determinism error (TMPRL1100), directly or as the failure of the
// replayed workflow task.
func isNondeterminism(err error) bool {
	s := err.Error()
	return strings.Contains(s, "TMPRL1100") || strings.Contains(s, "nondeterministic")
}

var (
	failureMessage = regexp.MustCompile(`message:"((?:[^"\\]|\\.)*)"`)
	eventInMessage = regexp.MustCompile(`(?:history event is|missing replay command for) ([A-Za-z]+):`)
	idInMessage    = regexp.MustCompile(`(?:ActivityId|TimerId|SeqId):([^,)\s]+)`)
	positionInMsg  = regexp.MustCompile(`expected in history event position ([^.\s]+)\.`)
)

// replayMessage is the one useful line of a replay error: the SDK wraps a
// workflow task failure in the text form of its failure proto.
func replayMessage(err error) string {
	s := err.Error()
	if m := failureMessage.FindStringSubmatch(s); m != nil {
		s = strings.ReplaceAll(m[1], `\"`, `"`)
	}
	return firstLine(s)
}

var (
	typeDump       = regexp.MustCompile(`\b([A-Z][A-Za-z]+): \(`)
	replayedName   = regexp.MustCompile(`ActivityType:\(Name:([^)]+)\)|workflow_type:\{name:"([^"]+)"\}|SignalName:([^,)]+)`)
	replayedTimer  = regexp.MustCompile(`StartToFireTimeout:\(Seconds:(\d+), Nanos:(\d+)\)`)
	replayCmdIntro = "replay command is "
)

// shortReplayMessage drops the attribute dumps from the SDK's message
// ("history event is ActivityTaskScheduled: (ActivityId:5, ...)"), keeping
// the event and command types, and names what the replayed command would
// have done: the activity, child workflow, signal or timer.
func shortReplayMessage(msg string) string {
	var b strings.Builder
	rest := msg
	for {
		loc := typeDump.FindStringSubmatchIndex(rest)
		if loc == nil {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:loc[3]])
		depth, i := 0, loc[1]-1
		for ; i < len(rest); i++ {
			if rest[i] == '(' {
				depth++
			} else if rest[i] == ')' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if depth != 0 { // unbalanced: keep the message as it was
			return msg
		}
		rest = rest[i+1:]
	}
	short := b.String()
	if i := strings.Index(msg, replayCmdIntro); i >= 0 {
		cmd := msg[i+len(replayCmdIntro):]
		what := ""
		if m := replayedName.FindStringSubmatch(cmd); m != nil {
			what = m[1] + m[2] + m[3]
		} else if m := replayedTimer.FindStringSubmatch(cmd); m != nil {
			what = m[1] + "s timer"
		}
		if what != "" {
			short += " (" + what + ")"
		}
	}
	return short
}

// locate finds the recorded event where the replay of h diverged. A
// prefix of h that ends with the events a workflow task's commands
// recorded is a history the replayer checks up to that task, so locate
// bisects over the tasks for the first whose prefix fails, then picks
// among the events of that task's commands the one that the error names
// (else the first).
func (rp *replayer) locate(h *historypb.History, err error) *replayEvent {
	events := h.GetEvents()
	var completed, ends []int // per workflow task: its completion, and the end of its commands' events
	for i, e := range events {
		if e.GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			continue
		}
		end := i + 1
		for end < len(events) && isCommandEvent(events[end]) {
			end++
		}
		completed, ends = append(completed, i), append(ends, end)
	}
	if len(ends) == 0 {
		return nil
	}
	fails := func(k int) bool {
		return rp.run(&historypb.History{Events: events[:ends[k]]}) != nil
	}
	// The first task whose prefix fails; the last task when none does (the
	// replay then diverged in how the run ended).
	lo, hi := 0, len(ends)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return pickEvent(events[completed[lo]:ends[lo]], err)
}

// pickEvent picks the event of window (the events recorded after a
// workflow task) that the replay error names: by type and activity or
// timer id when the error gives them, else the first event a command
// recorded, else the task's completion.
func pickEvent(window []*historypb.HistoryEvent, err error) *replayEvent {
	msg := err.Error()
	var wantType, wantID string
	if m := eventInMessage.FindStringSubmatch(msg); m != nil {
		wantType = m[1]
		rest := msg[strings.Index(msg, m[0]):]
		if id := idInMessage.FindStringSubmatch(rest); id != nil {
			wantID = id[1]
		}
	} else if m := positionInMsg.FindStringSubmatch(msg); m != nil {
		wantID = m[1]
	}
	var first, completed *historypb.HistoryEvent
	for _, e := range window {
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && completed == nil {
			completed = e
			continue
		}
		if !isCommandEvent(e) {
			continue
		}
		if first == nil {
			first = e
		}
		typeOK := wantType == "" || e.GetEventType().String() == wantType
		idOK := wantID == "" || commandID(e) == wantID
		if (wantType != "" || wantID != "") && typeOK && idOK {
			return describeEvent(e)
		}
	}
	if first != nil {
		return describeEvent(first)
	}
	if completed != nil {
		return describeEvent(completed)
	}
	return nil
}

// isCommandEvent reports whether e was recorded by a workflow task's
// command.
func isCommandEvent(e *historypb.HistoryEvent) bool {
	switch e.GetEventType() {
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
		enumspb.EVENT_TYPE_TIMER_STARTED, enumspb.EVENT_TYPE_TIMER_CANCELED,
		enumspb.EVENT_TYPE_MARKER_RECORDED,
		enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
		enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
		enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
		enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, enumspb.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		return true
	}
	return false
}

// commandID is the activity or timer id of e, as the SDK's messages name
// it.
func commandID(e *historypb.HistoryEvent) string {
	if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
		return a.GetActivityId()
	}
	if a := e.GetTimerStartedEventAttributes(); a != nil {
		return a.GetTimerId()
	}
	return ""
}

// describeEvent names e, its gist and the step that recorded it.
func describeEvent(e *historypb.HistoryEvent) *replayEvent {
	ev := &replayEvent{ID: e.GetEventId(), Type: e.GetEventType().String()}
	var step string
	if s := e.GetUserMetadata().GetSummary(); s != nil && converter.GetDefaultDataConverter().FromPayload(s, &step) == nil {
		ev.Step = step
	}
	switch {
	case e.GetActivityTaskScheduledEventAttributes() != nil:
		ev.What = "activity " + e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
	case e.GetTimerStartedEventAttributes() != nil:
		ev.What = "timer " + e.GetTimerStartedEventAttributes().GetStartToFireTimeout().AsDuration().String()
	case e.GetStartChildWorkflowExecutionInitiatedEventAttributes() != nil:
		a := e.GetStartChildWorkflowExecutionInitiatedEventAttributes()
		ev.What = "child " + a.GetWorkflowType().GetName() + " " + a.GetWorkflowId()
	case e.GetMarkerRecordedEventAttributes() != nil:
		ev.What = "marker " + e.GetMarkerRecordedEventAttributes().GetMarkerName()
	case e.GetSignalExternalWorkflowExecutionInitiatedEventAttributes() != nil:
		a := e.GetSignalExternalWorkflowExecutionInitiatedEventAttributes()
		ev.What = "signal " + a.GetSignalName() + " to " + a.GetWorkflowExecution().GetWorkflowId()
	}
	return ev
}

// isDslrunRun reports whether h is a run of the interpreter: its start
// input carries an envelope with a definition or a compressed definition
// (dslrun apply), or a side-effect marker records one (a run started by
// name).
func isDslrunRun(h *historypb.History) bool {
	events := h.GetEvents()
	start := events[0].GetWorkflowExecutionStartedEventAttributes()
	if start.GetWorkflowType().GetName() == interpreter.WorkflowType {
		return true
	}
	if ps := start.GetInput().GetPayloads(); len(ps) > 1 && hasDefinition(ps[1]) {
		return true
	}
	if _, _, ok := startEnvelope(converter.GetDefaultDataConverter(), start.GetInput().GetPayloads()); ok {
		return true
	}
	for _, e := range events {
		if a := e.GetMarkerRecordedEventAttributes(); a != nil && a.GetMarkerName() == "SideEffect" {
			if ps := a.GetDetails()["data"].GetPayloads(); len(ps) > 0 && hasDefinition(ps[0]) {
				return true
			}
		}
	}
	return false
}

// hasDefinition reports whether p is a JSON object with a definition, as
// JSON or deflated (interpreter.Envelope).
func hasDefinition(p *commonpb.Payload) bool {
	var env struct {
		Definition json.RawMessage `json:"definition"`
		Deflated   []byte          `json:"deflated"`
	}
	if err := converter.GetDefaultDataConverter().FromPayload(p, &env); err != nil {
		return false
	}
	return (len(env.Definition) > 0 && string(env.Definition) != "null") || len(env.Deflated) > 0
}

// hasCompletedTask reports whether any workflow task of h completed: before
// that, there is nothing to compare.
func hasCompletedTask(h *historypb.History) bool {
	for _, e := range h.GetEvents() {
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			return true
		}
	}
	return false
}
