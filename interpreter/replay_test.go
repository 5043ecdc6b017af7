package interpreter

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
)

// historiesDir holds histories of real runs (recorded from the embedded
// server), replayed on every test run.
const historiesDir = "testdata/histories"

func loadHistory(t *testing.T, path string) *historypb.History {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return h
}

// replay replays h with a replayer that has no definitions and no
// activities: the definition must come from the history itself. The run's
// original workflow and run ids are restored, since expressions may use
// them (child workflow ids built from workflow.id).
func replay(h *historypb.History) error {
	// As in newHarness, the deadlock detector (1 s of wall clock) is off: a
	// step that builds megabytes (payload-limit.json) takes longer than that
	// under the race detector on a busy machine, and a detector that fires
	// leaves the coroutine running beside the replayer (a data race on the
	// replay flag that the step metrics read), without failing the replay.
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DisableDeadlockDetection: true})
	if err != nil {
		return err
	}
	Register(r, Options{})
	var opts worker.ReplayWorkflowHistoryOptions
	if a := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes(); a != nil {
		opts.OriginalExecution = workflow.Execution{ID: a.GetWorkflowId(), RunID: a.GetOriginalExecutionRunId()}
	}
	return r.ReplayWorkflowHistoryWithOptions(log.NewStructuredLogger(slog.New(slog.DiscardHandler)), h, opts)
}

// TestReplayHistories replays every recorded history with a replayer that
// has no definitions and no activities: the definition must come from the
// history itself.
func TestReplayHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Logf("no histories in %s yet", historiesDir)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if err := replay(loadHistory(t, path)); err != nil {
				t.Fatalf("replay: %v", err)
			}
		})
	}
}

// TestReplayDetectsReorderedDefinition is the control: the same history
// with its definition's first top-level step moved to the end must fail to
// replay, which proves that replay really follows the recorded definition.
// A rotation that happens to give the same commands (a set moved behind an
// activity) replays fine, so the test requires failure for the
// interpreter's own tour histories, whose first steps are an activity and a
// timer, and reports the others.
func TestReplayDetectsReorderedDefinition(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		h := proto.Clone(loadHistory(t, path)).(*historypb.History)
		if !reorderDefinition(t, h) {
			t.Logf("%s: fewer than two top-level steps of different kinds: not reordered", name)
			continue
		}
		err := replay(h)
		switch {
		case err != nil:
			t.Logf("%s: reordered definition fails replay, as it must", name)
		case strings.HasPrefix(name, "tour-"):
			t.Errorf("%s: replay of the reordered definition succeeded", name)
		default:
			t.Logf("%s: the reordered definition issues the same commands", name)
		}
	}
}

// reorderDefinition rotates the top-level steps of the definition recorded
// in h, in the start event's envelope or in the side-effect marker. It
// reports whether the first two steps differ visibly.
func reorderDefinition(t *testing.T, h *historypb.History) bool {
	t.Helper()
	changed := false
	for _, e := range h.GetEvents() {
		var p *commonpb.Payload
		if a := e.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			ps := a.GetInput().GetPayloads()
			if len(ps) > 0 && isCompact(ps[len(ps)-1].GetData()) {
				// The compact start: the rotated definition goes back
				// compressed, as bytes.
				if rotateCompact(t, ps[len(ps)-1]) {
					changed = true
				}
				continue
			}
			if len(ps) > 1 {
				p = ps[1]
			}
		}
		if a := e.GetMarkerRecordedEventAttributes(); a != nil && a.GetMarkerName() == "SideEffect" {
			if ps := a.GetDetails()["data"].GetPayloads(); len(ps) > 0 {
				p = ps[0]
			}
		}
		if p == nil {
			continue
		}
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(p.GetData()))
		dec.UseNumber()
		if dec.Decode(&doc) != nil {
			continue
		}
		def, _ := doc["definition"].(map[string]any)
		if d, ok := doc["deflated"].(string); ok {
			// The compact envelope: the rotated definition goes back as
			// JSON, which the interpreter reads as well.
			env := Envelope{}
			if json.Unmarshal(p.GetData(), &env) != nil {
				continue
			}
			c, err := env.Canonical()
			if err != nil || json.Unmarshal(c, &def) != nil {
				t.Fatalf("deflated definition %.20s...: %v", d, err)
			}
			delete(doc, "deflated")
			doc["definition"] = def
		}
		steps, _ := def["steps"].([]any)
		if len(steps) < 2 || !differ(steps[0], steps[1]) {
			continue
		}
		def["steps"] = append(steps[1:], steps[0])
		delete(doc, "hash")
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		p.Data = b
		changed = true
	}
	return changed
}

// rotateCompact rotates the top-level steps of the compact definition in
// p (see DecodeArgs), keeping it compact; it reports whether the first two
// steps differ visibly.
func rotateCompact(t *testing.T, p *commonpb.Payload) bool {
	t.Helper()
	c, err := inflate(p.GetData())
	if err != nil {
		t.Fatalf("compact definition: %v", err)
	}
	var def map[string]any
	dec := json.NewDecoder(bytes.NewReader(c))
	dec.UseNumber()
	if err := dec.Decode(&def); err != nil {
		t.Fatalf("compact definition: %v", err)
	}
	steps, _ := def["steps"].([]any)
	if len(steps) < 2 || !differ(steps[0], steps[1]) {
		return false
	}
	def["steps"] = append(steps[1:], steps[0])
	b, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	if p.Data, err = deflate(b); err != nil {
		t.Fatal(err)
	}
	return true
}

// differ reports whether two canonical steps issue different first
// commands: different kinds, or activities of different names.
func differ(a, b any) bool {
	sa, _ := a.(map[string]any)
	sb, _ := b.(map[string]any)
	if sa["kind"] != sb["kind"] {
		return true
	}
	aa, _ := sa["activity"].(map[string]any)
	ab, _ := sb["activity"].(map[string]any)
	return aa != nil && ab != nil && aa["name"] != ab["name"]
}
