// Package dsl owns the model of a dslrun workflow definition and its
// parser.
//
// A definition is YAML. Decode reads it through gopkg.in/yaml.v3 into a
// yaml.Node tree, refusing what dslrun does not accept (aliases, several
// documents, duplicate keys, hostile sizes); Build turns that tree into a
// typed Workflow in which every step keeps its file:line:column, reporting
// every problem at once as Diagnostics (unknown keys with "did you mean",
// wrong types, bad durations, duplicate step ids, steps with no kind or
// two kinds, expressions that do not compile, references to unknown steps
// or state). Canonical returns the normalised definition, with defaults
// applied, as stable JSON and its content hash: the form that is recorded
// in a run's history and executed by the interpreter.
package dsl
