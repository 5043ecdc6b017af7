package builtin_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/activities/builtin"
)

// probe is a worker interceptor that records every heartbeat an activity
// records (before the SDK throttles them) and the error each activity
// execution returns.
type probe struct {
	interceptor.WorkerInterceptorBase
	mu       sync.Mutex
	beats    []string
	first    chan struct{} // closed at the first heartbeat
	third    chan struct{} // closed at the third heartbeat
	returned chan error    // receives what each execution returned
}

func newProbe() *probe {
	return &probe{first: make(chan struct{}), third: make(chan struct{}), returned: make(chan error, 16)}
}

func (p *probe) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &probeInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, p: p}
}

func (p *probe) heartbeats() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.beats...)
}

type probeInbound struct {
	interceptor.ActivityInboundInterceptorBase
	p *probe
}

func (i *probeInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	return i.Next.Init(&probeOutbound{ActivityOutboundInterceptorBase: interceptor.ActivityOutboundInterceptorBase{Next: outbound}, p: i.p})
}

func (i *probeInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	v, err := i.Next.ExecuteActivity(ctx, in)
	i.p.returned <- err
	return v, err
}

type probeOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	p *probe
}

func (o *probeOutbound) RecordHeartbeat(ctx context.Context, details ...any) {
	if len(details) == 1 {
		if d, ok := details[0].(string); ok {
			o.p.mu.Lock()
			o.p.beats = append(o.p.beats, d)
			switch len(o.p.beats) {
			case 1:
				close(o.p.first)
			case 3:
				close(o.p.third)
			}
			o.p.mu.Unlock()
		}
	}
	o.Next.RecordHeartbeat(ctx, details...)
}

// probedEnv returns an activity environment with the bundle and a probe.
func probedEnv(t *testing.T, background context.Context) (*testsuite.TestActivityEnvironment, *probe) {
	env := newEnv(t, nil)
	p := newProbe()
	env.SetWorkerOptions(worker.Options{
		BackgroundActivityContext: background,
		Interceptors:              []interceptor.WorkerInterceptor{p},
	})
	return env, p
}

func sleepResult(t *testing.T, v converter.EncodedValue) builtin.SleepResult {
	t.Helper()
	var res builtin.SleepResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// hangBound bounds a wait for something that the test has caused, against a
// hang only: on any machine the event comes far sooner.
const hangBound = time.Minute

// executeAsync runs the activity in a goroutine and returns a channel that
// receives its error.
func executeAsync(env *testsuite.TestActivityEnvironment, in builtin.SleepInput) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := env.ExecuteActivity(builtin.Sleep, in)
		done <- err
	}()
	return done
}

// wantIncreasing checks that the heartbeats are durations that do not go
// down, starting with first, and none past limit: sleep caps the progress
// it reports at its duration, however late a tick runs (not a clock check).
func wantIncreasing(t *testing.T, beats []string, first string, limit time.Duration) {
	t.Helper()
	if len(beats) == 0 || beats[0] != first {
		t.Fatalf("heartbeats = %v, want the first to be %s", beats, first)
	}
	prev := time.Duration(-1)
	for _, b := range beats {
		d, err := time.ParseDuration(b)
		if err != nil || d < prev || d > limit {
			t.Fatalf("heartbeats = %v: want increasing durations up to %s", beats, limit)
		}
		prev = d
	}
}

// TestSleepCompletes sleeps 150ms. The only clock in the checks is a lower
// bound, which no load on the machine can break.
func TestSleepCompletes(t *testing.T) {
	env, p := probedEnv(t, context.Background())
	start := time.Now()
	v, err := env.ExecuteActivity(builtin.Sleep, builtin.SleepInput{Duration: "150ms", Heartbeat: "20ms"})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if got := sleepResult(t, v); got.Slept != "150ms" {
		t.Errorf("slept = %q, want 150ms", got.Slept)
	}
	if elapsed < 150*time.Millisecond {
		t.Errorf("returned after %v, before the 150ms were over", elapsed)
	}
	wantIncreasing(t, p.heartbeats(), "0s", 150*time.Millisecond)
}

func TestSleepZero(t *testing.T) {
	env, p := probedEnv(t, context.Background())
	v, err := env.ExecuteActivity(builtin.Sleep, builtin.SleepInput{Duration: "0"})
	if err != nil {
		t.Fatal(err)
	}
	if got := sleepResult(t, v); got.Slept != "0s" {
		t.Errorf("slept = %q, want 0s", got.Slept)
	}
	if beats := p.heartbeats(); len(beats) != 0 {
		t.Errorf("zero sleep heartbeated %v", beats)
	}
}

// TestSleepContextCancelled cancels the activity's context after its third
// heartbeat: the hour-long sleep must stop with the context's error, having
// heartbeated its progress.
func TestSleepContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, p := probedEnv(t, ctx)
	done := executeAsync(env, builtin.SleepInput{Duration: "1h", Heartbeat: "10ms"})
	select {
	case <-p.third:
	case <-time.After(hangBound):
		t.Fatalf("no third heartbeat within %v: heartbeats %v", hangBound, p.heartbeats())
	}
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(hangBound):
		t.Fatalf("the hour-long sleep still ran %v after its context was cancelled", hangBound)
	}
	if got := <-p.returned; !errors.Is(got, context.Canceled) {
		t.Errorf("sleep returned %v, want context.Canceled", got)
	}
	// The test environment reports a context error that Temporal did not
	// request as an application error.
	if appErr := applicationError(t, err); appErr.Message() != context.Canceled.Error() {
		t.Errorf("error message = %q, want %q", appErr.Message(), context.Canceled.Error())
	}
	wantIncreasing(t, p.heartbeats(), "0s", time.Hour)
}

// sleepThenCancel is a test workflow: it starts an hour-long sleep activity,
// waits (with the activity "heartbeated") until the sleep has heartbeated,
// cancels it, and reports the activity's error.
func sleepThenCancel(ctx workflow.Context) (string, error) {
	actCtx, cancel := workflow.WithCancel(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Hour,
		HeartbeatTimeout:    time.Second,
		WaitForCancellation: true,
	}))
	f := workflow.ExecuteActivity(actCtx, builtin.Sleep, builtin.SleepInput{Duration: "1h", Heartbeat: "50ms"})
	waitCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 2 * time.Hour})
	if err := workflow.ExecuteActivity(waitCtx, "heartbeated").Get(ctx, nil); err != nil {
		return "", err
	}
	cancel()
	err := f.Get(ctx, nil)
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) {
		return "canceled", nil
	}
	return "", err
}

// TestSleepCancelledByWorkflow cancels the activity from a workflow, the way
// Temporal does: the worker learns it from a heartbeat response and cancels
// the activity's context, and the hour-long sleep must return.
func TestSleepCancelledByWorkflow(t *testing.T) {
	r := activities.NewRegistry()
	if err := builtin.Register(r); err != nil {
		t.Fatal(err)
	}
	env := quietSuite().NewTestWorkflowEnvironment()
	p := newProbe()
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{p}})
	r.Attach(env)
	env.RegisterWorkflow(sleepThenCancel)
	env.RegisterActivityWithOptions(func(ctx context.Context) error {
		select {
		case <-p.first:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, activity.RegisterOptions{Name: "heartbeated"})

	env.ExecuteWorkflow(sleepThenCancel)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var outcome string
	if err := env.GetWorkflowResult(&outcome); err != nil || outcome != "canceled" {
		t.Fatalf("workflow result = %q, %v; want canceled", outcome, err)
	}
	// p.returned also receives the result of "heartbeated", before the
	// sleep's.
	for {
		select {
		case err := <-p.returned:
			if err == nil {
				continue
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("sleep returned %v, want context.Canceled", err)
			}
			return
		case <-time.After(hangBound):
			t.Fatalf("sleep still running %v after its cancellation", hangBound)
		}
	}
}

// TestSleepResumes runs an attempt of an hour-long sleep that finds the
// heartbeat of an earlier attempt which had slept all of it but 100ms. The
// activity's context ends after a minute: an attempt that started over
// would fail with the context's error instead of completing.
func TestSleepResumes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	env, p := probedEnv(t, ctx)
	env.SetHeartbeatDetails("59m59.9s")
	v, err := env.ExecuteActivity(builtin.Sleep, builtin.SleepInput{Duration: "1h"})
	if err != nil {
		t.Fatalf("resumed sleep: %v", err)
	}
	if got := sleepResult(t, v); got.Slept != "1h0m0s" {
		t.Errorf("slept = %q, want 1h0m0s", got.Slept)
	}
	if beats := p.heartbeats(); len(beats) == 0 || beats[0] != "59m59.9s" {
		t.Errorf("heartbeats = %v, want the first to carry the resumed 59m59.9s", beats)
	}
}

func TestSleepRejectsBadDurations(t *testing.T) {
	env := newEnv(t, nil)
	for _, tt := range []struct {
		in   builtin.SleepInput
		want string
	}{
		{builtin.SleepInput{Duration: "5 seconds"}, `duration "5 seconds": must be a non-negative Go duration such as 1s`},
		{builtin.SleepInput{Duration: "-1s"}, `duration "-1s": must be a non-negative Go duration such as 1s`},
		{builtin.SleepInput{}, `duration "": must be a non-negative Go duration such as 1s`},
		{builtin.SleepInput{Duration: "1s", Heartbeat: "0s"}, `heartbeat "0s": must be a positive Go duration such as 200ms`},
	} {
		_, err := env.ExecuteActivity(builtin.Sleep, tt.in)
		wantInvalidInput(t, err, tt.want)
	}
}
