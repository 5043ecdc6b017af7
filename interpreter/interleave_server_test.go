//go:build dslrun_server

package interpreter

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/dsl"
)

// The definitions of TestServerRecordInterleavings. Each keeps a log in
// its state of what its steps and handlers did, in the order they did it,
// and returns it (or fails, or continues as new, with it in an activity id
// or the new run's state), so that a change in the order in which the
// root coroutine, the steps' coroutine and the handlers' coroutines take
// their turns changes a recorded result, not only the commands. hold is an
// activity of another task queue that completes when the test releases its
// key (and returns its data), so that the test decides when, and with what
// else in the same workflow task, each activity completes.

// interleaveSignalDoDef: signal handlers with do steps (an activity) while
// the main steps wait on an activity; signals arrive with the start (the
// first step reads the state at once) and in the workflow tasks of
// activity completions, before and after them.
const interleaveSignalDoDef = `
dsl: v1
name: interleave-signal-do
activity: {taskQueue: interleave-acts}
state: {log: []}
signals:
  s:
    set: {log: "${ concat(state.log, ['s' + string(args)]) }"}
    do:
      - activity: hold
        with: "${ {key: args, data: state.log} }"
      - set: {log: "${ concat(state.log, ['s-done' + string(args)]) }"}
  t:
    set: {log: "${ concat(state.log, ['t' + string(args)]) }"}
steps:
  - set: {log: "${ concat(state.log, ['step0']) }"}
  - activity: hold
    with: {key: 1}
  - set: {log: "${ concat(state.log, ['step1']) }"}
  - activity: hold
    with: {key: 2}
  - set: {log: "${ concat(state.log, ['step2']) }"}
output: ${ state.log }
`

// interleaveStopDef: a signal handler ends the run (a return in its do
// steps, a set that fails at run time, a do step that fails) while the
// main steps wait on an activity inside try, whose finally runs an
// activity; the finally's activity id is the log when it started.
const interleaveStopDef = `
dsl: v1
name: interleave-signal-stop
activity: {taskQueue: interleave-acts}
state: {log: []}
signals:
  note:
    set: {log: "${ concat(state.log, ['note' + string(args)]) }"}
  stop:
    set: {log: "${ concat(state.log, ['stop' + string(args)]) }"}
    do:
      - set: {log: "${ concat(state.log, ['stopping' + string(args)]) }"}
      - return: "${ {how: 'return', log: state.log} }"
  boom:
    set:
      log: "${ concat(state.log, ['boom' + string(args)]) }"
      bad: "${ int('boom' + string(args)) }"
  boomDo:
    set: {log: "${ concat(state.log, ['boomDo' + string(args)]) }"}
    do:
      - set: {log: "${ concat(state.log, ['boomDo-step' + string(args)]) }"}
      - set: {bad: "${ int('boomDo' + string(args)) }"}
steps:
  - try:
      - activity: hold
        with: {key: 1}
      - set: {log: "${ concat(state.log, ['after-hold']) }"}
    finally:
      - set: {log: "${ concat(state.log, ['finally']) }"}
      - activity: hold
        activityId: "${ 'finally:' + join(state.log, ',') }"
        with: "${ {key: 2, data: state.log} }"
      - set: {log: "${ concat(state.log, ['finally-done']) }"}
output: "${ {how: 'output', log: state.log} }"
`

// interleaveUpdateDef: an update whose do steps run an activity while the
// main steps sleep, the activity completing in the workflow task in which
// the timer fires; then an update that returns, ending the run while
// another update's activity runs.
const interleaveUpdateDef = `
dsl: v1
name: interleave-update
activity: {taskQueue: interleave-acts}
state: {log: []}
updates:
  work:
    do:
      - set: {log: "${ concat(state.log, ['work' + string(args)]) }"}
      - activity: hold
        with: "${ {key: args, data: state.log} }"
      - set: {log: "${ concat(state.log, ['work-done' + string(args)]) }"}
    return: ${ state.log }
  stop:
    do:
      - set: {log: "${ concat(state.log, ['stop']) }"}
      - return: "${ {how: 'return', log: state.log} }"
steps:
  - set: {log: "${ concat(state.log, ['start']) }"}
  - sleep: 3s
  - set: {log: "${ concat(state.log, ['woke']) }"}
  - sleep: 1h
  - set: {log: "${ concat(state.log, ['end']) }"}
output: "${ {how: 'output', log: state.log} }"
`

// interleaveParallelDef: the main steps wait in a parallel of two
// activities while signals with do steps arrive with their completions.
const interleaveParallelDef = `
dsl: v1
name: interleave-parallel
activity: {taskQueue: interleave-acts}
state: {log: []}
signals:
  s:
    set: {log: "${ concat(state.log, ['s' + string(args)]) }"}
    do:
      - activity: hold
        with: "${ {key: args, data: state.log} }"
      - set: {log: "${ concat(state.log, ['s-done' + string(args)]) }"}
steps:
  - id: both
    parallel:
      - - activity: hold
          with: "${ {key: 1, data: state.log} }"
        - set: {log: "${ concat(state.log, ['p1']) }"}
      - - activity: hold
          with: "${ {key: 2, data: state.log} }"
        - set: {log: "${ concat(state.log, ['p2']) }"}
  - set: {log: "${ concat(state.log, ['joined']) }"}
  - activity: hold
    with: {key: 3}
  - set: {log: "${ concat(state.log, ['end']) }"}
output: "${ {log: state.log, both: steps.both.result} }"
`

// interleaveForEachDef: a forEach of six items, three at a time, whose
// body is one activity that returns the log as it was when the item
// started, while signals arrive with the completions.
const interleaveForEachDef = `
dsl: v1
name: interleave-foreach
activity: {taskQueue: interleave-acts}
state: {log: []}
signals:
  s:
    set: {log: "${ concat(state.log, ['s' + string(args)]) }"}
    do:
      - activity: hold
        with: "${ {key: args, data: state.log} }"
      - set: {log: "${ concat(state.log, ['s-done' + string(args)]) }"}
  t:
    set: {log: "${ concat(state.log, ['t' + string(args)]) }"}
steps:
  - id: loop
    forEach: [1, 2, 3, 4, 5, 6]
    concurrency: 3
    do:
      - activity: hold
        with: "${ {key: item, data: state.log} }"
  - set: {log: "${ concat(state.log, ['loop']) }"}
output: "${ {log: state.log, loop: steps.loop.result} }"
`

// interleaveFinishDef: the last step completes in the workflow task in
// which a signal with do steps arrives, so the run waits for its handler;
// more signals arrive while it waits, the last with the completion that
// ends the run.
const interleaveFinishDef = `
dsl: v1
name: interleave-finish
activity: {taskQueue: interleave-acts}
state: {log: []}
signals:
  s:
    set: {log: "${ concat(state.log, ['s' + string(args)]) }"}
    do:
      - activity: hold
        with: "${ {key: args, data: state.log} }"
      - set: {log: "${ concat(state.log, ['s-done' + string(args)]) }"}
  t:
    set: {log: "${ concat(state.log, ['t' + string(args)]) }"}
steps:
  - activity: hold
    with: {key: 1}
  - set: {log: "${ concat(state.log, ['step']) }"}
output: ${ state.log }
`

// interleaveAwaitDef: the main steps wait in an await with a timeout; a
// signal handler returns or continues as new, in the workflow task in
// which other signals make the await's condition true.
const interleaveAwaitDef = `
dsl: v1
name: interleave-await
activity: {taskQueue: interleave-acts}
state: {log: [], n: 0, done: false}
signals:
  n:
    set: {n: "${ state.n + 1 }", log: "${ concat(state.log, ['n' + string(args)]) }"}
  stop:
    set: {log: "${ concat(state.log, ['stop' + string(args)]) }"}
    do:
      - return: "${ {how: 'return', log: state.log, n: state.n} }"
  can:
    set: {log: "${ concat(state.log, ['can' + string(args)]) }"}
    do:
      - continueAsNew:
          state: {done: true}
steps:
  - id: w
    await: ${ state.done || state.n >= 2 }
    timeout: 1h
  - set: {log: "${ concat(state.log, ['after-await:' + string(steps.w.result)]) }"}
  - activity: hold
    with: "${ {key: 1, data: state.log} }"
  - set: {log: "${ concat(state.log, ['end']) }"}
output: "${ {how: 'output', log: state.log, n: state.n} }"
`

// interleaveFailDef: the steps fail in the workflow task in which signals
// arrive, one whose handler runs steps (an activity whose id is the log).
const interleaveFailDef = `
dsl: v1
name: interleave-fail
activity: {taskQueue: interleave-acts}
state: {log: []}
signals:
  s:
    set: {log: "${ concat(state.log, ['s' + string(args)]) }"}
    do:
      - activity: hold
        activityId: "${ 's:' + join(state.log, ',') }"
        with: "${ {key: args, data: state.log} }"
  t:
    set: {log: "${ concat(state.log, ['t' + string(args)]) }"}
steps:
  - activity: hold
    with: {key: 1}
  - set: {log: "${ concat(state.log, ['step']) }"}
  - fail:
      message: "${ 'failed after ' + join(state.log, ',') }"
      type: Failed
output: ${ state.log }
`

// holdInput is the argument of the hold activity.
type holdInput struct {
	Key  int `json:"key"`
	Data any `json:"data,omitempty"`
}

// holdKey names one hold: the run that scheduled it and its key.
type holdKey struct {
	runID string
	key   int
}

// wfRun is one run on the server.
type wfRun struct {
	id, runID string
	run       client.WorkflowRun
}

// interleaver drives runs on the embedded server for
// TestServerRecordInterleavings: it starts and stops the workflow worker
// so that signals and activity completions pile up and reach the run in
// one workflow task, and releases hold activities one at a time, so that
// the order of the events in each such task is the test's.
type interleaver struct {
	t   *testing.T
	ctx context.Context
	c   client.Client
	wf  worker.Worker

	mu       sync.Mutex
	released map[holdKey]bool
	changed  chan struct{}
	quit     chan struct{}
}

const (
	interleaveWorkflowQueue = "interleave-wf"
	interleaveActivityQueue = "interleave-acts"
)

func newInterleaver(t *testing.T) *interleaver {
	ctx, c := startServer(t, 4*time.Minute)
	s := &interleaver{t: t, ctx: ctx, c: c, released: map[holdKey]bool{}, changed: make(chan struct{}), quit: make(chan struct{})}
	acts := worker.New(c, interleaveActivityQueue, worker.Options{})
	reg := activities.NewRegistry()
	if err := reg.Register(activities.Spec{Name: "hold", Summary: "Wait until the test releases the key, then return the data"}, s.hold); err != nil {
		t.Fatal(err)
	}
	reg.Attach(acts)
	if err := acts.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		close(s.quit) // holds of cancelled activities that nobody released
		acts.Stop()
		if s.wf != nil {
			s.wf.Stop()
		}
	})
	return s
}

// hold completes once the test has released its key for the run that
// scheduled it, returning its data.
func (s *interleaver) hold(ctx context.Context, in holdInput) (any, error) {
	k := holdKey{activity.GetInfo(ctx).WorkflowExecution.RunID, in.Key}
	for {
		s.mu.Lock()
		ok, ch := s.released[k], s.changed
		s.mu.Unlock()
		if ok {
			return in.Data, nil
		}
		select {
		case <-ch:
		case <-s.quit:
			return nil, fmt.Errorf("hold %d: the test ended", in.Key)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// up starts the workflow worker; down stops it.
func (s *interleaver) up() {
	s.wf = worker.New(s.c, interleaveWorkflowQueue, worker.Options{StickyScheduleToStartTimeout: time.Second})
	Register(s.wf, Options{})
	if err := s.wf.Start(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *interleaver) down() {
	s.wf.Stop()
	s.wf = nil
}

func (s *interleaver) start(name, src string) *wfRun {
	s.t.Helper()
	def := canonical(s.t, src)
	id := fmt.Sprintf("%s-%d", name, time.Now().UnixNano())
	r, err := s.c.ExecuteWorkflow(s.ctx, client.StartWorkflowOptions{ID: id, TaskQueue: interleaveWorkflowQueue}, WorkflowType, nil, &Envelope{Definition: def, Hash: dsl.Hash(def)})
	if err != nil {
		s.t.Fatal(err)
	}
	return &wfRun{id: id, runID: r.GetRunID(), run: r}
}

func (s *interleaver) history(r *wfRun) *historypb.History {
	s.t.Helper()
	h := &historypb.History{}
	it := s.c.GetWorkflowHistory(s.ctx, r.id, r.runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			s.t.Fatal(err)
		}
		h.Events = append(h.Events, e)
	}
	return h
}

func countEvents(h *historypb.History, typ enumspb.EventType) int {
	n := 0
	for _, e := range h.GetEvents() {
		if e.GetEventType() == typ {
			n++
		}
	}
	return n
}

// waitFor polls the run's history (events, not time, are the condition;
// the poll interval only paces the reads, the test's context bounds it)
// until cond holds.
func (s *interleaver) waitFor(r *wfRun, what string, cond func(h *historypb.History) bool) *historypb.History {
	s.t.Helper()
	for {
		if h := s.history(r); cond(h) {
			return h
		}
		select {
		case <-s.ctx.Done():
			s.t.Fatalf("%s: %s: %v", r.id, what, s.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// idle: no workflow task is outstanding, more than tasks have completed,
// and at least acts activities have been scheduled.
func idle(tasks, acts int) func(h *historypb.History) bool {
	return func(h *historypb.History) bool {
		last := enumspb.EVENT_TYPE_UNSPECIFIED
		for _, e := range h.GetEvents() {
			switch t := e.GetEventType(); t {
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
				enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED,
				enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
				last = t
			}
		}
		return last == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED &&
			countEvents(h, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) > tasks &&
			countEvents(h, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) >= acts
	}
}

// settle waits until the run is idle (see idle) with at least acts
// activities scheduled.
func (s *interleaver) settle(r *wfRun, acts int) *historypb.History {
	s.t.Helper()
	return s.waitFor(r, fmt.Sprintf("idle with %d activities", acts), idle(0, acts))
}

// batch stops the workflow worker, lets pile add events to the run's
// history (signals, activity completions: all of them then reach the run
// in one workflow task, in the order pile made them), starts the worker
// again and waits until it has handled them and the run is idle with at
// least acts activities scheduled.
func (s *interleaver) batch(r *wfRun, acts int, pile func()) *historypb.History {
	s.t.Helper()
	s.down()
	pile()
	tasks := countEvents(s.history(r), enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
	s.up()
	return s.waitFor(r, fmt.Sprintf("the batch handled, idle with %d activities", acts), idle(tasks, acts))
}

// holdScheduled maps the scheduled event ids of the run's hold
// activities to their keys.
func holdScheduled(h *historypb.History) map[int64]int {
	keys := map[int64]int{}
	for _, e := range h.GetEvents() {
		a := e.GetActivityTaskScheduledEventAttributes()
		if a == nil || a.GetActivityType().GetName() != "hold" {
			continue
		}
		var in holdInput
		if ps := a.GetInput().GetPayloads(); len(ps) > 0 && json.Unmarshal(ps[0].GetData(), &in) == nil {
			keys[e.GetEventId()] = in.Key
		}
	}
	return keys
}

// completed reports whether the run's hold of key has completed.
func completed(h *historypb.History, key int) bool {
	keys := holdScheduled(h)
	for _, e := range h.GetEvents() {
		if a := e.GetActivityTaskCompletedEventAttributes(); a != nil {
			if k, ok := keys[a.GetScheduledEventId()]; ok && k == key {
				return true
			}
		}
	}
	return false
}

// open releases the run's holds of keys, one at a time, each once its
// completion is in the history, so that the completions are recorded in
// the order given.
func (s *interleaver) open(r *wfRun, keys ...int) {
	s.t.Helper()
	for _, k := range keys {
		s.mu.Lock()
		s.released[holdKey{r.runID, k}] = true
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		s.waitFor(r, fmt.Sprintf("hold %d completed", k), func(h *historypb.History) bool { return completed(h, k) })
	}
}

// signal sends the signals named, each with its argument: name, arg, ...
func (s *interleaver) signal(r *wfRun, sigs ...any) {
	s.t.Helper()
	for i := 0; i < len(sigs); i += 2 {
		if err := s.c.SignalWorkflow(s.ctx, r.id, r.runID, sigs[i].(string), sigs[i+1]); err != nil {
			s.t.Fatal(err)
		}
	}
}

// update sends an update and waits until it is accepted.
func (s *interleaver) update(r *wfRun, name string, arg any, stage client.WorkflowUpdateStage) client.WorkflowUpdateHandle {
	s.t.Helper()
	u, err := s.c.UpdateWorkflow(s.ctx, client.UpdateWorkflowOptions{WorkflowID: r.id, RunID: r.runID, UpdateName: name, Args: []any{arg}, WaitForStage: stage})
	if err != nil {
		s.t.Fatalf("update %s: %v", name, err)
	}
	return u
}

// result waits for the run's result (following continue-as-new) as JSON.
func (s *interleaver) result(r *wfRun) (string, error) {
	var out any
	err := r.run.Get(s.ctx, &out)
	b, _ := json.Marshal(out)
	return string(b), err
}

// save replays h and, with DSLRUN_RECORD_HISTORIES=SUFFIX, writes it to
// testdata/histories as NAME-SUFFIX.json.
func (s *interleaver) save(name string, h *historypb.History) {
	s.t.Helper()
	if err := replay(h); err != nil {
		s.t.Errorf("%s: replay: %v", name, err)
	}
	suffix := os.Getenv("DSLRUN_RECORD_HISTORIES")
	if suffix == "" {
		return
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		s.t.Fatal(err)
	}
	path := filepath.Join(historiesDir, name+"-"+suffix+".json")
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("wrote %s: %d events", path, len(h.GetEvents()))
}

// recording is a history to save under a name.
type recording struct {
	name string
	h    *historypb.History
}

// record runs a scenario with the workflow worker up and saves the
// histories it returns. A scenario whose interleaving came out other than
// intended (it says why), or whose history holds a workflow task that
// timed out or failed, runs again, up to three times: a worker stopped
// while its poll was being answered leaves a task started that nobody
// completes, which times out (valid, but no history to keep); the
// events and the order of the batches are the same.
func (s *interleaver) record(what string, scenario func() ([]recording, string)) {
	s.t.Helper()
	for attempt := 1; ; attempt++ {
		if s.wf == nil {
			s.up()
		}
		recs, retry := scenario()
		for _, rec := range recs {
			if retry == "" {
				retry = unclean(rec.h)
			}
		}
		if retry == "" {
			for _, rec := range recs {
				s.save(rec.name, rec.h)
			}
			return
		}
		if attempt == 3 {
			s.t.Fatalf("%s: %s, %d times", what, retry, attempt)
		}
		s.t.Logf("%s: %s: once more", what, retry)
	}
}

// unclean says why h is no history to keep: a workflow task of it timed
// out or failed.
func unclean(h *historypb.History) string {
	for _, e := range h.GetEvents() {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
			return fmt.Sprintf("event %d: %v", e.GetEventId(), e.GetEventType())
		}
	}
	return ""
}

// wantResult compares a result (JSON) with the one the first recording got: any
// difference is a change of behaviour.
func wantResult(t *testing.T, what, got, wantJSON string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s: result %s: %v", what, got, err)
		return
	}
	if err := json.Unmarshal([]byte(wantJSON), &w); err != nil {
		t.Fatalf("%s: want %s: %v", what, wantJSON, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: got\n%s\nwant\n%s", what, got, wantJSON)
	}
}

// wantError checks that the run failed with an error whose message
// contains msg.
func wantError(t *testing.T, what string, err error, msg string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), msg) {
		t.Errorf("%s: error %v, want one with %q", what, err, msg)
	}
}

// wantIDs checks the ids of the activities the run scheduled whose id
// starts with prefix (they hold the log as it was then).
func wantIDs(t *testing.T, what string, h *historypb.History, prefix string, ids ...string) {
	t.Helper()
	if got := activityIDs(h, prefix); !reflect.DeepEqual(got, ids) {
		t.Errorf("%s: activity ids %q, want %q", what, got, ids)
	}
}

// activityIDs lists the ids of the activities that the run scheduled
// whose id starts with prefix.
func activityIDs(h *historypb.History, prefix string) []string {
	var ids []string
	for _, e := range h.GetEvents() {
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && strings.HasPrefix(a.GetActivityId(), prefix) {
			ids = append(ids, a.GetActivityId())
		}
	}
	return ids
}

// sameTask reports whether the first events of types a and b are in the
// same workflow task: no workflow task started between them.
func sameTask(h *historypb.History, a, b func(*historypb.HistoryEvent) bool) bool {
	ia, ib := -1, -1
	for i, e := range h.GetEvents() {
		if ia < 0 && a(e) {
			ia = i
		}
		if ib < 0 && b(e) {
			ib = i
		}
	}
	if ia < 0 || ib < 0 {
		return false
	}
	if ia > ib {
		ia, ib = ib, ia
	}
	for _, e := range h.GetEvents()[ia:ib] {
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED {
			return false
		}
	}
	return true
}

// TestServerRecordInterleavings runs the interleave* definitions on the
// embedded server, with signals, updates, timers and activity completions
// reaching the run together in one workflow task (the workflow worker
// stopped while they pile up, the activities released one at a time), at
// the points where the root coroutine, the steps' coroutine and the
// handlers' coroutines could take their turns in another order: handler do
// steps beside the steps' activity, a parallel, a concurrent forEach, a
// timer, an await with a timeout; a handler or an update that ends the run
// (return, continue-as-new, a failure) while the steps wait, inside try
// with a finally; the steps ending in the workflow task of a signal whose
// handler runs steps. It checks each result (the log of who did what, in
// order) against the one today's interpreter got, and replays each
// history. With DSLRUN_RECORD_HISTORIES=SUFFIX it writes them to
// testdata/histories as interleave-*-SUFFIX.json, which the replay tests
// and TestReplayResults replay.
//
//	DSLRUN_RECORD_HISTORIES=v0 go test -tags dslrun_server -run ServerRecordInterleavings ./interpreter/
func TestServerRecordInterleavings(t *testing.T) {
	s := newInterleaver(t)
	defer func() {
		if s.wf != nil {
			s.down()
		}
	}()

	// 1. Signal handlers with do steps while the steps wait on an activity.
	s.record("interleave-signal-do", func() ([]recording, string) {
		// Signals with the start, in its first workflow task.
		s.down()
		r := s.start("interleave-signal-do", interleaveSignalDoDef)
		s.signal(r, "t", 7, "s", 8)
		s.up()
		s.settle(r, 2) // hold 1, hold 8
		// hold 2, hold 10, hold 11:
		s.batch(r, 5, func() {
			s.signal(r, "s", 10)
			s.open(r, 1)
			s.signal(r, "s", 11, "t", 12)
		})
		s.batch(r, 5, func() { // the steps end; s11 runs
			s.open(r, 10, 8)
			s.signal(r, "t", 13)
			s.open(r, 2)
		})
		s.batch(r, 5, func() { // the run ends
			s.open(r, 11)
			s.signal(r, "t", 14)
		})
		got, err := s.result(r)
		if err != nil {
			t.Fatalf("interleave-signal-do: %v", err)
		}
		wantResult(t, "interleave-signal-do", got, `["s8","t7","step0","s10","s11","t12","step1","t13","step2","s-done8","s-done10","t14","s-done11"]`)
		return []recording{{"interleave-signal-do", s.history(r)}}, ""
	})

	// 2. A signal handler ends the run while the steps wait inside try:
	// a return in its do steps, its set failing, a do step failing.
	for _, tc := range []struct {
		name, signal, err, finally string
	}{
		{"interleave-signal-return", "stop", "", "finally:note1,note3,stop2,stopping2,finally"},
		{"interleave-signal-fail", "boom", `signals.boom: set.bad: expression "${ int('boom' + string(args)) }": 1:4: invalid operation: int(boom2)`,
			"finally:note1,note3,finally"},
		{"interleave-signal-fail-do", "boomDo", `signals.boomDo.do[1]: set.bad: expression "${ int('boomDo' + string(args)) }": 1:4: invalid operation: int(boomDo2)`,
			"finally:boomDo2,note1,note3,boomDo-step2,finally"},
	} {
		s.record(tc.name, func() ([]recording, string) {
			r := s.start(tc.name, interleaveStopDef)
			s.settle(r, 1) // hold 1
			// the finally's hold 2:
			s.batch(r, 2, func() {
				s.signal(r, "note", 1, tc.signal, 2, "note", 3)
			})
			s.batch(r, 2, func() { // the run ends
				s.open(r, 2)
				s.signal(r, "note", 4, "stop", 5)
			})
			got, err := s.result(r)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				wantResult(t, tc.name, got, `{"how":"return","log":["note1","note3","stop2","stopping2"]}`)
			} else {
				wantError(t, tc.name, err, tc.err)
			}
			h := s.history(r)
			wantIDs(t, tc.name, h, "finally:", tc.finally)
			return []recording{{tc.name, h}}, ""
		})
	}

	// 3. Updates while the steps sleep: the activity of one completes in
	// the workflow task in which the timer fires; another returns, ending
	// the run while a third's activity runs.
	s.record("interleave-update", func() ([]recording, string) {
		r := s.start("interleave-update", interleaveUpdateDef)
		s.waitFor(r, "the sleep's timer", func(h *historypb.History) bool {
			return idle(0, 0)(h) && countEvents(h, enumspb.EVENT_TYPE_TIMER_STARTED) == 1
		})
		w10 := s.update(r, "work", 10, client.WorkflowUpdateStageAccepted)
		s.settle(r, 1) // hold 10
		h := s.batch(r, 1, func() {
			s.waitFor(r, "the 3s timer fired", func(h *historypb.History) bool {
				return countEvents(h, enumspb.EVENT_TYPE_TIMER_FIRED) == 1
			})
			s.open(r, 10)
		})
		retry := ""
		if !sameTask(h,
			func(e *historypb.HistoryEvent) bool { return e.GetEventType() == enumspb.EVENT_TYPE_TIMER_FIRED },
			func(e *historypb.HistoryEvent) bool {
				return e.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
			}) {
			// The worker stopped only after the timer had fired (a
			// machine too slow for the 3 s sleep): a valid history, but
			// not the interleaving wanted.
			retry = "the timer fired and hold 10 completed in different workflow tasks"
		}
		s.waitFor(r, "the second sleep", func(h *historypb.History) bool {
			return idle(0, 1)(h) && countEvents(h, enumspb.EVENT_TYPE_TIMER_STARTED) == 2
		})
		w11 := s.update(r, "work", 11, client.WorkflowUpdateStageAccepted)
		s.settle(r, 2) // hold 11
		stop := s.update(r, "stop", nil, client.WorkflowUpdateStageCompleted)
		s.open(r, 11)
		got, err := s.result(r)
		if err != nil {
			t.Fatalf("interleave-update: %v", err)
		}
		if retry != "" {
			return nil, retry
		}
		wantResult(t, "interleave-update", got, `{"how":"return","log":["start","work10","work-done10","woke","work11","stop"]}`)
		for _, u := range []struct {
			name string
			h    client.WorkflowUpdateHandle
			want string
		}{
			{"work 10", w10, `["start","work10","work-done10"]`},
			{"work 11", w11, `["start","work10","work-done10","woke","work11","stop","work-done11"]`},
			{"stop", stop, `{"how":"return","log":["start","work10","work-done10","woke","work11","stop"]}`},
		} {
			var v any
			if err := u.h.Get(s.ctx, &v); err != nil {
				t.Errorf("interleave-update: update %s: %v", u.name, err)
				continue
			}
			b, _ := json.Marshal(v)
			wantResult(t, "interleave-update: update "+u.name, string(b), u.want)
		}
		return []recording{{"interleave-update", s.history(r)}}, ""
	})

	// 4. Signals with do steps while the steps wait in a parallel.
	s.record("interleave-parallel", func() ([]recording, string) {
		r := s.start("interleave-parallel", interleaveParallelDef)
		s.settle(r, 2)         // holds 1, 2
		s.batch(r, 6, func() { // hold 3, holds 10, 11, 12
			s.signal(r, "s", 10)
			s.open(r, 2)
			s.signal(r, "s", 11)
			s.open(r, 1)
			s.signal(r, "s", 12)
		})
		s.batch(r, 7, func() { // hold 13; the steps end
			s.open(r, 11, 3)
			s.signal(r, "s", 13)
		})
		s.batch(r, 7, func() { // the run ends
			s.open(r, 10, 12, 13)
		})
		got, err := s.result(r)
		if err != nil {
			t.Fatalf("interleave-parallel: %v", err)
		}
		wantResult(t, "interleave-parallel", got, `{"both":[{"log":["s10","s11","s12","p1"]},{"log":["s10","s11","s12","p1","p2"]}],"log":["s10","s11","s12","p1","p2","joined","s13","end","s-done11","s-done10","s-done12","s-done13"]}`)
		return []recording{{"interleave-parallel", s.history(r)}}, ""
	})

	// 5. Signals while a forEach runs its items three at a time.
	s.record("interleave-foreach", func() ([]recording, string) {
		r := s.start("interleave-foreach", interleaveForEachDef)
		s.settle(r, 3)         // items 1, 2, 3
		s.batch(r, 6, func() { // items 4, 5, hold 11
			s.open(r, 1)
			s.signal(r, "t", 10)
			s.open(r, 2)
			s.signal(r, "s", 11)
		})
		s.batch(r, 8, func() { // item 6, hold 13
			s.signal(r, "t", 12)
			s.open(r, 3, 11, 4)
			s.signal(r, "s", 13)
		})
		s.batch(r, 8, func() { // the loop ends; s13 runs
			s.open(r, 5, 6)
			s.signal(r, "t", 14)
		})
		s.batch(r, 8, func() { // the run ends
			s.open(r, 13)
		})
		got, err := s.result(r)
		if err != nil {
			t.Fatalf("interleave-foreach: %v", err)
		}
		wantResult(t, "interleave-foreach", got, `{"log":["s11","t10","s13","t12","s-done11","t14","loop","s-done13"],"loop":[[],[],[],["s11","t10"],["s11","t10"],["s11","t10","s13","t12"]]}`)
		return []recording{{"interleave-foreach", s.history(r)}}, ""
	})

	// 6. The steps end in the workflow task of a signal whose handler
	// runs steps; the run waits for it, and for the next one.
	s.record("interleave-finish", func() ([]recording, string) {
		r := s.start("interleave-finish", interleaveFinishDef)
		s.settle(r, 1)         // hold 1
		s.batch(r, 2, func() { // the steps end; hold 10
			s.signal(r, "t", 9)
			s.open(r, 1)
			s.signal(r, "s", 10, "t", 11)
		})
		s.batch(r, 3, func() { // hold 12
			s.open(r, 10)
			s.signal(r, "s", 12, "t", 13)
		})
		s.batch(r, 3, func() { // the run ends
			s.open(r, 12)
			s.signal(r, "t", 14)
		})
		got, err := s.result(r)
		if err != nil {
			t.Fatalf("interleave-finish: %v", err)
		}
		wantResult(t, "interleave-finish", got, `["s10","t9","t11","step","s12","t13","s-done10","t14","s-done12"]`)
		return []recording{{"interleave-finish", s.history(r)}}, ""
	})

	// 7. A handler returns or continues as new while the steps wait in an
	// await with a timeout, in the workflow task in which other signals
	// make the await's condition true.
	awaitTimer := func(h *historypb.History) bool {
		return idle(0, 0)(h) && countEvents(h, enumspb.EVENT_TYPE_TIMER_STARTED) == 1
	}
	s.record("interleave-await-return", func() ([]recording, string) {
		r := s.start("interleave-await-return", interleaveAwaitDef)
		s.waitFor(r, "the await's timer", awaitTimer)
		s.batch(r, 0, func() { // the run ends
			s.signal(r, "n", 1, "stop", 2, "n", 3)
		})
		got, err := s.result(r)
		if err != nil {
			t.Fatalf("interleave-await-return: %v", err)
		}
		wantResult(t, "interleave-await-return", got, `{"how":"return","log":["n1","n3","stop2","after-await:true"],"n":2}`)
		return []recording{{"interleave-await-return", s.history(r)}}, ""
	})
	// The new run passes the await at once (its state says done).
	s.record("interleave-await-can", func() ([]recording, string) {
		r := s.start("interleave-await-can", interleaveAwaitDef)
		s.waitFor(r, "the await's timer", awaitTimer)
		h := s.batch(r, 0, func() { // the run continues as new
			s.signal(r, "n", 1, "can", 2, "n", 3)
		})
		end := h.GetEvents()[len(h.GetEvents())-1]
		can := end.GetWorkflowExecutionContinuedAsNewEventAttributes()
		if can == nil {
			t.Fatalf("interleave-await-can: the run ended with %v, want continued as new", end.GetEventType())
		}
		next := &wfRun{id: r.id, runID: can.GetNewExecutionRunId(), run: r.run}
		s.settle(next, 1) // hold 1
		s.open(next, 1)
		got, err := s.result(r)
		if err != nil {
			t.Fatalf("interleave-await-can: %v", err)
		}
		wantResult(t, "interleave-await-can", got, `{"how":"output","log":["can2","n1","n3","after-await:true","after-await:true","end"],"n":2}`)
		return []recording{{"interleave-await-can-1", h}, {"interleave-await-can-2", s.history(next)}}, ""
	})

	// 8. The steps fail in the workflow task in which signals arrive, one
	// whose handler runs steps.
	s.record("interleave-fail", func() ([]recording, string) {
		r := s.start("interleave-fail", interleaveFailDef)
		s.settle(r, 1) // hold 1
		// the run fails:
		s.batch(r, 1, func() {
			s.signal(r, "t", 9)
			s.open(r, 1)
			s.signal(r, "s", 10, "t", 11)
		})
		_, err := s.result(r)
		wantError(t, "interleave-fail", err, "steps[2]: failed after s10,t9,t11,step")
		h := s.history(r)
		wantIDs(t, "interleave-fail", h, "s:", "s:s10,t9,t11,step")
		return []recording{{"interleave-fail", h}}, ""
	})
}
