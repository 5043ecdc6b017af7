package exec

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dslrun/dslrun/activities"
)

// writeFiles writes files (path: content) under dir; a path ending in .sh
// is made executable unless its content starts with "noexec:".
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			if c, ok := strings.CutPrefix(content, "noexec:"); ok {
				content = c
			} else {
				mode = 0o755
			}
		}
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoadErrors checks, against golden text, that Load reports every
// mistake of every manifest of a folder at its file:line:col.
func TestLoadErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFiles(t, ".", map[string]string{
		"plugins/broken.plugin.yaml": `protocol: dslrun.plugin/v2
name: bad name
sumary: typo
command: ./missing.sh
args: [a, {b: 1}]
env: [PATH, DSLRUN_X, 1BAD, PATH]
input: {$ref: "http://example.com/s.json"}
output: [1]
startToCloseTimeout: 30
heartbeatTimeout: 10s
dir: nowhere
`,
		"plugins/notexec.plugin.yaml": `protocol: dslrun.plugin/v1
name: notexec
summary: a script without the executable bit
command: ./plain.sh
`,
		"plugins/plain.sh": "noexec:#!/bin/sh\necho 1\n",
		"plugins/nopath.plugin.yaml": `protocol: dslrun.plugin/v1
name: nopath
summary: a command that is not in PATH
command: no-such-command-dslrun
heartbeat: yes please
gracePeriod: -1s
`,
		"plugins/folder.plugin.yaml": `protocol: dslrun.plugin/v1
name: folder
summary: a folder as the command
command: ./sub
dir: plain.sh
`,
		"plugins/sub/x":                  "",
		"plugins/list.plugin.yaml":       "- protocol: dslrun.plugin/v1\n",
		"plugins/alias.plugin.yaml":      "protocol: &p dslrun.plugin/v1\nname: *p\n",
		"plugins/ignored.yaml":           "not a manifest: the suffix is .plugin.yaml\n",
		"plugins/sub/nested.plugin.yaml": "not read: Load does not recurse\n",
	})
	want := `plugins/alias.plugin.yaml:2:7: YAML aliases (*p) are not supported: repeat the value instead
plugins/broken.plugin.yaml:1:1: missing required key "summary"
plugins/broken.plugin.yaml:1:11: protocol: unsupported protocol "dslrun.plugin/v2": this dslrun speaks "dslrun.plugin/v1"
plugins/broken.plugin.yaml:2:7: name: activity name "bad name" must not contain spaces or control characters
plugins/broken.plugin.yaml:3:1: sumary: unknown key "sumary" (did you mean "summary"?)
plugins/broken.plugin.yaml:4:10: command: "./missing.sh": no such file or folder
plugins/broken.plugin.yaml:5:11: args[1]: expected a string, got mapping
plugins/broken.plugin.yaml:6:13: env[1]: "DSLRUN_X": the DSLRUN_ prefix is reserved for the protocol's variables
plugins/broken.plugin.yaml:6:23: env[2]: "1BAD" is not an environment variable name
plugins/broken.plugin.yaml:6:29: env[3]: "PATH" is listed twice
plugins/broken.plugin.yaml:7:8: input: invalid JSON schema: $ref "http://example.com/s.json": only local references ("#/...") are allowed
plugins/broken.plugin.yaml:8:9: output: expected a JSON schema (a mapping or a boolean), got list
plugins/broken.plugin.yaml:9:22: startToCloseTimeout: duration 30 has no unit (want e.g. 30s, 5m, 1h30m, 2d)
plugins/broken.plugin.yaml:10:19: heartbeatTimeout: needs heartbeat: true (the worker heartbeats for a plugin that does not)
plugins/broken.plugin.yaml:11:6: dir: "nowhere": no such file or folder
plugins/folder.plugin.yaml:4:10: command: "./sub" is a folder, not an executable
plugins/folder.plugin.yaml:5:6: dir: "plain.sh" is not a folder
plugins/list.plugin.yaml:1:1: a plugin manifest must be a mapping, got list
plugins/nopath.plugin.yaml:4:10: command: "no-such-command-dslrun" is not found in PATH
plugins/nopath.plugin.yaml:5:12: heartbeat: expected a boolean, got string
plugins/nopath.plugin.yaml:6:14: gracePeriod: duration "-1s" must not be negative
plugins/notexec.plugin.yaml:4:10: command: "./plain.sh" is not executable (chmod +x it)`
	plugins, ds := Load("plugins")
	if plugins != nil {
		t.Errorf("Load returned %d plugins with errors", len(plugins))
	}
	if got := ds.Error(); got != want {
		t.Errorf("diagnostics:\n%s\n\nwant:\n%s", got, want)
	}
}

// TestLoadFolderErrors checks the mistakes of a plugin folder as a whole.
func TestLoadFolderErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	ok := "protocol: dslrun.plugin/v1\nname: same\nsummary: s\ncommand: ./run.sh\n"
	writeFiles(t, ".", map[string]string{
		"empty/readme.txt":       "no manifests here",
		"dup/a.plugin.yaml":      ok,
		"dup/b.plugin.yaml":      "# the second\n" + ok,
		"dup/run.sh":             "#!/bin/sh\n",
		"builtin/a.plugin.yaml":  strings.Replace(ok, "same", "echo", 1),
		"builtin/run.sh":         "#!/bin/sh\n",
		"builtin/b.plugin.yaml":  strings.Replace(ok, "same", "other", 1),
		"builtin2/a.plugin.yaml": strings.Replace(ok, "same", "other", 1),
		"builtin2/run.sh":        "#!/bin/sh\n",
	})
	tests := []struct {
		dir  string
		want string
	}{
		{"missing", "missing: plugin folder: no such file or folder"},
		{"empty", "empty: plugin folder has no *.plugin.yaml manifests"},
		{"dup", `dup/b.plugin.yaml:3:7: name: plugin name "same" is already used by dup/a.plugin.yaml:2`},
	}
	for _, tt := range tests {
		if _, ds := Load(tt.dir); ds.Error() != tt.want {
			t.Errorf("Load(%s):\n%s\nwant:\n%s", tt.dir, ds.Error(), tt.want)
		}
	}

	// A name that the registry has already, from Go or from another folder.
	reg := activities.NewRegistry()
	if err := reg.Register(activities.Spec{Name: "echo"}, func(context.Context, any) error { return nil }); err != nil {
		t.Fatal(err)
	}
	plugins, ds := Load("builtin")
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	want := `builtin/a.plugin.yaml:2:7: name: activity "echo" is already registered`
	if ds := Register(reg, plugins); ds.Error() != want {
		t.Errorf("Register:\n%s\nwant:\n%s", ds.Error(), want)
	}
	if s, ok := reg.Lookup("other"); !ok || s.Source != "plugin: builtin/b.plugin.yaml" {
		t.Errorf("the other plugin of the folder: %+v, %v; want it registered", s, ok)
	}
	plugins, _ = Load("builtin2")
	want = `builtin2/a.plugin.yaml:2:7: name: activity "other" is already registered (plugin: builtin/b.plugin.yaml)`
	if ds := Register(reg, plugins); ds.Error() != want {
		t.Errorf("Register:\n%s\nwant:\n%s", ds.Error(), want)
	}
}

// TestLoad checks that every key of a manifest reaches the plugin and its
// spec.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"p/full.plugin.yaml": `# a comment
protocol: dslrun.plugin/v1
name: full
summary: every key
description: |
  Markdown.
command: bin/run.sh
args: [--flag, 3, "x y"]
dir: ../work
env: [PATH, LANG]
input:
  type: object
  required: [n]
  properties:
    n: {type: integer, minimum: 0}
output: {type: object}
startToCloseTimeout: 1h30m
heartbeat: true
heartbeatTimeout: 20s
gracePeriod: 1s
`,
		"p/min.plugin.yaml": "protocol: dslrun.plugin/v1\nname: min\nsummary: the required keys\ncommand: sh\n",
		"p/bin/run.sh":      "#!/bin/sh\n",
		"work/.keep":        "",
	})
	plugins, ds := Load(filepath.Join(dir, "p"))
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	if len(plugins) != 2 {
		t.Fatalf("%d plugins, want 2", len(plugins))
	}
	full, min := plugins[0], plugins[1]
	want := &Plugin{
		Name:                "full",
		Summary:             "every key",
		Description:         "Markdown.\n",
		Manifest:            filepath.Join(dir, "p", "full.plugin.yaml"),
		Command:             filepath.Join(dir, "p", "bin", "run.sh"),
		Args:                []string{"--flag", "3", "x y"},
		Dir:                 filepath.Join(dir, "work"),
		Env:                 []string{"PATH", "LANG"},
		Input:               json.RawMessage(`{"properties":{"n":{"minimum":0,"type":"integer"}},"required":["n"],"type":"object"}`),
		Output:              json.RawMessage(`{"type":"object"}`),
		StartToCloseTimeout: 90 * time.Minute,
		Heartbeat:           true,
		HeartbeatTimeout:    20 * time.Second,
		GracePeriod:         time.Second,
		namePos:             full.namePos,
	}
	if !reflect.DeepEqual(full, want) {
		t.Errorf("plugin\n%+v\nwant\n%+v", full, want)
	}
	if full.namePos.Line != 3 || full.namePos.Col != 7 {
		t.Errorf("name at %+v, want line 3, column 7", full.namePos)
	}
	if min.Dir != filepath.Join(dir, "p") || min.GracePeriod != DefaultGracePeriod || !filepath.IsAbs(min.Command) ||
		min.Heartbeat || min.StartToCloseTimeout != 0 || min.Input != nil || min.Env != nil {
		t.Errorf("defaults: %+v", min)
	}

	// The spec makes validate check with: against the input schema.
	reg := activities.NewRegistry()
	if ds := Register(reg, plugins); len(ds) > 0 {
		t.Fatal(ds)
	}
	spec, _ := reg.Lookup("full")
	if spec.Summary != "every key" || spec.Source != "plugin: "+want.Manifest || string(spec.Input) != string(want.Input) {
		t.Errorf("spec %+v", spec)
	}
	errs := reg.CheckInput("full", map[string]any{"n": -1})
	if len(errs) != 1 || errs[0].Path != "n" {
		t.Errorf("CheckInput(full, {n: -1}) = %v, want one error at n", errs)
	}
}
