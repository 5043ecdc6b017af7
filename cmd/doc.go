// Package dslruncmd is the dslrun command line: every command of the dslrun
// binary, built on cobra, for custom binaries to build on.
//
// A custom binary is a main package that blank-imports the activity bundles
// it wants, which register themselves with activities.MustRegister in their
// init functions, and calls Main once:
//
//	package main
//
//	import (
//		"os"
//
//		_ "github.com/dslrun/dslrun/activities/builtin"
//		dslruncmd "github.com/dslrun/dslrun/cmd"
//
//		_ "example.com/acme/dslactivities" // your own activities
//	)
//
//	func main() { os.Exit(dslruncmd.Main()) }
//
// Its validate checks the with: of those activities against their specs, its
// worker and dev serve them, and its activities command lists them. The
// stock binary, cmd/dslrun, is exactly this with the built-in bundle alone;
// examples/custom-binary is a complete custom binary.
//
// Main is the whole program: it builds the command tree with New, runs it
// with the process's streams, arguments and environment, prints an error
// once and returns one of the Exit codes. Run does the same with the
// streams, arguments, environment and activity registry given in Options.
// Nothing here is package-level state: every command reads its streams,
// arguments and environment from Options, so the CLI runs in process in
// tests.
//
// Build with -tags noserver to leave the embedded Temporal server out:
// the binary is much smaller and builds in well under a minute, and the
// commands that would start the embedded server say that it is not built
// in.
package dslruncmd
