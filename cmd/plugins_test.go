package dslruncmd_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	dslruncmd "github.com/dslrun/dslrun/cmd"
)

// runEnv runs dslrun in process with args and the environment env, and
// returns its exit code, stdout and stderr.
func runEnv(env map[string]string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := dslruncmd.Run(dslruncmd.Options{
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Args:   args,
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	})
	return code, stdout.String(), stderr.String()
}

// TestPluginsApply runs examples/plugins/plugins.yaml end to end on the
// shared embedded server, with its Python and shell plugins served by the
// worker of the apply process: the Python plugin crashes on its first
// attempt and its retry resumes from the last heartbeat; the shell
// plugin's typed failure is caught by type.
func TestPluginsApply(t *testing.T) {
	plugins := filepath.Join("..", "examples", "plugins")
	code, stdout, stderr := runEnv(nil, "apply", filepath.Join(plugins, "plugins.yaml"), "--plugins", plugins,
		"--address", sharedServer(t), "--worker", "--task-queue", "q-plugins-apply", "-q")
	if code != 0 {
		t.Fatalf("apply exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var got any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	var want any
	if err := json.Unmarshal([]byte(`{
		"count": {"words": 6, "lines": 3, "attempt": 2, "resumedAt": 2},
		"stamp": {"input": {"words": 6}, "attempt": 1, "protocol": "dslrun.plugin/v1"},
		"refused": "asked to refuse"
	}`), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("output:\n%s\nwant the same as:\n%v", stdout, want)
	}
}

// TestPluginsValidate checks that validate checks with: against a plugin's
// input schema, with the plugins named by --plugins or DSLRUN_PLUGINS, and
// that a broken plugin folder stops the command at file:line:col.
func TestPluginsValidate(t *testing.T) {
	plugins, err := filepath.Abs(filepath.Join("..", "examples", "plugins"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	writeTestFile(t, bad, `dsl: v1
name: bad
steps:
  - activity: wordcount
    with: {txt: hello, crashAfterLine: 0}
`)
	broken := filepath.Join(dir, "broken")
	writeTestFile(t, filepath.Join(broken, "x.plugin.yaml"), "protocol: dslrun.plugin/v1\nname: x\nsummary: s\ncommand: ./gone.sh\n")
	ok := filepath.Join(plugins, "plugins.yaml")

	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "with: checked against the plugin's schema", args: []string{"validate", "--plugins", plugins, bad}, code: 1,
			stdout: bad + `:5:11: steps[0].with: missing required property "text" (input of activity "wordcount")
` + bad + `:5:17: steps[0].with.txt: unknown property "txt" (did you mean "text"?) (input of activity "wordcount")
` + bad + `:5:40: steps[0].with.crashAfterLine: must be greater than or equal to 1 (input of activity "wordcount")
1 of 1 files invalid
`},
		{name: "plugins from DSLRUN_PLUGINS", env: map[string]string{"DSLRUN_PLUGINS": plugins}, args: []string{"validate", bad}, code: 1,
			stdout: "missing required property"},
		{name: "without the plugins, with: is not checked", args: []string{"validate", bad}, code: 0,
			stdout: "\nok  " + bad + " (bad)"},
		{name: "the example with its plugins", args: []string{"validate", "--plugins", plugins, ok}, code: 0,
			stdout: "ok  " + ok + " (plugins)\n"},
		{name: "broken plugin folder", args: []string{"validate", "--plugins", broken, ok}, code: 1,
			stderr: filepath.Join(broken, "x.plugin.yaml") + `:4:10: command: "./gone.sh": no such file or folder
dslrun: plugins: 1 error
`},
		{name: "broken plugin folder in DSLRUN_PLUGINS", env: map[string]string{"DSLRUN_PLUGINS": plugins + string(os.PathListSeparator) + broken},
			args: []string{"worker", "--dir", dir}, code: 1,
			stderr: filepath.Join(broken, "x.plugin.yaml") + `:4:10: command: "./gone.sh": no such file or folder
dslrun: plugins: 1 error
`},
		{name: "the same folder twice", args: []string{"activities", "--plugins", plugins, "--plugins", plugins}, code: 0,
			stdout: "stamp"},
		{name: "empty --plugins", args: []string{"apply", "--plugins", "", ok}, code: 2, stderr: "dslrun: --plugins must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runEnv(tt.env, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			if strings.HasSuffix(tt.stderr, "\n") && stderr != tt.stderr || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, tt.stderr)
			}
			if strings.HasSuffix(tt.stdout, "\n") && stdout != tt.stdout || !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout, tt.stdout)
			}
		})
	}
}

// TestPluginsActivities checks that the activities command lists plugins
// with their source, in text and in JSON.
func TestPluginsActivities(t *testing.T) {
	plugins := filepath.Join("..", "examples", "plugins")
	code, stdout, stderr := runEnv(nil, "activities", "--plugins", plugins)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"Count the words of a text, resuming from its last heartbeat on a retry  (plugin: " + filepath.Join(plugins, "wordcount.plugin.yaml") + ")",
		"stamp",
		"echo", // the built-in activities are still there
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("activities --plugins does not show %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = runEnv(nil, "activities", "--plugins", plugins, "-o", "json")
	var items []struct{ Name, Source string }
	if err := json.Unmarshal([]byte(stdout), &items); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s", code, err, stdout)
	}
	sources := map[string]string{}
	for _, it := range items {
		sources[it.Name] = it.Source
	}
	if sources["stamp"] != "plugin: "+filepath.Join(plugins, "stamp.plugin.yaml") || sources["echo"] != "" {
		t.Errorf("sources %v", sources)
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
