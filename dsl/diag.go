package dsl

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Severity tells whether a diagnostic makes a definition invalid.
type Severity int

// Severities.
const (
	SeverityError Severity = iota
	SeverityWarning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Code classifies a diagnostic, for tools that filter or count them.
type Code string

// Diagnostic codes.
const (
	CodeYAML          Code = "yaml"           // the file is not well-formed YAML, or uses a YAML feature dslrun refuses
	CodeLimit         Code = "limit"          // a size, depth or count limit was exceeded
	CodeUnknownKey    Code = "unknown-key"    // a key that the DSL does not define
	CodeDuplicateKey  Code = "duplicate-key"  // the same key twice in one mapping
	CodeRequired      Code = "required"       // a required key is missing
	CodeType          Code = "type"           // a value of the wrong type
	CodeValue         Code = "value"          // a value of the right type but not allowed
	CodeStepKind      Code = "step-kind"      // a step with no kind or several kinds
	CodeDuplicateID   Code = "duplicate-id"   // a step id used twice
	CodeDuration      Code = "duration"       // a malformed duration
	CodeExpression    Code = "expression"     // an expression that does not compile
	CodeUnknownName   Code = "unknown-name"   // an expression names a step or variable that does not exist
	CodeSchema        Code = "schema"         // reported by the JSON schema
	CodeActivityInput Code = "activity-input" // with: does not match the activity's input schema
)

// Diagnostic is one finding about a definition, at a position and a path
// such as steps[2].with.amount.
type Diagnostic struct {
	Pos      Pos      `json:"-"`
	Path     string   `json:"path,omitempty"`
	Severity Severity `json:"-"`
	Code     Code     `json:"code"`
	Msg      string   `json:"message"`
}

// String formats d as file:line:col: path: message.
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.Pos.File != "" {
		b.WriteString(d.Pos.File)
		b.WriteString(":")
	}
	if d.Pos.IsValid() {
		fmt.Fprintf(&b, "%d:%d:", d.Pos.Line, max(d.Pos.Col, 1))
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if d.Path != "" {
		b.WriteString(shortPath(d.Path))
		b.WriteString(": ")
	}
	if d.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(d.Msg)
	return b.String()
}

// Diagnostics is a list of findings. As an error it prints one finding a
// line.
type Diagnostics []Diagnostic //nolint:errname // a list of findings first (warnings too), an error second

// Error implements error.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// HasErrors reports whether any diagnostic is an error, not a warning.
func (ds Diagnostics) HasErrors() bool {
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == SeverityError })
}

// Err returns ds as an error when it has errors, else nil.
func (ds Diagnostics) Err() error {
	if ds.HasErrors() {
		return ds
	}
	return nil
}

// Sort orders ds by file, line, column, path and message, and drops exact
// duplicates.
func (ds Diagnostics) Sort() Diagnostics {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	return slices.CompactFunc(ds, func(a, b Diagnostic) bool { return a == b })
}

// shortPath elides the middle of very long paths (deeply nested steps) so
// that a diagnostic stays one readable line.
func shortPath(p string) string {
	const keep = 60
	if len(p) <= 2*keep+3 {
		return p
	}
	return p[:keep] + "..." + p[len(p)-keep:]
}

// MaxDiagnosticsPerFile is the most diagnostics kept for one file (see
// Cap): a file with 50,000 duplicate keys reports the first ones and a
// count of the rest, not 50,000 lines.
const MaxDiagnosticsPerFile = 100

// Cap keeps the first n diagnostics of each file in ds, which is sorted,
// and replaces the rest of a file's by one diagnostic that counts them
// ("and 49,900 more errors not shown"), at the position of the first one
// left out. It is an error when any of those is, so that a capped list has
// errors exactly when the full one has.
func (ds Diagnostics) Cap(n int) Diagnostics {
	type rest struct {
		first          Diagnostic
		errs, warnings int
	}
	kept := map[string]int{}
	var out Diagnostics
	var order []string
	dropped := map[string]*rest{}
	for _, d := range ds {
		f := d.Pos.File
		if kept[f] < n {
			kept[f]++
			out = append(out, d)
			continue
		}
		r := dropped[f]
		if r == nil {
			r = &rest{first: d}
			dropped[f] = r
			order = append(order, f)
		}
		if d.Severity == SeverityError {
			r.errs++
		} else {
			r.warnings++
		}
	}
	if len(order) == 0 {
		return ds
	}
	for _, f := range order {
		r := dropped[f]
		var parts []string
		sev := SeverityWarning
		if r.errs > 0 {
			parts = append(parts, fmt.Sprintf("%s more %s", thousands(r.errs), plural(r.errs, "error", "errors")))
			sev = SeverityError
		}
		if r.warnings > 0 {
			parts = append(parts, fmt.Sprintf("%s more %s", thousands(r.warnings), plural(r.warnings, "warning", "warnings")))
		}
		out = append(out, Diagnostic{
			Pos: r.first.Pos, Severity: sev, Code: CodeLimit,
			Msg: fmt.Sprintf("and %s not shown (at most %d a file): fix the ones above first", strings.Join(parts, " and "), n),
		})
	}
	return out.Sort()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// thousands formats n with comma separators: 49,900.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
