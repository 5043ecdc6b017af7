package interpreter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"
)

// chain runs def like dslrun apply and then every run it continues as new
// into, until one ends; setup prepares each run's harness, given the
// run's position in the chain (from 0). It returns the last harness and
// the carries of the continue-as-news.
func chain(t *testing.T, def string, input any, setup func(h *harness, run int)) (*harness, []*Carry) {
	t.Helper()
	h := newHarness(t)
	setup(h, 0)
	h.run(def, input)
	var carries []*Carry
	for run := 1; ; run++ {
		var can *workflow.ContinueAsNewError
		if !errors.As(h.env.GetWorkflowError(), &can) {
			return h, carries
		}
		if run > 500 {
			t.Fatalf("more than 500 runs")
		}
		in, env := continueAsNew(t, h)
		carries = append(carries, env.Carry)
		end := h.env.Now()
		h = newHarness(t)
		h.env.SetStartTime(end) // workflow time goes on where the run ended
		setup(h, run)
		h.env.ExecuteWorkflow(WorkflowType, in, &env)
	}
}

// TestForEachContinuesAsNew (issue 11, case 4): a forEach at the top level
// continues as new between its iterations once continue-as-new is due
// (here Temporal suggests it 2.5 s into the first run), the concurrent one
// after the iterations it started have ended; the next run resumes the
// loop at its next item with the results so far. Every item runs exactly
// once and the result is the one of a run without continue-as-new. Items
// that read nothing but the input are evaluated again rather than carried;
// items read from state are carried.
func TestForEachContinuesAsNew(t *testing.T) {
	const def = `
dsl: v1
name: fe-can
state: {list: [4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], total: 0}
steps:
  - log: start
  - id: each
    forEach: %s
    concurrency: %d
    do:
      - sleep: ${ string(item) + "s" }
      - set: {total: "${ state.total + item }"}
      - activity: work
        with: ${ index }
  - log: end
output: '${ {results: steps.each.result, total: state.total} }'
`
	input := map[string]any{"items": []any{4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}}
	for _, tt := range []struct {
		name        string
		items       string
		concurrency int
		carried     bool
		next        int // the item the second run starts at
	}{
		// Sequential: due during item 0 (4 s), the loop stops before item 1.
		{"sequential, items from input", "${ input.items }", 1, false, 1},
		{"sequential, items from state", "${ state.list }", 1, true, 1},
		// Concurrent: items 1 to 6 end at 1, 2 and 3 s; at 3 s the free
		// slot finds continue-as-new due, so item 7 is not started and the
		// run waits for item 0 (4 s) before it continues as new.
		{"concurrent, items from input", "${ input.items }", 3, false, 7},
		{"concurrent, items from state", "${ state.list }", 3, true, 7},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := fmt.Sprintf(def, tt.items, tt.concurrency)
			var mu sync.Mutex
			calls := map[int]int{}
			work := func(_ context.Context, i int) (int, error) {
				mu.Lock()
				defer mu.Unlock()
				calls[i]++
				return i * 10, nil
			}
			plain := newHarness(t)
			plain.activity("work", work)
			plain.run(src, input)
			want := plain.result()
			clear(calls)

			h, carries := chain(t, src, input, func(h *harness, run int) {
				h.activity("work", work)
				if run == 0 {
					h.env.RegisterDelayedCallback(func() { h.env.SetContinueAsNewSuggested(true) }, 2500*time.Millisecond)
				}
			})
			wantEqual(t, h.result(), want)
			if len(carries) != 1 {
				t.Fatalf("%d continue-as-news, want 1", len(carries))
			}
			l := carries[0].Loop
			if l == nil || fmt.Sprint(l.At) != "[1]" || l.Next != tt.next || len(l.Results) != tt.next || carries[0].Next != 1 {
				t.Fatalf("carry %+v, loop %+v: want the loop at [1] resumed at item %d with %d results", carries[0], l, tt.next, tt.next)
			}
			if (l.Items != nil) != tt.carried || (tt.carried && len(l.Items) != 12-tt.next) {
				t.Errorf("carried items %v, want carried: %v (the rest only)", l.Items, tt.carried)
			}
			for i := range 12 {
				if calls[i] != 1 {
					t.Errorf("item %d ran %d times, want once (%v)", i, calls[i], calls)
				}
			}
		})
	}
}

// TestForEachContinuesAsNewInsideWhile: a forEach nested in a while at the
// top level resumes there too, and runs again from its first item in the
// next iteration of the loop.
func TestForEachContinuesAsNewInsideWhile(t *testing.T) {
	const def = `
dsl: v1
name: fe-while
state: {round: 0, sum: 0}
steps:
  - while: ${ state.round < 3 }
    do:
      - forEach: [1, 2, 3]
        concurrency: 2
        do:
          - sleep: 1s
          - set: {sum: "${ state.sum + item * (state.round + 1) }"}
      - set: {round: "${ state.round + 1 }"}
output: ${ state.sum }
`
	h, carries := chain(t, def, nil, func(h *harness, _ int) { h.env.SetContinueAsNewSuggested(true) })
	wantEqual(t, h.result(), 36) // 6 × (1 + 2 + 3)
	loops := 0
	for _, c := range carries {
		if c.Loop != nil {
			loops++
			if fmt.Sprint(c.Loop.At) != "[0 0 0]" {
				t.Errorf("loop carried at %v, want [0 0 0]", c.Loop.At)
			}
		}
	}
	if loops == 0 {
		t.Fatalf("no run continued as new inside the forEach: %d carries", len(carries))
	}
}

// TestHistoryGuard (issue 11, case 4): where automatic continue-as-new is
// not taken, here a forEach inside a parallel branch, a run whose history
// passes the guard fails with LimitExceeded, non-retryable, naming the
// step, and its finally still runs; Temporal would otherwise terminate it
// at 51,200 events with no finally.
func TestHistoryGuard(t *testing.T) {
	const def = `
dsl: v1
name: guard
state: {cleaned: false}
steps:
  - try:
      - parallel:
          - - forEach: ${ 1..10 }
              do:
                - sleep: 1s
          - - sleep: 1h
    finally:
      - activity: cleanup
`
	h := newHarness(t)
	cleaned := 0
	h.activity("cleanup", func(context.Context) error { cleaned++; return nil })
	h.env.RegisterDelayedCallback(func() { h.env.SetCurrentHistoryLength(maxHistoryEvents + 1) }, 3500*time.Millisecond)
	h.run(def, nil)
	app := h.wantFailure(LimitExceededType, "steps[0].try[0].parallel[0][0].do[0]", "over the limit of 40960", "cannot continue as new")
	if !app.NonRetryable() {
		t.Error("LimitExceeded is retryable")
	}
	if cleaned != 1 {
		t.Errorf("finally ran its activity %d times, want once", cleaned)
	}
}

// TestForEachResultsNone: with results: none a forEach keeps no iteration
// results: its result is null, a continue-as-new inside it carries none,
// and every item still runs once, sequential or concurrent, with a body of
// one activity or more steps.
func TestForEachResultsNone(t *testing.T) {
	const def = `
dsl: v1
name: fe-none
state: {total: 0}
steps:
  - id: each
    forEach: ${ 1..12 }
    concurrency: %d
    results: none
    do:
%s
output: '${ {result: steps.each.result, total: state.total} }'
`
	bodies := map[string]string{
		"one activity": `      - activity: work
        with: ${ item }`,
		"steps": `      - id: w
        activity: work
        with: ${ item }
      - set: {total: "${ state.total + steps.w.result }"}`,
	}
	for _, concurrency := range []int{1, 3} {
		for name, body := range bodies {
			t.Run(fmt.Sprintf("%s, concurrency %d", name, concurrency), func(t *testing.T) {
				var mu sync.Mutex
				calls := map[int]int{}
				work := func(_ context.Context, i int) (int, error) {
					mu.Lock()
					defer mu.Unlock()
					calls[i]++
					return i * 10, nil
				}
				h, carries := chain(t, fmt.Sprintf(def, concurrency, body), nil, func(h *harness, _ int) {
					h.activity("work", work)
					h.env.SetContinueAsNewSuggested(true)
				})
				got, _ := h.result().(map[string]any)
				if got == nil || got["result"] != nil {
					t.Errorf("result %v, want the forEach's result null", h.result())
				}
				if name == "steps" && num(got["total"]) != 780 {
					t.Errorf("total %v, want 780 (each iteration's steps.w)", got["total"])
				}
				loops := 0
				for _, c := range carries {
					if c.Loop != nil {
						loops++
						if c.Loop.Results != nil {
							t.Errorf("carried %d results, want none", len(c.Loop.Results))
						}
					}
				}
				if loops == 0 {
					t.Fatalf("no run continued as new inside the forEach (%d carries)", len(carries))
				}
				for i := 1; i <= 12; i++ {
					if calls[i] != 1 {
						t.Errorf("item %d ran %d times, want once (%v)", i, calls[i], calls)
					}
				}
			})
		}
	}
}
