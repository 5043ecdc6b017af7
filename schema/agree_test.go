package schema_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/schema"
	"gopkg.in/yaml.v3"
)

// validDefinitions use, between them, every step kind, every key of every
// step kind and every workflow-level block (TestValidCoverage checks it).
var validDefinitions = map[string]string{
	"everything": `dsl: v1
name: order.fulfillment-1
description: Charge the card, ship the parcel, report.
input:
  type: object
  title: Order
  description: An order to fulfil
  required: [orderId]
  properties:
    orderId: {type: string, minLength: 1}
    items: {type: array, items: {type: object}}
    express: {type: [boolean, "null"]}
    anything: true
  additionalProperties: false
state:
  approved: false
  points: 0
  note: ${ "order " + input.orderId }
  cursor: ""
activity:
  taskQueue: payments
  startToCloseTimeout: 30s
  scheduleToCloseTimeout: 1d12h
  scheduleToStartTimeout: 1m
  heartbeatTimeout: 500ms
  retry:
    initialInterval: 1s
    backoffCoefficient: 1.5
    maximumInterval: 1m
    maximumAttempts: 5
    nonRetryableErrorTypes: [InvalidCard]
options:
  id: order-${ input.orderId }
  taskQueue: orders
  executionTimeout: 7d
  runTimeout: 1d
  taskTimeout: 10s
  retry: {maximumAttempts: 3, backoffCoefficient: 0}
  memo:
    customer: ${ input.orderId }
  searchAttributes:
    CustomerId: ${ input.orderId }
  idReusePolicy: allowDuplicateFailedOnly
  idConflictPolicy: useExisting
schedule:
  id: nightly
  intervals: [{every: 1h, offset: 5m}, {every: 2d}]
  cron: ["@daily", "0 12 * * *"]
  calendars:
    - {second: 0, minute: "*/15", hour: 9-17, dayOfMonth: 1, month: JAN, year: 2027, dayOfWeek: MON-FRI, comment: business hours}
  jitter: 30s
  timeZone: Europe/Paris
  overlap: bufferOne
  paused: true
  note: paused during the migration
  input: {orderId: "42", tags: [a, b], price: 1.5}
  skip: [{month: DEC, dayOfMonth: 25}, {dayOfWeek: 0}]
  startTime: 2027-01-01T00:00:00Z
  endTime: "2027-12-31T23:59:59+01:00"
  catchupWindow: 10m
  pauseOnFailure: true
  remainingActions: 100
  memo: {team: reports, owners: [ada]}
  searchAttributes: {Team: reports, Priority: 2, Tags: [a, b], Urgent: false}
continueAsNew: {disabled: false, afterEvents: 10000}
signals:
  approve: {set: {approved: true}}
  "*":
    do:
      - log: ${ "signal " + handler }
queries:
  status: "${ {approved: state.approved, points: state.points} }"
updates:
  addPoints:
    args: {type: object, required: [points], properties: {points: {type: integer}}}
    validate: ${ args.points > 0 }
    do:
      - set:
          points: ${ state.points + args.points }
    return: ${ state.points }
steps:
  - activity: ChargeCard
    id: charge
    with:
      orderId: ${ input.orderId }
    local: false
    activityId: charge-${ input.orderId }
    taskQueue: payments
    startToCloseTimeout: 30s
    scheduleToCloseTimeout: 5m
    scheduleToStartTimeout: 1m
    heartbeatTimeout: 5s
    retry: {maximumAttempts: 2}
  - activity: Audit
    local: true
  - activity: ${ "ship_" + input.orderId }
  - set:
      approved: ${ steps.charge.result != nil }
  - if: ${ state.approved }
    id: decide
    then: [{log: approved}]
    else: [{log: rejected, level: warn}]
  - switch:
      - when: ${ input.express == true }
        do: [{activity: ShipExpress}]
      - when: false
        do: []
    default: [{activity: ShipParcel}]
  - parallel:
      - [{activity: A}]
      - [{activity: B}, {sleep: 1s}]
  - race:
      - - await: ${ state.approved }
          timeout: 24h
      - [{sleep: 1h}]
  - forEach: ${ input.items }
    id: each
    as: order
    index: i
    concurrency: 5
    do:
      - activity: Pack
        with: "${ {item: order, position: i} }"
  - forEach: [1, 2, 3]
    results: none
    do:
      - log: ${ item * index }
  - while: ${ state.cursor != "" }
    do: [{set: {cursor: ""}}]
  - sleep: ${ "1" + "s" }
  - sleepUntil: 2026-01-02T15:04:05Z
  - sleepUntil: "2026-01-02T15:04:05.5+02:00"
  - sleepUntil: ${ workflow.now }
  - await: true
  - child:
      workflow: send-receipt
      with: ${ input }
      id: receipt-${ input.orderId }
      taskQueue: receipts
      wait: false
      parentClosePolicy: abandon
      executionTimeout: 1h
      runTimeout: 30m
      taskTimeout: 10s
      retry: {maximumAttempts: 1}
  - child: {file: ./receipt.yaml, with: "${ input }"}
  - signalWorkflow:
      workflowId: ${ input.orderId }
      runId: ${ workflow.runId }
      signal: done
      with: {ok: true}
  - try: [{activity: Book}]
    catch:
      - types: [SoldOut]
        do:
          - log: ${ error.message }
      - do:
          - fail:
              message: ${ "failed " + error.message }
              type: BookingFailed
              nonRetryable: true
              details:
                order: ${ input.orderId }
    finally: [{activity: Release}]
  - try: []
    catch: []
  - fail: ${ "declined " + input.orderId }
  - fail: 42
  - return: ${ steps.charge.result }
  - continueAsNew:
      input: "${ {orderId: input.orderId} }"
      state: {points: 0}
  - continueAsNew:
  - log:
      order: ${ input.orderId }
    level: debug
output: ${ steps.charge.result }
`,
	"minimal": `dsl: v1
name: hello
steps:
  - log: hello
`,
	"cron": `dsl: v1
name: nightly
options: {cron: CRON_TZ=Europe/Paris 0 12 * * MON-FRI}
steps:
  - log: hello
`,
	"handlers only do": `dsl: v1
name: entity
state: {count: 0}
signals:
  bump:
    do:
      - set: {count: "${ state.count + 1 }"}
continueAsNew: {disabled: true}
options: {startDelay: 10m, idConflictPolicy: fail}
steps:
  - await: ${ state.count > 10 }
    timeout: 1d
  - sleep: 0s
output: ${ state.count }
`,
}

func TestExamplesAgree(t *testing.T) {
	var files []string
	for _, pat := range []string{"../examples/*.yaml", "../examples/*.yml"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	t.Logf("%d example files", len(files))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.yaml") || strings.HasSuffix(f, "_test.yml") {
			continue // a test of dslrun test, not a definition
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			checkValid(t, f, src)
		})
	}
}

func TestValidDefinitionsAgree(t *testing.T) {
	for name, src := range validDefinitions {
		t.Run(name, func(t *testing.T) { checkValid(t, name+".yaml", []byte(src)) })
	}
}

func checkValid(t *testing.T, name string, src []byte) {
	t.Helper()
	if _, ds := dsl.Parse(name, src); ds.HasErrors() {
		t.Errorf("parser:\n%v", ds)
	}
	root, ds := dsl.Decode(name, src)
	if ds.HasErrors() {
		t.Fatalf("decode:\n%v", ds)
	}
	if ds := schema.Validate(name, root); ds != nil {
		t.Errorf("schema:\n%v", ds)
	}
}

// TestValidCoverage checks that the valid definitions and the kinds'
// examples (TestMinimalSteps) use every step kind and every key that the
// schema declares outside JSON schemas.
func TestValidCoverage(t *testing.T) {
	used := map[string]bool{}
	var sources []string
	for _, src := range validDefinitions {
		sources = append(sources, src)
	}
	for _, k := range dsl.Kinds() {
		sources = append(sources, string(stepDefinition(minimalStep(t, k))))
	}
	for _, src := range sources {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(src), &n); err != nil {
			t.Fatal(err)
		}
		collectKeys(&n, used)
	}
	for _, k := range dsl.Kinds() {
		if !used[string(k)] {
			t.Errorf("no valid definition has a %s step", k)
		}
	}
	var raw map[string]any
	if err := json.Unmarshal(schema.JSON(), &raw); err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for name, def := range raw["definitions"].(map[string]any) {
		if name == "jsonSchema" || name == "jsonSubschema" || name == "stepKinds" {
			continue
		}
		collectProperties(def, declared)
	}
	collectProperties(map[string]any{"properties": raw["properties"]}, declared)
	for k := range declared {
		if !used[k] {
			t.Errorf("no valid definition uses the key %q", k)
		}
	}
}

func collectKeys(n *yaml.Node, used map[string]bool) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			used[n.Content[i].Value] = true
		}
	}
	for _, c := range n.Content {
		collectKeys(c, used)
	}
}

func collectProperties(v any, out map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		if props, ok := v["properties"].(map[string]any); ok {
			for k := range props {
				out[k] = true
			}
		}
		for _, e := range v {
			collectProperties(e, out)
		}
	case []any:
		for _, e := range v {
			collectProperties(e, out)
		}
	}
}

// minimalStep returns a smallest valid step of kind k: its example in the
// description of the DSL, which is a whole step (TestMinimalSteps checks
// that it is valid).
func minimalStep(t *testing.T, k dsl.Kind) string {
	t.Helper()
	sk, ok := dsl.Lang().Step(k)
	if !ok {
		t.Fatalf("no description of kind %s", k)
	}
	return "{" + strings.Trim(sk.Example, "`") + "}"
}

// stepKeys returns the keys step kind k allows besides id and its kind
// key, as the description says; TestStepKeys checks the schema against
// it, and TestForeignStepKeys the parser.
func stepKeys(k dsl.Kind) []string {
	sk, _ := dsl.Lang().Step(k)
	var out []string
	for _, name := range dsl.Lang().Def(sk.Def).KeyNames() {
		if name != "id" && name != string(k) {
			out = append(out, name)
		}
	}
	return out
}

func allStepKeys() []string {
	var all []string
	for _, k := range dsl.Kinds() {
		all = append(all, string(k))
		all = append(all, stepKeys(k)...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// stepDefinition is a definition whose last step is step; the state
// variables and the step id that the kinds' examples read exist.
func stepDefinition(step string) []byte {
	return []byte(head + "state: {approved: false, pending: 0, cursor: ''}\nsteps:\n  - {id: charge, activity: Charge}\n  - " + step + "\n")
}

func TestMinimalSteps(t *testing.T) {
	for _, k := range dsl.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			checkValid(t, "t.yaml", stepDefinition(minimalStep(t, k)))
		})
	}
}

// TestForeignStepKeys adds to a step of each kind every key that its kind
// does not allow (other kinds' keys, and other kinds): both the parser and
// the schema must refuse each.
func TestForeignStepKeys(t *testing.T) {
	for _, k := range dsl.Kinds() {
		allowed := append([]string{"id", string(k)}, stepKeys(k)...)
		for _, key := range allStepKeys() {
			if slices.Contains(allowed, key) {
				continue
			}
			step := strings.TrimSuffix(minimalStep(t, k), "}") + ", " + key + ": null}"
			src := stepDefinition(step)
			if _, ds := dsl.Parse("t.yaml", src); !ds.HasErrors() {
				t.Errorf("parser accepts %s", step)
			}
			root, ds := dsl.Decode("t.yaml", src)
			if ds.HasErrors() {
				t.Fatalf("decode %s: %v", step, ds)
			}
			if ds := schema.Validate("t.yaml", root); len(ds) == 0 {
				t.Errorf("schema accepts %s", step)
			}
		}
	}
}

// TestStepKeys checks that each step kind's definition in the schema allows
// exactly the keys the parser allows.
func TestStepKeys(t *testing.T) {
	var raw map[string]any
	if err := json.Unmarshal(schema.JSON(), &raw); err != nil {
		t.Fatal(err)
	}
	defs := raw["definitions"].(map[string]any)
	deps := defs["step"].(map[string]any)["dependencies"].(map[string]any)
	for _, k := range dsl.Kinds() {
		ref := deps[string(k)].(map[string]any)["$ref"].(string)
		def := defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
		var got []string
		for key := range def["properties"].(map[string]any) {
			got = append(got, key)
		}
		want := append([]string{"id", string(k)}, stepKeys(k)...)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s step: schema allows %v, parser %v", k, got, want)
		}
		if def["additionalProperties"] != false {
			t.Errorf("%s step: unknown keys are not refused", k)
		}
	}
}
