package builtin_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"gopkg.in/yaml.v3"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/activities/builtin"
)

var allNames = []string{
	builtin.CounterIncrement, builtin.Echo, builtin.ExternalWait, builtin.Fail, builtin.Log, builtin.MathAdd, builtin.Sleep,
}

// newEnv returns a test activity environment with the whole bundle attached
// from an isolated registry.
func newEnv(t *testing.T, suite *testsuite.WorkflowTestSuite) *testsuite.TestActivityEnvironment {
	t.Helper()
	r := activities.NewRegistry()
	if err := builtin.Register(r); err != nil {
		t.Fatal(err)
	}
	if suite == nil {
		suite = quietSuite()
	}
	env := suite.NewTestActivityEnvironment()
	r.Attach(env)
	return env
}

// quietSuite returns a test suite whose SDK logs are discarded, so that test
// output shows only the tests' own findings.
func quietSuite() *testsuite.WorkflowTestSuite {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	return &suite
}

// applicationError returns the application error inside err, failing the
// test if there is none.
func applicationError(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("error %v (%T) is not an application error", err, err)
	}
	return appErr
}

// wantInvalidInput asserts that err is the non-retryable InvalidInput error
// with message msg.
func wantInvalidInput(t *testing.T, err error, msg string) {
	t.Helper()
	appErr := applicationError(t, err)
	if appErr.Type() != builtin.InvalidInputType || !appErr.NonRetryable() || appErr.Message() != msg {
		t.Errorf("error = type %q, non-retryable %v, message %q; want %q, true, %q",
			appErr.Type(), appErr.NonRetryable(), appErr.Message(), builtin.InvalidInputType, msg)
	}
}

func TestBundle(t *testing.T) {
	r := activities.NewRegistry()
	if err := builtin.Register(r); err != nil {
		t.Fatal(err)
	}
	if got := r.Names(); !slices.Equal(got, allNames) {
		t.Errorf("Register added %v, want %v", got, allNames)
	}
	for _, name := range allNames {
		fromInit, ok := activities.Default().Lookup(name)
		if !ok {
			t.Errorf("init did not register %q into Default()", name)
			continue
		}
		fromRegister, _ := r.Lookup(name)
		if !reflect.DeepEqual(fromInit, fromRegister) {
			t.Errorf("%q: Default() and Register specs differ", name)
		}
	}

	err := builtin.Register(r)
	if !errors.Is(err, activities.ErrDuplicate) {
		t.Fatalf("second Register error = %v, want ErrDuplicate", err)
	}
	if n := strings.Count(err.Error(), "already registered"); n != len(allNames) {
		t.Errorf("second Register reported %d duplicates, want %d:\n%v", n, len(allNames), err)
	}
}

// inputTypes maps each built-in with a struct input to that struct.
var inputTypes = map[string]reflect.Type{
	builtin.Log:              reflect.TypeFor[builtin.LogInput](),
	builtin.Sleep:            reflect.TypeFor[builtin.SleepInput](),
	builtin.Fail:             reflect.TypeFor[builtin.FailInput](),
	builtin.MathAdd:          reflect.TypeFor[builtin.AddInput](),
	builtin.CounterIncrement: reflect.TypeFor[builtin.CounterInput](),
	builtin.ExternalWait:     reflect.TypeFor[builtin.ExternalInput](),
}

func TestSpecs(t *testing.T) {
	r := activities.NewRegistry()
	if err := builtin.Register(r); err != nil {
		t.Fatal(err)
	}
	for _, spec := range r.Specs() {
		t.Run(spec.Name, func(t *testing.T) {
			if spec.Summary == "" || strings.HasSuffix(spec.Summary, ".") || strings.Contains(spec.Summary, "\n") {
				t.Errorf("summary %q: want one line without a trailing period", spec.Summary)
			}
			if spec.Input == nil || spec.Output == nil || spec.Description == "" {
				t.Error("spec lacks an input schema, output schema or description")
			}
			if typ, ok := inputTypes[spec.Name]; ok {
				var schema struct {
					Properties map[string]any `json:"properties"`
				}
				if err := json.Unmarshal(spec.Input, &schema); err != nil {
					t.Fatal(err)
				}
				var props, fields []string
				for p := range schema.Properties {
					props = append(props, p)
				}
				for f := range typ.Fields() {
					fields = append(fields, strings.Split(f.Tag.Get("json"), ",")[0])
				}
				slices.Sort(props)
				slices.Sort(fields)
				if !slices.Equal(props, fields) {
					t.Errorf("schema properties %v differ from %s fields %v", props, typ, fields)
				}
			}
			if len(spec.Examples) == 0 {
				t.Error("no examples")
			}
			for _, ex := range spec.Examples {
				var steps []map[string]any
				if err := yaml.Unmarshal([]byte(ex.YAML), &steps); err != nil {
					t.Fatalf("example %q: %v", ex.Summary, err)
				}
				if len(steps) == 0 || ex.Summary == "" {
					t.Fatalf("example %q has no steps or no summary", ex.Summary)
				}
				for _, step := range steps {
					if step["activity"] != spec.Name {
						t.Errorf("example %q runs activity %v", ex.Summary, step["activity"])
					}
					if errs := r.CheckInput(spec.Name, step["with"]); errs != nil {
						t.Errorf("example %q: with: %v", ex.Summary, errs)
					}
				}
			}
		})
	}
}

// TestInputSchemas pins how validate reports typical mistakes in `with:`.
func TestInputSchemas(t *testing.T) {
	r := activities.NewRegistry()
	if err := builtin.Register(r); err != nil {
		t.Fatal(err)
	}
	type m = map[string]any
	tests := []struct {
		activity string
		with     any
		want     string
	}{
		{builtin.Echo, m{"anything": []any{1, nil}}, ""},
		{builtin.Log, m{"message": "hi", "level": "trace"}, `level: must be one of "debug", "info", "warn", "error"`},
		{builtin.Log, m{"mesage": "hi"}, `missing required property "message"; mesage: unknown property "mesage" (did you mean "message"?)`},
		{builtin.Sleep, m{"duration": "5 seconds"}, `duration: does not match pattern '^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$'`},
		{builtin.Sleep, m{"duration": "1m30s", "heartbeat": "250ms"}, ""},
		{builtin.Sleep, m{"duration": "-1s"}, `duration: does not match pattern '^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$'`},
		{builtin.Sleep, m{"duration": 5}, "duration: expected string, got integer"},
		{builtin.Fail, m{"message": "x", "attempts": 0}, "attempts: must be greater than or equal to 1"},
		{builtin.Fail, m{"message": "x", "nonRetryable": "yes"}, "nonRetryable: expected boolean, got string"},
		{builtin.MathAdd, m{"a": 1, "b": "2"}, "b: expected number, got string"},
		{builtin.CounterIncrement, m{"key": "k", "by": 1.5}, "by: expected integer, got number"},
		{builtin.CounterIncrement, nil, "expected object, got null"},
	}
	for _, tt := range tests {
		var got []string
		for _, e := range r.CheckInput(tt.activity, tt.with) {
			got = append(got, e.Error())
		}
		if s := strings.Join(got, "; "); s != tt.want {
			t.Errorf("%s with %v:\n got %s\nwant %s", tt.activity, tt.with, s, tt.want)
		}
	}
}

// TestConcurrentBundles is meant for -race: bundles registered into many
// registries at once share nothing mutable.
func TestConcurrentBundles(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			r := activities.NewRegistry()
			if err := builtin.Register(r); err != nil {
				t.Error(err)
			}
			r.CheckInput(builtin.Sleep, map[string]any{"duration": "1s"})
		})
	}
	wg.Wait()
}

// BenchmarkRegister measures what the bundle adds to a registry (init does
// the same for Default).
func BenchmarkRegister(b *testing.B) {
	for b.Loop() {
		if err := builtin.Register(activities.NewRegistry()); err != nil {
			b.Fatal(err)
		}
	}
}
