package dslruncmd_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl"
)

// notRead are the model's fields that no code outside package dsl reads,
// each with what becomes of it. Everything else must be read somewhere in
// the code that runs definitions.
var notRead = map[string]string{
	"Workflow.DSL":         "the version: Build refuses any other than v1",
	"Workflow.Description": "free text, documented as not interpreted",
	"Workflow.Activity":    "the activity defaults: Normalize merges them into every activity step",
	"Step.Pos":             "where the step is in its file: diagnostics",
	"Signal.Pos":           "where the handler is in its file: diagnostics",
	"Query.Pos":            "where the handler is in its file: diagnostics",
	"Update.Pos":           "where the handler is in its file: diagnostics",
	"Case.Pos":             "where the case is in its file: diagnostics",
	"Catch.Pos":            "where the handler is in its file: diagnostics",
	"Workflow.Pos":         "where the definition starts: diagnostics",
}

// TestNoPromiseWithoutBehaviour walks every field of the model of a
// definition (the workflow, its blocks and every step kind's body, which
// is everything validate accepts and keeps) and fails when no code of the
// interpreter, the commands or the validation pipeline reads it: a key
// that is parsed, validated and then ignored, as schedule: once was. It is
// a textual check (a read of .Field in a non-test Go file), so it says
// "read", not "executed right"; the behaviour has tests of its own.
func TestNoPromiseWithoutBehaviour(t *testing.T) {
	var src strings.Builder
	for _, dir := range []string{"../interpreter", ".", "../dsl/validate", "../internal/dsltest", "../internal/graph"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
	}
	code := src.String()

	seen := map[reflect.Type]bool{}
	var fields []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() != "github.com/dslrun/dslrun/dsl" || seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			if f.Type == reflect.TypeOf(dsl.Pos{}) || f.Name == "Body" {
				fields = append(fields, t.Name()+"."+f.Name)
				continue
			}
			fields = append(fields, t.Name()+"."+f.Name)
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(dsl.Workflow{}))
	// Every kind's body, found by building the kind's own example.
	for _, k := range dsl.Kinds() {
		sk, _ := dsl.Lang().Step(k)
		def := "dsl: v1\nname: t\nstate: {approved: false, pending: 0, cursor: ''}\nsteps:\n  - {id: charge, activity: Charge}\n  - {" + strings.Trim(sk.Example, "`") + "}\n"
		w, ds := dsl.Parse("t.yaml", []byte(def))
		if ds.HasErrors() {
			t.Fatalf("the example of %s does not build: %v", k, ds)
		}
		walk(reflect.TypeOf(w.Steps[1].Body))
	}
	if len(fields) < 80 {
		t.Fatalf("walked only %d fields: the walk is broken", len(fields))
	}
	sort.Strings(fields)
	for _, f := range fields {
		if _, ok := notRead[f]; ok {
			continue
		}
		name := f[strings.Index(f, ".")+1:]
		if !regexp.MustCompile(`\.` + name + `\b`).MatchString(code) {
			t.Errorf("%s is accepted by validate and kept in the model, but nothing outside package dsl reads it: execute it, refuse it as \"not supported yet\", or say in notRead what becomes of it", f)
		}
	}
	t.Logf("%d fields of the model, %d read by the code that runs definitions", len(fields), len(fields)-len(notRead))
}
