package dslruncmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dslrun/dslrun/activities"
	dslruncmd "github.com/dslrun/dslrun/cmd"
	"github.com/dslrun/dslrun/internal/devserver"
	"github.com/dslrun/dslrun/interpreter"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// TestREADMEOperatingCommands runs the README's "Drive a running workflow"
// commands as written, in order, against a server of their own with a
// worker on the default task queue: each must exit 0, or with the code its
// comment names ("exit 1"), and print the JSON its comment shows, if any.
func TestREADMEOperatingCommands(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := shellBlock(t, string(readme), "## Drive a running workflow")
	examples, err := filepath.Abs(filepath.Join("..", "examples"))
	if err != nil {
		t.Fatal(err)
	}

	// A server of its own: the commands use fixed ids and the default task
	// queue, which other tests' workers may poll on the shared server.
	srv, err := devserver.Start(context.Background(), devserver.Options{})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w := worker.New(c, "dslrun", worker.Options{})
	interpreter.Register(w, interpreter.Options{})
	activities.Default().Attach(w)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	// The commands name examples/ relatively and may write files.
	dir := t.TempDir()
	if err := os.Symlink(examples, filepath.Join(dir, "examples")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	env := map[string]string{}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	for _, line := range lines {
		cmdText, comment := splitComment(line)
		if strings.HasPrefix(cmdText, "export ") {
			for _, kv := range shellWords(t, strings.TrimPrefix(cmdText, "export ")) {
				k, _, _ := strings.Cut(kv, "=")
				env[k] = srv.FrontendAddress() // TEMPORAL_ADDRESS: this test's server
			}
			continue
		}
		wantCode := 0
		if m := regexp.MustCompile(`\bexit (\d+)\b`).FindStringSubmatch(comment); m != nil {
			wantCode, _ = strconv.Atoi(m[1])
		}
		var wantJSON any
		if json.Unmarshal([]byte(comment), &wantJSON) != nil {
			wantJSON = nil
		}
		cmds := splitCommands(cmdText)
		for i, c := range cmds {
			words := shellWords(t, c.text)
			var outFile string
			if n := len(words); n >= 2 && words[n-2] == ">" {
				outFile, words = words[n-1], words[:n-2]
			}
			if len(words) == 0 || words[0] != "dslrun" {
				t.Fatalf("README line %q: %q is not a dslrun command", line, c.text)
			}
			var stdout, stderr bytes.Buffer
			code := dslruncmd.Run(dslruncmd.Options{
				Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
				Args: words[1:], LookupEnv: lookup,
			})
			last := i == len(cmds)-1
			want := 0
			if last {
				want = wantCode
			}
			if code != want {
				t.Fatalf("README: %s\nexit %d, want %d\n%s%s", c.text, code, want, stdout.String(), stderr.String())
			}
			if outFile != "" {
				if err := os.WriteFile(outFile, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if last && wantJSON != nil {
				var got any
				if err := json.Unmarshal(stdout.Bytes(), &got); err != nil || !reflect.DeepEqual(got, wantJSON) {
					t.Errorf("README: %s\nprinted %s, the README says %s", c.text, stdout.String(), comment)
				}
			}
			if c.and && code != 0 {
				break
			}
		}
	}
}

// shellBlock returns the lines of the first ```sh block after heading.
func shellBlock(t *testing.T, doc, heading string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q", heading)
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	if !ok {
		t.Fatalf("no sh block after %q", heading)
	}
	block, _, _ := strings.Cut(rest, "```")
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// splitComment splits a shell line at its comment (a # outside quotes).
func splitComment(line string) (string, string) {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' '):
			return strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
		}
	}
	return strings.TrimSpace(line), ""
}

type shellCommand struct {
	text string
	and  bool // followed by &&: the next runs only if this one succeeds
}

// splitCommands splits a line at ; and && outside quotes.
func splitCommands(line string) []shellCommand {
	var out []shellCommand
	var quote byte
	start := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == ';':
			out = append(out, shellCommand{text: strings.TrimSpace(line[start:i])})
			start = i + 1
		case c == '&' && i+1 < len(line) && line[i+1] == '&':
			out = append(out, shellCommand{text: strings.TrimSpace(line[start:i]), and: true})
			start = i + 2
			i++
		}
	}
	return append(out, shellCommand{text: strings.TrimSpace(line[start:])})
}

// shellWords splits s into words as sh does for the README's commands:
// blanks separate words, single and double quotes group (no escapes, no
// expansions).
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			if c == '$' || c == '`' || c == '\\' || c == '|' {
				t.Fatalf("README command %q: the test does not know shell syntax %q", s, c)
			}
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("README command %q: unterminated quote", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
