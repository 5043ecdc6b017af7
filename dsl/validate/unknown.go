package validate

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/internal/expression"
	"github.com/dslrun/dslrun/internal/suggest"
)

// CodeUnknownActivity is the code of the warning about an activity name
// that no registration knows, on the workflow's own task queue.
const CodeUnknownActivity dsl.Code = "unknown-activity"

// checkActivityNames warns about each activity step that names, as a
// literal, an activity that reg does not know and that runs on the
// workflow's own task queue (or locally): there a dslrun worker serves it
// with the registry, and the step fails with activities.UnknownActivityType.
// A name on another task queue (the step's taskQueue, or the activity
// defaults' one) may be served by a worker in any language, and a name
// computed by an expression is known only at run time: both stay silent.
func checkActivityNames(filename string, root *yaml.Node, w *dsl.Workflow, reg *activities.Registry) dsl.Diagnostics {
	var ds dsl.Diagnostics
	own := ""
	if w.Options != nil {
		own = w.Options.TaskQueue
	}
	defaultQueue := ""
	if w.Activity != nil {
		defaultQueue = w.Activity.TaskQueue
	}
	var names []string
	dsl.Walk(w, func(path string, s *dsl.Step) bool {
		a, _ := s.Body.(*dsl.ActivityStep)
		if a == nil || expression.IsTemplate(a.Name) {
			return true
		}
		if _, ok := reg.Lookup(a.Name); ok {
			return true
		}
		queue := a.TaskQueue
		if queue == "" {
			queue = defaultQueue
		}
		if !a.Local && queue != "" && queue != own {
			return true
		}
		if names == nil {
			names = reg.Names()
		}
		msg := fmt.Sprintf("activity %q is not registered", a.Name)
		if hint := suggest.Closest(a.Name, names); hint != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", hint)
		}
		if a.Local {
			msg += ": the local activity fails with " + activities.UnknownActivityType
		} else {
			msg += ": on the workflow's own task queue the step fails with " + activities.UnknownActivityType +
				" (set taskQueue if another worker serves it)"
		}
		p := path + ".activity"
		ds = append(ds, dsl.Diagnostic{Pos: dsl.Path(p).Pos(filename, root), Path: p,
			Severity: dsl.SeverityWarning, Code: CodeUnknownActivity, Msg: msg})
		return true
	})
	return ds
}
