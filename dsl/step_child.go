package dsl

import (
	"encoding/json"
	"strings"
)

// The steps that reach other workflows: child and signalWorkflow.

// Step kinds of this file.
const (
	// KindChild starts a child workflow; its Body is *ChildStep.
	KindChild Kind = "child"
	// KindSignalWorkflow signals another workflow; its Body is
	// *SignalWorkflowStep.
	KindSignalWorkflow Kind = "signalWorkflow"
)

// ChildStep starts a child workflow.
type ChildStep struct {
	// Workflow is the workflow type: a definition name or any type. With
	// File, it is the name of the definition in that file.
	Workflow string `json:"workflow"`
	// File is the path of a definition file, relative to the definition
	// that names it. The validation pipeline (package dsl/validate)
	// reads and validates it and sets Bundled, so that the child runs with
	// the parent's bundled copy: no worker needs to know it, and editing
	// the file never changes a run in flight.
	File string `json:"-"`
	// Bundled is File's definition, prepared (Prepare), set by the
	// validation pipeline. Prepare records it once in the parent's table
	// (Workflow.Children) and sets DefinitionHash.
	Bundled *Definition `json:"-"`
	// Definition is the canonical form of File's definition inline, as
	// definitions prepared before the table (Workflow.Children) recorded
	// it; the interpreter still passes it to the child run. Prepare no
	// longer sets it.
	Definition json.RawMessage `json:"definition,omitempty"`
	// DefinitionHash names the child's definition in the table of the
	// outermost definition (Workflow.Children): the hash of the child's
	// own canonical form, as the child file prepared on its own has it.
	DefinitionHash string `json:"definitionHash,omitempty"`
	With           Value  `json:"with,omitempty"`
	// ID is the child's workflow id; a template. Empty: derived by Temporal.
	ID        string `json:"id,omitempty"`
	TaskQueue string `json:"taskQueue,omitempty"`
	// Wait is whether the step waits for the child's result (default true).
	Wait bool `json:"wait"`
	// ParentClosePolicy is one of terminate (default), requestCancel, abandon.
	ParentClosePolicy string       `json:"parentClosePolicy"`
	ExecutionTimeout  Duration     `json:"executionTimeout,omitempty"`
	RunTimeout        Duration     `json:"runTimeout,omitempty"`
	TaskTimeout       Duration     `json:"taskTimeout,omitempty"`
	Retry             *RetryPolicy `json:"retry,omitempty"`
}

// SignalWorkflowStep signals another workflow.
type SignalWorkflowStep struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId,omitempty"`
	Signal     string `json:"signal"`
	With       Value  `json:"with,omitempty"`
}

func (*ChildStep) children(_, _ string) []stepList          { return nil }
func (*SignalWorkflowStep) children(_, _ string) []stepList { return nil }

// ParentClosePolicies are the values of child.parentClosePolicy.
var ParentClosePolicies = []string{"terminate", "requestCancel", "abandon"}

func init() {
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindChild, Def: "childStep", Doc: "Starts a child workflow.", Example: "`child: {workflow: send-receipt, with: \"${ input }\"}`"},
		order:    120,
		defs: []*Def{
			{
				Name: "childStep",
				Doc:  "Starts a child workflow.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "child", Doc: "The child workflow to start.", Example: "`child: {workflow: send-receipt, with: \"${ input }\", parentClosePolicy: abandon}`", Required: true, Ref: "childOptions"},
				},
			},
			{
				Name:  "childOptions",
				Label: "[child options](#child)",
				Keys: []Key{
					{Name: "workflow", Doc: "Workflow type of the child: the name of a dslrun definition, or any workflow type; may be a template. Give workflow or file.", Example: "`workflow: send-receipt`", Ref: "template"},
					{Name: "file", Doc: "Path of a definition file (.yaml or .yml), relative to this definition, to start as the child: dslrun validates it and bundles it into this definition, so no worker needs to know it and editing the file never changes a run in flight. Give workflow or file.", Example: "`file: ./send-receipt.yaml`", Schema: map[string]any{
						"type":                "string",
						"pattern":             `\.ya?ml$`,
						"patternErrorMessage": "want a .yaml or .yml file",
					}},
					{Name: "with", Ref: "withValue"},
					{Name: "id", Doc: "Workflow id of the child; a template.", Default: "derived by Temporal", Example: "`id: receipt-${ input.orderId }`", Ref: "template"},
					{Name: "taskQueue", Doc: "Task queue of the child.", Default: "the parent's", Example: "`taskQueue: receipts`", Ref: "nonEmptyString"},
					{Name: "wait", Doc: "Wait for the child's result.", Default: "true", Example: "`wait: false`", Schema: map[string]any{
						"type":    "boolean",
						"default": true,
					}},
					{Name: "parentClosePolicy", Doc: "What happens to the child when the parent closes first.", Default: "terminate", Example: "`parentClosePolicy: abandon`", Schema: map[string]any{
						"type":    "string",
						"enum":    list(ParentClosePolicies...),
						"default": "terminate",
					}},
					{Name: "executionTimeout", Doc: "Longest time the child may take, retries included.", Default: "unlimited", Example: "`executionTimeout: 1h`", Ref: "positiveDuration"},
					{Name: "runTimeout", Doc: "Longest time one run of the child may take.", Default: "unlimited", Example: "`runTimeout: 30m`", Ref: "positiveDuration"},
					{Name: "taskTimeout", Doc: "Longest time a worker may take to process one workflow task of the child.", Default: "10s", Example: "`taskTimeout: 10s`", Ref: "positiveDuration"},
					{Name: "retry", Doc: "Retry policy of the child workflow.", Default: "no retries", Example: "`retry: {maximumAttempts: 3}`", Ref: "retryPolicy"},
				},
				Schema: map[string]any{
					"oneOf": []any{
						map[string]any{
							"required": list("workflow"),
						},
						map[string]any{
							"required": list("file"),
						},
					},
				},
			},
		},
		decode: decodeBody[*ChildStep],
		build:  buildChild,
	})
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindSignalWorkflow, Def: "signalWorkflowStep", Doc: "Signals another workflow.", Example: "`signalWorkflow: {workflowId: \"${ input.parentId }\", signal: done}`"},
		order:    130,
		defs: []*Def{
			{
				Name: "signalWorkflowStep",
				Doc:  "Sends a signal to another workflow.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "signalWorkflow", Doc: "The workflow to signal, and the signal.", Example: "`signalWorkflow: {workflowId: \"${ input.parentId }\", signal: approve, with: {user: bob}}`", Required: true, Ref: "signalWorkflowOptions"},
				},
			},
			{
				Name:  "signalWorkflowOptions",
				Label: "mapping (below)",
				Keys: []Key{
					{Name: "workflowId", Doc: "Workflow id of the target; a template.", Example: "`workflowId: order-${ input.orderId }`", Required: true, Ref: "template"},
					{Name: "runId", Doc: "Run id of the target; a template.", Default: "its current run", Example: "`runId: \"${ input.runId }\"`", Ref: "template"},
					{Name: "signal", Doc: "Name of the signal.", Example: "`signal: approve`", Required: true, Ref: "nonEmptyString"},
					{Name: "with", Ref: "withValue"},
				},
			},
		},
		decode: decodeBody[*SignalWorkflowStep],
		build:  buildSignalWorkflow,
	})
}

func buildChild(b *builder, s stepSrc) Body {
	n, path, sc := s.kv, s.kp, s.sc
	f, ok := b.fields(n, path, keysOf("childOptions"))
	if !ok {
		return (*ChildStep)(nil)
	}
	c := &ChildStep{Wait: true, ParentClosePolicy: "terminate"}
	switch {
	case f.has("workflow") && f.has("file"):
		b.errorf(f.key("file"), join(path, "file"), CodeValue, "a child names its workflow or its file, not both")
	case f.has("file"):
		if file, ok := b.nonEmpty(f.val("file"), join(path, "file")); ok {
			if !strings.HasSuffix(file, ".yaml") && !strings.HasSuffix(file, ".yml") {
				b.errorf(f.val("file"), join(path, "file"), CodeValue, "child file %q must be a .yaml or .yml file", file)
			}
			c.File = file
		}
	case b.require(f, n, path, "workflow"):
		c.Workflow, _ = b.template(f.val("workflow"), join(path, "workflow"), sc)
	}
	b.readKeys(f, n, path, "childOptions", c, sc, "workflow", "file")
	return c
}

func buildSignalWorkflow(b *builder, s stepSrc) Body {
	n, path, sc := s.kv, s.kp, s.sc
	f, ok := b.fields(n, path, keysOf("signalWorkflowOptions"))
	if !ok {
		return (*SignalWorkflowStep)(nil)
	}
	st := &SignalWorkflowStep{}
	b.readKeys(f, n, path, "signalWorkflowOptions", st, sc)
	return st
}
