package interpreter

import "testing"

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"", nil},
		{" null ", nil},
		{"true", true},
		{"false", false},
		{"0", 0},
		{"-7", -7},
		{"9007199254740993", 9007199254740993},
		{"1.5", 1.5},
		{"2.0", 2},
		{"1e3", 1000},
		{"-01", "-01"},
		{"012", "012"},
		{`"plain"`, "plain"},
		{`"a\"b"`, `a"b`},
		{`"tab\t"`, "tab\t"},
		{`[1, "x", {"b": 2, "a": [true]}]`, []any{1, "x", map[string]any{"a": []any{true}, "b": 2}}},
		{"not json", "not json"},
	}
	for _, tt := range tests {
		got, err := decodeJSON([]byte(tt.in))
		if err != nil {
			t.Errorf("decodeJSON(%q): %v", tt.in, err)
			continue
		}
		wantEqual(t, got, tt.want)
	}
}
