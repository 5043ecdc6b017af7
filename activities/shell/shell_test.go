//go:build unix

package shell_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/activities/shell"
)

type m = map[string]any

// hangBound bounds waits for events, against a hang only.
const hangBound = time.Minute

func env(t *testing.T, ctx context.Context, register func(*activities.Registry) error) *testsuite.TestActivityEnvironment {
	t.Helper()
	r := activities.NewRegistry()
	if err := register(r); err != nil {
		t.Fatal(err)
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	e := suite.NewTestActivityEnvironment()
	e.SetWorkerOptions(worker.Options{BackgroundActivityContext: ctx})
	r.Attach(e)
	return e
}

func call(t *testing.T, in any) (shell.Result, error) {
	t.Helper()
	return callEnv(t, env(t, context.Background(), shell.Register), in)
}

func callEnv(t *testing.T, e *testsuite.TestActivityEnvironment, in any) (shell.Result, error) {
	t.Helper()
	v, err := e.ExecuteActivity(shell.Name, in)
	if err != nil {
		return shell.Result{}, err
	}
	var res shell.Result
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res, nil
}

// wantAppError asserts what appError does.
func wantAppError(t *testing.T, err error, typ string, nonRetryable bool) {
	t.Helper()
	_ = appError(t, err, typ, nonRetryable)
}

// appError asserts that err is an application error of type typ with the
// retryability nonRetryable, and returns it.
func appError(t *testing.T, err error, typ string, nonRetryable bool) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want an application error of type %s", err, typ)
	}
	if ae.Type() != typ || ae.NonRetryable() != nonRetryable {
		t.Fatalf("error %q: type %q, nonRetryable %v; want %q, %v", ae.Error(), ae.Type(), ae.NonRetryable(), typ, nonRetryable)
	}
	return ae
}

func TestRun(t *testing.T) {
	t.Setenv("SHELL_TEST_ALLOWED", "yes")
	t.Setenv("SHELL_TEST_HIDDEN", "no")
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		in   m
		want string
	}{
		{"argv", m{"command": []string{"echo", "a b", "$HOME"}}, "a b $HOME\n"},
		{"shell string", m{"command": "echo one | tr a-z A-Z", "shell": true}, "ONE\n"},
		{"stdin", m{"command": []string{"cat"}, "stdin": "from stdin"}, "from stdin"},
		{"dir", m{"command": []string{"pwd"}, "dir": dir}, dir + "\n"},
		{"env allow-list", m{"command": []string{"env"}, "env": []string{"SHELL_TEST_ALLOWED", "SHELL_TEST_UNSET"}}, "SHELL_TEST_ALLOWED=yes\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := call(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if res.Stdout != tt.want || res.ExitCode != 0 {
				t.Errorf("result %+v, want stdout %q", res, tt.want)
			}
		})
	}
}

func TestExitFailure(t *testing.T) {
	_, err := call(t, m{"command": "echo partial; echo first >&2; echo oops >&2; exit 3", "shell": true})
	ae := appError(t, err, shell.ExitErrorType, false)
	var d shell.ExitDetails
	if err := ae.Details(&d); err != nil {
		t.Fatal(err)
	}
	if d.ExitCode != 3 || d.Stderr != "first\noops\n" || d.Stdout != "partial\n" {
		t.Errorf("details %+v", d)
	}
	if want := "shell: /bin/sh exited with status 3: oops"; ae.Message() != want {
		t.Errorf("message %q, want %q", ae.Message(), want)
	}
}

func TestInvalidInput(t *testing.T) {
	for _, in := range []m{
		{"command": "ls -l"}, // a string without shell: true
		{"command": []string{"ls"}, "shell": true},
		{"command": []string{}},
		{"command": []string{"ls"}, "timeout": "soon"},
	} {
		_, err := call(t, in)
		wantAppError(t, err, shell.InvalidInputType, true)
	}
	_, err := call(t, m{"command": []string{"/no/such/program"}})
	wantAppError(t, err, shell.StartErrorType, true)
}

func TestOutputTooLarge(t *testing.T) {
	_, err := call(t, m{"command": []string{"yes"}, "maxOutputBytes": 1000})
	wantAppError(t, err, shell.OutputTooLargeErrorType, true)
	res, err := call(t, m{"command": "printf %1000s x", "shell": true, "maxOutputBytes": 1000})
	if err != nil || len(res.Stdout) != 1000 {
		t.Errorf("at the limit: %d bytes, %v", len(res.Stdout), err)
	}
}

// startChild returns a command whose shell starts a background sleep,
// writes its pid into the fifo at path and waits, and a channel that gets
// the pid.
func startChild(t *testing.T) (string, <-chan int) {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "pid")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	pids := make(chan int, 1)
	go func() {
		data, err := os.ReadFile(fifo) // blocks until the script has written
		pid, perr := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || perr != nil {
			t.Errorf("pid from fifo: %q, %v, %v", data, err, perr)
			close(pids)
			return
		}
		pids <- pid
	}()
	return "sleep 60 & echo $! > " + fifo + "; wait", pids
}

// waitGone waits until pid no longer exists (or is a zombie no one waits
// for), up to hangBound.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(hangBound); ; time.Sleep(20 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && strings.Contains(string(stat), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d of the group still runs", pid)
		}
	}
}

func TestTimeoutKillsGroup(t *testing.T) {
	script, pids := startChild(t)
	_, err := call(t, m{"command": script, "shell": true, "timeout": "300ms"})
	wantAppError(t, err, shell.TimeoutErrorType, false)
	pid, ok := <-pids
	if !ok {
		t.Fatal("no pid")
	}
	waitGone(t, pid)
}

func TestCancelKillsGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := env(t, ctx, shell.Register)
	script, pids := startChild(t)
	child := make(chan int, 1)
	go func() {
		if pid, ok := <-pids; ok {
			child <- pid
			cancel()
		}
	}()
	start := time.Now()
	_, err := callEnv(t, e, m{"command": script, "shell": true})
	if err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("error = %v, want a cancellation", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %s for a command sleeping 60s: the cancellation did not stop it", d)
	}
	waitGone(t, <-child)
}

func TestDisabled(t *testing.T) {
	e := env(t, context.Background(), shell.RegisterDisabled)
	_, err := callEnv(t, e, m{"command": []string{"true"}})
	ae := appError(t, err, shell.DisabledErrorType, true)
	if !strings.Contains(ae.Message(), "--allow-shell") {
		t.Errorf("message %q does not say how to turn it on", ae.Message())
	}
}

func TestSpec(t *testing.T) {
	r := activities.NewRegistry()
	if err := shell.Register(r); err != nil {
		t.Fatal(err)
	}
	errs := r.CheckInput(shell.Name, m{"comand": []any{"ls"}})
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	if want := `comand: unknown property "comand" (did you mean "command"?)`; !strings.Contains(strings.Join(got, "\n"), want) {
		t.Errorf("CheckInput = %q, want %q", got, want)
	}
	if errs := r.CheckInput(shell.Name, m{"command": []any{"ls", "-l"}, "dir": "/tmp", "env": []any{"PATH"}, "stdin": "", "timeout": "1m", "maxOutputBytes": 10}); len(errs) > 0 {
		t.Errorf("CheckInput of a good input: %v", errs)
	}
	d := activities.NewRegistry()
	if err := shell.RegisterDisabled(d); err != nil {
		t.Fatal(err)
	}
	if len(d.CheckInput(shell.Name, m{"comand": []any{"ls"}})) == 0 {
		t.Error("the disabled shell does not check with:")
	}
}
