package builtin

import (
	"context"
	"slices"

	"go.temporal.io/sdk/activity"

	"github.com/dslrun/dslrun/activities"
)

// LogInput is the input of the log activity.
type LogInput struct {
	// Message is the message to log.
	Message string `json:"message"`
	// Level is debug, info (the default), warn or error.
	Level string `json:"level,omitempty"`
	// Fields are logged with the message as key-value pairs, sorted by key.
	Fields map[string]any `json:"fields,omitempty"`
}

func logSpec() activities.Spec {
	return activities.Spec{
		Name:        Log,
		Summary:     "Write a message to the worker's log",
		Description: "Logs through the activity logger of the worker that runs the step, with the activity's own tags (workflow id, run id, attempt). Returns nothing.",
		Input: schema(`{
  "type": "object",
  "required": ["message"],
  "additionalProperties": false,
  "properties": {
    "message": {"type": "string", "description": "the message to log"},
    "level": {"type": "string", "enum": ["debug", "info", "warn", "error"], "default": "info"},
    "fields": {"type": "object", "description": "key-value pairs logged with the message, sorted by key"}
  }
}`),
		Output: schema(`{"type": "null"}`),
		Examples: []activities.Example{{
			Summary: "Log a warning with fields",
			YAML: `- activity: log
  with:
    message: stock is low
    level: warn
    fields: {sku: A-42, left: 3}
`,
		}},
	}
}

// logMessage logs in.Message at in.Level through activity.GetLogger.
func logMessage(ctx context.Context, in LogInput) error {
	logger := activity.GetLogger(ctx)
	keys := make([]string, 0, len(in.Fields))
	for k := range in.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	keyvals := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		keyvals = append(keyvals, k, in.Fields[k])
	}
	switch in.Level {
	case "debug":
		logger.Debug(in.Message, keyvals...)
	case "", "info":
		logger.Info(in.Message, keyvals...)
	case "warn":
		logger.Warn(in.Message, keyvals...)
	case "error":
		logger.Error(in.Message, keyvals...)
	default:
		return invalidInput("level %q: must be one of debug, info, warn, error", in.Level)
	}
	return nil
}
