// Command throughput compares definitions run by the interpreter with the
// same workflows written by hand in Go, on one embedded Temporal server:
//
//	go run ./internal/throughput                  # every shape, 3 pairs
//	go run ./internal/throughput -shapes foreach100 -pairs 5 -runs 100
//
// It starts three processes of its own binary: the server (dslrun dev
// --memory --worker=false), a dslrun worker serving the definitions, and a
// worker of hand-written Go workflows; both workers serve the same
// activities (the built-ins) with default worker options. For every pair
// and shape it runs the two arms one after the other, in alternating order
// (go first in odd pairs, dsl first in even ones), so that a noisy machine
// affects both; each arm runs -runs workflows with -inflight in flight.
//
// Per arm it reports the throughput (runs per second of wall time), the
// server's and the worker's CPU per run (from /proc/PID/stat, the processes'
// user and system time), and from every run's history: events, workflow
// tasks and history bytes (the server's own HistorySizeBytes). The table at
// the end gives medians over the pairs. See docs/benchmarks.md.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/dslrun/dslrun/activities"
	_ "github.com/dslrun/dslrun/activities/builtin" // math.add, for both arms
	dslruncmd "github.com/dslrun/dslrun/cmd"
	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/dslrun/dslrun/internal/throughput/shape"
	"github.com/dslrun/dslrun/interpreter"
)

// roleEnv selects what a process of this binary is: the driver (unset),
// dslrun itself ("dslrun": the server and the DSL worker) or the Go worker
// ("goworker").
const roleEnv = "DSLRUN_THROUGHPUT_ROLE"

const (
	goQueue  = "bench-go"
	dslQueue = "bench-dsl"
)

func main() {
	switch os.Getenv(roleEnv) {
	case "dslrun":
		os.Exit(dslruncmd.Main())
	case "goworker":
		if err := goWorker(os.Args[1]); err != nil {
			fmt.Fprintln(os.Stderr, "go worker:", err)
			os.Exit(1)
		}
		return
	}
	if err := drive(); err != nil {
		fmt.Fprintln(os.Stderr, "throughput:", err)
		os.Exit(1)
	}
}

func quiet() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
}

// goWorker serves the hand-written workflows and the registered activities
// on goQueue until SIGTERM.
func goWorker(addr string) error {
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quiet()})
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, goQueue, worker.Options{})
	for _, s := range shape.All() {
		w.RegisterWorkflowWithOptions(s.Fn, workflow.RegisterOptions{Name: shape.GoType(s.Name)})
	}
	activities.Default().Attach(w)
	if err := w.Start(); err != nil {
		return err
	}
	fmt.Println("ready")
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	<-sigs
	w.Stop()
	return nil
}

type config struct {
	pairs, runs, inflight, warmup int
	byName                        bool
	record                        string
	jsonOut                       string
}

func drive() error {
	var cfg config
	var names string
	flag.IntVar(&cfg.pairs, "pairs", 3, "alternating pairs of arms per shape")
	flag.IntVar(&cfg.runs, "runs", 100, "runs per arm (divided by the shape's weight: foreach100 runs a fifth)")
	flag.IntVar(&cfg.inflight, "inflight", 20, "runs in flight")
	flag.IntVar(&cfg.warmup, "warmup", 10, "runs per arm and shape before measuring")
	flag.StringVar(&names, "shapes", "", "comma-separated shapes (default all): "+strings.Join(shapeNames(), ", "))
	flag.BoolVar(&cfg.byName, "by-name", false, "start DSL runs by name with their input alone (default: with the definition, as dslrun apply does)")
	flag.StringVar(&cfg.record, "record", "", "write the history of one run of each shape to DIR/bench-SHAPE.json (DSL, for the interpreter's replay tests) and DIR/go-SHAPE.json, and exit")
	flag.StringVar(&cfg.jsonOut, "json", "", "also write every measurement to this file")
	flag.Parse()
	all := shape.All()
	var sel []shape.Shape
	if names == "" {
		sel = all
	} else {
		for _, n := range strings.Split(names, ",") {
			i := slices.IndexFunc(all, func(s shape.Shape) bool { return s.Name == n })
			if i < 0 {
				return fmt.Errorf("no shape %q (have %s)", n, strings.Join(shapeNames(), ", "))
			}
			sel = append(sel, all[i])
		}
	}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "dslrun-throughput-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	defs := map[string]*interpreter.Start{}
	for _, s := range all {
		path := filepath.Join(dir, s.Name+".yaml")
		if err := os.WriteFile(path, []byte(s.YAML), 0o644); err != nil {
			return err
		}
		r := validate.Source(path, []byte(s.YAML), activities.Default())
		if !r.Valid() {
			return fmt.Errorf("%s: %v", s.Name, r.Diagnostics)
		}
		if err := r.Canonicalize(); err != nil {
			return err
		}
		st, err := interpreter.NewStart(r.Definition, s.Input, interpreter.StartOptions{TaskQueue: dslQueue, ID: "x", ByName: cfg.byName})
		if err != nil {
			return err
		}
		defs[s.Name] = st
	}

	srv, out, err := spawn(self, "dslrun", "dev", "--memory", "--worker=false", "--port", "0", "--ui-port", "0")
	if err != nil {
		return err
	}
	defer stop(srv)
	addr, err := readAddress(out)
	if err != nil {
		return err
	}
	dslw, dout, err := spawn(self, "dslrun", "worker", "--dir", dir, "--task-queue", dslQueue, "--address", addr)
	if err != nil {
		return err
	}
	defer stop(dslw)
	if err := waitLine(dout, "press Ctrl-C"); err != nil {
		return fmt.Errorf("dslrun worker: %w", err)
	}
	gow, gout, err := spawn(self, "goworker", addr)
	if err != nil {
		return err
	}
	defer stop(gow)
	if err := waitLine(gout, "ready"); err != nil {
		return fmt.Errorf("go worker: %w", err)
	}
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quiet()})
	if err != nil {
		return err
	}
	defer c.Close()

	b := &bench{cfg: cfg, c: c, defs: defs, server: srv.Process.Pid,
		workers: map[string]int{"go": gow.Process.Pid, "dsl": dslw.Process.Pid}}
	if cfg.record != "" {
		return b.record(sel)
	}
	fmt.Printf("# %d pairs, %d runs per arm (foreach100: %d), %d in flight; DSL runs started %s\n",
		cfg.pairs, cfg.runs, cfg.runs/5, cfg.inflight, map[bool]string{false: "with the definition", true: "by name"}[cfg.byName])
	fmt.Printf("# %s; load average at start: %s\n", time.Now().UTC().Format(time.RFC3339), loadavg())
	for _, s := range sel {
		for _, arm := range []string{"go", "dsl"} {
			if _, err := b.arm(s, arm, "warm", max(cfg.warmup, 1)); err != nil {
				return err
			}
		}
	}
	var all2 []*armResult
	for p := range cfg.pairs {
		for _, s := range sel {
			order := []string{"go", "dsl"}
			if p%2 == 1 {
				order = []string{"dsl", "go"}
			}
			for _, arm := range order {
				res, err := b.arm(s, arm, fmt.Sprintf("p%d", p), max(cfg.runs/s.Weight, 1))
				if err != nil {
					return err
				}
				res.Pair = p
				all2 = append(all2, res)
				fmt.Printf("pair %d %-10s %-3s %6.1f wf/s  server %6.1f ms/run  worker %6.1f ms/run  %5.1f events  %5.1f wft  %7.0f B/run\n",
					p, s.Name, arm, res.Throughput, res.ServerCPUms, res.WorkerCPUms, res.Events, res.WFT, res.Bytes)
			}
		}
	}
	fmt.Printf("# load average at end: %s\n\n", loadavg())
	report(os.Stdout, sel, all2)
	if cfg.jsonOut != "" {
		data, err := json.MarshalIndent(all2, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(cfg.jsonOut, data, 0o644)
	}
	return nil
}

func shapeNames() []string {
	var n []string
	for _, s := range shape.All() {
		n = append(n, s.Name)
	}
	return n
}

// spawn starts this binary in role with args; its standard output and
// error are returned for reading.
func spawn(self, role string, args ...string) (*exec.Cmd, *bufio.Reader, error) {
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), roleEnv+"="+role)
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	return cmd, bufio.NewReader(r), nil
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
	}
}

// readAddress reads dslrun dev's banner up to its frontend address line.
func readAddress(r *bufio.Reader) (string, error) {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("dslrun dev ended before printing its address: %w", err)
		}
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "export TEMPORAL_ADDRESS="); ok {
			go func() { _, _ = io.Copy(io.Discard, r) }()
			return rest, nil
		}
	}
}

func waitLine(r *bufio.Reader, prefix string) error {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(strings.TrimSpace(line), prefix) {
			go func() { _, _ = io.Copy(io.Discard, r) }()
			return nil
		}
	}
}

// cpu returns the user and system CPU time of process pid so far.
func cpu(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields count after ')'.
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

type bench struct {
	cfg     config
	c       client.Client
	defs    map[string]*interpreter.Start
	server  int
	workers map[string]int
}

// armResult is one arm of one pair: figures per run.
type armResult struct {
	Shape       string  `json:"shape"`
	Arm         string  `json:"arm"`
	Pair        int     `json:"pair"`
	Runs        int     `json:"runs"`
	Throughput  float64 `json:"wfPerSecond"`
	ServerCPUms float64 `json:"serverCpuMsPerRun"`
	WorkerCPUms float64 `json:"workerCpuMsPerRun"`
	Events      float64 `json:"eventsPerRun"`
	WFT         float64 `json:"workflowTasksPerRun"`
	Bytes       float64 `json:"historyBytesPerRun"`
	// ByType is the bytes of events by type, per run (proto sizes).
	ByType map[string]float64 `json:"bytesByEventType"`
}

func (b *bench) start(ctx context.Context, s shape.Shape, arm, id string) (client.WorkflowRun, error) {
	if arm == "go" {
		return b.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: goQueue}, shape.GoType(s.Name), s.GoArgs()...)
	}
	st := b.defs[s.Name]
	o := st.Options
	o.ID = id
	return b.c.ExecuteWorkflow(ctx, o, st.WorkflowType, st.Args...)
}

// arm runs n workflows of shape s in arm, inflight at a time, and measures.
func (b *bench) arm(s shape.Shape, arm, tag string, n int) (*armResult, error) {
	ctx := context.Background()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%s-%s-%d", s.Name, arm, tag, i)
	}
	s0, err := cpu(b.server)
	if err != nil {
		return nil, err
	}
	w0, err := cpu(b.workers[arm])
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	var wg sync.WaitGroup
	jobs := make(chan string)
	var mu sync.Mutex
	var firstErr error
	for range b.cfg.inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				err := b.one(ctx, s, arm, id)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, id := range ids {
		jobs <- id
	}
	close(jobs)
	wg.Wait()
	wall := time.Since(t0)
	s1, _ := cpu(b.server)
	w1, _ := cpu(b.workers[arm])
	if firstErr != nil {
		return nil, firstErr
	}
	res := &armResult{Shape: s.Name, Arm: arm, Runs: n, ByType: map[string]float64{},
		Throughput:  float64(n) / wall.Seconds(),
		ServerCPUms: float64(s1-s0) / float64(time.Millisecond) / float64(n),
		WorkerCPUms: float64(w1-w0) / float64(time.Millisecond) / float64(n),
	}
	for _, id := range ids {
		d, err := b.c.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			return nil, err
		}
		res.Bytes += float64(d.GetWorkflowExecutionInfo().GetHistorySizeBytes())
		res.Events += float64(d.GetWorkflowExecutionInfo().GetHistoryLength())
		h, err := history(ctx, b.c, id)
		if err != nil {
			return nil, err
		}
		for _, e := range h.GetEvents() {
			if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
				res.WFT++
			}
			res.ByType[strings.TrimPrefix(e.GetEventType().String(), "EVENT_TYPE_")] += float64(proto.Size(e))
		}
	}
	res.Bytes /= float64(n)
	res.Events /= float64(n)
	res.WFT /= float64(n)
	for k := range res.ByType {
		res.ByType[k] /= float64(n)
	}
	return res, nil
}

// one runs one workflow to its end and checks its result.
func (b *bench) one(ctx context.Context, s shape.Shape, arm, id string) error {
	r, err := b.start(ctx, s, arm, id)
	if err != nil {
		return fmt.Errorf("%s: start: %w", id, err)
	}
	var got any
	if err := r.Get(ctx, &got); err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	if !shape.Same(got, s.Want) {
		return fmt.Errorf("%s: result %v, want %v", id, got, s.Want)
	}
	return nil
}

func history(ctx context.Context, c client.Client, id string) (*historypb.History, error) {
	h := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		h.Events = append(h.Events, e)
	}
	return h, nil
}

// record writes the history of one DSL run of each shape, in Temporal's
// JSON form (as dslrun history -o json prints it), to DIR/bench-SHAPE.json,
// and one run of the hand-written workflow to DIR/go-SHAPE.json (to compare
// them; the replay tests take only the DSL ones).
func (b *bench) record(sel []shape.Shape) error {
	ctx := context.Background()
	for _, s := range sel {
		for _, arm := range []string{"dsl", "go"} {
			id := "bench-" + s.Name
			if arm == "go" {
				id = "go-" + s.Name
			}
			if err := b.one(ctx, s, arm, id); err != nil {
				return err
			}
			h, err := history(ctx, b.c, id)
			if err != nil {
				return err
			}
			data, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
			if err != nil {
				return err
			}
			path := filepath.Join(b.cfg.record, id+".json")
			if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
				return err
			}
			fmt.Printf("wrote %s: %d events\n", path, len(h.GetEvents()))
		}
	}
	return nil
}
