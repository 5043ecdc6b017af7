package builtin_test

import (
	"encoding/json"
	"testing"

	"github.com/dslrun/dslrun/activities/builtin"
)

func TestEcho(t *testing.T) {
	env := newEnv(t, nil)
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"object", map[string]any{"greeting": "hello", "to": []any{"world", 2, true, nil}}, `{"greeting":"hello","to":["world",2,true,null]}`},
		{"large integer stays exact", map[string]any{"id": int64(1)<<60 + 1}, `{"id":1152921504606846977}`},
		{"float", 0.1, `0.1`},
		{"string", "plain", `"plain"`},
		{"empty list", []any{}, `[]`},
		{"null", nil, `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := env.ExecuteActivity(builtin.Echo, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var got json.RawMessage
			if err := v.Get(&got); err != nil {
				t.Fatal(err)
			}
			if got == nil {
				got = json.RawMessage("null")
			}
			if string(got) != tt.want {
				t.Errorf("echo(%v) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
