package dslruncmd

import (
	"fmt"
	"io"

	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/dslrun/dslrun/internal/graph"
	"github.com/spf13/cobra"
)

type graphOptions struct {
	*Options
	Path   string
	Format string
	// Root is the folder child files must be in (--root).
	Root string
}

func newGraphCmd(opts *Options, runF func(*graphOptions) error) *cobra.Command {
	o := &graphOptions{Options: opts}
	cmd := &cobra.Command{
		Use:   "graph FILE",
		Short: "Draw a workflow definition as a flowchart (Mermaid or Graphviz DOT)",
		Long: `Draw a definition as a flowchart: its steps in order, the branches of if and
switch, loops, parallel and race branches, try/catch/finally, child workflows,
and the signal, update and query handlers beside them. The file is validated
first; an invalid one is reported as by 'dslrun validate' (exit 1).

The default format is Mermaid, which GitHub and many editors render inside a
mermaid code block; --format dot prints Graphviz DOT (dot -Tsvg).

  dslrun graph examples/order.yaml
  dslrun graph examples/try-catch.yaml --format dot | dot -Tsvg > try-catch.svg`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.Path = args[0]
			switch o.Format {
			case "mermaid", "dot":
			default:
				return usageErrorf("--format must be mermaid or dot, not %q", o.Format)
			}
			if runF != nil {
				return runF(o)
			}
			return runGraph(o)
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "mermaid", "output format: mermaid or dot")
	addRootFlag(cmd, &o.Root)
	return cmd
}

func runGraph(o *graphOptions) error {
	r := validate.FileWith(o.Path, validate.Options{Root: o.Root})
	if !r.Valid() {
		for _, d := range r.Diagnostics {
			fmt.Fprintln(o.Stderr, d.String())
		}
		return silent(ExitFailure)
	}
	g := graph.New(r.Workflow)
	out := g.Mermaid()
	if o.Format == "dot" {
		out = g.DOT()
	}
	_, err := io.WriteString(o.Stdout, out)
	return err
}
