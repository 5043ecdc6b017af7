package dsl_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dslrun/dslrun/dsl"
)

func TestParseDuration(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"30s", 30 * time.Second, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"500ms", 500 * time.Millisecond, ""},
		{"2d", 48 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"0s", 0, ""},
		{"", 0, "empty duration"},
		{"10", 0, `duration "10" has no unit`},
		{"-5s", 0, `duration "-5s" must not be negative`},
		{"+5s", 0, `invalid duration "+5s"`},
		{"1x", 0, `invalid duration "1x"`},
		{"d", 0, `invalid duration "d"`},
		{"1.5d", 0, `invalid duration "1.5d"`},
		{"200000d", 0, `duration "200000d" is too long`},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := dsl.ParseDuration(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || time.Duration(got) != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestCanonicalIgnoresFormatting: comments, key order, flow or block style
// and equivalent durations give the same canonical bytes and hash; a change
// of meaning gives another hash.
func TestCanonicalIgnoresFormatting(t *testing.T) {
	a := `
dsl: v1
name: order
activity: {startToCloseTimeout: 30s}
steps:
  - id: charge
    activity: charge
    with: {amount: 12, currency: EUR}
  - sleep: 90m
`
	b := `# the same definition, written differently
steps:
  - activity: charge      # key order differs
    id: charge
    with:
      currency: EUR
      amount: 12.0
  - sleep: 1h30m
name: order
dsl: v1
activity:
  startToCloseTimeout: 0.5m
`
	c := strings.Replace(a, "amount: 12", "amount: 13", 1)
	hash := func(src string) (string, []byte) {
		t.Helper()
		w, ds := dsl.Parse("x.yaml", []byte(src))
		if ds.HasErrors() {
			t.Fatal(ds)
		}
		canon, err := dsl.Canonical(w)
		if err != nil {
			t.Fatal(err)
		}
		return dsl.Hash(canon), canon
	}
	ha, ca := hash(a)
	hb, cb := hash(b)
	hc, _ := hash(c)
	if ha != hb {
		t.Errorf("same definition, different canonical forms:\n%s\n%s", ca, cb)
	}
	if ha == hc {
		t.Errorf("different definitions, same hash %s", ha)
	}
	// Defaults are applied: the workflow's activity options are merged into
	// the step, and the task queue defaults.
	for _, want := range []string{`"startToCloseTimeout":"30s"`, `"taskQueue":"dslrun"`, `"sleep":{"value":"1h30m0s"}`} {
		if !strings.Contains(string(ca), want) {
			t.Errorf("canonical form lacks %s:\n%s", want, ca)
		}
	}
}

// TestUnmarshalKeepsIntegers: values decoded from the canonical form keep
// integers as int, however large, and other numbers as float64.
func TestUnmarshalKeepsIntegers(t *testing.T) {
	w, ds := dsl.Parse("x.yaml", []byte("dsl: v1\nname: n\nstate: {big: 9007199254740993, half: 0.5, none: null}\nsteps: [{log: hi}]\n"))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	canon, err := dsl.Canonical(w)
	if err != nil {
		t.Fatal(err)
	}
	back, err := dsl.Unmarshal(canon)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.State["big"]; got != 9007199254740993 {
		t.Errorf("big = %#v, want int 9007199254740993", got)
	}
	if got := back.State["half"]; got != 0.5 {
		t.Errorf("half = %#v, want 0.5", got)
	}
	if v, ok := back.State["none"]; !ok || v != nil {
		t.Errorf("none = %#v (present %v), want a null entry", v, ok)
	}
}

func TestWalkPaths(t *testing.T) {
	w, ds := dsl.Parse("x.yaml", []byte(`
dsl: v1
name: w
signals:
  go: {do: [{log: sig}]}
steps:
  - parallel:
      - [{log: a}]
      - [{log: b}, {if: true, then: [{log: c}], else: [{log: d}]}]
  - try: [{log: e}]
    catch: [{do: [{log: f}]}]
    finally: [{log: g}]
`))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var got []string
	dsl.Walk(w, func(path string, _ *dsl.Step) bool {
		got = append(got, path)
		return true
	})
	want := "steps[0] steps[0].parallel[0][0] steps[0].parallel[1][0] steps[0].parallel[1][1] steps[0].parallel[1][1].then[0] " +
		"steps[0].parallel[1][1].else[0] steps[1] steps[1].try[0] steps[1].catch[0].do[0] steps[1].finally[0] signals.go.do[0]"
	if strings.Join(got, " ") != want {
		t.Errorf("paths:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}

func ExampleParse() {
	src := []byte(`dsl: v1
name: greet
steps:
  - id: hello
    activity: echo
    wth: {name: Ada}
  - sleep: 10
output: ${ steps.helo.result }
`)
	_, ds := dsl.Parse("greet.yaml", src)
	for _, d := range ds {
		fmt.Println(d)
	}
	// Output:
	// greet.yaml:6:5: steps[0].wth: unknown key "wth" (did you mean "with"?)
	// greet.yaml:7:12: steps[1].sleep: duration 10 has no unit (want e.g. 30s, 5m, 1h30m, 2d)
	// greet.yaml:8:18: output: unknown step id "helo" (did you mean "hello"?)
}

// TestEscapedTemplateIsLiteral checks that an escaped $${ is not taken for
// an expression where a literal is required: the value is checked as the
// literal it is.
func TestEscapedTemplateIsLiteral(t *testing.T) {
	for _, tc := range []struct{ step, want string }{
		{`sleep: "$${ x }"`, `steps[0].sleep: invalid duration`},
		{`forEach: "$${ x }"`, `steps[0].forEach: expected a list or ${ ... }, got string`},
		{`sleepUntil: "$${ x }"`, `steps[0].sleepUntil: invalid timestamp`},
	} {
		src := "dsl: v1\nname: t\nsteps:\n  - " + tc.step + "\n"
		if strings.HasPrefix(tc.step, "forEach") {
			src += "    do: [{log: hi}]\n"
		}
		_, ds := dsl.Parse("t.yaml", []byte(src))
		if !strings.Contains(ds.Error(), tc.want) {
			t.Errorf("%s: diagnostics %q, want %q", tc.step, ds.Error(), tc.want)
		}
	}
}
