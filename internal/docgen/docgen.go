// Package docgen writes the reference tables of docs/dsl.md from the
// description of the DSL (dsl.Lang), so that the reference cannot drift
// from what validate accepts.
//
// A table is generated between a marker line `<!-- keys: NAME -->` and the
// line `<!-- end keys -->`, where NAME is a Def of the description ("" for
// the top level is written `<!-- keys: (root) -->`). Update rewrites every
// such region and leaves the rest of the document as it is.
package docgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/dslrun/dslrun/dsl"
	"github.com/rogpeppe/go-internal/txtar"
)

var (
	beginRe       = regexp.MustCompile(`^<!-- keys: (\S+) -->$`)
	endLine       = "<!-- end keys -->"
	goldenRe      = regexp.MustCompile(`^<!-- golden: ([a-z0-9-]+) (\S+) -->$`)
	endGoldenLine = "<!-- end golden -->"
)

// Update returns md with every marked region regenerated. goldenDir is
// the folder of the golden cases (dsl/validate/testdata/invalid).
func Update(md []byte, goldenDir string) ([]byte, error) {
	l := dsl.Lang()
	md, err := rewrite(md, goldenRe, endGoldenLine, func(m []string) (string, error) {
		return golden(filepath.Join(goldenDir, m[1]+".txtar"), m[2])
	})
	if err != nil {
		return nil, err
	}
	return rewrite(md, beginRe, endLine, func(m []string) (string, error) {
		name := m[1]
		if name == "(root)" {
			name = ""
		}
		d := l.Def(name)
		if d == nil || len(d.Keys) == 0 {
			return "", fmt.Errorf("%q is not a mapping of the description", m[1])
		}
		return Table(l, d), nil
	})
}

// rewrite replaces the lines between each line that begin matches and the
// next line end with what render makes of the match.
func rewrite(md []byte, begin *regexp.Regexp, end string, render func(match []string) (string, error)) ([]byte, error) {
	lines := strings.SplitAfter(string(md), "\n")
	var out bytes.Buffer
	for i := 0; i < len(lines); i++ {
		out.WriteString(lines[i])
		m := begin.FindStringSubmatch(strings.TrimRight(lines[i], "\n"))
		if m == nil {
			continue
		}
		j := i + 1
		for j < len(lines) && strings.TrimRight(lines[j], "\n") != end {
			j++
		}
		if j == len(lines) {
			return nil, fmt.Errorf("line %d: no %q after the marker", i+1, end)
		}
		text, err := render(m)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out.WriteString(text)
		out.WriteString(lines[j])
		i = j
	}
	return out.Bytes(), nil
}

// Table is the reference table of a mapping: each key with its type,
// whether it is required, its default and what it means.
func Table(l *dsl.Language, d *dsl.Def) string {
	var b strings.Builder
	b.WriteString("| key | type | required | default | meaning |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, k := range d.Keys {
		req := "no"
		if k.Required {
			req = "**yes**"
		}
		doc, dflt, example := k.Doc, k.Default, k.Example
		if doc == "" && k.Ref != "" {
			// The key says nothing of its own: its type's Def says it.
			r := l.Def(k.Ref)
			doc, dflt, example = r.Doc, r.Default, r.Example
		}
		def := "—"
		if dflt != "" {
			def = dflt
		}
		meaning := doc
		if example != "" {
			meaning += " Example: " + example + "."
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", k.Name, cell(Label(l, k)), req, cell(def), cell(meaning))
	}
	return b.String()
}

// cell escapes what would break a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Label names the type of k's value as the reference says it.
func Label(l *dsl.Language, k dsl.Key) string {
	if k.Label != "" {
		return k.Label
	}
	if k.Ref != "" {
		return defLabel(l, k.Ref, 0)
	}
	return schemaLabel(l, k.Schema)
}

func defLabel(l *dsl.Language, name string, depth int) string {
	d := l.Def(name)
	switch {
	case d == nil || depth > 8:
		return name
	case d.Label != "":
		return d.Label
	}
	if r, ok := d.Schema["$ref"].(string); ok && len(d.Schema) == 1 {
		return defLabel(l, strings.TrimPrefix(r, "#/definitions/"), depth+1)
	}
	if len(d.Keys) > 0 {
		return "mapping"
	}
	return schemaLabel(l, d.Schema)
}

// schemaLabel names the type of an inline schema.
func schemaLabel(l *dsl.Language, s map[string]any) string {
	if r, ok := s["$ref"].(string); ok {
		return defLabel(l, strings.TrimPrefix(r, "#/definitions/"), 1)
	}
	if enum, ok := s["enum"].([]any); ok {
		var vals []string
		for _, v := range enum {
			vals = append(vals, fmt.Sprintf("`%v`", v))
		}
		return "one of " + strings.Join(vals, ", ")
	}
	var types []string
	switch t := s["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, v := range t {
			types = append(types, fmt.Sprint(v))
		}
	}
	for i, t := range types {
		switch t {
		case "object":
			types[i] = "mapping"
		case "array":
			types[i] = "list"
			if items, ok := s["items"].(map[string]any); ok {
				types[i] = "list of " + schemaLabel(l, items)
			}
		case "null":
			types[i] = "null"
		}
	}
	out := strings.Join(types, " or ")
	if out == "" {
		out = "any value"
	}
	lo, hasLo := s["minimum"]
	hi, hasHi := s["maximum"]
	switch {
	case hasLo && hasHi:
		out += fmt.Sprintf(", %v–%v", lo, hi)
	case hasLo:
		out += fmt.Sprintf(", at least %v", lo)
	case hasHi:
		out += fmt.Sprintf(", at most %v", hi)
	}
	return out
}

// golden renders a golden case as a YAML block and the diagnostics block,
// with the case's in.yaml named file.
func golden(path, file string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	ar := txtar.Parse(b)
	var src, want string
	for _, f := range ar.Files {
		switch f.Name {
		case "in.yaml":
			src = string(f.Data)
		case "want":
			want = strings.ReplaceAll(string(f.Data), "in.yaml:", file+":")
		}
	}
	if src == "" || want == "" {
		return "", fmt.Errorf("%s: want the sections in.yaml and want", path)
	}
	return "```yaml\n" + src + "```\n\n```\n" + want + "```\n", nil
}
