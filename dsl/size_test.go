package dsl_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl"
)

// TestCanonicalSize: CanonicalSize is the length of the canonical form,
// byte for byte, for every example without child files and for
// definitions whose values need every kind of JSON escape, numbers of
// every form, empty and absent lists, handlers and activity defaults.
func TestCanonicalSize(t *testing.T) {
	srcs := map[string]string{}
	examples, _ := filepath.Glob("../examples/*.yaml")
	for _, f := range examples {
		if strings.HasSuffix(f, "_test.yaml") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "file:") {
			srcs[f] = string(b)
		}
	}
	if len(srcs) < 10 {
		t.Fatalf("only %d examples found", len(srcs))
	}
	srcs["escapes"] = `dsl: v1
name: escapes
description: "quote \" backslash \\ tab \t nl \n cr \r bs \b ff \f bell \a nul \0 esc \e del \x7f <&> é 中 😀 \u2028 \u2029 \x85"
state:
  m: {"": [], "a\tb": {}, "ké\"y": null, t: true, f: false}
  nums: [0, -1, 9223372036854775807, -9223372036854775808, 0.5, -0.25, 1e-7, 1.5e-300, 1e300, 1.0e21, 123456789012345678901.0, 9007199254740993.0, 0.000001, 1.7976931348623157e308]
activity:
  startToCloseTimeout: 0.5m
  heartbeatTimeout: 10s
  taskQueue: work
  retry: {maximumAttempts: 3, nonRetryableErrorTypes: [A, "B\u00e9"], backoffCoefficient: 1.5}
options:
  memo: {k: "v"}
signals:
  go:
    set: {x: "${ args }"}
    do:
      - activity: a
      - log: in handler
updates:
  u:
    do: [{activity: b, local: true}]
    return: 1
queries:
  q: {result: "${ state }"}
steps:
  - id: s1
    activity: charge
    with: {amount: 12.5, list: [1, "two", {three: 3}], empty: "", "<tag>": "a&b"}
  - activity: other
    local: true
    scheduleToCloseTimeout: 1h
  - if: ${ true }
    then: [{sleep: 1h30m}]
  - parallel:
      - [{set: {a: 1}}]
      - [{await: "${ state.a == 1 }", timeout: 5s}]
  - try: [{fail: boom}]
    catch: [{types: [X], do: [{return: 3}]}]
    finally: [{log: {message: bye, level: warn}}]
  - forEach: [1, 2]
    do: [{activity: c, retry: {maximumAttempts: 1}}]
  - switch:
      - when: ${ false }
        do: [{continueAsNew: {state: {a: 2}}}]
output: ${ state.a }
`
	for name, src := range srcs {
		w, ds := dsl.Parse(name, []byte(src))
		if ds.HasErrors() {
			t.Fatalf("%s: %v", name, ds)
		}
		c, err := dsl.Canonical(w)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := dsl.CanonicalSize(w); got != len(c) {
			t.Errorf("%s: CanonicalSize %d, canonical form %d bytes:\n%s", name, got, len(c), c)
		}
	}
}

// TestCanonicalSizeOtherTypes: values outside the value model, as a
// program may put in a Workflow, are never counted short.
func TestCanonicalSizeOtherTypes(t *testing.T) {
	w := &dsl.Workflow{DSL: dsl.Version, Name: "n", State: map[string]dsl.Value{
		"strs":  []string{"<a>", "b"},
		"ints":  map[string]int64{"x": 1},
		"keys":  map[int]string{1: "a"},
		"bytes": []byte("hello"),
		"raw":   json.RawMessage(`{"a": 1}`),
		"f32":   float32(0.1),
		"u":     uint8(7),
		"ptr":   &struct{ A string }{A: "x"},
	}, Steps: []*dsl.Step{{Kind: dsl.KindLog, Body: &dsl.LogStep{Message: "hi", Level: "info"}}}}
	c, err := dsl.Canonical(w)
	if err != nil {
		t.Fatal(err)
	}
	if got := dsl.CanonicalSize(w); got < len(c) {
		t.Errorf("CanonicalSize %d, below the canonical form's %d bytes:\n%s", got, len(c), c)
	}
}
