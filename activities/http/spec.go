package http

import (
	"encoding/json"

	"github.com/dslrun/dslrun/activities"
)

// Name is the activity type name of the http activity: the wire contract
// used in definitions (`activity: http`).
const Name = "http"

// Application error types of the http activity's failures, matched by a
// step's catch and retry.nonRetryableErrorTypes.
const (
	// StatusErrorType: the response's status is not an expected one. Its
	// details are {status, headers, body}. Non-retryable for 4xx (except
	// 408 and 429), 1xx and 3xx; retryable for 408, 429, 5xx and an
	// unexpected 2xx, after the response's Retry-After when it has one.
	StatusErrorType = "HTTPStatus"
	// ConnectionErrorType: no response (refused, reset, DNS, TLS). Retryable.
	ConnectionErrorType = "HTTPConnection"
	// TimeoutErrorType: the request's own timeout expired. Retryable.
	TimeoutErrorType = "HTTPTimeout"
	// TooLargeErrorType: the response body is larger than
	// maxResponseBytes. Non-retryable; the response is never truncated.
	TooLargeErrorType = "HTTPResponseTooLarge"
	// PollTimeoutErrorType: the poll's timeout expired before its until
	// condition held. Non-retryable; its details are the last response.
	PollTimeoutErrorType = "HTTPPollTimeout"
	// SecretNotFoundErrorType: a {secret: NAME} reference that the worker
	// cannot resolve. Non-retryable.
	SecretNotFoundErrorType = "SecretNotFound"
	// InvalidInputType: an input the activity cannot use (a bad URL,
	// duration, CA file or poll condition). Non-retryable.
	InvalidInputType = "InvalidInput"
)

// Defaults and limits of the input.
const (
	// DefaultTimeout bounds one request when the input sets no timeout.
	DefaultTimeout = "30s"
	// DefaultMaxResponseBytes is the largest response body read when the
	// input sets no maxResponseBytes: 1 MiB.
	DefaultMaxResponseBytes = 1 << 20
	// MaxResponseBytes is the largest maxResponseBytes allowed, 2 MiB:
	// Temporal refuses larger activity results anyway.
	MaxResponseBytes = 2 << 20
)

// Environment of the worker that secrets are read from.
const (
	// SecretEnvPrefix prefixes the environment variable of a secret:
	// {secret: API_TOKEN} is DSLRUN_SECRET_API_TOKEN.
	SecretEnvPrefix = "DSLRUN_SECRET_"
	// SecretsDirEnv names the folder whose file NAME holds the secret NAME
	// when no environment variable has it.
	SecretsDirEnv = "DSLRUN_SECRETS_DIR"
)

// goDuration is the JSON schema of a positive Go duration string.
const goDuration = `"type": "string", "pattern": "^(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|ms|s|m|h))+$"`

// inputSchema is the JSON schema of the activity's with: value.
const inputSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["url"],
  "additionalProperties": false,
  "definitions": {
    "secret": {
      "type": "object",
      "required": ["secret"],
      "additionalProperties": false,
      "properties": {"secret": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "description": "name of a secret the worker resolves: env DSLRUN_SECRET_<NAME>, else file $DSLRUN_SECRETS_DIR/<NAME>"}}
    },
    "stringOrSecret": {"anyOf": [{"type": "string"}, {"$ref": "#/definitions/secret"}]},
    "scalar": {"type": ["string", "number", "boolean"]},
    "duration": {` + goDuration + `}
  },
  "properties": {
    "method": {"type": "string", "enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], "default": "GET", "description": "the request method"},
    "url": {"type": "string", "pattern": "^[hH][tT][tT][pP][sS]?://", "description": "absolute http or https URL"},
    "query": {
      "type": "object",
      "description": "query parameters added to the URL's own; a list repeats the parameter",
      "additionalProperties": {"anyOf": [{"$ref": "#/definitions/scalar"}, {"type": "array", "items": {"$ref": "#/definitions/scalar"}}]}
    },
    "headers": {
      "type": "object",
      "description": "request headers; a value may be {secret: NAME}",
      "additionalProperties": {"$ref": "#/definitions/stringOrSecret"}
    },
    "body": {
      "type": "object",
      "description": "the request body: exactly one of json, text or form",
      "minProperties": 1,
      "maxProperties": 1,
      "additionalProperties": false,
      "properties": {
        "json": {"description": "any JSON value, sent as application/json; any {secret: NAME} inside is resolved"},
        "text": {"$ref": "#/definitions/stringOrSecret", "description": "text, sent as text/plain"},
        "form": {
          "type": "object",
          "description": "fields sent as application/x-www-form-urlencoded",
          "additionalProperties": {"anyOf": [{"$ref": "#/definitions/scalar"}, {"$ref": "#/definitions/secret"}, {"type": "array", "items": {"$ref": "#/definitions/scalar"}}]}
        }
      }
    },
    "timeout": {"$ref": "#/definitions/duration", "description": "bound of one request, as a Go duration (default 30s)"},
    "expectedStatus": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 100, "maximum": 599}, "description": "statuses that succeed (default any 2xx)"},
    "followRedirects": {"type": "boolean", "default": true, "description": "follow up to 10 redirects; false returns the 3xx response"},
    "maxResponseBytes": {"type": "integer", "minimum": 1, "maximum": 2097152, "default": 1048576, "description": "largest response body accepted; a larger one fails with HTTPResponseTooLarge"},
    "tls": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "caFile": {"type": "string", "minLength": 1, "description": "PEM file of CA certificates to trust instead of the system's, read by the worker"},
        "insecureSkipVerify": {"type": "boolean", "default": false, "description": "do not verify the server's certificate (tests only)"}
      }
    },
    "poll": {
      "type": "object",
      "required": ["until"],
      "additionalProperties": false,
      "description": "repeat the request until a condition holds",
      "properties": {
        "interval": {"$ref": "#/definitions/duration", "description": "pause between two requests (default 1s)"},
        "until": {"type": "string", "minLength": 1, "description": "expr-lang condition over response ({status, headers, body}), written without ${ }"},
        "timeout": {"$ref": "#/definitions/duration", "description": "give up after this long with HTTPPollTimeout (default: the step's own timeouts)"}
      }
    }
  }
}`

// outputSchema is the JSON schema of the result, for the docs.
const outputSchema = `{
  "type": "object",
  "properties": {
    "status": {"type": "integer"},
    "headers": {"type": "object", "additionalProperties": {"type": "string"}, "description": "lowercase names; repeated headers joined with \", \""},
    "body": {"description": "the parsed JSON value when the response's Content-Type is JSON, else the text"},
    "polls": {"type": "integer", "description": "with poll: the number of requests made"}
  }
}`

// Spec returns the spec of the http activity.
func Spec() activities.Spec {
	return activities.Spec{
		Name:    Name,
		Summary: "Send an HTTP request, optionally polling until a condition holds",
		Description: "Sends one HTTP request and returns `{status, headers, body}` (body parsed when the response is JSON). " +
			"A status outside `expectedStatus` (default 2xx) fails with type `HTTPStatus` and the status in the details: " +
			"4xx (except 408 and 429), 1xx and 3xx are non-retryable; 408, 429, 5xx, an unexpected 2xx (such as 202 while a job runs), " +
			"connection errors (`HTTPConnection`) and timeouts (`HTTPTimeout`) " +
			"are retried under the step's retry policy, after the response's `Retry-After` when present. " +
			"A response larger than `maxResponseBytes` fails with `HTTPResponseTooLarge`. " +
			"Header, form, text and JSON body values may be `{secret: NAME}`, resolved by the worker from " +
			"`DSLRUN_SECRET_<NAME>` or `$DSLRUN_SECRETS_DIR/<NAME>` and never recorded. " +
			"With `poll`, the request repeats every `interval`, heartbeating, until `until` holds over `response`.",
		Input:  json.RawMessage(inputSchema),
		Output: json.RawMessage(outputSchema),
		Examples: []activities.Example{
			{
				Summary: "GET a JSON document",
				YAML: `- id: user
  activity: http
  with: {url: "${ input.baseUrl + '/users/42' }", headers: {Authorization: {secret: API_TOKEN}}}
`,
			},
			{
				Summary: "Poll a job every 2 seconds until it is done, for at most 10 minutes",
				YAML: `- id: job
  activity: http
  heartbeatTimeout: 10s
  startToCloseTimeout: 15m
  with:
    url: ${ input.jobUrl }
    poll: {interval: 2s, until: 'response.body.state == "done"', timeout: 10m}
`,
			},
		},
	}
}
