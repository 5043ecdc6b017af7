package expression_test

import (
	"fmt"

	"github.com/dslrun/dslrun/internal/expression"
)

func Example() {
	vars := map[string]any{
		"input": map[string]any{"orderId": "A-17", "amount": 40},
		"state": map[string]any{"limit": 50},
	}

	// A whole-value template keeps the expression's type.
	whole, _ := expression.Parse("${ input.amount * 2 > state.limit }")
	v, _ := whole.Eval(vars)
	fmt.Printf("%T %v\n", v, v)

	// Any other template interpolates into a string.
	text, _ := expression.Parse("order ${ input.orderId }: ${ {amount: input.amount} }, literal $${x}")
	s, _ := text.Eval(vars)
	fmt.Println(s)

	// Validation reports every error with its position in the scalar.
	bad, _ := expression.Parse("${ stpes.charge.result } and ${ input. }")
	_, err := bad.Compile([]string{"input", "state", "steps"})
	fmt.Println(err)

	// A runaway expression fails deterministically.
	runaway, _ := expression.Parse(`${ reduce(1..40, #acc + #acc, "ab") }`)
	_, err = runaway.Eval(vars)
	fmt.Println(err)

	// Output:
	// bool true
	// order A-17: {"amount":40}, literal ${x}
	// 1:4: unknown name "stpes" (did you mean "steps"?); 1:39: unexpected end of expression
	// expression exceeded its string size limit (1048576 bytes)
}

func ExampleProgram_References() {
	p, _ := expression.Compile(`steps.charge.result.id + state["count"]`, []string{"steps", "state"})
	for _, r := range p.References() {
		fmt.Printf("%s.%s at %d:%d\n", r.Root, r.Field, r.Line, r.Col)
	}
	// Output:
	// steps.charge at 1:7
	// state.count at 1:32
}
