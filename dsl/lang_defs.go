package dsl

import "math"

// The description of the DSL: see Language.

const (
	langTitle   = "dslrun workflow (DSL v1)"
	langDoc     = "A dslrun workflow definition: YAML that `dslrun apply` runs on Temporal. Check it with `dslrun validate FILE`."
	langComment = "schema.Validate (Go) rewrites some errors by the keyword that produced them: an `anyOf` whose branches each require one key means 'needs at least one of these keys' (on a step: 'step has no kind'), and its first key names the group; `false` is used only for keys ruled out by another key (startDelay with cron, taskQueue with local). Every `pattern` has a `patternErrorMessage`, which schema.Validate words its errors with. Keep these conventions when editing."
	stepDoc     = "A step: exactly one kind key (%s), an optional id, and the keys of its kind."
)

// durationPattern matches what ParseDuration accepts (a schema test checks
// it); noExprPattern matches text without a "${" that starts an expression.
const (
	durationPattern = `^(?:0*(?:100000|[0-9]{1,5})d(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))*|(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+)$`
	noExprPattern   = `^(?:[^$]|\$+[^${])*\$*$`
)

var stepIDKey = Key{Name: "id", Doc: "Id of the step, unique in the definition; later steps read its result as `steps.ID.result`.", Example: "`id: charge`"}

var defs = []*Def{
	{
		Name:  "value",
		Label: "any value",
		Doc:   "Any value. Strings may hold `${ ... }` expressions: a whole-value expression (`${ input.items }`) keeps its type, one inside text is interpolated (`order ${ input.id }`).",
	},
	{
		Name:  "literal",
		Label: "any value without expressions",
		Doc:   "Any value without `${ ... }` expressions.",
		Schema: map[string]any{
			"pattern":              noExprPattern,
			"patternErrorMessage":  "expressions (${ ... }) are not allowed here",
			"items":                ref("literal"),
			"additionalProperties": ref("literal"),
		},
	},
	{
		Name:  "plainString",
		Label: "string",
		Doc:   "A string without `${ ... }` expressions.",
		Schema: map[string]any{
			"type":                "string",
			"pattern":             noExprPattern,
			"patternErrorMessage": "expressions (${ ... }) are not allowed here",
		},
	},
	{
		Name:  "nonEmptyString",
		Label: "non-empty string",
		Doc:   "A non-blank string without `${ ... }` expressions.",
		Schema: map[string]any{
			"type":                "string",
			"pattern":             `^\s*(?:[^\s$](?:[^$]|\$+[^${])*\$*|\$+(?:[^${](?:[^$]|\$+[^${])*\$*)?)$`,
			"patternErrorMessage": "want a non-empty string without expressions (${ ... })",
		},
	},
	{
		Name:   "template",
		Label:  "string, may be an expression",
		Doc:    "A string that may hold `${ ... }` expressions.",
		Schema: typ("string"),
	},
	{
		Name:  "duration",
		Label: "duration",
		Doc:   "A duration: Go syntax with an optional leading number of days, e.g. `500ms`, `30s`, `5m`, `1h30m`, `2d`, `1d12h`. No negative durations, no bare numbers, no expressions.",
		Schema: map[string]any{
			"type":                "string",
			"pattern":             durationPattern,
			"patternErrorMessage": "want a duration such as 500ms, 30s, 5m, 1h30m, 2d or 1d12h (no negative durations, no bare numbers, no expressions)",
		},
	},
	{
		Name:  "positiveDuration",
		Label: "duration > 0",
		Doc:   "A duration greater than zero, e.g. `30s`, `5m`, `1h30m`, `2d`.",
		Schema: map[string]any{
			"type": "string",
			"allOf": []any{
				map[string]any{
					"pattern":             durationPattern,
					"patternErrorMessage": "want a duration such as 500ms, 30s, 5m, 1h30m, 2d or 1d12h (no negative durations, no bare numbers, no expressions)",
				},
			},
			"pattern":             "[1-9]",
			"patternErrorMessage": "want a duration greater than zero",
		},
	},
	{
		Name:  "condition",
		Label: "condition (boolean or `${ ... }`)",
		Doc:   "A condition: `true`, `false` or a single `${ ... }` expression, e.g. `${ state.approved }`.",
		Schema: map[string]any{
			"type":                list("boolean", "string"),
			"pattern":             `^\s*\$\{[\s\S]*\}\s*$`,
			"patternErrorMessage": "want a boolean or a single ${ ... } expression",
		},
	},
	{
		Name:  "identifier",
		Label: "identifier",
		Doc:   "Letters, digits and underscores, not starting with a digit.",
		Schema: map[string]any{
			"type":                "string",
			"pattern":             "^[A-Za-z_][A-Za-z0-9_]*$",
			"patternErrorMessage": "want letters, digits and underscores, not starting with a digit",
		},
	},
	{
		Name:  "stateVariableName",
		Label: "identifier",
		Doc:   "A state variable name: letters, digits and underscores, not starting with a digit.",
		Schema: map[string]any{
			"pattern":             "^[A-Za-z_][A-Za-z0-9_]*$",
			"patternErrorMessage": "want letters, digits and underscores, not starting with a digit",
		},
	},
	{
		Name:  "namedHandler",
		Label: "handler name",
		Doc:   "A query or update name: letters, digits, '-', '_' or '.', not starting with a digit, '-' or '.'. (Only signals have a catch-all `*` handler.)",
		Schema: map[string]any{
			"pattern":             "^[A-Za-z_][A-Za-z0-9._-]*$",
			"patternErrorMessage": "want letters, digits, '-', '_' or '.', not starting with a digit, '-' or '.' (only signals have a catch-all * handler)",
		},
	},
	{
		Name:  "handlerName",
		Label: "handler name or `*`",
		Doc:   "A handler name: letters, digits, '-', '_' or '.', not starting with a digit, '-' or '.'; or `*` for the catch-all handler.",
		Schema: map[string]any{
			"pattern":             `^(?:\*|[A-Za-z_][A-Za-z0-9._-]*)$`,
			"patternErrorMessage": "want letters, digits, '-', '_' or '.', not starting with a digit, '-' or '.'; or * for the catch-all handler",
		},
	},
	{
		Name:  "stringList",
		Label: "list of non-empty strings",
		Schema: map[string]any{
			"type":  "array",
			"items": ref("nonEmptyString"),
		},
	},
	{
		Name:    "assignments",
		Label:   "mapping identifier → value, at least one",
		Doc:     "State variables to assign: name to value; values may be `${ ... }` templates.",
		Example: "`{approved: true, total: \"${ state.total + args.amount }\"}`",
		Schema: map[string]any{
			"type":                 "object",
			"minProperties":        1,
			"propertyNames":        ref("stateVariableName"),
			"additionalProperties": ref("value"),
		},
	},
	{
		Name:    "jsonSchema",
		Label:   "JSON schema (draft-07)",
		Doc:     "A JSON schema (draft-07), written in YAML. Expressions are not allowed inside it.",
		Example: "`{type: object, required: [points], properties: {points: {type: integer}}}`",
		Schema: map[string]any{
			"type": "object",
			"allOf": []any{
				ref("jsonSubschema"),
			},
		},
	},
	{
		Name: "jsonSubschema",
		Schema: map[string]any{
			"$comment": "A JSON schema (draft-07): a mapping, or true/false. No description, so that editors show the description of the property that holds it.",
			"type":     list("object", "boolean"),
			"properties": map[string]any{
				"type": map[string]any{
					"description":         "The JSON type(s) the value must have: array, boolean, integer, null, number, object or string, or a list of them.",
					"type":                list("string", "array"),
					"pattern":             "^(?:array|boolean|integer|null|number|object|string)$",
					"patternErrorMessage": "want array, boolean, integer, null, number, object or string",
					"items": map[string]any{
						"type":                "string",
						"pattern":             "^(?:array|boolean|integer|null|number|object|string)$",
						"patternErrorMessage": "want array, boolean, integer, null, number, object or string",
					},
				},
				"properties": map[string]any{
					"description":          "Schemas of the object's properties, by name.",
					"type":                 "object",
					"additionalProperties": ref("jsonSubschema"),
				},
				"required": map[string]any{
					"description": "Names of the properties the object must have.",
					"type":        "array",
					"items":       typ("string"),
				},
				"title": map[string]any{
					"description": "A short title.",
					"type":        "string",
				},
				"description": map[string]any{
					"description": "What the value means.",
					"type":        "string",
				},
			},
			"additionalProperties": ref("literal"),
		},
	},
	{
		Name:    "retryPolicy",
		Label:   "[retry policy](#activity-defaults)",
		Doc:     "A Temporal retry policy. Omitted fields take Temporal's defaults: initial interval 1s, backoff coefficient 2, maximum interval 100 × the initial interval, unlimited attempts.",
		Example: "`{initialInterval: 1s, backoffCoefficient: 2, maximumAttempts: 5, nonRetryableErrorTypes: [InvalidCard]}`",
		Keys: []Key{
			{Name: "initialInterval", Doc: "Delay before the first retry.", Default: "1s", Example: "`initialInterval: 1s`", Ref: "positiveDuration"},
			{Name: "backoffCoefficient", Doc: "Factor by which the delay grows after each retry; at least 1 (0 means the default).", Default: "2", Example: "`backoffCoefficient: 1.5`", Schema: map[string]any{
				"type": "number",
				"anyOf": []any{
					map[string]any{
						"minimum": 1,
					},
					map[string]any{
						"const": 0,
					},
				},
			}},
			{Name: "maximumInterval", Doc: "Longest delay between retries; not shorter than initialInterval.", Default: "100 × initialInterval", Example: "`maximumInterval: 1m`", Ref: "positiveDuration"},
			{Name: "maximumAttempts", Doc: "Most attempts, the first included; 0 means unlimited.", Default: "unlimited", Example: "`maximumAttempts: 5`", Schema: map[string]any{
				"type":    "integer",
				"minimum": 0,
				"maximum": 1000000,
			}},
			{Name: "nonRetryableErrorTypes", Doc: "Error types that are never retried.", Example: "`nonRetryableErrorTypes: [InvalidCard, FraudSuspected]`", Ref: "stringList"},
		},
	},
	{
		Name:    "activityOptions",
		Label:   "[activity options](#activity-defaults)",
		Doc:     "Temporal options of an activity: task queue, timeouts and retry policy.",
		Example: "`{startToCloseTimeout: 30s, retry: {maximumAttempts: 3}}`",
		Keys: []Key{
			{Name: "taskQueue", Ref: "activityTaskQueue"},
			{Name: "startToCloseTimeout", Ref: "startToCloseTimeout"},
			{Name: "scheduleToCloseTimeout", Ref: "scheduleToCloseTimeout"},
			{Name: "scheduleToStartTimeout", Ref: "scheduleToStartTimeout"},
			{Name: "heartbeatTimeout", Ref: "heartbeatTimeout"},
			{Name: "retry", Ref: "activityRetry"},
		},
	},
	{
		Name:    "activityTaskQueue",
		Doc:     "Task queue the activity is dispatched on: whichever worker polls it runs the activity. Not allowed on a local activity.",
		Default: "the workflow's task queue",
		Example: "`taskQueue: payments`",
		Schema:  ref("nonEmptyString"),
	},
	{
		Name:    "startToCloseTimeout",
		Doc:     "Longest time one attempt of the activity may run.",
		Example: "`startToCloseTimeout: 30s`",
		Schema:  ref("positiveDuration"),
	},
	{
		Name:    "scheduleToCloseTimeout",
		Doc:     "Longest time the activity may take overall, all retries included.",
		Example: "`scheduleToCloseTimeout: 10m`",
		Schema:  ref("positiveDuration"),
	},
	{
		Name:    "scheduleToStartTimeout",
		Doc:     "Longest time an attempt may wait in the task queue before a worker picks it up.",
		Default: "no limit",
		Example: "`scheduleToStartTimeout: 1m`",
		Schema:  ref("positiveDuration"),
	},
	{
		Name:    "heartbeatTimeout",
		Doc:     "Longest time between two heartbeats of a running attempt before it is considered failed.",
		Default: "no heartbeat required",
		Example: "`heartbeatTimeout: 5s`",
		Schema:  ref("positiveDuration"),
	},
	{
		Name:    "activityRetry",
		Doc:     "Retry policy of the activity.",
		Default: "Temporal's (retry forever, from 1s doubling up to 100s)",
		Example: "`retry: {maximumAttempts: 5}`",
		Schema:  ref("retryPolicy"),
	},
	{
		Name:    "stepId",
		Doc:     "Id of the step, unique in the definition; later steps read its result as `steps.ID.result`. Letters, digits and underscores, not starting with a digit.",
		Example: "`id: charge`",
		Schema:  ref("identifier"),
	},
	{
		Name:    "withValue",
		Doc:     "The argument passed on: any value, with `${ ... }` templates.",
		Example: "`with: {orderId: \"${ input.orderId }\"}`",
		Schema:  ref("value"),
	},
	{
		Name:  "workflowOptions",
		Label: "[options](#options)",
		Doc:   "Start options of a workflow run.",
		Keys: []Key{
			{Name: "id", Doc: "Workflow id of a run that `apply` starts; a template over `input`.", Default: "generated", Example: "`id: order-${ input.orderId }`", Ref: "template"},
			{Name: "taskQueue", Doc: "Task queue of the workflow: the dslrun workers polling it run it.", Default: "dslrun's task queue", Example: "`taskQueue: orders`", Ref: "nonEmptyString"},
			{Name: "executionTimeout", Doc: "Longest time the workflow may take, retries, cron runs and continue-as-new included.", Default: "unlimited", Example: "`executionTimeout: 7d`", Ref: "positiveDuration"},
			{Name: "runTimeout", Doc: "Longest time a single run may take.", Default: "unlimited", Example: "`runTimeout: 1d`", Ref: "positiveDuration"},
			{Name: "taskTimeout", Doc: "Longest time a worker may take to process one workflow task.", Default: "10s", Example: "`taskTimeout: 10s`", Ref: "positiveDuration"},
			{Name: "retry", Doc: "Retry policy of the whole workflow.", Default: "no retries", Example: "`retry: {maximumAttempts: 3}`", Ref: "retryPolicy"},
			{Name: "cron", Doc: "Cron schedule on which Temporal starts the workflow again: five fields (minute hour day-of-month month day-of-week) or a descriptor such as `@daily` or `@every 1h`, optionally after `CRON_TZ=zone`. Cannot be combined with startDelay, nor with `schedule`. For anything richer use `schedule`.", Example: "`cron: \"0 12 * * MON-FRI\"`", Schema: map[string]any{
				"type": "string",
				"allOf": []any{
					map[string]any{
						"pattern":             `^\s*(?:[^\s$](?:[^$]|\$+[^${])*\$*|\$+(?:[^${](?:[^$]|\$+[^${])*\$*)?)$`,
						"patternErrorMessage": "want a non-empty string without expressions (${ ... })",
					},
				},
				"pattern":             `^\s*(?:(?:CRON_)?TZ=\S+\s+)?(?:@\S+(?:\s+\S+)?|\S+(?:\s+\S+){4})\s*$`,
				"patternErrorMessage": "want five fields (minute hour day-of-month month day-of-week) or a descriptor such as @daily, optionally after CRON_TZ=zone",
			}},
			{Name: "startDelay", Doc: "Delay before the first workflow task of the run is dispatched. Cannot be combined with cron, nor with `schedule`.", Example: "`startDelay: 10m`", Ref: "positiveDuration"},
			{Name: "memo", Doc: "Non-indexed data attached to the run and shown in the Temporal UI; values may be templates over `input`, evaluated when `apply` starts the run (for a schedule: when `apply` creates or updates it, over `schedule.input`). A run that another client starts by name gets the memo that client sends.", Example: "`memo: {customer: \"${ input.customer }\"}`", Schema: map[string]any{
				"type":                 "object",
				"additionalProperties": ref("value"),
			}},
			{Name: "searchAttributes", Doc: "Indexed search attributes of the run (they must exist in the namespace: `dslrun dev --search-attribute NAME=TYPE` registers them on a dev server); values may be templates over `input`, evaluated as memo's are, and typed by their value (string: Keyword, integer: Int, number: Double, boolean: Bool, list of strings: KeywordList). Search attributes are never encrypted.", Example: "`searchAttributes: {CustomerId: \"${ input.customerId }\"}`", Schema: map[string]any{
				"type":                 "object",
				"additionalProperties": ref("value"),
			}},
			{Name: "idReusePolicy", Doc: "Whether a new run may reuse the id of a closed run.", Default: "allowDuplicate", Example: "`idReusePolicy: rejectDuplicate`", Schema: map[string]any{
				"type": "string",
				"enum": list(IDReusePolicies...),
			}},
			{Name: "idConflictPolicy", Doc: "What happens when a run with the same id is already running: fail the start, use the existing run (as signal-with-start does), or terminate it.", Default: "fail", Example: "`idConflictPolicy: useExisting`", Schema: map[string]any{
				"type": "string",
				"enum": list(IDConflictPolicies...),
			}},
		},
		Schema: map[string]any{
			"dependencies": map[string]any{
				"cron": map[string]any{
					"properties": map[string]any{
						"startDelay": false,
					},
				},
			},
		},
	},
	{
		Name:  "schedule",
		Label: "[schedule](#schedule)",
		Doc:   "A Temporal schedule, reconciled by `dslrun apply`. Needs at least one of intervals, cron or calendars.",
		Keys: []Key{
			{Name: "id", Doc: "Id of the Temporal schedule that apply creates or updates.", Default: "the workflow's name", Example: "`id: nightly-report`", Ref: "nonEmptyString"},
			{Name: "intervals", Doc: "Fixed intervals: start a run every `every`, shifted by `offset`.", Example: "`intervals: [{every: 1h, offset: 5m}]`", Schema: map[string]any{
				"type":  "array",
				"items": ref("scheduleInterval"),
			}},
			{Name: "cron", Doc: "Cron strings: five fields (minute hour day-of-month month day-of-week) or a descriptor such as `@daily`, optionally after `CRON_TZ=zone`.", Example: "`cron: [\"0 12 * * MON-FRI\"]`", Schema: map[string]any{
				"type": "array",
				"items": map[string]any{
					"type": "string",
					"allOf": []any{
						map[string]any{
							"pattern":             `^\s*(?:[^\s$](?:[^$]|\$+[^${])*\$*|\$+(?:[^${](?:[^$]|\$+[^${])*\$*)?)$`,
							"patternErrorMessage": "want a non-empty string without expressions (${ ... })",
						},
					},
					"pattern":             `^\s*(?:(?:CRON_)?TZ=\S+\s+)?(?:@\S+(?:\s+\S+)?|\S+(?:\s+\S+){4})\s*$`,
					"patternErrorMessage": "want five fields (minute hour day-of-month month day-of-week) or a descriptor such as @daily, optionally after CRON_TZ=zone",
				},
			}},
			{Name: "calendars", Doc: "Calendar specs; each field takes Temporal's range syntax (`1-5`, `MON,WED`, `*/15`).", Example: "`calendars: [{hour: 9, dayOfWeek: MON-FRI}]`", Schema: map[string]any{
				"type":  "array",
				"items": ref("scheduleCalendar"),
			}},
			{Name: "jitter", Doc: "Random delay of up to this much added to each start time.", Default: "none", Example: "`jitter: 30s`", Ref: "duration"},
			{Name: "timeZone", Doc: "IANA time zone in which cron strings and calendars are read.", Default: "UTC", Example: "`timeZone: Europe/Paris`", Ref: "nonEmptyString"},
			{Name: "overlap", Doc: "What to do when a start is due while the previous run is still open.", Default: "skip", Example: "`overlap: bufferOne`", Schema: map[string]any{
				"type": "string",
				"enum": list(OverlapPolicies...),
			}},
			{Name: "paused", Doc: "Create the schedule paused; apply sets the schedule's paused state to this value again (undoing a `dslrun schedule toggle`).", Default: "false", Example: "`paused: true`", Schema: typ("boolean")},
			{Name: "note", Doc: "Note stored with the schedule, e.g. why it is paused; apply sets it again (a toggle's reason replaces it until then).", Example: "`note: paused during migration`", Ref: "plainString"},
			{Name: "input", Doc: "Input of every scheduled run, checked against the input schema by apply; no expressions. options.id, memo and searchAttributes are evaluated over it when apply creates or updates the schedule.", Example: "`input: {report: daily}`", Ref: "literal"},
			{Name: "skip", Doc: "Calendar specs of times when no run starts. Unlike in `calendars`, an omitted field matches every value.", Example: "`skip: [{month: 12, dayOfMonth: 25}]`", Schema: map[string]any{"type": "array", "items": ref("scheduleCalendar")}},
			{Name: "startTime", Doc: "No run starts before this time.", Default: "no bound", Example: "`startTime: \"2027-01-01T00:00:00Z\"`", Ref: "timestamp"},
			{Name: "endTime", Doc: "No run starts after this time; not before startTime.", Default: "no bound", Example: "`endTime: \"2027-12-31T23:59:59Z\"`", Ref: "timestamp"},
			{Name: "catchupWindow", Doc: "How late a start may be taken when the server missed its time (it was down, say); at least 10s.", Default: "1 year", Example: "`catchupWindow: 10m`", Ref: "positiveDuration"},
			{Name: "pauseOnFailure", Doc: "Pause the schedule when a run it started fails or times out; the server's note names the run. apply unpauses it unless `paused` is true.", Default: "false", Example: "`pauseOnFailure: true`", Schema: typ("boolean")},
			{Name: "remainingActions", Doc: "Start this many scheduled runs, then no more (trigger and backfill still start runs). apply sets the count again only when this value changes.", Default: "unlimited", Example: "`remainingActions: 10`", Schema: map[string]any{"type": "integer", "minimum": 1, "maximum": math.MaxInt32}},
			{Name: "memo", Doc: "Memo of the schedule itself (the runs' memo is `options.memo`); no expressions. Temporal cannot change it once the schedule exists: apply refuses a change.", Example: "`memo: {team: reports}`", Schema: map[string]any{"type": "object", "additionalProperties": ref("literal")}},
			{Name: "searchAttributes", Doc: "Search attributes of the schedule itself, for `dslrun schedule list --query` (the runs' are `options.searchAttributes`); no expressions; registered and typed as those are.", Example: "`searchAttributes: {Team: reports}`", Schema: map[string]any{"type": "object", "additionalProperties": ref("searchAttributeValue")}},
		},
		AtLeastOne:    []string{"intervals", "cron", "calendars"},
		AtLeastOneMsg: "a schedule needs at least one of intervals, cron or calendars",
	},
	{
		Name:  "timestamp",
		Label: "RFC 3339 time",
		Doc:   "An RFC 3339 time, e.g. `\"2027-01-02T15:04:05Z\"`; no expressions.",
		Schema: map[string]any{
			"type":                "string",
			"pattern":             `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})$`,
			"patternErrorMessage": "want an RFC 3339 timestamp, e.g. 2026-01-02T15:04:05Z",
		},
	},
	{
		Name:  "searchAttributeValue",
		Label: "string, number, boolean or list of strings",
		Doc:   "A search attribute's value without expressions: a string (Keyword), integer (Int), number (Double), boolean (Bool) or list of strings (KeywordList).",
		Schema: map[string]any{
			"type":                list("string", "number", "boolean", "array"),
			"items":               ref("plainString"),
			"pattern":             `^(?:[^$]|\$+[^${])*\$*$`,
			"patternErrorMessage": "expressions (${ ... }) are not allowed here",
		},
	},
	{
		Name:  "scheduleInterval",
		Label: "`{every, offset}`",
		Doc:   "A fixed interval of a schedule.",
		Keys: []Key{
			{Name: "every", Doc: "Period between starts.", Example: "`every: 15m`", Required: true, Ref: "positiveDuration"},
			{Name: "offset", Doc: "Shift of each start within the period.", Default: "0", Example: "`offset: 5m`", Ref: "duration"},
		},
	},
	{
		Name:  "scheduleCalendar",
		Label: "calendar spec",
		Doc:   "A calendar spec of a schedule. Omitted fields take Temporal's defaults: second 0, minute 0, hour 0, every day.",
		Keys: []Key{
			{Name: "second", Doc: "Seconds, 0-59.", Default: "0", Example: "`second: 30`", Ref: "calendarField"},
			{Name: "minute", Doc: "Minutes, 0-59.", Default: "0", Example: "`minute: \"*/15\"`", Ref: "calendarField"},
			{Name: "hour", Doc: "Hours, 0-23.", Default: "0", Example: "`hour: 9-17`", Ref: "calendarField"},
			{Name: "dayOfMonth", Doc: "Days of the month, 1-31.", Default: "every day", Example: "`dayOfMonth: 1`", Ref: "calendarField"},
			{Name: "month", Doc: "Months, 1-12 or JAN-DEC.", Default: "every month", Example: "`month: JAN,JUL`", Ref: "calendarField"},
			{Name: "year", Doc: "Years.", Default: "every year", Example: "`year: 2027`", Ref: "calendarField"},
			{Name: "dayOfWeek", Doc: "Days of the week, 0-6 (Sunday is 0) or SUN-SAT.", Default: "every day", Example: "`dayOfWeek: MON-FRI`", Ref: "calendarField"},
			{Name: "comment", Doc: "Free text about this calendar.", Example: "`comment: business hours`", Ref: "calendarField"},
		},
	},
	{
		Name:  "calendarField",
		Label: "string or integer (Temporal range syntax)",
		Doc:   "A number or a range in Temporal's syntax: `5`, `1-5`, `MON,WED`, `*/15`.",
		Schema: map[string]any{
			"type":                list("integer", "string"),
			"pattern":             `^\s*(?:[^\s$](?:[^$]|\$+[^${])*\$*|\$+(?:[^${](?:[^$]|\$+[^${])*\$*)?)$`,
			"patternErrorMessage": "want a non-empty string without expressions (${ ... })",
		},
	},
	{
		Name:  "autoContinueAsNew",
		Label: "[continueAsNew](#continueasnew-automatic)",
		Doc:   "Automatic continue-as-new.",
		Keys: []Key{
			{Name: "disabled", Doc: "Turn automatic continue-as-new off.", Default: "false", Example: "`disabled: true`", Schema: typ("boolean")},
			{Name: "afterEvents", Doc: "Also continue as new once history has more than this many events (100 to 50,000).", Default: "only at Temporal's suggestion", Example: "`afterEvents: 10000`", Schema: map[string]any{
				"type":    "integer",
				"minimum": 100,
				"maximum": 50000,
			}},
		},
	},
	{
		Name:  "signalHandler",
		Label: "[signal handler](#signals)",
		Doc:   "A signal handler: `set` and/or `do`. Expressions see the signal's argument as `args` and its name as `handler`.",
		Keys: []Key{
			{Name: "set", Doc: "State variables assigned when the signal arrives.", Example: "`set: {approved: true, approver: \"${ args.user }\"}`", Ref: "assignments"},
			{Name: "do", Doc: "Steps run in a coroutine of their own when the signal arrives.", Example: "`do: [{log: \"${ 'got ' + handler }\"}]`", Ref: "steps"},
		},
		AtLeastOne:    []string{"set", "do"},
		AtLeastOneMsg: "a signal handler needs set or do",
	},
	{
		Name:  "updateHandler",
		Label: "[update handler](#updates)",
		Doc:   "An update handler. Expressions see the update's argument as `args` and its name as `handler`.",
		Keys: []Key{
			{Name: "args", Doc: "JSON schema (draft-07) the update's argument must satisfy; an update that does not is rejected.", Example: "`args: {type: object, required: [points]}`", Ref: "jsonSchema"},
			{Name: "validate", Doc: "Condition checked before the update is accepted; a rejected update is never written to history.", Example: "`validate: \"${ args.points > 0 }\"`", Ref: "condition"},
			{Name: "do", Doc: "Steps run for an accepted update.", Example: "`do: [{set: {points: \"${ state.points + args.points }\"}}]`", Ref: "steps"},
			{Name: "return", Doc: "Value returned to the caller once `do` has finished.", Default: "null", Example: "`return: \"${ state.points }\"`", Ref: "value"},
		},
	},
	{
		Name:  "steps",
		Label: "list of steps",
		Doc:   "A list of steps, run in order.",
		Schema: map[string]any{
			"type":  "array",
			"items": ref("step"),
		},
	},
	{
		Name:    "branches",
		Label:   "list of branches (each a list of steps), at least one",
		Doc:     "Branches, each a list of steps; at least one.",
		Example: "`[[{activity: ReserveStock}], [{activity: ChargeCard}]]`",
		Schema: map[string]any{
			"type":     "array",
			"minItems": 1,
			"items":    ref("steps"),
		},
	},
}

var rootDef = &Def{
	Name: "",
	Keys: []Key{
		{Name: "dsl", Doc: "Version of the DSL this file is written in. Only \"v1\" exists.", Example: "`dsl: v1`", Required: true, Schema: map[string]any{
			"type": "string",
			"enum": list(Version),
		}},
		{Name: "name", Doc: "Name of the workflow: the Temporal workflow type under which its runs appear in the Temporal UI and `temporal workflow list`. Letters, digits, '-', '_' or '.', up to 200 characters, starting with a letter or digit.", Example: "`name: order-fulfillment`", Required: true, Schema: map[string]any{
			"type":                "string",
			"pattern":             "^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$",
			"patternErrorMessage": "want letters, digits, '-', '_' or '.', up to 200 characters, starting with a letter or digit",
		}},
		{Name: "description", Doc: "Free text saying what the workflow does; not interpreted. Expressions are not allowed.", Example: "`description: Charge the card, then ship the parcel`", Ref: "plainString"},
		{Name: "input", Doc: "JSON schema (draft-07) of the workflow input, checked before a run starts; the input is `input` in expressions. Expressions are not allowed inside it.", Default: "any input", Example: "`input: {type: object, required: [orderId], properties: {orderId: {type: string}}}`", Ref: "jsonSchema"},
		{Name: "state", Doc: "Workflow variables and their initial values, read as `state.NAME` in expressions and by queries, assigned by `set`. Values may be `${ ... }` templates over `input` and `workflow`.", Example: "`state: {approved: false, points: 0}`", Schema: map[string]any{
			"type":                 "object",
			"propertyNames":        ref("stateVariableName"),
			"additionalProperties": ref("value"),
		}},
		{Name: "activity", Doc: "Defaults for every activity step: task queue, timeouts and retry policy. A step's own options override them.", Example: "`activity: {startToCloseTimeout: 30s, retry: {maximumAttempts: 5}}`", Ref: "activityOptions"},
		{Name: "options", Doc: "Start options of a run: workflow id, task queue, timeouts, retry policy, cron, start delay, memo, search attributes, id policies.", Example: "`options: {id: order-${ input.orderId }, executionTimeout: 1d}`", Ref: "workflowOptions"},
		{Name: "schedule", Doc: "A Temporal schedule that `dslrun apply` creates or updates to start this workflow: intervals, cron strings or calendars, skip calendars, start and end time, jitter; overlap, catch-up and pause-on-failure policies; a limit of runs, pause, note, memo and search attributes.", Example: "`schedule: {intervals: [{every: 1h}], overlap: skip}`", Ref: "schedule"},
		{Name: "continueAsNew", Doc: "Automatic continue-as-new, checked between steps and while an `await` waits: when Temporal suggests it (or after `afterEvents` history events) the run continues as a new run, carrying state and its position in the steps.", Default: "on, at Temporal's suggestion", Example: "`continueAsNew: {afterEvents: 10000}`", Ref: "autoContinueAsNew"},
		{Name: "signals", Doc: "Signal handlers by signal name. A handler assigns state from the signal's `args` (`set`) and/or runs steps in a coroutine of their own (`do`). The name `*` handles any signal without a handler of its own.", Example: "`signals: {approve: {set: {approved: true}}}`", Schema: map[string]any{
			"type":                 "object",
			"propertyNames":        ref("handlerName"),
			"additionalProperties": ref("signalHandler"),
		}},
		{Name: "queries", Doc: "Query handlers by query name: the value returned to the caller, usually a `${ ... }` over `state` (and `args`).", Example: "`queries: {status: \"${ {approved: state.approved} }\"}`", Schema: map[string]any{
			"type":                 "object",
			"propertyNames":        ref("namedHandler"),
			"additionalProperties": ref("value"),
		}},
		{Name: "updates", Doc: "Update handlers by update name: a schema for the argument, a validator (a rejected update never reaches history), steps and a return value.", Example: "`updates: {addPoints: {validate: \"${ args.points > 0 }\", do: [{set: {points: \"${ state.points + args.points }\"}}], return: \"${ state.points }\"}}`", Schema: map[string]any{
			"type":                 "object",
			"propertyNames":        ref("namedHandler"),
			"additionalProperties": ref("updateHandler"),
		}},
		{Name: "steps", Doc: "The steps of the workflow, run in order; at least one. Each step has exactly one kind key (%s).", Example: "`steps: [{activity: ChargeCard, with: \"${ input }\"}]`", Required: true, Schema: map[string]any{
			"type":     "array",
			"minItems": 1,
			"items":    ref("step"),
		}},
		{Name: "output", Doc: "The result of the workflow, usually a `${ ... }` over `steps`, `state` and `input`.", Default: "null", Example: "`output: \"${ steps.charge.result }\"`", Ref: "value"},
	},
}
