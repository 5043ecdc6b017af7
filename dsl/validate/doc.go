// Package validate is the one validation pipeline of dslrun, shared by the
// validate and apply commands so that apply checks exactly what validate
// checks: YAML decoding and limits (dsl.Decode), the JSON schema
// (schema.Validate), the model and its expressions (dsl.Build), and each
// activity step's with: value against the input schema of the activity
// when it is registered (activities.Registry.CheckInput).
//
// Every finding is a dsl.Diagnostic with the file, line and column it is
// about; nothing is returned as a bare error. A program that embeds dslrun
// checks a definition the way the CLI does with
//
//	r := validate.File("order.yaml", activities.Default())
//	if !r.Valid() {
//		fmt.Fprintln(os.Stderr, r.Diagnostics)
//	}
//	if err := r.Canonicalize(); err != nil { ... }
//	// r.Definition (normalised, canonical, hashed) is what a run executes and records
package validate
