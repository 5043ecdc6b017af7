//go:build unix

package exec

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dslrun/dslrun/activities"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
)

// benchInput is a typical with: value.
var benchInput = map[string]any{"orderId": "o-42", "amount": 12.5, "items": []any{"a", "b", "c"}}

// benchEnv returns a test activity environment that serves fn as "p".
func benchEnv(b *testing.B, spec activities.Spec, fn any) *testsuite.TestActivityEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := s.NewTestActivityEnvironment()
	reg := activities.NewRegistry()
	if err := reg.Register(spec, fn); err != nil {
		b.Fatal(err)
	}
	reg.Attach(env)
	return env
}

// benchPlugin loads a plugin "p" whose command is command (a script body
// when it starts with "#!").
func benchPlugin(b *testing.B, command string) *Plugin {
	dir := b.TempDir()
	if len(command) > 2 && command[:2] == "#!" {
		if err := os.WriteFile(filepath.Join(dir, "run.sh"), []byte(command), 0o755); err != nil {
			b.Fatal(err)
		}
		command = "./run.sh"
	}
	manifest := "protocol: dslrun.plugin/v1\nname: p\nsummary: s\ncommand: " + command + "\nenv: [PATH]\n"
	if err := os.WriteFile(filepath.Join(dir, "p.plugin.yaml"), []byte(manifest), 0o644); err != nil {
		b.Fatal(err)
	}
	plugins, ds := Load(dir)
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	return plugins[0]
}

// goEcho is the same work as the cat plugins, as an in-process Go activity.
func goEcho(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil }

// BenchmarkCall measures one activity call through a test activity
// environment: an in-process Go function, the cat binary as a plugin, and a
// shell script running cat as a plugin; one at a time and 20 in flight
// (one environment per goroutine). The difference between a plugin and go
// is the cost the exec protocol adds to a call.
func BenchmarkCall(b *testing.B) {
	kinds := []struct {
		name string
		fn   func(b *testing.B) (activities.Spec, any)
	}{
		{"go", func(*testing.B) (activities.Spec, any) { return activities.Spec{Name: "p"}, goEcho }},
		{"plugin-cat", func(b *testing.B) (activities.Spec, any) {
			p := benchPlugin(b, "cat")
			return p.Spec(), p.Execute
		}},
		{"plugin-sh", func(b *testing.B) (activities.Spec, any) {
			p := benchPlugin(b, "#!/bin/sh\ncat\n")
			return p.Spec(), p.Execute
		}},
	}
	for _, k := range kinds {
		for _, inFlight := range []int{1, 20} {
			b.Run(k.name+"/in-flight="+itoa(inFlight), func(b *testing.B) {
				spec, fn := k.fn(b)
				envs := make([]*testsuite.TestActivityEnvironment, inFlight)
				for i := range envs {
					envs[i] = benchEnv(b, spec, fn)
				}
				self, children := cpuTime()
				b.ResetTimer()
				var wg sync.WaitGroup
				errs := make(chan error, inFlight)
				for g := range inFlight {
					n := b.N / inFlight
					if g < b.N%inFlight {
						n++
					}
					wg.Add(1)
					go func(env *testsuite.TestActivityEnvironment, n int) {
						defer wg.Done()
						for range n {
							v, err := env.ExecuteActivity("p", benchInput)
							if err == nil {
								var out map[string]any
								err = v.Get(&out)
							}
							if err != nil {
								errs <- err
								return
							}
						}
					}(envs[g], n)
				}
				wg.Wait()
				self2, children2 := cpuTime()
				b.ReportMetric(float64(self2-self)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(children2-children)/float64(b.N), "child-cpu-ns/op")
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
			})
		}
	}
}

// cpuTime is the CPU time (user and system) used so far by this process
// (the worker) and by its waited-for children (the plugins): unlike the
// wall time of a call, it hardly depends on what else runs on the machine.
func cpuTime() (self, children time.Duration) {
	var s, c syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &s)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &c)
	d := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return d(s.Utime) + d(s.Stime), d(c.Utime) + d(c.Stime)
}

func itoa(n int) string {
	if n == 1 {
		return "1"
	}
	return "20"
}

// BenchmarkSpawn is the floor under a plugin call: os/exec running cat with
// the input on stdin and reading its stdout, nothing else.
func BenchmarkSpawn(b *testing.B) {
	in, err := json.Marshal(benchInput)
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		cmd := osexec.Command("cat")
		cmd.Stdin = bytes.NewReader(in)
		if _, err := cmd.Output(); err != nil {
			b.Fatal(err)
		}
	}
}
