// Command dslrun runs declarative YAML workflows on Temporal.
package main

import (
	"os"

	_ "github.com/dslrun/dslrun/activities/builtin"
	"github.com/dslrun/dslrun/internal/cli"
)

func main() { os.Exit(cli.Main()) }
