package expression

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/file"
)

// Error is an error in an expression or a template, at a position in its
// source. Compile and Program.Eval give positions within the expression
// source; Parse, Template.Compile and Template.Eval give positions within
// the template's source (the whole YAML scalar).
type Error struct {
	// Line and Col are 1-based; Col counts runes (characters), not bytes.
	Line, Col int
	// Offset is the byte offset of the position in the same source.
	Offset int
	// Msg says what is wrong, in one line, without position.
	Msg string
	// UnknownName is set when the error is a name that is neither a
	// variable in scope nor a function: it is that name.
	UnknownName string
}

// Error implements error, as "line:col: message".
func (e *Error) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
}

// Errors is a list of errors, in source order, that implements error.
type Errors []*Error

// Error implements error by joining the messages with "; ".
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap gives the errors to errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// errorAtByte builds an *Error at byte offset off of src.
func errorAtByte(src string, off int, msg string) *Error {
	line, col := lineCol(src, off)
	return &Error{Line: line, Col: col, Offset: off, Msg: msg}
}

// errorAtRune builds an *Error at rune index r of src, the unit of expr's
// file.Location.
func errorAtRune(src string, r int, msg string) *Error {
	return errorAtByte(src, runeToByte(src, r), msg)
}

// lineCol gives the 1-based line and rune column of byte offset off in src.
func lineCol(src string, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	start := strings.LastIndexByte(src[:off], '\n') + 1
	return 1 + strings.Count(src[:off], "\n"), 1 + utf8.RuneCountInString(src[start:off])
}

// runeToByte converts a rune index of src into a byte offset.
func runeToByte(src string, r int) int {
	if r <= 0 {
		return 0
	}
	n := 0
	for i := range src {
		if n == r {
			return i
		}
		n++
	}
	return len(src)
}

// firstToken is the byte offset of the first non-space byte of src, where
// errors about the expression as a whole point.
func firstToken(src string) int {
	return len(src) - len(strings.TrimLeft(src, " \t\r\n"))
}

// fromFileError converts an error from expr (parser, checker, optimizer,
// compiler or virtual machine) into an *Error or a *LimitError positioned
// within src. expr's own message is kept, without its caret snippet.
func fromFileError(src string, err error) error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return &Error{Line: 1, Col: 1, Msg: err.Error()}
	}
	pos := errorAtRune(src, fe.From, fe.Message)
	var le *LimitError
	if errors.As(err, &le) {
		cp := *le
		cp.Line, cp.Col, cp.Offset = pos.Line, pos.Col, pos.Offset
		return &cp
	}
	if fe.Message == "memory budget exceeded" {
		le := errMemory()
		le.Line, le.Col, le.Offset = pos.Line, pos.Col, pos.Offset
		return le
	}
	return pos
}
