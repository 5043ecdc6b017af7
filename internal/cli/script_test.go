package cli_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/dslrun/dslrun/activities/builtin"
	"github.com/dslrun/dslrun/internal/cli"
	"github.com/rogpeppe/go-internal/testscript"
)

var updateScripts = flag.Bool("update-scripts", false, "rewrite the cmp files of failing testscript scripts")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"dslrun": func() { os.Exit(cli.Main()) },
	})
}

// TestScripts runs the CLI end to end, in a subprocess, for every script in
// testdata/script. Scripts that apply a workflow start the embedded
// Temporal server of the process under test.
func TestScripts(t *testing.T) {
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *updateScripts,
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLES", examples)
			// No Temporal settings leak in from the machine running the tests.
			env.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(env.WorkDir, "no-temporal.toml"))
			return nil
		},
	})
}
