// Package shape holds the workflows of the throughput benchmark
// (internal/throughput), each written twice: as a definition and as
// hand-written Go doing the same activity calls.
package shape

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

// activityTimeout is the start-to-close timeout of every activity, in both
// arms.
const activityTimeout = 10 * time.Second

// Shape is one workflow written twice: as a definition and as
// hand-written Go, calling the same activity (math.add) with the same
// inputs, in the same order and concurrency.
type Shape struct {
	Name  string
	About string
	// yaml is the definition; its name is the shape's.
	YAML string
	// input is the input of every run, in both arms.
	Input any
	// fn is the hand-written workflow, registered under GoType(Name).
	Fn any
	// want is the result of a run.
	Want any
	// weight divides the number of runs per arm (heavy shapes run fewer).
	Weight int
}

// GoType is the workflow type of the hand-written workflow of shape name.
func GoType(name string) string { return "go-" + name }

const defHead = `dsl: v1
name: %s
activity: {startToCloseTimeout: 10s}
`

// All returns every shape.
func All() []Shape {
	items := func(n int) map[string]any {
		l := make([]any, n)
		for i := range l {
			l[i] = i
		}
		return map[string]any{"items": l}
	}
	plus1 := func(n int) []any {
		l := make([]any, n)
		for i := range l {
			l[i] = float64(i + 1)
		}
		return l
	}
	return []Shape{
		{
			Name:  "seq5",
			About: "5 sequential activities",
			YAML: fmt.Sprintf(defHead, "seq5") + `steps:
  - {id: s1, activity: math.add, with: {a: 1, b: 1}}
  - {id: s2, activity: math.add, with: {a: "${ steps.s1.result }", b: 1}}
  - {id: s3, activity: math.add, with: {a: "${ steps.s2.result }", b: 1}}
  - {id: s4, activity: math.add, with: {a: "${ steps.s3.result }", b: 1}}
  - {id: s5, activity: math.add, with: {a: "${ steps.s4.result }", b: 1}}
output: ${ steps.s5.result }
`,
			Fn:     goSeq5,
			Want:   float64(6),
			Weight: 1,
		},
		{
			Name:  "parallel3",
			About: "3 parallel branches",
			YAML: fmt.Sprintf(defHead, "parallel3") + `steps:
  - id: all
    parallel:
      - - {id: a, activity: math.add, with: {a: 1, b: 1}}
      - - {id: b, activity: math.add, with: {a: 2, b: 1}}
      - - {id: c, activity: math.add, with: {a: 3, b: 1}}
output: ${ steps.all.result }
`,
			Fn:     goParallel3,
			Want:   []any{float64(2), float64(3), float64(4)},
			Weight: 1,
		},
		{
			Name:  "while10",
			About: "`while`, 10 iterations",
			YAML: fmt.Sprintf(defHead, "while10") + `state: {i: 0}
steps:
  - while: ${ state.i < 10 }
    do:
      - {id: add, activity: math.add, with: {a: "${ state.i }", b: 1}}
      - set: {i: "${ steps.add.result }"}
output: ${ state.i }
`,
			Fn:     goWhile10,
			Want:   float64(10),
			Weight: 1,
		},
		{
			Name:  "foreach10",
			About: "`forEach` 10 items, concurrency 1",
			YAML: fmt.Sprintf(defHead, "foreach10") + `steps:
  - id: each
    forEach: ${ input.items }
    do:
      - {id: add, activity: math.add, with: {a: "${ item }", b: 1}}
output: ${ steps.each.result }
`,
			Input:  items(10),
			Fn:     goForEach,
			Want:   plus1(10),
			Weight: 1,
		},
		{
			Name:  "foreach100",
			About: "`forEach` 100 items, concurrency 10 (Go: a 10-wide semaphore)",
			YAML: fmt.Sprintf(defHead, "foreach100") + `steps:
  - id: each
    forEach: ${ input.items }
    concurrency: 10
    do:
      - {id: add, activity: math.add, with: {a: "${ item }", b: 1}}
output: ${ steps.each.result }
`,
			Input:  items(100),
			Fn:     goFanOut10,
			Want:   plus1(100),
			Weight: 5,
		},
		{
			Name:   "setif20",
			About:  "20 `set`/`if` + 1 activity",
			YAML:   fmt.Sprintf(defHead, "setif20") + "state: {x: 0}\nsteps:\n" + strings.Repeat(setIf, 10) + setIfTail,
			Fn:     goSetIf20,
			Want:   float64(21),
			Weight: 1,
		},
	}
}

const setIf = `  - set: {x: "${ state.x + 1 }"}
  - if: ${ state.x % 2 == 1 }
    then:
      - set: {x: "${ state.x + 1 }"}
`

const setIfTail = `  - {id: add, activity: math.add, with: {a: "${ state.x }", b: 1}}
output: ${ steps.add.result }
`

// GoArgs are the arguments of the hand-written workflow: the input, if any.
func (s Shape) GoArgs() []any {
	if s.Input == nil {
		return nil
	}
	return []any{s.Input}
}

// Same reports whether a and b are the same JSON value.
func Same(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func actx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: activityTimeout})
}

type add struct {
	A any `json:"a"`
	B any `json:"b"`
}

func call(ctx workflow.Context, a any) workflow.Future {
	return workflow.ExecuteActivity(ctx, "math.add", add{A: a, B: 1})
}

func goSeq5(ctx workflow.Context) (any, error) {
	ctx = actx(ctx)
	var v any = 1
	for range 5 {
		if err := call(ctx, v).Get(ctx, &v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func goParallel3(ctx workflow.Context) (any, error) {
	ctx = actx(ctx)
	futs := []workflow.Future{call(ctx, 1), call(ctx, 2), call(ctx, 3)}
	out := make([]any, len(futs))
	for i, f := range futs {
		if err := f.Get(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func goWhile10(ctx workflow.Context) (any, error) {
	ctx = actx(ctx)
	i := 0
	for i < 10 {
		if err := call(ctx, i).Get(ctx, &i); err != nil {
			return nil, err
		}
	}
	return i, nil
}

type itemsInput struct {
	Items []any `json:"items"`
}

func goForEach(ctx workflow.Context, in itemsInput) (any, error) {
	ctx = actx(ctx)
	out := make([]any, len(in.Items))
	for i, it := range in.Items {
		if err := call(ctx, it).Get(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// goFanOut10 runs the items 10 at a time: a semaphore, a coroutine per
// item, a wait group.
func goFanOut10(ctx workflow.Context, in itemsInput) (any, error) {
	ctx = actx(ctx)
	out := make([]any, len(in.Items))
	sem := workflow.NewSemaphore(ctx, 10)
	wg := workflow.NewWaitGroup(ctx)
	var first error
	for i, it := range in.Items {
		if err := sem.Acquire(ctx, 1); err != nil {
			return nil, err
		}
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			defer sem.Release(1)
			if err := call(ctx, it).Get(ctx, &out[i]); err != nil && first == nil {
				first = err
			}
		})
	}
	wg.Wait(ctx)
	if first != nil {
		return nil, first
	}
	return out, nil
}

func goSetIf20(ctx workflow.Context) (any, error) {
	ctx = actx(ctx)
	x := 0
	for range 10 {
		x++
		if x%2 == 1 {
			x++
		}
	}
	var v any
	if err := call(ctx, x).Get(ctx, &v); err != nil {
		return nil, err
	}
	return v, nil
}
