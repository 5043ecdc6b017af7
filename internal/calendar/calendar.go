// Package calendar reads the fields of a Temporal schedule's calendar spec
// in Temporal's range syntax ("5", "1-5", "MON,WED", "*/15", "3/5"), as the
// Temporal server reads the fields of a cron string or calendar spec
// (service/worker/scheduler/calendar.go of the server, whose rules and
// bounds this copies), so that validate refuses what the server would and
// a skip calendar, which the SDK takes only as ranges, can be sent.
package calendar

import (
	"fmt"
	"strconv"
	"strings"
)

// Range is a range of values: Start to End (End 0: Start alone), every
// Step (0: every value), as the SDK's ScheduleRange.
type Range struct{ Start, End, Step int }

// Field is a field of a calendar spec.
type Field struct {
	Name     string // as the DSL spells it
	Default  string // what an omitted field means in a calendar
	Min, Max int
	names    []string // month or day names, matched by prefix
	dow      bool
}

var (
	months = []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
	days   = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}
)

// Fields are the fields of a calendar spec.
var (
	Second     = Field{Name: "second", Default: "0", Min: 0, Max: 59}
	Minute     = Field{Name: "minute", Default: "0", Min: 0, Max: 59}
	Hour       = Field{Name: "hour", Default: "0", Min: 0, Max: 23}
	DayOfMonth = Field{Name: "dayOfMonth", Default: "*", Min: 1, Max: 31}
	Month      = Field{Name: "month", Default: "*", Min: 1, Max: 12, names: months}
	Year       = Field{Name: "year", Default: "*", Min: 2000, Max: 2100}
	DayOfWeek  = Field{Name: "dayOfWeek", Default: "*", Min: 0, Max: 7, names: days, dow: true}
)

// Parse reads s, a value of field f ("" is "*"). A year of "*" is no
// ranges (every year), as the server holds it. Sunday may be 0 or 7.
func (f Field) Parse(s string) ([]Range, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "*"
	}
	if s == "*" && f.Name == "year" {
		return nil, nil
	}
	var out []Range
	for part := range strings.SplitSeq(s, ",") {
		step, hasStep := 1, false
		if base, st, ok := strings.Cut(part, "/"); ok {
			n, err := strconv.Atoi(st)
			if err != nil || n < 1 || strings.Contains(st, "/") {
				return nil, fmt.Errorf("%q: the step after / must be a whole number of at least 1", part)
			}
			part, step, hasStep = base, n, true
		}
		start, end := f.Min, f.Max
		if part != "*" {
			lo, hi, isRange := strings.Cut(part, "-")
			var err error
			if start, err = f.value(lo); err != nil {
				return nil, err
			}
			switch {
			case isRange:
				if end, err = f.value(hi); err != nil {
					return nil, err
				}
				if end < start {
					return nil, fmt.Errorf("%q: the range ends before it starts", part)
				}
			case !hasStep: // "3/5" runs from 3 to the end; "3" is 3 alone
				end = start
			}
		}
		if f.dow && end == 7 { // Sunday as 7 is 0
			if (7-start)%step == 0 && (step > 1 || start > 1) {
				out = append(out, Range{})
				if start == 7 {
					continue
				}
			}
			end = 6
		}
		r := Range{Start: start, End: end, Step: step}
		if r.End == r.Start {
			r.End = 0
		}
		if r.Step == 1 {
			r.Step = 0
		}
		out = append(out, r)
	}
	return out, nil
}

// value reads one value of f: a number, or a month or day name (at least
// three letters of a month, two of a day).
func (f Field) value(s string) (int, error) {
	if min := 3 - boolInt(f.dow); f.names != nil && len(s) >= min {
		for i, n := range f.names {
			if strings.HasPrefix(n, strings.ToLower(s)) {
				return i + 1 - boolInt(f.dow), nil
			}
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < f.Min || v > f.Max {
		what := "a number"
		if f.names != nil {
			what += " or a name"
		}
		return 0, fmt.Errorf("%q is not %s in %d-%d", s, what, f.Min, f.Max)
	}
	return v, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
