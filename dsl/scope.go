package dsl

import "slices"

// Scope names a place of a definition where expressions stand, by the
// variables visible there. It is the one table of scopes: the builder
// checks expressions against it and the interpreter's plan compiles them
// with it.
type Scope int

// Scopes.
const (
	// ScopeWorkflow: steps and output see input, state, steps and workflow.
	ScopeWorkflow Scope = iota
	// ScopeState: the initial values of state see input and workflow.
	ScopeState
	// ScopeStart: options.id, memo and search attributes, which the
	// client evaluates before the run starts, see input alone.
	ScopeStart
	// ScopeHandler is what signal, query and update handlers add to
	// ScopeWorkflow: args (the message's argument) and handler ({name}).
	ScopeHandler
	// ScopeCatch is what a catch block adds: error (the failure caught).
	ScopeCatch
)

// Variable names of the scopes.
const (
	VarInput    = "input"
	VarState    = "state"
	VarSteps    = "steps"
	VarWorkflow = "workflow"
	VarArgs     = "args"
	VarHandler  = "handler"
	VarError    = "error"
)

// Vars returns the variables of s; the caller owns the slice.
func (s Scope) Vars() []string {
	switch s {
	case ScopeWorkflow:
		return []string{VarInput, VarState, VarSteps, VarWorkflow}
	case ScopeState:
		return []string{VarInput, VarWorkflow}
	case ScopeStart:
		return []string{VarInput}
	case ScopeHandler:
		return []string{VarArgs, VarHandler}
	case ScopeCatch:
		return []string{VarError}
	}
	return nil
}

// WorkflowFields are the fields of the variable workflow: facts about the
// run, all replay-safe (now is workflow time). The interpreter fills
// exactly these (a test checks it), and validation refuses any other.
var WorkflowFields = []string{
	"attempt",                // the run's attempt, from 1 (workflow retries)
	"continueAsNewSuggested", // Temporal suggests continuing as new
	"historyLength",          // events in the run's history so far
	"id",                     // the workflow id
	"name",                   // the definition's name
	"now",                    // workflow time, a timestamp
	"runId",                  // the run id
	"taskQueue",              // the run's task queue
	"type",                   // the workflow type
}

// ReservedVars are the names that a forEach's as and index may not take:
// every variable some scope defines.
func ReservedVars() []string {
	var out []string
	for _, s := range []Scope{ScopeWorkflow, ScopeHandler, ScopeCatch} {
		out = append(out, s.Vars()...)
	}
	slices.Sort(out)
	return out
}
