package dslruncmd

import (
	"fmt"

	"github.com/dslrun/dslrun/activities/shell"
	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/spf13/cobra"
)

// codeShellOff is the code of validate's warning about a shell step when
// the shell activity is off.
const codeShellOff dsl.Code = "shell-off"

// addShellFlag gives cmd the --allow-shell flag and returns where its value
// lands. The commands that take --plugins take it too (through
// addPluginsFlag): worker, dev and apply serve the shell activity with it;
// validate and activities check and show it as those workers would.
func addShellFlag(cmd *cobra.Command) *bool {
	allow := new(bool)
	cmd.Flags().BoolVar(allow, "allow-shell", false,
		"serve the shell activity, which runs commands on this machine (off by default: a shell step then fails with "+shell.DisabledErrorType+")")
	return allow
}

// loadShell adds the shell activity to a clone of opts.Registry, which then
// replaces it: the real one with allow, otherwise one that fails every
// step non-retryably with shell.DisabledErrorType and says to pass
// --allow-shell. (Why not leave the name unregistered: the worker's failure
// and `dslrun activities` can then say how to turn it on.) A registry that
// has a "shell" already (a custom binary's, or an exec plugin's) is left
// as it is.
func loadShell(opts *Options, allow bool) error {
	if _, ok := opts.Registry.Lookup(shell.Name); ok {
		return nil
	}
	reg := opts.Registry.Clone()
	register := shell.RegisterDisabled
	if allow {
		register = shell.Register
	}
	if err := register(reg); err != nil {
		return &exitError{code: ExitFailure, err: fmt.Errorf("shell activity: %w", err)}
	}
	opts.Registry = reg
	return nil
}

// shellOffWarnings warns about every step of r that runs the shell
// activity on the definition's own task queue while it is off in opts'
// registry.
func shellOffWarnings(opts *Options, r *validate.Result) dsl.Diagnostics {
	if r.Workflow == nil {
		return nil
	}
	if spec, ok := opts.Registry.Lookup(shell.Name); !ok || spec.Summary != shell.DisabledSummary {
		return nil
	}
	own, defaultQueue := "", ""
	if r.Workflow.Options != nil {
		own = r.Workflow.Options.TaskQueue
	}
	if r.Workflow.Activity != nil {
		defaultQueue = r.Workflow.Activity.TaskQueue
	}
	var ds dsl.Diagnostics
	dsl.Walk(r.Workflow, func(path string, s *dsl.Step) bool {
		a, _ := s.Body.(*dsl.ActivityStep)
		if a == nil || a.Name != shell.Name {
			return true
		}
		queue := a.TaskQueue
		if queue == "" {
			queue = defaultQueue
		}
		if !a.Local && queue != "" && queue != own {
			return true // another worker, which may allow it
		}
		ds = append(ds, dsl.Diagnostic{Pos: s.Pos, Path: path, Severity: dsl.SeverityWarning, Code: codeShellOff,
			Msg: "the shell activity is off: pass " + shell.AllowFlag + " to the workers that run this definition (and to validate); without it the step fails with " + shell.DisabledErrorType})
		return true
	})
	return ds
}
