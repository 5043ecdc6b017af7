// Command dslrun runs declarative YAML workflows on Temporal.
package main

import (
	"os"

	_ "github.com/dslrun/dslrun/activities/builtin"
	dslruncmd "github.com/dslrun/dslrun/cmd"
)

func main() { os.Exit(dslruncmd.Main()) }
