package interpreter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// resultCatcher records what the replayed workflow function returned.
type resultCatcher struct {
	interceptor.WorkerInterceptorBase
	result any
	err    error
}

func (c *resultCatcher) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &resultInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, c: c}
}

type resultInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	c *resultCatcher
}

func (i *resultInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	res, err := i.Next.ExecuteWorkflow(ctx, in)
	i.c.result, i.c.err = res, err
	return res, err
}

// TestReplayResults replays every recorded history that ended in
// completion and requires the replayed run to return exactly the recorded
// result. A replay checks the commands a run issues, not the values it
// computes: a change in the order in which handlers and steps see the
// state (a signal handled after a step instead of before it) can issue the
// same commands and still change the result; this test sees it. Likewise a
// history that ended in failure must replay to the same failure (messages
// and types, causes included), and one that continued as new to the same
// input of the new run (its carried state).
func TestReplayResults(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, path := range files {
		h := loadHistory(t, path)
		events := h.GetEvents()
		last := events[len(events)-1]
		done := last.GetWorkflowExecutionCompletedEventAttributes()
		failed := last.GetWorkflowExecutionFailedEventAttributes()
		continued := last.GetWorkflowExecutionContinuedAsNewEventAttributes()
		if done == nil && failed == nil && continued == nil {
			continue
		}
		c := &resultCatcher{}
		r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
			DisableDeadlockDetection: true,
			Interceptors:             []interceptor.WorkerInterceptor{c},
		})
		if err != nil {
			t.Fatal(err)
		}
		Register(r, Options{})
		var opts worker.ReplayWorkflowHistoryOptions
		if a := events[0].GetWorkflowExecutionStartedEventAttributes(); a != nil {
			opts.OriginalExecution = workflow.Execution{ID: a.GetWorkflowId(), RunID: a.GetOriginalExecutionRunId()}
		}
		if err := r.ReplayWorkflowHistoryWithOptions(log.NewStructuredLogger(slog.New(slog.DiscardHandler)), h, opts); err != nil {
			t.Errorf("%s: replay: %v", filepath.Base(path), err)
			continue
		}
		if failed != nil {
			if c.err == nil {
				t.Errorf("%s: the replay completed where the run failed", filepath.Base(path))
				continue
			}
			got := failureText(temporal.GetDefaultFailureConverter().ErrorToFailure(c.err))
			if want := failureText(failed.GetFailure()); got != want {
				t.Errorf("%s: the replay failed with\n%s\nthe run with\n%s", filepath.Base(path), got, want)
			}
			checked++
			continue
		}
		if continued != nil {
			var can *workflow.ContinueAsNewError
			if !errors.As(c.err, &can) {
				t.Errorf("%s: the replay ended with %v where the run continued as new", filepath.Base(path), c.err)
				continue
			}
			if got, want := payloadsText(can.Input), payloadsText(continued.GetInput()); got != want {
				t.Errorf("%s: the replay continued as new with\n%s\nthe run with\n%s", filepath.Base(path), got, want)
			}
			checked++
			continue
		}
		if c.err != nil {
			t.Errorf("%s: the replay failed (%v) where the run completed", filepath.Base(path), c.err)
			continue
		}
		got, err := json.Marshal(c.result)
		if err != nil {
			t.Fatal(err)
		}
		var want any
		if ps := done.GetResult().GetPayloads(); len(ps) > 0 {
			if err := converter.GetDefaultDataConverter().FromPayload(ps[0], &want); err != nil {
				t.Fatalf("%s: recorded result: %v", filepath.Base(path), err)
			}
		}
		wantJSON, _ := json.Marshal(want)
		var gotV any
		_ = json.Unmarshal(got, &gotV)
		gotJSON, _ := json.Marshal(gotV)
		if !bytes.Equal(gotJSON, wantJSON) {
			t.Errorf("%s: replay returned\n%s\nthe run returned\n%s", filepath.Base(path), gotJSON, wantJSON)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no completed, failed or continued history to check")
	}
	t.Logf("%d results checked", checked)
}

// failureText is a failure's message and type, and its causes', one a
// line.
func failureText(f *failurepb.Failure) string {
	var b strings.Builder
	for ; f != nil; f = f.GetCause() {
		fmt.Fprintf(&b, "%s (type %q)\n", f.GetMessage(), f.GetApplicationFailureInfo().GetType())
	}
	return b.String()
}

// payloadsText is the data of each payload, one a line.
func payloadsText(ps *commonpb.Payloads) string {
	var b strings.Builder
	for _, p := range ps.GetPayloads() {
		fmt.Fprintf(&b, "%s\n", p.GetData())
	}
	return b.String()
}
