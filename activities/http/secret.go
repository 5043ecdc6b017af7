package http

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"go.temporal.io/sdk/temporal"
)

// secretName is the syntax of a secret's name, which keeps a name from
// reaching outside the secrets folder.
var secretName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// secretRef reports whether raw is a {"secret": NAME} reference, and NAME.
func secretRef(raw json.RawMessage) (string, bool) {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return "", false
	}
	return secretOf(m)
}

// secretOf reports whether v is a decoded {"secret": NAME} reference.
func secretOf(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	name, ok := m["secret"].(string)
	return name, ok
}

// stringOrSecret decodes a string, or resolves a {secret: NAME}; field
// names the value in errors.
func (a *Activity) stringOrSecret(raw json.RawMessage, field string) (string, error) {
	if name, ok := secretRef(raw); ok {
		return a.secret(name, field)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalidInput("%s: must be a string or {secret: NAME}", field)
	}
	return s, nil
}

// resolveJSON returns v with every {secret: NAME} inside replaced by the
// secret's value.
func (a *Activity) resolveJSON(v any, field string) (any, error) {
	if name, ok := secretOf(v); ok {
		return a.secret(name, field)
	}
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for _, k := range sortedKeys(t) {
			r, err := a.resolveJSON(t[k], field+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			r, err := a.resolveJSON(e, fmt.Sprintf("%s[%d]", field, i))
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// secret resolves the secret name: the environment variable
// DSLRUN_SECRET_<name>, else the file $DSLRUN_SECRETS_DIR/<name> without
// one trailing newline. Errors name the secret, never a value.
func (a *Activity) secret(name, field string) (string, error) {
	if !secretName.MatchString(name) {
		return "", invalidInput("%s: secret name %q: must be letters, digits and underscores, not starting with a digit", field, name)
	}
	if v, ok := a.lookupEnv(SecretEnvPrefix + name); ok {
		return v, nil
	}
	where := fmt.Sprintf("the worker has no environment variable %s%s", SecretEnvPrefix, name)
	if dir, ok := a.lookupEnv(SecretsDirEnv); ok && dir != "" {
		path := filepath.Join(dir, name)
		data, err := a.readFile(path)
		if err == nil {
			s := strings.TrimSuffix(string(data), "\n")
			return strings.TrimSuffix(s, "\r"), nil
		}
		where += fmt.Sprintf(" and cannot read %s", path)
	} else {
		where += " and no " + SecretsDirEnv
	}
	return "", temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("%s: secret %q not found: %s", field, name, where),
		SecretNotFoundErrorType, nil, map[string]any{"secret": name})
}
