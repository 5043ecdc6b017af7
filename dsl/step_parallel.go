package dsl

import "gopkg.in/yaml.v3"

// The steps that run branches concurrently: parallel and race.

// Step kinds of this file.
const (
	// KindParallel runs branches and waits for all; its Body is
	// *ParallelStep.
	KindParallel Kind = "parallel"
	// KindRace runs branches until the first finishes; its Body is
	// *ParallelStep.
	KindRace Kind = "race"
)

// ParallelStep runs branches concurrently as coroutines of the one
// workflow. For parallel the step waits for all branches; for race the
// first branch to finish wins and the others are cancelled.
type ParallelStep struct {
	Branches [][]*Step `json:"branches"`
}

func (s *ParallelStep) children(_, kp string) []stepList {
	if s == nil {
		return nil
	}
	var out []stepList
	for i, b := range s.Branches {
		out = append(out, stepList{index(kp, i), b})
	}
	return lists(out...)
}

func init() {
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindParallel, Def: "parallelStep", Doc: "Runs branches (each a list of steps) concurrently and waits for all of them.", Example: "`parallel: [[{activity: A}], [{activity: B}]]`"},
		order:    50,
		defs: []*Def{
			{
				Name: "parallelStep",
				Doc:  "Runs branches concurrently, as coroutines of this workflow, and waits for all of them.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "parallel", Doc: "The branches, each a list of steps.", Example: "`parallel: [[{activity: ReserveStock}], [{activity: ChargeCard}]]`", Required: true, Ref: "branches"},
				},
			},
		},
		decode: decodeBody[*ParallelStep],
		build:  buildBranches,
	})
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindRace, Def: "raceStep", Doc: "Runs branches concurrently; the first to finish wins and the others are cancelled.", Example: "`race: [[{await: \"${ state.approved }\"}], [{sleep: 1h}]]`"},
		order:    60,
		defs: []*Def{
			{
				Name: "raceStep",
				Doc:  "Runs branches concurrently; the first branch to finish wins and the others are cancelled.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "race", Doc: "The branches, each a list of steps.", Example: "`race: [[{await: \"${ state.approved }\"}], [{sleep: 24h}, {fail: approval timed out}]]`", Required: true, Ref: "branches"},
				},
			},
		},
		decode: decodeBody[*ParallelStep],
		build:  buildBranches,
	})
}

func buildBranches(b *builder, s stepSrc) Body {
	st := &ParallelStep{}
	kv, path := s.kv, s.kp
	if kv.Kind != yaml.SequenceNode {
		b.errorf(kv, path, CodeType, "expected a list of branches (each a list of steps), got %s", describe(kv))
		return st
	}
	if len(kv.Content) < 1 {
		b.errorf(kv, path, CodeValue, "needs at least one branch")
	}
	for i, c := range kv.Content {
		if c.Kind != yaml.SequenceNode {
			b.errorf(c, index(path, i), CodeType, "expected a branch (a list of steps), got %s", describe(c))
			continue
		}
		st.Branches = append(st.Branches, b.steps(c, index(path, i), s.sc))
	}
	return st
}
