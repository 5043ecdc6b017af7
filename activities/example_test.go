package activities_test

import (
	"context"
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/testsuite"

	"github.com/dslrun/dslrun/activities"
)

// ChargeInput is the `with:` value of the ChargeCard step.
type ChargeInput struct {
	OrderID string  `json:"orderId"`
	Amount  float64 `json:"amount"`
}

// ChargeCard is an ordinary Temporal activity function.
func ChargeCard(_ context.Context, in ChargeInput) (string, error) {
	return fmt.Sprintf("receipt for %s: %.2f", in.OrderID, in.Amount), nil
}

// A plugin package registers its activities from init with
// activities.MustRegister, and a custom dslrun binary blank-imports it. This
// example uses a registry of its own, checks a step's `with:` value the way
// `dslrun validate` does, and runs the activity through the Temporal SDK's
// test environment, as a worker would.
func ExampleRegistry_Register() {
	r := activities.NewRegistry()
	err := r.Register(activities.Spec{
		Name:    "ChargeCard",
		Summary: "Charge the customer's card for an order",
		Input: json.RawMessage(`{
		  "type": "object",
		  "required": ["orderId", "amount"],
		  "additionalProperties": false,
		  "properties": {
		    "orderId": {"type": "string"},
		    "amount": {"type": "number", "exclusiveMinimum": 0}
		  }
		}`),
	}, ChargeCard)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Names())

	// with: {orderId: o-1, amuont: 12}
	for _, e := range r.CheckInput("ChargeCard", map[string]any{"orderId": "o-1", "amuont": 12}) {
		fmt.Println(e)
	}

	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	r.Attach(env) // or r.Attach(w) for a worker.Worker
	v, err := env.ExecuteActivity("ChargeCard", map[string]any{"orderId": "o-1", "amount": 12})
	if err != nil {
		fmt.Println(err)
		return
	}
	var receipt string
	if err := v.Get(&receipt); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(receipt)
	// Output:
	// [ChargeCard]
	// missing required property "amount"
	// amuont: unknown property "amuont" (did you mean "amount"?)
	// receipt for o-1: 12.00
}
