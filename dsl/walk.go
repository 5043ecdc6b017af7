package dsl

// Walk calls fn for every step of w in definition order, with the step's
// path as diagnostics print it (steps[2].parallel[1][0]); handler steps
// follow, under signals.<name>.do and updates.<name>.do. It stops early
// when fn returns false.
func Walk(w *Workflow, fn func(path string, s *Step) bool) {
	var walk func(prefix string, steps []*Step) bool
	walk = func(prefix string, steps []*Step) bool {
		for i, s := range steps {
			p := index(prefix, i)
			if !fn(p, s) {
				return false
			}
			for _, sub := range s.childLists(p) {
				if !walk(sub.path, sub.steps) {
					return false
				}
			}
		}
		return true
	}
	if !walk("steps", w.Steps) {
		return
	}
	for _, k := range sortedKeys(w.Signals) {
		if !walk(join(join("signals", k), "do"), w.Signals[k].Do) {
			return
		}
	}
	for _, k := range sortedKeys(w.Updates) {
		if !walk(join(join("updates", k), "do"), w.Updates[k].Do) {
			return
		}
	}
}

type stepList struct {
	path  string
	steps []*Step
}

// childLists returns the step lists nested in s with their paths, given
// the path of s.
func (s *Step) childLists(p string) []stepList {
	if s.Body == nil {
		return nil
	}
	return s.Body.children(p, join(p, string(s.Kind)))
}

// lists returns ls without the lists that are nil.
func lists(ls ...stepList) []stepList {
	out := ls[:0]
	for _, l := range ls {
		if l.steps != nil {
			out = append(out, l)
		}
	}
	return out
}
