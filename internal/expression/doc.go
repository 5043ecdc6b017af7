// Package expression owns dslrun's expression language: the ${ ... }
// templates found in YAML scalars, their compilation with
// github.com/expr-lang/expr, and their deterministic, bounded evaluation.
//
// The same code runs twice. At validation time, Parse and Compile report
// every error with a line and column so that the caller can point at the
// YAML file. At run time the interpreter evaluates the same programs inside
// Temporal workflow code, where an evaluation must be a pure function of its
// inputs and must finish quickly even when the expression is hostile.
//
// # Determinism
//
// now() is removed (workflows read workflow.now instead); keys, values and
// toPairs return their results in sorted key order; date and timezone
// resolve zone names only from the IANA database embedded in this package
// (zoneinfo.zip, copied from Go's lib/time, tzdata 2025c), never from the
// host, and a date without a zone is read in UTC; the time method Local is
// rejected. No function reads the clock, the environment, files or random
// numbers.
//
// # Bounded work
//
// Every limit is a count, never a wall-clock timeout, so that a replay fails
// in exactly the same place as the original run. At compile time: the size
// of the source (MaxSourceBytes), the number of syntax nodes (MaxNodes) and
// their nesting (MaxDepth). At run time, per evaluation: an operation budget
// (MaxSteps) ticked by every closure body (map, filter, reduce, sum, ...) and
// charged in proportion to the data that builtins and operators scan; a cap
// on every string an expression builds (MaxStringBytes) and on their total
// (MaxTotalBytes); a cap on ranges (MaxRange); expr's own memory budget
// (MemoryBudget); and a nesting limit on values (MaxValueDepth). Exceeding
// one yields a *LimitError. The limits are constants on purpose: changing one
// changes which expressions fail, which is a behaviour change that the
// interpreter must put behind workflow.GetVersion.
//
// # Values
//
// Results are normalised to dslrun's value model: nil, bool, int, float64
// (only when not integral), string, []any and map[string]any. See Normalize.
package expression
