// Package clustertest proves dslrun against a Temporal server that is not
// the embedded one. Its test, built only with the tag cluster
// (go test -tags cluster ./internal/clustertest/ -count=1, run by .ci/run),
// starts a throwaway PostgreSQL cluster (initdb in a temporary folder, the
// postgres server on a free loopback port), creates the Temporal databases
// and their schemas with the versioned schema files of the server module,
// runs the Temporal server library on PostgreSQL, and points two
// `dslrun worker` processes, built with -tags noserver, at it on one task
// queue. It starts 1,000 runs of a five-step definition, kills one worker
// with SIGKILL once a quarter of the runs completed, and checks that every
// run completed exactly once with the right result and that the surviving
// worker took over the runs the killed one had in flight.
//
// Everything it starts is stopped when the test ends, also when it fails:
// the worker processes and the postgres server run in process groups of
// their own, killed as a group (postgres's backends exit with it), and die
// with the test process if it is killed. Without the PostgreSQL server binaries (Debian's postgresql
// package) the test fails when CI is set and is skipped otherwise.
package clustertest
