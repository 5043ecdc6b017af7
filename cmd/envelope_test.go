package dslruncmd_test

import (
	"path/filepath"
	"strings"
	"testing"

	dslruncmd "github.com/dslrun/dslrun/cmd"
)

// TestHistoryShowsDeflatedDefinition: apply records the definition
// compressed in the start event (the compact start of interpreter.NewStart:
// bytes, after the input or alone when there is no input); history -o jsonl
// shows it as JSON again, as the input and the envelope with the
// definition and its hash, and the run's history -o json replays with no
// definitions on the replayer (replayJSON).
func TestHistoryShowsDeflatedDefinition(t *testing.T) {
	conn := []string{"--address", sharedServer(t)}
	for _, tt := range []struct {
		example, id, input string
	}{
		{"hello", "history-deflated-hello", `{}`},                                                 // an object schema: input {}
		{"parallel", "history-deflated-parallel", `{"metadata":{"encoding":"YmluYXJ5L251bGw="}}`}, // no input: binary/null
	} {
		t.Run(tt.example, func(t *testing.T) {
			runID := recordRun(t, filepath.Join("..", "examples", tt.example+".yaml"), tt.example, tt.id, conn)
			raw := mustRun(t, dslruncmd.ExitOK, append([]string{"history", tt.id, "--run-id", runID, "-o", "jsonl", "--raw"}, conn...)...)
			first, _, _ := strings.Cut(raw, "\n")
			if strings.Contains(first, `"id":"`) {
				t.Errorf("--raw start event shows the definition in clear; want it deflated:\n%s", first)
			}
			// binary/plain, base64-encoded in the metadata
			if !strings.Contains(first, `"YmluYXJ5L3BsYWlu"`) {
				t.Errorf("--raw start event has no binary payload; want the compact start:\n%s", first)
			}
			out := mustRun(t, dslruncmd.ExitOK, append([]string{"history", tt.id, "--run-id", runID, "-o", "jsonl"}, conn...)...)
			first, _, _ = strings.Cut(out, "\n")
			for _, want := range []string{`"input":[` + tt.input + `,{"definition":{`, `"name":"` + tt.example + `"`, `"hash":"`} {
				if !strings.Contains(first, want) {
					t.Errorf("history -o jsonl start event lacks %s:\n%s", want, first)
				}
			}
			if strings.Contains(first, `"deflated"`) {
				t.Errorf("history -o jsonl start event still deflated:\n%s", first)
			}
			replayJSON(t, mustRun(t, dslruncmd.ExitOK, append([]string{"history", tt.id, "--run-id", runID, "-o", "json"}, conn...)...))
		})
	}
}
