package activities_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/activities/builtin"
)

// bundleRegistry returns an isolated registry with the built-ins and one
// custom activity.
func bundleRegistry(t *testing.T) *activities.Registry {
	t.Helper()
	r := activities.NewRegistry()
	if err := builtin.Register(r); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(activities.Spec{Name: "ChargeCard"}, ChargeCard); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAttachRunsEveryActivity attaches a registry to the SDK's test activity
// environment and executes every activity in it by its spec name.
func TestAttachRunsEveryActivity(t *testing.T) {
	r := bundleRegistry(t)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	r.Attach(env)

	type m = map[string]any
	tests := []struct {
		name     string
		in       any
		want     string // JSON of the result, when it succeeds
		wantType string // application error type, when it fails
	}{
		{builtin.Echo, m{"a": []any{1, "two"}}, `{"a":[1,"two"]}`, ""},
		{builtin.Log, m{"message": "attached"}, ``, ""},
		{builtin.Sleep, m{"duration": "1ms"}, `{"slept":"1ms"}`, ""},
		{builtin.Fail, m{"message": "no", "type": "Nope"}, "", "Nope"},
		{builtin.MathAdd, m{"a": 1, "b": 2}, `3`, ""},
		{builtin.CounterIncrement, m{"key": "k", "by": 2}, `2`, ""},
		{builtin.ExternalWait, m{"message": "ok?"}, "", pendingType},
		{"ChargeCard", m{"orderId": "o-1", "amount": 3}, `"receipt for o-1: 3.00"`, ""},
	}
	var ran []string
	for _, tt := range tests {
		ran = append(ran, tt.name)
		t.Run(tt.name, func(t *testing.T) {
			v, err := env.ExecuteActivity(tt.name, tt.in)
			if tt.wantType == pendingType {
				if !errors.Is(err, activity.ErrResultPending) {
					t.Fatalf("error = %v, want activity.ErrResultPending", err)
				}
				return
			}
			if tt.wantType != "" {
				var appErr *temporal.ApplicationError
				if !errors.As(err, &appErr) || appErr.Type() != tt.wantType {
					t.Fatalf("error = %v, want an application error of type %q", err, tt.wantType)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if v.HasValue() {
				var raw jsonRaw
				if err := v.Get(&raw); err != nil {
					t.Fatal(err)
				}
				got = string(raw)
			}
			if got != tt.want {
				t.Errorf("result = %s, want %s", got, tt.want)
			}
		})
	}
	if names, covered := r.Names(), slices.Sorted(slices.Values(ran)); !slices.Equal(names, covered) {
		t.Errorf("test covers %v, registry has %v", covered, names)
	}
}

// pendingType stands for activity.ErrResultPending in the wantType column.
const pendingType = "(pending)"

// jsonRaw receives a JSON payload verbatim.
type jsonRaw []byte

func (j *jsonRaw) UnmarshalJSON(b []byte) error {
	*j = append((*j)[:0], b...)
	return nil
}

// TestAttachToWorker attaches to a real worker, whose registration checks
// every function's shape; the client is lazy, so nothing connects.
func TestAttachToWorker(t *testing.T) {
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "activities-test", worker.Options{})
	bundleRegistry(t).Attach(w)
}

// TestAttachOverExistingNamePanics pins the SDK's behaviour that Attach
// inherits: a worker refuses a second activity of the same name.
func TestAttachOverExistingNamePanics(t *testing.T) {
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "activities-test", worker.Options{})
	w.RegisterActivityWithOptions(func(context.Context, string) error { return nil }, activity.RegisterOptions{Name: builtin.Echo})
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), `activity type "echo" is already registered`) {
			t.Errorf("Attach over an existing name: recovered %v, want the SDK's duplicate panic", p)
		}
	}()
	bundleRegistry(t).Attach(w)
}
