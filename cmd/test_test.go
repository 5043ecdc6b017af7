package dslruncmd_test

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	dslruncmd "github.com/dslrun/dslrun/cmd"
)

// TestTestExamples runs `dslrun test ./examples/...` in process: every
// example has a test file and every case passes, in text, JSON and JUnit.
func TestTestExamples(t *testing.T) {
	defs, err := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		if strings.HasSuffix(d, "_test.yaml") {
			continue
		}
		if _, err := os.Stat(strings.TrimSuffix(d, ".yaml") + "_test.yaml"); err != nil {
			t.Errorf("example %s has no test file: %v", d, err)
		}
	}
	junit := filepath.Join(t.TempDir(), "report.xml")
	code, stdout, stderr := run("test", "../examples/...", "-o", "json", "--junit", junit)
	if code != dslruncmd.ExitOK {
		t.Fatalf("exit %d, want 0\n%s%s", code, stdout, stderr)
	}
	var rep struct {
		Passed  bool `json:"passed"`
		Cases   int  `json:"cases"`
		Results []struct {
			File   string `json:"file"`
			Passed bool   `json:"passed"`
			Cases  []struct {
				Name   string `json:"name"`
				Passed bool   `json:"passed"`
			} `json:"cases"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("-o json: %v\n%s", err, stdout)
	}
	if !rep.Passed || len(rep.Results) < len(defs)/2 || rep.Cases < 2*len(rep.Results) {
		t.Errorf("passed %v, %d files, %d cases: want every example's file, two cases or more each", rep.Passed, len(rep.Results), rep.Cases)
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatalf("--junit: %v\n%s", err, b)
	}
	if suites.Tests != rep.Cases || suites.Failures != 0 || len(suites.Suites) != len(rep.Results) {
		t.Errorf("junit: %d tests, %d failures, %d suites; want %d, 0, %d", suites.Tests, suites.Failures, len(suites.Suites), rep.Cases, len(rep.Results))
	}

	// The text form: one line a file, and the sum.
	code, stdout, _ = run("test", "../examples/...")
	if code != dslruncmd.ExitOK || !strings.Contains(stdout, "ok    ../examples/order_test.yaml (order, 2 cases,") ||
		!strings.Contains(stdout, "ok: "+strconv.Itoa(rep.Cases)+" cases passed in ") {
		t.Errorf("text output (exit %d):\n%s", code, stdout)
	}
}

// brokenOrderTest mocks math.add wrongly: an error where the run needs a
// result, and a result that is off by one.
const brokenOrderTest = `cases:
  - name: declined by a broken mock
    input: {orderId: A-7, amount: 40}
    activities:
      math.add: {error: {type: Broken, message: the mock is broken, nonRetryable: true}}
    expect:
      output: {charged: 42, receipt: "Receipt for order A-7: 42 EUR"}
  - name: charged wrongly by a broken mock
    input: {orderId: A-7, amount: 40}
    activities:
      math.add: {result: 41}
    expect:
      output: {charged: 42, receipt: "Receipt for order A-7: 42 EUR"}
      activities:
        echo: {count: 2}
  - name: still fine
    input: {orderId: A-7, amount: 40}
    expect:
      output: {charged: 42, receipt: "Receipt for order A-7: 42 EUR"}
`

// TestTestBrokenMock checks that a broken mock fails its case with the
// expectation and the step named, at their lines, and exit status 1.
func TestTestBrokenMock(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"order.yaml", "receipt.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "examples", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	test := filepath.Join(dir, "order_test.yaml")
	if err := os.WriteFile(test, []byte(brokenOrderTest), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run("test", dir)
	if code != dslruncmd.ExitFailure {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"FAIL  " + test + " (order, 2 of 3 cases failed,",
		"--- FAIL: declined by a broken mock",
		test + `:7:7: cases[0].expect: the run failed: steps[0]: activity "math.add" failed: the mock is broken (type Broken)`,
		"--- FAIL: charged wrongly by a broken mock",
		test + ":13:15: cases[1].expect.output: output.charged: got 41, want 42",
		test + ":13:15: cases[1].expect.output: output.receipt: got \"Receipt for order A-7: 41 EUR\", want \"Receipt for order A-7: 42 EUR\"",
		test + `:15:15: cases[1].expect.activities.echo.count: activity "echo" was called 1 times, want 2`,
		"FAIL: 2 of 3 cases failed",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "still fine") {
		t.Errorf("a passing case is listed without -v:\n%s", stdout)
	}

	// -o json names the step of the failure in a field of its own.
	_, stdout, _ = run("test", test, "-o", "json", "--run", "declined")
	var rep struct {
		Results []struct {
			Cases []struct {
				Failures []struct {
					Line int    `json:"line"`
					Path string `json:"path"`
					Step string `json:"step"`
				} `json:"failures"`
			} `json:"cases"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || len(rep.Results[0].Cases) != 1 {
		t.Fatalf("--run declined: %s", stdout)
	}
	f := rep.Results[0].Cases[0].Failures
	if len(f) != 1 || f[0].Path != "cases[0].expect" || f[0].Step != "steps[0]" || f[0].Line != 7 {
		t.Errorf("failures %+v, want one at line 7, cases[0].expect, step steps[0]", f)
	}
}

// TestTestInvalidAndUsage checks that a broken test file is reported at
// its positions (exit 1) and that flag mistakes exit 2.
func TestTestInvalidAndUsage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.yaml"), []byte("dsl: v1\nname: hello\nsteps:\n  - activity: echo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "hello_test.yaml")
	if err := os.WriteFile(bad, []byte("cases:\n  - name: x\n    expct: {output: 1}\n    events: [{at: 1h, signal: go, query: q}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := run("test", bad)
	if code != dslruncmd.ExitFailure {
		t.Fatalf("exit %d, want 1\n%s", code, stdout)
	}
	for _, want := range []string{
		bad + `:3:5: cases[0].expct: unknown key "expct" (did you mean "expect"?)`,
		bad + `:4:14: cases[0].events[0]: an event has one of signal, update, query or cancel, not signal and query`,
		"FAIL: 1 of 1 files invalid",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	for _, args := range [][]string{
		{"test", dir, "-o", "yaml"},
		{"test", dir, "--run", "("},
		{"test", dir, "--timeout", "0s"},
	} {
		if code, _, stderr := run(args...); code != dslruncmd.ExitUsage {
			t.Errorf("dslrun %v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
	if code, _, stderr := run("test", t.TempDir()); code != dslruncmd.ExitFailure || !strings.Contains(stderr, "no *_test.yaml") {
		t.Errorf("a folder without test files: exit %d\n%s", code, stderr)
	}
}

// BenchmarkTestExamples measures `dslrun test ./examples/...` in process:
// every example's test file, time skipping included (docs/benchmarks.md).
func BenchmarkTestExamples(b *testing.B) {
	for b.Loop() {
		if code, stdout, stderr := run("test", "../examples/..."); code != dslruncmd.ExitOK {
			b.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
	}
}
