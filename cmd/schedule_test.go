package dslruncmd_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/interpreter"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
)

// scheduleTestWorker connects to the shared server and serves queue with
// the interpreter (no definitions: scheduled runs carry theirs) and the
// default activities until the test ends.
func scheduleTestWorker(t *testing.T, queue string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: sharedServer(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w := worker.New(c, queue, worker.Options{})
	interpreter.Register(w, interpreter.Options{})
	activities.Default().Attach(w)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return c
}

// waitFor polls cond until it holds; the bound is a hang bound only.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond) // poll interval
	}
}

func memoOf(t *testing.T, c client.Client, id string) map[string]any {
	t.Helper()
	d, err := c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for k, p := range d.GetWorkflowExecutionInfo().GetMemo().GetFields() {
		var v any
		if err := converter.GetDefaultDataConverter().FromPayload(p, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

// TestScheduleExample applies examples/schedule.yaml to the shared server:
// apply creates the schedule (and runs nothing), trigger starts a run of
// the definition as applied, with its memo evaluated over schedule.input.
// With -record it writes that run's history for the interpreter's replay
// test (TestRecordHistories checks that it is there).
func TestScheduleExample(t *testing.T) {
	const queue = "q-schedule-example"
	c := scheduleTestWorker(t, queue)
	conn := []string{"--address", sharedServer(t)}
	ctx := context.Background()
	h := c.ScheduleClient().GetHandle(ctx, "report-eu")
	_ = h.Delete(ctx) // from an earlier -count run
	t.Cleanup(func() { _ = h.Delete(context.Background()) })

	out := mustRun(t, 0, append([]string{"apply", "../examples/schedule.yaml", "--task-queue", queue}, conn...)...)
	if want := "schedule report-eu (workflow schedule): created\n"; out != want {
		t.Fatalf("apply printed %q, want %q", out, want)
	}
	if out := mustRun(t, 0, append([]string{"apply", "../examples/schedule.yaml", "--task-queue", queue}, conn...)...); !strings.HasSuffix(out, ": unchanged\n") {
		t.Fatalf("second apply printed %q, want unchanged", out)
	}
	// The keys of the schedule's own reach the server.
	var desc struct {
		Skip           []string       `json:"skip"`
		StartTime      string         `json:"startTime"`
		CatchupWindow  string         `json:"catchupWindow"`
		PauseOnFailure bool           `json:"pauseOnFailure"`
		Memo           map[string]any `json:"memo"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, 0, append([]string{"schedule", "describe", "report-eu", "-o", "json"}, conn...)...)), &desc); err != nil {
		t.Fatal(err)
	}
	if len(desc.Skip) != 1 || !strings.Contains(desc.Skip[0], "dayOfMonth 25 month 12") || desc.StartTime != "2026-01-01T00:00:00Z" ||
		desc.CatchupWindow != "10m0s" || !desc.PauseOnFailure || desc.Memo["team"] != "reports" {
		t.Errorf("describe shows %+v, want the example's skip, startTime, catchupWindow, pauseOnFailure and memo", desc)
	}
	mustRun(t, 0, append([]string{"schedule", "trigger", "report-eu"}, conn...)...)
	var id string
	waitFor(t, "the triggered action", func() bool {
		d, err := h.Describe(ctx)
		if err != nil || len(d.Info.RecentActions) == 0 || d.Info.RecentActions[0].StartWorkflowResult == nil {
			return false
		}
		id = d.Info.RecentActions[0].StartWorkflowResult.WorkflowID
		return true
	})
	if !strings.HasPrefix(id, "report-eu-") {
		t.Errorf("scheduled workflow id %q, want report-eu-<time> (options.id over schedule.input)", id)
	}
	var result string
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, &result); err != nil {
		t.Fatal(err)
	}
	if want := "report for eu, run " + id; result != want {
		t.Errorf("result %q, want %q", result, want)
	}
	if m := memoOf(t, c, id); m["region"] != "eu" || m["kind"] != "report" {
		t.Errorf("memo %v, want region eu (evaluated) and kind report", m)
	}
	hist := mustRun(t, 0, append([]string{"history", id, "-o", "json"}, conn...)...)
	replayJSON(t, hist)
	if *record {
		out := filepath.Join(historiesDir, "schedule.json")
		if err := os.WriteFile(out, []byte(hist), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVisibilityExpressions: memo and search attribute templates of
// options reach a run started by apply evaluated over its input, list
// --query finds the run by the attribute, and an attribute the namespace
// lacks is explained.
func TestVisibilityExpressions(t *testing.T) {
	const queue = "q-visibility"
	c := scheduleTestWorker(t, queue)
	conn := []string{"--address", sharedServer(t)}
	ctx := context.Background()
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        "default",
		SearchAttributes: map[string]enumspb.IndexedValueType{"DslrunCustomer": enumspb.INDEXED_VALUE_TYPE_KEYWORD},
	})
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	dir := t.TempDir()
	def := filepath.Join(dir, "visible.yaml")
	write := func(sa string) {
		t.Helper()
		src := `dsl: v1
name: visible
options:
  memo:
    customer: ${ input.customer }
    order: {id: "order-${ input.n }", n: "${ input.n }"}
  searchAttributes:
    ` + sa + `: ${ input.customer }
steps:
  - activity: echo
`
		if err := os.WriteFile(def, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("DslrunCustomer")
	// The server's namespace cache learns the new attribute within seconds:
	// until then the start is refused (and explained), and nothing starts.
	var out string
	waitFor(t, "the new search attribute to reach the namespace cache", func() bool {
		var code int
		code, out, _ = run(append([]string{"apply", def, "--id", "visible-1", "--input", `{"customer": "acme", "n": 7}`, "--task-queue", queue, "-o", "json"}, conn...)...)
		return code == 0 || !strings.Contains(out, "has no mapping defined for search attribute DslrunCustomer")
	})
	var res struct{ Status string }
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Status != "completed" {
		t.Fatalf("apply: %s", out)
	}
	m := memoOf(t, c, "visible-1")
	order, _ := m["order"].(map[string]any)
	if m["customer"] != "acme" || order["id"] != "order-7" || order["n"] != float64(7) {
		t.Errorf("memo %v, want the templates evaluated", m)
	}
	waitFor(t, "list --query to find the run by its search attribute", func() bool {
		code, stdout, _ := run(append([]string{"list", "--query", `DslrunCustomer = "acme"`, "-o", "json"}, conn...)...)
		return code == 0 && strings.Contains(stdout, `"workflowId": "visible-1"`)
	})

	write("DslrunNoSuchAttribute")
	code, _, stderr := run(append([]string{"apply", def, "--id", "visible-2", "--input", `{"customer": "acme", "n": 8}`, "--task-queue", queue}, conn...)...)
	if code != 1 || !strings.Contains(stderr, "DslrunNoSuchAttribute") || !strings.Contains(stderr, "dslrun dev --search-attribute NAME=Keyword") {
		t.Errorf("apply with an unknown search attribute: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestDevSearchAttribute: dslrun dev --search-attribute registers a custom
// search attribute, which a run started by apply sets from a template
// over its input at once, and list --query finds the run by it.
func TestDevSearchAttribute(t *testing.T) {
	code, _, stderr := run("dev", "--memory", "--port", "0", "--ui-port", "0", "--search-attribute", "DslrunRegion=Nope")
	if code != 2 || !strings.Contains(stderr, `--search-attribute "DslrunRegion=Nope": want NAME=TYPE`) {
		t.Errorf("dev with a bad --search-attribute: exit %d, want 2:\n%s", code, stderr)
	}
	dev := startDslrun(t, nil, "dev", "--memory", "--port", "0", "--ui-port", "0", "--search-attribute", "DslrunRegion=Keyword", "--search-attribute", "DslrunStage=Keyword")
	addr := dev.waitOutput(t, frontendLine, hangBound)[1]
	def := filepath.Join(t.TempDir(), "regional.yaml")
	src := `dsl: v1
name: regional
options:
  searchAttributes: {DslrunRegion: "${ input.region }"}
steps:
  - id: echo
    activity: echo
    with: shipped
  - upsert:
      searchAttributes: {DslrunStage: "${ steps.echo.result }"}
      memo: {stage: "${ steps.echo.result }"}
`
	if err := os.WriteFile(def, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, 0, "apply", def, "--id", "regional-1", "--input", `{"region": "eu"}`, "-q", "--address", addr)
	waitFor(t, "list --query to find the run by its search attribute", func() bool {
		code, stdout, _ := run("list", "--query", `DslrunRegion = "eu"`, "-o", "json", "--address", addr)
		return code == 0 && strings.Contains(stdout, `"workflowId": "regional-1"`)
	})
	// The one upserted during the run is found too, and the memo is set.
	waitFor(t, "list --query to find the run by the search attribute it upserted", func() bool {
		code, stdout, _ := run("list", "--query", `DslrunStage = "shipped"`, "-o", "json", "--address", addr)
		return code == 0 && strings.Contains(stdout, `"workflowId": "regional-1"`)
	})
	if m := memoOf(t, dial(t, addr), "regional-1"); m["stage"] != "shipped" {
		t.Errorf("memo after the upsert: %v, want stage shipped", m)
	}
	// describe shows both, decoded.
	_, desc, _ := run("describe", "regional-1", "-o", "json", "--address", addr)
	var d struct {
		Memo             map[string]any `json:"memo"`
		SearchAttributes map[string]any `json:"searchAttributes"`
	}
	if err := json.Unmarshal([]byte(desc), &d); err != nil {
		t.Fatalf("describe -o json: %v\n%s", err, desc)
	}
	if d.Memo["stage"] != "shipped" || d.SearchAttributes["DslrunRegion"] != "eu" || d.SearchAttributes["DslrunStage"] != "shipped" {
		t.Errorf("describe shows memo %v and search attributes %v, want stage, DslrunRegion and DslrunStage", d.Memo, d.SearchAttributes)
	}
	_, text, _ := run("describe", "regional-1", "--address", addr)
	if !regexp.MustCompile(`(?m)^memo +\{"stage":"shipped"\}$`).MatchString(text) {
		t.Errorf("describe's text lacks the memo:\n%s", text)
	}
	dev.signal(t, syscall.SIGTERM)
	if code := dev.wait(t, hangBound); code != 0 {
		t.Errorf("dev exited %d after SIGTERM, want 0:\n%s", code, dev.output())
	}
}
