// Package builtin provides dslrun's built-in activities: echo, log, sleep,
// fail, math.add, counter.increment and external.wait. They are small
// helpers for examples and tests (external.wait, which waits to be
// completed from outside, is also a building block for approvals and
// callbacks), and they register through the same public API as any plugin:
// importing the package (even blank) adds them to [activities.Default] from
// init, and [Register] adds them to any other registry.
//
// Runtime errors caused by an input that the activity cannot use are
// non-retryable application errors of type [InvalidInputType].
package builtin
