//go:build cluster

package clustertest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
)

const (
	// runs is how many runs the test starts.
	runs = 1000
	// killAfter is how many runs complete before a worker is killed.
	killAfter = runs / 4
	// namespace and taskQueue are where the workers serve.
	namespace = "clustertest"
	taskQueue = "clustertest"
	// starters is how many goroutines start the runs.
	starters = 16
	// hangLimit bounds the whole test; it ends earlier, a minute before
	// go test's -timeout (default 10m).
	hangLimit = 13 * time.Minute
)

// definition has five activity steps that take a little time; its output
// depends on every step's result. Activities time out after 5s, so an
// attempt lost with a killed worker is retried on the survivor within 5s.
const definition = `dsl: v1
name: cluster-steps
input:
  type: object
  required: [n]
  properties:
    n: {type: integer}
activity:
  startToCloseTimeout: 5s
steps:
  - id: one
    activity: echo
    with: {n: "${ input.n }"}
  - id: two
    activity: sleep
    with: {duration: 5ms}
  - id: three
    activity: math.add
    with: {a: "${ steps.one.result.n }", b: 1}
  - id: four
    activity: sleep
    with: {duration: 5ms}
  - id: five
    activity: echo
    with: {n: "${ input.n }", next: "${ steps.three.result }"}
output: ${ steps.five.result }
`

// result is the output of a run of definition.
type result struct {
	N    int `json:"n"`
	Next int `json:"next"`
}

// runID is the workflow id of run i.
func runID(i int) string { return fmt.Sprintf("run-%04d", i) }

// TestWorkersOnPostgresCluster runs 1,000 runs on two dslrun worker
// processes against a Temporal server on PostgreSQL, kills one worker with
// SIGKILL once a quarter of the runs completed, and checks that every run
// completed exactly once, with its result, and that the survivor took over.
func TestWorkersOnPostgresCluster(t *testing.T) {
	pgBin := requirePostgres(t)
	testStart := time.Now()
	ctx, cancel := hangBound(t, hangLimit)
	defer cancel()

	// Not t.TempDir: its parent folder is private to this user, and the
	// postgres user must reach its folder inside; also kept on request.
	dir, err := os.MkdirTemp("", "dslrun-cluster-") //nolint:usetesting // see above
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if os.Getenv("DSLRUN_KEEP_CLUSTER_DIR") != "" {
			t.Logf("kept %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	t.Logf("work folder %s (postgres.log, temporal.log, worker-*.out, worker-*.log; DSLRUN_KEEP_CLUSTER_DIR=1 keeps it)", dir)

	// The binary builds while PostgreSQL and Temporal start.
	type built struct {
		bin string
		err error
	}
	buildDone := make(chan built, 1)
	go func() {
		bin, err := buildDslrun(ctx, dir)
		buildDone <- built{bin, err}
	}()
	buildWait := func() string {
		select {
		case b := <-buildDone:
			if b.err != nil {
				t.Fatal(b.err)
			}
			return b.bin
		case <-ctx.Done():
			t.Fatalf("building dslrun: %v", ctx.Err())
			return ""
		}
	}

	phase := time.Now()
	pg, err := startPostgres(ctx, t, pgBin, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := setupDatabases(pg, namespace); err != nil {
		t.Fatalf("%v\npostgres log:\n%s", err, tail(pg.Log, 2000))
	}
	t.Logf("postgres %s: cluster, databases and schemas ready in %s", filepath.Base(filepath.Dir(pgBin)), time.Since(phase).Round(time.Millisecond))

	phase = time.Now()
	srv, err := startTemporal(ctx, pg, filepath.Join(dir, "temporal.log"))
	if err != nil {
		t.Fatalf("%v\ntemporal log:\n%s", err, tail(filepath.Join(dir, "temporal.log"), 4000))
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop temporal server: %v", err)
		}
	})
	t.Logf("temporal server on postgres: frontend %s serving in %s", srv.Frontend, time.Since(phase).Round(time.Millisecond))

	c, err := client.DialContext(ctx, client.Options{
		HostPort:  srv.Frontend,
		Namespace: namespace,
		Logger:    fileLogger(t, filepath.Join(dir, "client.log")),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	phase = time.Now()
	bin := buildWait()
	t.Logf("dslrun built (-tags noserver), %s after the server was up", time.Since(phase).Round(time.Millisecond))

	defs := filepath.Join(dir, "defs")
	if err := os.Mkdir(defs, 0o755); err != nil {
		t.Fatal(err)
	}
	defFile := filepath.Join(defs, "cluster-steps.yaml")
	if err := os.WriteFile(defFile, []byte(definition), 0o644); err != nil {
		t.Fatal(err)
	}
	// Worker a finds the cluster through the environment, worker b through
	// a profile of a Temporal config file: two of the ways docs/production.md
	// describes.
	profile := filepath.Join(dir, "temporal.toml")
	if err := os.WriteFile(profile, fmt.Appendf(nil, "[profile.cluster]\naddress = %q\nnamespace = %q\n", srv.Frontend, namespace), 0o644); err != nil {
		t.Fatal(err)
	}
	envA := cleanEnv(dir, "TEMPORAL_ADDRESS="+srv.Frontend, "TEMPORAL_NAMESPACE="+namespace)
	workerA, err := startProcess(t, dir, "worker-a", bin, envA,
		"worker", "--dir", defs, "--task-queue", taskQueue, "--log-file", filepath.Join(dir, "worker-a.log"))
	if err != nil {
		t.Fatal(err)
	}
	workerB, err := startProcess(t, dir, "worker-b", bin, cleanEnv(dir),
		"worker", "--dir", defs, "--task-queue", taskQueue, "--config-file", profile, "--profile", "cluster",
		"--log-file", filepath.Join(dir, "worker-b.log"))
	if err != nil {
		t.Fatal(err)
	}
	phase = time.Now()
	if err := waitPollers(ctx, c, workerA, workerB); err != nil {
		t.Fatal(err)
	}
	t.Logf("workers a (pid %d) and b (pid %d) polling task queue %q in %s", workerA.Pid(), workerB.Pid(), taskQueue, time.Since(phase).Round(time.Millisecond))

	// Start the runs by the definition's name, with their input alone, as
	// any Temporal client would.
	runsStart := time.Now()
	if err := startRuns(ctx, c); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d runs started in %s", runs, time.Since(runsStart).Round(time.Millisecond))

	// Kill worker a once the server counts a quarter of the runs completed.
	if err := waitCompleted(ctx, c, func(n int64) bool { return n >= killAfter }); err != nil {
		t.Fatalf("%v\nworker a:\n%s\nworker b:\n%s", err, workerA.Output(), workerB.Output())
	}
	killTime := time.Now()
	if err := syscall.Kill(-workerA.Pid(), syscall.SIGKILL); err != nil {
		t.Fatalf("kill worker a: %v", err)
	}
	if err := workerA.Wait(ctx); !killedBy(err, syscall.SIGKILL) {
		t.Fatalf("worker a: exit %v, want killed by SIGKILL", err)
	}
	t.Logf("worker a killed (SIGKILL) once %d runs were counted completed, %s after the first start", killAfter, killTime.Sub(runsStart).Round(time.Millisecond))

	// The CLI against the cluster, served by the survivor alone: apply
	// starts its run behind the others, waits for it and prints the output.
	apply := exec.CommandContext(ctx, bin, "apply", defFile, "--input", `{"n": 5000}`,
		"--id", "cli-apply", "--task-queue", taskQueue, "-o", "json")
	apply.Env = envA
	var applyStderr strings.Builder
	apply.Stderr = &applyStderr
	applyOut, err := apply.Output()
	if ctx.Err() != nil {
		t.Fatalf("hang bound reached while dslrun apply ran (%v): %d runs counted completed so far", ctx.Err(), countCompleted(c))
	}
	if err != nil {
		t.Fatalf("dslrun apply: %v\n%s%s", err, applyOut, applyStderr.String())
	}
	var applied struct {
		Status string `json:"status"`
		Result result `json:"result"`
	}
	if err := json.Unmarshal(applyOut, &applied); err != nil {
		t.Fatalf("dslrun apply -o json: %v\n%s", err, applyOut)
	}
	if applied.Status != "completed" || applied.Result != (result{N: 5000, Next: 5001}) {
		t.Fatalf("dslrun apply printed %s", applyOut)
	}

	// Every run completed (the server counts runs+1 with apply's), and
	// each workflow id has exactly one run.
	if err := waitCompleted(ctx, c, func(n int64) bool { return n >= runs+1 }); err != nil {
		t.Fatalf("%v\nworker b:\n%s", err, workerB.Output())
	}
	t.Logf("all %d runs counted completed %s after the first start (%s after the kill)", runs, time.Since(runsStart).Round(time.Millisecond), time.Since(killTime).Round(time.Millisecond))
	if err := checkVisibility(ctx, c); err != nil {
		t.Fatal(err)
	}

	// Histories: one completion each, and who did the work.
	phase = time.Now()
	hs, err := readHistories(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	st := analyse(t, hs, workerA.Pid(), workerB.Pid(), killTime)
	t.Logf("%d histories read in %s", runs, time.Since(phase).Round(time.Millisecond))

	serverCPU, pgCPU, survivorCPU := selfCPU(), groupCPU(pg.cmd.Process.Pid), groupCPU(workerB.Pid())

	// The survivor stops cleanly on SIGTERM.
	if err := syscall.Kill(workerB.Pid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := workerB.Wait(ctx); err != nil {
		t.Fatalf("worker b on SIGTERM: %v\n%s", err, workerB.Output())
	}

	a, b := workerA.Pid(), workerB.Pid()
	total := st.lastClose.Sub(runsStart)
	t.Logf("figures: %d runs x 5 activities completed in %s after the first start: %.1f runs/s; %.1f runs/s with two workers (before the kill), %.1f runs/s after it",
		runs, total.Round(time.Millisecond), float64(runs)/total.Seconds(),
		float64(st.closedBeforeKill)/killTime.Sub(runsStart).Seconds(),
		float64(runs-st.closedBeforeKill)/st.lastClose.Sub(killTime).Seconds())
	t.Logf("figures: worker a ran %d workflow tasks and %d activities, worker b %d and %d",
		st.workflowTasks[a], st.activityTasks[a], st.workflowTasks[b], st.activityTasks[b])
	t.Logf("figures: %d tasks of %d runs were lost with worker a and done again by worker b, the first %s and the last %s after the kill; %d completions sent by worker a were recorded after the kill",
		st.lostTasks, st.takenOver, st.firstRedone.Sub(killTime).Round(time.Millisecond), st.lastRedone.Sub(killTime).Round(time.Millisecond), st.closedByKilledAfterKill)
	t.Logf("figures: CPU time used: %s by this process (the Temporal server, the client, the checks), %s by postgres, %s by worker a (killed), %s by worker b",
		serverCPU.Round(time.Second), pgCPU.Round(time.Second), workerA.processCPU().Round(time.Second), survivorCPU.Round(time.Second))
	t.Logf("figures: whole test %s (startup, build, runs, checks)", time.Since(testStart).Round(time.Millisecond))
}

// fileLogger is an SDK logger that writes warnings and errors to path.
func fileLogger(t *testing.T, path string) sdklog.Logger {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

// waitPollers waits until every worker polls the task queue for workflow
// and activity tasks, as the server reports (DescribeTaskQueue), failing
// early if one exits.
func waitPollers(ctx context.Context, c client.Client, workers ...*process) error {
	for {
		missing := 0
		for _, tqType := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
			resp, err := c.DescribeTaskQueue(ctx, taskQueue, tqType)
			if err != nil {
				return fmt.Errorf("describe task queue: %w", err)
			}
			polling := map[int]bool{}
			for _, p := range resp.GetPollers() {
				polling[identityPid(p.GetIdentity())] = true
			}
			for _, w := range workers {
				if !polling[w.Pid()] {
					missing++
				}
			}
		}
		if missing == 0 {
			return nil
		}
		for _, w := range workers {
			if w.Exited() {
				return fmt.Errorf("%s exited before polling: %v\n%s", w.Name, w.err, w.Output())
			}
		}
		select {
		case <-ctx.Done():
			var out []string
			for _, w := range workers {
				out = append(out, w.Name+":\n"+w.Output())
			}
			return fmt.Errorf("workers not polling: %w\n%s", ctx.Err(), strings.Join(out, "\n"))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// startRuns starts runs of cluster-steps by name, from starters goroutines.
func startRuns(ctx context.Context, c client.Client) error {
	next := make(chan int)
	errs := make(chan error, starters)
	var wg sync.WaitGroup
	for range starters {
		wg.Go(func() {
			for i := range next {
				_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
					ID:                    runID(i),
					TaskQueue:             taskQueue,
					WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
				}, "cluster-steps", map[string]int{"n": i})
				if err != nil {
					errs <- fmt.Errorf("start %s: %w", runID(i), err)
					return
				}
			}
		})
	}
	var err error
feed:
	for i := range runs {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

// waitCompleted waits until the server's count of completed runs in the
// namespace satisfies done. The count comes from visibility, a little
// behind the histories; a count above the number of runs started is an
// error.
func waitCompleted(ctx context.Context, c client.Client, done func(int64) bool) error {
	for {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: namespace,
			Query:     "ExecutionStatus = 'Completed'",
		})
		if err != nil {
			return fmt.Errorf("count completed runs: %w", err)
		}
		n := resp.GetCount()
		if n > runs+1 {
			return fmt.Errorf("the server counts %d completed runs, more than the %d started", n, runs+1)
		}
		if done(n) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d runs completed: %w", n, runs, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// checkVisibility lists every execution of the namespace: each run-NNNN id
// once and completed, plus the one cli-apply run, and nothing else.
func checkVisibility(ctx context.Context, c client.Client) error {
	seen := map[string]int{}
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: namespace, PageSize: 1000, NextPageToken: token,
		})
		if err != nil {
			return fmt.Errorf("list runs: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			id := e.GetExecution().GetWorkflowId()
			seen[id]++
			if e.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				return fmt.Errorf("%s (run %s) is %s", id, e.GetExecution().GetRunId(), e.GetStatus())
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	var problems []string
	for i := range runs {
		if n := seen[runID(i)]; n != 1 {
			problems = append(problems, fmt.Sprintf("%s has %d runs", runID(i), n))
		}
		delete(seen, runID(i))
	}
	if seen["cli-apply"] != 1 {
		problems = append(problems, fmt.Sprintf("cli-apply has %d runs", seen["cli-apply"]))
	}
	delete(seen, "cli-apply")
	for id, n := range seen {
		problems = append(problems, fmt.Sprintf("unexpected workflow %s (%d runs)", id, n))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("visibility: %s", strings.Join(problems, "; "))
	}
	return nil
}

// readHistories reads the history of every run, eight at a time.
func readHistories(ctx context.Context, c client.Client) ([][]*historypb.HistoryEvent, error) {
	hs := make([][]*historypb.HistoryEvent, runs)
	errs := make([]error, runs)
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				it := c.GetWorkflowHistory(ctx, runID(i), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
				for it.HasNext() {
					e, err := it.Next()
					if err != nil {
						errs[i] = fmt.Errorf("history of %s: %w", runID(i), err)
						break
					}
					hs[i] = append(hs[i], e)
				}
			}
		})
	}
	for i := range runs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return hs, nil
}

// stats are what the histories say about the work and the kill.
type stats struct {
	// closedBeforeKill counts runs that completed before the kill;
	// lastClose is when the last run completed.
	closedBeforeKill int
	lastClose        time.Time
	// workflowTasks and activityTasks count the tasks each worker (by pid)
	// started, as recorded in the histories (an activity's last attempt).
	workflowTasks, activityTasks map[int]int
	// lostTasks counts the tasks lost with the killed worker and done again
	// by the survivor: workflow tasks of the killed worker that timed out,
	// and activities that the survivor completed after the kill in an
	// attempt after the first (the history keeps only the last attempt, so
	// an activity that timed out on the survivor itself would count too).
	// takenOver counts the runs they belong to.
	lostTasks, takenOver int
	// firstRedone and lastRedone are when the survivor completed the first
	// and the last of them.
	firstRedone, lastRedone time.Time
	// closedByKilledAfterKill counts runs whose completion, sent by the
	// killed worker before it died, the server recorded after the kill.
	closedByKilledAfterKill int
}

// analyse checks that every history has exactly one completion, with the
// run's result, and that every workflow task was completed by one of the
// workers; that both workers did work; and that tasks lost with the killed
// worker were done again by the survivor. It returns the figures. It
// makes no assertion on time: event times only sort runs into before and
// after the kill for the figures.
func analyse(t *testing.T, hs [][]*historypb.HistoryEvent, killed, survivor int, killTime time.Time) stats {
	t.Helper()
	st := stats{workflowTasks: map[int]int{}, activityTasks: map[int]int{}}
	redone := func(at time.Time) {
		st.lostTasks++
		if st.firstRedone.IsZero() || at.Before(st.firstRedone) {
			st.firstRedone = at
		}
		if at.After(st.lastRedone) {
			st.lastRedone = at
		}
	}
	for i, h := range hs {
		var (
			completions int
			closeTime   time.Time
			finisher    int            // the worker that completed the last workflow task
			startedBy   int            // the worker that started the current workflow task, 0 before it starts
			timedOut    bool           // a workflow task of the killed worker timed out since the last completed one
			retried     map[int64]bool // activities (by scheduled event id) retried after the kill
			lost        int
		)
		for _, e := range h {
			at := e.GetEventTime().AsTime()
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
				completions++
				closeTime = at
				var got result
				err := converter.GetDefaultDataConverter().FromPayloads(e.GetWorkflowExecutionCompletedEventAttributes().GetResult(), &got)
				if want := (result{N: i, Next: i + 1}); err != nil || got != want {
					t.Errorf("%s: result %+v (%v), want %+v", runID(i), got, err, want)
				}
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
				startedBy = 0
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
				startedBy = identityPid(e.GetWorkflowTaskStartedEventAttributes().GetIdentity())
				st.workflowTasks[startedBy]++
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
				// Lost with the killed worker: started by it, or never
				// started while the run was sticky to it (its last workflow
				// task was the killed worker's).
				if startedBy == killed || startedBy == 0 && finisher == killed {
					timedOut = true
				}
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
				finisher = identityPid(e.GetWorkflowTaskCompletedEventAttributes().GetIdentity())
				if finisher != killed && finisher != survivor {
					t.Errorf("%s: workflow task completed by pid %d, neither worker", runID(i), finisher)
				}
				if timedOut && finisher == survivor {
					redone(at)
					lost++
				}
				timedOut = false
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				a := e.GetActivityTaskStartedEventAttributes()
				pid := identityPid(a.GetIdentity())
				st.activityTasks[pid]++
				if a.GetAttempt() > 1 && pid == survivor && at.After(killTime) {
					if retried == nil {
						retried = map[int64]bool{}
					}
					retried[a.GetScheduledEventId()] = true
				}
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
				if retried[e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()] {
					redone(at)
					lost++
				}
			}
		}
		if completions != 1 {
			t.Errorf("%s: %d WorkflowExecutionCompleted events, want 1", runID(i), completions)
			continue
		}
		if closeTime.After(st.lastClose) {
			st.lastClose = closeTime
		}
		if lost > 0 {
			st.takenOver++
		}
		if closeTime.Before(killTime) {
			st.closedBeforeKill++
		} else if finisher == killed {
			// A completion the killed worker sent just before it died can
			// be recorded just after: counted, not an error.
			st.closedByKilledAfterKill++
		}
	}
	for _, pid := range []int{killed, survivor} {
		if st.workflowTasks[pid] == 0 || st.activityTasks[pid] == 0 {
			t.Errorf("worker pid %d ran %d workflow tasks and %d activities: both workers should have shared the work", pid, st.workflowTasks[pid], st.activityTasks[pid])
		}
	}
	if st.lostTasks == 0 {
		t.Error("no task was lost with the killed worker and done again by the survivor: the kill did not hit work in flight")
	}
	return st
}

// countCompleted is the server's count of completed runs, or -1.
func countCompleted(c client.Client) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Namespace: namespace, Query: "ExecutionStatus = 'Completed'",
	})
	if err != nil {
		return -1
	}
	return resp.GetCount()
}
