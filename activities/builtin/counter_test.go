package builtin_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/activities/builtin"
)

func ptr(v int64) *int64 { return &v }

func TestCounterIncrement(t *testing.T) {
	c := builtin.NewCounter()
	ctx := context.Background()
	steps := []struct {
		in   builtin.CounterInput
		want int64
	}{
		{builtin.CounterInput{Key: "k"}, 1},
		{builtin.CounterInput{Key: "k", By: ptr(5)}, 6},
		{builtin.CounterInput{Key: "k", By: ptr(10), IdempotencyKey: "op-1"}, 16},
		{builtin.CounterInput{Key: "k", By: ptr(10), IdempotencyKey: "op-1"}, 16}, // repeat: no effect
		{builtin.CounterInput{Key: "k", By: ptr(99), IdempotencyKey: "op-1"}, 16}, // same key, other by: still no effect
		{builtin.CounterInput{Key: "k", By: ptr(-20)}, -4},
		{builtin.CounterInput{Key: "k", By: ptr(10), IdempotencyKey: "op-1"}, 16},     // still the first result
		{builtin.CounterInput{Key: "other", By: ptr(10), IdempotencyKey: "op-1"}, 10}, // keys are per counter
		{builtin.CounterInput{Key: "k", By: ptr(0)}, -4},
	}
	for i, s := range steps {
		got, err := c.Increment(ctx, s.in)
		if err != nil || got != s.want {
			t.Fatalf("step %d: Increment(%+v) = %d, %v; want %d", i, s.in, got, err, s.want)
		}
	}
	if v := c.Value("k"); v != -4 {
		t.Errorf("Value(k) = %d, want -4", v)
	}
	if v := c.Value("unused"); v != 0 {
		t.Errorf("Value(unused) = %d, want 0", v)
	}
}

func TestCounterRejects(t *testing.T) {
	c := builtin.NewCounter()
	ctx := context.Background()
	if _, err := c.Increment(ctx, builtin.CounterInput{Key: "max", By: ptr(math.MaxInt64)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Increment(ctx, builtin.CounterInput{Key: "max"})
	wantInvalidInput(t, err, `counter "max": 9223372036854775807 + 1 overflows`)
	if v := c.Value("max"); v != math.MaxInt64 {
		t.Errorf("overflowing increment changed the value to %d", v)
	}
	_, err = c.Increment(ctx, builtin.CounterInput{})
	wantInvalidInput(t, err, `missing required property "key"`)
}

// TestCounterIdempotentThroughTemporal runs the same increment three times,
// as retries of a step would, through the SDK's test environment.
func TestCounterIdempotentThroughTemporal(t *testing.T) {
	c := builtin.NewCounter()
	r := activities.NewRegistry()
	if err := c.Register(r); err != nil {
		t.Fatal(err)
	}
	env := quietSuite().NewTestActivityEnvironment()
	r.Attach(env)
	in := map[string]any{"key": "orders", "by": 3, "idempotencyKey": "order-1001"}
	for i := range 3 {
		v, err := env.ExecuteActivity(builtin.CounterIncrement, in)
		if err != nil {
			t.Fatal(err)
		}
		var got int64
		if err := v.Get(&got); err != nil || got != 3 {
			t.Errorf("run %d: result %d, %v; want 3", i+1, got, err)
		}
	}
	if _, err := env.ExecuteActivity(builtin.CounterIncrement, map[string]any{"key": "orders"}); err != nil {
		t.Fatal(err)
	}
	if v := c.Value("orders"); v != 4 {
		t.Errorf("Value(orders) = %d, want 4 (3 applied once, then 1)", v)
	}
}

// TestCounterConcurrent is meant for -race: 8 workers apply the same 100
// idempotent increments and 100 plain ones each.
func TestCounterConcurrent(t *testing.T) {
	c := builtin.NewCounter()
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range 100 {
				if _, err := c.Increment(ctx, builtin.CounterInput{Key: "once", IdempotencyKey: fmt.Sprint("op-", i)}); err != nil {
					t.Error(err)
				}
				if _, err := c.Increment(ctx, builtin.CounterInput{Key: "every"}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if once, every := c.Value("once"), c.Value("every"); once != 100 || every != 800 {
		t.Errorf("once = %d, every = %d; want 100 and 800", once, every)
	}
}
