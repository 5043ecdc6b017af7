package expression

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that no template, however malformed, makes Parse,
// Compile or Eval panic, and that what Parse returns is consistent with its
// input. It is seeded with the scalars of examples/ that contain ${.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "plain", "${ input.x }", "a ${b} c", "$${x}", "${", "${ '}' }", "${ {a: 1}['a'] }",
		"${ map(1..3, {# * 2}) }", "${ `x` + \"y\\\"\" }", "${ a /* } */ }", "é${ 'ü' }ß",
		"${ repeat('x', 1000000) }", "${ reduce(1..40, #acc + #acc, 'ab') }", "${ workflow.now.Format('2006') }",
	} {
		f.Add(s)
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if i := strings.Index(line, "${"); i >= 0 {
				f.Add(strings.TrimSpace(line[i:]))
			}
		}
	}
	vars := map[string]any{
		"input":    map[string]any{"x": 1, "s": "str", "list": []any{1, "a"}},
		"state":    map[string]any{},
		"workflow": map[string]any{"now": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	f.Fuzz(func(t *testing.T, s string) {
		tpl, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error %v is not an *Error", err)
			}
			if e.Offset < 0 || e.Offset > len(s) || e.Line < 1 || e.Col < 1 {
				t.Fatalf("Parse error position out of range: %#v", e)
			}
			return
		}
		hasExpr := false
		for _, p := range tpl.Parts() {
			if p.Offset < 0 || p.Offset > len(s) {
				t.Fatalf("part offset out of range: %#v", p)
			}
			if !p.Expr {
				continue
			}
			hasExpr = true
			if s[p.Offset-2:p.Offset] != "${" || s[p.Offset:p.Offset+len(p.Text)] != p.Text || s[p.Offset+len(p.Text)] != '}' {
				t.Fatalf("expression part %#v does not match the source", p)
			}
		}
		if IsTemplate(s) != hasExpr {
			t.Fatalf("IsTemplate = %v, but Parse found expressions: %v", !hasExpr, hasExpr)
		}
		if _, err := tpl.Compile([]string{"input", "state", "workflow"}); err != nil {
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Compile error %v is not Errors", err)
			}
		}
		if _, err := tpl.Eval(vars); err != nil {
			var e *Error
			var le *LimitError
			if !errors.As(err, &e) && !errors.As(err, &le) {
				t.Fatalf("Eval error %v (%T) is neither *Error nor *LimitError", err, err)
			}
		}
	})
}
