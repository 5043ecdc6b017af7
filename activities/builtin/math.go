package builtin

import (
	"context"
	"encoding/json"
	"math"
	"strconv"

	"github.com/dslrun/dslrun/activities"
)

// AddInput is the input of the math.add activity.
type AddInput struct {
	// A is the first operand.
	A json.Number `json:"a"`
	// B is the second operand.
	B json.Number `json:"b"`
}

func mathAddSpec() activities.Spec {
	return activities.Spec{
		Name:        MathAdd,
		Summary:     "Add two numbers",
		Description: "Returns `a + b`. Integers are added exactly (as 64-bit integers) unless the sum overflows; any other number is added as a float64.",
		Input: schema(`{
  "type": "object",
  "required": ["a", "b"],
  "additionalProperties": false,
  "properties": {
    "a": {"type": "number"},
    "b": {"type": "number"}
  }
}`),
		Output: schema(`{"type": "number"}`),
		Examples: []activities.Example{{
			Summary: "Add two integers",
			YAML: `- id: sum
  activity: math.add
  with: {a: 40, b: 2}
`,
		}},
	}
}

// mathAdd returns in.A + in.B, exactly for integers that fit in an int64.
func mathAdd(_ context.Context, in AddInput) (json.Number, error) {
	if in.A == "" {
		return "", invalidInput("missing required property %q", "a")
	}
	if in.B == "" {
		return "", invalidInput("missing required property %q", "b")
	}
	if a, err := in.A.Int64(); err == nil {
		if b, err := in.B.Int64(); err == nil {
			if s := a + b; (s > a) == (b > 0) {
				return json.Number(strconv.FormatInt(s, 10)), nil
			}
		}
	}
	a, err := in.A.Float64()
	if err != nil {
		return "", invalidInput("a: %q is not a number", in.A)
	}
	b, err := in.B.Float64()
	if err != nil {
		return "", invalidInput("b: %q is not a number", in.B)
	}
	s := a + b
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return "", invalidInput("%s + %s is out of range", in.A, in.B)
	}
	return json.Number(strconv.FormatFloat(s, 'g', -1, 64)), nil
}
