package schema_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/schema"
)

// generated returns a valid definition of n activity steps.
func generated(n int) []byte {
	var b strings.Builder
	b.WriteString("dsl: v1\nname: bench\nactivity: {startToCloseTimeout: 30s}\nsteps:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - activity: Step%d\n    id: s%d\n    with: {n: %d, name: \"item %d\", tags: [a, b]}\n"+
			"    heartbeatTimeout: 5s\n    retry: {maximumAttempts: 3}\n", i%10, i, i, i)
	}
	return []byte(b.String())
}

// BenchmarkValidate measures yaml.Node decoding plus schema validation of
// definitions of 100, 1,000 and 10,000 activity steps.
func BenchmarkValidate(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000} {
		src := generated(n)
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				root, ds := dsl.Decode("bench.yaml", src)
				if ds.HasErrors() {
					b.Fatal(ds)
				}
				if ds := schema.Validate("bench.yaml", root); ds != nil {
					b.Fatal(ds)
				}
			}
		})
	}
}

// BenchmarkValidateOnly measures schema validation alone, on an already
// decoded tree.
func BenchmarkValidateOnly(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000} {
		root, ds := dsl.Decode("bench.yaml", generated(n))
		if ds.HasErrors() {
			b.Fatal(ds)
		}
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ds := schema.Validate("bench.yaml", root); ds != nil {
					b.Fatal(ds)
				}
			}
		})
	}
}
