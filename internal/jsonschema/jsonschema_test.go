package jsonschema

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xeipuuv/gojsonschema"
)

func TestCompile(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  any
		err  string // substring; "" means it compiles
	}{
		{"map", map[string]any{"type": "object", "required": []any{"a"}}, ""},
		{"bytes", []byte(`{"type": "string"}`), ""},
		{"raw", json.RawMessage(`{"definitions": {"x": {"type": "integer"}}, "$ref": "#/definitions/x"}`), ""},
		{"boolean", true, ""},
		{"bad JSON", []byte(`{`), "not valid JSON"},
		{"remote ref", map[string]any{"properties": map[string]any{"a": map[string]any{"$ref": "http://example.com/s.json"}}}, `properties.a: $ref "http://example.com/s.json": only local references`},
		{"file ref", map[string]any{"$ref": "other.json"}, `$ref "other.json": only local references`},
		{"bad type", map[string]any{"type": 5}, "Invalid type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Compile(tc.doc)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("Compile: %v", err)
				}
				if s == nil {
					t.Fatal("nil schema")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Compile error %v, want it to contain %q", err, tc.err)
			}
		})
	}
}

// TestDraft07 checks that a draft-07 keyword is enforced (if/then, which
// draft-04 would ignore) even without $schema.
func TestDraft07(t *testing.T) {
	s, err := Compile(map[string]any{
		"if":   map[string]any{"properties": map[string]any{"a": map[string]any{"const": 1}}},
		"then": map[string]any{"required": []any{"b"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Validate(gojsonschema.NewGoLoader(map[string]any{"a": 1}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid() {
		t.Fatal(`{"a": 1} is valid, want "b" required by if/then`)
	}
}
