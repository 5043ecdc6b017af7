package dslruncmd

import (
	"fmt"
	"math"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/worker"
)

// The SDK's defaults of the worker options that workerTuning sets, printed
// by --help (go.temporal.io/sdk/internal: defaultMaxConcurrent*,
// defaultConcurrentPollRoutineSize, defaultWorkerActivitiesPerSecond,
// defaultStickyCacheSize).
const (
	defaultMaxConcurrent      = 1000
	defaultPollers            = 2
	defaultActivitiesPerSec   = 100000
	defaultStickyCacheEntries = 10000
)

// workerTuning are the flags that size a worker: its concurrent task
// slots, its pollers, its activity rate limits and the sticky cache. Zero
// values are never passed on: the SDK's defaults (the flags' defaults) hold.
type workerTuning struct {
	MaxActivities         int
	MaxWorkflowTasks      int
	MaxLocalActivities    int
	ActivityPollers       int
	WorkflowTaskPollers   int
	ActivitiesPerSecond   float64
	QueueActivitiesPerSec float64
	StickyCacheSize       int
	// changed holds the names of the flags that were given.
	changed map[string]bool
}

func (t *workerTuning) register(fs *pflag.FlagSet) {
	fs.IntVar(&t.MaxActivities, "max-concurrent-activities", defaultMaxConcurrent,
		"activities this worker runs at once")
	fs.IntVar(&t.MaxWorkflowTasks, "max-concurrent-workflow-tasks", defaultMaxConcurrent,
		"workflow tasks this worker runs at once (at least 2)")
	fs.IntVar(&t.MaxLocalActivities, "max-concurrent-local-activities", defaultMaxConcurrent,
		"local activities this worker runs at once")
	fs.IntVar(&t.ActivityPollers, "activity-pollers", defaultPollers,
		"concurrent polls for activity tasks")
	fs.IntVar(&t.WorkflowTaskPollers, "workflow-task-pollers", defaultPollers,
		"concurrent polls for workflow tasks (at least 2: the task queue and the worker's sticky queue)")
	fs.Float64Var(&t.ActivitiesPerSecond, "activities-per-second", defaultActivitiesPerSec,
		"activities this worker starts per second, at most (fractions allowed: 0.5 is one every 2 seconds)")
	fs.Float64Var(&t.QueueActivitiesPerSec, "task-queue-activities-per-second", 0,
		"activities the whole task queue starts per second, across its workers, enforced by the server (default no limit)")
	fs.IntVar(&t.StickyCacheSize, "sticky-cache-size", defaultStickyCacheEntries,
		"workflow runs kept in memory between their tasks, so that a task need not replay the history")
}

// validate checks the values; fs tells which flags were given.
func (t *workerTuning) validate(fs *pflag.FlagSet) error {
	for _, c := range []struct {
		flag string
		v    int
		min  int
	}{
		{"--max-concurrent-activities", t.MaxActivities, 1},
		{"--max-concurrent-workflow-tasks", t.MaxWorkflowTasks, 2},
		{"--max-concurrent-local-activities", t.MaxLocalActivities, 1},
		{"--activity-pollers", t.ActivityPollers, 1},
		{"--workflow-task-pollers", t.WorkflowTaskPollers, 2},
		{"--sticky-cache-size", t.StickyCacheSize, 1},
	} {
		if c.v < c.min {
			return usageErrorf("%s must be at least %d, not %d", c.flag, c.min, c.v)
		}
	}
	for _, c := range []struct {
		flag string
		v    float64
		zero bool
	}{
		{"--activities-per-second", t.ActivitiesPerSecond, false},
		{"--task-queue-activities-per-second", t.QueueActivitiesPerSec, true},
	} {
		if math.IsNaN(c.v) || math.IsInf(c.v, 0) || c.v < 0 || (c.v == 0 && !c.zero) {
			if c.zero {
				return usageErrorf("%s must be a positive number of activities a second (0: no limit), not %v", c.flag, c.v)
			}
			return usageErrorf("%s must be a positive number of activities a second, not %v", c.flag, c.v)
		}
	}
	t.changed = map[string]bool{}
	fs.Visit(func(f *pflag.Flag) {
		if tuningFlags[f.Name] {
			t.changed[f.Name] = true
		}
	})
	return nil
}

// tuningFlags are the names of the flags of workerTuning.
var tuningFlags = map[string]bool{
	"max-concurrent-activities": true, "max-concurrent-workflow-tasks": true, "max-concurrent-local-activities": true,
	"activity-pollers": true, "workflow-task-pollers": true,
	"activities-per-second": true, "task-queue-activities-per-second": true, "sticky-cache-size": true,
}

// given reports whether any tuning flag was given (after validate).
func (t *workerTuning) given() bool { return len(t.changed) > 0 }

// apply sets in opts the tuning flags that were given; the others keep
// the SDK's defaults, which their flags' defaults repeat. The sticky cache
// is the SDK's, shared by the workers of the process: it is sized here,
// before the worker is made.
func (t *workerTuning) apply(opts *worker.Options) {
	if t == nil {
		return
	}
	set := func(flag string, f func()) {
		if t.changed[flag] {
			f()
		}
	}
	set("max-concurrent-activities", func() { opts.MaxConcurrentActivityExecutionSize = t.MaxActivities })
	set("max-concurrent-workflow-tasks", func() { opts.MaxConcurrentWorkflowTaskExecutionSize = t.MaxWorkflowTasks })
	set("max-concurrent-local-activities", func() { opts.MaxConcurrentLocalActivityExecutionSize = t.MaxLocalActivities })
	set("activity-pollers", func() { opts.MaxConcurrentActivityTaskPollers = t.ActivityPollers })
	set("workflow-task-pollers", func() { opts.MaxConcurrentWorkflowTaskPollers = t.WorkflowTaskPollers })
	set("activities-per-second", func() { opts.WorkerActivitiesPerSecond = t.ActivitiesPerSecond })
	set("task-queue-activities-per-second", func() { opts.TaskQueueActivitiesPerSecond = t.QueueActivitiesPerSec })
	set("sticky-cache-size", func() { worker.SetStickyWorkflowCacheSize(t.StickyCacheSize) })
}

// describe is one line of what differs from the SDK's defaults, or "".
func (t *workerTuning) describe() string {
	if t == nil {
		return ""
	}
	s := ""
	add := func(name string, v, def any) {
		if v != def {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%s %v", name, v)
		}
	}
	add("max concurrent activities", t.MaxActivities, defaultMaxConcurrent)
	add("max concurrent workflow tasks", t.MaxWorkflowTasks, defaultMaxConcurrent)
	add("max concurrent local activities", t.MaxLocalActivities, defaultMaxConcurrent)
	add("activity pollers", t.ActivityPollers, defaultPollers)
	add("workflow task pollers", t.WorkflowTaskPollers, defaultPollers)
	add("activities per second", t.ActivitiesPerSecond, float64(defaultActivitiesPerSec))
	add("task queue activities per second", t.QueueActivitiesPerSec, float64(0))
	add("sticky cache size", t.StickyCacheSize, defaultStickyCacheEntries)
	return s
}
