// Package dsltest runs the test files of dslrun definitions: the engine of
// `dslrun test`.
//
// A test file sits beside the definition it tests (order_test.yaml next
// to order.yaml) and holds cases: an input; activities mocked by name (a
// result, a typed error, a timeout, one outcome per attempt, a duration in
// virtual time); signals, updates, queries and a cancellation sent at
// virtual times; and expectations on the output, the failure, the final
// state, the step results, queries, the activity calls and the virtual
// time the run took. docs/testing.md describes the format.
//
// Each case runs the definition with the interpreter (package
// interpreter) on the Temporal Go SDK's test workflow environment
// (go.temporal.io/sdk/testsuite), whose clock skips ahead whenever the run
// only waits: a 30-day sleep takes milliseconds. Activities that a case
// does not mock run as registered (the activities registry the caller
// passes); an activity step whose name is neither mocked nor registered
// fails the case before it runs. A run that continues as new is followed
// into its next run, as a server would, with the same mocks and clock.
//
// Test files are decoded from YAML nodes, so every mistake in one, and
// every failed expectation, is reported at its file:line:col with the path
// of the key (cases[1].expect.output), as dslrun validate reports
// definitions.
package dsltest
