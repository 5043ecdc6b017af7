package dsl

import (
	"slices"
	"testing"
)

// TestLanguageRefs checks that the description of the DSL is closed: every
// Ref names a Def, every step kind has a Def that holds its kind key, and
// every mapping the builder reads is described.
func TestLanguageRefs(t *testing.T) {
	l := Lang()
	check := func(where string, keys []Key) {
		for _, k := range keys {
			if k.Ref != "" && l.Def(k.Ref) == nil {
				t.Errorf("%s.%s: Ref %q names no Def", where, k.Name, k.Ref)
			}
			if k.Ref == "" && k.Schema == nil && k.Doc == "" {
				t.Errorf("%s.%s: neither Ref nor Schema nor Doc", where, k.Name)
			}
		}
	}
	check("(root)", l.Root.Keys)
	seen := map[string]bool{}
	for _, d := range l.Defs {
		if seen[d.Name] {
			t.Errorf("Def %q declared twice", d.Name)
		}
		seen[d.Name] = true
		check(d.Name, d.Keys)
		for _, k := range d.AtLeastOne {
			if _, ok := d.Key(k); !ok {
				t.Errorf("%s: AtLeastOne names %q, not a key", d.Name, k)
			}
		}
	}
	for _, s := range l.Steps {
		d := l.Def(s.Def)
		if d == nil {
			t.Errorf("step kind %s: Def %q missing", s.Kind, s.Def)
			continue
		}
		if k, ok := d.Key(string(s.Kind)); !ok || !k.Required {
			t.Errorf("step kind %s: Def %q lacks its required kind key", s.Kind, s.Def)
		}
		if _, ok := d.Key("id"); !ok {
			t.Errorf("step kind %s: Def %q lacks id", s.Kind, s.Def)
		}
	}
	// The mappings the builder reads by name (build.go).
	for _, name := range []string{
		"activityOptions", "retryPolicy", "workflowOptions", "schedule", "scheduleInterval",
		"scheduleCalendar", "autoContinueAsNew", "signalHandler", "updateHandler", "switchCase",
		"childOptions", "signalWorkflowOptions", "catchHandler", "failOptions", "continueAsNewOptions",
	} {
		if d := l.Def(name); d == nil || len(d.Keys) == 0 {
			t.Errorf("the builder reads %q: no Def with keys", name)
		}
	}
	// The required keys the builder reads a value under once present.
	for _, tc := range []struct {
		def, skip string
		want      []string
	}{
		{"", "", []string{"dsl", "name", "steps"}},
		{"scheduleInterval", "", []string{"every"}},
		{"ifStep", "if", []string{"then"}},
		{"whileStep", "while", []string{"do"}},
		{"forEachStep", "forEach", []string{"do"}},
		{"switchCase", "", []string{"when", "do"}},
		{"signalWorkflowOptions", "", []string{"workflowId", "signal"}},
		{"catchHandler", "", []string{"do"}},
		{"failOptions", "", []string{"message"}},
	} {
		if got := requiredOf(tc.def, tc.skip); !slices.Equal(got, tc.want) {
			t.Errorf("required keys of %q = %v, want %v", tc.def, got, tc.want)
		}
	}
	if !slices.Equal(Kinds()[:2], []Kind{KindActivity, KindSet}) {
		t.Errorf("Kinds = %v, want the description's order", Kinds())
	}
}
