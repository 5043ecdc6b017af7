// Command acme-dslrun is dslrun with the acme activities built in: the
// stock command tree (package dslruncmd) plus one more blank import.
package main

import (
	"os"

	_ "github.com/dslrun/dslrun/activities/builtin"
	dslruncmd "github.com/dslrun/dslrun/cmd"

	_ "github.com/dslrun/dslrun/examples/custom-binary/acme"
)

func main() { os.Exit(dslruncmd.Main()) }
