package dslruncmd

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/spf13/cobra"
)

type validateOptions struct {
	*Options
	Paths   []string
	Output  string
	Exclude []string
	// Root is the folder child files must be in (--root).
	Root string
}

func newValidateCmd(opts *Options, runF func(*validateOptions) error) *cobra.Command {
	o := &validateOptions{Options: opts}
	cmd := &cobra.Command{
		Use:     "validate PATH...",
		Aliases: []string{"lint"},
		Short:   "Check workflow definitions and report every error with its line and column",
		Long: `Check workflow definitions: YAML syntax, the JSON schema, step kinds, durations,
expressions, step ids and activity inputs. Every error of every file is reported
at once as file:line:col: path: message.

PATH is a file, a folder or a folder ending in /... (recursive), or - for
standard input. A folder contributes the YAML files with a top-level dsl: key
(a file named explicitly is always checked); --exclude leaves paths out.
Child files (child: {file: ...}) are validated with the file that names
them; they must be in its folder or below it, or in --root DIR or below it.
Diagnostics go to standard output. The exit code is 0 when every file is
valid, 1 when any is not, and 2 on usage errors.

  dslrun validate examples/hello.yaml
  dslrun validate ./... --exclude examples/polyglot --output github
  cat order.yaml | dslrun validate -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			switch o.Output {
			case "text", "json", "github":
			default:
				return usageErrorf("--output must be text, json or github, not %q", o.Output)
			}
			if runF != nil {
				return runF(o)
			}
			return runValidate(o)
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "text", "output format: text, json or github (workflow-command annotations)")
	cmd.Flags().StringArrayVar(&o.Exclude, "exclude", nil, "leave out paths matching this glob, against the path or its trailing parts (repeatable)")
	addRootFlag(cmd, &o.Root)
	addPluginsFlag(cmd, opts)
	return cmd
}

// jsonDiagnostic is the -o json form of a diagnostic.
type jsonDiagnostic struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Path     string `json:"path,omitempty"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

type jsonFile struct {
	File        string           `json:"file"`
	Valid       bool             `json:"valid"`
	Name        string           `json:"name,omitempty"`
	Hash        string           `json:"hash,omitempty"`
	Diagnostics []jsonDiagnostic `json:"diagnostics"`
}

// stdinName names a definition read from standard input (validate -).
const stdinName = "<stdin>"

func runValidate(o *validateOptions) error {
	var paths []string
	stdin := false
	for _, p := range o.Paths {
		if p == "-" {
			stdin = true
		} else {
			paths = append(paths, p)
		}
	}
	var files []string
	if len(paths) > 0 {
		var err error
		if files, err = validate.Expand(paths, o.Exclude...); err != nil {
			return &exitError{code: ExitFailure, err: err}
		}
	}
	var results []*validate.Result
	if stdin {
		// Child files of a definition read from standard input are resolved
		// from the current folder.
		src, err := io.ReadAll(o.Stdin)
		if err != nil {
			return &exitError{code: ExitFailure, err: fmt.Errorf("read standard input: %w", err)}
		}
		results = append(results, validate.SourceWith(stdinName, src, validate.Options{Registry: o.Registry, Root: o.Root}))
	}
	for _, f := range files {
		results = append(results, validate.FileWith(f, validate.Options{Registry: o.Registry, Root: o.Root}))
	}
	invalid := 0
	for _, r := range results {
		if ws := shellOffWarnings(o.Options, r); len(ws) > 0 {
			r.Diagnostics = append(r.Diagnostics, ws...).Sort()
		}
		if !r.Valid() {
			invalid++
		}
	}
	switch o.Output {
	case "json":
		writeValidateJSON(o.Stdout, results, invalid == 0)
	case "github":
		for _, r := range results {
			for _, d := range r.Diagnostics {
				fmt.Fprintln(o.Stdout, githubAnnotation(d))
			}
		}
	default:
		for _, r := range results {
			for _, d := range r.Diagnostics {
				fmt.Fprintln(o.Stdout, d.String())
			}
			if r.Valid() {
				fmt.Fprintf(o.Stdout, "ok  %s (%s)\n", r.File, r.Workflow.Name)
			}
		}
		if invalid > 0 {
			fmt.Fprintf(o.Stdout, "%d of %d files invalid\n", invalid, len(results))
		}
	}
	if invalid > 0 {
		return silent(ExitFailure)
	}
	return nil
}

func writeValidateJSON(w io.Writer, results []*validate.Result, valid bool) {
	out := struct {
		Valid bool       `json:"valid"`
		Files []jsonFile `json:"files"`
	}{Valid: valid, Files: []jsonFile{}}
	for _, r := range results {
		_ = r.Canonicalize() // for the hash; cannot fail on a valid definition
		jf := jsonFile{File: r.File, Valid: r.Valid(), Diagnostics: []jsonDiagnostic{}}
		if r.Definition != nil {
			jf.Hash = r.Definition.Hash
		}
		if r.Workflow != nil {
			jf.Name = r.Workflow.Name
		}
		for _, d := range r.Diagnostics {
			jf.Diagnostics = append(jf.Diagnostics, jsonDiagnostic{
				File: d.Pos.File, Line: d.Pos.Line, Column: d.Pos.Col, Path: d.Path,
				Severity: d.Severity.String(), Code: string(d.Code), Message: d.Msg,
			})
		}
		out.Files = append(out.Files, jf)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}

// githubAnnotation formats d as a GitHub Actions workflow command.
func githubAnnotation(d dsl.Diagnostic) string {
	level := "error"
	if d.Severity == dsl.SeverityWarning {
		level = "warning"
	}
	msg := d.Msg
	if d.Path != "" {
		msg = d.Path + ": " + msg
	}
	esc := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	prop := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	return fmt.Sprintf("::%s file=%s,line=%d,col=%d,title=%s::%s", level,
		prop.Replace(d.Pos.File), d.Pos.Line, max(d.Pos.Col, 1), prop.Replace("dslrun "+string(d.Code)), esc.Replace(msg))
}
