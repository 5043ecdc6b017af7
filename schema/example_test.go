package schema_test

import (
	"fmt"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/schema"
)

func ExampleValidate() {
	src := []byte(`dsl: v1
name: greet
steps:
  - activity: SayHello
    startToCloseTimeout: 30 seconds
    retries: 3
  - sleep: 1h
    log: done
`)
	root, ds := dsl.Decode("greet.yaml", src)
	if ds.HasErrors() {
		fmt.Println(ds)
		return
	}
	fmt.Println(schema.Validate("greet.yaml", root))
	// Output:
	// greet.yaml:5:26: steps[0].startToCloseTimeout: invalid value "30 seconds": want a duration such as 500ms, 30s, 5m, 1h30m, 2d or 1d12h (no negative durations, no bare numbers, no expressions)
	// greet.yaml:6:5: steps[0].retries: unknown key "retries"
	// greet.yaml:8:5: steps[1]: step has more than one kind: sleep and log
}

func ExampleJSON() {
	// Print the schema for an editor, as `dslrun schema` does; point
	// yaml-language-server at it with a modeline in each file:
	//   # yaml-language-server: $schema=workflow.schema.json
	b := schema.JSON()
	fmt.Println(len(b) > 0, schema.ID)
	// Output: true https://dslrun.dev/schema/v1/workflow.schema.json
}
