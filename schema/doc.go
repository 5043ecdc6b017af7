// Package schema owns the JSON schema of the dslrun DSL and validation
// against it.
//
// The schema (draft-07, workflow.schema.json) is embedded in the binary.
// JSON returns it, so that `dslrun schema` can print it for editors:
// yaml-language-server reads it for completion and hover documentation,
// which is why every property carries a description with its default and
// an example.
//
// Validate checks a definition's YAML node tree (as returned by dsl.Decode)
// with github.com/xeipuuv/gojsonschema and maps each error back to the
// file:line:column and the dslrun path (steps[2].with.amount) of the
// offending node, with a short lowercase message. The schema is compiled
// once and only the embedded copy is used: no $ref is ever fetched.
//
// The schema and the parser in package dsl describe the same language; the
// parser checks more (expressions, cron syntax, duplicate step ids, cross
// references), and the tests of this package prove that the two agree on
// every example and every invalid case listed there.
package schema
