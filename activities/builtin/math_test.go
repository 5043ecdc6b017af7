package builtin_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/activities/builtin"
)

func TestMathAdd(t *testing.T) {
	env := newEnv(t, nil)
	tests := []struct {
		name string
		a, b any
		want string
	}{
		{"integers", 40, 2, "42"},
		{"negative", -5, 2, "-3"},
		{"beyond float64 precision", int64(9007199254740993), 0, "9007199254740993"},
		{"largest int64", int64(math.MaxInt64 - 1), 1, "9223372036854775807"},
		{"int64 overflow falls back to float", int64(math.MaxInt64), 1, "9.223372036854776e+18"},
		{"floats", 0.1, 0.2, "0.30000000000000004"},
		{"mixed", -5, 2.5, "-2.5"},
		{"exponent", 1e300, 1e300, "2e+300"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := env.ExecuteActivity(builtin.MathAdd, map[string]any{"a": tt.a, "b": tt.b})
			if err != nil {
				t.Fatal(err)
			}
			var got json.Number
			if err := v.Get(&got); err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("%v + %v = %s, want %s", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestMathAddRejects(t *testing.T) {
	env := newEnv(t, nil)
	for _, tt := range []struct {
		in   map[string]any
		want string
	}{
		{map[string]any{"a": 1}, `missing required property "b"`},
		{map[string]any{"b": 1}, `missing required property "a"`},
		{map[string]any{"a": 1e308, "b": 1e308}, `1e+308 + 1e+308 is out of range`},
	} {
		_, err := env.ExecuteActivity(builtin.MathAdd, tt.in)
		wantInvalidInput(t, err, tt.want)
	}
	// A string is refused when the registry's adapter decodes the input,
	// as a non-retryable InvalidInput error.
	_, err := env.ExecuteActivity(builtin.MathAdd, map[string]any{"a": "x", "b": 1})
	appErr := applicationError(t, err)
	if !strings.Contains(appErr.Message(), "invalid input") || appErr.Type() != builtin.InvalidInputType || !appErr.NonRetryable() {
		t.Errorf("error = %q (type %q, non-retryable %v), want a non-retryable InvalidInput error", appErr.Message(), appErr.Type(), appErr.NonRetryable())
	}
}
