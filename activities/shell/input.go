package shell

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"
)

// Input is the step's with: value.
type Input struct {
	// Command is the program and its arguments ([]string), or a string
	// run by /bin/sh -c when Shell is true.
	Command json.RawMessage `json:"command"`
	// Shell runs a string Command with /bin/sh -c.
	Shell bool `json:"shell,omitempty"`
	// Dir is the working directory.
	Dir string `json:"dir,omitempty"`
	// Env names the worker environment variables the process sees.
	Env []string `json:"env,omitempty"`
	// Stdin is the process's standard input.
	Stdin string `json:"stdin,omitempty"`
	// Timeout stops the process group after this long, a Go duration.
	Timeout string `json:"timeout,omitempty"`
	// MaxOutputBytes is the largest standard output accepted.
	MaxOutputBytes int64 `json:"maxOutputBytes,omitempty"`
}

// Result is the step's result.
type Result struct {
	// ExitCode is 0: any other status fails the attempt.
	ExitCode int `json:"exitCode"`
	// Stdout is the process's standard output.
	Stdout string `json:"stdout"`
	// Stderr is the end of its standard error (at most [StderrTail] bytes).
	Stderr string `json:"stderr"`
}

// ExitDetails are the details of an [ExitErrorType] failure, read in a
// catch as error.details.
type ExitDetails struct {
	// ExitCode is the exit status, or -1 when killed by a signal.
	ExitCode int `json:"exitCode"`
	// Stderr is the end of standard error.
	Stderr string `json:"stderr"`
	// Stdout is the end of standard output.
	Stdout string `json:"stdout,omitempty"`
}

// lookupEnv reads the worker's environment; a variable for tests.
var lookupEnv = os.LookupEnv

// argv returns the command line to run.
func (in Input) argv() ([]string, error) {
	raw := bytes.TrimSpace(in.Command)
	if len(raw) == 0 {
		return nil, invalidInput("command is required")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, invalidInput("command: %v", err)
		}
		if !in.Shell {
			return nil, invalidInput("command %q is a string: give an argument list such as [ls, -l], or set shell: true to run it with /bin/sh -c", s)
		}
		if strings.TrimSpace(s) == "" {
			return nil, invalidInput("command must not be empty")
		}
		return []string{"/bin/sh", "-c", s}, nil
	}
	var argv []string
	if err := json.Unmarshal(raw, &argv); err != nil {
		return nil, invalidInput("command: must be a list of strings, or a string with shell: true")
	}
	if len(argv) == 0 || argv[0] == "" {
		return nil, invalidInput("command must name a program")
	}
	if in.Shell {
		return nil, invalidInput("shell: true needs command as one string")
	}
	return argv, nil
}

// limits returns the timeout (0: none) and the output cap.
func (in Input) limits() (time.Duration, int64, error) {
	var timeout time.Duration
	if in.Timeout != "" {
		d, err := time.ParseDuration(in.Timeout)
		if err != nil || d <= 0 {
			return 0, 0, invalidInput("timeout %q: must be a positive Go duration such as 30s", in.Timeout)
		}
		timeout = d
	}
	maxOut := int64(DefaultMaxOutputBytes)
	if in.MaxOutputBytes != 0 {
		if in.MaxOutputBytes < 0 || in.MaxOutputBytes > MaxOutputBytes {
			return 0, 0, invalidInput("maxOutputBytes %d: must be between 1 and %d", in.MaxOutputBytes, MaxOutputBytes)
		}
		maxOut = in.MaxOutputBytes
	}
	return timeout, maxOut, nil
}

// environ is the process's environment: the allowed names that the
// worker has, and nothing else.
func (in Input) environ(lookup func(string) (string, bool)) []string {
	env := []string{}
	for _, name := range in.Env {
		if v, ok := lookup(name); ok {
			env = append(env, name+"="+v)
		}
	}
	return env
}

func invalidInput(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), InvalidInputType, nil)
}

// capped keeps up to limit bytes and closes over (once) when more come.
type capped struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int64
	over  chan struct{}
	shut  bool
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.limit - int64(c.buf.Len()); int64(len(p)) > room {
		c.buf.Write(p[:max(room, 0)])
		if !c.shut {
			c.shut = true
			close(c.over)
		}
		return len(p), nil // keep the process writing until it is stopped
	}
	c.buf.Write(p)
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// tail keeps the last StderrTail bytes written.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*StderrTail {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-StderrTail:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return tailString(string(t.buf), StderrTail)
}

// tailString is the last n bytes of s, starting at a rune boundary.
func tailString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	for len(s) > 0 && !utf8.RuneStart(s[0]) {
		s = s[1:]
	}
	return s
}
