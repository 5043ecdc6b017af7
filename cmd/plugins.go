package dslruncmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dslrun/dslrun/activities/exec"
	"github.com/dslrun/dslrun/dsl"
	"github.com/spf13/cobra"
)

// pluginsEnv names the environment variable that lists plugin folders,
// separated by the OS path-list separator (":" on Unix).
const pluginsEnv = "DSLRUN_PLUGINS"

// addPluginsFlag gives cmd the --plugins flag. Before the command runs, the
// exec plugins of the folders named by DSLRUN_PLUGINS and by --plugins are
// loaded into a clone of opts.Registry, which then replaces it for the
// command: validate checks with: against their input schemas, workers
// serve them, and the activities command lists them. A broken manifest or a
// missing executable stops the command with every mistake at its
// file:line:col, exit status 1. It also gives cmd --allow-shell (shell.go):
// the shell activity is then added after the plugins.
func addPluginsFlag(cmd *cobra.Command, opts *Options) {
	var dirs []string
	cmd.Flags().StringArrayVar(&dirs, "plugins", nil, fmt.Sprintf(
		"folder of exec plugins (*%s) to serve as activities; repeatable, added to $%s (a %q-separated list)",
		exec.ManifestSuffix, pluginsEnv, string(os.PathListSeparator)))
	allowShell := addShellFlag(cmd)
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if err := loadPlugins(opts, dirs); err != nil {
			return err
		}
		return loadShell(opts, *allowShell)
	}
}

// loadPlugins registers the plugins of $DSLRUN_PLUGINS and of flagDirs
// into a clone of opts.Registry and makes it opts.Registry. Without any
// folder the registry is left as it is.
func loadPlugins(opts *Options, flagDirs []string) error {
	var dirs []string
	if env, ok := opts.LookupEnv(pluginsEnv); ok {
		for _, d := range filepath.SplitList(env) {
			if strings.TrimSpace(d) != "" {
				dirs = append(dirs, d)
			}
		}
	}
	for _, d := range flagDirs {
		if strings.TrimSpace(d) == "" {
			return usageErrorf("--plugins must not be empty")
		}
		dirs = append(dirs, d)
	}
	if len(dirs) == 0 {
		return nil
	}
	reg := opts.Registry.Clone()
	var ds dsl.Diagnostics
	seen := map[string]bool{}
	for _, d := range dirs {
		key := filepath.Clean(d)
		if seen[key] {
			continue // named by both DSLRUN_PLUGINS and --plugins
		}
		seen[key] = true
		plugins, lds := exec.Load(d)
		ds = append(ds, lds...)
		if !lds.HasErrors() {
			ds = append(ds, exec.Register(reg, plugins)...)
		}
	}
	for _, d := range ds {
		fmt.Fprintln(opts.Stderr, d.String())
	}
	if ds.HasErrors() {
		n := 0
		for _, d := range ds {
			if d.Severity == dsl.SeverityError {
				n++
			}
		}
		return &exitError{code: ExitFailure, err: fmt.Errorf("plugins: %d %s", n, plural(n, "error", "errors"))}
	}
	opts.Registry = reg
	return nil
}

// plural picks the word for n things.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// addRootFlag adds --root to a command that validates definition files:
// the folder that child files (child: {file: ...}) must be in.
func addRootFlag(cmd *cobra.Command, root *string) {
	cmd.Flags().StringVar(root, "root", "", "folder that child definition files (child: {file: ...}) must be in or below (default: the folder of the definition file)")
}
