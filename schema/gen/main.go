// Command gen writes the files generated from the description of the DSL
// in package dsl: the JSON schema (workflow.schema.json, beside this
// command's package) and the reference tables of docs/dsl.md. Run it with
// go generate ./schema/.
package main

import (
	"fmt"
	"os"

	"github.com/dslrun/dslrun/internal/docgen"
	"github.com/dslrun/dslrun/schema"
)

func main() {
	// The paths are relative to the schema folder, where go generate runs
	// this command.
	if _, err := os.Stat("generate.go"); err != nil {
		fmt.Fprintln(os.Stderr, "gen: run it with go generate ./schema/ (from the schema folder)")
		os.Exit(2)
	}
	if err := run("workflow.schema.json", "../docs/dsl.md"); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(schemaFile, docFile string) error {
	b, err := schema.Generate()
	if err != nil {
		return err
	}
	if err := os.WriteFile(schemaFile, b, 0o644); err != nil {
		return err
	}
	md, err := os.ReadFile(docFile)
	if err != nil {
		return err
	}
	if md, err = docgen.Update(md, "../dsl/validate/testdata/invalid"); err != nil {
		return fmt.Errorf("%s: %w", docFile, err)
	}
	return os.WriteFile(docFile, md, 0o644)
}
