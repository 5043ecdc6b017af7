package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// fnShape is the accepted shape of an activity function, quoted in errors.
const fnShape = "func(context.Context, T) (R, error) or func(context.Context, T) error"

// checkFn reports whether fn has a shape that Temporal accepts as an activity
// and that can receive one `with:` value:
// func(context.Context, T) (R, error) or func(context.Context, T) error.
func checkFn(fn any) error {
	if fn == nil {
		return errors.New("fn is nil")
	}
	t := reflect.TypeOf(fn)
	if t.Kind() != reflect.Func {
		return fmt.Errorf("fn must be %s, got %s", fnShape, t)
	}
	if reflect.ValueOf(fn).IsNil() {
		return errors.New("fn is nil")
	}
	if t.IsVariadic() || t.NumIn() != 2 || t.In(0) != contextType {
		return fmt.Errorf("fn must be %s, got %s", fnShape, t)
	}
	if !decodable(t.In(1)) {
		return fmt.Errorf("fn input type %s cannot be decoded from JSON", t.In(1))
	}
	switch t.NumOut() {
	case 1:
		if t.Out(0) != errorType {
			return fmt.Errorf("fn must be %s, got %s", fnShape, t)
		}
	case 2:
		if t.Out(1) != errorType {
			return fmt.Errorf("fn must be %s, got %s", fnShape, t)
		}
		if !encodable(t.Out(0)) {
			return fmt.Errorf("fn result type %s cannot be encoded as JSON", t.Out(0))
		}
	default:
		return fmt.Errorf("fn must be %s, got %s", fnShape, t)
	}
	return nil
}

// decodable reports whether a JSON value can be decoded into a value of t.
// Interfaces other than any (such as error or context.Context) cannot be.
func decodable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		return false
	case reflect.Interface:
		return t.NumMethod() == 0
	}
	return true
}

// encodable reports whether values of t can be encoded as a Temporal payload.
func encodable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		return false
	}
	return true
}

// adapt wraps fn (of the shape checkFn accepts) into one uniform activity
// signature that takes the input as JSON. The SDK decodes a remote
// activity's payload into the declared parameter type, but calls a local
// activity with the workflow's arguments as they are; the interpreter
// therefore hands every activity its with: value as JSON (a remote payload
// is JSON already), and the wrapper decodes it into the parameter type
// exactly as the SDK's JSON converter would.
func adapt(fn any) func(ctx context.Context, in json.RawMessage) (any, error) {
	fv := reflect.ValueOf(fn)
	inType := fv.Type().In(1)
	return func(ctx context.Context, in json.RawMessage) (any, error) {
		arg := reflect.New(inType)
		if len(in) > 0 {
			if err := json.Unmarshal(in, arg.Interface()); err != nil {
				return nil, temporal.NewNonRetryableApplicationError(
					fmt.Sprintf("invalid input: %v", err), invalidInputType, err)
			}
		}
		out := fv.Call([]reflect.Value{reflect.ValueOf(ctx), arg.Elem()})
		var err error
		if e := out[len(out)-1]; !e.IsNil() {
			err = e.Interface().(error)
		}
		if len(out) == 1 {
			return nil, err
		}
		res := out[0].Interface()
		if err == nil {
			err = checkResultSize(ctx, res)
		}
		return res, err
	}
}

// PayloadTooLargeType is the error type of an activity whose result is
// over PayloadLimit once encoded as JSON; the interpreter uses the same
// type for every payload it measures (interpreter.PayloadTooLargeType).
const PayloadTooLargeType = "dslrun.PayloadTooLarge"

// PayloadLimit is the most bytes a result may take as JSON: Temporal's
// default blob size limit of 2 MiB less 1 KiB for metadata and a codec's
// envelope (interpreter.PayloadLimit). A larger local activity result is
// recorded in a marker that the server refuses, failing the workflow task
// on every attempt; a larger remote one is refused when the worker reports
// it, and the attempt times out and is retried. Either way nothing says
// why, so the activity fails instead, non-retryably.
const PayloadLimit = 2<<20 - 1<<10

// checkResultSize fails an activity whose result is over PayloadLimit.
func checkResultSize(ctx context.Context, res any) error {
	var n int
	if raw, ok := res.(json.RawMessage); ok {
		n = len(raw)
	} else if b, err := json.Marshal(res); err == nil {
		n = len(b)
	}
	if n <= PayloadLimit {
		return nil
	}
	name := "the activity"
	if activity.IsActivity(ctx) {
		name = fmt.Sprintf("activity %q", activity.GetInfo(ctx).ActivityType.Name)
	}
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("the result of %s is %d bytes as JSON, over the payload limit of %d bytes (Temporal's 2 MiB blob size limit)", name, n, PayloadLimit),
		PayloadTooLargeType, nil, map[string]any{"bytes": n, "limit": PayloadLimit})
}

// invalidInputType is the error type of an input that cannot be decoded
// into an activity's parameter type.
const invalidInputType = "InvalidInput"
