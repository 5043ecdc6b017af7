package interpreter

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// Error types of the failures the interpreter raises itself. They are the
// Type of the *temporal.ApplicationError that ends a failed run.
const (
	// ExpressionErrorType: an expression failed to evaluate, exceeded one of
	// its limits, or gave a value of the wrong type. Non-retryable and never
	// handled by catch: it is a bug in the definition.
	ExpressionErrorType = "dslrun.ExpressionError"
	// LimitExceededType: the run did too much work without waiting (a loop
	// that never blocks). Non-retryable, never handled by catch.
	LimitExceededType = "dslrun.LimitExceeded"
	// DefinitionErrorType: the run has no usable definition (unknown name,
	// hash mismatch, a definition this interpreter cannot compile).
	DefinitionErrorType = "dslrun.DefinitionError"
	// InputErrorType: the workflow input does not match the definition's
	// input schema.
	InputErrorType = "dslrun.InputError"
	// DefaultFailType is the type of a fail step that names none.
	DefaultFailType = "Fail"
	// ErrorType is the type of a failure that carries no type of its own.
	ErrorType = "Error"
)

// Type names that catch can match besides application error types.
const (
	TimeoutType         = "Timeout"
	ActivityTimeoutType = "ActivityTimeout"
	ChildTimeoutType    = "ChildWorkflowTimeout"
	CanceledType        = "Canceled"
	TerminatedType      = "Terminated"
	PanicType           = "Panic"
)

// failure is a step that failed, attributed to the innermost step's path.
// It travels up through the step tree as an error until a catch handles it
// or it ends the run.
type failure struct {
	path string
	// what describes the failing operation: `activity "ChargeCard"`,
	// `child workflow "send-receipt"`, "fail", "expression".
	what string
	// activity is the activity or child workflow type, when there is one.
	activity string
	typ      string
	// types are all the type names that catch may match, typ among them.
	types        []string
	message      string
	details      any
	nonRetryable bool
	attempt      any
	// cause is the error Temporal returned, nil for failures raised by the
	// interpreter (fail steps, expressions).
	cause error
	// uncatchable failures skip catch blocks (finally still runs).
	uncatchable bool
}

func (f *failure) Error() string {
	var msg string
	if f.what != "" {
		msg = fmt.Sprintf("%s: %s failed: %s", f.path, f.what, f.message)
	} else {
		msg = fmt.Sprintf("%s: %s", f.path, f.message)
	}
	return msg
}

func (f *failure) Unwrap() error { return f.cause }

// matches reports whether a catch with these types handles f.
func (f *failure) matches(types []string) bool {
	if f.uncatchable {
		return false
	}
	if len(types) == 0 || slices.Contains(types, "*") {
		return true
	}
	for _, t := range types {
		if slices.Contains(f.types, t) {
			return true
		}
	}
	return false
}

// info is the value of the variable error in catch and of
// steps.<id>.error.
func (f *failure) info() map[string]any {
	m := map[string]any{
		"type":         f.typ,
		"message":      f.message,
		"details":      f.details,
		"nonRetryable": f.nonRetryable,
		"step":         f.path,
		"activity":     nil,
		"attempt":      f.attempt,
		"cause":        nil,
	}
	if f.activity != "" {
		m["activity"] = f.activity
	}
	if f.cause != nil {
		m["cause"] = f.cause.Error()
	}
	return m
}

// runError is the error a run (or an update) ends with: an application
// error of the failure's own type, its message prefixed by the step path,
// with the original error as its cause.
func (f *failure) runError() error {
	opts := temporal.ApplicationErrorOptions{NonRetryable: f.nonRetryable, Cause: f.cause}
	if f.details != nil {
		opts.Details = []any{f.details}
	}
	return temporal.NewApplicationErrorWithOptions(f.Error(), f.typ, opts)
}

// exprFailure is an expression that failed in the step at path.
func exprFailure(path, field string, err error) *failure {
	msg := err.Error()
	if field != "" {
		msg = field + ": " + msg
	}
	return &failure{
		path:         path,
		typ:          ExpressionErrorType,
		types:        []string{ExpressionErrorType},
		message:      msg,
		nonRetryable: true,
		uncatchable:  true,
	}
}

// limitFailure is work beyond the interpreter's limits.
func limitFailure(path, msg string) *failure {
	return &failure{
		path:         path,
		typ:          LimitExceededType,
		types:        []string{LimitExceededType},
		message:      msg,
		nonRetryable: true,
		uncatchable:  true,
	}
}

// errorFailure attributes err, returned by Temporal for the step at path,
// to that step. what names the operation; retry is the step's retry policy
// (nil when none or unknown), used to tell whether the failure was final
// and which attempt failed last.
func errorFailure(path, what, activity string, err error, retry *temporal.RetryPolicy) *failure {
	f := &failure{path: path, what: what, activity: activity, cause: err}
	inActivity, inChild := false, false
	var retryState enumspb.RetryState
	add := func(t string) {
		if t != "" && !slices.Contains(f.types, t) {
			f.types = append(f.types, t)
		}
	}
	primary := func(t, msg string) {
		if f.typ == "" {
			f.typ, f.message = t, msg
		}
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch t := e.(type) {
		case *temporal.ActivityError:
			inActivity = true
			if retryState == enumspb.RETRY_STATE_UNSPECIFIED {
				retryState = t.RetryState()
			}
		case *temporal.ChildWorkflowExecutionError:
			inChild = true
			if retryState == enumspb.RETRY_STATE_UNSPECIFIED {
				retryState = t.RetryState()
			}
		case *temporal.ApplicationError:
			add(t.Type())
			if f.typ == "" && t.Type() != "" {
				f.nonRetryable = t.NonRetryable()
				f.details = errorDetails(t)
			}
			primary(t.Type(), t.Message())
		case *temporal.TimeoutError:
			add(TimeoutType)
			tt := TimeoutType
			switch {
			case inActivity:
				tt = ActivityTimeoutType
			case inChild:
				tt = ChildTimeoutType
			}
			add(tt)
			primary(tt, t.Error())
		case *temporal.CanceledError:
			add(CanceledType)
			primary(CanceledType, t.Error())
		case *temporal.TerminatedError:
			add(TerminatedType)
			primary(TerminatedType, t.Error())
		case *temporal.PanicError:
			add(PanicType)
			primary(PanicType, t.Error())
		}
	}
	if f.typ == "" {
		f.typ, f.message = ErrorType, err.Error()
		add(ErrorType)
	}
	if retryState == enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE ||
		(retry != nil && slices.Contains(retry.NonRetryableErrorTypes, f.typ)) {
		f.nonRetryable = true
	}
	// The server reports why retries stopped; the test environment does
	// not, and then a retryable failure that is not a timeout can only
	// mean that the attempts ran out.
	outOfAttempts := retryState == enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED ||
		(retryState == enumspb.RETRY_STATE_UNSPECIFIED && !f.nonRetryable && !slices.Contains(f.types, TimeoutType) && !slices.Contains(f.types, CanceledType))
	if retry != nil && retry.MaximumAttempts > 0 && outOfAttempts && (inActivity || inChild) {
		f.attempt = int(retry.MaximumAttempts)
	}
	return f
}

// errorDetails decodes the first detail of an application error into the
// value model, or nil.
func errorDetails(e *temporal.ApplicationError) any {
	if !e.HasDetails() {
		return nil
	}
	var raw json.RawMessage
	if err := details(e, &raw); err == nil {
		if v, err := decodeJSON(raw); err == nil {
			return v
		}
	}
	var v any
	if err := details(e, &v); err == nil {
		if n, err := normalize(v); err == nil {
			return n
		}
	}
	return nil
}

// details calls e.Details, which panics instead of failing when the
// details were never encoded (a local activity's error on its first
// execution holds the Go values it was made with) and are not assignable
// to ptr.
func details(e *temporal.ApplicationError, ptr any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("details: %v", p)
		}
	}()
	return e.Details(ptr)
}

// returnSignal is a return step ending the run with value. It travels up
// the step tree like an error but is not a failure.
type returnSignal struct{ value any } //nolint:errname // a control signal carried as an error, not a failure

func (*returnSignal) Error() string { return "return" }

// continueSignal is a continue-as-new ending the run.
type continueSignal struct { //nolint:errname // a control signal carried as an error, not a failure
	input any
	carry *Carry
	// path is the continueAsNew step's, or "continueAsNew" for an automatic
	// one.
	path string
}

func (*continueSignal) Error() string { return "continue as new" }

// isControl reports whether err is a return or a continue-as-new.
func isControl(err error) bool {
	switch err.(type) {
	case *returnSignal, *continueSignal:
		return true
	}
	return false
}
