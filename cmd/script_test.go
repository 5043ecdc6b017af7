package dslruncmd_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/dslrun/dslrun/activities/builtin"
	dslruncmd "github.com/dslrun/dslrun/cmd"
	"github.com/dslrun/dslrun/internal/devserver"
	"github.com/rogpeppe/go-internal/testscript"
	enumspb "go.temporal.io/api/enums/v1"
)

var updateScripts = flag.Bool("update-scripts", false, "rewrite the cmp files of failing testscript scripts")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"dslrun": func() { os.Exit(dslruncmd.Main()) },
	})
}

// TestScripts runs the CLI end to end, in a subprocess, for every script in
// testdata/script. Scripts that apply a workflow start the embedded
// Temporal server of the process under test.
func TestScripts(t *testing.T) {
	examples, err := filepath.Abs("../examples")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *updateScripts,
		Cmds:                map[string]func(*testscript.TestScript, bool, []string){"eventually": scriptEventually},
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLES", examples)
			// One embedded server for the package; each script names its own
			// task queue so that workers of concurrent scripts never serve
			// each other's runs.
			env.Setenv("SHARED_ADDRESS", sharedServer(t))
			env.Setenv("QUEUE", "q-"+filepath.Base(env.WorkDir))
			// testscript gives scripts a clean environment (HOME=/no-home), so no
			// Temporal settings leak in from the machine running the tests.
			return nil
		},
	})
}

var shared struct {
	once sync.Once
	addr string
	err  error
}

// sharedServer starts the package's embedded Temporal server once and
// returns its address. It stops when the test binary exits.
func sharedServer(t *testing.T) string {
	shared.once.Do(func() {
		// Search attributes of schedule_model.txtar's schedule, registered
		// with the namespace so that no script waits for the cache.
		srv, err := devserver.Start(context.Background(), devserver.Options{SearchAttributes: map[string]enumspb.IndexedValueType{
			"DslrunTeam": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "DslrunPriority": enumspb.INDEXED_VALUE_TYPE_INT,
		}})
		if err != nil {
			shared.err = err
			return
		}
		shared.addr = srv.FrontendAddress()
	})
	if shared.err != nil {
		t.Fatalf("start embedded server: %v", shared.err)
	}
	return shared.addr
}
