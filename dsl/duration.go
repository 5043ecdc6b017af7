package dsl

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written in YAML as a Go duration ("1h30m",
// "500ms") with an optional leading number of days ("2d", "1d12h").
// Negative durations and bare numbers are refused.
type Duration time.Duration

// ParseDuration parses the DSL's duration syntax.
func ParseDuration(s string) (Duration, error) {
	orig := s
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("duration %q must not be negative", orig)
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseUint(s[:i], 10, 32)
		if err != nil || i == 0 {
			return 0, fmt.Errorf("invalid duration %q (want e.g. 30s, 5m, 1h30m, 2d)", orig)
		}
		if n > 100_000 {
			return 0, fmt.Errorf("duration %q is too long", orig)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return Duration(days), nil
		}
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("duration %q has no unit (want e.g. 30s, 5m, 1h30m, 2d)", orig)
	}
	d, err := time.ParseDuration(s)
	if err != nil || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("invalid duration %q (want e.g. 30s, 5m, 1h30m, 2d)", orig)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q must not be negative", orig)
	}
	return Duration(days + d), nil
}

// String returns the canonical form, Go's time.Duration String.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON encodes d as its canonical string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON decodes a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
