package interpreter

import (
	"testing"
	"time"
)

func TestSleepDurations(t *testing.T) {
	const def = `
dsl: v1
name: sleep
steps:
  - sleep: 90m
  - sleep: ${ input.wait }
  - sleep: 1d
output: ${ workflow.now }
`
	h := newHarness(t)
	h.run(def, map[string]any{"wait": "30m"})
	got, err := time.Parse(time.RFC3339Nano, h.result().(string))
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Sub(h.start); d != 26*time.Hour {
		t.Fatalf("slept %v, want 26h", d)
	}
}

func TestSleepUntil(t *testing.T) {
	const def = `
dsl: v1
name: until
steps:
  - sleepUntil: ${ input.at }
  - sleepUntil: 2000-01-01T00:00:00Z
output: ${ workflow.now }
`
	h := newHarness(t)
	at := h.start.Add(3 * time.Hour).UTC().Truncate(time.Second)
	h.run(def, map[string]any{"at": at.Format(time.RFC3339)})
	got, err := time.Parse(time.RFC3339Nano, h.result().(string))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(at) {
		t.Fatalf("woke at %v, want %v", got, at)
	}
}

func TestSleepBadDurationIsExpressionError(t *testing.T) {
	const def = `
dsl: v1
name: bad-sleep
steps:
  - sleep: ${ input.wait }
`
	h := newHarness(t)
	h.run(def, map[string]any{"wait": 5})
	h.wantFailure(ExpressionErrorType, "steps[0]", "duration")
}

const awaitDef = `
dsl: v1
name: await
state: {approved: false}
signals:
  approve:
    set:
      approved: true
      by: ${ args.by }
steps:
  - sleep: 1h
  - id: ok
    await: ${ state.approved }
    timeout: 24h
output: '${ {ok: steps.ok.result, by: state.by} }'
`

func TestAwaitSeesSignalSentBeforeTheWait(t *testing.T) {
	h := newHarness(t)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow("approve", map[string]any{"by": "ops"})
	}, 10*time.Minute)
	h.run(awaitDef, nil)
	wantEqual(t, h.result(), map[string]any{"ok": true, "by": "ops"})
	if d := h.env.Now().Sub(h.start); d != time.Hour {
		t.Fatalf("run took %v, want 1h (the await should not wait)", d)
	}
}

func TestAwaitSignalDuringWait(t *testing.T) {
	h := newHarness(t)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow("approve", map[string]any{"by": "late"})
	}, 5*time.Hour)
	h.run(awaitDef, nil)
	wantEqual(t, h.result(), map[string]any{"ok": true, "by": "late"})
	if d := h.env.Now().Sub(h.start); d != 5*time.Hour {
		t.Fatalf("run took %v, want 5h", d)
	}
}

func TestAwaitTimeout(t *testing.T) {
	h := newHarness(t)
	h.run(awaitDef, nil)
	wantEqual(t, h.result(), map[string]any{"ok": false, "by": nil})
	if d := h.env.Now().Sub(h.start); d != 25*time.Hour {
		t.Fatalf("run took %v, want 25h", d)
	}
}
