package interpreter_test

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/dslrun/dslrun/interpreter"
)

// startDefinition validates src and returns it ready to run, as apply has
// it.
func startDefinition(t *testing.T, src string) *dsl.Definition {
	t.Helper()
	r := validate.Source("start.yaml", []byte(src), nil)
	if !r.Valid() {
		t.Fatalf("invalid test definition:\n%v", r.Diagnostics)
	}
	if err := r.Canonicalize(); err != nil {
		t.Fatal(err)
	}
	return r.Definition
}

const startSteps = `
steps:
  - set: {x: 1}
`

func TestNewStart(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		input any
		opts  interpreter.StartOptions
		// noEnvelope passes a nil canonical form.
		noEnvelope bool
		check      func(t *testing.T, s *interpreter.Start)
	}{{
		name: "defaults",
		src:  "dsl: v1\nname: plain\n" + startSteps,
		check: func(t *testing.T, s *interpreter.Start) {
			if s.WorkflowType != "plain" {
				t.Errorf("workflow type %q, want %q", s.WorkflowType, "plain")
			}
			if !regexp.MustCompile(`^plain-[0-9a-f]{8}$`).MatchString(s.Options.ID) {
				t.Errorf("id %q, want plain-<8 hex digits>", s.Options.ID)
			}
			if s.Options.TaskQueue != dsl.DefaultTaskQueue {
				t.Errorf("task queue %q, want %q", s.Options.TaskQueue, dsl.DefaultTaskQueue)
			}
			if s.Options.RetryPolicy != nil {
				t.Errorf("retry policy %+v, want nil (Temporal's default)", s.Options.RetryPolicy)
			}
			if len(s.Args) != 1 {
				t.Errorf("args %v, want [definition]: a nil input is left out", s.Args)
			}
		},
	}, {
		name:  "id template over the input",
		src:   "dsl: v1\nname: order\ninput: {type: object}\noptions:\n  id: order-${ input.id }\n  taskQueue: orders\n" + startSteps,
		input: map[string]any{"id": 7},
		check: func(t *testing.T, s *interpreter.Start) {
			if s.Options.ID != "order-7" || s.Options.TaskQueue != "orders" {
				t.Errorf("id %q on %q, want order-7 on orders", s.Options.ID, s.Options.TaskQueue)
			}
		},
	}, {
		name:  "the starter's id and task queue win",
		src:   "dsl: v1\nname: order\ninput: {type: object}\noptions:\n  id: order-${ input.id }\n  taskQueue: orders\n" + startSteps,
		input: map[string]any{"id": 7},
		opts:  interpreter.StartOptions{ID: "mine", TaskQueue: "q"},
		check: func(t *testing.T, s *interpreter.Start) {
			if s.Options.ID != "mine" || s.Options.TaskQueue != "q" {
				t.Errorf("id %q on %q, want mine on q", s.Options.ID, s.Options.TaskQueue)
			}
		},
	}, {
		name: "no input for an object schema starts with {}",
		src:  "dsl: v1\nname: obj\ninput:\n  type: object\n  properties:\n    n: {type: integer}\n" + startSteps,
		check: func(t *testing.T, s *interpreter.Start) {
			in, ok := s.Args[0].(map[string]any)
			if !ok || len(in) != 0 {
				t.Errorf("input %#v, want an empty map", s.Args[0])
			}
		},
	}, {
		name: "options in the SDK's terms",
		src: `dsl: v1
name: opts
options:
  executionTimeout: 1h
  runTimeout: 30m
  taskTimeout: 10s
  startDelay: 5s
  memo: {team: ops}
  idReusePolicy: rejectDuplicate
  idConflictPolicy: useExisting
  searchAttributes: {CustomKeywordField: a, CustomIntField: 3}
  retry:
    initialInterval: 2s
    backoffCoefficient: 3
    maximumInterval: 1m
    maximumAttempts: 5
    nonRetryableErrorTypes: [Fatal]
` + startSteps,
		check: func(t *testing.T, s *interpreter.Start) {
			o := s.Options
			if o.WorkflowExecutionTimeout != time.Hour || o.WorkflowRunTimeout != 30*time.Minute ||
				o.WorkflowTaskTimeout != 10*time.Second || o.StartDelay != 5*time.Second {
				t.Errorf("timeouts %v %v %v, start delay %v", o.WorkflowExecutionTimeout, o.WorkflowRunTimeout, o.WorkflowTaskTimeout, o.StartDelay)
			}
			if o.Memo["team"] != "ops" {
				t.Errorf("memo %v", o.Memo)
			}
			if o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE ||
				o.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING {
				t.Errorf("id policies %v, %v", o.WorkflowIDReusePolicy, o.WorkflowIDConflictPolicy)
			}
			if n := o.TypedSearchAttributes.Size(); n != 2 {
				t.Errorf("%d search attributes, want 2", n)
			}
			if v, ok := o.TypedSearchAttributes.GetKeyword(temporal.NewSearchAttributeKeyKeyword("CustomKeywordField")); !ok || v != "a" {
				t.Errorf("CustomKeywordField %q, %v; want a", v, ok)
			}
			if v, ok := o.TypedSearchAttributes.GetInt64(temporal.NewSearchAttributeKeyInt64("CustomIntField")); !ok || v != 3 {
				t.Errorf("CustomIntField %d, %v; want 3", v, ok)
			}
			want := temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 3, MaximumInterval: time.Minute, MaximumAttempts: 5, NonRetryableErrorTypes: []string{"Fatal"}}
			if r := o.RetryPolicy; r == nil || r.InitialInterval != want.InitialInterval || r.BackoffCoefficient != want.BackoffCoefficient ||
				r.MaximumInterval != want.MaximumInterval || r.MaximumAttempts != want.MaximumAttempts ||
				len(r.NonRetryableErrorTypes) != 1 || r.NonRetryableErrorTypes[0] != "Fatal" {
				t.Errorf("retry policy %+v, want %+v", r, want)
			}
		},
	}, {
		name:       "no canonical form: no envelope, the workers load the definition by name",
		src:        "dsl: v1\nname: byname\noptions: {cron: \"0 * * * *\"}\n" + startSteps,
		input:      "x",
		noEnvelope: true,
		check: func(t *testing.T, s *interpreter.Start) {
			if len(s.Args) != 1 || s.Args[0] != "x" {
				t.Errorf("args %v, want [x]", s.Args)
			}
			if s.Options.CronSchedule != "0 * * * *" {
				t.Errorf("cron %q", s.Options.CronSchedule)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := startDefinition(t, tt.src)
			canonical, hash := d.Canonical, d.Hash
			if tt.noEnvelope {
				tt.opts.ByName = true
			}
			s, err := interpreter.NewStart(d, tt.input, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.noEnvelope {
				_, env := decodeStart(t, s)
				def, err := env.Canonical()
				if env == nil || err != nil || string(def) != string(canonical) || env.Hash != hash {
					t.Errorf("arguments %#v, want the canonical definition", s.Args)
				}
			}
			tt.check(t, s)
		})
	}
}

// decodeStart passes the arguments of s through the default data
// converter and decodes them as the worker does, into the input (JSON) and
// the envelope.
func decodeStart(t *testing.T, s *interpreter.Start) (string, *interpreter.Envelope) {
	t.Helper()
	dc := converter.GetDefaultDataConverter()
	ps, err := dc.ToPayloads(s.Args...)
	if err != nil {
		t.Fatal(err)
	}
	var first, second json.RawMessage
	if err := dc.FromPayloads(ps, &first, &second); err != nil {
		t.Fatal(err)
	}
	input, env, err := interpreter.DecodeArgs(first, second)
	if err != nil {
		t.Fatal(err)
	}
	return string(input), env
}

// TestNewStartSendsTheCompactDefinition: the definition travels as bytes
// (binary/plain), not base64 in JSON and without its hash, after the input,
// or alone when the input is nil; the worker reads it back with the hash.
func TestNewStartSendsTheCompactDefinition(t *testing.T) {
	d := startDefinition(t, "dsl: v1\nname: h\n"+startSteps)
	for _, tt := range []struct {
		input     any
		wantInput string
		encodings []string
	}{
		{nil, "", []string{"binary/plain"}},
		{map[string]any{"n": 1}, `{"n":1}`, []string{"json/plain", "binary/plain"}},
	} {
		s, err := interpreter.NewStart(d, tt.input, interpreter.StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := converter.GetDefaultDataConverter().ToPayloads(s.Args...)
		if err != nil {
			t.Fatal(err)
		}
		var encodings []string
		for _, p := range ps.GetPayloads() {
			encodings = append(encodings, string(p.GetMetadata()[converter.MetadataEncoding]))
		}
		if !slices.Equal(encodings, tt.encodings) {
			t.Errorf("input %v: payload encodings %v, want %v", tt.input, encodings, tt.encodings)
		}
		if last := ps.GetPayloads()[len(ps.GetPayloads())-1].GetData(); len(last) >= len(d.Canonical)/2 || bytes.Contains(last, []byte(d.Hash)) {
			t.Errorf("definition payload of %d bytes (canonical form %d), want it compressed and without the hash", len(last), len(d.Canonical))
		}
		input, env := decodeStart(t, s)
		def, err := env.Canonical()
		if input != tt.wantInput || err != nil || env.Hash != dsl.Hash(d.Canonical) || string(def) != string(d.Canonical) {
			t.Errorf("decoded input %s, envelope %+v (%v); want %s and the canonical form with its hash", input, env, err, tt.wantInput)
		}
	}
}

func TestNewStartErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		input any
		want  string
	}{{
		name:  "input against the schema, every violation sorted",
		src:   "dsl: v1\nname: greet\ninput:\n  type: object\n  required: [name]\n  properties:\n    name: {type: string}\n    age: {type: integer}\n" + startSteps,
		input: map[string]any{"age": "old"},
		want: "input does not match the input schema of greet; nothing was started:\n" +
			"  input.age: invalid type. Expected: integer, given: string\n" +
			"  input: name is required",
	}, {
		name:  "id template that fails",
		src:   "dsl: v1\nname: order\ninput: {type: object}\noptions:\n  id: ${ input.id.x }\n" + startSteps,
		input: map[string]any{},
		want:  "options.id: ", // a prefix: the rest is expr's own message
	}, {
		name:  "id template that is empty",
		src:   "dsl: v1\nname: order\ninput: {type: object}\noptions:\n  id: ${ input.id ?? '' }\n" + startSteps,
		input: map[string]any{},
		want:  "options.id evaluated to an empty id",
	}, {
		name:  "search attribute list of numbers",
		src:   "dsl: v1\nname: sa\noptions:\n  searchAttributes: {Tags: [1, 2]}\n" + startSteps,
		input: nil,
		want:  "options.searchAttributes.Tags: lists must hold strings",
	}, {
		name:  "input over the payload limit",
		src:   "dsl: v1\nname: big\n" + startSteps,
		input: strings.Repeat("x", 3_000_000),
		want: "dslrun.PayloadTooLarge: the run's input (3000002 bytes as JSON) and definition (27 bytes compressed, child definitions included) are 3000029 bytes, " +
			"over the payload limit of 2096128 bytes (Temporal's 2 MiB blob size limit); nothing was started",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := interpreter.NewStart(startDefinition(t, tt.src), tt.input, interpreter.StartOptions{})
			if err == nil {
				t.Fatalf("no error; start %+v", s)
			}
			if got := err.Error(); got != tt.want && (!strings.HasSuffix(tt.want, ": ") || !strings.HasPrefix(got, tt.want)) {
				t.Errorf("error\n got %q\nwant %q", err, tt.want)
			}
		})
	}
}

// TestRetryPolicy pins the one conversion of a retry policy, shared by the
// plan (activities, children) and by NewStart (the run).
func TestRetryPolicy(t *testing.T) {
	if got := interpreter.RetryPolicy(nil); got != nil {
		t.Errorf("RetryPolicy(nil) = %+v, want nil", got)
	}
	in := &dsl.RetryPolicy{MaximumAttempts: math.MaxInt32 + 10, NonRetryableErrorTypes: []string{"A"}}
	got := interpreter.RetryPolicy(in)
	if got.MaximumAttempts != math.MaxInt32 {
		t.Errorf("MaximumAttempts %d, want clamped to %d", got.MaximumAttempts, math.MaxInt32)
	}
	in.NonRetryableErrorTypes[0] = "changed"
	if got.NonRetryableErrorTypes[0] != "A" {
		t.Errorf("NonRetryableErrorTypes aliases the definition: %v", got.NonRetryableErrorTypes)
	}
}
