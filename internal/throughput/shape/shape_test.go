package shape

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/activities"
	_ "github.com/dslrun/dslrun/activities/builtin" // math.add
	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/dslrun/dslrun/interpreter"
)

// TestShapes is the benchmark's smoke check, in the default test run: each
// shape's definition is valid, and it and the hand-written workflow give
// the expected result with the same activity calls, on the SDK's test
// environment (no server).
func TestShapes(t *testing.T) {
	for _, s := range All() {
		t.Run(s.Name, func(t *testing.T) {
			r := validate.Source(s.Name+".yaml", []byte(s.YAML), activities.Default())
			if !r.Valid() {
				t.Fatalf("definition: %v", r.Diagnostics)
			}
			if err := r.Canonicalize(); err != nil {
				t.Fatal(err)
			}
			st, err := interpreter.NewStart(r.Definition, s.Input, interpreter.StartOptions{ID: "x"})
			if err != nil {
				t.Fatal(err)
			}
			calls := map[string]int{}
			for _, arm := range []string{"go", "dsl"} {
				var ts testsuite.WorkflowTestSuite
				ts.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
				env := ts.NewTestWorkflowEnvironment()
				// A bound against a hang, not a clock a busy machine trips.
				env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 5 * time.Minute})
				activities.Default().Attach(env)
				env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) { calls[arm]++ })
				if arm == "go" {
					env.RegisterWorkflowWithOptions(s.Fn, workflow.RegisterOptions{Name: GoType(s.Name)})
					env.ExecuteWorkflow(GoType(s.Name), s.GoArgs()...)
				} else {
					interpreter.Register(env, interpreter.Options{})
					env.ExecuteWorkflow(st.WorkflowType, st.Args...)
				}
				if err := env.GetWorkflowError(); err != nil {
					t.Fatalf("%s: %v", arm, err)
				}
				var got any
				if err := env.GetWorkflowResult(&got); err != nil {
					t.Fatal(err)
				}
				if !Same(got, s.Want) {
					t.Errorf("%s: result %v, want %v", arm, got, s.Want)
				}
			}
			if calls["go"] != calls["dsl"] || calls["go"] == 0 {
				t.Errorf("activity calls: go %d, dsl %d", calls["go"], calls["dsl"])
			}
		})
	}
}
