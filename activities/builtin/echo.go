package builtin

import (
	"context"
	"encoding/json"

	"github.com/dslrun/dslrun/activities"
)

func echoSpec() activities.Spec {
	return activities.Spec{
		Name:        Echo,
		Summary:     "Return the input unchanged",
		Description: "The `with:` value, any JSON value, becomes the step's result. Numbers keep their exact digits.",
		Input:       schema(`{"description": "any JSON value, returned unchanged"}`),
		Output:      schema(`{"description": "the input"}`),
		Examples: []activities.Example{{
			Summary: "Echo an object",
			YAML: `- id: greet
  activity: echo
  with: {greeting: hello, to: [world]}
`,
		}},
	}
}

// echo returns its input. Taking and returning raw JSON keeps large integers
// exact, where decoding into any would turn them into float64.
func echo(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
	return in, nil
}
