package builtin_test

import (
	"slices"
	"sync"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/dslrun/dslrun/activities/builtin"
)

type logEntry struct {
	level, msg string
	keyvals    []any
}

// recordingLogger keeps every entry it is given.
type recordingLogger struct {
	mu      sync.Mutex
	entries []logEntry
}

var _ log.Logger = (*recordingLogger)(nil)

func (l *recordingLogger) add(level, msg string, keyvals []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, logEntry{level, msg, keyvals})
}

func (l *recordingLogger) Debug(msg string, keyvals ...any) { l.add("debug", msg, keyvals) }
func (l *recordingLogger) Info(msg string, keyvals ...any)  { l.add("info", msg, keyvals) }
func (l *recordingLogger) Warn(msg string, keyvals ...any)  { l.add("warn", msg, keyvals) }
func (l *recordingLogger) Error(msg string, keyvals ...any) { l.add("error", msg, keyvals) }

// find returns the entries with message msg.
func (l *recordingLogger) find(msg string) []logEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var found []logEntry
	for _, e := range l.entries {
		if e.msg == msg {
			found = append(found, e)
		}
	}
	return found
}

func TestLog(t *testing.T) {
	tests := []struct {
		name      string
		in        builtin.LogInput
		wantLevel string
		wantKV    []any
	}{
		{"default level", builtin.LogInput{Message: "m-default"}, "info", nil},
		{"debug", builtin.LogInput{Message: "m-debug", Level: "debug"}, "debug", nil},
		{"warn with sorted fields", builtin.LogInput{Message: "m-warn", Level: "warn",
			Fields: map[string]any{"sku": "A-42", "left": 3, "b": true}}, "warn", []any{"b", true, "left", float64(3), "sku", "A-42"}},
		{"error", builtin.LogInput{Message: "m-error", Level: "error", Fields: map[string]any{"code": "E1"}}, "error", []any{"code", "E1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger := &recordingLogger{}
			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(logger)
			env := newEnv(t, &suite)
			v, err := env.ExecuteActivity(builtin.Log, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if v.HasValue() {
				t.Error("log returned a value")
			}
			entries := logger.find(tt.in.Message)
			if len(entries) != 1 {
				t.Fatalf("logged %d entries with message %q, want 1", len(entries), tt.in.Message)
			}
			e := entries[0]
			if e.level != tt.wantLevel {
				t.Errorf("level = %s, want %s", e.level, tt.wantLevel)
			}
			// The SDK puts the activity's tags first; the fields come last.
			if len(e.keyvals) < len(tt.wantKV) || !slices.Equal(e.keyvals[len(e.keyvals)-len(tt.wantKV):], tt.wantKV) {
				t.Errorf("keyvals = %v, want them to end with %v", e.keyvals, tt.wantKV)
			}
			if !slices.Contains(e.keyvals, any("ActivityType")) {
				t.Errorf("keyvals = %v, want the activity's tags (ActivityType)", e.keyvals)
			}
		})
	}
}

func TestLogRejectsUnknownLevel(t *testing.T) {
	env := newEnv(t, nil)
	_, err := env.ExecuteActivity(builtin.Log, builtin.LogInput{Message: "m", Level: "fatal"})
	wantInvalidInput(t, err, `level "fatal": must be one of debug, info, warn, error`)
}
