package interpreter

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// UpdateRejectedType is the error type of an update that its validator
// rejects (arguments not matching the schema, validate false or failing);
// such an update never reaches history.
const UpdateRejectedType = "dslrun.UpdateRejected"

// registerHandlers installs the definition's queries, signals and updates
// and the built-in StateQuery. It runs before the first step, so that
// signals and updates that arrived with the start are seen.
func (r *runner) registerHandlers(ctx workflow.Context) error {
	var errs []error
	if err := workflow.SetQueryHandler(ctx, StateQuery, func() (any, error) {
		s := r.snapshot()
		if err := checkQueryResult(StateQuery, s); err != nil {
			return nil, err
		}
		return s, nil
	}); err != nil {
		errs = append(errs, fmt.Errorf("query %q: %w", StateQuery, err))
	}
	for _, name := range r.plan.queryNames {
		q := r.plan.queries[name]
		err := workflow.SetQueryHandler(ctx, name, func(raw json.RawMessage) (any, error) {
			args, err := decodeJSON(raw)
			if err != nil {
				return nil, fmt.Errorf("query %q: arguments: %w", name, err)
			}
			qe := r.env(ctx, r.handlerScope(name, args))
			qe.query = true
			v, err := qe.eval(q)
			if err != nil {
				return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("query %q: %v", name, err), ExpressionErrorType, nil)
			}
			if err := checkQueryResult(name, v); err != nil {
				return nil, err
			}
			return v, nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("query %q: %w", name, err))
		}
	}
	for _, name := range r.plan.updateNames {
		if err := r.registerUpdate(ctx, r.plan.updates[name]); err != nil {
			errs = append(errs, fmt.Errorf("update %q: %w", name, err))
		}
	}
	// Signals are received by the run's root coroutine (signalTurn), not
	// by coroutines of their own.
	for _, name := range r.plan.signalNames {
		r.signalChans = append(r.signalChans, workflow.GetSignalChannel(ctx, name))
	}
	r.anySignalLive = r.plan.anySignal != nil
	return errors.Join(errs...)
}

// signalTurn handles every signal pending, as the run's root coroutine
// does before the first step, on each pass while the steps block
// (rootTurn), each time before it blocks once they ended (rootAwait) and
// once more before it returns.
//
// The first releases received signals in coroutines of their own, one per
// declared signal, created in the order of r.plan.signalNames, and one for
// the catch-all (*), all created right after the root and before the
// steps' coroutine. The root coroutine only waited while they ran, and
// the SDK runs coroutines in the order they were created, each until it
// blocks: so the signal coroutines took their turn right after the root
// had blocked. signalTurn is that turn, in the same order (each declared
// signal's pending values, oldest first; then the catch-all's), taken at
// the same points: a run handles the same signals at the same moments and
// records the same history, with one coroutine (a goroutine and its stack)
// fewer per signal handler.
func (r *runner) signalTurn(ctx workflow.Context) {
	for i, name := range r.plan.signalNames {
		r.receiveAll(ctx, r.plan.signals[name], name, r.signalChans[i])
	}
	if !r.anySignalLive {
		return
	}
	// The catch-all's coroutine waited (workflow.Await on the run's
	// context) for signals nobody declared, and ended once the run was
	// cancelled with none pending.
	for {
		names := r.otherSignals(ctx)
		if len(names) == 0 {
			if ctx.Err() != nil {
				r.anySignalLive = false
			}
			return
		}
		for _, name := range names {
			r.receiveAll(ctx, r.plan.anySignal, name, nil)
		}
	}
}

// signalsPending reports whether signalTurn has something to do: a
// declared signal pending, or for the catch-all a signal nobody declared
// or the run's cancellation.
func (r *runner) signalsPending(ctx workflow.Context) bool {
	for _, ch := range r.signalChans {
		if ch.Len() > 0 {
			return true
		}
	}
	return r.anySignalLive && (ctx.Err() != nil || len(r.otherSignals(ctx)) > 0)
}

// rootAwait is the root coroutine's workflow.Await(ctx, cond) once the
// steps ended: it returns at once when cond holds, and otherwise takes the
// signals' turn (signalTurn) each time before it blocks, until cond holds
// or the run is cancelled. ctx is the run's context.
func (r *runner) rootAwait(ctx workflow.Context, cond func() bool) error {
	if cond() {
		return nil
	}
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.signalTurn(ctx)
		// Block at least once (the condition's first answer is false), as
		// the root did before the signals' turn; then wake for cond, the
		// cancellation, or a signal.
		asked, woke, cancelled := false, false, false
		_ = workflow.Await(r.waitCtx, func() bool {
			switch {
			case !asked:
				asked = true
				return false
			case cond():
				woke = true
			case ctx.Err() != nil:
				cancelled = true
			default:
				return r.signalsPending(ctx)
			}
			return true
		})
		if woke {
			return nil
		}
		if cancelled {
			return ctx.Err()
		}
	}
}

// uncancellable is a workflow context that cancellation never reaches:
// workflow.Await checks a context's Done channel only when it has one, so
// an Await on it waits for its condition alone, as it does on a context
// from workflow.NewDisconnectedContext whose cancel function is never
// called, without that context's channel and converter (about 300 bytes
// an open run). It carries ctx's values, the coroutine among them, so it
// serves only the coroutine that ctx belongs to.
type uncancellable struct{ workflow.Context }

func (uncancellable) Done() workflow.Channel { return nil }
func (uncancellable) Err() error             { return nil }

// handlerScope is the scope of a handler: args and handler.name.
func (r *runner) handlerScope(name string, args any) *scope {
	return r.root.child(false, binding{dsl.VarArgs, args}, binding{dsl.VarHandler, map[string]any{"name": name}})
}

// otherSignals lists, sorted, the signals pending that no declared handler
// takes.
func (r *runner) otherSignals(ctx workflow.Context) []string {
	var out []string
	for _, name := range workflow.GetUnhandledSignalNames(ctx) {
		if _, declared := r.plan.signals[name]; !declared {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// receiveAll handles every signal pending on the channel name (ch, or
// the SDK's channel of that name when ch is nil).
func (r *runner) receiveAll(ctx workflow.Context, sp *signalPlan, name string, ch workflow.ReceiveChannel) bool {
	if ch == nil {
		ch = workflow.GetSignalChannel(ctx, name)
	}
	handled := false
	for {
		var raw json.RawMessage
		if !ch.ReceiveAsync(&raw) {
			return handled
		}
		r.onSignal(ctx, sp, name, raw)
		handled = true
	}
}

// drainSignals handles the signals that arrived but were not received yet.
// It reports whether there were any.
func (r *runner) drainSignals(ctx workflow.Context) bool {
	handled := false
	for i, name := range r.plan.signalNames {
		handled = r.receiveAll(ctx, r.plan.signals[name], name, r.signalChans[i]) || handled
	}
	if sp := r.plan.anySignal; sp != nil {
		for _, name := range r.otherSignals(ctx) {
			handled = r.receiveAll(ctx, sp, name, nil) || handled
		}
	}
	return handled
}

// onSignal runs a signal handler: its set at once, its do steps in a
// coroutine of their own. A failure in either ends the run.
func (r *runner) onSignal(ctx workflow.Context, sp *signalPlan, name string, raw json.RawMessage) {
	args, err := decodeJSON(raw)
	if err != nil {
		workflow.GetLogger(ctx).Warn("dslrun: signal argument is not JSON; signal ignored", "signal", name, "error", err)
		return
	}
	r.messages++
	sc := r.handlerScope(name, args)
	path := "signals." + sp.name
	if len(sp.set) > 0 {
		if _, err := r.set(r.env(ctx, sc), path, sp.set); err != nil {
			r.stopWith(err)
			return
		}
	}
	if len(sp.do) == 0 {
		return
	}
	r.signalTasks++
	workflow.GoNamed(ctx, path+".do", func(ctx workflow.Context) {
		defer func() { r.signalTasks-- }()
		if _, err := r.execList(ctx, sc, sp.do); err != nil {
			r.stopWith(err)
		}
	})
}

// stopWith ends the run from a handler: with a failure, a return or a
// continue-as-new. The first one wins.
func (r *runner) stopWith(err error) {
	if r.stop == nil {
		r.stop = err
	}
}

func (r *runner) registerUpdate(ctx workflow.Context, up *updatePlan) error {
	name := up.name
	handler := func(ctx workflow.Context, raw json.RawMessage) (any, error) {
		args, err := decodeJSON(raw)
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("update %q: arguments: %v", name, err), UpdateRejectedType, nil)
		}
		r.messages++
		sc := r.handlerScope(name, args)
		if _, err := r.execList(ctx, sc, up.do); err != nil {
			switch c := err.(type) {
			case *returnSignal:
				r.stopWith(err)
				return c.value, nil // a return step measured it
			case *continueSignal:
				r.stopWith(err)
				return nil, nil
			}
			var f *failure
			if errors.As(err, &f) {
				if f.uncatchable {
					r.stopWith(f)
				}
				return nil, endError(ctx, f)
			}
			return nil, err
		}
		v, err := r.env(ctx, sc).eval(up.ret)
		if err != nil {
			f := exprFailure("updates."+name, "return", err)
			r.stopWith(f)
			return nil, f.runError()
		}
		if f := checkPayload(ctx, "updates."+name, fmt.Sprintf("the result of update %q", name), v); f != nil {
			return nil, f.runError()
		}
		return v, nil
	}
	validator := func(ctx workflow.Context, raw json.RawMessage) error {
		args, err := decodeJSON(raw)
		if err != nil {
			return rejected("update %q: arguments are not JSON: %v", name, err)
		}
		if up.args != nil {
			if err := checkSchema(up.args, args); err != nil {
				return rejected("update %q: invalid arguments: %v", name, err)
			}
		}
		if up.validate == nil {
			return nil
		}
		ok, err := r.env(ctx, r.handlerScope(name, args)).cond(up.validate)
		if err != nil {
			return rejected("update %q: validate: %v", name, err)
		}
		if !ok {
			return rejected("update %q rejected by its validate condition", name)
		}
		return nil
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, name, handler, workflow.UpdateHandlerOptions{Validator: validator})
}

func rejected(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), UpdateRejectedType, nil)
}

// snapshot is the answer to StateQuery.
func (r *runner) snapshot() map[string]any {
	steps := make(map[string]any, len(r.root.steps))
	for _, id := range dsl.SortedKeys(r.root.steps) {
		if e, ok := r.root.steps[id].(map[string]any); ok {
			if res, ok := e["result"]; ok {
				steps[id] = res
			}
		}
	}
	current := slices.Compact(slices.Sorted(slices.Values(r.running)))
	if current == nil {
		current = []string{}
	}
	return map[string]any{"state": maps.Clone(r.state), "steps": steps, "current": current}
}
