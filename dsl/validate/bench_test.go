package validate_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/dslrun/dslrun/schema"
	"gopkg.in/yaml.v3"
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

// BenchmarkValidateStages measures the stages of the pipeline alone on the
// generated definitions: gopkg.in/yaml.v3 alone (into a yaml.Node), YAML
// decoding into a node tree with dslrun's limits (dsl.Decode), the model with every expression compiled
// (dsl.Build), the JSON schema (schema.Validate, which Source runs beside
// Build) and the size of the canonical form (dsl.CanonicalSize).
func BenchmarkValidateStages(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		src := generate(n)
		root, ds := dsl.Decode("gen.yaml", src)
		if ds.HasErrors() {
			b.Fatal(ds)
		}
		w, ds := dsl.Build("gen.yaml", root)
		if ds.HasErrors() {
			b.Fatal(ds)
		}
		b.Run(fmt.Sprintf("yaml/steps=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var doc yaml.Node
				if err := yaml.Unmarshal(src, &doc); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("decode/steps=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ds := dsl.Decode("gen.yaml", src); ds.HasErrors() {
					b.Fatal(ds)
				}
			}
		})
		b.Run(fmt.Sprintf("build/steps=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ds := dsl.Build("gen.yaml", root); ds.HasErrors() {
					b.Fatal(ds)
				}
			}
		})
		b.Run(fmt.Sprintf("schema/steps=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ds := schema.Validate("gen.yaml", root); ds.HasErrors() {
					b.Fatal(ds)
				}
			}
		})
		b.Run(fmt.Sprintf("size/steps=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dsl.CanonicalSize(w)
			}
		})
	}
}
