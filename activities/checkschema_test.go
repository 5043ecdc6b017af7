package activities_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/activities"
)

// TestCheckSchema checks that CheckSchema accepts what Register accepts and
// refuses, with the same message, what Register refuses.
func TestCheckSchema(t *testing.T) {
	noop := func(context.Context, any) error { return nil }
	tests := []struct {
		schema string
		want   string // a substring of the error, "" for valid
	}{
		{`{"type": "object", "properties": {"n": {"type": "integer"}}}`, ""},
		{`true`, ""},
		{`{"type": "objekt"}`, "type"},
		{`[1]`, "must be a JSON object or boolean, got array"},
		{`{"$ref": "http://example.com/s.json"}`, "only local references"},
		{`{"type": `, "not valid JSON"},
	}
	for _, tt := range tests {
		err := activities.CheckSchema(json.RawMessage(tt.schema))
		regErr := activities.NewRegistry().Register(activities.Spec{Name: "a", Input: json.RawMessage(tt.schema)}, noop)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckSchema(%s) = %v, want nil", tt.schema, err)
		case tt.want == "" && regErr != nil:
			t.Errorf("Register with %s = %v, want nil", tt.schema, regErr)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckSchema(%s) = %v, want an error containing %q", tt.schema, err, tt.want)
		case tt.want != "" && (regErr == nil || !strings.HasSuffix(regErr.Error(), err.Error())):
			t.Errorf("Register with %s = %v, want an error ending in %q", tt.schema, regErr, err)
		}
	}
}

// TestSpecSource checks that a registry keeps a spec's Source.
func TestSpecSource(t *testing.T) {
	r := activities.NewRegistry()
	if err := r.Register(activities.Spec{Name: "p", Source: "plugin: p.plugin.yaml"}, func(context.Context, any) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if s, _ := r.Lookup("p"); s.Source != "plugin: p.plugin.yaml" {
		t.Errorf("Lookup(p).Source = %q, want %q", s.Source, "plugin: p.plugin.yaml")
	}
}
