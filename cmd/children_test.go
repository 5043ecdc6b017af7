package dslruncmd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

	dslruncmd "github.com/dslrun/dslrun/cmd"
)

// TestChildChainApplies (issue 11, case 3): ten files, each starting the
// next six times by file. Its canonical form grew six-fold a level, so
// apply refused it (and, before that check, Temporal refused the start:
// "Blob data size exceeds limit"). Each child definition is now stored
// once: apply starts it, and a worker that knows no definition runs the
// chain down to the leaf, each level from the definition its parent sent
// (followed here through the ChildWorkflowExecutionStarted events, the
// first child of each level), before the top run is terminated.
func TestChildChainApplies(t *testing.T) {
	const levels = 10
	dir := t.TempDir()
	for i := range levels {
		var b strings.Builder
		fmt.Fprintf(&b, "dsl: v1\nname: chain%d\nsteps:\n", i)
		if i == levels-1 {
			b.WriteString("  - log: leaf\noutput: leaf\n")
		} else {
			for range 6 {
				fmt.Fprintf(&b, "  - child: {file: chain%d.yaml}\n", i+1)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("chain%d.yaml", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	addr := sharedServer(t)
	queue := "q-child-chain"
	c := startWorker(t, addr, queue, nil)
	const id = "child-chain"
	mustRun(t, dslruncmd.ExitOK, "apply", filepath.Join(dir, "chain0.yaml"), "--address", addr, "--task-queue", queue, "--id", id, "--detach", "-q")
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	t.Cleanup(func() { _ = c.TerminateWorkflow(context.Background(), id, "", "test over") })

	cur := id
	for level := 1; level < levels; level++ {
		next, typ := "", ""
		it := c.GetWorkflowHistory(ctx, cur, "", true, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for next == "" && it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatalf("history of %s: %v", cur, err)
			}
			if a := e.GetChildWorkflowExecutionStartedEventAttributes(); a != nil {
				next, typ = a.GetWorkflowExecution().GetWorkflowId(), a.GetWorkflowType().GetName()
			}
			if a := e.GetWorkflowExecutionFailedEventAttributes(); a != nil {
				t.Fatalf("%s failed: %v", cur, a.GetFailure())
			}
		}
		if next == "" {
			t.Fatalf("%s closed without starting a child", cur)
		}
		if want := fmt.Sprintf("chain%d", level); typ != want {
			t.Fatalf("level %d: child of type %q, want %q", level, typ, want)
		}
		cur = next
	}
	var out string
	if err := c.GetWorkflow(ctx, cur, "").Get(ctx, &out); err != nil || out != "leaf" {
		t.Fatalf("the leaf %s: %q, %v", cur, out, err)
	}
}
