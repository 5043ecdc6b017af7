package dslruncmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/dslrun/dslrun/interpreter"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// defaultGracePeriod is how long a stopping worker lets running activities
// finish before it cancels them.
const defaultGracePeriod = 30 * time.Second

type workerOptions struct {
	*Options
	Dirs []string
	// Root is the folder child files must be in (--root).
	Root      string
	TaskQueue string
	Grace     time.Duration
	LogFile   string
	LogLevel  string
	Connect   connectOptions
	Tuning    workerTuning
}

func newWorkerCmd(opts *Options, runF func(*workerOptions) error) *cobra.Command {
	o := &workerOptions{Options: opts}
	cmd := &cobra.Command{
		Use:   "worker --dir DIR",
		Short: "Serve the workflow definitions of a folder and the registered activities",
		Long: `Run a long-lived Temporal worker on a task queue. It serves every workflow
definition in --dir by its name (so any Temporal client can start one by name,
with its input alone), runs started by 'dslrun apply' (which carry their
definition), and the registered activities ('dslrun activities').

Every definition is validated first, as 'dslrun validate' does; if any file is
invalid the worker lists every error and does not start. Definitions are read
once, at start: restart the worker to serve changed files (running workflows
keep the definition recorded in their history).

The worker needs a Temporal server: --address, TEMPORAL_ADDRESS or a profile
(for example a 'dslrun dev' server or a cluster). Start more workers on the same
task queue to share the load. On SIGINT or SIGTERM it stops polling, lets
running activities finish for up to --grace-period, and exits 0; a second
signal exits at once.

The tuning flags size the worker: how many activities and workflow tasks it
runs at once, how many polls it keeps open, how fast it starts activities,
and how many runs it keeps in memory between their tasks. Their defaults are
the Temporal Go SDK's.

  dslrun worker --dir examples/ --task-queue dslrun --address 127.0.0.1:7233
  dslrun worker --dir workflows/ --max-concurrent-activities 20 --activities-per-second 5`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(o.Dirs) == 0 {
				return usageErrorf("--dir is required: the folder of workflow definitions to serve")
			}
			if o.TaskQueue == "" {
				return usageErrorf("--task-queue must not be empty")
			}
			if o.Grace < 0 {
				return usageErrorf("--grace-period must not be negative")
			}
			if err := o.Tuning.validate(cmd.Flags()); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runWorker(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&o.Dirs, "dir", nil, "folder of workflow definitions (*.yaml, *.yml; DIR/... for subfolders too); repeatable")
	fs.StringVar(&o.TaskQueue, "task-queue", dsl.DefaultTaskQueue, "task queue to poll")
	fs.DurationVar(&o.Grace, "grace-period", defaultGracePeriod, "on shutdown, how long running activities may take to finish before they are cancelled")
	registerLogFlags(fs, &o.LogFile, &o.LogLevel)
	o.Connect.Flags.Register(fs)
	o.Connect.Codec.register(fs)
	o.Connect.Metrics.register(fs)
	o.Tuning.register(fs)
	addRootFlag(cmd, &o.Root)
	addPluginsFlag(cmd, opts)
	return cmd
}

// registerLogFlags adds --log-file and --log-level for commands that log to
// standard error by default.
func registerLogFlags(fs *pflag.FlagSet, file, level *string) {
	fs.StringVar(file, "log-file", "", "write logs to this file instead of standard error")
	fs.StringVar(level, "log-level", "warn", "level of logs: debug, info, warn or error")
}

func runWorker(ctx context.Context, o *workerOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	defs, err := loadDefinitions(o.Options, o.Dirs, o.Root)
	if err != nil {
		return err
	}
	co := o.Connect
	co.AllowEmbedded = false
	co.Server = serverFlags{LogFile: o.LogFile, LogLevel: o.LogLevel}
	s, err := open(ctx, o.Options, co)
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	defer s.Close()
	c, err := loggingClient(ctx, s, o.Stderr, o.LogFile, o.LogLevel)
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	defer c.Close()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	w, err := startWorker(c, o.Options, defs, o.TaskQueue, o.Grace, &o.Tuning)
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	fmt.Fprintf(o.Stderr, "dslrun worker serving task queue %q of namespace %q at %s\n", o.TaskQueue, s.Namespace, s.Address)
	defs.describe(o.Stderr, "  ", o.Options, o.TaskQueue)
	if t := o.Tuning.describe(); t != "" {
		fmt.Fprintf(o.Stderr, "  tuning:     %s\n", t)
	}
	fmt.Fprintln(o.Stderr, "press Ctrl-C (or send SIGTERM) to stop")

	select {
	case <-ctx.Done():
	case <-sigs:
	}
	return stopWorker(w, o.Stderr, sigs, o.Grace)
}

// servedDefinitions are the validated definitions a worker serves, by name.
type servedDefinitions struct {
	byName staticDefinitions
	// names in file order, with the file each came from.
	names []string
	files map[string]string
	// queues holds the options.taskQueue of each definition.
	queues map[string]string
}

// loadDefinitions validates every definition in dirs. When any is invalid
// (or two files define the same name) it prints every problem and returns
// an error that starts nothing.
func loadDefinitions(o *Options, dirs []string, root string) (*servedDefinitions, error) {
	files, err := validate.Expand(dirs)
	if err != nil {
		return nil, &exitError{code: ExitFailure, err: err}
	}
	d := &servedDefinitions{byName: staticDefinitions{}, files: map[string]string{}, queues: map[string]string{}}
	invalid := 0
	var dups []string
	for _, f := range files {
		r := validate.FileWith(f, validate.Options{Registry: o.Registry, Root: root})
		for _, diag := range r.Diagnostics {
			fmt.Fprintln(o.Stderr, diag.String())
		}
		if !r.Valid() {
			invalid++
			continue
		}
		name := r.Workflow.Name
		if prev, ok := d.files[name]; ok {
			dups = append(dups, fmt.Sprintf("%s: workflow %q is already defined in %s", f, name, prev))
			continue
		}
		if err := r.Canonicalize(); err != nil {
			return nil, &exitError{code: ExitFailure, err: err}
		}
		d.byName[name] = r.Definition.Canonical
		d.names = append(d.names, name)
		d.files[name] = f
		d.queues[name] = r.Definition.Workflow.Options.TaskQueue
	}
	for _, line := range dups {
		fmt.Fprintln(o.Stderr, line)
	}
	if invalid > 0 || len(dups) > 0 {
		var parts []string
		if invalid > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d files invalid", invalid, len(files)))
		}
		if len(dups) > 0 {
			parts = append(parts, fmt.Sprintf("%d duplicate workflow names", len(dups)))
		}
		return nil, &exitError{code: ExitFailure, err: fmt.Errorf("%s: not starting", strings.Join(parts, ", "))}
	}
	return d, nil
}

// describe prints what a worker on taskQueue serves.
// Every line starts with indent.
func (d *servedDefinitions) describe(w io.Writer, indent string, o *Options, taskQueue string) {
	if d == nil || len(d.names) == 0 {
		fmt.Fprintf(w, "%sworkflows:  none by name (runs started by dslrun apply carry their definition)\n", indent)
	} else {
		fmt.Fprintf(w, "%sworkflows:  %d by name\n", indent, len(d.names))
		for _, name := range d.names {
			fmt.Fprintf(w, "%s  %-24s %s\n", indent, name, d.files[name])
		}
		for _, name := range d.names {
			if q := d.queues[name]; q != taskQueue {
				fmt.Fprintf(w, "%snote: %s sets options.taskQueue %q: dslrun apply starts it there, not on %q\n", indent, name, q, taskQueue)
			}
		}
	}
	fmt.Fprintf(w, "%sactivities: %s\n", indent, strings.Join(o.Registry.Names(), ", "))
}

// lookup is the interpreter's view of d; nil serves no definition by name.
func (d *servedDefinitions) lookup() interpreter.Definitions {
	if d == nil {
		return nil
	}
	return d.byName
}

// loggingClient returns a client on the session's connection whose SDK
// logs go to the log file, or to stderr when there is none: a long-lived
// worker must not hide its warnings.
func loggingClient(ctx context.Context, s *session, stderr io.Writer, logFile, level string) (client.Client, error) {
	out := stderr
	if logFile != "" {
		out = s.logOut
	}
	copts := s.derived
	copts.Logger = newSDKLogger(out, level)
	return client.NewClientFromExistingWithContext(ctx, s.Client, copts)
}

// startWorker starts a worker on taskQueue serving the interpreter (with
// defs by name) and the registered activities, sized by tuning (nil: the
// SDK's defaults).
func startWorker(c client.Client, o *Options, defs *servedDefinitions, taskQueue string, grace time.Duration, tuning *workerTuning) (worker.Worker, error) {
	wo := worker.Options{WorkerStopTimeout: grace}
	tuning.apply(&wo)
	w := worker.New(c, taskQueue, wo)
	interpreter.Register(w, interpreter.Options{Definitions: defs.lookup()})
	o.Registry.Attach(w)
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start worker on task queue %q: %w", taskQueue, err)
	}
	return w, nil
}

// stopWorker stops polling and waits for running activities up to grace.
// A second signal on sigs gives up waiting.
func stopWorker(w worker.Worker, stderr io.Writer, sigs <-chan os.Signal, grace time.Duration) error {
	fmt.Fprintf(stderr, "stopping: no new tasks; running activities have up to %s to finish (signal again to exit now)\n", grace)
	done := make(chan struct{})
	go func() {
		w.Stop()
		close(done)
	}()
	select {
	case <-done:
		fmt.Fprintln(stderr, "stopped")
		return nil
	case <-sigs:
		return &exitError{code: ExitFailure, err: errors.New("exited without waiting for running activities: Temporal retries them after their timeouts")}
	}
}
