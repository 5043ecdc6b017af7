// Package devserver runs an embedded, in-process Temporal server for dslrun.
//
// It owns everything needed to run go.temporal.io/server inside the dslrun
// process when no Temporal address is configured: the server configuration
// (all four services on loopback ports, one history shard, SQLite for both
// the default and the visibility store), the SQLite database (in memory, or a
// file in WAL mode that survives restarts and is locked against a second
// server), the pre-registered namespace and search attributes, the dynamic
// config a development server needs, a quiet logger, and the optional Temporal
// Web UI (github.com/temporalio/ui-server/v2).
//
// The server has no authentication, so it only ever binds to a loopback
// address.
package devserver
