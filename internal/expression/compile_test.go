package expression

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

var dslVars = []string{"input", "state", "steps", "workflow", "item", "index"}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		src  string
		want Error
	}{
		{"stpes.charge", Error{1, 1, 0, `unknown name "stpes" (did you mean "steps"?)`, "stpes"}},
		{"input.a + Input.b", Error{1, 11, 10, `unknown name "Input" (did you mean "input"?)`, "Input"}},
		{"x", Error{1, 1, 0, `unknown name "x"`, "x"}},
		{"uper(input.name)", Error{1, 1, 0, `unknown name "uper" (did you mean "upper"?)`, "uper"}},
		{"lenght(input)", Error{1, 1, 0, `unknown name "lenght"`, "lenght"}},
		{"  wokflow.now", Error{1, 3, 2, `unknown name "wokflow" (did you mean "workflow"?)`, "wokflow"}},
		{"input.a +\n  stat.b", Error{2, 3, 12, `unknown name "stat" (did you mean "state"?)`, "stat"}},
		{"é + stpes", Error{1, 1, 0, `unknown name "é"`, "é"}},
		{"'é' + stpes", Error{1, 7, 7, `unknown name "stpes" (did you mean "steps"?)`, "stpes"}},
		{"1 +", Error{1, 3, 2, "unexpected token EOF", ""}},
		{"input.a ==== 1", Error{1, 11, 10, "unexpected token Operator(\"==\")", ""}},
		{`"a" + 1`, Error{1, 5, 4, "invalid operation: + (mismatched types string and int)", ""}},
		{"filter(1..3, 1)", Error{1, 14, 13, "predicate should return boolean (got int)", ""}},
		{`repeat("a")`, Error{1, 1, 0, "invalid number of arguments for repeat (expected 2, got 1)", ""}},
		{`repeat("a", "b")`, Error{1, 1, 0, "cannot use string as argument (type int) to call repeat", ""}},
		{`replace("a")`, Error{1, 1, 0, "invalid number of arguments for replace (expected 3 to 4, got 1)", ""}},
		{`keys([1])`, Error{1, 1, 0, "cannot use []interface {} as argument (type map) to call keys", ""}},
		{`date(1)`, Error{1, 1, 0, "cannot use int as argument (type string) to call date", ""}},
		{"now()", Error{1, 1, 0, `unknown name "now"`, "now"}},
		{"$env", Error{1, 1, 0, "$env is not available in dslrun expressions; name the variable instead", ""}},
		{"$env.input", Error{1, 1, 0, "$env is not available in dslrun expressions; name the variable instead", ""}},
		{"workflow.now.Local()", Error{1, 14, 13, `method Local is not available: it depends on the host's time zone (use In(timezone("...")) or UTC())`, ""}},
		{"", Error{1, 1, 0, "empty expression", ""}},
		{"  \n ", Error{1, 1, 0, "empty expression", ""}},
		{"'a' matches '('", Error{1, 5, 4, "error parsing regexp: missing closing ): `(`", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := Compile(tt.src, dslVars)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Compile(%q) error = %v, want *Error", tt.src, err)
			}
			if *e != tt.want {
				t.Errorf("Compile(%q) error = %#v, want %#v", tt.src, *e, tt.want)
			}
			if strings.Contains(e.Msg, "\n") {
				t.Errorf("message has several lines: %q", e.Msg)
			}
		})
	}
}

func TestCompileLimits(t *testing.T) {
	long := strings.Repeat("1 + ", MaxSourceBytes/4) + "1"
	_, err := Compile(long, nil)
	if err == nil || err.Error() != "1:1: expression is too long (16385 bytes, the limit is 16384)" {
		t.Errorf("long source: %v", err)
	}

	many := strings.Repeat("[", 0) + "[" + strings.Repeat("1,", MaxNodes) + "1]"
	_, err = Compile(many, nil)
	if err == nil || !strings.Contains(err.Error(), "compilation failed: expression exceeds maximum allowed nodes") {
		t.Errorf("many nodes: %v", err)
	}

	deep := strings.Repeat("(", MaxDepth) + "1" + strings.Repeat(")", MaxDepth)
	if _, err := Compile(deep, nil); err != nil {
		t.Errorf("parentheses add no nodes, yet: %v", err)
	}
	deep = strings.Repeat("-", MaxDepth) + "1"
	_, err = Compile(deep, nil)
	if err == nil || err.Error() != "1:129: expression is nested too deeply (more than 128 levels)" {
		t.Errorf("deep: %v", err)
	}
	if _, err := Compile(strings.Repeat("-", MaxDepth-1)+"1", nil); err != nil {
		t.Errorf("depth at the limit: %v", err)
	}
}

func TestCompileVars(t *testing.T) {
	if _, err := Compile("a", []string{"a", "b-c"}); err == nil || err.Error() != `invalid variable name "b-c"` {
		t.Errorf("invalid name: %v", err)
	}
	if _, err := Compile("a", []string{"$env"}); err == nil {
		t.Error("$env accepted as a variable")
	}
	p, err := Compile("b + a", []string{"b", "a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Vars(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Vars() = %v", got)
	}
	if p.Source() != "b + a" {
		t.Errorf("Source() = %q", p.Source())
	}
	// The order of the variables does not matter to the cache.
	q, err := Compile("b + a", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if p != q {
		t.Error("the same source and variables compiled twice")
	}
	r, err := Compile("b + a", []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if r == p {
		t.Error("different variables share a program")
	}
}

func TestProgramCache(t *testing.T) {
	c := newProgramCache(2)
	p1, p2, p3 := &Program{src: "1"}, &Program{src: "2"}, &Program{src: "3"}
	c.put("1", p1)
	c.put("2", p2)
	if c.get("1") != p1 { // 1 is now the most recent
		t.Fatal("get 1")
	}
	c.put("3", p3) // evicts 2
	if c.get("2") != nil || c.get("1") != p1 || c.get("3") != p3 || c.len() != 2 {
		t.Errorf("eviction: 1=%v 2=%v 3=%v len=%d", c.get("1"), c.get("2"), c.get("3"), c.len())
	}

	// Concurrent compiles and evaluations of the same program are safe (run
	// with -race) and agree.
	var wg sync.WaitGroup
	results := make([]any, 16)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := Compile("map(1..5, # * input.k)", []string{"input"})
			if err != nil {
				results[i] = err
				return
			}
			v, err := p.Eval(map[string]any{"input": map[string]any{"k": i}})
			if err != nil {
				results[i] = err
				return
			}
			results[i] = v
		}()
	}
	wg.Wait()
	for i, r := range results {
		want := []any{i, 2 * i, 3 * i, 4 * i, 5 * i}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("goroutine %d: %v, want %v", i, r, want)
		}
	}
}

func TestReferences(t *testing.T) {
	tests := []struct {
		src  string
		want []Ref
	}{
		{"steps.charge.result", []Ref{{"steps", "charge", 1, 7}}},
		{`state["x"] + state.y`, []Ref{{"state", "x", 1, 7}, {"state", "y", 1, 20}}},
		{"steps?.a.b", []Ref{{"steps", "a", 1, 8}}},
		{"steps[input.id]", []Ref{{"input", "id", 1, 13}}},
		{"input", []Ref{}},
		{"let x = steps.a; x.b", []Ref{{"steps", "a", 1, 15}}},
		{"map(input.items, .id + steps.x.y)", []Ref{{"input", "items", 1, 11}, {"steps", "x", 1, 30}}},
		{"workflow.now.Format('2006')", []Ref{{"workflow", "now", 1, 10}}},
		{"steps.a\n  + steps.b", []Ref{{"steps", "a", 1, 7}, {"steps", "b", 2, 11}}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p, err := Compile(tt.src, dslVars)
			if err != nil {
				t.Fatal(err)
			}
			got := p.References()
			if got == nil {
				got = []Ref{}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("References() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFunctions(t *testing.T) {
	fns := Functions()
	if !slices.IsSorted(fns) {
		t.Error("Functions() is not sorted")
	}
	for _, name := range []string{"map", "filter", "repeat", "toJSON", "keys", "date", "timezone", "len"} {
		if !slices.Contains(fns, name) {
			t.Errorf("Functions() lacks %s", name)
		}
	}
	for _, name := range fns {
		if name == "now" || strings.HasPrefix(name, "§") {
			t.Errorf("Functions() lists %s", name)
		}
	}
	for name := range overrides {
		if !slices.Contains(fns, name) {
			t.Errorf("override %s is not one of expr's builtins", name)
		}
	}
}

func TestEvalMissingVariable(t *testing.T) {
	p, err := Compile("input.a + item", dslVars)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Eval(map[string]any{"input": map[string]any{"a": 1}})
	if err == nil || err.Error() != `1:11: variable "item" is not set` {
		t.Errorf("Eval error = %v", err)
	}
	v, err := p.Eval(map[string]any{"input": map[string]any{"a": 1}, "item": nil, "extra": 5})
	if err == nil || err.Error() != "1:9: invalid operation: int + <nil>" {
		t.Errorf("Eval = %v, %v", v, err)
	}
}

func TestEvalBool(t *testing.T) {
	vars := map[string]any{"input": map[string]any{"n": 2, "s": "x"}}
	tests := []struct {
		src     string
		want    bool
		wantErr string
	}{
		{"input.n > 1", true, ""},
		{"input.n == 3", false, ""},
		{"input.s", false, "1:1: condition must be a bool, got string"},
		{"  input.missing", false, "1:3: condition must be a bool, got null"},
		{"[input.n]", false, "1:1: condition must be a bool, got list"},
	}
	for _, tt := range tests {
		p, err := Compile(tt.src, []string{"input"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.EvalBool(vars)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("EvalBool(%q) error = %v, want %q", tt.src, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("EvalBool(%q) = %v, %v", tt.src, got, err)
		}
	}
}

func TestEvalRuntimeErrors(t *testing.T) {
	vars := map[string]any{"input": map[string]any{"n": 2, "s": "x", "list": []any{1}}}
	tests := []struct {
		src, want string
	}{
		{"input.n.x", "1:9: cannot fetch x from int"},
		{"input.list[5]", "1:11: index out of range: 5 (array length is 1)"},
		{"input.s + input.n", "1:9: invalid operation: string + int"},
		{"repeat(input.s, -1)", "1:1: invalid argument for repeat (expected positive integer, got -1)"},
		{"join([1, 2])", "1:1: cannot join element 0 of type int (expected string)"},
		{"input.n .. input.s", "1:9: invalid operation: .. (expected int bounds, got string)"},
		{"fromJSON('{')", "1:1: invalid JSON: unexpected EOF"},
		{"fromJSON('1 2')", "1:1: invalid JSON: unexpected data after the value"},
		{"date('x')", "1:1: invalid date x"},
		{"timezone('Mars/Base')", `1:1: unknown time zone "Mars/Base"`},
		{"sort([1, 2], 'up')", "1:1: invalid order up, expected asc or desc"},
		{"input.s matches input.s + '('", "1:9: error parsing regexp: missing closing ): `x(`"},
		{"0.0 / 0.0", "1:1: invalid result: unsupported number NaN"},
		{"keys(input.n)", "1:1: cannot list the entries of int (expected map)"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p, err := Compile(tt.src, []string{"input"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Eval(vars)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Eval error = %v, want *Error", err)
			}
			if e.Error() != tt.want {
				t.Errorf("Eval error = %q, want %q", e.Error(), tt.want)
			}
		})
	}
}

func TestInRange(t *testing.T) {
	vars := map[string]any{"input": map[string]any{"x": 5, "u": uint(7), "f": 5.0, "g": 5.5, "s": "5", "big": 1 << 40}}
	tests := map[string]bool{
		"5 in 1..10":                       true,
		"0 in 1..10":                       false,
		"10 in 10..1":                      false,
		"not (3 in 1..2)":                  true,
		"input.x in 1..1000000000":         true,
		"input.big in 1..1000000000":       false,
		"input.x in input.x..input.x":      true,
		"input.u in 7..8":                  true,
		"input.f in 1..10":                 true,
		"input.g in 1..10":                 false,
		"input.s in 1..10":                 false,
		"input.none in 1..10":              false,
		"input.x in 1..input.x - 1":        false,
		"any(1..3, # in 2..2)":             true,
		"input.x in map(1..3, # + 3)":      true,
		"input.x not in 1..10":             false,
		"-5 in -1000000000..-1":            true,
		"input.x in [1, 5, 9]":             true,
		"'a' in {a: 1}":                    true,
		"input.x in 1..1000000000 == true": true,
	}
	for src, want := range tests {
		p, err := Compile(src, []string{"input"})
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		got, err := p.Eval(vars)
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", src, got, err, want)
		}
	}
}

func TestResult(t *testing.T) {
	tests := []struct {
		src  string
		want reflect.Kind
	}{
		{`"abc"`, reflect.String},
		{`3`, reflect.Int},
		{`1.5 * 2`, reflect.Float64},
		{`x > 3`, reflect.Bool},
		{`[1, 2]`, reflect.Slice},
		{`{a: 1}`, reflect.Map},
		{`x`, reflect.Invalid},
		{`x.y`, reflect.Invalid},
		{`x ?? "d"`, reflect.Invalid},
	}
	for _, tt := range tests {
		p, err := Compile(tt.src, []string{"x"})
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		if got := p.Result(); got != tt.want {
			t.Errorf("Result(%s) = %v, want %v", tt.src, got, tt.want)
		}
	}
}
