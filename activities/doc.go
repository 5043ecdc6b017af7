// Package activities owns dslrun's activity registry: the plugin API through
// which Go code makes activities available to YAML workflows.
//
// An activity is a Temporal activity function plus a [Spec] that names it and
// describes its input with a JSON schema (draft-07). A definition step such as
//
//	steps:
//	  - id: charge
//	    activity: ChargeCard
//	    with: {orderId: "${ input.orderId }", amount: 12}
//
// is scheduled as the Temporal activity type "ChargeCard" with the evaluated
// `with:` value as its single argument. The Spec is the single source for
// `dslrun validate` (through [Registry.CheckInput]), `dslrun activities` and the
// generated docs; [Registry.Attach] registers the functions on a worker.
//
// Built-in activities live in [github.com/dslrun/dslrun/activities/builtin] and
// register into [Default] from init through the same API, so a custom binary is
// a main package plus blank imports of the bundles it wants. docs/activities.md
// in the repository shows how to write a bundle and build such a binary.
//
// An activity name that no local registration has is still valid in a
// definition: the interpreter schedules it on the step's task queue, for a
// worker in any language. [Registry.Lookup] returning false is therefore
// never an error in this package. On the task queue of a worker that
// attached a registry, though, such a name fails at once with
// [UnknownActivityType]: activities served by other workers belong on a
// task queue of their own (the step's taskQueue).
package activities
