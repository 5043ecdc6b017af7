package dslruncmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/internal/suggest"
	"github.com/dslrun/dslrun/schema"
	"github.com/spf13/cobra"
)

func newSchemaCmd(opts *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON schema of the DSL, for editors",
		Long: `Print the JSON schema (draft-07) of workflow definitions. Editors that use
yaml-language-server give completion and hover docs with it:

  dslrun schema > workflow.schema.json

then start each definition with
  # yaml-language-server: $schema=./workflow.schema.json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := opts.Stdout.Write(schema.JSON())
			return err
		},
	}
}

// version is the dslrun version; release builds set it with
// -ldflags "-X github.com/dslrun/dslrun/cmd.version=v1.2.3".
// It is a constant in spirit: nothing assigns it at run time.
var version = ""

func newVersionCmd(opts *Options) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of dslrun and of the Temporal libraries it embeds",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := map[string]string{"dslrun": version}
			if bi, ok := debug.ReadBuildInfo(); ok {
				if v["dslrun"] == "" {
					v["dslrun"] = bi.Main.Version
				}
				v["go"] = bi.GoVersion
				for _, d := range bi.Deps {
					switch d.Path {
					case "go.temporal.io/sdk", "go.temporal.io/server", "github.com/expr-lang/expr":
						v[d.Path] = d.Version
					}
				}
			}
			if v["dslrun"] == "" {
				v["dslrun"] = "(devel)"
			}
			if output == "json" {
				enc := json.NewEncoder(opts.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			fmt.Fprintf(opts.Stdout, "dslrun %s (%s)\n", v["dslrun"], v["go"])
			for _, k := range []string{"go.temporal.io/sdk", "go.temporal.io/server", "github.com/expr-lang/expr"} {
				if v[k] != "" {
					fmt.Fprintf(opts.Stdout, "  %s %s\n", k, v[k])
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

func newActivitiesCmd(opts *Options) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "activities [NAME]",
		Short: "List the activities this dslrun binary registers, or show one",
		Long: `List the registered activities with their summaries, or show one activity in
full: its description, the JSON schema of its input (what validate checks each
step's with: against) and of its result, and examples. Any other activity name
is still valid in a definition on another task queue: it is scheduled there for
a worker in any language.

  dslrun activities
  dslrun activities math.add
  dslrun activities --output json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			specs := opts.Registry.Specs()
			if len(args) == 1 {
				spec, ok := opts.Registry.Lookup(args[0])
				if !ok {
					msg := fmt.Sprintf("no activity %q is registered", args[0])
					if s := suggest.Closest(args[0], opts.Registry.Names()); s != "" {
						msg += fmt.Sprintf(" (did you mean %q?)", s)
					}
					return &exitError{code: ExitFailure, err: errors.New(msg)}
				}
				specs = []activities.Spec{spec}
			}
			if output == "json" {
				items := make([]activityItem, 0, len(specs))
				for _, s := range specs {
					items = append(items, activityItem{s.Name, s.Summary, s.Description, s.Input, s.Output, s.Examples, s.Source})
				}
				enc := json.NewEncoder(opts.Stdout)
				enc.SetIndent("", "  ")
				if len(args) == 1 {
					return enc.Encode(items[0])
				}
				return enc.Encode(items)
			}
			if len(args) == 1 {
				return printActivity(opts.Stdout, specs[0])
			}
			tw := tabwriter.NewWriter(opts.Stdout, 0, 4, 2, ' ', 0)
			for _, s := range specs {
				if s.Source != "" {
					fmt.Fprintf(tw, "%s\t%s\t(%s)\n", s.Name, s.Summary, s.Source)
				} else {
					fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Summary)
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	addPluginsFlag(cmd, opts)
	return cmd
}

// activityItem is an activity as `activities -o json` prints it.
type activityItem struct {
	Name        string               `json:"name"`
	Summary     string               `json:"summary"`
	Description string               `json:"description,omitempty"`
	Input       json.RawMessage      `json:"input,omitempty"`
	Output      json.RawMessage      `json:"output,omitempty"`
	Examples    []activities.Example `json:"examples,omitempty"`
	Source      string               `json:"source,omitempty"`
}

// printActivity shows one activity in full.
func printActivity(w io.Writer, s activities.Spec) error {
	fmt.Fprintf(w, "%s\n  %s\n", s.Name, s.Summary)
	if s.Source != "" {
		fmt.Fprintf(w, "  from %s\n", s.Source)
	}
	if s.Description != "" {
		fmt.Fprintf(w, "\n%s\n", s.Description)
	}
	for _, sch := range []struct {
		title string
		raw   json.RawMessage
	}{{"input (with:)", s.Input}, {"result", s.Output}} {
		if len(sch.raw) == 0 {
			continue
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, sch.raw, "  ", "  "); err != nil {
			buf.Reset()
			buf.Write(sch.raw)
		}
		fmt.Fprintf(w, "\n%s schema:\n  %s\n", sch.title, buf.String())
	}
	for _, ex := range s.Examples {
		fmt.Fprintf(w, "\nexample: %s\n", ex.Summary)
		for _, line := range strings.Split(strings.TrimRight(ex.YAML, "\n"), "\n") {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	return nil
}
