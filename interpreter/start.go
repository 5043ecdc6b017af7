package interpreter

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xeipuuv/gojsonschema"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/internal/expression"
	"github.com/dslrun/dslrun/internal/jsonschema"
)

// StartOptions are a starter's choices for a run that NewStart prepares;
// the zero value takes everything from the definition.
type StartOptions struct {
	// ID is the workflow id. Empty: the definition's options.id evaluated
	// over the input, else "<name>-<8 random hex digits>".
	ID string
	// TaskQueue is the task queue of the run. Empty: the definition's
	// options.taskQueue, else dsl.DefaultTaskQueue.
	TaskQueue string
	// ByName sends no Envelope: the workers then load the definition by
	// its name (Options.Definitions), as for a start by any other client.
	ByName bool
}

// Start is a run of a definition, ready for any client to start:
//
//	c.ExecuteWorkflow(ctx, s.Options, s.WorkflowType, s.Args...)
//
// and the same three values for SignalWithStartWorkflow and
// NewWithStartWorkflowOperation.
type Start struct {
	// Options are the definition's options (id, task queue, timeouts,
	// retry, cron, start delay, memo, search attributes, id policies) in
	// the SDK's terms.
	Options client.StartWorkflowOptions
	// WorkflowType is the definition's name: the run is served by the
	// interpreter's dynamic workflow and reads well in the Temporal UI.
	WorkflowType string
	// Args are the run's arguments: the input, then, when the definition
	// is sent with the run, the definition compressed as a []byte (see
	// DecodeArgs); a nil input is left out then.
	Args []any
}

// NewStart prepares the start of a run of w, a valid definition, with
// input, a JSON-like value (nil for none).
//
// It does on the client what the run would otherwise fail on, so that
// nothing is started that cannot run: the input is checked against the
// definition's input schema (with the compiler the interpreter uses; nil
// input for an object schema is taken as {}, as the run takes it), and the
// workflow id template is evaluated over the input.
//
// d is the definition as dsl.Prepare made it (validate.Result.Canonicalize
// fills it): its canonical form travels with the run, compressed, so no
// worker needs to know the definition, unless o.ByName.
func NewStart(d *dsl.Definition, input any, o StartOptions) (*Start, error) {
	if d == nil || d.Workflow == nil {
		return nil, errors.New("no definition")
	}
	norm := d.Workflow
	if input == nil && norm.Input["type"] == "object" {
		input = map[string]any{}
	}
	if err := checkStartInput(norm, input); err != nil {
		return nil, err
	}
	var err error
	id := o.ID
	if id == "" {
		if id, err = workflowID(norm, input); err != nil {
			return nil, err
		}
	}
	taskQueue := o.TaskQueue
	if taskQueue == "" {
		taskQueue = norm.Options.TaskQueue
	}
	opts, err := evalVisibility(norm.Options, input)
	if err != nil {
		return nil, err
	}
	so, err := startWorkflowOptions(opts, id, taskQueue)
	if err != nil {
		return nil, err
	}
	s := &Start{Options: so, WorkflowType: norm.Name, Args: []any{input}}
	if !o.ByName {
		compact, err := deflate(d.Canonical)
		if err != nil {
			return nil, err
		}
		if input == nil {
			s.Args = []any{compact}
		} else {
			s.Args = append(s.Args, compact)
		}
	}
	if err := checkStartSize(s.Args, !o.ByName); err != nil {
		return nil, err
	}
	return s, nil
}

// checkStartSize refuses a start whose arguments, the input and (when
// withDefinition, the last argument) the compressed definition, are over
// PayloadLimit: Temporal would refuse the start with a message that names
// neither.
func checkStartSize(args []any, withDefinition bool) error {
	var in, def int
	for i, a := range args {
		if b, ok := a.([]byte); ok && i == len(args)-1 && withDefinition {
			def = len(b)
		} else {
			in += payloadSize(a)
		}
	}
	n := in + def
	if n <= PayloadLimit {
		return nil
	}
	what := fmt.Sprintf("the run's input is %d bytes as JSON", n)
	if def > 0 {
		what = fmt.Sprintf("the run's input (%d bytes as JSON) and definition (%d bytes compressed, child definitions included) are %d bytes",
			in, def, n)
	}
	return fmt.Errorf("%s: %s, over the payload limit of %d bytes (Temporal's 2 MiB blob size limit); nothing was started", PayloadTooLargeType, what, PayloadLimit)
}

// checkStartInput checks input against the definition's input schema and
// lists every violation, sorted (the validator's order follows map order).
func checkStartInput(w *dsl.Workflow, input any) error {
	if w.Input == nil {
		return nil
	}
	sch, err := jsonschema.Compile(w.Input)
	if err != nil {
		return fmt.Errorf("input schema: %w", err)
	}
	res, err := sch.Validate(gojsonschema.NewGoLoader(input))
	if err != nil {
		return fmt.Errorf("check input: %w", err)
	}
	if res.Valid() {
		return nil
	}
	lines := make([]string, 0, len(res.Errors()))
	for _, e := range res.Errors() {
		field := strings.TrimPrefix(strings.TrimPrefix(e.Field(), "(root)"), ".")
		if field == "" {
			field = "input"
		} else {
			field = "input." + field
		}
		d := e.Description()
		if d != "" {
			d = strings.ToLower(d[:1]) + d[1:]
		}
		lines = append(lines, fmt.Sprintf("  %s: %s", field, d))
	}
	slices.Sort(lines)
	return fmt.Errorf("input does not match the input schema of %s; nothing was started:\n%s", w.Name, strings.Join(lines, "\n"))
}

// workflowID evaluates the definition's options.id over the input, or
// makes "<name>-<random>".
func workflowID(w *dsl.Workflow, input any) (string, error) {
	if w.Options.ID != "" {
		t, err := expression.Parse(w.Options.ID)
		if err != nil {
			return "", fmt.Errorf("options.id: %v", err)
		}
		v, err := t.Eval(map[string]any{"input": input})
		if err != nil {
			return "", fmt.Errorf("options.id: %v", err)
		}
		id := fmt.Sprint(v)
		if strings.TrimSpace(id) == "" {
			return "", errors.New("options.id evaluated to an empty id")
		}
		return id, nil
	}
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return w.Name + "-" + hex.EncodeToString(b[:]), nil
}

// evalVisibility returns a copy of o with its memo and search attribute
// values evaluated over the input: ${ ... } templates at any depth, as
// options.id is.
func evalVisibility(o *dsl.WorkflowOptions, input any) (*dsl.WorkflowOptions, error) {
	c := *o
	vars := map[string]any{"input": input}
	var err error
	if c.Memo, err = evalMap(o.Memo, vars, "options.memo"); err != nil {
		return nil, err
	}
	if c.SearchAttributes, err = evalMap(o.SearchAttributes, vars, "options.searchAttributes"); err != nil {
		return nil, err
	}
	return &c, nil
}

func evalMap(m map[string]any, vars map[string]any, path string) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	v, err := evalValue(m, vars, path)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

// evalValue evaluates the templates in v, a JSON-like value, over vars.
func evalValue(v any, vars map[string]any, path string) (any, error) {
	switch t := v.(type) {
	case string:
		tpl, err := expression.Parse(t)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		r, err := tpl.Eval(vars)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		return r, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for _, k := range dsl.SortedKeys(t) {
			e, err := evalValue(t[k], vars, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = e
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			r, err := evalValue(e, vars, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// reusePolicy and conflictPolicy name the SDK's id policies as the DSL
// spells them.
func reusePolicy(name string) (enumspb.WorkflowIdReusePolicy, bool) {
	switch name {
	case "allowDuplicate":
		return enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE, true
	case "allowDuplicateFailedOnly":
		return enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY, true
	case "rejectDuplicate":
		return enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE, true
	case "terminateIfRunning":
		// Deprecated by Temporal in favour of the conflict policy
		// terminateExisting, still honoured; the DSL keeps the name.
		return enumspb.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING, true //nolint:staticcheck // see above
	}
	return enumspb.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED, false
}

func conflictPolicy(name string) (enumspb.WorkflowIdConflictPolicy, bool) {
	switch name {
	case "fail":
		return enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL, true
	case "useExisting":
		return enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING, true
	case "terminateExisting":
		return enumspb.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING, true
	}
	return enumspb.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED, false
}

// startWorkflowOptions maps the definition's options (after defaults) onto
// the SDK's.
func startWorkflowOptions(o *dsl.WorkflowOptions, id, taskQueue string) (client.StartWorkflowOptions, error) {
	so := client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                taskQueue,
		WorkflowExecutionTimeout: time.Duration(o.ExecutionTimeout),
		WorkflowRunTimeout:       time.Duration(o.RunTimeout),
		WorkflowTaskTimeout:      time.Duration(o.TaskTimeout),
		CronSchedule:             o.Cron,
		StartDelay:               time.Duration(o.StartDelay),
		Memo:                     o.Memo,
		RetryPolicy:              RetryPolicy(o.Retry),
	}
	if o.IDReusePolicy != "" {
		p, ok := reusePolicy(o.IDReusePolicy)
		if !ok {
			return so, fmt.Errorf("options.idReusePolicy: unknown policy %q", o.IDReusePolicy)
		}
		so.WorkflowIDReusePolicy = p
	}
	if o.IDConflictPolicy != "" {
		p, ok := conflictPolicy(o.IDConflictPolicy)
		if !ok {
			return so, fmt.Errorf("options.idConflictPolicy: unknown policy %q", o.IDConflictPolicy)
		}
		so.WorkflowIDConflictPolicy = p
	}
	if len(o.SearchAttributes) > 0 {
		sa, err := SearchAttributes("options.searchAttributes", o.SearchAttributes)
		if err != nil {
			return so, err
		}
		so.TypedSearchAttributes = sa
	}
	return so, nil
}

// SearchAttributes types search attributes of a definition (path names
// them in errors) by their Go values (see searchAttributeUpdates); it
// serves the start options and the schedule's own.
func SearchAttributes(path string, m map[string]any) (temporal.SearchAttributes, error) {
	updates, err := searchAttributeUpdates(path, m)
	if err != nil {
		return temporal.SearchAttributes{}, err
	}
	return temporal.NewSearchAttributes(updates...), nil
}

// searchAttributeUpdates types search attributes by their Go values:
// strings are keywords, integers ints, numbers doubles, booleans bools,
// lists of strings keyword lists. path names m in errors. It serves the
// start options and the upsert step.
func searchAttributeUpdates(path string, m map[string]any) ([]temporal.SearchAttributeUpdate, error) {
	var updates []temporal.SearchAttributeUpdate
	for _, k := range dsl.SortedKeys(m) {
		switch v := m[k].(type) {
		case string:
			updates = append(updates, temporal.NewSearchAttributeKeyKeyword(k).ValueSet(v))
		case int:
			updates = append(updates, temporal.NewSearchAttributeKeyInt64(k).ValueSet(int64(v)))
		case float64:
			updates = append(updates, temporal.NewSearchAttributeKeyFloat64(k).ValueSet(v))
		case bool:
			updates = append(updates, temporal.NewSearchAttributeKeyBool(k).ValueSet(v))
		case []any:
			ss := make([]string, 0, len(v))
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("%s.%s: lists must hold strings", path, k)
				}
				ss = append(ss, s)
			}
			updates = append(updates, temporal.NewSearchAttributeKeyKeywordList(k).ValueSet(ss))
		default:
			return nil, fmt.Errorf("%s.%s: unsupported value %v", path, k, v)
		}
	}
	return updates, nil
}
