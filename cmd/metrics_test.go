package dslruncmd_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	dslruncmd "github.com/dslrun/dslrun/cmd"
)

// TestMetricsScrape starts dslrun dev with --metrics-address, runs
// examples/parallel.yaml on it with apply, and scrapes the endpoint: the
// SDK's counters and histograms of the dev process's worker show the run
// (one workflow completed, the four activities by type, workflow task
// latencies), and the interpreter's per-step metrics show each of the
// definition's five steps once. Then examples/custom-metrics.yaml, the
// seeds' custom metrics sample: its activities' executions and failures,
// and its steps started, completed and failed (with the failure's type).
func TestMetricsScrape(t *testing.T) {
	t.Parallel()
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	dev := startDslrun(t, nil, "dev", "--memory", "--port", "0", "--ui-port", "0", "--task-queue", "q-metrics", "--metrics-address", metricsAddr)
	addr := dev.waitOutput(t, frontendLine, hangBound)[1]
	// dev says where its metrics are; the line may follow the banner.
	dev.waitOutput(t, regexp.MustCompile(regexp.QuoteMeta("metrics: http://"+metricsAddr+"/metrics")), hangBound)
	mustRun(t, dslruncmd.ExitOK, "apply", filepath.Join("..", "examples", "parallel.yaml"), "--address", addr, "--task-queue", "q-metrics", "-q")

	// Each sample as the Prometheus text format prints it; labels in the
	// exporter's order (sorted).
	want := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^temporal_workflow_completed_total\{[^}]*task_queue="q-metrics"[^}]*workflow_type="parallel"[^}]*\} 1$`),
		regexp.MustCompile(`(?m)^temporal_activity_execution_latency_seconds_count\{activity_type="echo"[^}]*\} 2$`),
		regexp.MustCompile(`(?m)^temporal_activity_execution_latency_seconds_count\{activity_type="math.add"[^}]*\} 1$`),
		regexp.MustCompile(`(?m)^temporal_activity_execution_latency_seconds_count\{activity_type="sleep"[^}]*\} 1$`),
		regexp.MustCompile(`(?m)^temporal_workflow_endtoend_latency_seconds_bucket\{[^}]*workflow_type="parallel",le="\+Inf"\} 1$`),
		regexp.MustCompile(`(?m)^temporal_workflow_task_execution_latency_seconds_count\{[^}]*\} [1-9]`),
	}
	// The interpreter's per-step metrics: one sample per step of the
	// definition, by step (id, or path without one) and kind.
	steps := [][2]string{
		{"all", "parallel"},
		{"steps[0].parallel[0][0]", "activity"},
		{"steps[0].parallel[1][0]", "activity"},
		{"steps[0].parallel[1][1]", "activity"},
		{"steps[0].parallel[2][0]", "activity"},
	}
	for _, s := range steps {
		kind, step := regexp.QuoteMeta(fmt.Sprintf("kind=%q,", s[1])), regexp.QuoteMeta(fmt.Sprintf("step=%q,", s[0]))
		want = append(want,
			regexp.MustCompile(`(?m)^dslrun_step_started_total\{[^}]*definition="parallel",`+kind+`[^}]*`+step+`[^}]*\} 1$`),
			regexp.MustCompile(`(?m)^dslrun_step_completed_total\{[^}]*definition="parallel",`+kind+`[^}]*`+step+`[^}]*\} 1$`),
			regexp.MustCompile(`(?m)^dslrun_step_latency_seconds_count\{[^}]*definition="parallel",`+kind+`[^}]*outcome="completed",`+step+`[^}]*\} 1$`),
		)
	}
	ctx := testContext(t, hangBound)
	url := "http://" + metricsAddr + "/metrics"
	body := waitScrape(ctx, t, url, want)
	// Exactly one step-completed sample per step, and no failure.
	if n := len(regexp.MustCompile(`(?m)^dslrun_step_completed_total\{`).FindAllString(body, -1)); n != len(steps) {
		t.Errorf("%d dslrun_step_completed_total samples, want %d (one per step):\n%s", n, len(steps), grepTemporal(body))
	}
	if strings.Contains(body, "dslrun_step_failed_total{") {
		t.Errorf("a step failed:\n%s", grepTemporal(body))
	}

	// examples/custom-metrics.yaml, the seeds' custom metrics sample: what
	// the sample's interceptor records, by the SDK and the interpreter.
	mustRun(t, dslruncmd.ExitOK, "apply", filepath.Join("..", "examples", "custom-metrics.yaml"), "--address", addr, "--task-queue", "q-metrics", "-q")
	def := `[^}]*definition="custom-metrics",`
	waitScrape(ctx, t, url, []*regexp.Regexp{
		regexp.MustCompile(`(?m)^temporal_activity_execution_latency_seconds_count\{activity_type="echo"[^}]*workflow_type="custom-metrics"\} 1$`),
		regexp.MustCompile(`(?m)^temporal_activity_execution_failed_total\{activity_type="fail"[^}]*workflow_type="custom-metrics"\} 1$`),
		regexp.MustCompile(`(?m)^dslrun_step_started_total\{` + def + `kind="activity",[^}]*step="orderApples",[^}]*\} 1$`),
		regexp.MustCompile(`(?m)^dslrun_step_completed_total\{` + def + `kind="activity",[^}]*step="orderApples",[^}]*\} 1$`),
		regexp.MustCompile(`(?m)^dslrun_step_started_total\{` + def + `kind="activity",[^}]*step="orderBananas",[^}]*\} 1$`),
		regexp.MustCompile(`(?m)^dslrun_step_failed_total\{` + def + `failure_type="OutOfStock",kind="activity",[^}]*step="orderBananas",[^}]*\} 1$`),
		regexp.MustCompile(`(?m)^dslrun_step_latency_seconds_count\{` + def + `kind="activity",[^}]*outcome="failed",step="orderBananas",[^}]*\} 1$`),
		regexp.MustCompile(`(?m)^dslrun_step_completed_total\{` + def + `kind="try",[^}]*step="steps\[1\]",[^}]*\} 1$`),
	})
	dev.signal(t, syscall.SIGTERM)
	if code := dev.wait(t, hangBound); code != 0 {
		t.Errorf("dev exited %d:\n%s", code, dev.output())
	}
}

// waitScrape scrapes url until every pattern matches, and returns that
// scrape. The worker records a completion as it reports it, so a scrape
// right after a run may miss it: poll (bounded by ctx), as a scraper would
// see it next time.
func waitScrape(ctx context.Context, t *testing.T, url string, want []*regexp.Regexp) string {
	t.Helper()
	for {
		body := scrape(ctx, t, url)
		var missing []string
		for _, re := range want {
			if !re.MatchString(body) {
				missing = append(missing, re.String())
			}
		}
		if len(missing) == 0 {
			return body
		}
		if deadline, _ := ctx.Deadline(); time.Until(deadline) < 10*time.Second {
			t.Fatalf("no sample matches %s in the scrape:\n%s", strings.Join(missing, "\n  "), grepTemporal(body))
		}
		sleepCtx(ctx, 100*time.Millisecond)
	}
}

func scrape(ctx context.Context, t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s %v", url, resp.Status, err)
	}
	return string(b)
}

// grepTemporal keeps the temporal_ samples of a scrape, for a failure
// message.
func grepTemporal(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if (strings.HasPrefix(l, "temporal_") || strings.HasPrefix(l, "dslrun_")) && !strings.Contains(l, "_bucket{") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
