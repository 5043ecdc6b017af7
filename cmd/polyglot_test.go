package dslruncmd_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/dslrun/dslrun/internal/devserver"
)

// polyglotDir is the example of an activity served by a worker in another
// language: a Temporal TypeScript SDK worker (worker.js) on task queue
// polyglot-ts, and polyglot.yaml, whose step calls it there.
const polyglotDir = "../examples/polyglot"

// TestPolyglot runs examples/polyglot on the shared embedded server: the
// Node.js worker of the TypeScript SDK polls polyglot-ts, and dslrun apply,
// in process, runs polyglot.yaml, whose step ts.greet only that worker can
// run. It needs node and the example's node_modules (npm ci, which .ci/run
// does); without them it skips.
func TestPolyglot(t *testing.T) {
	t.Parallel()
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: the polyglot example's worker is a Node.js program")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not on PATH: the polyglot example's dependencies are installed with npm ci")
	}
	if _, err := os.Stat(filepath.Join(polyglotDir, "node_modules", "@temporalio", "worker", "package.json")); err != nil {
		t.Skip("the polyglot example's dependencies are not installed: run (cd examples/polyglot && npm ci --no-audit --no-fund --ignore-scripts), as .ci/run does")
	}
	out, err := exec.Command(nodeBin, "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	nodeVersion := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")

	yaml := filepath.Join(polyglotDir, "polyglot.yaml")

	// validate accepts the definition without a warning: ts.greet is not
	// registered here, but it is on another task queue.
	code, stdout, stderr := runEnv(nil, "validate", yaml)
	if code != 0 || stdout != "ok  "+yaml+" (polyglot)\n" || stderr != "" {
		t.Errorf("validate %s exited %d\nstdout:\n%s\nstderr:\n%s\nwant 0, its ok line and no warning", yaml, code, stdout, stderr)
	}

	addr := sharedServer(t)
	node := startNodeWorker(t, nodeBin, addr)

	// Wait until the Node worker polls polyglot-ts for activity tasks: a
	// poller with its identity (the TypeScript SDK's default, pid@host).
	c := dial(t, addr)
	identity := fmt.Sprintf("%d@", node.cmd.Process.Pid)
	deadline := time.Now().Add(hangBound)
	for polling := false; !polling; {
		resp, err := c.DescribeTaskQueue(testContext(t, 10*time.Second), "polyglot-ts", enumspb.TASK_QUEUE_TYPE_ACTIVITY)
		if err != nil {
			t.Fatalf("describe task queue polyglot-ts: %v", err)
		}
		for _, p := range resp.GetPollers() {
			polling = polling || strings.HasPrefix(p.GetIdentity(), identity)
		}
		select {
		case <-node.done:
			t.Fatalf("the Node worker exited before it polled polyglot-ts:\n%s", node.output())
		default:
		}
		if !polling && time.Now().After(deadline) {
			t.Fatalf("the Node worker did not poll polyglot-ts within %s:\n%s", hangBound, node.output())
		}
		if !polling {
			time.Sleep(100 * time.Millisecond)
		}
	}

	// "Zoë" has 3 letters and 4 bytes in UTF-8: JavaScript's [...name]
	// counts code points.
	code, stdout, stderr = runEnv(nil, "apply", yaml, "--address", addr, "--worker",
		"--task-queue", "q-polyglot", "-q", "--input", `{"name": "Zoë"}`)
	if code != 0 {
		t.Fatalf("apply exited %d\nstdout:\n%s\nstderr:\n%s\nNode worker:\n%s", code, stdout, stderr, node.output())
	}
	var got struct {
		Greeting string
		Letters  int
		ServedBy string
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("apply printed %q: %v", stdout, err)
	}
	if got.Greeting != "Hello, Zoë! Hello, Zoë!" || got.Letters != 3 || got.ServedBy != "node "+nodeVersion {
		t.Errorf("output %+v, want greeting %q, letters 3 and servedBy %q, as the TypeScript activity computes them", got,
			"Hello, Zoë! Hello, Zoë!", "node "+nodeVersion)
	}

	// SIGTERM to the worker's process group: the SDK's worker drains and
	// run() returns, so node exits 0 (killed by the signal, it would not),
	// and nothing of its group is left.
	if err := syscall.Kill(-node.cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM the Node worker's process group: %v", err)
	}
	if code := node.wait(t, hangBound); code != 0 {
		t.Errorf("the Node worker exited %d after SIGTERM, want 0:\n%s", code, node.output())
	}
	if err := syscall.Kill(-node.cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the Node worker's process group is still there after it exited (signal 0: %v)", err)
	}
}

// startNodeWorker starts the example's worker.js with node, in a process
// group of its own, against the Temporal server at addr. The group is
// killed when the test ends, if it is still there.
func startNodeWorker(t *testing.T, nodeBin, addr string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(nodeBin, "worker.js"), done: make(chan struct{})}
	p.cmd.Dir = polyglotDir
	p.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"TEMPORAL_ADDRESS=" + addr,
		"TEMPORAL_NAMESPACE=" + devserver.DefaultNamespace,
	}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.errOut
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start node worker.js: %v", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	return p
}
