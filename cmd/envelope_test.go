package dslruncmd_test

import (
	"path/filepath"
	"strings"
	"testing"

	dslruncmd "github.com/dslrun/dslrun/cmd"
)

// TestHistoryShowsDeflatedDefinition: apply records the definition
// deflated in the start event (interpreter.NewEnvelope); history -o jsonl
// shows it as JSON again, and the run's history -o json replays with no
// definitions on the replayer (replayJSON).
func TestHistoryShowsDeflatedDefinition(t *testing.T) {
	conn := []string{"--address", sharedServer(t)}
	id := "history-deflated-hello"
	runID := recordRun(t, filepath.Join("..", "examples", "hello.yaml"), "hello", id, conn)
	raw := mustRun(t, dslruncmd.ExitOK, append([]string{"history", id, "--run-id", runID, "-o", "jsonl", "--raw"}, conn...)...)
	first, _, _ := strings.Cut(raw, "\n")
	if strings.Contains(first, "greet") {
		t.Errorf("--raw start event shows the definition in clear; want it deflated:\n%s", first)
	}
	out := mustRun(t, dslruncmd.ExitOK, append([]string{"history", id, "--run-id", runID, "-o", "jsonl"}, conn...)...)
	first, _, _ = strings.Cut(out, "\n")
	for _, want := range []string{`"definition":{`, `"name":"hello"`, `"id":"greet"`, `"hash":"`} {
		if !strings.Contains(first, want) {
			t.Errorf("history -o jsonl start event lacks %s:\n%s", want, first)
		}
	}
	if strings.Contains(first, `"deflated"`) {
		t.Errorf("history -o jsonl start event still deflated:\n%s", first)
	}
	replayJSON(t, mustRun(t, dslruncmd.ExitOK, append([]string{"history", id, "--run-id", runID, "-o", "json"}, conn...)...))
}
