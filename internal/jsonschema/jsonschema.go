// Package jsonschema compiles the JSON schemas that dslrun reads from its
// users (a definition's input schema, update args, activity specs, plugin
// manifests) and the DSL's own: always as draft-07, with every $ref local,
// so that compiling a schema never reads a file or the network.
package jsonschema

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/xeipuuv/gojsonschema"
)

// Compile compiles doc, a decoded JSON value (a map or a boolean) or its
// JSON text ([]byte or json.RawMessage), as a draft-07 schema. A $ref that
// does not start with "#" is refused before gojsonschema sees it.
func Compile(doc any) (*gojsonschema.Schema, error) {
	raw, v, err := decode(doc)
	if err != nil {
		return nil, err
	}
	if err := LocalRefs(v); err != nil {
		return nil, err
	}
	sl := gojsonschema.NewSchemaLoader()
	sl.Draft = gojsonschema.Draft7
	sl.AutoDetect = false
	return sl.Compile(gojsonschema.NewBytesLoader(raw))
}

// decode returns doc as JSON text and as a decoded value.
func decode(doc any) ([]byte, any, error) {
	switch d := doc.(type) {
	case []byte:
		var v any
		if err := json.Unmarshal(d, &v); err != nil {
			return nil, nil, fmt.Errorf("not valid JSON: %w", err)
		}
		return d, v, nil
	case json.RawMessage:
		return decode([]byte(d))
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, err
	}
	return raw, doc, nil
}

// LocalRefs returns an error naming the first $ref (in sorted key order)
// that does not start with "#": remote references would make compiling
// fetch URLs or read files.
func LocalRefs(v any) error { return localRefs(v, "") }

func localRefs(v any, path string) error {
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok && !strings.HasPrefix(ref, "#") {
			at := ""
			if path != "" {
				at = path + ": "
			}
			return fmt.Errorf("%s$ref %q: only local references (\"#/...\") are allowed", at, ref)
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := localRefs(v[k], join(path, k)); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range v {
			if err := localRefs(e, join(path, fmt.Sprint(i))); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}
