package dslruncmd

import (
	"context"

	"github.com/dslrun/dslrun/dsl/validate"
	"github.com/dslrun/dslrun/internal/connect"
)

// applyScheduleOf is apply of a definition with a schedule block: it
// reconciles the schedule and runs nothing itself. The scheduled runs take
// their input from schedule.input, so the flags that shape one run
// (--input, --id, --signal, --update, --worker) are refused.
func applyScheduleOf(ctx context.Context, o *applyOptions, r *validate.Result) error {
	if r.Workflow.Schedule == nil {
		return usageErrorf("--dry-run applies to a definition with a schedule block; %s has none", o.File)
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"--input", o.Input != ""}, {"--id", o.ID != ""},
		{"--signal", o.Message.Signal != ""}, {"--update", o.Message.Update != ""},
		{"--worker", o.Worker},
	} {
		if f.set {
			return usageErrorf("%s does not apply to %s: it has a schedule, so apply creates or updates the schedule and starts no run (scheduled runs take schedule.input; run workers with 'dslrun worker' or 'dslrun dev')", f.name, o.File)
		}
	}
	if settings, err := connect.Resolve(o.Connect.Flags, o.LookupEnv); err == nil && settings.Embedded {
		return usageErrorf("%s has a schedule, which needs a Temporal server that outlives this command: set --address or TEMPORAL_ADDRESS (for example to a 'dslrun dev' server)", o.File)
	}
	s, err := open(ctx, o.Options, o.Connect)
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	defer s.Close()
	return applySchedule(ctx, o.Options, s, r, o.TaskQueue, reconcileMode{DryRun: o.DryRun}, o.Output)
}
