// Command gen writes workflow.schema.json from the description of the DSL
// in package dsl. Run it with go generate in the schema folder.
package main

import (
	"fmt"
	"os"

	"github.com/dslrun/dslrun/schema"
)

func main() {
	out := "workflow.schema.json"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	b, err := schema.Generate()
	if err == nil {
		err = os.WriteFile(out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
