package interpreter

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// WorkflowType is the fixed workflow type of the interpreter, for runs that
// carry their definition inline (argument 1, an Envelope). Runs of a named
// definition use the definition's own name as their workflow type.
const WorkflowType = "dslrun.run"

// StateQuery is the built-in query every run answers, returning
// {state, steps, current}: the state variables, the results of the steps
// with an id, and the paths of the steps running now.
const StateQuery = "dslrun.state"

// Definitions finds canonical definitions (dsl.Canonical) by name, for runs
// started by name without an Envelope. Lookup is called from workflow code
// once per run, inside workflow.SideEffect, so its answer is recorded in the
// run's history and never consulted again on replay. It must be safe for
// concurrent use.
type Definitions interface {
	Lookup(name string) (canonical []byte, ok bool)
}

// DefinitionsFunc adapts a function to Definitions.
type DefinitionsFunc func(name string) (canonical []byte, ok bool)

// Lookup calls f.
func (f DefinitionsFunc) Lookup(name string) ([]byte, bool) { return f(name) }

// Options configure the interpreter registered on a worker.
type Options struct {
	// Definitions serves runs started by name without an Envelope; nil
	// means such runs fail with DefinitionErrorType.
	Definitions Definitions
}

// Envelope is the optional second workflow argument: the canonical
// definition and its hash; continue-as-new adds the carried state. Any
// other client may start a definition with its input alone. NewEnvelope
// makes one, compressed; Canonical reads either form. dslrun apply
// (NewStart) sends the compact start instead, which DecodeArgs turns into
// an Envelope.
type Envelope struct {
	// Definition is the canonical definition (dsl.Canonical), as JSON.
	Definition json.RawMessage `json:"definition,omitempty"`
	// Deflated is the canonical definition compressed (see NewEnvelope),
	// base64 in JSON, instead of Definition.
	Deflated []byte `json:"deflated,omitempty"`
	// Hash is dsl.Hash of Definition; checked when set.
	Hash string `json:"hash,omitempty"`
	// Carry is the state handed over by continue-as-new.
	Carry *Carry `json:"carry,omitempty"`
}

// Carry is what a run hands to the next one when it continues as new.
type Carry struct {
	// State holds the state variables.
	State map[string]any `json:"state,omitempty"`
	// Steps maps the ids of top-level-scope steps to their {result} (or
	// {error}) entries.
	Steps map[string]any `json:"steps,omitempty"`
	// Next is the index of the top-level step the new run starts at: 0 after
	// an explicit continueAsNew, the next step (or the current top-level
	// while loop) after an automatic one.
	Next int `json:"next,omitempty"`
	// Resume, when set, is the position the new run starts at, as a path
	// through nested step lists: the index of a top-level step, then for
	// each enclosing while, if or switch the list inside it (while body 0;
	// if then 0, else 1; switch case i, default len(cases)) and the index
	// of the step in that list. Next is Resume[0].
	Resume []int `json:"resume,omitempty"`
	// Runs counts the runs of this chain before the new one.
	Runs int `json:"runs,omitempty"`
	// Loop, when set, is the forEach at Resume (or Next) that the run
	// continued as new in, between two of its iterations.
	Loop *LoopCarry `json:"loop,omitempty"`
	// Await, when set, is the await with a timeout at Resume (or Next) that
	// the run continued as new in, while it waited.
	Await *AwaitCarry `json:"await,omitempty"`
}

// AwaitCarry is an await with a timeout that was waiting when an automatic
// continue-as-new happened.
type AwaitCarry struct {
	// At is the path of the await step, as in Carry.Resume.
	At []int `json:"at"`
	// Deadline is when its timeout passes, in workflow time: the new run
	// waits only what is left.
	Deadline time.Time `json:"deadline"`
}

// LoopCarry is a forEach in the middle of its items, handed over by an
// automatic continue-as-new.
type LoopCarry struct {
	// At is the path of the forEach step, as in Carry.Resume.
	At []int `json:"at"`
	// Next is the index of the first item not run yet; every item before
	// it has ended.
	Next int `json:"next"`
	// Results are the results of the items before Next.
	Results []any `json:"results,omitempty"`
	// Items are the items from Next on. They are not carried when the
	// items expression reads nothing but the input (or nothing at all): the
	// new run evaluates it again, to the same list.
	Items []any `json:"items,omitempty"`
}

// UnmarshalJSON decodes a Carry keeping integers exact.
func (c *Carry) UnmarshalJSON(b []byte) error {
	var raw struct {
		State  json.RawMessage `json:"state"`
		Steps  json.RawMessage `json:"steps"`
		Next   int             `json:"next"`
		Resume []int           `json:"resume"`
		Runs   int             `json:"runs"`
		Await  *AwaitCarry     `json:"await"`
		Loop   *struct {
			At      []int           `json:"at"`
			Next    int             `json:"next"`
			Results json.RawMessage `json:"results"`
			Items   json.RawMessage `json:"items"`
		} `json:"loop"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	c.Next, c.Resume, c.Runs, c.Await = raw.Next, raw.Resume, raw.Runs, raw.Await
	if l := raw.Loop; l != nil {
		c.Loop = &LoopCarry{At: l.At, Next: l.Next}
		for _, f := range []struct {
			src json.RawMessage
			dst *[]any
		}{{l.Results, &c.Loop.Results}, {l.Items, &c.Loop.Items}} {
			v, err := decodeJSON(f.src)
			if err != nil {
				return err
			}
			switch t := v.(type) {
			case nil:
			case []any:
				*f.dst = t
			default:
				return fmt.Errorf("carry: loop: expected a list, got %s", typeName(v))
			}
		}
	}
	for _, f := range []struct {
		src json.RawMessage
		dst *map[string]any
	}{{raw.State, &c.State}, {raw.Steps, &c.Steps}} {
		v, err := decodeJSON(f.src)
		if err != nil {
			return err
		}
		switch m := v.(type) {
		case nil:
			*f.dst = nil
		case map[string]any:
			*f.dst = m
		default:
			return fmt.Errorf("carry: expected an object, got %s", typeName(v))
		}
	}
	return nil
}

// Register registers the interpreter on w (a worker, a replayer or a test
// environment): as a dynamic workflow, so that any workflow type without a
// registration of its own runs the definition of that name, and under
// WorkflowType for inline definitions. It panics, like the SDK's own
// registration, if w already has a dynamic workflow or WorkflowType.
func Register(w worker.WorkflowRegistry, opts Options) {
	newInterpreter(opts).register(w)
}

func newInterpreter(opts Options) *interpreter {
	return &interpreter{defs: opts.Definitions, plans: map[string]*plan{}}
}

func (in *interpreter) register(w worker.WorkflowRegistry) {
	w.RegisterWorkflowWithOptions(in.runInline, workflow.RegisterOptions{Name: WorkflowType})
	w.RegisterDynamicWorkflow(in.runDynamic, workflow.DynamicRegisterOptions{})
}

// interpreter is the registered workflow: the definitions source and a
// cache of compiled plans, keyed by definition hash. A plan is a pure
// function of the definition's bytes, so the cache cannot change what a run
// does, only how fast it starts.
type interpreter struct {
	defs Definitions

	mu    sync.Mutex
	plans map[string]*plan
}

// maxPlans bounds the plan cache.
const maxPlans = 256

// plan returns the compiled plan of a canonical definition.
func (in *interpreter) plan(def []byte) (*plan, error) {
	hash := dsl.Hash(def)
	in.mu.Lock()
	p := in.plans[hash]
	in.mu.Unlock()
	if p != nil {
		return p, nil
	}
	w, err := dsl.Unmarshal(def)
	if err != nil {
		return nil, err
	}
	p, err = compilePlan(w)
	if err != nil {
		return nil, err
	}
	p.def = def
	in.mu.Lock()
	if len(in.plans) >= maxPlans {
		clear(in.plans)
	}
	in.plans[hash] = p
	in.mu.Unlock()
	return p, nil
}

// checkHash reports whether def matches hash. The payload converter may
// re-encode the definition (json.Marshal escapes <, > and &), so a
// mismatch is checked again on the canonical re-encoding.
func checkHash(def []byte, hash string) bool {
	if hash == "" || dsl.Hash(def) == hash {
		return true
	}
	w, err := dsl.Unmarshal(def)
	if err != nil {
		return false
	}
	c, err := dsl.Canonical(w)
	if err != nil {
		return false
	}
	return dsl.Hash(c) == hash
}
