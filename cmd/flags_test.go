package dslruncmd

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/worker"
)

// parse runs cmd on args with the runF seam in place of the command's work,
// so that what the flags set can be checked without a server.
func parse(t *testing.T, cmd *cobra.Command, args ...string) {
	t.Helper()
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%s %v: %v", cmd.Name(), args, err)
	}
}

func testOptions() *Options {
	o := &Options{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Args: []string{}, LookupEnv: func(string) (string, bool) { return "", false }}
	o.fill()
	return o
}

// TestFlags checks that each command's flags reach its options: the
// runF seams of the command factories.
func TestFlags(t *testing.T) {
	t.Run("apply", func(t *testing.T) {
		var got *applyOptions
		parse(t, newApplyCmd(testOptions(), func(o *applyOptions) error { got = o; return nil }),
			"order.yaml", "-i", `{"a": 1}`, "--id", "order-42", "--detach", "--worker", "--task-queue", "q",
			"-o", "json", "-q", "--address", "temporal:7233", "--namespace", "ns",
			"--update", "addPoints", "--update-input", `{"points": 5}`)
		want := applyOptions{File: "order.yaml", Input: `{"a": 1}`, ID: "order-42", Detach: true, Worker: true, TaskQueue: "q", Output: "json", Quiet: true}
		if got.File != want.File || got.Input != want.Input || got.ID != want.ID || got.Detach != want.Detach ||
			got.Worker != want.Worker || got.TaskQueue != want.TaskQueue || got.Output != want.Output || got.Quiet != want.Quiet {
			t.Errorf("apply options %+v, want %+v", *got, want)
		}
		if got.Connect.Flags.Address != "temporal:7233" || got.Connect.Flags.Namespace != "ns" {
			t.Errorf("connection flags %+v", got.Connect.Flags)
		}
		if got.Message.Update != "addPoints" || got.Message.UpdateInput != `{"points": 5}` {
			t.Errorf("update-with-start %+v", got.Message)
		}
	})
	t.Run("apply refuses an unknown output", func(t *testing.T) {
		cmd := newApplyCmd(testOptions(), func(*applyOptions) error { t.Fatal("ran"); return nil })
		cmd.SetArgs([]string{"a.yaml", "-o", "yaml"})
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		if err := cmd.Execute(); err == nil {
			t.Fatal("no error for -o yaml")
		}
	})
	t.Run("signal", func(t *testing.T) {
		var got *signalOptions
		parse(t, newSignalCmd(testOptions(), func(o *signalOptions) error { got = o; return nil }),
			"req-1", "approve", "-i", `{"by": "ops"}`, "-r", "run-9")
		if got.WorkflowID != "req-1" || got.Name != "approve" || got.Input != `{"by": "ops"}` || got.RunID != "run-9" {
			t.Errorf("signal options %+v", *got)
		}
	})
	t.Run("update", func(t *testing.T) {
		var got *updateOptions
		parse(t, newUpdateCmd(testOptions(), func(o *updateOptions) error { got = o; return nil }),
			"account-7", "addPoints", "-i", `{"points": 1}`, "--update-id", "u-1", "-o", "json")
		if got.WorkflowID != "account-7" || got.Name != "addPoints" || got.Input != `{"points": 1}` || got.ID != "u-1" || got.Output != "json" {
			t.Errorf("update options %+v", *got)
		}
	})
	t.Run("activity complete", func(t *testing.T) {
		var got *activityOptions
		parse(t, newActivityCmd(testOptions(), func(o *activityOptions) error { got = o; return nil }),
			"complete", "-w", "refund-42", "--activity-id", "approval", "--result", `{"ok": true}`)
		if got.verb != "complete" || got.WorkflowID != "refund-42" || got.ActivityID != "approval" || got.Result != `{"ok": true}` {
			t.Errorf("activity complete options %+v", *got)
		}
	})
	t.Run("activity fail", func(t *testing.T) {
		var got *activityOptions
		parse(t, newActivityCmd(testOptions(), func(o *activityOptions) error { got = o; return nil }),
			"fail", "-w", "refund-42", "--activity-id", "approval", "--reason", "over budget", "--retryable")
		if got.verb != "fail" || got.Reason != "over budget" || !got.Retryable || got.Type != ExternalFailureType {
			t.Errorf("activity fail options %+v", *got)
		}
	})
	t.Run("worker", func(t *testing.T) {
		var got *workerOptions
		parse(t, newWorkerCmd(testOptions(), func(o *workerOptions) error { got = o; return nil }),
			"--dir", "a/", "--dir", "b/...", "--task-queue", "orders", "--grace-period", "5s")
		if len(got.Dirs) != 2 || got.Dirs[1] != "b/..." || got.TaskQueue != "orders" || got.Grace != 5*time.Second {
			t.Errorf("worker options %+v", *got)
		}
	})
	t.Run("worker tuning", func(t *testing.T) {
		var got *workerOptions
		parse(t, newWorkerCmd(testOptions(), func(o *workerOptions) error { got = o; return nil }),
			"--dir", "a/", "--max-concurrent-activities", "3", "--max-concurrent-workflow-tasks", "4",
			"--max-concurrent-local-activities", "5", "--activity-pollers", "6", "--workflow-task-pollers", "7",
			"--activities-per-second", "0.5", "--task-queue-activities-per-second", "9")
		var wo worker.Options
		got.Tuning.apply(&wo)
		want := worker.Options{
			MaxConcurrentActivityExecutionSize: 3, MaxConcurrentWorkflowTaskExecutionSize: 4,
			MaxConcurrentLocalActivityExecutionSize: 5, MaxConcurrentActivityTaskPollers: 6,
			MaxConcurrentWorkflowTaskPollers: 7, WorkerActivitiesPerSecond: 0.5, TaskQueueActivitiesPerSecond: 9,
		}
		if !reflect.DeepEqual(wo, want) {
			t.Errorf("worker.Options %+v, want %+v", wo, want)
		}
		// Flags not given leave the SDK's defaults in place (zero values).
		parse(t, newWorkerCmd(testOptions(), func(o *workerOptions) error { got = o; return nil }), "--dir", "a/")
		wo = worker.Options{}
		got.Tuning.apply(&wo)
		if !reflect.DeepEqual(wo, worker.Options{}) || got.Tuning.describe() != "" {
			t.Errorf("without tuning flags: %+v, %q", wo, got.Tuning.describe())
		}
	})
}

// TestRootFlag: every command that validates definition files takes
// --root, the folder that child files must be in, into its options.
func TestRootFlag(t *testing.T) {
	roots := map[string]string{}
	cmds := map[string]*cobra.Command{
		"validate": newValidateCmd(testOptions(), func(o *validateOptions) error { roots["validate"] = o.Root; return nil }),
		"apply":    newApplyCmd(testOptions(), func(o *applyOptions) error { roots["apply"] = o.Root; return nil }),
		"test":     newTestCmd(testOptions(), func(o *testCmdOptions) error { roots["test"] = o.Root; return nil }),
		"graph":    newGraphCmd(testOptions(), func(o *graphOptions) error { roots["graph"] = o.Root; return nil }),
		"worker":   newWorkerCmd(testOptions(), func(o *workerOptions) error { roots["worker"] = o.Root; return nil }),
		"dev":      newDevCmd(testOptions(), func(o *devOptions) error { roots["dev"] = o.Root; return nil }),
	}
	for name, cmd := range cmds {
		args := []string{"--root", "defs/" + name}
		switch name {
		case "worker":
			args = append(args, "--dir", "defs")
		case "dev":
		default:
			args = append(args, "x.yaml")
		}
		parse(t, cmd, args...)
		if roots[name] != "defs/"+name {
			t.Errorf("%s --root: %q in its options", name, roots[name])
		}
	}
	for _, verb := range []string{"apply", "create", "update"} {
		if newScheduleApplyCmd(testOptions(), verb).Flags().Lookup("root") == nil {
			t.Errorf("schedule %s has no --root", verb)
		}
	}
}
