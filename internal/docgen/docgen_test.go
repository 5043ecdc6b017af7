package docgen

import (
	"os"
	"testing"
)

// TestReferenceIsGenerated fails when a table of docs/dsl.md is not what
// the description of the DSL generates: run go generate ./schema/.
func TestReferenceIsGenerated(t *testing.T) {
	md, err := os.ReadFile("../../docs/dsl.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Update(md, "../../dsl/validate/testdata/invalid")
	if err != nil {
		t.Fatal(err)
	}
	if string(md) != string(want) {
		t.Fatal("docs/dsl.md is stale: run `go generate ./schema/` and commit the result")
	}
}

func TestUpdateErrors(t *testing.T) {
	for _, md := range []string{
		"<!-- keys: nosuch -->\n<!-- end keys -->\n",
		"<!-- keys: retryPolicy -->\nno end\n",
		"<!-- keys: duration -->\n<!-- end keys -->\n", // a value type, not a mapping
		"<!-- golden: nosuch x.yaml -->\n<!-- end golden -->\n",
		"<!-- golden: docs-errors x.yaml -->\nno end\n",
	} {
		if _, err := Update([]byte(md), "../../dsl/validate/testdata/invalid"); err == nil {
			t.Errorf("Update(%q): no error", md)
		}
	}
}
