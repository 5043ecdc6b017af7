package interpreter

import (
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
)

// awaitCanDef waits at two top-level awaits, the second with a timeout;
// signals and updates change its state, the update addSlowly after half
// an hour of work.
const awaitCanTestDef = `
dsl: v1
name: await-can
state: {n: 0, done: false}
signals:
  add:
    set: {n: "${ state.n + args }"}
updates:
  add:
    do:
      - set: {n: "${ state.n + args }"}
    return: ${ state.n }
  addSlowly:
    do:
      - sleep: 30m
      - set: {n: "${ state.n + args }"}
    return: ${ state.n }
  close:
    do:
      - set: {done: true}
steps:
  - await: ${ state.n >= 3 }
  - id: open
    await: ${ state.done }
    timeout: 10h
output: '${ {n: state.n, open: steps.open.result} }'
`

// message is a signal or an update sent to whichever run is current.
type message struct {
	update bool
	name   string
	arg    any
}

// send delivers m to the run of h; an update's outcome goes to results.
func (m message) send(h *harness, results map[string]any) {
	if !m.update {
		h.env.SignalWorkflow(m.name, m.arg)
		return
	}
	id := fmt.Sprintf("%s-%v-%d", m.name, m.arg, len(results))
	results[id] = nil
	h.env.UpdateWorkflow(m.name, id, &testsuite.TestUpdateCallback{
		OnReject: func(err error) { results[id] = err },
		OnAccept: func() {},
		OnComplete: func(v any, err error) {
			if err != nil {
				results[id] = err
				return
			}
			results[id] = fmt.Sprint(v) // a nil result is no result yet
		},
	}, m.arg)
}

// TestAwaitContinuesAsNew (issue 11): with continue-as-new due (Temporal
// suggests it from the start of every run), an await at the top level
// continues as new once a message came and its condition does not hold,
// never while a handler runs; an await whose condition a message made true
// goes on instead (and the run continues as new before its next step, as
// before). Every message's effect is carried; the timeout's deadline is
// carried, so the last run waits only what is left of it.
func TestAwaitContinuesAsNew(t *testing.T) {
	type timed struct {
		message
		after time.Duration // after the previous message, or the run's start
	}
	sig := func(n int, after time.Duration) timed { return timed{message{name: "add", arg: n}, after} }
	upd := func(name string, n int, after time.Duration) timed {
		return timed{message{update: true, name: name, arg: n}, after}
	}
	type can struct {
		n, next  int  // the carried n, the step the next run starts at
		deadline bool // whether the await's deadline is carried
	}
	for _, tt := range []struct {
		name     string
		messages []timed
		want     any
		cans     []can
		// left is how long the last run waits for its timeout (0: not
		// timed out).
		left time.Duration
	}{
		{
			name:     "one message a run",
			messages: []timed{sig(1, time.Hour), sig(1, time.Hour), upd("add", 1, time.Hour), upd("add", 1, time.Hour), upd("close", 0, time.Hour)},
			want:     map[string]any{"n": 4, "open": true},
			// The third message makes the first await hold: the run
			// continues as new between the steps.
			cans: []can{{1, 0, false}, {2, 0, false}, {3, 1, false}, {4, 1, true}},
		},
		{
			name: "a handler running",
			// addSlowly runs from 1h to 1h30m; the signal at 1h10m wakes
			// the await, which waits for the handler to end.
			messages: []timed{upd("addSlowly", 1, time.Hour), sig(1, 10*time.Minute), sig(1, time.Hour), upd("close", 0, time.Hour)},
			want:     map[string]any{"n": 3, "open": true},
			cans:     []can{{2, 0, false}, {3, 1, false}},
		},
		{
			name:     "timeout carried",
			messages: []timed{sig(3, time.Hour), sig(1, time.Hour)},
			want:     map[string]any{"n": 4, "open": false},
			cans:     []can{{3, 1, false}, {4, 1, true}},
			// The second await starts when the second run does; the
			// message comes 1 h later: 9 h of the 10 h are left.
			left: 9 * time.Hour,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			results := map[string]any{}
			next := 0 // the first message not sent
			var started time.Time
			h, carries := chain(t, awaitCanTestDef, nil, func(h *harness, run int) {
				h.env.SetContinueAsNewSuggested(true)
				started = h.env.Now()
				at := time.Duration(0)
				for i := next; i < len(tt.messages); i++ {
					at += tt.messages[i].after
					h.env.RegisterDelayedCallback(func() {
						next = i + 1
						tt.messages[i].send(h, results)
					}, at)
				}
			})
			wantEqual(t, fmt.Sprint(h.result()), fmt.Sprint(tt.want))
			var got []can
			for _, c := range carries {
				got = append(got, can{num(c.State["n"]), c.Next, c.Await != nil})
				if c.Await != nil && fmt.Sprint(c.Await.At) != "[1]" {
					t.Errorf("the await carried at %v, want [1]", c.Await.At)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.cans) {
				t.Errorf("continue-as-news {n next deadline}: %v, want %v", got, tt.cans)
			}
			for id, r := range results {
				if _, ok := r.(error); ok || r == nil {
					t.Errorf("update %s: %v", id, r)
				}
			}
			if d := h.env.Now().Sub(started); tt.left > 0 && d != tt.left {
				t.Errorf("the last run waited %v for the timeout, want %v", d, tt.left)
			}
		})
	}
}

// TestAwaitContinuesAsNewDeadlineKept: every run of a chain carries the
// same deadline, the one of the await's first run, and the last one times
// out there.
func TestAwaitContinuesAsNewDeadlineKept(t *testing.T) {
	var first time.Time
	h, carries := chain(t, awaitCanTestDef, nil, func(h *harness, run int) {
		h.env.SetContinueAsNewSuggested(true)
		switch {
		case run == 0:
			first = h.env.Now()
			h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow("add", 3) }, time.Hour)
		case run < 4:
			h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow("add", 0) }, 2*time.Hour)
		}
	})
	deadline := first.Add(11 * time.Hour) // the second run starts at 1h
	if len(carries) != 4 {
		t.Fatalf("%d continue-as-news, want 4", len(carries))
	}
	for i, c := range carries[1:] {
		if c.Await == nil || !c.Await.Deadline.Equal(deadline) {
			t.Errorf("continue-as-new %d carried %+v, want the deadline %v", i+1, c.Await, deadline)
		}
	}
	wantEqual(t, fmt.Sprint(h.result()), fmt.Sprint(map[string]any{"n": 3, "open": false}))
	if !h.env.Now().Equal(deadline) {
		t.Errorf("the last run ended at %v, want the deadline %v", h.env.Now(), deadline)
	}
}

// TestAwaitStaysWhereNotResumable: an await inside race (or with
// continueAsNew disabled) keeps waiting in the same run, however often
// continue-as-new is suggested.
func TestAwaitStaysWhereNotResumable(t *testing.T) {
	for _, def := range []string{`
dsl: v1
name: in-race
state: {n: 0}
signals:
  add: {set: {n: "${ state.n + args }"}}
steps:
  - race:
      - - await: ${ state.n >= 3 }
      - - sleep: 1d
output: ${ state.n }
`, `
dsl: v1
name: disabled
state: {n: 0}
continueAsNew: {disabled: true}
signals:
  add: {set: {n: "${ state.n + args }"}}
steps:
  - await: ${ state.n >= 3 }
output: ${ state.n }
`} {
		h := newHarness(t)
		h.env.SetContinueAsNewSuggested(true)
		for i := range 3 {
			h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow("add", 1) }, time.Duration(i+1)*time.Hour)
		}
		h.run(def, nil)
		wantEqual(t, h.result(), 3)
	}
}
