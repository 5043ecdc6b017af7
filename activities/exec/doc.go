// Package exec owns exec plugins: activities written in any language, run
// as one process per attempt and described by a manifest file.
//
// A plugin folder holds manifests named *.plugin.yaml (see [ManifestSuffix]),
// each naming an executable, its input and output JSON schemas, the
// environment variables it may see and its timeouts. [Load] reads and checks
// every manifest of a folder, reporting each mistake at its file:line:col as
// a definition's diagnostics are; [Register] makes the plugins ordinary
// activities of an [activities.Registry], so that `dslrun validate` checks a
// step's `with:` against the plugin's input schema and a worker serves it.
//
// The protocol between the worker and the process, version
// [Protocol] ("dslrun.plugin/v1"), is documented in docs/plugins.md: the
// step's `with:` as JSON on stdin, activity information in DSLRUN_*
// environment variables, the result as JSON on stdout, heartbeats and log
// messages as JSON lines on file descriptor 3, a failure as a JSON error
// object on stdout with a non-zero exit status, and cancellation as SIGTERM
// to the process group, then SIGKILL after a grace period. The package needs
// a Unix system.
package exec
