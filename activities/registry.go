package activities

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/xeipuuv/gojsonschema"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
)

// ErrDuplicate is wrapped by the error [Registry.Register] returns when the
// name is already registered.
var ErrDuplicate = errors.New("already registered")

// Registry holds activities by name. The zero value is not usable: create one
// with [NewRegistry] or [Registry.Clone]. A Registry is safe for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	entries map[string]*entry
}

// entry is one registration. It is never modified after Register, so clones
// share entries.
type entry struct {
	spec Spec
	fn   any
	// input is the compiled input schema, nil when the spec has none.
	input *gojsonschema.Schema
	// inputDoc is the decoded input schema, used for "did you mean" hints.
	inputDoc any
}

// defaultRegistry is the process-wide registry that built-in bundles register
// into from init. It is the only mutable package-level state.
var defaultRegistry = NewRegistry()

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{entries: make(map[string]*entry)}
}

// Default returns the process-wide registry. Bundles such as
// [github.com/dslrun/dslrun/activities/builtin] register into it from init;
// a worker attaches it, usually through a [Registry.Clone].
func Default() *Registry {
	return defaultRegistry
}

// Register adds an activity to the [Default] registry. See [Registry.Register].
func Register(spec Spec, fn any) error {
	return defaultRegistry.Register(spec, fn)
}

// MustRegister adds an activity to the [Default] registry and panics if
// [Registry.Register] fails. Call it only from init, where a failure is a
// programming error, never with user input.
func MustRegister(spec Spec, fn any) {
	if err := defaultRegistry.Register(spec, fn); err != nil {
		panic(err)
	}
}

// Register adds the activity fn under spec.Name. fn must be a function that
// Temporal accepts as an activity taking the step's `with:` value:
//
//	func(ctx context.Context, in T) (R, error)
//	func(ctx context.Context, in T) error
//
// Register fails when the name is empty, contains spaces or control
// characters, uses Temporal's reserved "__temporal_" prefix or is already
// registered (the error wraps [ErrDuplicate]); when fn has another shape; or
// when spec.Input or spec.Output is not a valid draft-07 JSON schema with only
// local references. The input schema is compiled once, here.
func (r *Registry) Register(spec Spec, fn any) error {
	if err := checkName(spec.Name); err != nil {
		return err
	}
	if err := checkFn(fn); err != nil {
		return fmt.Errorf("activity %q: %w", spec.Name, err)
	}
	e := &entry{spec: spec.clone(), fn: fn}
	if len(e.spec.Input) == 0 {
		e.spec.Input = nil
	} else {
		schema, doc, err := compileSchema(e.spec.Input)
		if err != nil {
			return fmt.Errorf("activity %q: input schema: %w", spec.Name, err)
		}
		e.input, e.inputDoc = schema, doc
	}
	if len(e.spec.Output) == 0 {
		e.spec.Output = nil
	} else if _, _, err := compileSchema(e.spec.Output); err != nil {
		return fmt.Errorf("activity %q: output schema: %w", spec.Name, err)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.entries[spec.Name]; ok {
		return fmt.Errorf("activity %q: %w", spec.Name, ErrDuplicate)
	}
	r.entries[spec.Name] = e
	return nil
}

// Clone returns a new registry holding the same activities. Registering into
// the clone does not change r, nor the other way round.
func (r *Registry) Clone() *Registry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c := &Registry{entries: make(map[string]*entry, len(r.entries))}
	for name, e := range r.entries {
		c.entries[name] = e
	}
	return c
}

// Lookup returns the spec registered under name. A missing name is not an
// error: the activity may be served by a worker in another process or language.
func (r *Registry) Lookup(name string) (Spec, bool) {
	e := r.get(name)
	if e == nil {
		return Spec{}, false
	}
	return e.spec.clone(), true
}

// Names returns the registered names in sorted order.
func (r *Registry) Names() []string {
	r.mu.RLock()
	names := make([]string, 0, len(r.entries))
	for name := range r.entries {
		names = append(names, name)
	}
	r.mu.RUnlock()
	slices.Sort(names)
	return names
}

// Specs returns the registered specs sorted by name.
func (r *Registry) Specs() []Spec {
	entries := r.sorted()
	specs := make([]Spec, len(entries))
	for i, e := range entries {
		specs[i] = e.spec.clone()
	}
	return specs
}

// Attach registers every activity on w (a worker, or a test environment from
// go.temporal.io/sdk/testsuite) under its spec name, in name order, and a
// dynamic activity that fails any other activity type scheduled on w's task
// queue with a non-retryable [UnknownActivityType] error. Attach a registry
// once per worker. Like the SDK's own registration, it panics if w already
// has an activity of one of these names or a dynamic activity.
func (r *Registry) Attach(w worker.ActivityRegistry) {
	entries := r.sorted()
	known := make([]string, len(entries))
	for i, e := range entries {
		w.RegisterActivityWithOptions(adapt(e.fn), activity.RegisterOptions{Name: e.spec.Name})
		known[i] = e.spec.Name
	}
	w.RegisterDynamicActivity(&unknownActivity{known: known}, activity.DynamicRegisterOptions{})
}

func (r *Registry) get(name string) *entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.entries[name]
}

// sorted returns a snapshot of the entries in name order.
func (r *Registry) sorted() []*entry {
	r.mu.RLock()
	entries := make([]*entry, 0, len(r.entries))
	for _, e := range r.entries {
		entries = append(entries, e)
	}
	r.mu.RUnlock()
	slices.SortFunc(entries, func(a, b *entry) int { return strings.Compare(a.spec.Name, b.spec.Name) })
	return entries
}
