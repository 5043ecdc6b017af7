package dsl

import (
	"maps"
	"slices"
)

// sortedKeys returns the keys of m in order, so that no caller ranges over
// a map in Go's random order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// SortedKeys returns the keys of m in order. Workflow code must iterate
// maps through it, never with range.
func SortedKeys[V any](m map[string]V) []string { return sortedKeys(m) }
