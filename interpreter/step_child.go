package interpreter

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// The steps that reach other workflows: child and signalWorkflow (see
// dsl/step_child.go).

type childNode struct {
	workflow value
	with     value
	id       value // nil: chosen by Temporal
	spec     *dsl.ChildStep
	retry    *temporal.RetryPolicy
	// envelope carries the child's bundled definition (child.file), so that
	// the child runs it without any worker knowing it by name; compact is
	// the same, compressed (changeCompactEnvelope). A definition inline in
	// the step (dsl.ChildStep.Definition) has both; one from the
	// definition's table (dsl.ChildStep.DefinitionHash) has compact alone,
	// always sent: no history recorded before the table has one.
	envelope, compact *Envelope
}

type signalNode struct {
	workflowID value
	runID      value
	name       string
	with       value
}

func (c *compiler) child(kp string, ch *dsl.ChildStep, vars []string) *childNode {
	cn := &childNode{
		workflow: c.value(kp+".workflow", ch.Workflow, vars),
		with:     c.value(kp+".with", ch.With, vars),
		spec:     ch,
		retry:    RetryPolicy(ch.Retry),
	}
	switch {
	case len(ch.Definition) > 0:
		hash := dsl.Hash(ch.Definition)
		cn.envelope = &Envelope{Definition: ch.Definition, Hash: hash}
		compact := NewEnvelope(ch.Definition, hash)
		cn.compact = &compact
	case ch.DefinitionHash != "":
		cn.compact = c.tableEnvelope(kp+".definitionHash", ch.DefinitionHash)
	}
	if ch.ID != "" {
		cn.id = c.value(kp+".id", ch.ID, vars)
	}
	return cn
}

// tableEnvelope returns the envelope of the child definition hash from
// the definition's table, made once per plan: the child's entry with the
// entries it needs itself, directly or through its own children, as its
// table (dsl.WithChildren), which are the bytes and the hash that dslrun
// makes of the child file on its own. Keys are visited in sorted order.
func (c *compiler) tableEnvelope(path, hash string) *Envelope {
	if e, ok := c.sent[hash]; ok {
		return e
	}
	if _, ok := c.children[hash]; !ok {
		c.errorf(path, "child definition %s is not in the definition's table of children", hash)
		return nil
	}
	// The entries reachable from hash, itself excluded.
	need := map[string]json.RawMessage{}
	queue := []string{hash}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		refs, err := c.childRefs(h)
		if err != nil {
			c.errorf(path, "child definition %s: %v", h, err)
			return nil
		}
		for _, r := range refs {
			if _, seen := need[r]; seen || r == hash {
				continue
			}
			body, ok := c.children[r]
			if !ok {
				c.errorf(path, "child definition %s names %s, which is not in the definition's table of children", h, r)
				return nil
			}
			need[r] = body
			queue = append(queue, r)
		}
	}
	def, err := dsl.WithChildren(c.children[hash], need)
	if err == nil && dsl.Hash(def) != hash {
		err = fmt.Errorf("its definition does not match its hash")
	}
	if err != nil {
		c.errorf(path, "child definition %s: %v", hash, err)
		return nil
	}
	e := NewEnvelope(def, hash)
	if c.sent == nil {
		c.sent = map[string]*Envelope{}
	}
	c.sent[hash] = &e
	return &e
}

// childRefs returns the hashes that the child steps of the table's entry
// hash refer to, sorted, decoding the entry once per plan.
func (c *compiler) childRefs(hash string) ([]string, error) {
	if refs, ok := c.refs[hash]; ok {
		return refs, nil
	}
	w, err := dsl.Unmarshal(c.children[hash])
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	dsl.Walk(w, func(_ string, s *dsl.Step) bool {
		if ch, ok := s.Body.(*dsl.ChildStep); ok && ch != nil && ch.DefinitionHash != "" {
			set[ch.DefinitionHash] = true
		}
		return true
	})
	refs := dsl.SortedKeys(set)
	if c.refs == nil {
		c.refs = map[string][]string{}
	}
	c.refs[hash] = refs
	return refs, nil
}

func (c *compiler) signalWorkflow(kp string, sw *dsl.SignalWorkflowStep, vars []string) *signalNode {
	return &signalNode{
		workflowID: c.value(kp+".workflowId", sw.WorkflowID, vars),
		runID:      c.value(kp+".runId", sw.RunID, vars),
		name:       sw.Signal,
		with:       c.value(kp+".with", sw.With, vars),
	}
}

// parentClosePolicy maps the DSL's parent close policies.
func parentClosePolicy(s string) (enumspb.ParentClosePolicy, bool) {
	switch s {
	case "", "terminate":
		return enumspb.PARENT_CLOSE_POLICY_TERMINATE, true
	case "requestCancel":
		return enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL, true
	case "abandon":
		return enumspb.PARENT_CLOSE_POLICY_ABANDON, true
	}
	return enumspb.PARENT_CLOSE_POLICY_UNSPECIFIED, false
}

// childWorkflow starts a child workflow and waits for its result, or only
// for its start when the step does not wait.
func (r *runner) childWorkflow(ctx workflow.Context, e *env, n *node, c *childNode) (any, error) {
	tv, err := e.eval(c.workflow)
	if err != nil {
		return nil, exprFailure(n.path, "child.workflow", err)
	}
	wfType, ok := tv.(string)
	if !ok || strings.TrimSpace(wfType) == "" {
		return nil, exprFailure(n.path, "child.workflow", fmt.Errorf("the workflow type must be a non-empty string, got %s %q", typeName(tv), text(tv)))
	}
	with, err := e.eval(c.with)
	if err != nil {
		return nil, exprFailure(n.path, "child.with", err)
	}
	id := ""
	if c.id != nil {
		iv, err := e.eval(c.id)
		if err != nil {
			return nil, exprFailure(n.path, "child.id", err)
		}
		id = text(iv)
	}
	pcp, ok := parentClosePolicy(c.spec.ParentClosePolicy)
	if !ok {
		return nil, exprFailure(n.path, "child.parentClosePolicy", fmt.Errorf("unknown parent close policy %q", c.spec.ParentClosePolicy))
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:               id,
		TaskQueue:                c.spec.TaskQueue,
		WorkflowExecutionTimeout: time.Duration(c.spec.ExecutionTimeout),
		WorkflowRunTimeout:       time.Duration(c.spec.RunTimeout),
		WorkflowTaskTimeout:      time.Duration(c.spec.TaskTimeout),
		RetryPolicy:              c.retry,
		ParentClosePolicy:        pcp,
		// A waited-for child is part of the step: when the run is cancelled,
		// wait for the child to end (its own cleanup included).
		WaitForCancellation: c.spec.Wait,
		StaticSummary:       n.summary,
	})
	what := fmt.Sprintf("child workflow %q", wfType)
	args := []any{with}
	switch {
	case c.envelope != nil:
		if newBehaviour(ctx, changeCompactEnvelope) {
			args = append(args, c.compact)
		} else {
			args = append(args, c.envelope)
		}
	case c.compact != nil:
		args = append(args, c.compact)
	}
	if f := checkPayload(ctx, n.path, fmt.Sprintf("the input of %s (with its definition)", what), args...); f != nil {
		return nil, f
	}
	fut := workflow.ExecuteChildWorkflow(cctx, wfType, args...)
	var exec workflow.Execution
	started := fut.GetChildWorkflowExecution()
	blocked := !started.IsReady()
	err = r.rootGet(ctx, started, &exec)
	r.waitedFor(ctx, blocked)
	if err != nil {
		return nil, errorFailure(n.path, what, wfType, err, nil)
	}
	if !c.spec.Wait {
		return map[string]any{"workflowId": exec.ID, "runId": exec.RunID}, nil
	}
	res, err := r.result(ctx, fut)
	if err != nil {
		return nil, errorFailure(n.path, what, wfType, err, c.retry)
	}
	return res, nil
}

func (r *runner) signalWorkflow(ctx workflow.Context, e *env, n *node, s *signalNode) (any, error) {
	idv, err := e.eval(s.workflowID)
	if err != nil {
		return nil, exprFailure(n.path, "signalWorkflow.workflowId", err)
	}
	runv, err := e.eval(s.runID)
	if err != nil {
		return nil, exprFailure(n.path, "signalWorkflow.runId", err)
	}
	with, err := e.eval(s.with)
	if err != nil {
		return nil, exprFailure(n.path, "signalWorkflow.with", err)
	}
	id := text(idv)
	if id == "" {
		return nil, exprFailure(n.path, "signalWorkflow.workflowId", fmt.Errorf("the workflow id is empty"))
	}
	if f := checkPayload(ctx, n.path, fmt.Sprintf("the argument of signal %q", s.name), with); f != nil {
		return nil, f
	}
	sent := workflow.SignalExternalWorkflow(ctx, id, text(runv), s.name, with)
	blocked := !sent.IsReady()
	err = r.rootGet(ctx, sent, nil)
	r.waitedFor(ctx, blocked)
	if err != nil {
		return nil, errorFailure(n.path, fmt.Sprintf("signal %q to workflow %q", s.name, id), "", err, nil)
	}
	return nil, nil
}
