package devserver

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// orphanedChildren is how many children parentWorkflow leaves running: more
// than the server's threshold (10) above which a system workflow of the
// worker service, not the history service, closes them.
const orphanedChildren = 12

// parentWorkflow starts orphanedChildren children that wait for a signal
// that never comes, under the TERMINATE parent close policy, and returns
// once they have all started.
func parentWorkflow(ctx workflow.Context, prefix string) error {
	var started []workflow.Future
	for i := range orphanedChildren {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:        prefix + "-" + strconv.Itoa(i),
			ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_TERMINATE,
		})
		started = append(started, workflow.ExecuteChildWorkflow(cctx, waitWorkflow).GetChildWorkflowExecution())
	}
	for _, f := range started {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// waitWorkflow waits for a "done" signal.
func waitWorkflow(ctx workflow.Context) error {
	workflow.GetSignalChannel(ctx, "done").Receive(ctx, nil)
	return nil
}

// TestEphemeral runs a workflow with an activity on an ephemeral server,
// which has no worker service, and checks that the children a closing
// parent leaves behind are still terminated (by the history service).
func TestEphemeral(t *testing.T) {
	ctx := testContext(t)
	srv, err := Start(ctx, Options{Ephemeral: true})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	c := dial(t, srv)
	defer c.Close()
	w := worker.New(c, t.Name(), worker.Options{})
	w.RegisterWorkflow(greetWorkflow)
	w.RegisterActivity(greet)
	w.RegisterWorkflow(parentWorkflow)
	w.RegisterWorkflow(waitWorkflow)
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	defer w.Stop()

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: t.Name()}, greetWorkflow, "dslrun")
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	if got != "hello dslrun" {
		t.Errorf("result = %q, want %q", got, "hello dslrun")
	}

	prefix := "child-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	parent, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: t.Name()}, parentWorkflow, prefix)
	if err != nil {
		t.Fatalf("start parent: %v", err)
	}
	if err := parent.Get(ctx, nil); err != nil {
		t.Fatalf("parent: %v", err)
	}
	for i := range orphanedChildren {
		id := prefix + "-" + strconv.Itoa(i)
		err := c.GetWorkflow(ctx, id, "").Get(ctx, nil)
		var terminated *temporal.TerminatedError
		if !errors.As(err, &terminated) {
			t.Errorf("child %s ended with %v, want it terminated with its parent", id, err)
		}
	}
}

// TestEphemeralRefusesFile checks that an ephemeral server needs an
// in-memory database.
func TestEphemeralRefusesFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	s, err := Start(context.Background(), Options{Ephemeral: true, DBFile: db})
	if err == nil {
		_ = s.Stop()
		t.Fatal("Start with Ephemeral and DBFile succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "cannot use a database file") {
		t.Errorf("error = %q, want it to say it cannot use a database file", err)
	}
}
