package dsltest

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// Summary counts the results of a run of test files.
type Summary struct {
	Files, InvalidFiles, Cases, FailedCases int
	Elapsed                                 time.Duration
}

// Summarize counts results.
func Summarize(results []*FileResult, elapsed time.Duration) Summary {
	s := Summary{Files: len(results), Elapsed: elapsed}
	for _, r := range results {
		if !r.Valid() {
			s.InvalidFiles++
		}
		s.Cases += len(r.Cases)
		s.FailedCases += r.Failed()
	}
	return s
}

// Passed reports whether every file is valid and every case passed.
func (s Summary) Passed() bool { return s.InvalidFiles == 0 && s.FailedCases == 0 }

// WriteText writes results for people: a line a file, and under a file
// that failed its diagnostics and the failures of each failed case. With
// verbose, every case is listed. The last line sums up.
func WriteText(w io.Writer, results []*FileResult, s Summary, verbose bool) {
	for _, r := range results {
		switch {
		case !r.Valid():
			fmt.Fprintf(w, "FAIL  %s: invalid\n", r.File)
		case r.Passed():
			fmt.Fprintf(w, "ok    %s (%s, %d %s, %s)\n", r.File, r.Name, len(r.Cases), plural(len(r.Cases), "case", "cases"), ms(r.Elapsed))
		default:
			fmt.Fprintf(w, "FAIL  %s (%s, %d of %d cases failed, %s)\n", r.File, r.Name, r.Failed(), len(r.Cases), ms(r.Elapsed))
		}
		for _, d := range r.Diagnostics {
			fmt.Fprintf(w, "      %s\n", d)
		}
		for _, c := range r.Cases {
			if c.Passed() && !verbose {
				continue
			}
			status := "PASS"
			if !c.Passed() {
				status = "FAIL"
			}
			fmt.Fprintf(w, "  --- %s: %s (%s; virtual time %s", status, c.Name, ms(c.Elapsed), virtual(c.Virtual))
			if c.Runs > 1 {
				fmt.Fprintf(w, ", %d runs", c.Runs)
			}
			fmt.Fprintln(w, ")")
			for _, f := range c.Failures {
				fmt.Fprintf(w, "        %s\n", indent(f.String(), "        "))
			}
		}
	}
	if s.Passed() {
		fmt.Fprintf(w, "ok: %d %s passed in %d %s (%s)\n", s.Cases, plural(s.Cases, "case", "cases"), s.Files, plural(s.Files, "file", "files"), ms(s.Elapsed))
		return
	}
	var parts []string
	if s.FailedCases > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d cases failed", s.FailedCases, s.Cases))
	}
	if s.InvalidFiles > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d files invalid", s.InvalidFiles, s.Files))
	}
	fmt.Fprintf(w, "FAIL: %s (%s)\n", strings.Join(parts, ", "), ms(s.Elapsed))
}

func indent(s, prefix string) string { return strings.ReplaceAll(s, "\n", "\n"+prefix) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func ms(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// virtual formats a virtual duration, with days for long ones.
func virtual(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day {
		days := d / day
		if rest := d - days*day; rest > 0 {
			return fmt.Sprintf("%dd%s", days, rest)
		}
		return fmt.Sprintf("%dd", days)
	}
	return d.String()
}

// The -o json form.
type (
	jsonReport struct {
		Passed    bool       `json:"passed"`
		Files     int        `json:"files"`
		Cases     int        `json:"cases"`
		Failed    int        `json:"failed"`
		Invalid   int        `json:"invalid"`
		ElapsedMS float64    `json:"elapsedMs"`
		Results   []jsonFile `json:"results"`
	}
	jsonFile struct {
		File        string           `json:"file"`
		Workflow    string           `json:"workflow,omitempty"`
		Name        string           `json:"name,omitempty"`
		Valid       bool             `json:"valid"`
		Passed      bool             `json:"passed"`
		Diagnostics []jsonDiagnostic `json:"diagnostics"`
		Cases       []jsonCase       `json:"cases"`
		ElapsedMS   float64          `json:"elapsedMs"`
	}
	jsonDiagnostic struct {
		File     string `json:"file"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
		Path     string `json:"path,omitempty"`
		Severity string `json:"severity"`
		Code     string `json:"code"`
		Message  string `json:"message"`
	}
	jsonCase struct {
		Name        string        `json:"name"`
		Line        int           `json:"line"`
		Column      int           `json:"column"`
		Passed      bool          `json:"passed"`
		Failures    []jsonFailure `json:"failures"`
		ElapsedMS   float64       `json:"elapsedMs"`
		VirtualTime string        `json:"virtualTime"`
		Runs        int           `json:"runs"`
	}
	jsonFailure struct {
		File    string `json:"file"`
		Line    int    `json:"line"`
		Column  int    `json:"column"`
		Path    string `json:"path"`
		Step    string `json:"step,omitempty"`
		Message string `json:"message"`
	}
)

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// WriteJSON writes results as one JSON document.
func WriteJSON(w io.Writer, results []*FileResult, s Summary) error {
	out := jsonReport{Passed: s.Passed(), Files: s.Files, Cases: s.Cases, Failed: s.FailedCases, Invalid: s.InvalidFiles,
		ElapsedMS: msf(s.Elapsed), Results: []jsonFile{}}
	for _, r := range results {
		jf := jsonFile{File: r.File, Workflow: r.Workflow, Name: r.Name, Valid: r.Valid(), Passed: r.Passed(),
			Diagnostics: []jsonDiagnostic{}, Cases: []jsonCase{}, ElapsedMS: msf(r.Elapsed)}
		for _, d := range r.Diagnostics {
			jf.Diagnostics = append(jf.Diagnostics, jsonDiagnostic{File: d.Pos.File, Line: d.Pos.Line, Column: d.Pos.Col,
				Path: d.Path, Severity: d.Severity.String(), Code: string(d.Code), Message: d.Msg})
		}
		for _, c := range r.Cases {
			jc := jsonCase{Name: c.Name, Line: c.Pos.Line, Column: c.Pos.Col, Passed: c.Passed(), Failures: []jsonFailure{},
				ElapsedMS: msf(c.Elapsed), VirtualTime: virtual(c.Virtual), Runs: c.Runs}
			for _, f := range c.Failures {
				jc.Failures = append(jc.Failures, jsonFailure{File: f.Pos.File, Line: f.Pos.Line, Column: f.Pos.Col,
					Path: f.Path, Step: f.Step, Message: f.Msg})
			}
			jf.Cases = append(jf.Cases, jc)
		}
		out.Results = append(out.Results, jf)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// The JUnit XML form, as CI systems read it.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Errors   int         `xml:"errors,attr"`
		Time     string      `xml:"time,attr"`
		Cases    []junitCase `xml:"testcase"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitFailure `xml:"failure,omitempty"`
		Error     *junitFailure `xml:"error,omitempty"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes results as JUnit XML: a test suite a file, a test case
// a case; an invalid file is one test case in error.
func WriteJUnit(w io.Writer, results []*FileResult, s Summary) error {
	out := junitSuites{Name: "dslrun test", Tests: s.Cases, Failures: s.FailedCases, Errors: s.InvalidFiles, Time: secs(s.Elapsed)}
	for _, r := range results {
		js := junitSuite{Name: r.File, Tests: len(r.Cases), Failures: r.Failed(), Time: secs(r.Elapsed)}
		if !r.Valid() {
			js.Errors, js.Tests = 1, js.Tests+1
			out.Tests++
			lines := make([]string, 0, len(r.Diagnostics))
			for _, d := range r.Diagnostics {
				lines = append(lines, d.String())
			}
			js.Cases = append(js.Cases, junitCase{Name: "valid", Classname: r.File, Time: "0.000",
				Error: &junitFailure{Message: "invalid test file or definition", Type: "invalid", Text: strings.Join(lines, "\n")}})
		}
		for _, c := range r.Cases {
			jc := junitCase{Name: c.Name, Classname: r.File, Time: secs(c.Elapsed)}
			if !c.Passed() {
				lines := make([]string, len(c.Failures))
				for i, f := range c.Failures {
					lines[i] = f.String()
				}
				jc.Failure = &junitFailure{Message: c.Failures[0].Msg, Type: "failed", Text: strings.Join(lines, "\n")}
			}
			js.Cases = append(js.Cases, jc)
		}
		out.Suites = append(out.Suites, js)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
