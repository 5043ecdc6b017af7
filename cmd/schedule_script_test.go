package dslruncmd_test

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"time"

	dslruncmd "github.com/dslrun/dslrun/cmd"
	"github.com/rogpeppe/go-internal/testscript"
)

// eventuallyBound bounds how long the eventually command of the scripts
// waits: a hang bound, never a timing assertion.
const eventuallyBound = 90 * time.Second

// scriptEventually is the scripts' eventually command:
//
//	eventually [-count=N] PATTERN dslrun ARGS...
//
// It runs dslrun ARGS in process, again and again, until its standard
// output matches the regular expression PATTERN (at least N times), and
// fails after eventuallyBound. It waits for what the server does on its
// own (a schedule's next action, the visibility store catching up) by
// watching it happen, not by sleeping for a guessed time.
func scriptEventually(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! eventually")
	}
	count := 1
	if len(args) > 0 && strings.HasPrefix(args[0], "-count=") {
		n, err := strconv.Atoi(strings.TrimPrefix(args[0], "-count="))
		if err != nil || n < 1 {
			ts.Fatalf("eventually: bad %s", args[0])
		}
		count, args = n, args[1:]
	}
	if len(args) < 2 || args[1] != "dslrun" {
		ts.Fatalf("usage: eventually [-count=N] PATTERN dslrun ARGS...")
	}
	re, err := regexp.Compile("(?m)" + args[0])
	ts.Check(err)
	deadline := time.Now().Add(eventuallyBound)
	var out, errOut bytes.Buffer
	for {
		out.Reset()
		errOut.Reset()
		code := dslruncmd.Run(dslruncmd.Options{
			Args: args[2:], Stdout: &out, Stderr: &errOut,
			LookupEnv: func(k string) (string, bool) { v := ts.Getenv(k); return v, v != "" },
		})
		if code == dslruncmd.ExitOK && len(re.FindAllIndex(out.Bytes(), -1)) >= count {
			ts.Logf("eventually matched:\n%s", out.String())
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("eventually: no %d matches of %q within %s; last exit %d, stdout:\n%s\nstderr:\n%s", count, args[0], eventuallyBound, code, out.String(), errOut.String())
		}
		time.Sleep(200 * time.Millisecond) // poll interval, not a synchronisation
	}
}
