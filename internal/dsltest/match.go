package dsltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// maxDiffs is the most differences one comparison reports.
const maxDiffs = 5

// diff compares got (decoded from JSON, numbers as json.Number) with want
// (from the test file) and returns the differences, each "path: got X,
// want Y", at most maxDiffs. Numbers compare by value (1 equals 1.0).
func diff(path string, got, want any) []string {
	var out []string
	var walk func(p string, g, w any)
	walk = func(p string, g, w any) {
		if len(out) >= maxDiffs {
			return
		}
		if gi, gf, gInt, gok := number(g); gok {
			if wi, wf, wInt, wok := number(w); wok {
				bothInt := gInt && wInt
				if (bothInt && gi == wi) || (!bothInt && gf == wf) {
					return
				}
			}
			out = append(out, mismatch(p, g, w))
			return
		}
		switch wv := w.(type) {
		case map[string]any:
			gv, ok := g.(map[string]any)
			if !ok {
				out = append(out, mismatch(p, g, w))
				return
			}
			keys := make([]string, 0, len(wv)+len(gv))
			for k := range wv {
				keys = append(keys, k)
			}
			for k := range gv {
				if _, ok := wv[k]; !ok {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				wc, wok := wv[k]
				gc, gok := gv[k]
				switch {
				case !gok:
					out = append(out, fmt.Sprintf("%s: missing, want %s", join(p, k), show(wc)))
				case !wok:
					out = append(out, fmt.Sprintf("%s: got %s, want no such key", join(p, k), show(gc)))
				default:
					walk(join(p, k), gc, wc)
				}
				if len(out) >= maxDiffs {
					return
				}
			}
		case []any:
			gv, ok := g.([]any)
			if !ok || len(gv) != len(wv) {
				out = append(out, mismatch(p, g, w))
				return
			}
			for i := range wv {
				walk(fmt.Sprintf("%s[%d]", p, i), gv[i], wv[i])
			}
		default:
			if g != w {
				out = append(out, mismatch(p, g, w))
			}
		}
	}
	walk(path, got, want)
	return out
}

func mismatch(p string, got, want any) string {
	return fmt.Sprintf("%s: got %s, want %s", p, show(got), show(want))
}

// maxShow is the longest value a message shows in full.
const maxShow = 300

// show formats a value as compact JSON (keys sorted), cut when long.
func show(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	s := string(bytes.TrimSpace(buf.Bytes()))
	if len(s) > maxShow {
		s = s[:maxShow] + "..."
	}
	return s
}

// decode decodes JSON into the value model with numbers as json.Number.
func decode(raw []byte) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}
