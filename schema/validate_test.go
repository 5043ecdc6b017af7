package schema_test

import (
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/schema"
	"gopkg.in/yaml.v3"
)

// head is the start of a valid definition; cases append to it or replace
// it.
const head = "dsl: v1\nname: t\n"

// invalidCases are definitions the schema refuses, with the exact
// diagnostics. Each is also refused by the parser (TestInvalidAgree).
var invalidCases = []struct {
	name string
	src  string
	want string
}{
	{
		name: "root not a mapping",
		src:  "- dsl: v1\n",
		want: `t.yaml:1:1: expected a mapping, got list`,
	},
	{
		name: "missing required keys",
		src:  "dsl: v1\n",
		want: "t.yaml:1:1: missing required key \"name\"\nt.yaml:1:1: missing required key \"steps\"",
	},
	{
		name: "unknown top-level key",
		src:  head + "steps: [{log: hi}]\nstepz: []\n",
		want: `t.yaml:4:1: stepz: unknown key "stepz"`,
	},
	{
		name: "unsupported version",
		src:  "dsl: v2\nname: t\nsteps: [{log: hi}]\n",
		want: `t.yaml:1:6: dsl: unsupported DSL version "v2" (this dslrun reads "v1")`,
	},
	{
		name: "bad workflow name",
		src:  "dsl: v1\nname: my workflow\nsteps: [{log: hi}]\n",
		want: `t.yaml:2:7: name: invalid value "my workflow": want letters, digits, '-', '_' or '.', up to 200 characters, starting with a letter or digit`,
	},
	{
		name: "expression in plain string",
		src:  head + "description: ${ input.x }\nsteps: [{log: hi}]\n",
		want: `t.yaml:3:14: description: invalid value "${ input.x }": expressions (${ ... }) are not allowed here`,
	},
	{
		name: "no steps",
		src:  head + "steps: []\n",
		want: `t.yaml:3:8: steps: a workflow needs at least one step`,
	},
	{
		name: "steps not a list",
		src:  head + "steps: {log: hi}\n",
		want: `t.yaml:3:8: steps: expected a list, got mapping`,
	},
	{
		name: "unknown step key",
		src:  head + "steps:\n  - activity: Charge\n    retries: 3\n",
		want: `t.yaml:5:5: steps[0].retries: unknown key "retries"`,
	},
	{
		name: "key of another kind",
		src:  head + "steps:\n  - activity: Charge\n    then: []\n",
		want: `t.yaml:5:5: steps[0].then: unknown key "then"`,
	},
	{
		name: "two kinds",
		src:  head + "steps:\n  - sleep: 1s\n    activity: Charge\n    with: {}\n",
		want: `t.yaml:5:5: steps[0]: step has more than one kind: sleep and activity`,
	},
	{
		name: "no kind",
		src:  head + "steps:\n  - id: a\n    with: {}\n",
		want: `t.yaml:4:5: steps[0]: step has no kind: want one of ` + kindList(),
	},
	{
		name: "empty activity name",
		src:  head + "steps:\n  - activity: \" \"\n",
		want: `t.yaml:4:15: steps[0].activity: invalid value " ": want a non-empty string`,
	},
	{
		name: "local activity with task queue",
		src:  head + "steps:\n  - activity: Charge\n    local: true\n    taskQueue: payments\n",
		want: `t.yaml:6:16: steps[0].taskQueue: a local activity runs on the workflow's worker: taskQueue is not allowed`,
	},
	{
		name: "duration without unit",
		src:  head + "steps:\n  - activity: Charge\n    startToCloseTimeout: 30\n",
		want: `t.yaml:5:26: steps[0].startToCloseTimeout: duration 30 has no unit (want e.g. 30s, 5m, 1h30m, 2d)`,
	},
	{
		name: "malformed duration",
		src:  head + "activity: {heartbeatTimeout: 30 seconds}\nsteps: [{log: hi}]\n",
		want: `t.yaml:3:30: activity.heartbeatTimeout: invalid value "30 seconds": want a duration such as 500ms, 30s, 5m, 1h30m, 2d or 1d12h (no negative durations, no bare numbers, no expressions)`,
	},
	{
		name: "zero and negative durations",
		src:  head + "steps:\n  - await: ${ true }\n    timeout: 0s\n  - sleep: -5m\n",
		want: "t.yaml:5:14: steps[0].timeout: invalid value \"0s\": want a duration greater than zero\nt.yaml:6:12: steps[1].sleep: invalid value \"-5m\": want a duration (e.g. 30s, 1h30m, 2d) or ${ ... }",
	},
	{
		name: "retry policy",
		src:  head + "activity:\n  retry: {maximumAttempts: 2.5, backoffCoefficient: 0.5, maxAttempts: 3}\nsteps: [{log: hi}]\n",
		want: "t.yaml:4:28: activity.retry.maximumAttempts: expected an integer, got number\n" +
			"t.yaml:4:53: activity.retry.backoffCoefficient: 0.5 is less than the minimum 1\n" +
			"t.yaml:4:58: activity.retry.maxAttempts: unknown key \"maxAttempts\"",
	},
	{
		name: "set",
		src:  head + "steps:\n  - set: {}\n  - set: {1st: x}\n",
		want: "t.yaml:4:10: steps[0].set: set needs at least one variable\n" +
			"t.yaml:5:11: steps[1].set.1st: invalid value \"1st\": want letters, digits and underscores, not starting with a digit",
	},
	{
		name: "if",
		src:  head + "steps:\n  - if: 1\n  - if: state is ready\n    then: []\n",
		want: "t.yaml:4:5: steps[0]: missing required key \"then\"\n" +
			"t.yaml:4:9: steps[0].if: expected a condition (a boolean or ${ ... }), got number\n" +
			"t.yaml:5:9: steps[1].if: invalid value \"state is ready\": want a boolean or a single ${ ... } expression",
	},
	{
		name: "switch",
		src:  head + "steps:\n  - switch: []\n  - switch: [{when: true}]\n",
		want: "t.yaml:4:13: steps[0].switch: switch needs at least one case\n" +
			"t.yaml:5:14: steps[1].switch[0]: missing required key \"do\"",
	},
	{
		name: "parallel and race",
		src:  head + "steps:\n  - parallel: [{activity: A}]\n  - race: []\n",
		want: "t.yaml:4:16: steps[0].parallel[0]: expected a list, got mapping\n" +
			"t.yaml:5:11: steps[1].race: needs at least one branch",
	},
	{
		name: "forEach",
		src:  head + "steps:\n  - forEach: items\n    as: 2x\n    concurrency: 0\n    do: []\n",
		want: "t.yaml:4:14: steps[0].forEach: invalid value \"items\": want a list or ${ ... }\n" +
			"t.yaml:5:9: steps[0].as: invalid value \"2x\": want letters, digits and underscores, not starting with a digit\n" +
			"t.yaml:6:18: steps[0].concurrency: 0 is less than the minimum 1",
	},
	{
		name: "while without do",
		src:  head + "steps:\n  - while: ${ state.n < 3 }\nstate: {n: 0}\n",
		want: `t.yaml:4:5: steps[0]: missing required key "do"`,
	},
	{
		name: "sleepUntil",
		src:  head + "steps:\n  - sleepUntil: 2026-01-02\n",
		want: `t.yaml:4:17: steps[0].sleepUntil: invalid value "2026-01-02": want an RFC 3339 timestamp (e.g. 2026-01-02T15:04:05Z) or ${ ... }`,
	},
	{
		name: "child",
		src:  head + "steps:\n  - child: {with: {}, parentClosePolicy: abandn, wait: yes}\n",
		want: "t.yaml:4:12: steps[0].child: missing required key \"workflow\"\n" +
			"t.yaml:4:42: steps[0].child.parentClosePolicy: \"abandn\" is not one of terminate, requestCancel, abandon (did you mean \"abandon\"?)\n" +
			"t.yaml:4:56: steps[0].child.wait: expected a boolean, got string",
	},
	{
		name: "signalWorkflow",
		src:  head + "steps:\n  - signalWorkflow: {workflowId: w, signal: \"${ input.s }\"}\n",
		want: `t.yaml:4:45: steps[0].signalWorkflow.signal: invalid value "${ input.s }": want a non-empty string without expressions (${ ... })`,
	},
	{
		name: "try",
		src:  head + "steps:\n  - try: []\n  - try: []\n    catch: [{types: [Boom]}]\n",
		want: "t.yaml:4:5: steps[0]: needs at least one of \"catch\" or \"finally\"\n" +
			"t.yaml:6:13: steps[1].catch[0]: missing required key \"do\"",
	},
	{
		name: "fail",
		src:  head + "steps:\n  - fail: [boom]\n  - fail: {type: Boom}\n",
		want: "t.yaml:4:11: steps[0].fail: expected a string, a number, a boolean, null or a mapping, got list\n" +
			"t.yaml:5:11: steps[1].fail: missing required key \"message\"",
	},
	{
		name: "log level and continueAsNew",
		src:  head + "steps:\n  - log: hi\n    level: warning\n  - continueAsNew: [1]\n",
		want: "t.yaml:5:12: steps[0].level: \"warning\" is not one of debug, info, warn, error\n" +
			"t.yaml:6:20: steps[1].continueAsNew: expected null or a mapping, got list",
	},
	{
		name: "workflow options",
		src:  head + "options:\n  cron: every day\n  startDelay: 1m\n  idReusePolicy: rejectDuplicates\n  taskQueue: \"\"\nsteps: [{log: hi}]\n",
		want: "t.yaml:4:9: options.cron: invalid value \"every day\": want five fields (minute hour day-of-month month day-of-week) or a descriptor such as @daily, optionally after CRON_TZ=zone\n" +
			"t.yaml:5:15: options.startDelay: startDelay cannot be combined with cron\n" +
			"t.yaml:6:18: options.idReusePolicy: \"rejectDuplicates\" is not one of allowDuplicate, allowDuplicateFailedOnly, rejectDuplicate, terminateIfRunning (did you mean \"rejectDuplicate\"?)\n" +
			"t.yaml:7:14: options.taskQueue: invalid value \"\": want a non-empty string without expressions (${ ... })",
	},
	{
		name: "schedule",
		src:  head + "schedule:\n  overlap: skipp\n  calendar: []\nsteps: [{log: hi}]\n",
		want: "t.yaml:4:3: schedule: needs at least one of \"intervals\", \"cron\" or \"calendars\"\n" +
			"t.yaml:4:12: schedule.overlap: \"skipp\" is not one of skip, bufferOne, bufferAll, cancelOther, terminateOther, allowAll (did you mean \"skip\"?)\n" +
			"t.yaml:5:3: schedule.calendar: unknown key \"calendar\"",
	},
	{
		name: "schedule entries",
		src:  head + "schedule:\n  intervals: [{offset: 5m}]\n  calendars: [{hour: 9, weekday: MON}]\nsteps: [{log: hi}]\n",
		want: "t.yaml:4:15: schedule.intervals[0]: missing required key \"every\"\n" +
			"t.yaml:5:25: schedule.calendars[0].weekday: unknown key \"weekday\"",
	},
	{
		name: "continueAsNew settings",
		src:  head + "continueAsNew: {afterEvents: 50, enabled: true}\nsteps: [{log: hi}]\n",
		want: "t.yaml:3:30: continueAsNew.afterEvents: 50 is less than the minimum 100\n" +
			"t.yaml:3:34: continueAsNew.enabled: unknown key \"enabled\"",
	},
	{
		name: "handlers",
		src: head + "signals:\n  go now: {set: {x: 1}}\n  ping: {}\n" +
			"queries: {\"-q\": 1}\n" +
			"updates:\n  add: {validate: 1, returns: 2}\n" +
			"steps: [{log: hi}]\n",
		want: "t.yaml:4:3: signals.go now: invalid value \"go now\": want letters, digits, '-', '_' or '.', not starting with a digit, '-' or '.'; or * for the catch-all handler\n" +
			"t.yaml:5:9: signals.ping: needs at least one of \"set\" or \"do\"\n" +
			"t.yaml:6:11: queries.-q: invalid value \"-q\": want letters, digits, '-', '_' or '.', not starting with a digit, '-' or '.' (only signals have a catch-all * handler)\n" +
			"t.yaml:8:19: updates.add.validate: expected a condition (a boolean or ${ ... }), got number\n" +
			"t.yaml:8:22: updates.add.returns: unknown key \"returns\"",
	},
	{
		name: "input schema",
		src:  head + "input:\n  type: obj\n  properties: {a: {type: [string, text]}}\n  required: id\nsteps: [{log: hi}]\n",
		want: "t.yaml:4:9: input.type: invalid value \"obj\": want array, boolean, integer, null, number, object or string\n" +
			"t.yaml:5:35: input.properties.a.type[1]: invalid value \"text\": want array, boolean, integer, null, number, object or string\n" +
			"t.yaml:6:13: input.required: expected a list, got string",
	},
	{
		name: "input is not a schema",
		src:  head + "input: [a]\nsteps: [{log: hi}]\n",
		want: `t.yaml:3:8: input: expected a mapping, got list`,
	},
	{
		name: "expression inside update args schema",
		src:  head + "updates:\n  add: {args: {type: object, default: \"${ input }\"}}\nsteps: [{log: hi}]\n",
		want: `t.yaml:4:39: updates.add.args.default: invalid value "${ input }": expressions (${ ... }) are not allowed here`,
	},
	{
		name: "state key",
		src:  head + "state: {my-var: 1}\nsteps: [{log: hi}]\n",
		want: `t.yaml:3:9: state.my-var: invalid value "my-var": want letters, digits and underscores, not starting with a digit`,
	},
	{
		name: "step id",
		src:  head + "steps:\n  - log: hi\n    id: first step\n",
		want: `t.yaml:5:9: steps[0].id: invalid value "first step": want letters, digits and underscores, not starting with a digit`,
	},
	{
		name: "errors deep in nested steps",
		src: head + "steps:\n  - forEach: [1, 2]\n    do:\n      - parallel:\n          - - activity: A\n              timeout: 5s\n" +
			"          - - try: [{fail: x}]\n              finally: [{sleep: soon}]\n",
		want: "t.yaml:8:15: steps[0].do[0].parallel[0][0].timeout: unknown key \"timeout\"\n" +
			"t.yaml:10:33: steps[0].do[0].parallel[1][0].finally[0].sleep: invalid value \"soon\": want a duration (e.g. 30s, 1h30m, 2d) or ${ ... }",
	},
	{
		name: "non-finite number",
		src:  head + "activity: {retry: {backoffCoefficient: .inf}}\nsteps: [{log: hi}]\n",
		want: `t.yaml:3:40: activity.retry.backoffCoefficient: invalid number ".inf"`,
	},
}

func TestValidateInvalid(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			root, ds := dsl.Decode("t.yaml", []byte(tc.src))
			if ds.HasErrors() {
				t.Fatalf("decode: %v", ds)
			}
			got := schema.Validate("t.yaml", root)
			if got.Error() != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got.Error(), tc.want)
			}
			for _, d := range got {
				if d.Code != dsl.CodeSchema || d.Severity != dsl.SeverityError {
					t.Errorf("%s: code %q, severity %v; want schema error", d, d.Code, d.Severity)
				}
				if strings.HasSuffix(d.Msg, ".") || d.Msg != strings.TrimSpace(d.Msg) {
					t.Errorf("%s: message ends with a period or space", d)
				}
			}
		})
	}
}

// TestInvalidAgree checks that the parser refuses every definition the
// schema refuses. No case is schema-only: the schema checks nothing that
// the parser does not.
func TestInvalidAgree(t *testing.T) {
	same := 0
	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := dsl.Parse("t.yaml", []byte(tc.src))
			if !ds.HasErrors() {
				t.Errorf("parser accepts a definition the schema refuses:\n%s", tc.src)
			}
			var parsed []string
			for _, d := range ds {
				parsed = append(parsed, d.String())
			}
			if strings.Join(parsed, "\n") == tc.want {
				same++
			}
		})
	}
	t.Logf("%d of %d cases: the parser's diagnostics are word for word the schema's", same, len(invalidCases))
}

func TestValidateValid(t *testing.T) {
	root, ds := dsl.Decode("t.yaml", []byte(head+"steps: [{log: hi}]\n"))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if got := schema.Validate("t.yaml", root); got != nil {
		t.Errorf("Validate = %v, want nil", got)
	}
}

func TestValidateWithoutDecode(t *testing.T) {
	// Validate is meant for trees from dsl.Decode, but refuses what Decode
	// would refuse rather than following it.
	alias := &yaml.Node{Kind: yaml.AliasNode, Value: "a", Line: 3, Column: 8}
	root := &yaml.Node{Kind: yaml.MappingNode, Line: 1, Column: 1, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "steps", Line: 3, Column: 1}, alias,
	}}
	got := schema.Validate("t.yaml", root)
	want := "t.yaml:3:8: YAML aliases are not supported: repeat the value instead"
	if got.Error() != want {
		t.Errorf("alias: got %q, want %q", got.Error(), want)
	}

	deep := &yaml.Node{Kind: yaml.SequenceNode, Line: 1, Column: 1}
	for n, i := deep, 0; i < dsl.MaxDepth+5; i++ {
		c := &yaml.Node{Kind: yaml.SequenceNode, Line: 1, Column: i + 2}
		n.Content = []*yaml.Node{c}
		n = c
	}
	got = schema.Validate("t.yaml", deep)
	if len(got) != 1 || got[0].Code != dsl.CodeLimit {
		t.Errorf("deep: got %v, want one limit diagnostic", got)
	}

	got = schema.Validate("t.yaml", nil)
	if got.Error() != "t.yaml: expected a mapping, got null" {
		t.Errorf("nil: got %q", got.Error())
	}
}

// kindList is the list of step kinds as the "no kind" message prints it.
func kindList() string {
	var names []string
	for _, k := range dsl.Kinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}
