package dsl

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/dslrun/dslrun/internal/jsonschema"
	"github.com/robfig/cron/v3"
)

func regexpMust(s string) *regexp.Regexp { return regexp.MustCompile(s) }

// checkJSONSchema compiles m as a draft-07 JSON schema, offline: remote
// references are refused.
func checkJSONSchema(m map[string]any) error {
	_, err := jsonschema.Compile(m)
	return err
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// checkCron parses a cron string as Temporal reads it: five fields, or a
// descriptor such as @daily or @every 1h, optionally after CRON_TZ=zone.
func checkCron(s string) error {
	expr := s
	if strings.HasPrefix(expr, "CRON_TZ=") || strings.HasPrefix(expr, "TZ=") {
		_, rest, ok := strings.Cut(expr, " ")
		if !ok {
			return fmt.Errorf("invalid cron %q: nothing after the time zone", s)
		}
		expr = rest
	}
	if _, err := cronParser.Parse(expr); err != nil {
		return fmt.Errorf("invalid cron %q: %v", s, err)
	}
	return nil
}

// parseTimestamp reads an RFC 3339 timestamp and returns it in canonical
// form (UTC, RFC 3339 with nanoseconds).
func parseTimestamp(s string) (string, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", fmt.Errorf("invalid timestamp %q: want RFC 3339, e.g. 2026-01-02T15:04:05Z", s)
	}
	return t.UTC().Format(time.RFC3339Nano), nil
}
