// Package acme is a bundle of dslrun activities: it registers them in
// dslrun's default registry when a binary imports it, as the built-in
// bundle (github.com/dslrun/dslrun/activities/builtin) does.
//
// A bundle is ordinary Go: each activity is a Temporal activity function
// plus an activities.Spec whose input schema `dslrun validate` checks every
// step's with: against, and which `dslrun activities` lists.
package acme

import (
	"encoding/json"

	"github.com/dslrun/dslrun/activities"
)

// Activity type names: the wire contract used in definitions
// (`activity: acme.wordcount`).
const (
	WordCount = "acme.wordcount"
	Slug      = "acme.slug"
)

func init() {
	activities.MustRegister(wordCountSpec(), wordCount)
	activities.MustRegister(slugSpec(), slug)
}

func wordCountSpec() activities.Spec {
	return activities.Spec{
		Name:    WordCount,
		Summary: "Count the words of a list of lines, resuming from the last heartbeat on retry",
		Description: "Counts line by line and heartbeats its progress after each line; a retried attempt " +
			"reads the last heartbeat with activity.GetHeartbeatDetails and goes on from there. " +
			"crashAfter makes the first attempt fail after that many lines, to show the resume.",
		Input: json.RawMessage(`{
  "type": "object",
  "required": ["lines"],
  "additionalProperties": false,
  "properties": {
    "lines": {"type": "array", "items": {"type": "string"}, "description": "the text, one line per item"},
    "crashAfter": {"type": "integer", "minimum": 0, "description": "fail the first attempt after this many lines (0: never)"}
  }
}`),
		Output: json.RawMessage(`{
  "type": "object",
  "properties": {
    "words": {"type": "integer"},
    "lines": {"type": "integer"},
    "attempt": {"type": "integer"},
    "resumedAt": {"type": "integer", "description": "the line this attempt started at (0 on a fresh start)"}
  }
}`),
		Examples: []activities.Example{{
			Summary: "Count words with a heartbeat timeout, so a stuck attempt is retried promptly",
			YAML: `- id: count
  activity: acme.wordcount
  heartbeatTimeout: 10s
  with: {lines: ["to be or not to be", "that is the question"]}
`,
		}},
	}
}

func slugSpec() activities.Spec {
	return activities.Spec{
		Name:    Slug,
		Summary: "Turn a title into a lowercase, dash-separated slug",
		Description: "Pure and fast, so a definition may run it as a local activity (local: true), " +
			"on the workflow's own worker, without a task queue round trip.",
		Input: json.RawMessage(`{
  "type": "object",
  "required": ["text"],
  "additionalProperties": false,
  "properties": {
    "text": {"type": "string", "minLength": 1}
  }
}`),
		Output: json.RawMessage(`{"type": "object", "properties": {"slug": {"type": "string"}}}`),
		Examples: []activities.Example{{
			Summary: "A slug for a report's file name",
			YAML: `- id: slug
  activity: acme.slug
  local: true
  with: {text: "Quarterly Report"}
`,
		}},
	}
}
