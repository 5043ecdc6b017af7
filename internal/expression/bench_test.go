package expression

import (
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

const benchSrc = "input.amount * 2 > state.limit"

var benchVars = map[string]any{
	"input":    map[string]any{"amount": 40},
	"state":    map[string]any{"limit": 50},
	"steps":    map[string]any{},
	"workflow": map[string]any{},
}

func BenchmarkCompile(b *testing.B) {
	for b.Loop() {
		if _, err := compile(benchSrc, dslVars); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileCached(b *testing.B) {
	for b.Loop() {
		if _, err := Compile(benchSrc, dslVars); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	p, err := Compile(benchSrc, dslVars)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := p.Eval(benchVars); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTemplateEval(b *testing.B) {
	t, err := Parse("${ " + benchSrc + " }")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := t.Eval(benchVars); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTemplateInterpolate(b *testing.B) {
	t, err := Parse("amount ${ input.amount } of ${ state.limit }")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := t.Eval(benchVars); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExprBaseline is plain expr on the same expression, without
// dslrun's budget, patches and normalisation, for comparison.
func BenchmarkExprBaseline(b *testing.B) {
	p, err := expr.Compile(benchSrc, expr.Env(map[string]any{"input": map[string]any{}, "state": map[string]any{}}))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := vm.Run(p, benchVars); err != nil {
			b.Fatal(err)
		}
	}
}
