// Package suggest finds the "did you mean" candidate for a misspelt name:
// one closest function shared by the parser, the JSON schema messages, the
// activity input checks and the expression compiler, so that every message
// of dslrun suggests the same way.
package suggest

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// expansions are abbreviations people write for the DSL's long key names
// (maxAttempts for maximumAttempts).
var expansions = strings.NewReplacer("max", "maximum", "min", "minimum")

// Closest returns the candidate that s most likely misspells, or "" when
// none is close: the same word in another case; else the nearest by edit
// distance (insertions, deletions, substitutions and swaps of neighbours,
// ignoring case, also after expanding max and min) when that distance is
// at most 2 (3 for names over 8 characters) and less than half the name;
// else, for names of 4 characters or more, the first candidate that starts
// with it (parentClose for parentClosePolicy). Ties go to the candidate
// first in sorted order.
func Closest(s string, candidates []string) string {
	lower := strings.ToLower(s)
	expanded := expansions.Replace(lower)
	sorted := slices.Clone(candidates)
	slices.Sort(sorted)
	n := utf8.RuneCountInString(s)
	limit := 2
	if n > 8 {
		limit = 3
	}
	best, bestD := "", limit+1
	for _, c := range sorted {
		lc := strings.ToLower(c)
		if lc == lower || lc == expanded {
			return c
		}
		d := min(distance(lower, lc), distance(expanded, lc))
		if d < bestD && 2*d < n {
			best, bestD = c, d
		}
	}
	if best != "" {
		return best
	}
	if n >= 4 {
		for _, c := range sorted {
			if strings.HasPrefix(strings.ToLower(c), lower) {
				return c
			}
		}
	}
	return ""
}

// distance is the optimal string alignment distance between a and b, in
// runes; long strings are never close.
func distance(a, b string) int {
	x, y := []rune(a), []rune(b)
	if len(x) > 64 || len(y) > 64 {
		return 1 << 20
	}
	prev2 := make([]int, len(y)+1)
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(y)]
}
