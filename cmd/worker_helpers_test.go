package dslruncmd_test

import (
	"context"
	"testing"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/activities/builtin"
	"github.com/dslrun/dslrun/interpreter"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// startWorker dials the server at addr and starts an in-process worker on
// queue with the interpreter (serving defs by name; nil for none), the
// hand-written Go workflows "hand" and "hand-fan-out", the activity "inc" and the built-in
// activities. Client and worker stop when the test ends.
func startWorker(tb testing.TB, addr, queue string, defs interpreter.Definitions) client.Client {
	tb.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(handWrittenSteps, workflow.RegisterOptions{Name: "hand"})
	w.RegisterWorkflowWithOptions(handFanOut, workflow.RegisterOptions{Name: "hand-fan-out"})
	reg := activities.NewRegistry()
	if err := builtin.Register(reg); err != nil {
		tb.Fatal(err)
	}
	if err := reg.Register(activities.Spec{Name: "inc", Summary: "adds one"}, func(_ context.Context, v int) (int, error) { return v + 1, nil }); err != nil {
		tb.Fatal(err)
	}
	reg.Attach(w)
	interpreter.Register(w, interpreter.Options{Definitions: defs})
	if err := w.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.Stop)
	return c
}
