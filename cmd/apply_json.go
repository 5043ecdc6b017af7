package dslruncmd

import (
	"errors"

	"github.com/dslrun/dslrun/dsl"
)

// applyRefusal is the -o json form of an apply that started nothing: an
// invalid definition, refused input or flags, or a server that could not be
// reached. apply -o json prints JSON whatever happens.
type applyRefusal struct {
	File string `json:"file"`
	// Status is invalid (the definition), usage (flags or input) or error.
	Status      string           `json:"status"`
	Error       string           `json:"error"`
	Diagnostics []jsonDiagnostic `json:"diagnostics,omitempty"`
}

// invalidDefinitionError is the error of apply on a definition that does not
// validate, with its diagnostics for -o json.
type invalidDefinitionError struct {
	err         error
	diagnostics []dsl.Diagnostic
}

func (e *invalidDefinitionError) Error() string { return e.err.Error() }
func (e *invalidDefinitionError) Unwrap() error { return e.err }

// applyJSONError prints err, the error of apply -o json, as JSON on
// standard output and returns an error with the same exit code that prints
// nothing more. Errors that were already reported (silent) pass through.
func applyJSONError(o *applyOptions, err error) error {
	if err == nil || o.Output != "json" {
		return err
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return err
	}
	out := applyRefusal{File: o.File, Status: "error", Error: err.Error()}
	code := ExitFailure
	var fe *flagError
	if errors.As(err, &fe) {
		out.Status, code = "usage", ExitUsage
	} else if errors.As(err, &ee) {
		code = ee.code
	}
	var inv *invalidDefinitionError
	if errors.As(err, &inv) {
		out.Status = "invalid"
		for _, d := range inv.diagnostics {
			out.Diagnostics = append(out.Diagnostics, jsonDiagnostic{
				File: d.Pos.File, Line: d.Pos.Line, Column: d.Pos.Col, Path: d.Path,
				Severity: d.Severity.String(), Code: string(d.Code), Message: d.Msg,
			})
		}
	}
	if werr := encodeJSON(o.Stdout, out); werr != nil {
		return err
	}
	return silent(code)
}
