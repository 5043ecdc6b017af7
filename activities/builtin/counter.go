package builtin

import (
	"context"
	"math"
	"sync"

	"github.com/dslrun/dslrun/activities"
)

// Counter holds named in-memory counters and serves the counter.increment
// activity. An increment that carries an idempotency key is applied once: a
// repeat of the same key (for the same counter) returns the value of the
// first application without changing the counter. This makes it the helper
// for proving that an activity's effect was applied once despite retries.
//
// Values live only as long as the Counter, and every idempotency key is
// remembered for that long. A Counter is safe for concurrent use.
type Counter struct {
	mu      sync.Mutex
	values  map[string]int64
	applied map[appliedKey]int64
}

// appliedKey identifies one idempotent increment.
type appliedKey struct{ key, idempotencyKey string }

// CounterInput is the input of the counter.increment activity.
type CounterInput struct {
	// Key names the counter.
	Key string `json:"key"`
	// By is the increment, 1 when nil; it may be negative.
	By *int64 `json:"by,omitempty"`
	// IdempotencyKey, when set, makes repeats of this increment no-ops.
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
}

// NewCounter returns a Counter whose counters are all zero.
func NewCounter() *Counter {
	return &Counter{values: make(map[string]int64), applied: make(map[appliedKey]int64)}
}

// Register adds counter.increment, served by c, to r. Tests and workers use it
// to attach a Counter whose values they can read with [Counter.Value].
func (c *Counter) Register(r *activities.Registry) error {
	return r.Register(counterSpec(), c.Increment)
}

// Value returns the current value of the counter key.
func (c *Counter) Value(key string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.values[key]
}

// Increment adds in.By (default 1) to the counter in.Key and returns its new
// value. With an idempotency key that was seen before for the same counter,
// it changes nothing and returns the value the first increment returned.
func (c *Counter) Increment(_ context.Context, in CounterInput) (int64, error) {
	if in.Key == "" {
		return 0, invalidInput("missing required property %q", "key")
	}
	by := int64(1)
	if in.By != nil {
		by = *in.By
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ak := appliedKey{in.Key, in.IdempotencyKey}
	if in.IdempotencyKey != "" {
		if v, ok := c.applied[ak]; ok {
			return v, nil
		}
	}
	v := c.values[in.Key]
	if (by > 0 && v > math.MaxInt64-by) || (by < 0 && v < math.MinInt64-by) {
		return 0, invalidInput("counter %q: %d + %d overflows", in.Key, v, by)
	}
	v += by
	c.values[in.Key] = v
	if in.IdempotencyKey != "" {
		c.applied[ak] = v
	}
	return v, nil
}

func counterSpec() activities.Spec {
	return activities.Spec{
		Name:    CounterIncrement,
		Summary: "Add to an in-memory counter, at most once per idempotency key",
		Description: "Adds `by` (default 1) to the worker's in-memory counter `key` and returns the new value. " +
			"A repeat of an `idempotencyKey` already applied to the same counter changes nothing and returns " +
			"the value of the first application. Counters live in the worker's memory: they are for examples " +
			"and tests, not for state that must survive a restart.",
		Input: schema(`{
  "type": "object",
  "required": ["key"],
  "additionalProperties": false,
  "properties": {
    "key": {"type": "string", "minLength": 1, "description": "the counter's name"},
    "by": {"type": "integer", "default": 1, "description": "the increment, may be negative"},
    "idempotencyKey": {"type": "string", "minLength": 1, "description": "apply this increment at most once"}
  }
}`),
		Output: schema(`{"type": "integer"}`),
		Examples: []activities.Example{{
			Summary: "Count an order once, however often the step is retried",
			YAML: `- id: count
  activity: counter.increment
  with: {key: orders, by: 1, idempotencyKey: order-1001}
`,
		}},
	}
}
