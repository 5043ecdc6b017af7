package dsltest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dslrun/dslrun/dsl"
)

// FileResult is the outcome of one test file.
type FileResult struct {
	// File is the test file; Workflow the definition it tests, and Name
	// that definition's name (empty when the file is invalid).
	File, Workflow, Name string
	// Diagnostics are the mistakes in the test file and, when the
	// definition is invalid, the definition's; warnings too.
	Diagnostics dsl.Diagnostics
	// Cases are the results of the cases that ran, in file order.
	Cases []*CaseResult
	// Elapsed is the wall-clock time the file took.
	Elapsed time.Duration
}

// Valid reports whether the file and its definition have no errors.
func (r *FileResult) Valid() bool { return !r.Diagnostics.HasErrors() }

// Passed reports whether the file is valid and every case passed.
func (r *FileResult) Passed() bool {
	return r.Valid() && !slices.ContainsFunc(r.Cases, func(c *CaseResult) bool { return !c.Passed() })
}

// Failed returns the number of cases that failed.
func (r *FileResult) Failed() int {
	n := 0
	for _, c := range r.Cases {
		if !c.Passed() {
			n++
		}
	}
	return n
}

// CaseResult is the outcome of one case.
type CaseResult struct {
	Name string
	// Pos is the case's position in the test file; Path is "cases[i]".
	Pos  dsl.Pos
	Path string
	// Failures are the expectations that did not hold, and anything else
	// that went wrong; none when the case passed.
	Failures []Failure
	// Elapsed is the wall-clock time the case took; Virtual the virtual
	// time from the run's start to the end of its last run; Runs the
	// number of runs (1 plus the continue-as-news).
	Elapsed, Virtual time.Duration
	Runs             int
}

// Passed reports whether the case passed.
func (c *CaseResult) Passed() bool { return len(c.Failures) == 0 }

// Failure is one failed expectation: where it is written in the test
// file, its path (cases[0].expect.output), the step of the definition it
// concerns when known (steps[2]), and what happened.
type Failure struct {
	Pos  dsl.Pos
	Path string
	Step string
	Msg  string
}

// String formats f as file:line:col: path: message [at step].
func (f Failure) String() string {
	s := dsl.Diagnostic{Pos: f.Pos, Path: f.Path, Msg: f.Msg}.String()
	if f.Step != "" && !strings.Contains(f.Msg, f.Step) {
		s += " (at " + f.Step + ")"
	}
	return s
}

func (c *CaseResult) fail(pos dsl.Pos, path, step, format string, args ...any) {
	c.Failures = append(c.Failures, Failure{Pos: pos, Path: path, Step: step, Msg: fmt.Sprintf(format, args...)})
}
