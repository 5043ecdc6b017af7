//go:build unix

package exec

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
)

const (
	// maxMessage is the longest line on file descriptor 3, heartbeat
	// details included (they travel to the next attempt in an environment
	// variable, which Linux limits to 128 KiB).
	maxMessage = 64 << 10
	// autoHeartbeatInterval is how often the worker heartbeats for a plugin
	// with heartbeat: false; the SDK throttles what reaches the server.
	autoHeartbeatInterval = time.Second
	// drainTimeout bounds the wait for the pipes to close once the process
	// group is gone; only a process that left the group can hold them.
	drainTimeout = 2 * time.Second
)

// Execute runs one attempt of the plugin: the activity function that
// [Register] registers. It starts the command in a process group of its
// own, writes in (the step's with: value as JSON) on its stdin, records its
// heartbeats, and returns its stdout as the result. When ctx ends (the
// activity is cancelled or timed out), or a limit of the manifest is hit,
// the group gets SIGTERM, then SIGKILL after the grace period. Whatever
// happens, no process of the group outlives the attempt.
func (p *Plugin) Execute(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(in)) == 0 {
		in = json.RawMessage("null")
	}
	logger := log.With(activity.GetLogger(ctx), "plugin", p.Name)

	var pipes [4][2]*os.File // stdin, stdout, stderr, messages: {read, write}
	closeAll := func() {
		for _, pp := range pipes {
			for _, f := range pp {
				if f != nil {
					_ = f.Close()
				}
			}
		}
	}
	for i := range pipes {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll()
			return nil, failure(ErrorTypeStart, false, "plugin %q: %v", p.Name, err)
		}
		pipes[i] = [2]*os.File{r, w}
	}
	defer closeAll()
	stdinR, stdinW := pipes[0][0], pipes[0][1]
	stdoutR, stdoutW := pipes[1][0], pipes[1][1]
	stderrR, stderrW := pipes[2][0], pipes[2][1]
	msgR, msgW := pipes[3][0], pipes[3][1]

	cmd := &osexec.Cmd{
		Path:        p.Command,
		Args:        append([]string{p.Command}, p.Args...),
		Dir:         p.Dir,
		Env:         p.environ(ctx),
		Stdin:       stdinR,
		Stdout:      stdoutW,
		Stderr:      stderrW,
		ExtraFiles:  []*os.File{msgW}, // file descriptor 3
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	err := cmd.Start()
	// The child has its copies; the parent keeps only its own ends, so that
	// the readers see EOF when the group is gone.
	for _, f := range []*os.File{stdinR, stdoutW, stderrW, msgW} {
		_ = f.Close()
	}
	if err != nil {
		return nil, failure(ErrorTypeStart, false, "plugin %q: start %s: %v", p.Name, p.Command, err)
	}
	pgid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var pumps sync.WaitGroup
	out := &cappedBuffer{limit: MaxOutput, over: make(chan struct{})}
	var stderr tailBuffer
	beat := make(chan struct{}, 1)
	pumps.Add(4)
	go func() {
		defer pumps.Done()
		_, _ = stdinW.Write(in) // EPIPE when the plugin does not read stdin
		_ = stdinW.Close()
	}()
	go func() { defer pumps.Done(); copyAll(out, stdoutR) }()
	go func() { defer pumps.Done(); copyAll(&stderr, stderrR) }()
	go func() { defer pumps.Done(); p.readMessages(ctx, logger, msgR, beat) }()

	var (
		stopErr  error
		waitErr  error
		done     = ctx.Done()
		killC    <-chan time.Time
		timeoutC <-chan time.Time
		hbC      <-chan time.Time
		hbTimer  *time.Timer
		autoC    <-chan time.Time
		overC    = out.over
	)
	stop := func(reason error) {
		if stopErr != nil {
			return
		}
		stopErr = reason
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		killC = time.NewTimer(p.GracePeriod).C
	}
	if p.StartToCloseTimeout > 0 {
		t := time.NewTimer(p.StartToCloseTimeout)
		defer t.Stop()
		timeoutC = t.C
	}
	if p.Heartbeat && p.HeartbeatTimeout > 0 {
		hbTimer = time.NewTimer(p.HeartbeatTimeout)
		defer hbTimer.Stop()
		hbC = hbTimer.C
	}
	if !p.Heartbeat {
		t := time.NewTicker(autoHeartbeatInterval)
		defer t.Stop()
		autoC = t.C
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
			timeoutC = nil
			stop(failure(ErrorTypeTimeout, false, "plugin %q did not finish within its startToCloseTimeout of %s", p.Name, p.StartToCloseTimeout))
		case <-hbC:
			hbC = nil
			stop(failure(ErrorTypeHeartbeatTimeout, false, "plugin %q sent no heartbeat within its heartbeatTimeout of %s", p.Name, p.HeartbeatTimeout))
		case <-beat:
			if hbC != nil {
				hbTimer.Reset(p.HeartbeatTimeout)
			}
		case <-overC:
			overC = nil
			stop(failure(ErrorTypeOutputTooLarge, true, "plugin %q wrote more than %d bytes on stdout", p.Name, MaxOutput))
		case <-autoC:
			activity.RecordHeartbeat(ctx)
		case <-killC:
			killC = nil
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}
	// Nothing of the attempt outlives its process: kill what is left of the
	// group (children it started and did not wait for).
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	drained := make(chan struct{})
	go func() { pumps.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(drainTimeout):
		// A process that left the group holds a pipe: stop reading.
		for _, f := range []*os.File{stdinW, stdoutR, stderrR, msgR} {
			_ = f.Close()
		}
		<-drained
	}

	if stopErr != nil {
		return nil, stopErr
	}
	if out.overflow {
		return nil, failure(ErrorTypeOutputTooLarge, true, "plugin %q wrote more than %d bytes on stdout", p.Name, MaxOutput)
	}
	data := bytes.TrimSpace(out.buf.Bytes())
	if waitErr != nil {
		if err, ok := pluginError(data); ok {
			return nil, err
		}
		return nil, p.exitFailure(waitErr, stderr.String())
	}
	if len(data) == 0 {
		return json.RawMessage("null"), nil
	}
	var v json.RawMessage
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, failure(ErrorTypeBadOutput, true, "plugin %q wrote invalid JSON on stdout: %v (stdout starts %s)", p.Name, err, quoteStart(data))
	}
	return v, nil
}

// exitFailure describes a process that failed without a JSON error.
func (p *Plugin) exitFailure(waitErr error, stderr string) error {
	how := waitErr.Error()
	var ee *osexec.ExitError
	if errors.As(waitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			how = "was killed by signal " + signalName(ws.Signal())
		} else {
			how = "exited with status " + strconv.Itoa(ee.ExitCode())
		}
	}
	if stderr == "" {
		return failure(ErrorTypeExit, false, "plugin %q %s (stderr is empty)", p.Name, how)
	}
	return failure(ErrorTypeExit, false, "plugin %q %s: %s", p.Name, how, stderr)
}

// environ is the whole environment of the process: the protocol's
// variables and the manifest's allow-list, nothing else of the worker's.
func (p *Plugin) environ(ctx context.Context) []string {
	info := activity.GetInfo(ctx)
	env := []string{
		"DSLRUN_PROTOCOL=" + Protocol,
		"DSLRUN_ACTIVITY_TYPE=" + info.ActivityType.Name,
		"DSLRUN_ACTIVITY_ID=" + info.ActivityID,
		"DSLRUN_WORKFLOW_ID=" + info.WorkflowExecution.ID,
		"DSLRUN_RUN_ID=" + info.WorkflowExecution.RunID,
		"DSLRUN_ATTEMPT=" + strconv.Itoa(int(info.Attempt)),
	}
	if !info.Deadline.IsZero() {
		env = append(env, "DSLRUN_DEADLINE="+info.Deadline.UTC().Format(time.RFC3339Nano))
	}
	if activity.HasHeartbeatDetails(ctx) {
		var raw json.RawMessage
		if err := activity.GetHeartbeatDetails(ctx, &raw); err == nil {
			var b bytes.Buffer
			if json.Compact(&b, raw) == nil {
				env = append(env, "DSLRUN_HEARTBEAT_DETAILS="+b.String())
			}
		}
	}
	for _, name := range p.Env {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	return env
}

// message is one line on file descriptor 3.
type message struct {
	Type    string          `json:"type"`
	Details json.RawMessage `json:"details"`
	Level   string          `json:"level"`
	Message string          `json:"message"`
	Fields  map[string]any  `json:"fields"`
}

// readMessages reads the JSON lines of file descriptor 3 until EOF:
// heartbeats are recorded (and signalled on beat), log messages go to the
// worker's log. Lines that are not messages are logged and skipped.
func (p *Plugin) readMessages(ctx context.Context, logger log.Logger, r io.Reader, beat chan<- struct{}) {
	br := bufio.NewReaderSize(r, 4096)
	warnedHeartbeat := false
	for {
		line, err := readLine(br, maxMessage)
		if len(bytes.TrimSpace(line)) > 0 {
			var m message
			switch {
			case json.Unmarshal(line, &m) != nil:
				logger.Warn("plugin message is not a JSON object; skipped", "line", string(quoteStart(line)))
			case m.Type == "heartbeat" && !p.Heartbeat:
				if !warnedHeartbeat {
					logger.Warn("plugin sent a heartbeat but its manifest says heartbeat: false; ignored")
					warnedHeartbeat = true
				}
			case m.Type == "heartbeat":
				if d := bytes.TrimSpace(m.Details); len(d) == 0 || bytes.Equal(d, []byte("null")) {
					activity.RecordHeartbeat(ctx)
				} else {
					activity.RecordHeartbeat(ctx, m.Details)
				}
				select {
				case beat <- struct{}{}:
				default:
				}
			case m.Type == "log":
				kv := make([]any, 0, 2*len(m.Fields))
				for k, v := range m.Fields {
					kv = append(kv, k, v)
				}
				switch m.Level {
				case "debug":
					logger.Debug(m.Message, kv...)
				case "warn", "warning":
					logger.Warn(m.Message, kv...)
				case "error":
					logger.Error(m.Message, kv...)
				default:
					logger.Info(m.Message, kv...)
				}
			default:
				logger.Debug("plugin message of an unknown type; skipped", "type", m.Type)
			}
		}
		if errors.Is(err, errLineTooLong) {
			logger.Warn(fmt.Sprintf("plugin message longer than %d bytes; skipped", maxMessage))
			continue
		}
		if err != nil {
			return
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line of at most limit bytes. A longer line is
// consumed and reported as errLineTooLong, without its content.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong && len(line)+len(chunk) > limit {
			tooLong, line = true, nil
		}
		if !tooLong {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if tooLong && err == nil {
			err = errLineTooLong
		}
		return line, err
	}
}

// cappedBuffer keeps up to limit bytes and closes over when more arrive.
type cappedBuffer struct {
	buf      bytes.Buffer
	limit    int
	overflow bool
	over     chan struct{}
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.overflow {
		return len(p), nil
	}
	if c.buf.Len()+len(p) > c.limit {
		c.overflow = true
		close(c.over)
		return len(p), nil
	}
	return c.buf.Write(p)
}

// copyAll copies r into w until EOF or a read error (a closed pipe).
func copyAll(w io.Writer, r io.Reader) {
	_, _ = io.Copy(w, r)
}

// quoteStart quotes the first bytes of b for a message.
func quoteStart(b []byte) []byte {
	const n = 80
	if len(b) > n {
		return []byte(strconv.Quote(string(b[:n])) + "...")
	}
	return []byte(strconv.Quote(string(b)))
}

// signalName names a signal the way kill -l does, with a SIG prefix.
func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGPIPE:
		return "SIGPIPE"
	}
	return s.String()
}
