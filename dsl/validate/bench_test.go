package validate_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl/validate"
)

// generate returns a definition of n steps that exercises the whole
// pipeline: activity steps with expressions and ids, every tenth a set.
func generate(n int) []byte {
	var b strings.Builder
	b.WriteString("dsl: v1\nname: generated\nstate:\n  total: 0\nactivity:\n  startToCloseTimeout: 30s\nsteps:\n")
	for i := range n {
		if i%10 == 9 {
			fmt.Fprintf(&b, "  - set: {total: \"${ state.total + steps.s%d.result }\"}\n", i-1)
			continue
		}
		fmt.Fprintf(&b, "  - id: s%d\n    activity: math.add\n    with: {a: %d, b: \"${ state.total }\"}\n    retry: {maximumAttempts: 3}\n", i, i)
	}
	b.WriteString("output: ${ state.total }\n")
	return []byte(b.String())
}

// BenchmarkValidate measures the full validation pipeline on generated
// definitions of 100, 1,000 and 10,000 steps.
func BenchmarkValidate(b *testing.B) {
	reg := registry(b)
	for _, n := range []int{100, 1000, 10000} {
		src := generate(n)
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				r := validate.Source("gen.yaml", src, reg)
				if !r.Valid() {
					b.Fatal(r.Diagnostics)
				}
			}
		})
	}
}

// TestGeneratedValid keeps the benchmark's input honest.
func TestGeneratedValid(t *testing.T) {
	r := validate.Source("gen.yaml", generate(100), registry(t))
	if !r.Valid() {
		t.Fatal(r.Diagnostics)
	}
}
