//go:build unix

package exec

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dslrun/dslrun/activities"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
)

// bound is how long a test waits for an event before it gives up: a bound
// against a hang, never a synchronisation.
const bound = 30 * time.Second

// testPlugin writes script (the body of a POSIX shell script) and a
// manifest with the extra lines to a new folder, and loads it.
func testPlugin(t *testing.T, script, extra string) *Plugin {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "run.sh"), "#!/bin/sh\n"+script, 0o755)
	manifest := "protocol: dslrun.plugin/v1\nname: p\nsummary: a test plugin\ncommand: ./run.sh\n" + extra
	if !strings.Contains(extra, "env:") {
		manifest += "env: [PATH]\n"
	}
	writeFile(t, filepath.Join(dir, "p"+ManifestSuffix), manifest, 0o644)
	plugins, ds := Load(dir)
	if ds.HasErrors() {
		t.Fatalf("Load: %v", ds)
	}
	return plugins[0]
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// runOpts configure one activity run in a test environment.
type runOpts struct {
	ctx       context.Context // the worker's background context, cancelled to cancel the activity
	details   any             // heartbeat details of a previous attempt
	heartbeat *heartbeats     // records the heartbeats
}

// execute runs p once in a TestActivityEnvironment, registered through a
// registry as the CLI does, and returns its result.
func execute(t *testing.T, p *Plugin, input any, o runOpts) (json.RawMessage, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := s.NewTestActivityEnvironment()
	wo := worker.Options{}
	if o.ctx != nil {
		wo.BackgroundActivityContext = o.ctx
	}
	if o.heartbeat != nil {
		wo.Interceptors = []interceptor.WorkerInterceptor{o.heartbeat}
	}
	env.SetWorkerOptions(wo)
	if o.details != nil {
		env.SetHeartbeatDetails(o.details)
	}
	reg := activities.NewRegistry()
	if ds := Register(reg, []*Plugin{p}); len(ds) > 0 {
		t.Fatalf("Register: %v", ds)
	}
	reg.Attach(env)
	val, err := env.ExecuteActivity(p.Name, input)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := val.Get(&raw); err != nil {
		t.Fatalf("result: %v", err)
	}
	return raw, nil
}

// TestExecuteResults checks the mapping of a process's exit status, stdout
// and stderr onto an activity result or a typed failure.
func TestExecuteResults(t *testing.T) {
	tests := []struct {
		name         string
		script       string
		input        any
		want         string // the result as compact JSON, when no error
		errType      string
		errMsg       string // a substring of the message
		nonRetryable bool
		details      string // the error's details as compact JSON, "" for none
	}{
		{name: "stdin to stdout", script: `printf '{"got": %s}' "$(cat)"`, input: map[string]any{"n": 1}, want: `{"got":{"n":1}}`},
		{name: "no input is null", script: `printf '{"got": %s}' "$(cat)"`, input: nil, want: `{"got":null}`},
		{name: "empty stdout is null", script: `cat >/dev/null`, input: 1, want: `null`},
		{name: "whitespace around the value", script: "printf '\\n  [1, 2]  \\n\\n'", input: 1, want: `[1,2]`},
		{name: "exit 0 with an error object is a result", script: `echo '{"error": {"type": "X"}}'`, input: 1, want: `{"error":{"type":"X"}}`},
		{name: "typed failure", input: 1,
			script:  `echo '{"error": {"type": "PaymentDeclined", "message": "card declined", "details": {"code": 51}}}'; exit 1`,
			errType: "PaymentDeclined", errMsg: "card declined", details: `{"code":51}`},
		{name: "non-retryable failure", input: 1,
			script:  `echo '{"error": {"type": "Invalid", "message": "bad order", "nonRetryable": true}}'; exit 3`,
			errType: "Invalid", errMsg: "bad order", nonRetryable: true},
		{name: "error without type or message", input: 1, script: `echo '{"error": {}}'; exit 1`,
			errType: ErrorTypeDefault, errMsg: "plugin failed"},
		{name: "exit without a JSON error quotes stderr", input: 1,
			script:  `echo 'line one' >&2; echo 'no such table: orders' >&2; echo 'partial'; exit 7`,
			errType: ErrorTypeExit, errMsg: "plugin \"p\" exited with status 7: line one\nno such table: orders"},
		{name: "exit without stderr", input: 1, script: `exit 2`,
			errType: ErrorTypeExit, errMsg: `plugin "p" exited with status 2 (stderr is empty)`},
		{name: "killed by a signal", input: 1, script: `kill -SEGV $$`,
			errType: ErrorTypeExit, errMsg: `plugin "p" was killed by signal SIGSEGV`},
		{name: "invalid JSON on stdout", input: 1, script: `echo '{"a": 1'`,
			errType: ErrorTypeBadOutput, errMsg: `plugin "p" wrote invalid JSON on stdout: unexpected end of JSON input (stdout starts "{\"a\": 1")`, nonRetryable: true},
		{name: "two JSON values on stdout", input: 1, script: `echo '1 2'`,
			errType: ErrorTypeBadOutput, errMsg: "after top-level value", nonRetryable: true},
		{name: "oversized stdout", input: 1, script: `head -c 3000000 /dev/zero | tr '\0' 1`,
			errType: ErrorTypeOutputTooLarge, errMsg: `plugin "p" wrote more than 2097152 bytes on stdout`, nonRetryable: true},
		// stdout at its limit is a result over the payload limit (2 MiB less
		// 1 KiB), which the registry's adapter refuses: Temporal would.
		{name: "stdout at the limit", input: 1, script: `head -c 2097152 /dev/zero | tr '\0' 1 | sed 's/^1/2/'`,
			errType: activities.PayloadTooLargeType, errMsg: `the result of activity "p" is 2097152 bytes as JSON`, nonRetryable: true,
			details: `{"bytes":2097152,"limit":2096128}`},
		{name: "result at the payload limit", input: 1, script: `head -c 2096128 /dev/zero | tr '\0' 1 | sed 's/^1/2/'`,
			want: "2" + strings.Repeat("1", 2096127)},
		{name: "plugin that does not read stdin", input: strings.Repeat("x", 1<<20), script: `echo true`, want: `true`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPlugin(t, tt.script, "")
			got, err := execute(t, p, tt.input, runOpts{})
			if tt.errType == "" {
				if err != nil {
					t.Fatalf("error %v, want result %s", err, short(tt.want))
				}
				if string(got) != tt.want {
					t.Fatalf("result %s, want %s", short(string(got)), short(tt.want))
				}
				return
			}
			var ae *temporal.ApplicationError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (result %s), want an application error of type %s", err, short(string(got)), tt.errType)
			}
			if ae.Type() != tt.errType || ae.NonRetryable() != tt.nonRetryable || !strings.Contains(ae.Message(), tt.errMsg) {
				t.Errorf("error type %q, nonRetryable %v, message %q; want type %q, nonRetryable %v, a message containing %q",
					ae.Type(), ae.NonRetryable(), ae.Message(), tt.errType, tt.nonRetryable, tt.errMsg)
			}
			var details json.RawMessage
			if ae.HasDetails() {
				if err := ae.Details(&details); err != nil {
					t.Fatalf("details: %v", err)
				}
			}
			if string(details) != tt.details {
				t.Errorf("details %s, want %s", details, tt.details)
			}
		})
	}
}

func short(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}

// TestEnvironment checks that the process sees the protocol's variables and
// the manifest's allow-list, and nothing else of the worker's environment.
func TestEnvironment(t *testing.T) {
	t.Setenv("ALLOWED", "yes")
	t.Setenv("SECRET", "leaked")
	t.Setenv("HOME", "/home/worker")
	p := testPlugin(t, `printf '{"protocol": "%s", "type": "%s", "attempt": "%s", "workflow": "%s", "activity": "%s", "deadline": "%s", "details": "%s", "allowed": "%s", "secret": "%s", "home": "%s", "cwd": "%s"}' `+
		`"$DSLRUN_PROTOCOL" "$DSLRUN_ACTIVITY_TYPE" "$DSLRUN_ATTEMPT" "${DSLRUN_WORKFLOW_ID:+set}" "${DSLRUN_ACTIVITY_ID:+set}" "${DSLRUN_DEADLINE:+set}" "${DSLRUN_HEARTBEAT_DETAILS-unset}" "${ALLOWED-unset}" "${SECRET-unset}" "${HOME-unset}" "$(pwd)"`,
		"env: [PATH, ALLOWED]\ndir: ..\n")
	got, err := execute(t, p, 1, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]string
	if err := json.Unmarshal(got, &env); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	want := map[string]string{
		"protocol": Protocol, "type": "p", "attempt": "1", "workflow": "set", "activity": "set", "deadline": "set",
		"details": "unset", "allowed": "yes", "secret": "unset", "home": "unset", "cwd": p.Dir,
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
}

// heartbeats is a worker interceptor that records every heartbeat's
// details as JSON.
type heartbeats struct {
	interceptor.WorkerInterceptorBase
	mu      sync.Mutex
	details []string
}

func (h *heartbeats) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &heartbeatInbound{h: h}
	i.Next = next
	return i
}

func (h *heartbeats) recorded() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.details...)
}

type heartbeatInbound struct {
	interceptor.ActivityInboundInterceptorBase
	h *heartbeats
}

func (i *heartbeatInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	o := &heartbeatOutbound{h: i.h}
	o.Next = outbound
	return i.Next.Init(o)
}

type heartbeatOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	h *heartbeats
}

func (o *heartbeatOutbound) RecordHeartbeat(ctx context.Context, details ...any) {
	b, _ := json.Marshal(details)
	o.h.mu.Lock()
	o.h.details = append(o.h.details, string(b))
	o.h.mu.Unlock()
	o.Next.RecordHeartbeat(ctx, details...)
}

// countScript counts from the previous attempt's heartbeat details (or 0)
// to 4, heartbeating each number on file descriptor 3, then prints where it
// started. Messages that are not heartbeats are logged or skipped.
const countScript = `
start=$(printf '%s' "${DSLRUN_HEARTBEAT_DETAILS:-{\"n\": 0}}" | sed 's/[^0-9]//g')
echo '{"type": "log", "level": "info", "message": "counting", "fields": {"from": 1}}' >&3
echo 'not json' >&3
echo '{"type": "future-kind"}' >&3
n=$start
while [ "$n" -lt 4 ]; do
  n=$((n + 1))
  printf '{"type": "heartbeat", "details": {"n": %d}}\n' "$n" >&3
done
printf '{"start": %d, "end": %d}' "$start" "$n"
`

// TestHeartbeats checks that heartbeats on file descriptor 3 are recorded
// with their details, and that a retry resumes from the last details.
func TestHeartbeats(t *testing.T) {
	tests := []struct {
		name     string
		previous any
		want     string
		beats    []string
	}{
		{"first attempt", nil, `{"start":0,"end":4}`, []string{`[{"n":1}]`, `[{"n":2}]`, `[{"n":3}]`, `[{"n":4}]`}},
		{"retry resumes", map[string]int{"n": 2}, `{"start":2,"end":4}`, []string{`[{"n":3}]`, `[{"n":4}]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPlugin(t, countScript, "heartbeat: true\n")
			hb := &heartbeats{}
			got, err := execute(t, p, 1, runOpts{details: tt.previous, heartbeat: hb})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("result %s, want %s", got, tt.want)
			}
			if beats := hb.recorded(); strings.Join(beats, " ") != strings.Join(tt.beats, " ") {
				t.Errorf("heartbeats %v, want %v", beats, tt.beats)
			}
		})
	}
}

// TestHeartbeatFalse checks that the worker ignores a plugin's heartbeats
// when its manifest says heartbeat: false.
func TestHeartbeatFalse(t *testing.T) {
	p := testPlugin(t, countScript, "")
	hb := &heartbeats{}
	if _, err := execute(t, p, 1, runOpts{heartbeat: hb}); err != nil {
		t.Fatal(err)
	}
	for _, b := range hb.recorded() {
		if b != "[]" {
			t.Errorf("heartbeat %s recorded from a plugin with heartbeat: false", b)
		}
	}
}

// waitFile waits until path holds a whole line and returns it.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	s, ok := waitFor(path)
	if !ok {
		t.Fatalf("%s did not appear within %s", path, bound)
	}
	return s
}

// waitFor waits, at most for bound, until path holds a whole line.
func waitFor(path string) (string, bool) {
	deadline := time.Now().Add(bound)
	for {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.TrimSpace(string(b)), true
		}
		if time.Now().After(deadline) {
			return "", false
		}
		time.Sleep(10 * time.Millisecond) // polling a file; the bound stops a hang
	}
}

// alive reports whether process pid runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false
		}
		return syscall.Kill(pid, 0) == nil
	}
	// pid (comm) state ...; comm may hold spaces and parentheses.
	s := string(b)
	rest := s[strings.LastIndexByte(s, ')')+1:]
	state := strings.TrimSpace(rest)[:1]
	return state != "Z" && state != "X"
}

// waitGone waits until process pid no longer runs.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d is still running %s after the attempt ended: an orphan", pid, bound)
		}
		time.Sleep(10 * time.Millisecond) // SIGKILL is asynchronous; the bound stops a hang
	}
}

// childScript starts a child that ignores SIGTERM (so that only SIGKILL to
// the group stops it), writes its pid, then waits. trap is the shell's own
// handling of SIGTERM.
func childScript(trap string) string {
	return trap + `
(trap '' TERM; exec sleep 1000) &
echo $! > "$OUT/child.pid"
echo started > "$OUT/started"
wait
`
}

// TestStop checks that cancellation and the manifest's timeouts stop the
// process group: SIGTERM first, SIGKILL after the grace period, and no
// process of the group left behind.
func TestStop(t *testing.T) {
	tests := []struct {
		name     string
		trap     string
		manifest string
		cancel   bool          // cancel the activity once the plugin has started
		deadline time.Duration // the activity's own timeout
		timedOut bool          // the activity must time out
		errType  string        // "" for a cancellation
		termFile bool          // the plugin's SIGTERM trap must have run
	}{
		{name: "cancel delivers SIGTERM", cancel: true, termFile: true,
			trap: `trap 'echo term > "$OUT/terminated"; exit 143' TERM`},
		{name: "cancel, SIGTERM ignored, SIGKILL after the grace period", cancel: true,
			trap: `trap '' TERM`, manifest: "gracePeriod: 200ms\n"},
		{name: "the activity times out", deadline: 2 * time.Second, timedOut: true},
		{name: "startToCloseTimeout", errType: ErrorTypeTimeout,
			manifest: "startToCloseTimeout: 2s\n"},
		{name: "heartbeatTimeout", errType: ErrorTypeHeartbeatTimeout,
			trap:     `echo '{"type": "heartbeat"}' >&3`,
			manifest: "heartbeat: true\nheartbeatTimeout: 2s\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			t.Setenv("OUT", out)
			p := testPlugin(t, childScript(tt.trap), "env: [PATH, OUT]\n"+tt.manifest)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.deadline > 0 {
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			if tt.cancel {
				go func() {
					waitFor(filepath.Join(out, "started")) // cancels after the bound at the latest
					cancel()
				}()
			}
			_, err := execute(t, p, 1, runOpts{ctx: ctx})
			var ae *temporal.ApplicationError
			var ce *temporal.CanceledError
			var te *temporal.TimeoutError
			switch {
			case tt.timedOut:
				if !errors.As(err, &te) {
					t.Errorf("error %v, want a timeout", err)
				}
			case tt.errType == "" && !errors.As(err, &ce) && (err == nil || !strings.HasSuffix(err.Error(), context.Canceled.Error())):
				// Cancelling the worker's background context, as this test
				// does, is reported as a failure "context canceled"; a
				// cancellation through a heartbeat as a CanceledError.
				t.Errorf("error %v, want a cancellation", err)
			case tt.errType != "" && (!errors.As(err, &ae) || ae.Type() != tt.errType):
				t.Errorf("error %v, want an application error of type %s", err, tt.errType)
			}
			pid, err := strconv.Atoi(waitFile(t, filepath.Join(out, "child.pid")))
			if err != nil {
				t.Fatal(err)
			}
			waitGone(t, pid)
			if _, err := os.Stat(filepath.Join(out, "terminated")); (err == nil) != tt.termFile {
				t.Errorf("the plugin's SIGTERM trap ran: %v, want %v", err == nil, tt.termFile)
			}
		})
	}
}

// TestNoOrphanAfterExit checks that a child the plugin leaves running when
// it exits is killed with the attempt.
func TestNoOrphanAfterExit(t *testing.T) {
	out := t.TempDir()
	t.Setenv("OUT", out)
	p := testPlugin(t, `(trap '' TERM; exec sleep 1000) </dev/null >/dev/null 2>&1 3>&- &
echo "$!" > "$OUT/child.pid"
echo '"done"'`, "env: [PATH, OUT]\n")
	got, err := execute(t, p, 1, runOpts{})
	if err != nil || string(got) != `"done"` {
		t.Fatalf("result %s, error %v; want \"done\"", got, err)
	}
	pid, err := strconv.Atoi(waitFile(t, filepath.Join(out, "child.pid")))
	if err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
}
