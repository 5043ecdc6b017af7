// Package shell provides dslrun's `shell` activity: run a command on the
// worker's machine. It is off by default: nothing registers it from init,
// and the stock dslrun binary registers it only when its worker starts with
// --allow-shell ([Register]); without the flag the name is served by
// [RegisterDisabled], which fails every step non-retryably with
// [DisabledErrorType], saying how to turn it on.
//
//	steps:
//	  - id: build
//	    activity: shell
//	    with:
//	      command: [make, -C, /srv/site, build]
//	      env: [PATH, HOME]
//	      timeout: 5m
//
// The command is an argument list, run without a shell; a string is run by
// /bin/sh -c only with shell: true. The process sees only the worker
// environment variables named in env, starts in dir, reads stdin, and runs
// in a process group of its own: when the step is cancelled or its timeout
// expires the group gets SIGTERM, then SIGKILL after two seconds, and no
// process of the group outlives the attempt. The result is {exitCode,
// stdout, stderr}; a non-zero exit fails the attempt with [ExitErrorType]
// ("ShellExit", retryable), the exit code and the end of stderr in its
// details. Standard output over maxOutputBytes fails the attempt,
// non-retryable, rather than being truncated. The package needs a Unix
// system.
package shell
