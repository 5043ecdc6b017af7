package interpreter

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// handWritten is the Go workflow the DSL is measured against: n sequential
// activities, each given its index.
func handWritten(ctx workflow.Context, n int) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var last int
	for i := range n {
		if err := workflow.ExecuteActivity(ctx, "inc", i).Get(ctx, &last); err != nil {
			return 0, err
		}
	}
	return last, nil
}

// sequentialDef is the same workflow in the DSL.
func sequentialDef(n int) string {
	var b strings.Builder
	b.WriteString("dsl: v1\nname: sequential\nsteps:\n")
	for i := range n {
		if i == n-1 {
			b.WriteString("  - id: last\n    activity: inc\n")
		} else {
			b.WriteString("  - activity: inc\n")
		}
		fmt.Fprintf(&b, "    with: %d\n", i)
	}
	b.WriteString("output: ${ steps.last.result }\n")
	return b.String()
}

func incActivity(_ context.Context, i int) (int, error) { return i + 1, nil }

func benchEnv() *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivityWithOptions(incActivity, activity.RegisterOptions{Name: "inc"})
	return env
}

func BenchmarkSequential(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("go/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				env := benchEnv()
				env.RegisterWorkflowWithOptions(handWritten, workflow.RegisterOptions{Name: "hand"})
				env.ExecuteWorkflow("hand", n)
				var got int
				if err := env.GetWorkflowResult(&got); err != nil || got != n {
					b.Fatalf("result %d, %v", got, err)
				}
			}
		})
		c := canonical(b, sequentialDef(n))
		envelope := &Envelope{Definition: c, Hash: dsl.Hash(c)}
		b.Run(fmt.Sprintf("dsl/n=%d", n), func(b *testing.B) {
			// One interpreter, as on a worker: its plan cache is warm after
			// the first run.
			in := newInterpreter(Options{})
			for b.Loop() {
				env := benchEnv()
				in.register(env)
				env.ExecuteWorkflow(WorkflowType, nil, envelope)
				var got int
				if err := env.GetWorkflowResult(&got); err != nil || got != n {
					b.Fatalf("result %d, %v", got, err)
				}
			}
		})
		b.Run(fmt.Sprintf("dsl-by-name/n=%d", n), func(b *testing.B) {
			in := newInterpreter(Options{Definitions: DefinitionsFunc(func(string) ([]byte, bool) { return c, true })})
			for b.Loop() {
				env := benchEnv()
				in.register(env)
				env.ExecuteWorkflow("sequential", nil)
				var got int
				if err := env.GetWorkflowResult(&got); err != nil || got != n {
					b.Fatalf("result %d, %v", got, err)
				}
			}
		})
	}
}
