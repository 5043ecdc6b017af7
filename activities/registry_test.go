package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/activities/builtin"
)

type chargeInput struct {
	OrderID string  `json:"orderId"`
	Amount  float64 `json:"amount"`
}

type myError struct{}

func (*myError) Error() string { return "mine" }

func okFn(context.Context, chargeInput) (string, error) { return "ok", nil }

func TestRegisterRejects(t *testing.T) {
	const shape = "func(context.Context, T) (R, error) or func(context.Context, T) error"
	tests := []struct {
		name string
		spec activities.Spec
		fn   any
		want string
	}{
		{"empty name", activities.Spec{}, okFn, `activity name must not be empty`},
		{"space in name", activities.Spec{Name: "charge card"}, okFn, `activity name "charge card" must not contain spaces or control characters`},
		{"tab in name", activities.Spec{Name: "charge\tcard"}, okFn, `activity name "charge\tcard" must not contain spaces or control characters`},
		{"newline in name", activities.Spec{Name: "charge\n"}, okFn, `activity name "charge\n" must not contain spaces or control characters`},
		{"reserved prefix", activities.Spec{Name: "__temporal_x"}, okFn, `activity name "__temporal_x": the prefix "__temporal_" is reserved by Temporal`},
		{"nil fn", activities.Spec{Name: "a"}, nil, `activity "a": fn is nil`},
		{"typed nil fn", activities.Spec{Name: "a"}, (func(context.Context, any) error)(nil), `activity "a": fn is nil`},
		{"not a func", activities.Spec{Name: "a"}, 42, `activity "a": fn must be ` + shape + `, got int`},
		{"struct pointer", activities.Spec{Name: "a"}, &chargeInput{}, `activity "a": fn must be ` + shape + `, got *activities_test.chargeInput`},
		{"no context", activities.Spec{Name: "a"}, func(string) error { return nil }, `activity "a": fn must be ` + shape + `, got func(string) error`},
		{"no input", activities.Spec{Name: "a"}, func(context.Context) error { return nil }, `activity "a": fn must be ` + shape + `, got func(context.Context) error`},
		{"two inputs", activities.Spec{Name: "a"}, func(context.Context, string, int) error { return nil }, `activity "a": fn must be ` + shape + `, got func(context.Context, string, int) error`},
		{"variadic", activities.Spec{Name: "a"}, func(context.Context, ...string) error { return nil }, `activity "a": fn must be ` + shape + `, got func(context.Context, ...string) error`},
		{"input first", activities.Spec{Name: "a"}, func(string, context.Context) error { return nil }, `activity "a": fn must be ` + shape + `, got func(string, context.Context) error`},
		{"no results", activities.Spec{Name: "a"}, func(context.Context, string) {}, `activity "a": fn must be ` + shape + `, got func(context.Context, string)`},
		{"no error", activities.Spec{Name: "a"}, func(context.Context, string) string { return "" }, `activity "a": fn must be ` + shape + `, got func(context.Context, string) string`},
		{"error first", activities.Spec{Name: "a"}, func(context.Context, string) (error, string) { return nil, "" }, `activity "a": fn must be ` + shape + `, got func(context.Context, string) (error, string)`}, //nolint:staticcheck // the wrong shape is what this case checks
		{"three results", activities.Spec{Name: "a"}, func(context.Context, string) (int, int, error) { return 0, 0, nil }, `activity "a": fn must be ` + shape + `, got func(context.Context, string) (int, int, error)`},
		{"concrete error type", activities.Spec{Name: "a"}, func(context.Context, string) *myError { return nil }, `activity "a": fn must be ` + shape + `, got func(context.Context, string) *activities_test.myError`},
		{"channel input", activities.Spec{Name: "a"}, func(context.Context, chan int) error { return nil }, `activity "a": fn input type chan int cannot be decoded from JSON`},
		{"non-empty interface input", activities.Spec{Name: "a"}, func(context.Context, error) error { return nil }, `activity "a": fn input type error cannot be decoded from JSON`},
		{"func result", activities.Spec{Name: "a"}, func(context.Context, string) (func(), error) { return nil, nil }, `activity "a": fn result type func() cannot be encoded as JSON`},
		{"schema not JSON", activities.Spec{Name: "a", Input: json.RawMessage(`{`)}, okFn, `activity "a": input schema: not valid JSON: unexpected end of JSON input`},
		{"schema an array", activities.Spec{Name: "a", Input: json.RawMessage(`[]`)}, okFn, `activity "a": input schema: must be a JSON object or boolean, got array`},
		{"schema bad type", activities.Spec{Name: "a", Input: json.RawMessage(`{"type": "text"}`)}, okFn, `activity "a": input schema: type: must validate at least one schema (anyOf); type: type must be one of the following: "array", "boolean", "integer", "null", "number", "object", "string"`},
		{"schema bad required", activities.Spec{Name: "a", Input: json.RawMessage(`{"required": "a"}`)}, okFn, `activity "a": input schema: required: invalid type. Expected: array, given: string`},
		{"remote ref", activities.Spec{Name: "a", Input: json.RawMessage(`{"properties": {"a": {"$ref": "http://example.com/s.json"}}}`)}, okFn, `activity "a": input schema: properties.a: $ref "http://example.com/s.json": only local references ("#/...") are allowed`},
		{"file ref", activities.Spec{Name: "a", Input: json.RawMessage(`{"$ref": "file:///etc/passwd"}`)}, okFn, `activity "a": input schema: $ref "file:///etc/passwd": only local references ("#/...") are allowed`},
		{"dangling local ref", activities.Spec{Name: "a", Input: json.RawMessage(`{"$ref": "#/definitions/nope"}`)}, okFn, `activity "a": input schema: object has no key 'definitions'`},
		{"other draft", activities.Spec{Name: "a", Input: json.RawMessage(`{"$schema": "https://json-schema.org/draft/2020-12/schema"}`)}, okFn, `activity "a": input schema: $schema "https://json-schema.org/draft/2020-12/schema" is not supported: use draft-07 (http://json-schema.org/draft-07/schema#)`},
		{"bad output schema", activities.Spec{Name: "a", Output: json.RawMessage(`{"type": 5}`)}, okFn, `activity "a": output schema: type: must validate at least one schema (anyOf); type: type must be one of the following: "array", "boolean", "integer", "null", "number", "object", "string"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := activities.NewRegistry()
			err := r.Register(tt.spec, tt.fn)
			if err == nil {
				t.Fatalf("Register succeeded, want error %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Register error\n got: %s\nwant: %s", err, tt.want)
			}
			if names := r.Names(); len(names) != 0 {
				t.Errorf("failed Register left names %v", names)
			}
		})
	}
}

func TestRegisterAcceptsShapes(t *testing.T) {
	tests := []struct {
		name string
		fn   any
	}{
		{"struct in, string out", okFn},
		{"pointer in, pointer out", func(context.Context, *chargeInput) (*chargeInput, error) { return nil, nil }},
		{"map in, error only", func(context.Context, map[string]any) error { return nil }},
		{"any in, any out", func(context.Context, any) (any, error) { return nil, nil }},
		{"raw JSON", func(context.Context, json.RawMessage) (json.RawMessage, error) { return nil, nil }},
		{"slice in, int out", func(context.Context, []string) (int, error) { return 0, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := activities.NewRegistry()
			if err := r.Register(activities.Spec{Name: "a.b-c_d/e:1"}, tt.fn); err != nil {
				t.Fatalf("Register: %v", err)
			}
			if _, ok := r.Lookup("a.b-c_d/e:1"); !ok {
				t.Error("Lookup found nothing after Register")
			}
		})
	}
}

func TestRegisterAcceptsSchemas(t *testing.T) {
	for _, schema := range []string{
		`true`,
		`{}`,
		`{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}`,
		`{"definitions": {"sku": {"type": "string"}}, "properties": {"sku": {"$ref": "#/definitions/sku"}}}`,
	} {
		r := activities.NewRegistry()
		if err := r.Register(activities.Spec{Name: "a", Input: json.RawMessage(schema), Output: json.RawMessage(schema)}, okFn); err != nil {
			t.Errorf("Register with schema %s: %v", schema, err)
		}
	}
}

func TestRegisterDuplicate(t *testing.T) {
	r := activities.NewRegistry()
	if err := r.Register(activities.Spec{Name: "ChargeCard", Summary: "first"}, okFn); err != nil {
		t.Fatal(err)
	}
	err := r.Register(activities.Spec{Name: "ChargeCard", Summary: "second"}, okFn)
	if !errors.Is(err, activities.ErrDuplicate) {
		t.Fatalf("second Register error = %v, want one wrapping ErrDuplicate", err)
	}
	if want := `activity "ChargeCard": already registered`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if spec, _ := r.Lookup("ChargeCard"); spec.Summary != "first" {
		t.Errorf("duplicate replaced the spec: summary %q", spec.Summary)
	}
}

func TestMustRegisterPanics(t *testing.T) {
	before := activities.Default().Names()
	for _, tt := range []struct {
		name string
		spec activities.Spec
		fn   any
	}{
		{"empty name", activities.Spec{}, okFn},
		{"bad fn", activities.Spec{Name: "activities_test.bad"}, func() {}},
		{"bad schema", activities.Spec{Name: "activities_test.bad", Input: json.RawMessage(`{"type": 1}`)}, okFn},
		// Importing builtin (in attach_test.go) registered echo into Default.
		{"duplicate", activities.Spec{Name: builtin.Echo}, okFn},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("MustRegister did not panic")
				}
			}()
			activities.MustRegister(tt.spec, tt.fn)
		})
	}
	if err := activities.Register(activities.Spec{Name: "bad name"}, okFn); err == nil {
		t.Error("package Register accepted a name with a space")
	}
	if after := activities.Default().Names(); !slices.Equal(before, after) {
		t.Errorf("failed registrations changed Default: %v -> %v", before, after)
	}
}

func TestNamesAndSpecsSorted(t *testing.T) {
	r := activities.NewRegistry()
	for _, name := range []string{"zeta", "Alpha", "math.add", "beta", "math"} {
		if err := r.Register(activities.Spec{Name: name, Summary: "s " + name}, okFn); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"Alpha", "beta", "math", "math.add", "zeta"}
	if got := r.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	var got []string
	for _, s := range r.Specs() {
		got = append(got, s.Name)
		if s.Summary != "s "+s.Name {
			t.Errorf("spec %q has summary %q", s.Name, s.Summary)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Specs() names = %v, want %v", got, want)
	}
	if n := activities.NewRegistry().Names(); n == nil || len(n) != 0 {
		t.Errorf("empty registry Names() = %#v, want empty non-nil", n)
	}
}

func TestLookupReturnsCopies(t *testing.T) {
	r := activities.NewRegistry()
	input := json.RawMessage(`{"type": "object"}`)
	spec := activities.Spec{Name: "a", Input: input, Examples: []activities.Example{{Summary: "one"}}}
	if err := r.Register(spec, okFn); err != nil {
		t.Fatal(err)
	}
	input[2] = 'X' // the caller's slice, after Register
	got, ok := r.Lookup("a")
	if !ok {
		t.Fatal("Lookup(a) found nothing")
	}
	got.Input[2] = 'Y'
	got.Examples[0].Summary = "changed"
	r.Specs()[0].Input[2] = 'Z'
	again, _ := r.Lookup("a")
	if string(again.Input) != `{"type": "object"}` || again.Examples[0].Summary != "one" {
		t.Errorf("registry spec was changed through a caller's slice: %s %+v", again.Input, again.Examples)
	}
	if _, ok := r.Lookup("missing"); ok {
		t.Error("Lookup(missing) = true")
	}
}

func TestCloneIsIndependent(t *testing.T) {
	r := activities.NewRegistry()
	if err := r.Register(activities.Spec{Name: "shared"}, okFn); err != nil {
		t.Fatal(err)
	}
	c := r.Clone()
	if err := c.Register(activities.Spec{Name: "clone.only"}, okFn); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(activities.Spec{Name: "original.only"}, okFn); err != nil {
		t.Fatal(err)
	}
	if got, want := r.Names(), []string{"original.only", "shared"}; !slices.Equal(got, want) {
		t.Errorf("original Names() = %v, want %v", got, want)
	}
	if got, want := c.Names(), []string{"clone.only", "shared"}; !slices.Equal(got, want) {
		t.Errorf("clone Names() = %v, want %v", got, want)
	}
	if err := c.Register(activities.Spec{Name: "shared"}, okFn); !errors.Is(err, activities.ErrDuplicate) {
		t.Errorf("clone accepted a duplicate of an inherited name: %v", err)
	}
}

// TestConcurrentUse is meant for -race: readers and writers share a registry.
func TestConcurrentUse(t *testing.T) {
	r := activities.NewRegistry()
	schema := json.RawMessage(`{"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}`)
	if err := r.Register(activities.Spec{Name: "seed", Input: schema}, okFn); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				name := fmt.Sprintf("g%d.a%d", g, i)
				if err := r.Register(activities.Spec{Name: name, Input: schema}, okFn); err != nil {
					t.Error(err)
					return
				}
				if errs := r.CheckInput("seed", map[string]any{"n": "x"}); len(errs) != 1 {
					t.Errorf("CheckInput = %v, want one error", errs)
					return
				}
				_ = r.Names()
				_ = r.Specs()
				_ = r.Clone()
			}
		})
	}
	wg.Wait()
	if got := len(r.Names()); got != 1+8*50 {
		t.Errorf("registry has %d names, want %d", got, 1+8*50)
	}
}
