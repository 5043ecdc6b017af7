package dslruncmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/internal/calendar"
	"github.com/dslrun/dslrun/interpreter"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// A definition's schedule is reconciled with the server: the schedule's
// action starts the definition as applied (input, canonical definition and
// hash in the action's arguments, as interpreter.NewStart prepares a start),
// and the arguments of the action on the server are what apply compares
// the file with: the definition recorded there names the schedule it was
// applied with.

// plannedSchedule is what a definition's schedule asks of the server.
type plannedSchedule struct {
	ID       string
	Workflow string
	Schedule client.Schedule
	// Memo and SearchAttributes are the schedule's own.
	Memo             map[string]any
	SearchAttributes temporal.SearchAttributes
	Start            *interpreter.Start
	def              *dsl.Definition
	input            any
}

// planSchedule prepares the schedule of d, a canonicalized definition with
// a schedule block. taskQueue overrides the definition's task queue.
func planSchedule(d *dsl.Definition, taskQueue string) (*plannedSchedule, error) {
	w := d.Workflow
	sch := w.Schedule
	if sch == nil {
		return nil, fmt.Errorf("%s has no schedule", w.Name)
	}
	if w.Options.Cron != "" {
		return nil, errors.New("options.cron cannot be combined with schedule: the schedule starts the runs")
	}
	if w.Options.StartDelay != 0 {
		return nil, errors.New("options.startDelay cannot be combined with schedule: scheduled runs start when the schedule says")
	}
	so := interpreter.StartOptions{TaskQueue: taskQueue}
	if w.Options.ID == "" {
		// Temporal appends the scheduled time to the action's workflow id.
		so.ID = w.Name
	}
	start, err := interpreter.NewStart(d, sch.Input, so)
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	o := start.Options
	action := &client.ScheduleWorkflowAction{
		ID:                       o.ID,
		Workflow:                 start.WorkflowType,
		Args:                     start.Args,
		TaskQueue:                o.TaskQueue,
		WorkflowExecutionTimeout: o.WorkflowExecutionTimeout,
		WorkflowRunTimeout:       o.WorkflowRunTimeout,
		WorkflowTaskTimeout:      o.WorkflowTaskTimeout,
		RetryPolicy:              o.RetryPolicy,
		Memo:                     o.Memo,
		TypedSearchAttributes:    o.TypedSearchAttributes,
	}
	overlap, _ := overlapPolicy(sch.Overlap)
	spec, err := scheduleSpec(sch)
	if err != nil {
		return nil, err
	}
	sa, err := interpreter.SearchAttributes("schedule.searchAttributes", sch.SearchAttributes)
	if err != nil {
		return nil, err
	}
	p := &plannedSchedule{
		ID:       scheduleID(w),
		Workflow: w.Name,
		Schedule: client.Schedule{
			Action: action,
			Spec:   &spec,
			Policy: &client.SchedulePolicies{Overlap: overlap, CatchupWindow: time.Duration(sch.CatchupWindow), PauseOnFailure: sch.PauseOnFailure},
			State: &client.ScheduleState{Paused: sch.Paused, Note: sch.Note,
				LimitedActions: sch.RemainingActions > 0, RemainingActions: sch.RemainingActions},
		},
		Memo:             sch.Memo,
		SearchAttributes: sa,
		Start:            start,
		def:              d,
		input:            startInput(start),
	}
	return p, nil
}

// scheduleID is the id of w's schedule: schedule.id, else w's name.
func scheduleID(w *dsl.Workflow) string {
	if w.Schedule != nil && w.Schedule.ID != "" {
		return w.Schedule.ID
	}
	return w.Name
}

// scheduleSpec maps the DSL's spec onto the SDK's. Calendars become cron
// strings of seven fields (second minute hour day-of-month month
// day-of-week year), which the server reads with the same range syntax;
// skip calendars, which the SDK takes only as ranges, are read here with
// that syntax, an omitted field matching every value.
func scheduleSpec(s *dsl.Schedule) (client.ScheduleSpec, error) {
	spec := client.ScheduleSpec{
		CronExpressions: slices.Clone(s.Cron),
		Jitter:          time.Duration(s.Jitter),
		TimeZoneName:    s.TimeZone,
	}
	for _, iv := range s.Intervals {
		spec.Intervals = append(spec.Intervals, client.ScheduleIntervalSpec{Every: time.Duration(iv.Every), Offset: time.Duration(iv.Offset)})
	}
	for _, c := range s.Calendars {
		spec.CronExpressions = append(spec.CronExpressions, calendarCron(c))
	}
	for i, c := range s.Skip {
		var cs client.ScheduleCalendarSpec
		for _, f := range []struct {
			f   calendar.Field
			v   string
			dst *[]client.ScheduleRange
		}{{calendar.Second, c.Second, &cs.Second}, {calendar.Minute, c.Minute, &cs.Minute}, {calendar.Hour, c.Hour, &cs.Hour}, {calendar.DayOfMonth, c.DayOfMonth, &cs.DayOfMonth}, {calendar.Month, c.Month, &cs.Month}, {calendar.Year, c.Year, &cs.Year}, {calendar.DayOfWeek, c.DayOfWeek, &cs.DayOfWeek}} {
			rs, err := f.f.Parse(f.v)
			if err != nil {
				return spec, fmt.Errorf("schedule.skip[%d].%s: %w", i, f.f.Name, err)
			}
			*f.dst = []client.ScheduleRange{}
			for _, r := range rs {
				*f.dst = append(*f.dst, client.ScheduleRange(r))
			}
		}
		cs.Comment = c.Comment
		spec.Skip = append(spec.Skip, cs)
	}
	var err error
	if s.StartTime != "" {
		spec.StartAt, err = time.Parse(time.RFC3339Nano, s.StartTime)
	}
	if s.EndTime != "" && err == nil {
		spec.EndAt, err = time.Parse(time.RFC3339Nano, s.EndTime)
	}
	return spec, err
}

func calendarCron(c dsl.ScheduleCalendar) string {
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	s := strings.Join([]string{or(c.Second, "0"), or(c.Minute, "0"), or(c.Hour, "0"), or(c.DayOfMonth, "*"), or(c.Month, "*"), or(c.DayOfWeek, "*"), or(c.Year, "*")}, " ")
	if c.Comment != "" {
		s += " # " + c.Comment
	}
	return s
}

// overlapPolicy reads an overlap policy as the DSL spells it (skip,
// bufferOne, ...) or as the Temporal CLI does (Skip, BufferOne, ...),
// in any case. "" is the server's default (skip).
func overlapPolicy(name string) (enumspb.ScheduleOverlapPolicy, bool) {
	switch strings.ToLower(name) {
	case "":
		return enumspb.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED, true
	case "skip":
		return enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, true
	case "bufferone":
		return enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE, true
	case "bufferall":
		return enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL, true
	case "cancelother":
		return enumspb.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER, true
	case "terminateother":
		return enumspb.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER, true
	case "allowall":
		return enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL, true
	}
	return enumspb.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED, false
}

// scheduleChange is one difference between the schedule on the server and
// the file.
type scheduleChange struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// reconcileResult is what apply (and schedule create/update) did to a
// schedule; its -o json form.
type reconcileResult struct {
	ScheduleID string           `json:"scheduleId"`
	Workflow   string           `json:"workflow"`
	Result     string           `json:"result"` // created, updated or unchanged
	DryRun     bool             `json:"dryRun,omitempty"`
	Changes    []scheduleChange `json:"changes,omitempty"`
}

// reconcileMode says what reconcileSchedule may do.
type reconcileMode struct {
	DryRun     bool
	CreateOnly bool // schedule create: an existing schedule is an error
	UpdateOnly bool // schedule update: a missing schedule is an error
}

// reconcileSchedule creates p's schedule, or updates it when it differs
// from the one on the server (spec, policies, action, definition, input,
// note, paused state). A change of the schedule's memo is an error, with
// the result that lists the changes.
func reconcileSchedule(ctx context.Context, c client.Client, dc converter.DataConverter, p *plannedSchedule, mode reconcileMode) (*reconcileResult, error) {
	res := &reconcileResult{ScheduleID: p.ID, Workflow: p.Workflow, DryRun: mode.DryRun}
	h := c.ScheduleClient().GetHandle(ctx, p.ID)
	desc, err := h.Describe(ctx)
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		if mode.UpdateOnly {
			return nil, fmt.Errorf("schedule %q not found: create it with 'dslrun schedule create' or 'dslrun apply'", p.ID)
		}
		res.Result = "created"
		if mode.DryRun {
			return res, nil
		}
		_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
			ID:                    p.ID,
			Spec:                  *p.Schedule.Spec,
			Action:                p.Schedule.Action,
			Overlap:               p.Schedule.Policy.Overlap,
			CatchupWindow:         p.Schedule.Policy.CatchupWindow,
			PauseOnFailure:        p.Schedule.Policy.PauseOnFailure,
			Paused:                p.Schedule.State.Paused,
			Note:                  p.Schedule.State.Note,
			RemainingActions:      p.Schedule.State.RemainingActions,
			Memo:                  p.Memo,
			TypedSearchAttributes: p.SearchAttributes,
		})
		if err != nil {
			return nil, fmt.Errorf("create schedule %q: %w", p.ID, explainSearchAttributeError(err))
		}
		return res, nil
	case err != nil:
		return nil, fmt.Errorf("describe schedule %q: %w", p.ID, err)
	}
	if mode.CreateOnly {
		return nil, fmt.Errorf("schedule %q already exists: change it with 'dslrun schedule update' or 'dslrun apply'", p.ID)
	}
	res.Changes = scheduleDiff(appliedView(desc, dc), p.view())
	if len(res.Changes) == 0 {
		res.Result = "unchanged"
		return res, nil
	}
	changed := func(field string) bool {
		return slices.ContainsFunc(res.Changes, func(c scheduleChange) bool { return c.Field == field })
	}
	res.Result = "updated"
	if i := slices.IndexFunc(res.Changes, func(c scheduleChange) bool { return c.Field == "schedule.memo" }); i >= 0 {
		c := res.Changes[i]
		return res, fmt.Errorf("schedule %q: its memo differs from the file's (%s -> %s), and Temporal cannot change the memo of an existing schedule: delete it ('dslrun schedule delete %s') and apply again; nothing was changed", p.ID, c.From, c.To, p.ID)
	}
	if mode.DryRun {
		return res, nil
	}
	err = h.Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := p.Schedule
			st := *s.State
			if cur := in.Description.Schedule.State; cur != nil && !changed("schedule.remainingActions") {
				// The count the server has used up stays, unless the file changed it.
				st.LimitedActions, st.RemainingActions = cur.LimitedActions, cur.RemainingActions
			}
			s.State = &st
			u := &client.ScheduleUpdate{Schedule: &s}
			if changed("schedule.searchAttributes") {
				u.TypedSearchAttributes = &p.SearchAttributes
			}
			return u, nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("update schedule %q: %w", p.ID, explainSearchAttributeError(err))
	}
	return res, nil
}

// scheduleView is the comparable form of a schedule: field → JSON text.
type scheduleView map[string]string

// viewFields are the fields of a view in the order changes are printed.
var viewFields = []string{"workflow", "taskQueue", "workflowId", "input", "paused", "note"}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// view is the view of the planned schedule.
func (p *plannedSchedule) view() scheduleView {
	a := p.Schedule.Action.(*client.ScheduleWorkflowAction)
	v := scheduleView{
		"workflow":   jsonText(p.Workflow),
		"taskQueue":  jsonText(a.TaskQueue),
		"workflowId": jsonText(a.ID),
		"input":      jsonText(p.input),
		"paused":     jsonText(p.Schedule.State.Paused),
		"note":       jsonText(p.Schedule.State.Note),
		"definition": p.def.Hash,
	}
	addDefinitionParts(v, p.def.Canonical)
	return v
}

// appliedView is the view of a schedule on the server. Fields it cannot
// read (a schedule that dslrun did not make) differ from any file.
func appliedView(d *client.ScheduleDescription, dc converter.DataConverter) scheduleView {
	v := scheduleView{}
	if d.Schedule.State != nil {
		v["paused"] = jsonText(d.Schedule.State.Paused)
		v["note"] = jsonText(d.Schedule.State.Note)
	}
	a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok {
		return v
	}
	if name, ok := a.Workflow.(string); ok {
		v["workflow"] = jsonText(name)
	}
	v["taskQueue"] = jsonText(a.TaskQueue)
	v["workflowId"] = jsonText(a.ID)
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	if len(a.Args) > 2 {
		return v
	}
	raw := make([]json.RawMessage, 2)
	for i, arg := range a.Args {
		p, ok := arg.(*commonpb.Payload)
		if !ok || dc.FromPayload(p, &raw[i]) != nil {
			return v
		}
	}
	input, env, err := interpreter.DecodeArgs(raw[0], raw[1])
	if err != nil {
		return v
	}
	var in any
	if len(input) > 0 && json.Unmarshal(input, &in) != nil {
		return v
	}
	v["input"] = jsonText(in)
	if env != nil && env.Hash != "" {
		v["definition"] = env.Hash
		if def, err := env.Canonical(); err == nil {
			addDefinitionParts(v, def)
		}
	}
	return v
}

// startInput is the input of a start that NewStart prepared: its first
// argument, unless that is the definition alone.
func startInput(s *interpreter.Start) any {
	if len(s.Args) == 1 {
		if _, ok := s.Args[0].([]byte); ok {
			return nil
		}
	}
	return s.Args[0]
}

// addDefinitionParts adds to v the keys of the schedule block of a
// canonical definition ("schedule.KEY", but id, input, note and paused,
// which have fields of their own) and its other top-level blocks
// ("definition.KEY"), each as compact JSON.
func addDefinitionParts(v scheduleView, canonical []byte) {
	var top map[string]any
	if json.Unmarshal(canonical, &top) != nil {
		return
	}
	for k, e := range top {
		if k != "schedule" {
			v["definition."+k] = jsonText(e)
			continue
		}
		sch, _ := e.(map[string]any)
		for sk, se := range sch {
			switch sk {
			case "id", "input", "note", "paused":
			default:
				v["schedule."+sk] = jsonText(se)
			}
		}
	}
}

// scheduleDiff lists the fields whose values differ between from and to:
// the schedule's own fields first, then the definition's hash with the
// top-level blocks that changed.
func scheduleDiff(from, to scheduleView) []scheduleChange {
	var out []scheduleChange
	add := func(field, a, b string) {
		if a != b {
			out = append(out, scheduleChange{Field: field, From: orNone(a), To: orNone(b)})
		}
	}
	for _, f := range viewFields {
		add(f, from[f], to[f])
	}
	keys := map[string]bool{}
	for k := range from {
		keys[k] = true
	}
	for k := range to {
		keys[k] = true
	}
	var sched, def []string
	for k := range keys {
		switch {
		case strings.HasPrefix(k, "schedule."):
			sched = append(sched, k)
		case strings.HasPrefix(k, "definition."):
			def = append(def, k)
		}
	}
	slices.Sort(sched)
	for _, k := range sched {
		add(k, from[k], to[k])
	}
	if from["definition"] != to["definition"] {
		var parts []string
		slices.Sort(def)
		for _, k := range def {
			if from[k] != to[k] {
				parts = append(parts, strings.TrimPrefix(k, "definition."))
			}
		}
		// The hash covers the schedule block too: it is shown on its own
		// when nothing else tells why the definition differs.
		if len(parts) > 0 || len(out) == 0 {
			what := "definition"
			if len(parts) > 0 {
				what = "definition (" + strings.Join(parts, ", ") + ")"
			}
			out = append(out, scheduleChange{Field: what, From: shortHash(from["definition"]), To: shortHash(to["definition"])})
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func shortHash(h string) string {
	if h == "" {
		return "(none)"
	}
	if len(h) > 12 {
		return "hash " + h[:12]
	}
	return "hash " + h
}

// explainSearchAttributeError adds to an error of the server about a
// search attribute that the namespace lacks how to register it.
func explainSearchAttributeError(err error) error {
	var ia *serviceerror.InvalidArgument
	if err == nil || !errors.As(err, &ia) || !strings.Contains(strings.ToLower(ia.Message), "search attribute") {
		return err
	}
	return fmt.Errorf("%w (a custom search attribute must be registered in the namespace before a run can set it: 'dslrun dev --search-attribute NAME=Keyword' on a dev server, 'temporal operator search-attribute create --name NAME --type Keyword' on a cluster)", err)
}

// explainStartError is explainSearchAttributeError for the exit errors of
// apply's start.
func explainStartError(err error) error {
	var ee *exitError
	if errors.As(err, &ee) && ee.err != nil {
		return &exitError{code: ee.code, err: explainSearchAttributeError(ee.err)}
	}
	return explainSearchAttributeError(err)
}

// printReconcile prints what reconcileSchedule did, as text or JSON.
func printReconcile(o *Options, res *reconcileResult, output string) error {
	if output == "json" {
		return encodeJSON(o.Stdout, res)
	}
	verb := res.Result
	if res.DryRun {
		switch res.Result {
		case "created":
			verb = "would create"
		case "updated":
			verb = "would update"
		}
	}
	fmt.Fprintf(o.Stdout, "schedule %s (workflow %s): %s\n", res.ScheduleID, res.Workflow, verb)
	for _, c := range res.Changes {
		fmt.Fprintf(o.Stdout, "  %s: %s -> %s\n", c.Field, c.From, c.To)
	}
	return nil
}
