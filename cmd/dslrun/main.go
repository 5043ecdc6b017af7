// Command dslrun runs declarative YAML workflows on Temporal.
package main

import (
	"os"

	_ "github.com/dslrun/dslrun/activities/builtin"
	_ "github.com/dslrun/dslrun/activities/http" // the http activity: a bundle chosen by main, as the built-ins are
	dslruncmd "github.com/dslrun/dslrun/cmd"
)

func main() { os.Exit(dslruncmd.Main()) }
