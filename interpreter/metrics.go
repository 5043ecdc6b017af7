package interpreter

import (
	"errors"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// Names of the interpreter's per-step metrics, emitted through the
// workflow's metrics handler (workflow.GetMetricsHandler): the handler of
// the worker's client, which records nothing while the workflow replays,
// so a step is counted once however often its run is replayed. The SDK
// adds the tags namespace, task_queue and workflow_type; the interpreter
// adds definition (the definition's name), step (the step's id, or its
// path when it has none) and kind (the step kind). Step ids and paths come
// from the definition, never from input, so a definition's series are at
// most its steps times their outcomes.
//
// Metrics never touch history: a run records the same events with any
// metrics handler, or none.
const (
	// MetricStepStarted counts steps that started.
	MetricStepStarted = "dslrun_step_started"
	// MetricStepCompleted counts steps that ended without failing. A step
	// that ends the run with a return or continue-as-new completed.
	MetricStepCompleted = "dslrun_step_completed"
	// MetricStepFailed counts steps that failed, with the tag failure_type:
	// the type of the failure (an activity's application error type,
	// ActivityTimeout, Canceled, dslrun.ExpressionError, ...). A failure
	// counts at every step it passes through: the activity and each step
	// that encloses it, until a try catches it.
	MetricStepFailed = "dslrun_step_failed"
	// MetricStepLatency is the time from a step's start to its end, in
	// workflow time (the time of the workflow tasks that started and ended
	// it, so a step that never waits takes 0), with the tag outcome:
	// completed or failed.
	MetricStepLatency = "dslrun_step_latency"
)

// stepMetrics is the handler of one running step, tagged with its step and
// kind. It lives only while its step runs: an open run that waits keeps
// one per step in progress, not one per step it ever ran, and the
// instruments are looked up when they record.
type stepMetrics struct {
	handler client.MetricsHandler
}

// stepStart counts n as started and returns what stepEnd needs.
func (r *runner) stepStart(ctx workflow.Context, n *node) (stepMetrics, time.Time) {
	if r.metrics == nil {
		r.metrics = workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"definition": r.plan.name})
	}
	step := n.id
	if step == "" {
		step = n.path
	}
	m := stepMetrics{handler: r.metrics.WithTags(map[string]string{"step": step, "kind": string(n.kind)})}
	m.handler.Counter(MetricStepStarted).Inc(1)
	return m, workflow.Now(ctx)
}

// stepEnd counts the end of a step that stepStart counted, with the error
// it ended with (a return or continue-as-new is no failure).
func (r *runner) stepEnd(ctx workflow.Context, m stepMetrics, start time.Time, err error) {
	took := workflow.Now(ctx).Sub(start)
	if err == nil || isControl(err) {
		m.handler.Counter(MetricStepCompleted).Inc(1)
		m.handler.WithTags(map[string]string{"outcome": "completed"}).Timer(MetricStepLatency).Record(took)
		return
	}
	var f *failure
	if !errors.As(err, &f) {
		f = errorFailure("", "", "", err, nil) // as execAt attributes it
	}
	typ := f.typ
	if typ == "" {
		typ = ErrorType
	}
	m.handler.WithTags(map[string]string{"failure_type": typ}).Counter(MetricStepFailed).Inc(1)
	m.handler.WithTags(map[string]string{"outcome": "failed"}).Timer(MetricStepLatency).Record(took)
}
