//go:build cluster

package clustertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildDslrun builds the dslrun binary into dir, with -tags noserver: the
// binary a user runs next to a cluster (no embedded server in it).
func buildDslrun(ctx context.Context, dir string) (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "dslrun")
	cmd := exec.CommandContext(ctx, gobin, "build", "-tags", "noserver", "-o", bin, "./cmd/dslrun")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -tags noserver ./cmd/dslrun: %w\n%s", err, out)
	}
	return bin, nil
}

// cleanEnv is this process's environment without the settings that would
// point dslrun elsewhere (TEMPORAL_*, DSLRUN_*, a Temporal config file in
// the home folder), with HOME set to home, plus extra.
func cleanEnv(home string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TEMPORAL_") || strings.HasPrefix(k, "DSLRUN_") || k == "HOME" || k == "XDG_CONFIG_HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(append(env, "HOME="+home), extra...)
}

// process is a child process in a process group of its own, which gets
// SIGKILL if the test process dies, and is killed with its group by a
// cleanup of the test if it is still running then.
type process struct {
	Name string
	// Stderr is the file that holds its standard error (and output).
	Stderr string

	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// startProcess starts bin with args and env; its output goes to
// dir/name.out.
func startProcess(t *testing.T, dir, name, bin string, env []string, args ...string) (*process, error) {
	p := &process{Name: name, Stderr: filepath.Join(dir, name+".out"), done: make(chan struct{})}
	out, err := os.Create(p.Stderr)
	if err != nil {
		return nil, err
	}
	defer func() { _ = out.Close() }()
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = out, out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.Kill() })
	return p, nil
}

// Pid is the process id; the SDK's default worker identity starts with
// it and "@".
func (p *process) Pid() int { return p.cmd.Process.Pid }

// Kill sends SIGKILL to the process group and waits for the process.
func (p *process) Kill() {
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	<-p.done
}

// Exited reports whether the process has exited.
func (p *process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits for the process to exit, up to ctx, and returns its exit
// error.
func (p *process) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return fmt.Errorf("%s still running: %w", p.Name, ctx.Err())
	}
}

// Output returns the end of what the process printed.
func (p *process) Output() string { return tail(p.Stderr, 4000) }

// killedBy reports whether err is the exit of a process killed by sig.
func killedBy(err error, sig syscall.Signal) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

// identityPid returns the process id at the start of an SDK worker
// identity ("PID@host@..."), or 0.
func identityPid(identity string) int {
	pid, _, ok := strings.Cut(identity, "@")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(pid)
	if err != nil {
		return 0
	}
	return n
}

// hangBound is the context of a test: it ends a minute before the test's
// deadline (so that cleanups still run and the failure says what hung), at
// most maxWait from now.
func hangBound(t *testing.T, maxWait time.Duration) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(maxWait)
	if d, ok := t.Deadline(); ok && d.Add(-time.Minute).Before(deadline) {
		deadline = d.Add(-time.Minute)
	}
	return context.WithDeadline(context.Background(), deadline)
}

// groupCPU returns the CPU time (user and system) used so far by the live
// processes of process group pgid or whose parent is pgid (postgres puts
// each backend in a session of its own), and by the children they waited
// for, from /proc.
func groupCPU(pgid int) time.Duration {
	var ticks int64
	for _, f := range procStats() {
		if f.pgrp != pgid && f.ppid != pgid {
			continue
		}
		ticks += f.ticks
	}
	// Linux reports these in USER_HZ, 100 a second on every architecture
	// Go supports.
	return time.Duration(ticks) * 10 * time.Millisecond
}

// procStat is what procStats reads of /proc/PID/stat.
type procStat struct {
	pid, ppid, pgrp int
	// ticks is utime + stime + cutime + cstime.
	ticks int64
}

// procStats reads /proc/PID/stat of every process.
func procStats() []procStat {
	entries, _ := os.ReadDir("/proc")
	var stats []procStat
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The fields after the command, which is in parentheses and may
		// hold spaces: state ppid pgrp ... utime(14) stime cutime cstime.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 15 {
			continue
		}
		st := procStat{pid: pid}
		st.ppid, _ = strconv.Atoi(f[1])
		st.pgrp, _ = strconv.Atoi(f[2])
		for _, k := range f[11:15] {
			n, _ := strconv.ParseInt(k, 10, 64)
			st.ticks += n
		}
		stats = append(stats, st)
	}
	return stats
}

// selfCPU returns the CPU time (user and system) this process used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU returns the CPU time an exited process used.
func (p *process) processCPU() time.Duration {
	if p.cmd.ProcessState == nil {
		return 0
	}
	return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
}
