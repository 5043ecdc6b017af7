package validate

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dslrun/dslrun/dsl"
)

// CodeLoopWithoutContinue is the code of the warning about a while loop
// where automatic continue-as-new cannot happen.
const CodeLoopWithoutContinue dsl.Code = "loop-without-continue-as-new"

// maxHistoryEvents is the interpreter's history guard (see
// interpreter/budget.go), as the warning states it.
const maxHistoryEvents = "40,960"

// checkLoops warns about each while loop the interpreter cannot continue as
// new in: inside parallel, race, try, catch, finally, a forEach's body or
// a handler's do, a run resumes nowhere (the other branches, iterations or
// cleanup would be lost), so a long loop there grows one run's history
// until the history guard fails the run. A loop that stays short is fine:
// a warning. A forEach's items, and so its length, are known only at run
// time: no warning.
func checkLoops(filename string, root *yaml.Node, w *dsl.Workflow) dsl.Diagnostics {
	if w == nil {
		return nil
	}
	// where is, for each step on the path from the root to the step being
	// visited, why continue-as-new cannot happen inside it ("" where it
	// can): Walk visits a step before the steps nested in it.
	type frame struct {
		path, where string
		kind        dsl.Kind
	}
	var stack []frame
	var ds dsl.Diagnostics
	dsl.Walk(w, func(path string, s *dsl.Step) bool {
		for len(stack) > 0 && !strings.HasPrefix(path, stack[len(stack)-1].path+".") {
			stack = stack[:len(stack)-1]
		}
		where := ""
		if len(stack) > 0 {
			where = stack[len(stack)-1].where
		} else if h, ok := handler(path); ok {
			where = h
		}
		if where == "" && len(stack) > 0 {
			parent := stack[len(stack)-1]
			where = inside(parent.kind, parent.path, path)
		}
		if s.Kind == dsl.KindWhile && where != "" {
			p := path + ".while"
			instead := "move it to the top level (or into while, if or switch there), or end each round with a continueAsNew step"
			if strings.HasPrefix(where, "in the do of") {
				instead = "let the handler set state and loop in the steps, at the top level (or in while, if or switch there)"
			}
			ds = append(ds, dsl.Diagnostic{Pos: dsl.Path(p).Pos(filename, root), Path: p, Severity: dsl.SeverityWarning, Code: CodeLoopWithoutContinue,
				Msg: fmt.Sprintf("this loop is %s, where automatic continue-as-new cannot happen: its history is not bounded, "+
					"and a run whose history passes %s events fails with dslrun.LimitExceeded; if it may run long, %s", where, maxHistoryEvents, instead)})
		}
		stack = append(stack, frame{path, where, s.Kind})
		return true
	})
	return ds
}

// handler describes the handler whose do holds the step at path, if any.
func handler(path string) (string, bool) {
	for _, kind := range []string{"signal", "update"} {
		if rest, ok := strings.CutPrefix(path, kind+"s."); ok {
			name, _, _ := strings.Cut(rest, ".do[")
			return fmt.Sprintf("in the do of %s %q", kind, name), true
		}
	}
	return "", false
}

// inside describes the place of the step at path within the step of kind
// at parent when continue-as-new cannot happen there, or "" (the lists of
// while, if and switch).
func inside(kind dsl.Kind, parent, path string) string {
	switch kind {
	case dsl.KindParallel:
		return "inside a parallel branch"
	case dsl.KindRace:
		return "inside a race branch"
	case dsl.KindForEach:
		return "in a forEach's body"
	case dsl.KindTry:
		rest := strings.TrimPrefix(path, parent)
		switch {
		case strings.HasPrefix(rest, ".catch["):
			return "inside catch"
		case strings.HasPrefix(rest, ".finally["):
			return "inside finally"
		}
		return "inside try"
	default: // while, if and switch keep their place; the others hold no steps
		return ""
	}
}
