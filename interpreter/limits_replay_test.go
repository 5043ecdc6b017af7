package interpreter

import (
	"path/filepath"
	"testing"
)

// limitsHistoriesDir holds histories recorded with the history guard
// lowered to limitsGuard events (TestServerRecordLimits): they replay only
// with the guard lowered the same way, so the histories glob skips them.
const limitsHistoriesDir = "testdata/limits"

// limitsGuard is the history guard (maxHistoryEvents) of the histories in
// limitsHistoriesDir.
const limitsGuard = 150

// lowerGuard lowers the history guard to limitsGuard for a test and
// returns what puts it back.
func lowerGuard() func() {
	old := maxHistoryEvents
	maxHistoryEvents = limitsGuard
	return func() { maxHistoryEvents = old }
}

// TestReplayLimitsHistories replays the histories of limitsHistoriesDir
// with the guard lowered as when they were recorded.
func TestReplayLimitsHistories(t *testing.T) {
	defer lowerGuard()()
	files, err := filepath.Glob(filepath.Join(limitsHistoriesDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no histories in %s (%v)", limitsHistoriesDir, err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if err := replay(loadHistory(t, path)); err != nil {
				t.Fatalf("replay: %v", err)
			}
		})
	}
}
