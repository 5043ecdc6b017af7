package expression

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// allocated returns the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// maxAlloc is a generous bound on what one hostile evaluation may allocate:
// far below what would threaten a worker, far above what the limits allow.
const maxAlloc = 256 << 20

func TestHostileExpressions(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	vars := map[string]any{"workflow": map[string]any{"now": now}, "input": map[string]any{}}
	tests := []struct {
		name, src string
		limit     Limit
	}{
		{"nested repeat of a long string", `repeat(repeat("abcdefghij", 100000), 100000)`, LimitStringBytes},
		{"replace of a string into itself", `let s = repeat("ab", 500); replace(replace(replace(s, "a", s), "a", s), "a", s)`, LimitStringBytes},
		{"toJSON over a large mapped range", `toJSON(map(1..100000, repeat("x", 100)))`, LimitStringBytes},
		{"doubling reduce", `reduce(1..40, #acc + #acc, "ab")`, LimitStringBytes},
		{"doubling reduce with concat", `reduce(1..40, #acc + #acc, input.s ?? "ab")`, LimitStringBytes},
		{"triple nested sum", `sum(1..400, sum(1..400, sum(1..400, #)))`, LimitSteps},
		{"huge range", `1..1000000000`, LimitRange},
		{"huge negative range", `-1000000000..0`, LimitRange},
		{"many medium strings", `map(1..100000, repeat("x", 1000))`, LimitTotalBytes},
		{"split into characters", `split(repeat("a", 1000000), "")`, LimitSteps},
		{"quadratic uniq", `uniq(1..100000)`, LimitSteps},
		{"sort of a large list", `sort(map(1..100000, -#))`, LimitSteps},
		{"comparing long strings in a loop", `let s = repeat("x", 1000000); map(1..100000, s == s)`, LimitSteps},
		{"ordering long strings in a loop", `let s = repeat("x", 1000000); map(1..100000, s < s)`, LimitSteps},
		{"scanning a list in a loop", `let l = 1..100000; map(1..1000, max(l))`, LimitSteps},
		{"membership in a long list in a loop", `let l = 1..100000; map(1..1000, 0 in l)`, LimitSteps},
		{"ranges in a loop", `map(1..1000, 1..1000)`, LimitSteps},
		{"shared references rendered", `let x = 1..1000; toJSON(map(1..1000, x))`, LimitSteps},
		{"shared references returned", `let x = 1..1000; map(1..1000, x)`, LimitSteps},
		{"shared references interpolated", `let x = 1..1000; string(map(1..1000, x))`, LimitSteps},
		{"element allocation", `map(1..100000, [#, #, #, #, #, #, #, #, #, #])`, LimitMemory},
		{"deeply nested value", `reduce(1..100000, [#acc], 0)`, LimitValueDepth},
		{"deeply nested value compared", `let v = reduce(1..5000, [#acc], 0); v == v`, LimitValueDepth},
		{"method building strings", `map(1..100, workflow.now.Format(repeat("Monday", 100000)))`, LimitTotalBytes},
		{"regular expression over a long text", `let s = repeat("a", 1000000); map(1..1000, s matches "(a|aa)*b")`, LimitSteps},
		{"dynamic regular expression", `let s = repeat("a", 1000000); map(1..1000, s matches ("(a|aa)*" + "b"))`, LimitSteps},
		{"fromJSON of a large array", `let j = "[" + repeat("0,", 400000) + "0]"; map(1..100, len(fromJSON(j)))`, LimitSteps},
		{"join of a large list", `join(map(1..100000, "abcdefghijklmnop"), ",")`, LimitStringBytes},
		{"base64 growth", `toBase64(toBase64(toBase64(repeat("x", 500000))))`, LimitStringBytes},
		{"upper of long strings", `map(1..100, upper(repeat("x", 1000000)))`, LimitTotalBytes},
		{"keys of a large map in a loop", `let m = fromPairs(map(1..50000, [string(#), #])); map(1..100, len(keys(m)))`, LimitSteps},
		{"concat in a reduce", `reduce(1..100000, concat(#acc, [#]), [])`, LimitSteps},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compile(tt.src, []string{"input", "workflow"})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			var evalErr error
			start := time.Now()
			alloc := allocated(func() { _, evalErr = p.Eval(vars) })
			elapsed := time.Since(start)
			var le *LimitError
			if !errors.As(evalErr, &le) {
				t.Fatalf("Eval error = %v, want *LimitError", evalErr)
			}
			if le.Limit != tt.limit {
				t.Errorf("limit = %q (%v), want %q", le.Limit, le, tt.limit)
			}
			if want := "expression exceeded its " + string(tt.limit) + " ("; !strings.HasPrefix(le.Error(), want) {
				t.Errorf("message %q does not start with %q", le.Error(), want)
			}
			if alloc > maxAlloc {
				t.Errorf("allocated %d MiB, want < %d MiB", alloc>>20, maxAlloc>>20)
			}
			t.Logf("%s after %v, %d MiB allocated", le, elapsed.Round(time.Millisecond), alloc>>20)
		})
	}
}

func TestLimitMessages(t *testing.T) {
	tests := []struct {
		src, want string
		line, col int
	}{
		{`sum(1..400, sum(1..400, sum(1..400, #)))`, "expression exceeded its operation budget (1000000 steps)", 1, 37},
		{`repeat("ab", 1000000)`, "expression exceeded its string size limit (1048576 bytes)", 1, 1},
		{`1 + len(1..1000000000)`, "expression exceeded its range size limit (100000 elements)", 1, 10},
		{`map(1..100000, repeat("x", 1000))`, "expression exceeded its string budget (16777216 bytes)", 1, 16},
		{`map(1..100000, [#, #, #, #, #, #, #, #, #, #])`, "expression exceeded its memory budget (1000000 elements)", 1, 16},
		{`reduce(1..2000, [#acc], 0)`, "expression exceeded its value nesting limit (1000 levels)", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p, err := Compile(tt.src, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Eval(nil)
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("Eval error = %v, want *LimitError", err)
			}
			if le.Error() != tt.want || le.Line != tt.line || le.Col != tt.col {
				t.Errorf("got %q at %d:%d, want %q at %d:%d", le.Error(), le.Line, le.Col, tt.want, tt.line, tt.col)
			}
		})
	}
}

// TestLimitBoundaries checks that the limits are where they say: at the
// limit an expression works, one past it fails.
func TestLimitBoundaries(t *testing.T) {
	tests := []struct {
		ok, fail string
		limit    Limit
	}{
		{`len(repeat("a", 1048576))`, `len(repeat("a", 1048577))`, LimitStringBytes},
		{`len(repeat("a", 1048575) + "b")`, `len(repeat("a", 1048576) + "b")`, LimitStringBytes},
		{`len(1..100000)`, `len(1..100001)`, LimitRange},
		{`len(0..99999)`, `len(-1..99999)`, LimitRange},
		{`len(join(map(1..2, repeat("a", 524288)), ""))`, `len(join(map(1..2, repeat("a", 524288)), "-"))`, LimitStringBytes},
		{`len(map(1..16, repeat("a", 1048576)))`, `len(map(1..17, repeat("a", 1048576)))`, LimitTotalBytes},
		{`len(toJSON(repeat("a", 1048574)))`, `len(toJSON(repeat("a", 1048575)))`, LimitStringBytes},
	}
	for _, tt := range tests {
		t.Run(tt.fail, func(t *testing.T) {
			p, err := Compile(tt.ok, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Eval(nil); err != nil {
				t.Errorf("%s: %v", tt.ok, err)
			}
			p, err = Compile(tt.fail, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Eval(nil)
			var le *LimitError
			if !errors.As(err, &le) || le.Limit != tt.limit {
				t.Errorf("%s: error = %v, want the %s", tt.fail, err, tt.limit)
			}
		})
	}
}

func TestBudget(t *testing.T) {
	b := &budget{}
	if err := b.charge(MaxSteps); err != nil {
		t.Fatalf("charge(MaxSteps): %v", err)
	}
	if err := b.charge(1); err == nil {
		t.Error("a step past MaxSteps was allowed")
	}
	b = &budget{}
	if err := b.charge(-1); err == nil {
		t.Error("a negative charge was allowed")
	}
	b = &budget{}
	for i := range MaxTotalBytes / MaxStringBytes {
		if err := b.reserve(MaxStringBytes); err != nil {
			t.Fatalf("reserve %d: %v", i, err)
		}
	}
	var le *LimitError
	if err := b.reserve(1); !errors.As(err, &le) || le.Limit != LimitTotalBytes {
		t.Errorf("reserve past the string budget: %v", err)
	}
	if err := (&budget{}).reserve(MaxStringBytes + 1); !errors.As(err, &le) || le.Limit != LimitStringBytes {
		t.Errorf("reserve past the string size limit: %v", err)
	}
	var unlimited *budget
	if err := unlimited.charge(10 * MaxSteps); err != nil {
		t.Errorf("nil budget: %v", err)
	}
}

// TestBudgetIsPerEvaluation checks that a program evaluated many times does
// not accumulate steps or bytes across evaluations.
func TestBudgetIsPerEvaluation(t *testing.T) {
	p, err := Compile(`len(map(1..90000, repeat("x", 100)))`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := p.Eval(nil); err != nil {
			t.Fatalf("evaluation %d: %v", i, err)
		}
	}
}

// TestOrdinaryWorkFitsTheBudget guards against limits so tight that
// reasonable expressions fail.
func TestOrdinaryWorkFitsTheBudget(t *testing.T) {
	items := make([]any, 5000)
	for i := range items {
		items[i] = map[string]any{"id": i, "name": "item", "price": 1.5, "tags": []any{"a", "b"}}
	}
	lookup := make(map[string]any, 5000)
	for i := range 5000 {
		lookup[string(rune('a'+i%26))+string(rune('0'+i%10))] = i
	}
	vars := map[string]any{"input": map[string]any{"items": items, "lookup": lookup}}
	for _, src := range []string{
		`sum(input.items, .price * 2)`,
		`len(filter(input.items, .id % 2 == 0 && "a" in .tags))`,
		`toJSON(map(input.items[:100], #.name + "-" + string(#.id)))`,
		`map(input.items, get(input.lookup, "a0"))`,
		`len(groupBy(input.items, .id % 10))`,
		`sortBy(input.items, .id, "desc")[0].id`,
		`join(map(1..1000, string(#)), ",")`,
		`5 in 1..1000000000`,
		`len(keys(input.lookup))`,
	} {
		p, err := Compile(src, []string{"input"})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if _, err := p.Eval(vars); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}
