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
	var out []stepList
	add := func(path string, steps []*Step) {
		if steps != nil {
			out = append(out, stepList{path, steps})
		}
	}
	switch {
	case s.If != nil:
		add(join(p, "then"), s.If.Then)
		add(join(p, "else"), s.If.Else)
	case s.Switch != nil:
		for i, c := range s.Switch.Cases {
			add(join(index(join(p, "switch"), i), "do"), c.Do)
		}
		add(join(p, "default"), s.Switch.Default)
	case s.Parallel != nil:
		for i, b := range s.Parallel.Branches {
			add(index(join(p, "parallel"), i), b)
		}
	case s.Race != nil:
		for i, b := range s.Race.Branches {
			add(index(join(p, "race"), i), b)
		}
	case s.ForEach != nil:
		add(join(p, "do"), s.ForEach.Do)
	case s.While != nil:
		add(join(p, "do"), s.While.Do)
	case s.Try != nil:
		add(join(p, "try"), s.Try.Try)
		for i, c := range s.Try.Catch {
			add(join(index(join(p, "catch"), i), "do"), c.Do)
		}
		add(join(p, "finally"), s.Try.Finally)
	}
	return out
}
