package expression

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

type point struct {
	X int     `json:"x"`
	Y float64 `json:"y"`
}

type level int

func (l level) MarshalText() ([]byte, error) { return []byte("level-" + string(rune('0'+int(l)))), nil }

func TestNormalize(t *testing.T) {
	when := time.Date(2026, 3, 4, 5, 6, 7, 89, time.FixedZone("X", 3600))
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"nil", nil, nil},
		{"bool", true, true},
		{"string", "s", "s"},
		{"int", 3, 3},
		{"int8", int8(-3), -3},
		{"int64", int64(1) << 62, 1 << 62},
		{"uint32", uint32(7), 7},
		{"uint64 in range", uint64(math.MaxInt64), math.MaxInt64},
		{"uint64 out of range", uint64(math.MaxUint64), float64(math.MaxUint64)},
		{"integral float", 3.0, 3},
		{"negative zero", math.Copysign(0, -1), 0},
		{"fraction", 2.5, 2.5},
		{"huge float", 1e300, 1e300},
		{"2^63 as float", float64(1 << 63), float64(1 << 63)},
		{"float32", float32(0.1), 0.1},
		{"json integer", json.Number("9007199254740993"), 9007199254740993},
		{"json float", json.Number("1.5"), 1.5},
		{"json integral float", json.Number("1e2"), 100},
		{"json huge integer", json.Number("123456789012345678901234567890"), 1.2345678901234568e29},
		{"bytes", []byte("hi"), "aGk="},
		{"time", when, "2026-03-04T05:06:07.000000089+01:00"},
		{"local time in UTC", time.Unix(0, 0).In(time.Local), "1970-01-01T00:00:00Z"},
		{"duration", 90 * time.Minute, "1h30m0s"},
		{"location", time.UTC, "UTC"},
		{"typed slice", []int{1, 2}, []any{1, 2}},
		{"nil slice", []string(nil), []any{}},
		{"array", [2]any{"k", 1.0}, []any{"k", 1}},
		{"nested", map[string]any{"a": []any{1.0, map[string]any{"b": int64(2)}}}, map[string]any{"a": []any{1, map[string]any{"b": 2}}}},
		{"typed map", map[string]float64{"a": 1, "b": 0.5}, map[string]any{"a": 1, "b": 0.5}},
		{"int keys", map[int]string{2: "b", 1: "a"}, map[string]any{"1": "a", "2": "b"}},
		{"any keys", map[any][]any{1: {"x"}, "k": {}, true: nil, nil: {1}}, map[string]any{"1": []any{"x"}, "k": []any{}, "true": []any{}, "null": []any{1}}},
		{"pointer", &[]int{1}, []any{1}},
		{"nil pointer", (*int)(nil), nil},
		{"struct", point{X: 1, Y: 2.5}, map[string]any{"x": 1, "y": 2.5}},
		{"text marshaler", level(3), "level-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err != nil {
				t.Fatalf("Normalize(%#v): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Normalize(%#v) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeErrors(t *testing.T) {
	deep := any(1)
	for range MaxValueDepth + 1 {
		deep = []any{deep}
	}
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"NaN", math.NaN(), "unsupported number NaN"},
		{"infinity", []any{math.Inf(-1)}, "unsupported number -Inf"},
		{"channel", make(chan int), "unsupported value of type chan int"},
		{"function key", map[any]any{[1]int{1}: 1}, "unsupported map key of type [1]int"},
		{"duplicate keys", map[any]any{1: "a", "1": "b"}, `duplicate key "1" in map`},
		{"too deep", deep, "expression exceeded its value nesting limit (1000 levels)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Normalize(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Normalize error = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestNormalizeJSONRoundTrip is the property the interpreter relies on: a
// value normalised before a payload round trip equals the value normalised
// after it.
func TestNormalizeJSONRoundTrip(t *testing.T) {
	values := []any{
		nil, true, false, "", "héllo \u2028 <&>", 0, -1, 42,
		1<<53 + 1, -(1<<53 + 1), math.MaxInt64, math.MinInt64, uint64(math.MaxUint64),
		math.Copysign(0, -1), 0.1, 2.5, -3.0, 1e300, -1e-300, 1e21, 1e-7, 123456789.125,
		float64(1 << 63), math.MaxFloat64, math.SmallestNonzeroFloat64,
		float32(0.1), float32(16777217), int8(-8), uint16(65535),
		[]any{}, []any{1, "a", nil, []any{2.0}}, []int{1, 2, 3}, []string{"x"}, []byte("bytes"),
		map[string]any{}, map[string]any{"a": 1.0, "b": map[string]any{"c": []any{true}}},
		map[string]int{"n": 1 << 60}, map[int]bool{-5: true},
		json.Number("12345678901234567890"), json.Number("1.0"), json.Number("-0"),
		time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", -7*3600)),
		point{X: 1, Y: 1.5}, &point{X: 2}, level(4),
	}
	for _, v := range values {
		want, err := Normalize(v)
		if err != nil {
			t.Errorf("Normalize(%#v): %v", v, err)
			continue
		}
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%#v): %v", v, err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var decoded any
		if err := dec.Decode(&decoded); err != nil {
			t.Fatal(err)
		}
		got, err := Normalize(decoded)
		if err != nil {
			t.Errorf("Normalize(decode(%s)): %v", data, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip of %#v via %s: got %#v, want %#v", v, data, got, want)
		}
		// Normalising is idempotent.
		again, err := Normalize(want)
		if err != nil || !reflect.DeepEqual(again, want) {
			t.Errorf("Normalize(Normalize(%#v)) = %#v, %v", v, again, err)
		}
		// The JSON dslrun writes decodes to the same value.
		enc, err := encodeJSON(want, "")
		if err != nil {
			t.Fatal(err)
		}
		dec = json.NewDecoder(bytes.NewReader(enc))
		dec.UseNumber()
		if err := dec.Decode(&decoded); err != nil {
			t.Fatalf("decoding %s: %v", enc, err)
		}
		if got, err := Normalize(decoded); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("dslrun's JSON of %#v is %s, which decodes to %#v (%v)", v, enc, got, err)
		}
	}
}

func TestEncodeJSON(t *testing.T) {
	v := map[string]any{"b": []any{1, 2.5, nil}, "a": "x\n\"y\"\x01<\u2028>", "c": map[string]any{}, "d": []any{}, "e": "\xff"}
	compact, err := encodeJSON(v, "")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":"x\n\"y\"\u0001<\u2028>","b":[1,2.5,null],"c":{},"d":[],"e":"\ufffd"}`
	if string(compact) != want {
		t.Errorf("compact = %s, want %s", compact, want)
	}
	indented, err := encodeJSON(map[string]any{"k": []any{1, map[string]any{"z": true}}}, "  ")
	if err != nil {
		t.Fatal(err)
	}
	std, _ := json.MarshalIndent(map[string]any{"k": []any{1, map[string]any{"z": true}}}, "", "  ")
	if string(indented) != string(std) {
		t.Errorf("indented = %s, want %s", indented, std)
	}
	for _, f := range []float64{0.1, 1e20, 1e21, 1e-6, 1e-7, -2.5e-10, 123.456, 1.7976931348623157e308} {
		std, _ := json.Marshal(f)
		if got := string(appendFloat(nil, f)); got != string(std) {
			t.Errorf("appendFloat(%v) = %s, encoding/json writes %s", f, got, std)
		}
	}
	big := []any{strings.Repeat("x", MaxStringBytes)}
	if _, err := encodeJSON(big, ""); err == nil || err.Error() != "expression exceeded its string size limit (1048576 bytes)" {
		t.Errorf("oversized JSON: %v", err)
	}
}

func TestTypeName(t *testing.T) {
	tests := map[string]any{
		"null": nil, "bool": false, "int": int64(1), "float": 1.5, "string": "",
		"list": []int{}, "map": map[string]any{}, "time": time.Time{}, "duration": time.Second,
		"expression.point": point{},
	}
	for want, v := range tests {
		if got := typeName(v); got != want {
			t.Errorf("typeName(%#v) = %q, want %q", v, got, want)
		}
	}
}
