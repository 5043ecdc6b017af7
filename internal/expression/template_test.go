package expression

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		parts []Part
		whole bool
	}{
		{"literal", "hello", []Part{{Text: "hello"}}, false},
		{"empty", "", nil, false},
		{"whole", "${ input.x }", []Part{{Text: " input.x ", Expr: true, Offset: 2}}, true},
		{"whole with spaces", "  ${a}\n", []Part{{Text: "  "}, {Text: "a", Expr: true, Offset: 4}, {Text: "\n", Offset: 6}}, true},
		{"interpolated", "id-${ a }-x", []Part{{Text: "id-"}, {Text: " a ", Expr: true, Offset: 5}, {Text: "-x", Offset: 9}}, false},
		{"two expressions", "${a}${b}", []Part{{Text: "a", Expr: true, Offset: 2}, {Text: "b", Expr: true, Offset: 6}}, false},
		{"map literal", `${ {a: 1}["a"] }`, []Part{{Text: ` {a: 1}["a"] `, Expr: true, Offset: 2}}, true},
		{"brace in double quotes", `${ "}" }`, []Part{{Text: ` "}" `, Expr: true, Offset: 2}}, true},
		{"brace in single quotes", `${ '}' + "\"}" }`, []Part{{Text: ` '}' + "\"}" `, Expr: true, Offset: 2}}, true},
		{"brace in backquotes", "${ `}\\` }", []Part{{Text: " `}\\` ", Expr: true, Offset: 2}}, true},
		{"brace in comment", "${ a /* } */ }", []Part{{Text: " a /* } */ ", Expr: true, Offset: 2}}, true},
		{"closure braces", "${ map(xs, {# + 1}) }!", []Part{{Text: " map(xs, {# + 1}) ", Expr: true, Offset: 2}, {Text: "!", Offset: 21}}, false},
		{"escape", "$${ not }", []Part{{Text: "${ not }"}}, false},
		{"escape then expression", "$${x} ${y}", []Part{{Text: "${x} "}, {Text: "y", Expr: true, Offset: 8}}, false},
		{"dollar alone", "cost: $5", []Part{{Text: "cost: $5"}}, false},
		{"multibyte before", "é${a}", []Part{{Text: "é"}, {Text: "a", Expr: true, Offset: 4}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.src, err)
			}
			if got := tpl.Parts(); !reflect.DeepEqual(got, tt.parts) {
				t.Errorf("Parts() = %#v, want %#v", got, tt.parts)
			}
			if tpl.Whole() != tt.whole {
				t.Errorf("Whole() = %v, want %v", tpl.Whole(), tt.whole)
			}
			if tpl.Source() != tt.src {
				t.Errorf("Source() = %q", tpl.Source())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		src  string
		want Error
	}{
		{"${ a", Error{Line: 1, Col: 1, Offset: 0, Msg: "unterminated ${ (missing })"}},
		{"ok ${ a ${ b }", Error{Line: 1, Col: 4, Offset: 3, Msg: "unterminated ${ (missing })"}},
		{"x\n  ${ {a: 1 }", Error{Line: 2, Col: 3, Offset: 4, Msg: "unterminated ${ (missing })"}},
		{`${ "} }`, Error{Line: 1, Col: 4, Offset: 3, Msg: "unterminated string literal in expression"}},
		{"${ 'a\\' }", Error{Line: 1, Col: 4, Offset: 3, Msg: "unterminated string literal in expression"}},
		{"é ${ `x }", Error{Line: 1, Col: 6, Offset: 6, Msg: "unterminated string literal in expression"}},
		{"${ a /* } }", Error{Line: 1, Col: 6, Offset: 5, Msg: "unterminated comment in expression"}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := Parse(tt.src)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error = %v, want *Error", tt.src, err)
			}
			if *e != tt.want {
				t.Errorf("Parse(%q) error = %#v, want %#v", tt.src, *e, tt.want)
			}
		})
	}
}

func TestIsTemplate(t *testing.T) {
	tests := map[string]bool{
		"":             false,
		"plain":        false,
		"${x}":         true,
		"a ${ b } c":   true,
		"$${x}":        false,
		"$${x} ${y}":   true,
		"$$${x}":       false, // "$" then the escape "$${"
		"$ {x}":        false,
		"${":           true, // unterminated, but a template: Parse reports it
		"price: $5 {}": false,
	}
	for s, want := range tests {
		if got := IsTemplate(s); got != want {
			t.Errorf("IsTemplate(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestStatic(t *testing.T) {
	tpl, err := Parse("a $${b} c")
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := tpl.Static(); !ok || s != "a ${b} c" {
		t.Errorf("Static() = %q, %v", s, ok)
	}
	v, err := tpl.Eval(nil)
	if err != nil || v != "a ${b} c" {
		t.Errorf("Eval() = %#v, %v", v, err)
	}
	tpl, err = Parse("a ${b}")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tpl.Static(); ok {
		t.Error("Static() of a template with an expression is true")
	}
}

func TestTemplateEvalWhole(t *testing.T) {
	vars := map[string]any{
		"input": map[string]any{"n": 3, "name": "ann", "tags": []any{"a"}},
		"state": map[string]any{"ok": true},
	}
	tests := []struct {
		src  string
		want any
	}{
		{"${ input.n * 2 }", 6},
		{" ${ input.n / 2 } ", 1.5},
		{"${ input.n / 3 }", 1},
		{"${ state.ok }", true},
		{"${ input.name }", "ann"},
		{"${ input.tags }", []any{"a"}},
		{"${ {k: input.n} }", map[string]any{"k": 3}},
		{"${ nil }", nil},
		{"${ input.missing }", nil},
		{"${ 1..3 }", []any{1, 2, 3}},
		{"${ split('a,b', ',') }", []any{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			tpl, err := Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tpl.Eval(vars)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Eval = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestTemplateInterpolation(t *testing.T) {
	vars := map[string]any{
		"v": map[string]any{
			"s": "text", "n": 42, "f": 2.5, "whole": 3.0, "big": 1e21, "small": 1e-7,
			"t": true, "nil": nil, "list": []any{1, "a", nil},
			"map":  map[string]any{"b": 1, "a": []any{true}, "c": map[string]any{"z": "\"q\"<>"}},
			"time": time.Date(2026, 5, 6, 7, 8, 9, 10, time.UTC), "dur": 90 * time.Second,
			"i64": int64(7), "f32": float32(0.1),
		},
	}
	tests := []struct {
		src, want string
	}{
		{"s=${v.s}", "s=text"},
		{"n=${v.n}", "n=42"},
		{"f=${v.f}", "f=2.5"},
		{"whole=${v.whole}", "whole=3"},
		{"big=${v.big}", "big=1e+21"},
		{"small=${v.small}", "small=1e-7"},
		{"t=${v.t} ${!v.t}", "t=true false"},
		{"nil=${v.nil}", "nil=null"},
		{"list=${v.list}", `list=[1,"a",null]`},
		{"map=${v.map}", `map={"a":[true],"b":1,"c":{"z":"\"q\"<>"}}`},
		{"time=${v.time}", "time=2026-05-06T07:08:09.00000001Z"},
		{"dur=${v.dur}", "dur=1m30s"},
		{"i64=${v.i64} f32=${v.f32}", "i64=7 f32=0.1"},
		{"${v.n}${v.s}", "42text"},
		{"sum=${ 0.1 + 0.2 }", "sum=0.30000000000000004"},
		{"${ 'a' } $${b}", "a ${b}"},
		{"neg=${ -0.0 }", "neg=0"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			tpl, err := Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tpl.Eval(vars)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Eval = %q, want %q", got, tt.want)
			}
			// string(x) renders exactly as interpolation does.
			for _, p := range tpl.Parts() {
				if !p.Expr {
					continue
				}
				whole, err := Parse("${" + p.Text + "}")
				if err != nil {
					t.Fatal(err)
				}
				viaString, err := Parse("${ string(" + p.Text + ") }")
				if err != nil {
					t.Fatal(err)
				}
				a, err := viaString.Eval(vars)
				if err != nil {
					t.Fatal(err)
				}
				b, err := Parse("x${" + p.Text + "}")
				if err != nil {
					t.Fatal(err)
				}
				c, err := b.Eval(vars)
				if err != nil {
					t.Fatal(err)
				}
				if "x"+a.(string) != c {
					t.Errorf("string(%s) = %q, interpolation gives %q", p.Text, a, c)
				}
				_ = whole
			}
		})
	}
}

func TestTemplateCompile(t *testing.T) {
	tpl, err := Parse("a ${ input.x } b ${ stpes.y }\nc ${ 1 + } d ${ sate }")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tpl.Compile([]string{"input", "state", "steps"})
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Compile error = %v, want Errors", err)
	}
	want := Errors{
		{Line: 1, Col: 21, Offset: 20, Msg: `unknown name "stpes" (did you mean "steps"?)`},
		{Line: 2, Col: 9, Offset: 38, Msg: "unexpected token EOF"},
		{Line: 2, Col: 17, Offset: 46, Msg: `unknown name "sate" (did you mean "state"?)`},
	}
	if !reflect.DeepEqual(errs, want) {
		t.Errorf("errors:\n got %v\nwant %v", errs, want)
	}
	if line, col := tpl.Position(46); line != 2 || col != 17 {
		t.Errorf("Position(46) = %d:%d", line, col)
	}

	progs, err := tpl.Compile([]string{"input", "state", "steps", "stpes", "sate"})
	if err == nil || len(progs) != 0 {
		t.Fatalf("Compile = %v, %v; want the syntax error only", progs, err)
	}
	good, err := Parse("${ steps.a.result } and ${ state['b'] }")
	if err != nil {
		t.Fatal(err)
	}
	progs, err = good.Compile([]string{"steps", "state"})
	if err != nil || len(progs) != 2 {
		t.Fatalf("Compile = %v, %v", progs, err)
	}
	if refs := progs[1].References(); len(refs) != 1 || refs[0].Root != "state" || refs[0].Field != "b" {
		t.Errorf("References() = %v", refs)
	}
}

func TestTemplateEvalErrors(t *testing.T) {
	vars := map[string]any{"input": map[string]any{"n": 1}}
	tests := []struct {
		src  string
		want string
	}{
		{"x ${ input.n.y }", "1:14: cannot fetch y from int"},
		{"x\n${ nope }", `2:4: unknown name "nope"`},
		{"${ upper(input.n) }", "1:4: cannot change the case of int (expected string)"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			tpl, err := Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tpl.Eval(vars)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Eval error = %v, want *Error", err)
			}
			if e.Error() != tt.want {
				t.Errorf("Eval error = %q, want %q", e.Error(), tt.want)
			}
		})
	}

	tpl, err := Parse("${ input.n }")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tpl.EvalBool(vars); err == nil || err.Error() != "1:4: condition must be a bool, got int" {
		t.Errorf("EvalBool error = %v", err)
	}
	tpl, err = Parse("  ${ input.n > 0 }")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := tpl.EvalBool(vars); err != nil || !ok {
		t.Errorf("EvalBool = %v, %v", ok, err)
	}
}
