package validate

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Expand turns command-line arguments into definition files. A file is
// taken as it is. A folder contributes the files in it that look like
// definitions: *.yaml and *.yml files with a top-level dsl: key (so
// neither exec plugin manifests, *.plugin.yaml, nor the test files of
// dslrun test, *_test.yaml, nor other YAML such as a Kubernetes manifest
// beside them). A folder ending in /... (or ./...) contributes them
// recursively, skipping folders named testdata or node_modules and those
// whose name starts with a dot. A path that matches an exclude pattern
// (filepath.Match against the path, or against any of its trailing parts:
// "polyglot" and "examples/polyglot" both exclude examples/polyglot/x.yaml)
// is left out, folders included. Files are returned sorted and once each.
func Expand(args []string, exclude ...string) ([]string, error) {
	return expand(args, exclude, false)
}

// ExpandTests is Expand for the test files of dslrun test: *_test.yaml
// and *_test.yml files, found in folders the same way.
func ExpandTests(args []string, exclude ...string) ([]string, error) {
	return expand(args, exclude, true)
}

func expand(args, exclude []string, tests bool) ([]string, error) {
	for _, pat := range exclude {
		if _, err := filepath.Match(pat, ""); err != nil {
			return nil, fmt.Errorf("--exclude %q: %v", pat, err)
		}
	}
	var out []string
	for _, a := range args {
		recursive := false
		if a == "..." || strings.HasSuffix(a, "/...") {
			recursive = true
			a = strings.TrimSuffix(strings.TrimSuffix(a, "..."), "/")
			if a == "" {
				a = "."
			}
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", a, unwrapPathError(err))
		}
		if !st.IsDir() {
			if !excluded(a, exclude) {
				out = append(out, a)
			}
			continue
		}
		yamls, found := 0, 0
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != a && (!recursive || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules" || excluded(p, exclude)) {
					return filepath.SkipDir
				}
				return nil
			}
			ext := filepath.Ext(p)
			if (ext != ".yaml" && ext != ".yml") || isPluginManifest(p) || IsTestFile(p) != tests || excluded(p, exclude) {
				return nil
			}
			yamls++
			if tests || looksLikeDefinition(p) {
				out = append(out, p)
				found++
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		switch {
		case tests && found == 0:
			return nil, fmt.Errorf("%s: no *_test.yaml or *_test.yml files", a)
		case yamls == 0:
			return nil, fmt.Errorf("%s: no *.yaml or *.yml files", a)
		case found == 0:
			return nil, fmt.Errorf("%s: no definitions (YAML files with a top-level dsl: key) among %d YAML files", a, yamls)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// dslKey matches a top-level dsl: key at the start of a line.
var dslKey = regexp.MustCompile(`(?m)^(?:dsl|"dsl"|'dsl')[ \t]*:`)

// looksLikeDefinition reports whether the file at p has a top-level dsl:
// key. A file that cannot be read is kept, so that validation says why.
func looksLikeDefinition(p string) bool {
	src, err := os.ReadFile(p)
	if err != nil {
		return true
	}
	return dslKey.Match(bytes.TrimPrefix(src, []byte("\xef\xbb\xbf")))
}

// excluded reports whether path p matches one of the patterns, whole or
// by a trailing part.
func excluded(p string, patterns []string) bool {
	if len(patterns) == 0 {
		return false
	}
	p = filepath.Clean(p)
	parts := strings.Split(filepath.ToSlash(p), "/")
	for _, pat := range patterns {
		pat = filepath.ToSlash(filepath.Clean(pat))
		for i := range parts {
			if ok, _ := filepath.Match(pat, strings.Join(parts[i:], "/")); ok {
				return true
			}
		}
	}
	return false
}
