package validate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/schema"
	"gopkg.in/yaml.v3"
)

// Result is the outcome of validating one file.
type Result struct {
	File        string          // the file name, as given
	Workflow    *dsl.Workflow   // nil when Diagnostics has errors
	Definition  *dsl.Definition // ready to run (normalised, canonical form, hash), after Canonicalize
	Diagnostics dsl.Diagnostics // every finding, sorted; warnings alone leave the result valid
}

// Valid reports whether r has no errors.
func (r *Result) Valid() bool { return !r.Diagnostics.HasErrors() }

// Source validates one definition held in memory. reg may be nil: then
// with: values are not checked against activity schemas. Child steps that
// name a file are resolved relative to filename's folder: the file is read
// and validated too (its findings are reported with its own name), and its
// canonical form is bundled into the step. At most
// dsl.MaxDiagnosticsPerFile diagnostics of each file are kept, and a count
// of the rest.
func Source(filename string, src []byte, reg *activities.Registry) *Result {
	return SourceWith(filename, src, Options{Registry: reg})
}

// Options are the settings of SourceWith and FileWith.
type Options struct {
	// Registry checks with: values against activity schemas; nil: they are
	// not checked.
	Registry *activities.Registry
	// Root is the folder that child files must be in, or below it (the
	// path as written: symlinks are not followed). Empty: the folder of
	// the file validated.
	Root string
}

// SourceWith is Source with options.
func SourceWith(filename string, src []byte, o Options) *Result {
	rs := newResolver(filename, o)
	r := rs.source(filename, src)
	if r.Valid() && len(src)+rs.bundled > measureAbove && dsl.CanonicalSize(r.Workflow) > MaxDefinitionSize {
		// Over the limit by the measure of dsl.CanonicalSize, which is
		// exact for definitions read from YAML: make the canonical form,
		// so that the size reported is the form's own.
		if err := r.Canonicalize(); err == nil && len(r.Definition.Canonical) > MaxDefinitionSize {
			n := len(r.Definition.Canonical)
			r.Workflow, r.Definition = nil, nil
			r.Diagnostics = append(r.Diagnostics, dsl.Diagnostic{
				Pos: dsl.Pos{File: filename, Line: 1, Col: 1}, Code: dsl.CodeLimit,
				Msg: fmt.Sprintf("the definition is %d bytes in canonical form (child files included), over the limit of %d that a run's payload allows: "+
					"split it, or start children by name (workflow:) rather than by file", n, MaxDefinitionSize),
			}).Sort()
		}
	}
	r.Diagnostics = r.Diagnostics.Cap(dsl.MaxDiagnosticsPerFile)
	return r
}

// MaxDefinitionSize is the largest canonical definition, child files
// bundled: the interpreter's PayloadLimit (Temporal's 2 MiB blob limit less
// 1 KiB), since the definition travels in the run's start payload.
const MaxDefinitionSize = 2<<20 - 1<<10

// measureAbove is the size (the file and its bundled child definitions)
// above which Source measures the canonical form (dsl.CanonicalSize,
// without making it); below it, defaults cannot grow a definition to
// MaxDefinitionSize.
const measureAbove = 64 << 10

func newResolver(filename string, o Options) *resolver {
	abs := absPath(filename)
	rs := &resolver{reg: o.Registry, stack: []string{abs}, root: filepath.Dir(abs), top: filename,
		files: map[string][]byte{}, done: map[string]*Result{}}
	if o.Root != "" {
		rs.root, rs.rootFlag = absPath(o.Root), o.Root
	}
	return rs
}

// maxChildFiles bounds how deeply child definition files may include
// further files.
const maxChildFiles = 10

// resolver validates a definition and, recursively, the child definition
// files it names, refusing cycles.
type resolver struct {
	reg *activities.Registry
	// stack holds the absolute paths of the files being validated, the
	// outermost first.
	stack []string
	// root is the folder that child files must be in or below: the folder
	// of the outermost file, top its name as given, or the absolute form
	// of rootFlag, the folder given as Options.Root.
	root, top, rootFlag string
	// files holds the child files read, by absolute path, and done their
	// results, by absolute path and content hash: a file included many
	// times (six times at each of ten levels) is read and validated once.
	files map[string][]byte
	done  map[string]*Result
	// bundled is the size of the child definitions bundled into the
	// outermost file so far.
	bundled int
}

func (rs *resolver) source(filename string, src []byte) *Result {
	r := &Result{File: filename}
	root, ds := dsl.Decode(filename, src)
	if ds.HasErrors() {
		r.Diagnostics = ds
		return r
	}
	// The parser's messages are the precise ones; the JSON schema is the
	// contract for editors. Schema findings are shown when the parser found
	// nothing, so a gap between the two still fails validation. Both only
	// read the node tree, so the schema runs beside the parser.
	schemaDone := make(chan dsl.Diagnostics, 1)
	go func() { schemaDone <- schema.Validate(filename, root) }()
	w, ds := dsl.Build(filename, root)
	// Activity inputs and names are checked on what the builder made of
	// the file also when it found errors elsewhere, so that they are
	// reported with those, not in a second round (a step it could not
	// build is left out); also beside the schema. Child files are read
	// once the rest is valid.
	var ads dsl.Diagnostics
	if rs.reg != nil {
		ads = append(checkActivityInputs(filename, root, w, rs.reg), checkActivityNames(filename, root, w, rs.reg)...)
	}
	sds := <-schemaDone
	if !ds.HasErrors() {
		ds = append(ds, sds...)
	}
	ds = append(ds, ads...)
	ds = append(ds, checkLoops(filename, root, w)...)
	if !ds.HasErrors() {
		ds = append(ds, rs.bundleChildren(filename, root, w)...)
	}
	r.Diagnostics = ds.Sort()
	if !r.Diagnostics.HasErrors() {
		r.Workflow = w
	}
	return r
}

// bundleChildren validates the definition file of every child step that
// names one, and records the file's prepared definition in the step
// (dsl.ChildStep.Bundled), for dsl.Prepare to put in the table.
func (rs *resolver) bundleChildren(filename string, root *yaml.Node, w *dsl.Workflow) dsl.Diagnostics {
	var ds dsl.Diagnostics
	// The table of child definitions so far, by hash: part of the
	// canonical form, each definition once.
	size, table := 0, map[string]bool{}
	add := func(hash string, body []byte) {
		if !table[hash] {
			table[hash] = true
			size += len(hash) + len(body) + 4
		}
	}
	dsl.Walk(w, func(path string, s *dsl.Step) bool {
		c, _ := s.Body.(*dsl.ChildStep)
		if c == nil || c.File == "" {
			return true
		}
		fp := path + ".child.file"
		pos := dsl.Pos{File: filename}
		if n := dsl.Path(fp).Node(root); n != nil {
			pos.Line, pos.Col = n.Line, n.Column
		}
		fail := func(format string, args ...any) {
			ds = append(ds, dsl.Diagnostic{Pos: pos, Path: fp, Code: dsl.CodeValue, Msg: fmt.Sprintf(format, args...)})
		}
		file := c.File
		if !filepath.IsAbs(file) {
			file = filepath.Join(filepath.Dir(filename), file)
		}
		abs := absPath(file)
		if rel, err := filepath.Rel(rs.root, abs); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			if rs.rootFlag != "" {
				fail("child file %q is outside the root folder %q (--root): child files must be in that folder or below it", c.File, rs.rootFlag)
			} else {
				fail("child file %q is outside the folder of %s: child files must be in that folder or below it, or in the folder given by --root", c.File, rs.top)
			}
			return true
		}
		if slices.Contains(rs.stack, abs) {
			fail("child file %q includes itself (directly or through other child files): to start the same definition again, use workflow: with its name", c.File)
			return true
		}
		if len(rs.stack) > maxChildFiles {
			fail("child files are nested deeper than the limit of %d", maxChildFiles)
			return true
		}
		src, ok := rs.files[abs]
		if !ok {
			var err error
			if src, err = os.ReadFile(file); err != nil {
				fail("cannot read child file %q: %v", c.File, unwrapPathError(err))
				return true
			}
			rs.files[abs] = src
		}
		key := abs + "\x00" + dsl.Hash(src)
		cr, ok := rs.done[key]
		if !ok {
			rs.stack = append(rs.stack, abs)
			cr = rs.source(file, src)
			rs.stack = rs.stack[:len(rs.stack)-1]
			if cr.Valid() {
				if err := cr.Canonicalize(); err != nil {
					fail("%v", err)
					return true
				}
			}
			rs.done[key] = cr
		}
		if !cr.Valid() {
			ds = append(ds, cr.Diagnostics...)
			fail("child definition %q is invalid", c.File)
			return true
		}
		d := cr.Definition
		add(d.Hash, d.Body)
		for h, b := range d.Workflow.Children {
			add(h, b)
		}
		if size > MaxDefinitionSize {
			fail("with child file %q the definition is over %d bytes, the limit that a run's payload allows: "+
				"split it, or start children by name (workflow:) instead", c.File, MaxDefinitionSize)
			return true
		}
		c.Workflow, c.Bundled = cr.Workflow.Name, d
		return true
	})
	if len(rs.stack) == 1 {
		rs.bundled = size
	}
	return ds
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// Canonicalize fills r.Definition from r.Workflow (dsl.Prepare): the form
// that a run records and executes, made once for every start. Validation
// alone does not need it, so Source leaves it to the callers that run or
// print the definition. It does nothing on an invalid result or when
// already done.
func (r *Result) Canonicalize() error {
	if r.Workflow == nil || r.Definition != nil {
		return nil
	}
	d, err := dsl.Prepare(r.Workflow)
	if err != nil {
		return fmt.Errorf("%s: %w", r.File, err)
	}
	r.Definition = d
	return nil
}

// File reads and validates one file.
func File(path string, reg *activities.Registry) *Result {
	return FileWith(path, Options{Registry: reg})
}

// FileWith is File with options.
func FileWith(path string, o Options) *Result {
	src, err := os.ReadFile(path)
	if err != nil {
		return &Result{File: path, Diagnostics: dsl.Diagnostics{{
			Pos: dsl.Pos{File: path}, Code: dsl.CodeYAML, Msg: fmt.Sprintf("cannot read file: %v", unwrapPathError(err)),
		}}}
	}
	return SourceWith(path, src, o)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// IsTestFile reports whether p names a test file of dslrun test
// (*_test.yaml or *_test.yml), which sits beside the definition it tests
// but is not a definition.
func IsTestFile(p string) bool {
	base := filepath.Base(p)
	return strings.HasSuffix(base, "_test.yaml") || strings.HasSuffix(base, "_test.yml")
}

// isPluginManifest reports whether p names an exec plugin manifest
// (package activities/exec), which sits beside definitions but is not one.
func isPluginManifest(p string) bool {
	base := filepath.Base(p)
	return strings.HasSuffix(base, ".plugin.yaml") || strings.HasSuffix(base, ".plugin.yml")
}

// checkActivityInputs checks each literal with: of a registered activity
// against its input schema. Values that are expressions are known only at
// run time, so findings at or below them are dropped.
func checkActivityInputs(filename string, root *yaml.Node, w *dsl.Workflow, reg *activities.Registry) dsl.Diagnostics {
	var ds dsl.Diagnostics
	dsl.Walk(w, func(path string, s *dsl.Step) bool {
		a, _ := s.Body.(*dsl.ActivityStep)
		if a == nil || strings.Contains(a.Name, "${") {
			return true
		}
		if _, ok := reg.Lookup(a.Name); !ok {
			return true
		}
		with := a.With
		if isTemplate(with) {
			return true
		}
		dynamic := templatePaths(with, "")
		for _, e := range reg.CheckInput(a.Name, with) {
			// A value that is an expression is known only at run time, but a
			// misspelled key holding it is wrong already.
			if underAny(e.Path, dynamic) && e.UnknownProperty == "" {
				continue
			}
			full := path + ".with" + bracketed(e.Path)
			pos := dsl.Pos{File: filename}
			// The innermost node that exists: InputError paths name existing
			// values, but be safe and fall back to the step.
			for p := full; p != ""; p = parentPath(p) {
				if n := dsl.Path(p).Node(root); n != nil {
					pos.Line, pos.Col = n.Line, n.Column
					break
				}
			}
			ds = append(ds, dsl.Diagnostic{Pos: pos, Path: full, Code: dsl.CodeActivityInput,
				Msg: fmt.Sprintf("%s (input of activity %q)", e.Msg, a.Name)})
		}
		return true
	})
	return ds
}

func isTemplate(v any) bool {
	s, ok := v.(string)
	return ok && strings.Contains(s, "${")
}

// templatePaths lists the paths (in CheckInput's dotted form) of values
// that are expressions.
func templatePaths(v any, prefix string) []string {
	var out []string
	sub := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch t := v.(type) {
	case string:
		if strings.Contains(t, "${") {
			out = append(out, prefix)
		}
	case map[string]any:
		for _, k := range dsl.SortedKeys(t) {
			out = append(out, templatePaths(t[k], sub(k))...)
		}
	case []any:
		for i, e := range t {
			out = append(out, templatePaths(e, sub(fmt.Sprint(i)))...)
		}
	}
	return out
}

func underAny(p string, roots []string) bool {
	for _, r := range roots {
		if p == r || strings.HasPrefix(p, r+".") {
			return true
		}
	}
	return false
}

// bracketed turns "items.2.sku" into ".items[2].sku".
func bracketed(p string) string {
	if p == "" {
		return ""
	}
	var b strings.Builder
	for _, seg := range strings.Split(p, ".") {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
		} else {
			b.WriteString("." + seg)
		}
	}
	return b.String()
}

// parentPath drops the last segment of a diagnostic path.
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}
