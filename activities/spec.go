package activities

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/dslrun/dslrun/internal/jsonschema"
	"github.com/xeipuuv/gojsonschema"
)

// temporalReservedPrefix is the activity type name prefix that the Temporal SDK
// reserves for itself and refuses at registration.
const temporalReservedPrefix = "__temporal_"

// draft07 is the meta-schema URL of the only JSON schema draft accepted in a Spec.
const draft07 = "http://json-schema.org/draft-07/schema#"

// Spec describes one activity: its wire name, its documentation and the JSON
// schema of its input. It is the single source for validation, the
// `dslrun activities` listing and the generated docs.
type Spec struct {
	// Name is the Temporal activity type name: the wire contract between
	// definitions and workers. It must be non-empty and contain no spaces.
	Name string
	// Summary is one line, with no trailing period.
	Summary string
	// Description is optional markdown.
	Description string
	// Input is the JSON schema (draft-07) of the step's `with:` value; nil
	// accepts anything.
	Input json.RawMessage
	// Output is the JSON schema of the result, optional and used for docs only.
	Output json.RawMessage
	// Examples are shown in the docs.
	Examples []Example
	// Source says where an activity that is not compiled into the binary
	// comes from, such as "plugin: plugins/greet.plugin.yaml" for an exec
	// plugin (package [github.com/dslrun/dslrun/activities/exec]); it is
	// empty for Go functions. `dslrun activities` shows it.
	Source string
}

// Example is one documented use of an activity.
type Example struct {
	// Summary says what the example shows, in one line.
	Summary string
	// YAML is a snippet of definition steps using the activity.
	YAML string
}

// clone returns a deep copy of s, so that callers never share its slices with
// a registry.
func (s Spec) clone() Spec {
	c := s
	c.Input = cloneBytes(s.Input)
	c.Output = cloneBytes(s.Output)
	if s.Examples != nil {
		c.Examples = append([]Example(nil), s.Examples...)
	}
	return c
}

func cloneBytes(b json.RawMessage) json.RawMessage {
	if b == nil {
		return nil
	}
	return append(json.RawMessage(nil), b...)
}

// checkName reports whether name can be an activity type name.
func checkName(name string) error {
	if name == "" {
		return errors.New("activity name must not be empty")
	}
	if i := strings.IndexFunc(name, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}); i >= 0 {
		return fmt.Errorf("activity name %q must not contain spaces or control characters", name)
	}
	if strings.HasPrefix(name, temporalReservedPrefix) {
		return fmt.Errorf("activity name %q: the prefix %q is reserved by Temporal", name, temporalReservedPrefix)
	}
	return nil
}

// CheckSchema reports whether raw is a JSON schema that a [Spec] accepts as
// its Input or Output: a draft-07 schema with only local references. It
// reads no files and no network, so that loaders such as exec plugin
// manifests can report a bad schema at its position before registering.
func CheckSchema(raw json.RawMessage) error {
	_, _, err := compileSchema(raw)
	return err
}

// compileSchema compiles a draft-07 JSON schema. It returns the compiled
// schema and the decoded document (used for "did you mean" hints). Only local
// references ("#...") are allowed, so compiling never reads files or the
// network.
func compileSchema(raw json.RawMessage) (*gojsonschema.Schema, any, error) {
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, fmt.Errorf("not valid JSON: %w", err)
	}
	switch doc.(type) {
	case map[string]any, bool:
	default:
		return nil, nil, fmt.Errorf("must be a JSON object or boolean, got %s", jsonType(doc))
	}
	if root, ok := doc.(map[string]any); ok {
		if s, ok := root["$schema"]; ok && !isDraft07(s) {
			return nil, nil, fmt.Errorf("$schema %v is not supported: use draft-07 (%s)", quoteJSON(s), draft07)
		}
	}
	if err := jsonschema.LocalRefs(doc); err != nil {
		return nil, nil, err
	}
	meta, err := draft07MetaSchema()
	if err != nil {
		return nil, nil, fmt.Errorf("draft-07 meta-schema: %w", err)
	}
	res, err := meta.Validate(gojsonschema.NewBytesLoader(raw))
	if err != nil {
		return nil, nil, err
	}
	if !res.Valid() {
		lines := make([]string, 0, len(res.Errors()))
		for _, e := range res.Errors() {
			lines = append(lines, e.String())
		}
		return nil, nil, errors.New(libraryMessage(strings.Join(lines, "\n")))
	}
	schema, err := jsonschema.Compile(raw)
	if err != nil {
		return nil, nil, errors.New(libraryMessage(err.Error()))
	}
	return schema, doc, nil
}

// draft07MetaSchema is the compiled draft-07 meta-schema, which gojsonschema
// embeds (nothing is fetched). It is compiled once, on first use, because
// compiling it costs far more than compiling a typical input schema.
var draft07MetaSchema = sync.OnceValues(func() (*gojsonschema.Schema, error) {
	return gojsonschema.NewSchemaLoader().Compile(gojsonschema.NewReferenceLoader(draft07))
})

// libraryMessage rewrites a gojsonschema compile error, one "field: Message"
// per line in no stable order, as one sorted, lowercase line.
func libraryMessage(msg string) string {
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(msg), "\n") {
		if field, text, ok := strings.Cut(line, ": "); ok && !strings.Contains(field, " ") {
			line = field + ": " + lowerFirst(text)
		} else {
			line = lowerFirst(line)
		}
		lines = append(lines, strings.TrimSuffix(line, "."))
	}
	slices.Sort(lines)
	return strings.Join(slices.Compact(lines), "; ")
}

func isDraft07(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	s = strings.TrimSuffix(s, "#")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "http://"), "https://")
	return s == "json-schema.org/draft-07/schema"
}

func quoteJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// jsonType names the JSON type of a value decoded by encoding/json.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
