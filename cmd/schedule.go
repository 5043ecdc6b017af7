package dslruncmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// scheduleOptions are shared by the schedule commands.
type scheduleOptions struct {
	*Options
	ScheduleID string
	Output     string
	Connect    connectOptions
}

func (o *scheduleOptions) register(cmd *cobra.Command, withID bool) {
	fs := cmd.Flags()
	if withID {
		fs.StringVarP(&o.ScheduleID, "schedule-id", "s", "", "schedule id, in place of the first argument")
	}
	fs.StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	o.Connect.Flags.Register(fs)
	o.Connect.Codec.register(fs)
}

// scheduleRunE checks the shared flags, takes the schedule id from the
// first argument or --schedule-id when the command has one, and calls run
// with a context that Ctrl-C cancels.
func (o *scheduleOptions) runE(withID bool, run func(ctx context.Context, args []string) error) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		if o.Output != "text" && o.Output != "json" {
			return usageErrorf("--output must be text or json, not %q", o.Output)
		}
		if withID {
			switch {
			case o.ScheduleID != "" && len(args) > 0:
				return usageErrorf("give the schedule id once: as the argument or as --schedule-id")
			case len(args) > 0:
				o.ScheduleID = args[0]
			case o.ScheduleID == "":
				return usageErrorf("the schedule id is required (argument or --schedule-id)")
			}
		}
		ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt)
		defer stop()
		return run(ctx, args)
	}
}

func (o *scheduleOptions) dial(ctx context.Context) (*session, error) {
	s, err := open(ctx, o.Options, o.Connect)
	if err != nil {
		return nil, &exitError{code: ExitFailure, err: err}
	}
	return s, nil
}

// scheduleError turns an error of a call on the schedule into the
// command's error, naming the schedule when the server does not know it.
func (o *scheduleOptions) scheduleError(what string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return &exitError{code: ExitFailure, err: fmt.Errorf("%s: schedule %q not found", what, o.ScheduleID)}
	}
	return &exitError{code: ExitFailure, err: fmt.Errorf("%s: %w", what, err)}
}

func newScheduleCmd(opts *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Create, inspect and drive Temporal schedules",
		Long: `Create, inspect and drive the Temporal schedules of definitions, with the
verbs of 'temporal schedule'. 'dslrun apply' of a definition with a schedule
block is the usual way to create or update one; create and update do the same
from a file, and fail when the schedule exists, or does not.

Every scheduled run starts the definition as it was applied: its canonical
form travels in the schedule's action, so editing the file changes nothing
until the next apply. Deleting a schedule leaves the runs it started alone.

  dslrun schedule describe nightly-report
  dslrun schedule toggle nightly-report --pause --reason "migration"
  dslrun schedule backfill nightly-report --start-time 2026-01-01T00:00:00Z --end-time 2026-01-02T00:00:00Z`,
	}
	cmd.AddCommand(
		newScheduleApplyCmd(opts, "create"), newScheduleApplyCmd(opts, "update"),
		newScheduleDescribeCmd(opts), newScheduleListCmd(opts),
		newScheduleToggleCmd(opts), newScheduleTriggerCmd(opts), newScheduleBackfillCmd(opts),
		newScheduleDeleteCmd(opts),
	)
	return cmd
}

type scheduleApplyOptions struct {
	scheduleOptions
	TaskQueue string
	DryRun    bool
	// Root is the folder child files must be in (--root).
	Root string
}

func newScheduleApplyCmd(opts *Options, verb string) *cobra.Command {
	o := &scheduleApplyOptions{scheduleOptions: scheduleOptions{Options: opts}}
	short := "Create the schedule of a definition file"
	if verb == "update" {
		short = "Update the schedule of a definition file"
	}
	cmd := &cobra.Command{
		Use:   verb + " FILE",
		Short: short,
		Long: short + `, as 'dslrun apply' does, after
validating the file. create fails when the schedule exists, update when it does
not; apply does either. --dry-run prints what would change and changes nothing.
update keeps the count of remaining actions that the server has used up unless
schedule.remainingActions changed, and refuses a change of schedule.memo, which
Temporal cannot make.`,
		Args: cobra.ExactArgs(1),
	}
	o.register(cmd, false)
	cmd.Flags().StringVar(&o.TaskQueue, "task-queue", "", "task queue of the scheduled runs (default: options.taskQueue of the definition, else dslrun)")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "print the difference with the server's schedule, change nothing")
	addRootFlag(cmd, &o.Root)
	cmd.RunE = o.runE(false, func(ctx context.Context, args []string) error {
		r, err := loadScheduled(o.Options, args[0], o.Root)
		if err != nil {
			return err
		}
		s, err := o.dial(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		return applySchedule(ctx, o.Options, s, r, o.TaskQueue, reconcileMode{DryRun: o.DryRun, CreateOnly: verb == "create", UpdateOnly: verb == "update"}, o.Output)
	})
	return cmd
}

// loadScheduled validates and canonicalizes a definition file that has a
// schedule, printing its diagnostics.
func loadScheduled(o *Options, file, root string) (*validate.Result, error) {
	r := validate.FileWith(file, validate.Options{Registry: o.Registry, Root: root})
	for _, d := range r.Diagnostics {
		fmt.Fprintln(o.Stderr, d.String())
	}
	if !r.Valid() {
		return nil, &exitError{code: ExitFailure, err: fmt.Errorf("%s is invalid: nothing was changed", file)}
	}
	if err := r.Canonicalize(); err != nil {
		return nil, &exitError{code: ExitFailure, err: err}
	}
	if r.Workflow.Schedule == nil {
		return nil, &exitError{code: ExitFailure, err: fmt.Errorf("%s has no schedule block", file)}
	}
	return r, nil
}

// applySchedule reconciles the schedule of r, a canonicalized definition,
// and prints what it did.
func applySchedule(ctx context.Context, o *Options, s *session, r *validate.Result, taskQueue string, mode reconcileMode, output string) error {
	p, err := planSchedule(r.Definition, taskQueue)
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	res, err := reconcileSchedule(ctx, s.Client, s.derived.DataConverter, p, mode)
	if err != nil {
		if res != nil && mode.DryRun {
			_ = printReconcile(o, res, output) // the difference, then why it cannot be made
		}
		return &exitError{code: ExitFailure, err: err}
	}
	return printReconcile(o, res, output)
}

// scheduleDescription is the -o json form of schedule describe.
type scheduleDescription struct {
	ScheduleID     string   `json:"scheduleId"`
	Workflow       string   `json:"workflow,omitempty"`
	WorkflowID     string   `json:"workflowId,omitempty"`
	TaskQueue      string   `json:"taskQueue,omitempty"`
	Spec           []string `json:"spec"`
	Skip           []string `json:"skip,omitempty"`
	StartTime      string   `json:"startTime,omitempty"`
	EndTime        string   `json:"endTime,omitempty"`
	TimeZone       string   `json:"timeZone,omitempty"`
	Jitter         string   `json:"jitter,omitempty"`
	Overlap        string   `json:"overlap"`
	CatchupWindow  string   `json:"catchupWindow,omitempty"`
	PauseOnFailure bool     `json:"pauseOnFailure"`
	Paused         bool     `json:"paused"`
	Note           string   `json:"note"`
	// RemainingActions is the count of scheduled actions left, when the
	// schedule limits them.
	RemainingActions *int `json:"remainingActions,omitempty"`
	// Memo and SearchAttributes are the schedule's own, decoded.
	Memo             map[string]json.RawMessage `json:"memo,omitempty"`
	SearchAttributes map[string]json.RawMessage `json:"searchAttributes,omitempty"`
	Actions          int                        `json:"actions"`
	SkippedOverlap   int                        `json:"skippedOverlap"`
	MissedCatchup    int                        `json:"missedCatchupWindow"`
	NextRunTimes     []string                   `json:"nextRunTimes"`
	RecentActions    []scheduledAction          `json:"recentActions"`
	RunningWorkflows []scheduledRun             `json:"runningWorkflows"`
	CreateTime       string                     `json:"createTime,omitempty"`
	UpdateTime       string                     `json:"updateTime,omitempty"`
}

type scheduledAction struct {
	ScheduleTime string `json:"scheduleTime"`
	ActualTime   string `json:"actualTime"`
	WorkflowID   string `json:"workflowId,omitempty"`
	RunID        string `json:"runId,omitempty"`
}

type scheduledRun struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
}

func newScheduleDescribeCmd(opts *Options) *cobra.Command {
	o := &scheduleOptions{Options: opts}
	cmd := &cobra.Command{
		Use:   "describe [SCHEDULE_ID]",
		Short: "Show a schedule: spec, policies, next run times, recent actions, running workflows, note, paused, memo",
		Args:  cobra.MaximumNArgs(1),
	}
	o.register(cmd, true)
	cmd.RunE = o.runE(true, func(ctx context.Context, _ []string) error {
		s, err := o.dial(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		d, err := s.Client.ScheduleClient().GetHandle(ctx, o.ScheduleID).Describe(ctx)
		if err != nil {
			return o.scheduleError("describe", err)
		}
		desc := describeSchedule(o.ScheduleID, d)
		dc := s.derived.DataConverter
		if dc == nil {
			dc = converter.GetDefaultDataConverter()
		}
		desc.Memo = decodeFields(dc, d.Memo.GetFields())
		desc.SearchAttributes = decodeFields(converter.GetDefaultDataConverter(), d.SearchAttributes.GetIndexedFields())
		if o.Output == "json" {
			return encodeJSON(o.Stdout, desc)
		}
		return printScheduleDescription(o.Options, desc)
	})
	return cmd
}

func describeSchedule(id string, d *client.ScheduleDescription) scheduleDescription {
	out := scheduleDescription{
		ScheduleID:       id,
		Spec:             specLines(d.Schedule.Spec),
		Actions:          d.Info.NumActions,
		SkippedOverlap:   d.Info.NumActionsSkippedOverlap,
		MissedCatchup:    d.Info.NumActionsMissedCatchupWindow,
		NextRunTimes:     []string{},
		RecentActions:    []scheduledAction{},
		RunningWorkflows: []scheduledRun{},
		CreateTime:       timeText(d.Info.CreatedAt),
		UpdateTime:       timeText(d.Info.LastUpdateAt),
	}
	if sp := d.Schedule.Spec; sp != nil {
		out.TimeZone = sp.TimeZoneName
		if sp.Jitter > 0 {
			out.Jitter = sp.Jitter.String()
		}
		for _, c := range sp.Skip {
			out.Skip = append(out.Skip, calendarLine(c))
		}
		out.StartTime, out.EndTime = timeText(sp.StartAt), timeText(sp.EndAt)
	}
	if a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction); ok {
		out.Workflow, _ = a.Workflow.(string)
		out.WorkflowID, out.TaskQueue = a.ID, a.TaskQueue
	}
	out.Overlap = "skip"
	if p := d.Schedule.Policy; p != nil {
		if p.Overlap != 0 {
			out.Overlap = overlapName(p.Overlap)
		}
		if p.CatchupWindow > 0 {
			out.CatchupWindow = p.CatchupWindow.String()
		}
		out.PauseOnFailure = p.PauseOnFailure
	}
	if st := d.Schedule.State; st != nil {
		out.Paused, out.Note = st.Paused, st.Note
		if st.LimitedActions {
			n := st.RemainingActions
			out.RemainingActions = &n
		}
	}
	for _, t := range d.Info.NextActionTimes {
		out.NextRunTimes = append(out.NextRunTimes, timeText(t))
	}
	for _, a := range d.Info.RecentActions {
		sa := scheduledAction{ScheduleTime: timeText(a.ScheduleTime), ActualTime: timeText(a.ActualTime)}
		if r := a.StartWorkflowResult; r != nil {
			sa.WorkflowID, sa.RunID = r.WorkflowID, r.FirstExecutionRunID
		}
		out.RecentActions = append(out.RecentActions, sa)
	}
	for _, r := range d.Info.RunningWorkflows {
		out.RunningWorkflows = append(out.RunningWorkflows, scheduledRun{WorkflowID: r.WorkflowID, RunID: r.FirstExecutionRunID})
	}
	return out
}

// overlapName spells an overlap policy as the DSL does (bufferOne).
func overlapName(p enumspb.ScheduleOverlapPolicy) string {
	for _, name := range dsl.OverlapPolicies {
		if q, _ := overlapPolicy(name); q == p {
			return name
		}
	}
	return p.String()
}

func timeText(t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 { // the server's unset times are the epoch
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// specLines describes a schedule's spec, one line per interval or
// calendar, as the server holds it (cron strings come back as calendars).
func specLines(sp *client.ScheduleSpec) []string {
	lines := []string{}
	if sp == nil {
		return lines
	}
	for _, iv := range sp.Intervals {
		l := "every " + iv.Every.String()
		if iv.Offset != 0 {
			l += " offset " + iv.Offset.String()
		}
		lines = append(lines, l)
	}
	for _, c := range sp.CronExpressions {
		lines = append(lines, "cron "+c)
	}
	for _, c := range sp.Calendars {
		lines = append(lines, calendarLine(c))
	}
	return lines
}

func calendarLine(c client.ScheduleCalendarSpec) string {
	l := fmt.Sprintf("calendar second %s minute %s hour %s dayOfMonth %s month %s dayOfWeek %s year %s",
		rangesText(c.Second), rangesText(c.Minute), rangesText(c.Hour), rangesText(c.DayOfMonth), rangesText(c.Month), rangesText(c.DayOfWeek), rangesText(c.Year))
	if c.Comment != "" {
		l += " # " + c.Comment
	}
	return l
}

func rangesText(rs []client.ScheduleRange) string {
	if len(rs) == 0 {
		return "*"
	}
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		p := strconv.Itoa(r.Start)
		if r.End > r.Start {
			p += "-" + strconv.Itoa(r.End)
		}
		if r.Step > 1 {
			p += "/" + strconv.Itoa(r.Step)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ",")
}

func printScheduleDescription(o *Options, d scheduleDescription) error {
	tw := tabwriter.NewWriter(o.Stdout, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("schedule id", d.ScheduleID)
	row("workflow", d.Workflow)
	row("workflow id", d.WorkflowID)
	row("task queue", d.TaskQueue)
	for i, l := range d.Spec {
		k := ""
		if i == 0 {
			k = "spec"
		}
		row(k, l)
	}
	for i, l := range d.Skip {
		k := ""
		if i == 0 {
			k = "skip"
		}
		row(k, l)
	}
	if d.StartTime != "" {
		row("start time", d.StartTime)
	}
	if d.EndTime != "" {
		row("end time", d.EndTime)
	}
	if d.TimeZone != "" {
		row("time zone", d.TimeZone)
	}
	if d.Jitter != "" {
		row("jitter", d.Jitter)
	}
	row("overlap", d.Overlap)
	if d.CatchupWindow != "" {
		row("catch-up window", d.CatchupWindow)
	}
	row("pause on failure", strconv.FormatBool(d.PauseOnFailure))
	row("paused", strconv.FormatBool(d.Paused))
	row("note", d.Note)
	if d.RemainingActions != nil {
		row("remaining actions", strconv.Itoa(*d.RemainingActions))
	}
	if len(d.Memo) > 0 {
		b, _ := json.Marshal(d.Memo)
		row("memo", string(b))
	}
	if len(d.SearchAttributes) > 0 {
		b, _ := json.Marshal(d.SearchAttributes)
		row("search attributes", string(b))
	}
	row("actions", fmt.Sprintf("%d (skipped by overlap %d, missed catch-up window %d)", d.Actions, d.SkippedOverlap, d.MissedCatchup))
	row("created", d.CreateTime)
	if d.UpdateTime != "" {
		row("updated", d.UpdateTime)
	}
	for i, t := range d.NextRunTimes {
		k := ""
		if i == 0 {
			k = "next runs"
		}
		row(k, t)
	}
	if len(d.NextRunTimes) == 0 {
		row("next runs", "none")
	}
	for i, a := range d.RecentActions {
		k := ""
		if i == 0 {
			k = "recent actions"
		}
		row(k, fmt.Sprintf("%s  started %s  %s  %s", a.ScheduleTime, a.ActualTime, a.WorkflowID, a.RunID))
	}
	if len(d.RecentActions) == 0 {
		row("recent actions", "none")
	}
	for i, r := range d.RunningWorkflows {
		k := ""
		if i == 0 {
			k = "running"
		}
		row(k, r.WorkflowID+"  "+r.RunID)
	}
	if len(d.RunningWorkflows) == 0 {
		row("running", "none")
	}
	return tw.Flush()
}

// listedSchedule is one schedule in the -o json form of schedule list.
type listedSchedule struct {
	ScheduleID  string `json:"scheduleId"`
	Workflow    string `json:"workflow"`
	Paused      bool   `json:"paused"`
	Note        string `json:"note"`
	NextRunTime string `json:"nextRunTime,omitempty"`
}

type scheduleListOptions struct {
	scheduleOptions
	Query string
}

func newScheduleListCmd(opts *Options) *cobra.Command {
	o := &scheduleListOptions{scheduleOptions: scheduleOptions{Options: opts}}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the schedules of the namespace",
		Long: `List the schedules of the namespace. The list comes from the server's visibility
store: a schedule just created or deleted may take a moment to appear or go.`,
		Args: cobra.NoArgs,
	}
	o.register(cmd, false)
	cmd.Flags().StringVarP(&o.Query, "query", "q", "", "visibility query over the schedules (default: every schedule)")
	cmd.RunE = o.runE(false, func(ctx context.Context, _ []string) error {
		s, err := o.dial(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		it, err := s.Client.ScheduleClient().List(ctx, client.ScheduleListOptions{Query: o.Query})
		if err != nil {
			return &exitError{code: ExitFailure, err: fmt.Errorf("list schedules: %w", err)}
		}
		list := []listedSchedule{}
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return &exitError{code: ExitFailure, err: fmt.Errorf("list schedules: %w", err)}
			}
			ls := listedSchedule{ScheduleID: e.ID, Workflow: e.WorkflowType.Name, Paused: e.Paused, Note: e.Note}
			if len(e.NextActionTimes) > 0 {
				ls.NextRunTime = timeText(e.NextActionTimes[0])
			}
			list = append(list, ls)
		}
		if o.Output == "json" {
			return encodeJSON(o.Stdout, list)
		}
		tw := tabwriter.NewWriter(o.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SCHEDULE ID\tWORKFLOW\tPAUSED\tNEXT RUN\tNOTE")
		for _, l := range list {
			fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\n", l.ScheduleID, l.Workflow, l.Paused, l.NextRunTime, l.Note)
		}
		return tw.Flush()
	})
	return cmd
}

type scheduleToggleOptions struct {
	scheduleOptions
	Pause, Unpause bool
	Reason         string
}

func newScheduleToggleCmd(opts *Options) *cobra.Command {
	o := &scheduleToggleOptions{scheduleOptions: scheduleOptions{Options: opts}}
	cmd := &cobra.Command{
		Use:   "toggle [SCHEDULE_ID] --pause|--unpause",
		Short: "Pause or unpause a schedule",
		Long: `Pause or unpause a schedule; --reason becomes its note. A paused schedule
starts no runs (trigger and backfill still do). The next 'dslrun apply' of the
definition sets the paused state and note of its file again.`,
		Args: cobra.MaximumNArgs(1),
	}
	o.register(cmd, true)
	cmd.Flags().BoolVar(&o.Pause, "pause", false, "pause the schedule")
	cmd.Flags().BoolVar(&o.Unpause, "unpause", false, "unpause the schedule")
	cmd.Flags().StringVar(&o.Reason, "reason", "", "why (stored as the schedule's note; default: the server's own note)")
	cmd.RunE = o.runE(true, func(ctx context.Context, _ []string) error {
		if o.Pause == o.Unpause {
			return usageErrorf("give exactly one of --pause and --unpause")
		}
		s, err := o.dial(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		h := s.Client.ScheduleClient().GetHandle(ctx, o.ScheduleID)
		what := "paused"
		if o.Pause {
			err = h.Pause(ctx, client.SchedulePauseOptions{Note: o.Reason})
		} else {
			what = "unpaused"
			err = h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: o.Reason})
		}
		if err != nil {
			return o.scheduleError(strings.TrimSuffix(what, "d"), err)
		}
		return printScheduleDone(o.Options, o.Output, o.ScheduleID, what)
	})
	return cmd
}

func printScheduleDone(o *Options, output, id, what string) error {
	if output == "json" {
		return encodeJSON(o.Stdout, map[string]string{"scheduleId": id, "result": what})
	}
	fmt.Fprintf(o.Stdout, "schedule %s %s\n", id, what)
	return nil
}

type scheduleTriggerOptions struct {
	scheduleOptions
	Overlap string
}

func newScheduleTriggerCmd(opts *Options) *cobra.Command {
	o := &scheduleTriggerOptions{scheduleOptions: scheduleOptions{Options: opts}}
	cmd := &cobra.Command{
		Use:   "trigger [SCHEDULE_ID]",
		Short: "Start the schedule's action now",
		Long: `Start the schedule's action now, paused or not, subject to the overlap policy:
the schedule's own, or --overlap-policy (skip, bufferOne, bufferAll,
cancelOther, terminateOther, allowAll).`,
		Args: cobra.MaximumNArgs(1),
	}
	o.register(cmd, true)
	cmd.Flags().StringVar(&o.Overlap, "overlap-policy", "", "overlap policy of this start (default: the schedule's)")
	cmd.RunE = o.runE(true, func(ctx context.Context, _ []string) error {
		ov, ok := overlapPolicy(o.Overlap)
		if !ok {
			return usageErrorf("--overlap-policy: unknown policy %q (skip, bufferOne, bufferAll, cancelOther, terminateOther, allowAll)", o.Overlap)
		}
		s, err := o.dial(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		if err := s.Client.ScheduleClient().GetHandle(ctx, o.ScheduleID).Trigger(ctx, client.ScheduleTriggerOptions{Overlap: ov}); err != nil {
			return o.scheduleError("trigger", err)
		}
		return printScheduleDone(o.Options, o.Output, o.ScheduleID, "triggered")
	})
	return cmd
}

type scheduleBackfillOptions struct {
	scheduleOptions
	Start, End string
	Overlap    string
}

func newScheduleBackfillCmd(opts *Options) *cobra.Command {
	o := &scheduleBackfillOptions{scheduleOptions: scheduleOptions{Options: opts}}
	cmd := &cobra.Command{
		Use:   "backfill [SCHEDULE_ID] --start-time TIME --end-time TIME",
		Short: "Start the runs the schedule would have started in a time range",
		Long: `Start the runs that the schedule's spec gives in a time range (RFC 3339 times),
paused or not, subject to the overlap policy: the schedule's own, or
--overlap-policy. With the default policy (skip) a backfill whose runs are
still open when the next is due starts only the first: use allowAll or
bufferAll to start them all.

  dslrun schedule backfill nightly --start-time 2026-01-01T00:00:00Z --end-time 2026-01-08T00:00:00Z --overlap-policy allowAll`,
		Args: cobra.MaximumNArgs(1),
	}
	o.register(cmd, true)
	cmd.Flags().StringVar(&o.Start, "start-time", "", "start of the range (RFC 3339), required")
	cmd.Flags().StringVar(&o.End, "end-time", "", "end of the range (RFC 3339), required")
	cmd.Flags().StringVar(&o.Overlap, "overlap-policy", "", "overlap policy of the backfilled runs (default: the schedule's)")
	cmd.RunE = o.runE(true, func(ctx context.Context, _ []string) error {
		start, err := time.Parse(time.RFC3339, o.Start)
		if err != nil {
			return usageErrorf("--start-time: want an RFC 3339 time such as 2026-01-02T15:04:05Z, got %q", o.Start)
		}
		end, err := time.Parse(time.RFC3339, o.End)
		if err != nil {
			return usageErrorf("--end-time: want an RFC 3339 time such as 2026-01-02T15:04:05Z, got %q", o.End)
		}
		if !end.After(start) {
			return usageErrorf("--end-time must be after --start-time")
		}
		ov, ok := overlapPolicy(o.Overlap)
		if !ok {
			return usageErrorf("--overlap-policy: unknown policy %q (skip, bufferOne, bufferAll, cancelOther, terminateOther, allowAll)", o.Overlap)
		}
		s, err := o.dial(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		err = s.Client.ScheduleClient().GetHandle(ctx, o.ScheduleID).Backfill(ctx, client.ScheduleBackfillOptions{
			Backfill: []client.ScheduleBackfill{{Start: start, End: end, Overlap: ov}},
		})
		if err != nil {
			return o.scheduleError("backfill", err)
		}
		return printScheduleDone(o.Options, o.Output, o.ScheduleID, "backfilled from "+timeText(start)+" to "+timeText(end))
	})
	return cmd
}

func newScheduleDeleteCmd(opts *Options) *cobra.Command {
	o := &scheduleOptions{Options: opts}
	cmd := &cobra.Command{
		Use:   "delete [SCHEDULE_ID]",
		Short: "Delete a schedule; the runs it started go on",
		Args:  cobra.MaximumNArgs(1),
	}
	o.register(cmd, true)
	cmd.RunE = o.runE(true, func(ctx context.Context, _ []string) error {
		s, err := o.dial(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		if err := s.Client.ScheduleClient().GetHandle(ctx, o.ScheduleID).Delete(ctx); err != nil {
			return o.scheduleError("delete", err)
		}
		return printScheduleDone(o.Options, o.Output, o.ScheduleID, "deleted")
	})
	return cmd
}
