package activities_test

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/dslrun/dslrun/activities"
)

const orderSchema = `{
  "type": "object",
  "required": ["orderId", "amount"],
  "additionalProperties": false,
  "properties": {
    "orderId": {"type": "string"},
    "amount": {"type": "number", "minimum": 0},
    "currency": {"type": "string", "enum": ["EUR", "USD"]},
    "note": {"type": ["string", "null"]},
    "items": {"type": "array", "items": {"$ref": "#/definitions/item"}},
    "meta": {"type": "object", "additionalProperties": {"type": "integer"}}
  },
  "definitions": {
    "item": {
      "type": "object",
      "required": ["sku"],
      "additionalProperties": false,
      "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}
    }
  }
}`

func orderRegistry(t *testing.T) *activities.Registry {
	t.Helper()
	r := activities.NewRegistry()
	if err := r.Register(activities.Spec{Name: "PlaceOrder", Input: json.RawMessage(orderSchema)}, okFn); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(activities.Spec{Name: "Anything"}, okFn); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckInput(t *testing.T) {
	r := orderRegistry(t)
	type m = map[string]any
	tests := []struct {
		name string
		with any
		want []activities.InputError
	}{
		{"valid", m{"orderId": "o1", "amount": 12}, nil},
		{"valid with everything", m{"orderId": "o1", "amount": 12.5, "currency": "EUR", "note": nil,
			"items": []any{m{"sku": "a", "qty": 2}}, "meta": m{"tries": int64(3)}}, nil},
		{"wrong type", m{"orderId": "o1", "amount": "12"},
			[]activities.InputError{{Path: "amount", Msg: "expected number, got string"}}},
		{"missing required", m{"orderId": "o1"},
			[]activities.InputError{{Path: "", Msg: `missing required property "amount"`}}},
		{"unknown property with hint", m{"orderId": "o1", "amount": 1, "ammount": 1},
			[]activities.InputError{{Path: "ammount", Msg: `unknown property "ammount" (did you mean "amount"?)`, UnknownProperty: "ammount"}}},
		{"unknown property without hint", m{"orderId": "o1", "amount": 1, "colour": "red"},
			[]activities.InputError{{Path: "colour", Msg: `unknown property "colour"`, UnknownProperty: "colour"}}},
		{"nested wrong type", m{"orderId": "o1", "amount": 1, "items": []any{m{"sku": "a"}, m{"sku": "b"}, m{"sku": 3}}},
			[]activities.InputError{{Path: "items.2.sku", Msg: "expected string, got integer"}}},
		{"nested missing required", m{"orderId": "o1", "amount": 1, "items": []any{m{"qty": 1}}},
			[]activities.InputError{{Path: "items.0", Msg: `missing required property "sku"`}}},
		{"nested unknown property through $ref", m{"orderId": "o1", "amount": 1, "items": []any{m{"skus": "a"}}},
			[]activities.InputError{
				{Path: "items.0", Msg: `missing required property "sku"`},
				{Path: "items.0.skus", Msg: `unknown property "skus" (did you mean "sku"?)`, UnknownProperty: "skus"},
			}},
		{"integer expected", m{"orderId": "o1", "amount": 1, "items": []any{m{"sku": "a", "qty": 1.5}}},
			[]activities.InputError{{Path: "items.0.qty", Msg: "expected integer, got number"}}},
		{"enum", m{"orderId": "o1", "amount": 1, "currency": "GBP"},
			[]activities.InputError{{Path: "currency", Msg: `must be one of "EUR", "USD"`}}},
		{"minimum", m{"orderId": "o1", "amount": -1},
			[]activities.InputError{{Path: "amount", Msg: "must be greater than or equal to 0"}}},
		{"type list", m{"orderId": "o1", "amount": 1, "note": 5},
			[]activities.InputError{{Path: "note", Msg: "expected string or null, got integer"}}},
		{"additionalProperties schema", m{"orderId": "o1", "amount": 1, "meta": m{"tries": "x"}},
			[]activities.InputError{{Path: "meta.tries", Msg: "expected integer, got string"}}},
		{"null", nil, []activities.InputError{{Path: "", Msg: "expected object, got null"}}},
		{"not an object", "o1", []activities.InputError{{Path: "", Msg: "expected object, got string"}}},
		{"several, sorted", m{"amount": "x", "extra": true, "currency": "GBP"},
			[]activities.InputError{
				{Path: "", Msg: `missing required property "orderId"`},
				{Path: "amount", Msg: "expected number, got string"},
				{Path: "currency", Msg: `must be one of "EUR", "USD"`},
				{Path: "extra", Msg: `unknown property "extra"`, UnknownProperty: "extra"},
			}},
		{"not JSON", m{"orderId": func() {}},
			[]activities.InputError{{Path: "", Msg: "cannot be encoded as JSON: json: unsupported type: func()"}}},
		{"NaN", m{"orderId": "o1", "amount": math.NaN()},
			[]activities.InputError{{Path: "", Msg: "cannot be encoded as JSON: json: unsupported value: NaN"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.CheckInput("PlaceOrder", tt.with)
			if !slices.Equal(got, tt.want) {
				t.Errorf("CheckInput =\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}

func TestCheckInputWithoutSchema(t *testing.T) {
	r := orderRegistry(t)
	if got := r.CheckInput("Anything", map[string]any{"x": func() {}}); got != nil {
		t.Errorf("activity without schema: CheckInput = %v, want nil", got)
	}
	if got := r.CheckInput("NotRegistered", 42); got != nil {
		t.Errorf("unknown activity: CheckInput = %v, want nil", got)
	}
}

func TestInputErrorString(t *testing.T) {
	for _, tt := range []struct {
		e    activities.InputError
		want string
	}{
		{activities.InputError{Path: "items.2.sku", Msg: "expected string, got integer"}, "items.2.sku: expected string, got integer"},
		{activities.InputError{Msg: "expected object, got null"}, "expected object, got null"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func BenchmarkCheckInput(b *testing.B) {
	r := activities.NewRegistry()
	if err := r.Register(activities.Spec{Name: "PlaceOrder", Input: json.RawMessage(orderSchema)}, okFn); err != nil {
		b.Fatal(err)
	}
	items := make([]any, 20)
	for i := range items {
		items[i] = map[string]any{"sku": "A-42", "qty": i + 1}
	}
	for _, bc := range []struct {
		name string
		with map[string]any
	}{
		{"valid", map[string]any{"orderId": "o1", "amount": 12, "items": items}},
		{"invalid", map[string]any{"orderId": 1, "ammount": 12, "items": items}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				r.CheckInput("PlaceOrder", bc.with)
			}
		})
	}
}

func BenchmarkRegister(b *testing.B) {
	for b.Loop() {
		r := activities.NewRegistry()
		if err := r.Register(activities.Spec{Name: "PlaceOrder", Input: json.RawMessage(orderSchema)}, okFn); err != nil {
			b.Fatal(err)
		}
	}
}
