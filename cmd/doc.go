// Package cli implements the dslrun command line on cobra.
//
// Main is the whole program: it builds the command tree with New, runs it
// with the process's streams, arguments and environment, prints an error
// once and returns the exit code. Nothing here is package-level state:
// every command reads its streams, arguments and environment from Options,
// so the CLI runs in process in tests.
package cli
