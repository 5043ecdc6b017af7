//go:build race

package interpreter

// raceEnabled reports whether the tests run under the race detector, which
// slows expression evaluation about fivefold.
const raceEnabled = true
