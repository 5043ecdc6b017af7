package interpreter

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

const entityDef = `
dsl: v1
name: entity
state:
  points: 0
  status: starting
signals:
  stop:
    set: {stopped: true}
  ping:
    do:
      - id: pong
        activity: record
        with: ${ args }
  "*":
    set:
      lastOther: ${ handler.name + ":" + string(args) }
queries:
  points: ${ state.points }
  plus: ${ state.points + args }
updates:
  addPoints:
    args:
      type: object
      required: [points]
      properties:
        points: {type: integer}
    validate: ${ args.points > 0 }
    do:
      - set:
          points: ${ state.points + args.points }
    return: ${ state.points }
steps:
  - set: {status: working}
  - id: long
    activity: long
  - await: ${ state.stopped == true }
output: '${ {points: state.points, lastOther: state.lastOther} }'
`

func TestQueryDuringLongActivity(t *testing.T) {
	h := newHarness(t)
	var snap, points, plus any
	var qerr error
	h.activity("long", func(context.Context) (string, error) {
		// The workflow is blocked on this activity: query it now.
		v, err := h.env.QueryWorkflow(StateQuery)
		if err == nil {
			err = v.Get(&snap)
		}
		if err == nil {
			if v, err = h.env.QueryWorkflow("points"); err == nil {
				err = v.Get(&points)
			}
		}
		if err == nil {
			if v, err = h.env.QueryWorkflow("plus", 5); err == nil {
				err = v.Get(&plus)
			}
		}
		qerr = err
		return "done", nil
	})
	h.activity("record", echoActivity)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow("stop", nil) }, time.Minute)
	h.run(entityDef, nil)
	h.result()
	if qerr != nil {
		t.Fatalf("query: %v", qerr)
	}
	s := snap.(map[string]any)
	wantEqual(t, s["state"], map[string]any{"points": float64(0), "status": "working"})
	wantEqual(t, s["current"], []any{"steps[1]"})
	wantEqual(t, points, float64(0))
	wantEqual(t, plus, float64(5))
}

func TestUpdates(t *testing.T) {
	h := newHarness(t)
	h.activity("long", func(context.Context) error { return nil })
	type outcome struct {
		rejected error
		result   any
		err      error
	}
	results := map[string]*outcome{}
	update := func(id string, arg any) {
		o := &outcome{}
		results[id] = o
		h.env.UpdateWorkflow("addPoints", id, &testsuite.TestUpdateCallback{
			OnReject: func(err error) { o.rejected = err },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				o.result, o.err = v, err
			},
		}, arg)
	}
	h.env.RegisterDelayedCallback(func() { update("good", map[string]any{"points": 5}) }, time.Minute)
	h.env.RegisterDelayedCallback(func() { update("negative", map[string]any{"points": -1}) }, 2*time.Minute)
	h.env.RegisterDelayedCallback(func() { update("schema", map[string]any{"points": "many"}) }, 3*time.Minute)
	h.env.RegisterDelayedCallback(func() { update("good2", map[string]any{"points": 7}) }, 4*time.Minute)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow("stop", nil) }, 5*time.Minute)
	h.run(entityDef, nil)
	wantEqual(t, h.result().(map[string]any)["points"], 12)

	for id, want := range map[string]float64{"good": 5, "good2": 12} {
		o := results[id]
		if o.rejected != nil || o.err != nil {
			t.Fatalf("update %s: rejected %v, error %v", id, o.rejected, o.err)
		}
		if num(o.result) != int(want) {
			t.Errorf("update %s returned %v, want %v", id, o.result, want)
		}
	}
	for _, id := range []string{"negative", "schema"} {
		var app *temporal.ApplicationError
		if !errors.As(results[id].rejected, &app) || app.Type() != UpdateRejectedType {
			t.Errorf("update %s: rejection %v, want %s", id, results[id].rejected, UpdateRejectedType)
		}
	}
}

func TestSignalDoAndCatchAll(t *testing.T) {
	h := newHarness(t)
	h.activity("long", func(context.Context) error { return nil })
	var recorded atomic.Int32
	h.activity("record", func(_ context.Context, v any) (any, error) {
		recorded.Add(1)
		return v, nil
	})
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow("ping", 1)
		h.env.SignalWorkflow("ping", 2)
		h.env.SignalWorkflow("surprise", 42)
	}, time.Minute)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow("stop", nil) }, 2*time.Minute)
	h.run(entityDef, nil)
	got := h.result().(map[string]any)
	wantEqual(t, got["lastOther"], "surprise:42")
	if recorded.Load() != 2 {
		t.Fatalf("signal do ran %d times, want 2", recorded.Load())
	}
}

func TestRunWaitsForSignalHandlers(t *testing.T) {
	const def = `
dsl: v1
name: late-signal
signals:
  note:
    do:
      - sleep: 2h
      - activity: record
steps:
  - sleep: 1h
`
	h := newHarness(t)
	var recorded atomic.Int32
	h.activity("record", func(context.Context) error {
		recorded.Add(1)
		return nil
	})
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow("note", nil) }, 59*time.Minute)
	h.run(def, nil)
	h.result()
	if recorded.Load() != 1 {
		t.Fatalf("the signal's do ran %d times, want 1 before the run completed", recorded.Load())
	}
	if d := h.env.Now().Sub(h.start); d != 2*time.Hour+59*time.Minute {
		t.Fatalf("the run ended after %v, want 2h59m (when the handler finished)", d)
	}
}

func TestSignalHandlerFailureEndsRun(t *testing.T) {
	const def = `
dsl: v1
name: signal-fail
signals:
  explode:
    do:
      - fail:
          message: ${ "bad " + args }
          type: Exploded
steps:
  - try:
      - sleep: 1h
    finally:
      - activity: cleanup
`
	h := newHarness(t)
	var cleanup atomic.Int32
	h.activity("cleanup", func(context.Context) error { cleanup.Add(1); return nil })
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow("explode", "news") }, time.Minute)
	h.run(def, nil)
	h.wantFailure("Exploded", "signals.explode.do[0]: bad news")
	if cleanup.Load() != 1 {
		t.Errorf("finally ran %d times, want 1", cleanup.Load())
	}
}
