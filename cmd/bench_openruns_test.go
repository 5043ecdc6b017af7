package dslruncmd_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/internal/devserver"
	"github.com/dslrun/dslrun/interpreter"
)

// handWaitSignal is the hand-written Go workflow of BenchmarkOpenRuns: it
// waits for the signal release, then ends with true.
func handWaitSignal(ctx workflow.Context) (bool, error) {
	workflow.GetSignalChannel(ctx, "release").Receive(ctx, nil)
	return true, nil
}

// waitSignalDef is the same workflow as a definition.
const waitSignalDef = `
dsl: v1
name: wait-signal
state: {released: false}
signals:
  release:
    set: {released: true}
steps:
  - await: ${ state.released }
output: ${ state.released }
`

// waitSignalNestedDef waits the same way two lists deep, inside a while
// inside a try: each list a wait is nested in makes the run's stack about
// 1 KB deeper (docs/benchmarks.md, "Large forEach and open runs").
const waitSignalNestedDef = `
dsl: v1
name: wait-signal-nested
state: {released: false}
signals:
  release:
    set: {released: true}
steps:
  - try:
      - while: ${ !state.released }
        do:
          - await: ${ state.released }
    finally:
      - set: {released: true}
output: ${ state.released }
`

// BenchmarkOpenRuns (issue 11): DSLRUN_OPEN_RUNS runs (default 10,000)
// that wait for a signal, on the embedded server in this process, served
// by a worker in a process of its own (this test binary again, running
// TestOpenRunsWorker) so that its memory is the worker's alone. Once every
// run has had its first workflow task (all wait, all in the worker's
// cache), it reports the worker's heap in use and resident set size per
// open run, over the worker's before any run; then it signals every run
// and fails unless each one completes with true. One flavour per process:
//
//	go test -c -o /tmp/cli.test ./cmd
//	/tmp/cli.test -test.run '^$' -test.bench 'OpenRuns/go$' -test.benchtime 1x
//	/tmp/cli.test -test.run '^$' -test.bench 'OpenRuns/dsl$' -test.benchtime 1x
//	/tmp/cli.test -test.run '^$' -test.bench 'OpenRuns/dsl-nested$' -test.benchtime 1x
func BenchmarkOpenRuns(b *testing.B) {
	n := envInt(b, "DSLRUN_OPEN_RUNS", 10_000)
	ctx := context.Background()
	srv, err := devserver.Start(ctx, openRunsServerOptions(b, n))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Stop() })
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	start := benchStart(b, "wait-signal.yaml", waitSignalDef)
	nested := benchStart(b, "wait-signal-nested.yaml", waitSignalNestedDef)
	for _, f := range []struct {
		name string
		typ  string
		args []any
	}{
		{"go", "hand-wait-signal", nil},
		{"dsl", start.WorkflowType, start.Args},
		{"dsl-nested", nested.WorkflowType, nested.Args},
	} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				queue := fmt.Sprintf("open-runs-%s-%d", f.name, time.Now().UnixNano())
				w := startWorkerProcess(b, srv.FrontendAddress(), queue, n)
				base := w.mem(b, 0)
				ids := make([]string, n)
				phase := time.Now()
				parallelDo(b, n, func(i int) error {
					ids[i] = fmt.Sprintf("%s-%d", queue, i)
					return retry(func() error {
						_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: ids[i], TaskQueue: queue}, f.typ, f.args...)
						var started *serviceerror.WorkflowExecutionAlreadyStarted
						if errors.As(err, &started) {
							return nil // an attempt that timed out had started it
						}
						return err
					})
				})
				open := w.mem(b, n)
				b.Logf("%d runs started and waiting in %v", n, time.Since(phase).Round(time.Second))
				b.ReportMetric((open.heap-base.heap)/float64(n), "heap-B/run")
				b.ReportMetric((open.stack-base.stack)/float64(n), "stack-B/run")
				b.ReportMetric((open.rss-base.rss)/float64(n), "RSS-B/run")
				b.ReportMetric(open.heap/(1<<20), "heap-MB")
				b.ReportMetric(open.rss/(1<<20), "RSS-MB")
				var mu sync.Mutex
				completed := 0
				phase = time.Now()
				parallelDo(b, n, func(i int) error {
					return retry(func() error { return c.SignalWorkflow(ctx, ids[i], "", "release", nil) })
				})
				parallelDo(b, n, func(i int) error {
					var got bool
					if err := c.GetWorkflow(ctx, ids[i], "").Get(ctx, &got); err != nil {
						return fmt.Errorf("%s: %w", ids[i], err)
					}
					if !got {
						return fmt.Errorf("%s: result false", ids[i])
					}
					mu.Lock()
					completed++
					mu.Unlock()
					return nil
				})
				b.Logf("%d runs signalled and completed in %v", completed, time.Since(phase).Round(time.Second))
				if completed != n {
					b.Fatalf("%d of %d runs completed", completed, n)
				}
				b.ReportMetric(float64(completed), "completed")
				w.stop()
			}
		})
	}
}

// openRunsServerOptions is the embedded server of BenchmarkOpenRuns, only
// its harness: what it measures is the worker's memory. With the in-memory
// database most of the server's CPU went to the visibility store's writes
// (a row with some 60 indexes and two FTS5 tables at each start, upsert
// and close), and half of that to the in-memory rollback journal, whose
// chunks the allocator maps and unmaps (munmap, and a page fault at the
// first touch of each): about 70 ms of CPU a run at 1,000 runs and 85 at
// 2,500. A database file in write-ahead-log mode, as `dslrun dev
// --db-file` uses, costs about 45 ms a run at both. The mutable-state
// cache (8,192 entries by default) holds every open run, so that no
// signal has to load its run from the database again.
func openRunsServerOptions(b *testing.B, n int) devserver.Options {
	return devserver.Options{
		DBFile: filepath.Join(b.TempDir(), "open-runs.db"),
		DynamicConfig: map[string]any{
			"history.hostLevelCacheMaxSize": n + 1000,
		},
	}
}

// retry calls fn up to 5 times while it fails: on a loaded machine the
// embedded server misses the client's deadline now and then. A second
// signal is harmless; a second start is reported as already started.
func retry(fn func() error) error {
	var err error
	for range 5 {
		if err = fn(); err == nil {
			return nil
		}
	}
	return err
}

// parallelDo calls fn for 0 to n-1, 20 at a time, and fails b on the first
// error.
func parallelDo(b *testing.B, n int, fn func(i int) error) {
	b.Helper()
	var wg sync.WaitGroup
	jobs := make(chan int)
	errs := make(chan error, n)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := fn(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// workerProcess is TestOpenRunsWorker running in a process of its own.
type workerProcess struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

type memSample struct{ heap, stack, rss float64 }

func startWorkerProcess(b *testing.B, addr, queue string, n int) *workerProcess {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestOpenRunsWorker$", "-test.v")
	cmd.Env = append(os.Environ(), "DSLRUN_OPEN_RUNS_WORKER="+addr+","+queue+","+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := &workerProcess{cmd: cmd, out: bufio.NewScanner(stdout)}
	w.in = stdin
	b.Cleanup(w.stop)
	w.reply(b, "ready")
	return w
}

// reply reads the worker's output up to a line starting with prefix.
func (w *workerProcess) reply(b *testing.B, prefix string) string {
	b.Helper()
	for w.out.Scan() {
		if line := w.out.Text(); strings.HasPrefix(line, prefix) {
			return line
		}
	}
	b.Fatalf("worker process ended before %q: %v", prefix, w.out.Err())
	return ""
}

// mem waits until the worker has completed tasks workflow tasks, then
// returns its heap in use and resident set after a garbage collection.
func (w *workerProcess) mem(b *testing.B, tasks int) memSample {
	b.Helper()
	if _, err := fmt.Fprintf(w.in, "mem %d\n", tasks); err != nil {
		b.Fatal(err)
	}
	var s memSample
	if _, err := fmt.Sscanf(w.reply(b, "mem "), "mem %g %g %g", &s.heap, &s.stack, &s.rss); err != nil {
		b.Fatal(err)
	}
	return s
}

func (w *workerProcess) stop() {
	if w.in != nil {
		_ = w.in.Close()
		_ = w.cmd.Wait()
		w.in = nil
	}
}

// TestOpenRunsWorker is BenchmarkOpenRuns' worker process; it is skipped
// unless DSLRUN_OPEN_RUNS_WORKER (address,queue,runs) is set. It serves
// the interpreter and handWaitSignal on the queue, prints "ready", then
// answers each line "mem TASKS" on stdin, once it has completed TASKS
// workflow tasks, with "mem HEAP STACK RSS" in bytes; it ends when stdin closes.
func TestOpenRunsWorker(t *testing.T) {
	spec := os.Getenv("DSLRUN_OPEN_RUNS_WORKER")
	if spec == "" {
		t.Skip("the worker process of BenchmarkOpenRuns")
	}
	parts := strings.Split(spec, ",")
	runs, _ := strconv.Atoi(parts[2])
	if os.Getenv("DSLRUN_OPEN_RUNS_HEAPPROFILE") != "" {
		runtime.MemProfileRate = 256 // a profile fine enough to tell a run's allocations apart
	}
	worker.SetStickyWorkflowCacheSize(runs + 1000) // every open run stays cached
	tasks := &taskCounter{}
	tasks.cond = sync.NewCond(&tasks.mu)
	c, err := client.Dial(client.Options{HostPort: parts[0], Logger: quietLogger(), MetricsHandler: tasks})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Eight pollers instead of the default two (which alternate between
	// the sticky and the normal queue), so that the first tasks of 20
	// concurrent starts are not fetched one round trip at a time. They
	// exist before any run, so the baseline the per-run figures subtract
	// holds them.
	w := worker.New(c, parts[1], worker.Options{MaxConcurrentWorkflowTaskPollers: 8})
	w.RegisterWorkflowWithOptions(handWaitSignal, workflow.RegisterOptions{Name: "hand-wait-signal"})
	interpreter.Register(w, interpreter.Options{})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var want int
		if _, err := fmt.Sscanf(in.Text(), "mem %d", &want); err != nil {
			t.Fatal(err)
		}
		tasks.wait(want)
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Printf("mem %d %d %d\n", ms.HeapInuse, ms.StackInuse, residentBytes())
		if path := os.Getenv("DSLRUN_OPEN_RUNS_HEAPPROFILE"); path != "" && want > 0 {
			writeHeapProfile(t, path)
		}
	}
}

// writeHeapProfile writes the heap profile (what is live after the last
// collection) to path: where an open run's memory goes.
func writeHeapProfile(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}

// residentBytes is the process's resident set size (Linux VmRSS).
func residentBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// taskCounter is a metrics handler that counts completed workflow tasks
// (the SDK records their execution latency once per task) and ignores
// every other metric.
type taskCounter struct {
	mu   sync.Mutex
	cond *sync.Cond
	n    int
}

func (t *taskCounter) wait(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.n < n {
		t.cond.Wait()
	}
}

func (t *taskCounter) WithTags(map[string]string) client.MetricsHandler { return t }
func (t *taskCounter) Counter(string) client.MetricsCounter {
	return client.MetricsNopHandler.Counter("")
}
func (t *taskCounter) Gauge(string) client.MetricsGauge { return client.MetricsNopHandler.Gauge("") }
func (t *taskCounter) Timer(name string) client.MetricsTimer {
	if name != "temporal_workflow_task_execution_latency" {
		return client.MetricsNopHandler.Timer("")
	}
	return taskTimer{t}
}

type taskTimer struct{ t *taskCounter }

func (tt taskTimer) Record(time.Duration) {
	tt.t.mu.Lock()
	tt.t.n++
	tt.t.mu.Unlock()
	tt.t.cond.Broadcast()
}
