package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dslrun/dslrun/dsl"
	"github.com/xeipuuv/gojsonschema"
)

func rawSchema(t *testing.T) map[string]any {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(JSON(), &raw); err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	return raw
}

// walk calls f on every object of the schema with its JSON pointer.
func walk(v any, ptr string, f func(ptr string, m map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(ptr, v)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walk(v[k], ptr+"/"+k, f)
		}
	case []any:
		for i, e := range v {
			walk(e, fmt.Sprintf("%s/%d", ptr, i), f)
		}
	}
}

type noNetwork struct{ calls []string }

func (n *noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	n.calls = append(n.calls, r.URL.String())
	return nil, errors.New("no network in tests")
}

// TestDraft07 compiles the schema as Validate does, checked against the
// draft-07 meta-schema that gojsonschema carries, with HTTP cut off: the
// compilation must not try to fetch anything.
func TestDraft07(t *testing.T) {
	nn := &noNetwork{}
	saved := http.DefaultTransport
	http.DefaultTransport = nn
	defer func() { http.DefaultTransport = saved }()

	compile := func(src string) error {
		sl := gojsonschema.NewSchemaLoader()
		sl.Draft = gojsonschema.Draft7
		sl.AutoDetect = false
		sl.Validate = true
		_, err := sl.Compile(gojsonschema.NewStringLoader(src))
		return err
	}
	if err := compile(string(JSON())); err != nil {
		t.Fatalf("the schema does not compile as draft-07: %v", err)
	}
	// The meta-schema check is live: gojsonschema's own parser accepts
	// examples that are not a list, the draft-07 meta-schema does not.
	if err := compile(`{"type": "object", "examples": 5}`); err == nil {
		t.Error(`a schema with "examples": 5 compiled: the meta-schema is not checked`)
	}
	if len(nn.calls) > 0 {
		t.Errorf("compiling fetched %v", nn.calls)
	}
	if c := load(); c.err != nil {
		t.Fatal(c.err)
	}

	raw := rawSchema(t)
	if raw["$schema"] != "http://json-schema.org/draft-07/schema#" {
		t.Errorf("$schema = %v", raw["$schema"])
	}
	if raw["$id"] != ID {
		t.Errorf("$id = %v, want %s", raw["$id"], ID)
	}
	for _, k := range []string{"title", "description"} {
		if s, _ := raw[k].(string); s == "" {
			t.Errorf("no %s", k)
		}
	}
}

// TestRefs checks that every $ref is local and names a definition, so that
// nothing can ever be fetched.
func TestRefs(t *testing.T) {
	raw := rawSchema(t)
	defs := raw["definitions"].(map[string]any)
	n := 0
	walk(raw, "", func(ptr string, m map[string]any) {
		ref, ok := m["$ref"].(string)
		if !ok {
			return
		}
		n++
		name, found := strings.CutPrefix(ref, "#/definitions/")
		if !found || defs[name] == nil {
			t.Errorf("%s: $ref %q is not a local definition", ptr, ref)
		}
	})
	if n < 50 {
		t.Errorf("only %d $refs found: is the walk broken?", n)
	}
}

// TestDescriptions checks that every property has a description, on the
// property or on the definition it refers to, for editors' hover docs.
func TestDescriptions(t *testing.T) {
	raw := rawSchema(t)
	defs := raw["definitions"].(map[string]any)
	described := func(s map[string]any) bool {
		if d, _ := s["description"].(string); d != "" {
			return true
		}
		ref, _ := s["$ref"].(string)
		def, _ := defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
		d, _ := def["description"].(string)
		return d != ""
	}
	count := 0
	walk(raw, "", func(ptr string, m map[string]any) {
		props, ok := m["properties"].(map[string]any)
		if !ok || strings.HasSuffix(ptr, "/properties") || strings.HasSuffix(ptr, "/if") || strings.HasSuffix(ptr, "/then") {
			return // a property named "properties", or a condition
		}
		for k, p := range props {
			ps, ok := p.(map[string]any)
			if !ok {
				continue // false: a key ruled out, not a key to document
			}
			count++
			if !described(ps) {
				t.Errorf("%s/properties/%s has no description", ptr, k)
			}
		}
	})
	t.Logf("%d properties checked", count)
}

// TestPatterns checks that each pattern of the schema compiles as Go (RE2)
// syntax and has a patternErrorMessage, one per pattern: editors
// (yaml-language-server) show it instead of the regular expression, and
// Validate words its errors with the message of the failing pattern.
func TestPatterns(t *testing.T) {
	messages := map[string]string{} // pattern → message: Validate finds a message by its pattern
	walk(rawSchema(t), "", func(ptr string, m map[string]any) {
		if p, ok := m["pattern"].(string); ok {
			msg, _ := m["patternErrorMessage"].(string)
			if msg == "" {
				t.Errorf("%s: pattern without a patternErrorMessage", ptr)
			}
			if other, ok := messages[p]; ok && other != msg {
				t.Errorf("%s: pattern %q has the message %q here and %q elsewhere: give it one message, or the key a pattern of its own", ptr, p, msg, other)
			}
			messages[p] = msg
			if _, err := regexp.Compile(p); err != nil {
				t.Errorf("%s: pattern %q: %v", ptr, p, err)
			}
		}
	})
}

// pattern returns the pattern of the description's Def called name.
func pattern(t *testing.T, name string) *regexp.Regexp {
	t.Helper()
	p, _ := dsl.Lang().Def(name).Schema["pattern"].(string)
	if p == "" {
		t.Fatalf("Def %q has no pattern", name)
	}
	return regexp.MustCompile(p)
}

// TestConventions checks the keyword conventions the error mapper relies
// on (see the schema's $comment): no not; false only for keys ruled out by
// another key; anyOf groups of required keys with distinct first keys,
// one of which lists every step kind.
func TestConventions(t *testing.T) {
	raw := rawSchema(t)
	var nots, falses []string
	anyOfs := 0
	walk(raw, "", func(ptr string, m map[string]any) {
		if _, ok := m["not"]; ok {
			nots = append(nots, ptr)
		}
		if _, ok := m["anyOf"]; ok {
			anyOfs++
		}
		for k, v := range m {
			if v == false && k != "additionalProperties" {
				falses = append(falses, ptr+"/"+k)
			}
		}
	})
	if len(nots) > 0 {
		t.Errorf("not is used at %v", nots)
	}
	sort.Strings(falses)
	wantFalses := []string{
		"/definitions/activityStep/dependencies/local/then/properties/activityId",
		"/definitions/activityStep/dependencies/local/then/properties/taskQueue",
		"/definitions/workflowOptions/dependencies/cron/properties/startDelay",
	}
	if !slices.Equal(falses, wantFalses) {
		t.Errorf("false schemas at %v, want %v", falses, wantFalses)
	}
	var kinds []string
	for _, k := range dsl.Kinds() {
		kinds = append(kinds, string(k))
	}
	got := requiredGroups(dsl.Lang())
	stepGroup := slices.Clone(got["activity"])
	slices.Sort(stepGroup)
	slices.Sort(kinds)
	if !slices.Equal(stepGroup, kinds) {
		t.Errorf("step kinds group %v, want %v", stepGroup, kinds)
	}
	delete(got, "activity")
	want := map[string][]string{
		"catch":            {"catch", "finally"},
		"intervals":        {"intervals", "cron", "calendars"},
		"set":              {"set", "do"},
		"searchAttributes": {"searchAttributes", "memo"},
	}
	if len(got) != len(want) {
		t.Errorf("required groups %v, want %v and the kinds", got, want)
	}
	for k, g := range want {
		if !slices.Equal(got[k], g) {
			t.Errorf("group of %q = %v, want %v", k, got[k], g)
		}
	}
	// Every anyOf but the backoff coefficient's is a required group.
	if anyOfs != len(want)+2 {
		t.Errorf("%d anyOf, want %d", anyOfs, len(want)+2)
	}
}

// TestEnums checks the schema's enums against the parser's lists (the
// description of the DSL takes them from those lists).
func TestEnums(t *testing.T) {
	defs := rawSchema(t)["definitions"].(map[string]any)
	get := func(path ...string) []string {
		var v any = defs
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		var out []string
		for _, e := range v.(map[string]any)["enum"].([]any) {
			out = append(out, e.(string))
		}
		return out
	}
	props := func(def string) []string { return []string{def, "properties"} }
	for _, tc := range []struct {
		path []string
		want []string
	}{
		{append(props("workflowOptions"), "idReusePolicy"), dsl.IDReusePolicies},
		{append(props("workflowOptions"), "idConflictPolicy"), dsl.IDConflictPolicies},
		{append(props("schedule"), "overlap"), dsl.OverlapPolicies},
		{append(props("logStep"), "level"), dsl.LogLevels},
		{append(props("childOptions"), "parentClosePolicy"), dsl.ParentClosePolicies},
	} {
		if got := get(tc.path...); !slices.Equal(got, tc.want) {
			t.Errorf("%s: enum %v, parser %v", strings.Join(tc.path, "."), got, tc.want)
		}
	}
}

// TestStepKinds checks that the schema knows the parser's step kinds: one
// dependency each, and a documented key each in the step definition.
func TestStepKinds(t *testing.T) {
	step := rawSchema(t)["definitions"].(map[string]any)["step"].(map[string]any)
	var deps, props []string
	for k := range step["dependencies"].(map[string]any) {
		deps = append(deps, k)
	}
	for k := range step["properties"].(map[string]any) {
		props = append(props, k)
	}
	var kinds []string
	for _, k := range dsl.Kinds() {
		kinds = append(kinds, string(k))
	}
	sort.Strings(deps)
	sort.Strings(props)
	sort.Strings(kinds)
	if !slices.Equal(deps, kinds) {
		t.Errorf("step dependencies %v, parser kinds %v", deps, kinds)
	}
	if !slices.Equal(props, append([]string{"id"}, kinds...)) && !slices.Equal(props, sortedWith(kinds, "id")) {
		t.Errorf("step properties %v, want id and the kinds", props)
	}
}

func sortedWith(ss []string, s string) []string {
	out := append(slices.Clone(ss), s)
	sort.Strings(out)
	return out
}

// TestNoExprPatterns checks the two patterns that refuse "${" against the
// rule they encode, over every string of up to 7 characters from an
// alphabet that exercises them.
func TestNoExprPatterns(t *testing.T) {
	noExpr, nonEmpty := pattern(t, "plainString"), pattern(t, "nonEmptyString")
	alphabet := []string{"$", "{", "a", " ", "}"}
	var gen func(prefix string, n int)
	checked := 0
	gen = func(s string, n int) {
		checked++
		hasExpr := strings.Contains(s, "${")
		if got := noExpr.MatchString(s); got != !hasExpr {
			t.Errorf("noExpr(%q) = %v", s, got)
		}
		if got, want := nonEmpty.MatchString(s), !hasExpr && strings.TrimSpace(s) != ""; got != want {
			t.Errorf("nonEmpty(%q) = %v, want %v", s, got, want)
		}
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(s+c, n-1)
		}
	}
	gen("", 7)
	t.Logf("%d strings checked", checked)
}

// TestDurationPattern checks the duration pattern against
// dsl.ParseDuration.
func TestDurationPattern(t *testing.T) {
	re := pattern(t, "duration")
	for _, s := range []string{
		"30s", "500ms", "1h30m", "2d", "1d12h", "0s", "0d", "1.5h", ".5s", "1.s", "1µs", "1μs", "1us", "10ns",
		"100000d", "0100000d", "1h1h", "3d4h5m6s7ms8us9ns",
		"", "0", "5", "1.5", "-5s", "+5s", "1d-5s", "1d+5s", "d", "1dd", "1.5d", "d1h", "1s1d", "1 s", " 1s",
		"1h ", "100001d", "1x", "s", ".s", "1e3s", "1D", "1S", "1d2d", "${ x }", "1h${ x }",
	} {
		_, err := dsl.ParseDuration(s)
		if got := re.MatchString(s); got != (err == nil) {
			t.Errorf("pattern(%q) = %v, ParseDuration error %v", s, got, err)
		}
	}
}

// TestTimestampPattern checks the timestamp patterns (sleepUntil's, which
// also takes an expression, and the schedule's times, which do not)
// against the parser's RFC 3339 parsing, for well-formed values (the
// pattern does not check ranges such as month 13).
func TestTimestampPattern(t *testing.T) {
	var res []*regexp.Regexp
	walk(rawSchema(t), "", func(_ string, m map[string]any) {
		if p, _ := m["pattern"].(string); strings.HasPrefix(p, "^[0-9]{4}-") {
			res = append(res, regexp.MustCompile(p))
		}
	})
	if len(res) != 2 {
		t.Fatalf("found %d timestamp patterns, want 2 (sleepUntil's and the schedule's)", len(res))
	}
	for _, re := range res {
		for _, s := range []string{
			"2026-01-02T15:04:05Z", "2026-01-02T15:04:05.123456789Z", "2026-01-02T15:04:05+02:00",
			"2026-01-02T15:04:05.5-07:30", "2026-01-02", "2026-01-02 15:04:05Z", "2026-01-02t15:04:05z",
			"2026-01-02T15:04:05", "2026-01-02T15:04:05.Z", "2026-01-02T15:04Z", "26-01-02T15:04:05Z",
			"2026-01-02T15:04:05+0200",
		} {
			_, err := time.Parse(time.RFC3339Nano, s)
			if got := re.MatchString(s); got != (err == nil) {
				t.Errorf("pattern %s (%q) = %v, time.Parse error %v", re, s, got, err)
			}
		}
		if want := strings.HasSuffix(re.String(), `|\$\{`); re.MatchString("${ workflow.now }") != want {
			t.Errorf("pattern %s: an expression matches: %v, want %v", re, !want, want)
		}
	}
}

// TestSchemaIsGenerated fails when workflow.schema.json is not what the
// description of the DSL generates: run go generate ./schema/.
func TestSchemaIsGenerated(t *testing.T) {
	want, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if string(JSON()) != string(want) {
		t.Fatal("workflow.schema.json is stale: run `go generate ./schema/` and commit the result")
	}
}
