//go:build unix

package dslruncmd_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	dslruncmd "github.com/dslrun/dslrun/cmd"
)

// matrixStep is the step of the matrix's definitions that runs the plugin:
// up to 3 attempts, so that a failure that is retried shows in the count
// of attempts.
const matrixStep = `activity: matrix_p
    with: {n: 1}
    retry: {initialInterval: 100ms, backoffCoefficient: 1, maximumAttempts: 3}`

// matrixPIDs starts a child that ignores SIGTERM (only SIGKILL to the group
// stops it), writes the plugin's pid and the child's to OUT/pids, then
// OUT/started.
const matrixPIDs = `(trap '' TERM; exec sleep 1000) </dev/null >/dev/null 2>&1 &
echo "$$ $!" > "$OUT/pids"
echo started > "$OUT/started"
`

// TestPluginsMatrix runs exec plugins end to end on the shared embedded
// server, each through apply --plugins with the worker in process: the
// protocol's outcomes (a result, a typed failure, the worker's own failure
// types), the retry policy against non-retryable failures, the step's
// timeout and a cancellation stopping the whole process group, and broken
// plugins refused before anything starts. Every plugin appends its attempt
// to OUT/attempts, so the test counts the attempts of the run.
func TestPluginsMatrix(t *testing.T) {
	addr := sharedServer(t)
	tests := []struct {
		name     string
		script   string // the plugin's shell script after its #! line; $OUT is the case's output folder
		manifest string // replaces the manifest's extra lines (default: env: [PATH, OUT])
		command  string // the manifest's command (default ./run.sh)
		steps    string // the definition's steps (default: one step running matrixStep)
		cancel   bool   // cancel the run once the plugin has written OUT/started

		code     int
		status   string   // the run's status in -o json, "" when nothing starts
		result   string   // the run's result as JSON, "" for none
		chain    []string // lines of error.chain, each a substring of the line at its position
		stderr   string   // for a refused plugin: apply's whole stderr, MANIFEST standing for the manifest's path
		attempts int      // processes started
		pids     bool     // OUT/pids names processes that must be gone after the run
		term     bool     // the plugin's SIGTERM trap must have run
	}{
		{
			name:   "success",
			script: `printf '{"input": %s, "attempt": %s, "protocol": "%s"}' "$(cat)" "$DSLRUN_ATTEMPT" "$DSLRUN_PROTOCOL"`,
			code:   dslruncmd.ExitOK, status: "completed", attempts: 1,
			result: `{"input": {"n": 1}, "attempt": 1, "protocol": "dslrun.plugin/v1"}`,
		},
		{
			name:   "typed failure caught by catch",
			script: `echo '{"error": {"type": "PaymentDeclined", "message": "card declined", "details": {"code": 51}}}'; exit 1`,
			steps: `  - try:
      - activity: matrix_p
        retry: {initialInterval: 100ms, backoffCoefficient: 1, maximumAttempts: 3, nonRetryableErrorTypes: [PaymentDeclined]}
    catch:
      - types: [Other]
        do: [{return: wrong handler}]
      - types: [PaymentDeclined]
        do: [{return: {type: "${ error.type }", message: "${ error.message }"}}]
  - return: not caught`,
			code: dslruncmd.ExitOK, status: "completed", attempts: 1,
			result: `{"type": "PaymentDeclined", "message": "card declined"}`,
		},
		{
			// The contrast of the next cases: the count shows retries.
			name:   "retryable failure retried up to maximumAttempts",
			script: `echo 'disk full' >&2; exit 2`,
			code:   dslruncmd.ExitFailure, status: "failed", attempts: 3,
			chain: []string{`dslrun.PluginExit: steps[0]: activity "matrix_p" failed: plugin "matrix_p" exited with status 2: disk full`,
				"activity matrix_p failed (maximumattemptsreached)",
				`dslrun.PluginExit: plugin "matrix_p" exited with status 2: disk full`},
		},
		{
			name:   "non-retryable failure, one attempt",
			script: `echo '{"error": {"type": "Invalid", "message": "bad order", "nonRetryable": true}}'; exit 1`,
			code:   dslruncmd.ExitFailure, status: "failed", attempts: 1,
			chain: []string{`Invalid: steps[0]: activity "matrix_p" failed: bad order (non-retryable)`,
				"activity matrix_p failed (nonretryablefailure)", "Invalid: bad order (non-retryable)"},
		},
		{
			name: "step startToCloseTimeout stops the process group",
			steps: `  - activity: matrix_p
    startToCloseTimeout: 2s
    retry: {maximumAttempts: 1}`,
			script: matrixPIDs + "wait\n",
			code:   dslruncmd.ExitFailure, status: "failed", attempts: 1, pids: true,
			chain: []string{`ActivityTimeout: steps[0]: activity "matrix_p" failed: activity StartToClose timeout`,
				"activity matrix_p failed (maximumattemptsreached)", "timeout: starttoclose"},
		},
		{
			name: "cancel delivers SIGTERM to the process group",
			steps: `  - activity: matrix_p
    heartbeatTimeout: 2s
    retry: {maximumAttempts: 1}`,
			script: `trap 'echo term > "$OUT/terminated"; exit 143' TERM
` + matrixPIDs + "wait\n",
			cancel: true,
			code:   dslruncmd.ExitCancelled, status: "cancelled", attempts: 1, pids: true, term: true,
			chain: []string{"cancelled"},
		},
		{
			name:   "oversized stdout",
			script: matrixPIDs + "head -c 3000000 /dev/zero | tr '\\0' 1\nwait\n",
			code:   dslruncmd.ExitFailure, status: "failed", attempts: 1, pids: true,
			chain: []string{`dslrun.PluginOutputTooLarge: steps[0]: activity "matrix_p" failed: plugin "matrix_p" wrote more than 2097152 bytes on stdout (non-retryable)`,
				"activity matrix_p failed (nonretryablefailure)",
				`dslrun.PluginOutputTooLarge: plugin "matrix_p" wrote more than 2097152 bytes on stdout (non-retryable)`},
		},
		{
			name:   "invalid JSON on stdout",
			script: `echo '{"a": 1'`,
			code:   dslruncmd.ExitFailure, status: "failed", attempts: 1,
			chain: []string{`dslrun.PluginBadOutput: steps[0]: activity "matrix_p" failed: plugin "matrix_p" wrote invalid JSON on stdout: unexpected end of JSON input`,
				"activity matrix_p failed (nonretryablefailure)",
				`dslrun.PluginBadOutput: plugin "matrix_p" wrote invalid JSON on stdout: unexpected end of JSON input (stdout starts "{\"a\": 1") (non-retryable)`},
		},
		{
			name:    "missing executable refused at start",
			command: "./gone.sh",
			code:    dslruncmd.ExitFailure,
			stderr:  "MANIFEST:4:10: command: \"./gone.sh\": no such file or folder\ndslrun: plugins: 1 error\n",
		},
		{
			name:     "broken manifest refused at start",
			manifest: "env: [PATH, OUT]\nsumary: a typo\nheartbeatTimeout: soon\n",
			code:     dslruncmd.ExitFailure,
			stderr: "MANIFEST:6:1: sumary: unknown key \"sumary\" (did you mean \"summary\"?)\n" +
				"MANIFEST:7:19: heartbeatTimeout: invalid duration \"soon\" (want e.g. 30s, 5m, 1h30m, 2d)\n" +
				"MANIFEST:7:19: heartbeatTimeout: needs heartbeat: true (the worker heartbeats for a plugin that does not)\n" +
				"dslrun: plugins: 3 errors\n",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, out := t.TempDir(), t.TempDir()
			t.Setenv("OUT", out) // the worker runs in this process and passes OUT to the plugin
			plugins := filepath.Join(dir, "plugins")
			script := "#!/bin/sh\necho \"$DSLRUN_ATTEMPT\" >> \"$OUT/attempts\"\n" + tt.script + "\n"
			if err := os.MkdirAll(plugins, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(plugins, "run.sh"), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			command, extra := tt.command, tt.manifest
			if command == "" {
				command = "./run.sh"
			}
			if extra == "" {
				extra = "env: [PATH, OUT]\n"
			}
			manifest := filepath.Join(plugins, "p.plugin.yaml")
			writeTestFile(t, manifest, "protocol: dslrun.plugin/v1\nname: matrix_p\nsummary: a plugin of the matrix\ncommand: "+command+"\n"+extra)
			steps := tt.steps
			if steps == "" {
				steps = "  - id: s\n    " + matrixStep + "\noutput: ${ steps.s.result }"
			}
			def := filepath.Join(dir, "matrix.yaml")
			writeTestFile(t, def, "dsl: v1\nname: matrix\nsteps:\n"+steps+"\n")

			id := fmt.Sprintf("plugins-matrix-%d-%d", i, time.Now().UnixNano())
			type outcome struct {
				code           int
				stdout, stderr string
			}
			done := make(chan outcome, 1)
			go func() {
				code, stdout, stderr := runEnv(nil, "apply", def, "--plugins", plugins, "--address", addr, "--worker",
					"--task-queue", "q-"+id, "--id", id, "-o", "json")
				done <- outcome{code, stdout, stderr}
			}()
			if tt.cancel {
				if _, ok := waitMatrixFile(filepath.Join(out, "started")); !ok {
					t.Fatalf("the plugin did not start within %s", hangBound)
				}
				if code, stdout, stderr := runEnv(nil, "cancel", id, "--address", addr); code != dslruncmd.ExitOK {
					t.Fatalf("cancel exited %d\n%s%s", code, stdout, stderr)
				}
			}
			var got outcome
			select {
			case got = <-done:
			case <-time.After(hangBound):
				t.Fatalf("apply did not end within %s", hangBound)
			}
			if got.code != tt.code {
				t.Fatalf("apply exited %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, tt.code, got.stdout, got.stderr)
			}

			if tt.status == "" { // refused: nothing started
				want := strings.ReplaceAll(tt.stderr, "MANIFEST", manifest)
				if got.stderr != want {
					t.Errorf("stderr:\n%s\nwant:\n%s", got.stderr, want)
				}
				if got.stdout != "" {
					t.Errorf("stdout %q, want none", got.stdout)
				}
				if code, stdout, _ := runEnv(nil, "describe", id, "--address", addr); code == dslruncmd.ExitOK {
					t.Errorf("run %s exists after a refused apply:\n%s", id, stdout)
				}
			} else {
				var res struct {
					WorkflowID string          `json:"workflowId"`
					Status     string          `json:"status"`
					Result     json.RawMessage `json:"result"`
					Error      *struct {
						Message string   `json:"message"`
						Chain   []string `json:"chain"`
					} `json:"error"`
				}
				if err := json.Unmarshal([]byte(got.stdout), &res); err != nil {
					t.Fatalf("apply -o json: %v\n%s", err, got.stdout)
				}
				if res.WorkflowID != id || res.Status != tt.status {
					t.Errorf("workflow id %q, status %q; want %q, %q", res.WorkflowID, res.Status, id, tt.status)
				}
				if !jsonEqual(res.Result, tt.result) {
					t.Errorf("result %s, want %s", res.Result, tt.result)
				}
				var chain []string
				if res.Error != nil {
					chain = res.Error.Chain
				}
				if len(chain) != len(tt.chain) {
					t.Errorf("error.chain %q, want %d lines like %q", chain, len(tt.chain), tt.chain)
				} else {
					for j, want := range tt.chain {
						if !strings.Contains(chain[j], want) {
							t.Errorf("error.chain[%d] %q, want it to contain %q", j, chain[j], want)
						}
					}
				}
			}

			attempts := 0
			if b, err := os.ReadFile(filepath.Join(out, "attempts")); err == nil {
				attempts = strings.Count(string(b), "\n")
			} else if !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			if attempts != tt.attempts {
				t.Errorf("%d attempts ran, want %d", attempts, tt.attempts)
			}
			if tt.pids {
				line, ok := waitMatrixFile(filepath.Join(out, "pids"))
				if !ok {
					t.Fatalf("the plugin wrote no pids within %s", hangBound)
				}
				fields := strings.Fields(line)
				if len(fields) != 2 {
					t.Fatalf("pids %q, want the plugin's and its child's", line)
				}
				for _, f := range fields {
					pid, err := strconv.Atoi(f)
					if err != nil {
						t.Fatalf("pids %q: %v", line, err)
					}
					waitProcessGone(t, pid)
				}
			}
			_, err := os.Stat(filepath.Join(out, "terminated"))
			if (err == nil) != tt.term {
				t.Errorf("the plugin's SIGTERM trap ran: %v, want %v", err == nil, tt.term)
			}
		})
	}
}

// jsonEqual reports whether the JSON value got equals want ("" for none).
func jsonEqual(got json.RawMessage, want string) bool {
	if len(got) == 0 || want == "" {
		return len(got) == 0 && want == ""
	}
	var g, w any
	return json.Unmarshal(got, &g) == nil && json.Unmarshal([]byte(want), &w) == nil && reflect.DeepEqual(g, w)
}

// waitMatrixFile waits, at most for hangBound, until path holds a whole
// line, and returns it.
func waitMatrixFile(path string) (string, bool) {
	deadline := time.Now().Add(hangBound)
	for {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.TrimSpace(string(b)), true
		}
		if time.Now().After(deadline) {
			return "", false
		}
		time.Sleep(20 * time.Millisecond) // polling a file; the bound stops a hang
	}
}

// processAlive reports whether process pid runs; a zombie does not (an
// orphan's zombie may wait for a PID 1 that does not reap).
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false
		}
		return syscall.Kill(pid, 0) == nil // no /proc
	}
	// pid (comm) state ...; comm may hold spaces and parentheses.
	s := string(b)
	state := strings.TrimSpace(s[strings.LastIndexByte(s, ')')+1:])
	return state != "" && state[0] != 'Z' && state[0] != 'X'
}

// waitProcessGone waits, at most for hangBound, until process pid no
// longer runs.
func waitProcessGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(hangBound)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d still runs %s after the run ended: an orphan", pid, hangBound)
		}
		time.Sleep(20 * time.Millisecond) // SIGKILL is asynchronous; the bound stops a hang
	}
}
