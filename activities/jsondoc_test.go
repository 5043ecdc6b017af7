package activities

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// TestJSONDoc: the document CheckInput hands the validator for a value of
// the value model is the one that encoding the value and decoding it with
// json.Number (what gojsonschema's Go loader does) gives; other values
// and values without a faithful JSON form are left to that loader.
func TestJSONDoc(t *testing.T) {
	values := []any{
		nil, true, false, "", "a<b>&\"c\"\t é 中 😀 \u2028", 0, -7, math.MaxInt64, math.MinInt64,
		0.5, -0.25, 1e-7, 1e21, 123456789.125, 1.7976931348623157e308, 5e-324,
		[]any(nil), map[string]any(nil), []any{}, map[string]any{},
		map[string]any{"a": []any{1, "two", map[string]any{"three": 3.5, "n": nil}}, "<k>": map[string]any{}},
	}
	for _, v := range values {
		got, ok := jsonDoc(v)
		if !ok {
			t.Errorf("%#v: not converted", v)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%#v: got %#v, want %#v", v, got, want)
		}
	}
	for _, v := range []any{
		math.NaN(), math.Inf(1), "\xff", map[string]any{"\xff": 1}, []string{"a"}, map[string]string{},
		int64(1), []any{struct{}{}}, map[string]any{"x": []any{float32(1)}},
	} {
		if _, ok := jsonDoc(v); ok {
			t.Errorf("%#v: converted, want it left to the Go loader", v)
		}
	}
}
