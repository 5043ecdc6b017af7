//go:build unix

package shell

import (
	"context"
	"errors"
	"fmt"
	osexec "os/exec"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// gracePeriod is the time between SIGTERM and SIGKILL to the process group.
const gracePeriod = 2 * time.Second

// pipeWait bounds the wait for the output pipes once the command exited:
// only a process that left the group can still hold them.
const pipeWait = 2 * time.Second

// Execute runs the command of in (see the package documentation).
func Execute(ctx context.Context, in Input) (Result, error) {
	argv, err := in.argv()
	if err != nil {
		return Result{}, err
	}
	timeout, maxOut, err := in.limits()
	if err != nil {
		return Result{}, err
	}
	cmd := osexec.Command(argv[0], argv[1:]...)
	if cmd.Err != nil {
		return Result{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("shell: %v", cmd.Err), StartErrorType, nil)
	}
	cmd.Dir = in.Dir
	cmd.Env = in.environ(lookupEnv)
	cmd.Stdin = strings.NewReader(in.Stdin)
	stdout := &capped{limit: maxOut, over: make(chan struct{})}
	var stderr tail
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = pipeWait
	if err := cmd.Start(); err != nil {
		return Result{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("shell: start %s: %v", argv[0], err), StartErrorType, nil)
	}
	pgid := cmd.Process.Pid
	// No process of the group outlives the attempt.
	defer func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) }()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var timeoutC <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timeoutC = t.C
	}
	beat := time.NewTicker(heartbeatInterval(ctx))
	defer beat.Stop()
	var (
		stopped error
		killC   <-chan time.Time
		done    = ctx.Done()
		overC   = stdout.over
		waitErr error
	)
	stop := func(reason error) {
		if stopped != nil {
			return
		}
		stopped = reason
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		killC = time.After(gracePeriod)
	}
wait:
	for {
		select {
		case waitErr = <-exited:
			break wait
		case <-done:
			done = nil
			stop(ctx.Err())
		case <-timeoutC:
			stop(temporal.NewApplicationError(fmt.Sprintf("shell: %s did not finish within %s; its process group was stopped", argv[0], timeout), TimeoutErrorType))
		case <-overC:
			overC = nil
			stop(temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("shell: %s wrote more than maxOutputBytes (%d bytes) on standard output; its process group was stopped", argv[0], maxOut),
				OutputTooLargeErrorType, nil))
		case <-killC:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		case <-beat.C:
			activity.RecordHeartbeat(ctx)
		}
	}
	if stopped != nil {
		return Result{}, stopped
	}
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *osexec.ExitError
	switch {
	case waitErr == nil:
		return res, nil
	case errors.As(waitErr, &exitErr):
		res.ExitCode = exitErr.ExitCode()
		how := fmt.Sprintf("exited with status %d", res.ExitCode)
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			how = "was killed by signal " + ws.Signal().String()
		}
		msg := fmt.Sprintf("shell: %s %s", argv[0], how)
		if res.Stderr != "" {
			msg += ": " + lastLine(res.Stderr)
		}
		return Result{}, temporal.NewApplicationError(msg, ExitErrorType, ExitDetails{ExitCode: res.ExitCode, Stderr: res.Stderr, Stdout: tailString(res.Stdout, StderrTail)})
	case errors.Is(waitErr, osexec.ErrWaitDelay):
		// The command exited 0, but a process that left its group held the
		// output open: the output is complete up to the exit.
		return res, nil
	default:
		return Result{}, temporal.NewApplicationError(fmt.Sprintf("shell: %s: %v", argv[0], waitErr), ExitErrorType, ExitDetails{ExitCode: -1, Stderr: res.Stderr})
	}
}

// heartbeatInterval is how often a running command heartbeats: every
// second, or half the step's heartbeatTimeout when that is shorter. A
// cancellation reaches the activity in the answer to a heartbeat.
func heartbeatInterval(ctx context.Context) time.Duration {
	every := time.Second
	if hb := activity.GetInfo(ctx).HeartbeatTimeout; hb > 0 && hb/2 < every {
		every = hb / 2
	}
	return every
}

// lastLine is the last non-empty line of s, for a failure's message.
func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return tailString(s, 200)
}
