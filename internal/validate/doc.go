// Package validate is the one validation pipeline of dslrun, shared by the
// validate and apply commands so that apply checks exactly what validate
// checks: YAML decoding and limits (dsl.Decode), the JSON schema
// (schema.Validate), the model and its expressions (dsl.Build), and each
// activity step's with: value against the input schema of the activity
// when it is registered (activities.Registry.CheckInput).
package validate
