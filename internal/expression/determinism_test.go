package expression

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestMapFunctionsAreSorted(t *testing.T) {
	m := make(map[string]any, 50)
	for i := range 50 {
		m[fmt.Sprintf("k%02d", (i*37)%50)] = i
	}
	vars := map[string]any{"input": m}
	for _, src := range []string{"keys(input)", "values(input)", "toPairs(input)", "toJSON(input)", "string(input)", "input", "keys(groupBy(1..50, # % 7))"} {
		t.Run(src, func(t *testing.T) {
			p, err := Compile(src, []string{"input"})
			if err != nil {
				t.Fatal(err)
			}
			first, err := p.Eval(vars)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 100 {
				got, err := p.Eval(vars)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, first) {
					t.Fatalf("evaluation %d differs:\n%v\n%v", i, got, first)
				}
			}
		})
	}

	p, err := Compile("keys(input)", []string{"input"})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := p.Eval(vars)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(keys.([]any), func(a, b any) int { return compareKeys(a, b) }) || len(keys.([]any)) != 50 {
		t.Errorf("keys = %v", keys)
	}
	p, err = Compile("values(input)", []string{"input"})
	if err != nil {
		t.Fatal(err)
	}
	values, err := p.Eval(vars)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys.([]any) {
		if values.([]any)[i] != m[k.(string)] {
			t.Fatalf("values()[%d] = %v, want the value of %v", i, values.([]any)[i], k)
		}
	}
	p, err = Compile("toPairs({b: 2, a: 1, c: 3})", nil)
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := p.Eval(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{[]any{"a", 1}, []any{"b", 2}, []any{"c", 3}}
	if !reflect.DeepEqual(pairs, want) {
		t.Errorf("toPairs = %v, want %v", pairs, want)
	}
}

func TestCompareKeys(t *testing.T) {
	keys := []any{"b", 2.5, nil, true, 1, "a", false, int64(-3), uint8(2)}
	slices.SortFunc(keys, compareKeys)
	want := []any{nil, false, true, int64(-3), 1, uint8(2), 2.5, "a", "b"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("sorted keys = %#v, want %#v", keys, want)
	}
}

// TestHostIndependence evaluates time expressions with the host's zone set
// to something unusual: nothing may depend on it.
func TestHostIndependence(t *testing.T) {
	saved := time.Local
	time.Local = time.FixedZone("HOST", 5*3600+1800)
	t.Cleanup(func() { time.Local = saved })
	t.Setenv("ZONEINFO", "/nonexistent")
	t.Setenv("TZ", "Asia/Kolkata")

	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	vars := map[string]any{"workflow": map[string]any{"now": now}}
	tests := []struct {
		src  string
		want any
	}{
		{`date("2024-01-02")`, "2024-01-02T00:00:00Z"},
		{`date("2024-01-02 03:04:05")`, "2024-01-02T03:04:05Z"},
		{`date("02 Jan 24 15:04 MST")`, "2024-01-02T15:04:00Z"},
		{`date("2024-01-02 03:04", "2006-01-02 15:04")`, "2024-01-02T03:04:00Z"},
		{`date("2024-07-02 03:04", "2006-01-02 15:04", "Europe/Paris")`, "2024-07-02T03:04:00+02:00"},
		{`date(timezone("America/New_York"), "2024-01-02")`, "2024-01-02T00:00:00-05:00"},
		{`workflow.now.In(timezone("Asia/Tokyo")).Hour()`, 21},
		{`workflow.now.UTC().Format("15:04 MST")`, "12:00 UTC"},
		{`timezone("UTC").String()`, "UTC"},
		{`workflow.now + duration("90m")`, "2026-07-01T13:30:00Z"},
		{`string(workflow.now)`, "2026-07-01T12:00:00Z"},
		{`date("2024-01-02").Unix()`, 1704153600},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p, err := Compile(tt.src, []string{"workflow"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Eval(vars)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("= %#v, want %#v", got, tt.want)
			}
		})
	}
	for _, src := range []string{`timezone("Local")`, `date("2024-01-02", "2006-01-02", "Local")`, `timezone("")`} {
		p, err := Compile(src, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Eval(nil); err == nil {
			t.Errorf("%s: no error", src)
		}
	}
}

func TestEmbeddedZones(t *testing.T) {
	for _, name := range []string{"Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC"} {
		loc, err := loadLocation(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if loc.String() != name {
			t.Errorf("loadLocation(%q) = %s", name, loc)
		}
	}
	if _, err := loadLocation("../../etc/passwd"); err == nil || err.Error() != `unknown time zone "../../etc/passwd"` {
		t.Errorf("path as zone: %v", err)
	}
}
