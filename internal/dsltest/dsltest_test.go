package dsltest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/activities"
	_ "github.com/dslrun/dslrun/activities/builtin"
	"github.com/dslrun/dslrun/internal/dsltest"
)

const waiter = `dsl: v1
name: waiter
state: {go: false, n: 0}
signals:
  go: {set: {go: true}}
queries:
  n: ${ state.n }
steps:
  - try:
      - await: ${ state.go }
      - id: work
        activity: Work
        scheduleToCloseTimeout: 30d
        retry: {initialInterval: 1s, maximumInterval: 1s, maximumAttempts: 2000}
      - set: {n: "${ state.n + 1 }"}
    finally:
      - activity: Cleanup
output: ${ state.n }
`

// run writes a definition and its test file to a folder and runs the test.
func run(t *testing.T, def, test string) *dsltest.FileResult {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "waiter.yaml"), []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "waiter_test.yaml")
	if err := os.WriteFile(path, []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	return dsltest.NewRunner(dsltest.Options{Registry: activities.Default()}).RunFile(path)
}

// failures returns the failures of every case, one string each, by case.
func failures(r *dsltest.FileResult) map[string][]string {
	out := map[string][]string{}
	for _, c := range r.Cases {
		for _, f := range c.Failures {
			out[c.Name] = append(out[c.Name], f.Path+": "+f.Msg)
		}
	}
	return out
}

func TestEngine(t *testing.T) {
	r := run(t, waiter, `activities:
  Work: {result: 1}
  Cleanup: {result: null}
cases:
  - name: signalled
    events:
      - {at: 1h, query: n, expect: {result: 0}}
      - {at: 2h, signal: go}
    expect: {output: 1, duration: 2h, queries: {n: 1}, activities: {Cleanup: {count: 1}}}
  - name: cancelled while waiting, finally runs
    events: [{at: 3h, cancel: true}]
    expect: {cancelled: true, duration: 3h, activities: {Cleanup: {count: 1}, Work: {count: 0}}}
  - name: any failure
    events: [{at: 0s, signal: go}]
    activities:
      Work: {error: {type: Nope, nonRetryable: true}}
    expect: {failure: true}
  - name: waits forever
    timeout: 10d
    expect: {output: 1}
  - name: retries a mocked error forever
    events: [{at: 0s, signal: go}]
    activities:
      Work: {error: {type: Flaky}}
    expect: {output: 1}
  - name: an event after the end
    events: [{at: 0s, signal: go}, {at: 1h, signal: go}]
    expect: {output: 1, state: {n: 1, nope: 2}}
`)
	if !r.Valid() {
		t.Fatalf("invalid: %v", r.Diagnostics)
	}
	got := failures(r)
	want := map[string][]string{
		"waits forever":                  {"cases[3].expect: the run did not end within 240h0m0s of virtual time (the case's timeout): it waits for something that never comes, or retries forever"},
		"retries a mocked error forever": {"cases[4].activities.Work: called more than 1000 times", "cases[4].expect: the run failed: steps[0].try[1]: activity \"Work\" failed: mocked activity \"Work\" called more than 1000 times (type dslrun.TestCallLimit)"},
		"an event after the end":         {"cases[5].expect.state.nope: no state variable \"nope\" in the final state", "cases[5].events[1]: the run ended after 0s of virtual time, before this signal at 1h0m0s"},
	}
	for name, ws := range want {
		gs := got[name]
		if len(gs) != len(ws) {
			t.Errorf("%s: failures %q, want %d", name, gs, len(ws))
			continue
		}
		for i, w := range ws {
			if !strings.HasPrefix(gs[i], w) {
				t.Errorf("%s: failure %q, want prefix %q", name, gs[i], w)
			}
		}
	}
	for name, gs := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: unexpected failures %q", name, gs)
		}
	}
}

func TestUnmockedUnknownActivity(t *testing.T) {
	r := run(t, waiter, `cases:
  - name: nothing serves Work
    activities:
      Cleanup: {result: null}
      Wrok: {result: 1}
    expect: {output: 1}
`)
	if len(r.Diagnostics) != 1 || !strings.Contains(r.Diagnostics[0].String(), `warning: no activity step of waiter.yaml runs "Wrok" (did you mean "Work"?)`) {
		t.Errorf("diagnostics: %v", r.Diagnostics)
	}
	f := failures(r)["nothing serves Work"]
	if len(f) != 1 || f[0] != `cases[0].activities: activity "Work" (at steps[0].try[1]) is neither mocked in this case nor registered: mock it under activities:` {
		t.Errorf("failures %q", f)
	}
}
