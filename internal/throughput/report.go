package main

import (
	"fmt"
	"github.com/dslrun/dslrun/internal/throughput/shape"
	"io"
	"slices"
	"strings"
)

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// report prints, per shape, the medians over the pairs: the throughput
// ratio DSL / Go (with its range over the pairs), then Go → DSL for each
// figure per run.
func report(w io.Writer, sel []shape.Shape, results []*armResult) {
	fmt.Fprintln(w, "| shape | throughput DSL / Go | wf/s Go → DSL | server CPU per run | worker CPU per run | history events | workflow tasks | history bytes per run | bytes DSL / Go |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, s := range sel {
		arms := map[string]map[int]*armResult{"go": {}, "dsl": {}}
		for _, r := range results {
			if r.Shape == s.Name {
				arms[r.Arm][r.Pair] = r
			}
		}
		var ratios []float64
		for p, g := range arms["go"] {
			if d, ok := arms["dsl"][p]; ok && g.Throughput > 0 {
				ratios = append(ratios, d.Throughput/g.Throughput)
			}
		}
		m := func(arm string, f func(*armResult) float64) float64 {
			var xs []float64
			for _, r := range arms[arm] {
				xs = append(xs, f(r))
			}
			return median(xs)
		}
		pair := func(f func(*armResult) float64, format string) string {
			return fmt.Sprintf(format+" → "+format, m("go", f), m("dsl", f))
		}
		bytes := func(r *armResult) float64 { return r.Bytes }
		lo, hi := 0.0, 0.0
		if len(ratios) > 0 {
			lo, hi = slices.Min(ratios), slices.Max(ratios)
		}
		fmt.Fprintf(w, "| %s | %.2f (%.2f–%.2f) | %s | %s ms | %s ms | %s | %s | %s | %.2f |\n",
			s.About, median(ratios), lo, hi,
			pair(func(r *armResult) float64 { return r.Throughput }, "%.1f"),
			pair(func(r *armResult) float64 { return r.ServerCPUms }, "%.0f"),
			pair(func(r *armResult) float64 { return r.WorkerCPUms }, "%.0f"),
			pair(func(r *armResult) float64 { return r.Events }, "%.0f"),
			pair(func(r *armResult) float64 { return r.WFT }, "%.1f"),
			pair(bytes, "%.0f"),
			m("dsl", bytes)/m("go", bytes))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Bytes per run by event type (proto size, medians), Go → DSL:")
	fmt.Fprintln(w)
	for _, s := range sel {
		types := map[string]bool{}
		by := map[string][]float64{}
		for _, r := range results {
			if r.Shape != s.Name {
				continue
			}
			for t, v := range r.ByType {
				types[t] = true
				by[r.Arm+" "+t] = append(by[r.Arm+" "+t], v)
			}
		}
		var parts []string
		for _, t := range sortedKeys(types) {
			g, d := median(by["go "+t]), median(by["dsl "+t])
			if g != d {
				parts = append(parts, fmt.Sprintf("%s %.0f → %.0f", strings.ToLower(t), g, d))
			}
		}
		fmt.Fprintf(w, "- %s: %s\n", s.Name, strings.Join(parts, "; "))
	}
}

func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
