package activities

import (
	"context"
	"errors"
	"fmt"
	"reflect"
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
