package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/internal/suggest"
	"gopkg.in/yaml.v3"
)

// Protocol is the version of the plugin protocol this package speaks. A
// manifest names it in its protocol key, and a plugin process finds it in
// DSLRUN_PROTOCOL.
const Protocol = "dslrun.plugin/v1"

// ManifestSuffix ends the name of every manifest file that [Load] reads.
const ManifestSuffix = ".plugin.yaml"

// DefaultGracePeriod is how long a process has between SIGTERM and SIGKILL
// when its manifest sets no gracePeriod.
const DefaultGracePeriod = 5 * time.Second

// Plugin is one loaded manifest: an executable served as the activity Name.
type Plugin struct {
	// Name is the activity type name.
	Name string
	// Summary is one line, shown by `dslrun activities`.
	Summary string
	// Description is optional markdown.
	Description string
	// Manifest is the manifest's path, as Load found it.
	Manifest string
	// Command is the executable's absolute path.
	Command string
	// Args are the command's arguments.
	Args []string
	// Dir is the absolute working directory of the process.
	Dir string
	// Env names the worker environment variables passed to the process.
	Env []string
	// Input and Output are the JSON schemas (draft-07) of the step's with:
	// value and of the result; nil when the manifest has none.
	Input, Output json.RawMessage
	// StartToCloseTimeout bounds one attempt's process; 0 leaves the bound
	// to the step's own timeouts.
	StartToCloseTimeout time.Duration
	// Heartbeat is true when the process sends heartbeats itself; otherwise
	// the worker heartbeats for it while it runs.
	Heartbeat bool
	// HeartbeatTimeout, with Heartbeat, is the longest a process may go
	// without a heartbeat before it is stopped; 0 means no bound.
	HeartbeatTimeout time.Duration
	// GracePeriod is the time between SIGTERM and SIGKILL.
	GracePeriod time.Duration

	namePos dsl.Pos
}

// manifestKeys are the keys a manifest may have.
var manifestKeys = []string{
	"protocol", "name", "summary", "description", "command", "args", "dir", "env",
	"input", "output", "startToCloseTimeout", "heartbeatTimeout", "heartbeat", "gracePeriod",
}

var envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Load reads every manifest (*.plugin.yaml) directly in dir, in name order.
// It reports every mistake of every manifest at its file:line:col: YAML that
// dsl.Decode refuses, unknown keys, values of the wrong type, an invalid JSON
// schema, a command that does not exist or is not executable, a working
// directory that does not exist, and a name used by two manifests. A folder
// without manifests is a mistake too. The plugins are returned only when
// there is no error.
func Load(dir string) ([]*Plugin, dsl.Diagnostics) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, dsl.Diagnostics{{Pos: dsl.Pos{File: dir}, Code: dsl.CodeValue, Msg: "plugin folder: " + pathError(err)}}
	}
	var (
		plugins []*Plugin
		ds      dsl.Diagnostics
		first   = map[string]*Plugin{}
	)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ManifestSuffix) {
			continue
		}
		file := filepath.Join(dir, e.Name())
		src, err := os.ReadFile(file)
		if err != nil {
			ds = append(ds, dsl.Diagnostic{Pos: dsl.Pos{File: file}, Code: dsl.CodeValue, Msg: pathError(err)})
			continue
		}
		p, pds := parse(file, src)
		ds = append(ds, pds...)
		if p == nil {
			continue
		}
		if f, dup := first[p.Name]; dup {
			ds = append(ds, dsl.Diagnostic{Pos: p.namePos, Path: "name", Code: dsl.CodeValue,
				Msg: fmt.Sprintf("plugin name %q is already used by %s:%d", p.Name, f.Manifest, f.namePos.Line)})
			continue
		}
		first[p.Name] = p
		plugins = append(plugins, p)
	}
	if len(plugins) == 0 && len(ds) == 0 {
		ds = append(ds, dsl.Diagnostic{Pos: dsl.Pos{File: dir}, Code: dsl.CodeValue, Msg: "plugin folder has no *" + ManifestSuffix + " manifests"})
	}
	if ds.HasErrors() {
		return nil, ds.Sort()
	}
	return plugins, ds
}

// Register adds each plugin to r as an activity whose Spec carries the
// manifest's name, summary, schemas and source. A name that r already has
// (a built-in activity, or a plugin of another folder) is reported at the
// manifest's name; the other plugins are still registered.
func Register(r *activities.Registry, plugins []*Plugin) dsl.Diagnostics {
	var ds dsl.Diagnostics
	for _, p := range plugins {
		if err := r.Register(p.Spec(), p.Execute); err != nil {
			msg := err.Error()
			if errors.Is(err, activities.ErrDuplicate) {
				msg = fmt.Sprintf("activity %q is already registered", p.Name)
				if s, ok := r.Lookup(p.Name); ok && s.Source != "" {
					msg += " (" + s.Source + ")"
				}
			}
			ds = append(ds, dsl.Diagnostic{Pos: p.namePos, Path: "name", Code: dsl.CodeValue, Msg: msg})
		}
	}
	return ds.Sort()
}

// Spec returns the activity spec of p.
func (p *Plugin) Spec() activities.Spec {
	return activities.Spec{
		Name:        p.Name,
		Summary:     p.Summary,
		Description: p.Description,
		Input:       p.Input,
		Output:      p.Output,
		Source:      "plugin: " + p.Manifest,
	}
}

// manifestParser collects the diagnostics of one manifest.
type manifestParser struct {
	file string
	ds   dsl.Diagnostics
}

func (m *manifestParser) errorf(n *yaml.Node, path string, code dsl.Code, format string, args ...any) {
	m.ds = append(m.ds, dsl.Diagnostic{
		Pos: dsl.Pos{File: m.file, Line: n.Line, Col: n.Column}, Path: path, Code: code, Msg: fmt.Sprintf(format, args...),
	})
}

// parse reads one manifest. Relative paths in it are relative to the
// manifest's folder. It returns nil when the manifest has an error.
func parse(file string, src []byte) (*Plugin, dsl.Diagnostics) {
	root, ds := dsl.Decode(file, src)
	if ds.HasErrors() {
		return nil, ds
	}
	m := &manifestParser{file: file}
	if root.Kind != yaml.MappingNode {
		m.errorf(root, "", dsl.CodeType, "a plugin manifest must be a mapping, got %s", dsl.DescribeNode(root))
		return nil, m.ds
	}
	base, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		m.errorf(root, "", dsl.CodeValue, "%v", err)
		return nil, m.ds
	}
	vals := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			m.errorf(k, "", dsl.CodeType, "keys must be strings, got %s", dsl.DescribeNode(k))
			continue
		}
		if !slices.Contains(manifestKeys, k.Value) {
			msg := fmt.Sprintf("unknown key %q", k.Value)
			if s := suggest.Closest(k.Value, manifestKeys); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			m.errorf(k, k.Value, dsl.CodeUnknownKey, "%s", msg)
			continue
		}
		vals[k.Value] = v
	}
	for _, k := range []string{"protocol", "name", "summary", "command"} {
		if vals[k] == nil {
			m.errorf(root, "", dsl.CodeRequired, "missing required key %q", k)
		}
	}
	p := &Plugin{Manifest: file, Dir: base, GracePeriod: DefaultGracePeriod}
	if n := vals["protocol"]; n != nil {
		if s, ok := m.str(n, "protocol"); ok && s != Protocol {
			m.errorf(n, "protocol", dsl.CodeValue, "unsupported protocol %q: this dslrun speaks %q", s, Protocol)
		}
	}
	if n := vals["name"]; n != nil {
		p.Name, _ = m.str(n, "name")
		p.namePos = dsl.Pos{File: file, Line: n.Line, Col: n.Column}
		if p.Name != "" {
			// Register checks the name as it will when the plugin is registered.
			if err := activities.NewRegistry().Register(activities.Spec{Name: p.Name}, p.Execute); err != nil {
				m.errorf(n, "name", dsl.CodeValue, "%v", err)
			}
		}
	}
	if n := vals["summary"]; n != nil {
		p.Summary, _ = m.str(n, "summary")
	}
	if n := vals["description"]; n != nil {
		p.Description, _ = m.str(n, "description")
	}
	if n := vals["dir"]; n != nil {
		if s, ok := m.str(n, "dir"); ok {
			p.Dir = resolve(base, s)
			if st, err := os.Stat(p.Dir); err != nil {
				m.errorf(n, "dir", dsl.CodeValue, "%q: %s", s, pathError(err))
			} else if !st.IsDir() {
				m.errorf(n, "dir", dsl.CodeValue, "%q is not a folder", s)
			}
		}
	}
	if n := vals["command"]; n != nil {
		if s, ok := m.str(n, "command"); ok {
			path, err := lookCommand(base, s)
			if err != nil {
				m.errorf(n, "command", dsl.CodeValue, "%v", err)
			}
			p.Command = path
		}
	}
	if n := vals["args"]; n != nil {
		p.Args = m.list(n, "args", func(c *yaml.Node, path string) (string, bool) {
			if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
				m.errorf(c, path, dsl.CodeType, "expected a string, got %s", dsl.DescribeNode(c))
				return "", false
			}
			return c.Value, true
		})
	}
	if n := vals["env"]; n != nil {
		seen := map[string]bool{}
		p.Env = m.list(n, "env", func(c *yaml.Node, path string) (string, bool) {
			s, ok := m.str(c, path)
			switch {
			case !ok:
			case !envNameRe.MatchString(s):
				m.errorf(c, path, dsl.CodeValue, "%q is not an environment variable name", s)
			case strings.HasPrefix(s, "DSLRUN_"):
				m.errorf(c, path, dsl.CodeValue, "%q: the DSLRUN_ prefix is reserved for the protocol's variables", s)
			case seen[s]:
				m.errorf(c, path, dsl.CodeValue, "%q is listed twice", s)
			default:
				seen[s] = true
				return s, true
			}
			return "", false
		})
	}
	for _, k := range []string{"input", "output"} {
		n := vals[k]
		if n == nil {
			continue
		}
		if n.Kind != yaml.MappingNode && (n.Kind != yaml.ScalarNode || n.Tag != "!!bool") {
			m.errorf(n, k, dsl.CodeType, "expected a JSON schema (a mapping or a boolean), got %s", dsl.DescribeNode(n))
			continue
		}
		raw, err := json.Marshal(jsonValue(n))
		if err == nil {
			err = activities.CheckSchema(raw)
		}
		if err != nil {
			m.errorf(n, k, dsl.CodeSchema, "invalid JSON schema: %v", err)
			continue
		}
		if k == "input" {
			p.Input = raw
		} else {
			p.Output = raw
		}
	}
	if n := vals["heartbeat"]; n != nil {
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			m.errorf(n, "heartbeat", dsl.CodeType, "expected a boolean, got %s", dsl.DescribeNode(n))
		} else {
			p.Heartbeat, _ = strconv.ParseBool(strings.ToLower(n.Value))
		}
	}
	p.StartToCloseTimeout = m.duration(vals["startToCloseTimeout"], "startToCloseTimeout", 0)
	p.HeartbeatTimeout = m.duration(vals["heartbeatTimeout"], "heartbeatTimeout", 0)
	p.GracePeriod = m.duration(vals["gracePeriod"], "gracePeriod", DefaultGracePeriod)
	if n := vals["heartbeatTimeout"]; n != nil && !p.Heartbeat {
		m.errorf(n, "heartbeatTimeout", dsl.CodeValue, "needs heartbeat: true (the worker heartbeats for a plugin that does not)")
	}
	if m.ds.HasErrors() {
		return nil, m.ds.Sort()
	}
	return p, m.ds
}

// str reads a string scalar.
func (m *manifestParser) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		m.errorf(n, path, dsl.CodeType, "expected a string, got %s", dsl.DescribeNode(n))
		return "", false
	}
	if strings.TrimSpace(n.Value) == "" {
		m.errorf(n, path, dsl.CodeValue, "must not be empty")
		return "", false
	}
	return n.Value, true
}

// list reads a list whose items item converts.
func (m *manifestParser) list(n *yaml.Node, path string, item func(*yaml.Node, string) (string, bool)) []string {
	if n.Kind != yaml.SequenceNode {
		m.errorf(n, path, dsl.CodeType, "expected a list, got %s", dsl.DescribeNode(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		if s, ok := item(c, fmt.Sprintf("%s[%d]", path, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// duration reads a positive duration, or returns def when n is nil.
func (m *manifestParser) duration(n *yaml.Node, path string, def time.Duration) time.Duration {
	if n == nil {
		return def
	}
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		m.errorf(n, path, dsl.CodeDuration, "duration %s has no unit (want e.g. 30s, 5m, 1h30m, 2d)", n.Value)
		return def
	}
	s, ok := m.str(n, path)
	if !ok {
		return def
	}
	d, err := dsl.ParseDuration(s)
	if err != nil {
		m.errorf(n, path, dsl.CodeDuration, "%v", err)
		return def
	}
	if d == 0 {
		m.errorf(n, path, dsl.CodeDuration, "duration must be positive")
		return def
	}
	return time.Duration(d)
}

// resolve makes p absolute, relative to base.
func resolve(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}

// lookCommand finds the executable of a manifest's command: a path (with a
// slash) relative to the manifest's folder, or else a name in the worker's
// PATH.
func lookCommand(base, command string) (string, error) {
	if !strings.Contains(command, "/") {
		path, err := osexec.LookPath(command)
		if err != nil {
			return "", fmt.Errorf("%q is not found in PATH", command)
		}
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		return path, nil
	}
	path := resolve(base, command)
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return "", fmt.Errorf("%q: %s", command, pathError(err))
	case st.IsDir():
		return "", fmt.Errorf("%q is a folder, not an executable", command)
	case st.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("%q is not executable (chmod +x it)", command)
	}
	return path, nil
}

// pathError is the message of a file error without the path, which the
// diagnostic already names.
func pathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file or folder"
	}
	return err.Error()
}

// jsonValue converts a YAML node into a value that encoding/json encodes:
// mappings with string keys, lists and scalars by their YAML type.
func jsonValue(n *yaml.Node) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = jsonValue(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			l[i] = jsonValue(c)
		}
		return l
	default: // a scalar: by its tag, below (documents and aliases are refused by dsl.Decode)
	}
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		return b
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return i
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	}
	return n.Value
}
