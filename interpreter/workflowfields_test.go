package interpreter

import (
	"slices"
	"testing"

	"github.com/dslrun/dslrun/dsl"
)

// TestWorkflowFields checks that the variable workflow has exactly the
// fields that validation accepts (dsl.WorkflowFields).
func TestWorkflowFields(t *testing.T) {
	h := newHarness(t)
	h.run("dsl: v1\nname: fields\nsteps: [{log: hi}]\noutput: ${ workflow }\n", nil)
	got := h.result().(map[string]any)
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, dsl.WorkflowFields) {
		t.Errorf("workflow has %v, validation accepts %v", keys, dsl.WorkflowFields)
	}
}
