package dslruncmd

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"text/tabwriter"

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
		Use:   "activities",
		Short: "List the activities this dslrun binary registers",
		Long: `List the registered activities with their summaries. Any other activity name
is still valid in a definition: it is scheduled on its task queue for a worker
in any language.

  dslrun activities --output json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			specs := opts.Registry.Specs()
			if output == "json" {
				type item struct {
					Name    string          `json:"name"`
					Summary string          `json:"summary"`
					Input   json.RawMessage `json:"input,omitempty"`
					Source  string          `json:"source,omitempty"`
				}
				items := []item{}
				for _, s := range specs {
					items = append(items, item{s.Name, s.Summary, s.Input, s.Source})
				}
				enc := json.NewEncoder(opts.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(items)
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
