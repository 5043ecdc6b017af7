package http_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/dslrun/dslrun/activities"
	dhttp "github.com/dslrun/dslrun/activities/http"
)

type m = map[string]any

// env returns a test activity environment serving the http activity with
// the environment vars for secrets.
func env(t *testing.T, vars map[string]string) *testsuite.TestActivityEnvironment {
	t.Helper()
	return envCtx(t, context.Background(), vars)
}

// envCtx is env with ctx as the activities' background context: cancelling
// it cancels a running activity.
func envCtx(t *testing.T, ctx context.Context, vars map[string]string) *testsuite.TestActivityEnvironment {
	t.Helper()
	r := activities.NewRegistry()
	if err := dhttp.Register(r, dhttp.Options{LookupEnv: func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}}); err != nil {
		t.Fatal(err)
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	e := suite.NewTestActivityEnvironment()
	e.SetWorkerOptions(worker.Options{BackgroundActivityContext: ctx})
	r.Attach(e)
	return e
}

// call runs the http activity with in and returns its result as generic JSON.
func call(t *testing.T, e *testsuite.TestActivityEnvironment, in any) (map[string]any, error) {
	t.Helper()
	v, err := e.ExecuteActivity(dhttp.Name, in)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := v.Get(&out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

// wantAppError asserts what appError does.
func wantAppError(t *testing.T, err error, typ string, nonRetryable bool) {
	t.Helper()
	_ = appError(t, err, typ, nonRetryable)
}

// appError asserts that err is an application error of type typ with the
// retryability nonRetryable, and returns it.
func appError(t *testing.T, err error, typ string, nonRetryable bool) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want an application error of type %s", err, typ)
	}
	if ae.Type() != typ || ae.NonRetryable() != nonRetryable {
		t.Fatalf("error %q: type %q, nonRetryable %v; want %q, %v", ae.Error(), ae.Type(), ae.NonRetryable(), typ, nonRetryable)
	}
	return ae
}

// echoServer answers every request with a JSON description of it.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		_ = json.NewEncoder(w).Encode(m{
			"method":      r.Method,
			"path":        r.URL.Path,
			"query":       r.URL.RawQuery,
			"contentType": r.Header.Get("Content-Type"),
			"auth":        r.Header.Get("Authorization"),
			"body":        string(body),
		})
	}))
	t.Cleanup(s.Close)
	return s
}

func TestGetJSON(t *testing.T) {
	s := echoServer(t)
	got, err := call(t, env(t, nil), m{
		"url":     s.URL + "/users/42?x=1",
		"query":   m{"b": []any{1, true}, "a": "z w"},
		"headers": m{"Authorization": "Bearer plain"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["status"] != 200.0 {
		t.Errorf("status = %v, want 200", got["status"])
	}
	headers := got["headers"].(map[string]any)
	if headers["x-multi"] != "a, b" || headers["content-type"] != "application/json" {
		t.Errorf("headers = %v", headers)
	}
	want := m{"method": "GET", "path": "/users/42", "query": "a=z+w&b=1&b=true&x=1", "contentType": "", "auth": "Bearer plain", "body": ""}
	if !reflect.DeepEqual(got["body"], want) {
		t.Errorf("body = %v, want %v", got["body"], want)
	}
}

func TestPostBodies(t *testing.T) {
	s := echoServer(t)
	e := env(t, map[string]string{"DSLRUN_SECRET_PASSWORD": "hunter2"})
	for _, tt := range []struct {
		name              string
		body              any
		wantType, wantRaw string
	}{
		{"json", m{"json": m{"item": "widget", "n": 2, "pw": m{"secret": "PASSWORD"}}}, "application/json", `{"item":"widget","n":2,"pw":"hunter2"}`},
		{"text", m{"text": "hello"}, "text/plain; charset=utf-8", "hello"},
		{"text secret", m{"text": m{"secret": "PASSWORD"}}, "text/plain; charset=utf-8", "hunter2"},
		{"form", m{"form": m{"a": "1 2", "b": []any{1, 2}, "pw": m{"secret": "PASSWORD"}}}, "application/x-www-form-urlencoded", "a=1+2&b=1&b=2&pw=hunter2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := call(t, e, m{"method": "POST", "url": s.URL, "body": tt.body})
			if err != nil {
				t.Fatal(err)
			}
			b := got["body"].(map[string]any)
			if b["method"] != "POST" || b["contentType"] != tt.wantType || b["body"] != tt.wantRaw {
				t.Errorf("server saw %v; want content type %q, body %q", b, tt.wantType, tt.wantRaw)
			}
		})
	}
}

func TestTextBodyAndNoBody(t *testing.T) {
	s := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Path == "/empty" {
			w.WriteHeader(nethttp.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, `{"not": "parsed"}`)
	}))
	t.Cleanup(s.Close)
	e := env(t, nil)
	got, err := call(t, e, m{"url": s.URL})
	if err != nil {
		t.Fatal(err)
	}
	if got["body"] != `{"not": "parsed"}` {
		t.Errorf("text body = %#v", got["body"])
	}
	got, err = call(t, e, m{"url": s.URL + "/empty", "method": "DELETE"})
	if err != nil {
		t.Fatal(err)
	}
	if got["status"] != 204.0 || got["body"] != nil {
		t.Errorf("no content: %v", got)
	}
}

// statusServer answers with the status in the path, /status/404, and the
// headers of the query.
func statusServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		var code int
		if _, err := fmt.Sscanf(r.URL.Path, "/status/%d", &code); err != nil {
			code = 200
		}
		for k, v := range r.URL.Query() {
			w.Header().Set(k, v[0])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, `{"code": %d}`, code)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestStatusFailures(t *testing.T) {
	s := statusServer(t)
	e := env(t, nil)
	for _, tt := range []struct {
		code         int
		nonRetryable bool
	}{
		{400, true}, {401, true}, {404, true}, {409, true},
		{408, false}, {429, false}, {500, false}, {502, false}, {503, false},
	} {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			_, err := call(t, e, m{"url": fmt.Sprintf("%s/status/%d", s.URL, tt.code)})
			ae := appError(t, err, dhttp.StatusErrorType, tt.nonRetryable)
			var d dhttp.StatusDetails
			if err := ae.Details(&d); err != nil {
				t.Fatal(err)
			}
			if d.Status != tt.code || !reflect.DeepEqual(d.Body, map[string]any{"code": float64(tt.code)}) {
				t.Errorf("details = %+v", d)
			}
			if ae.NextRetryDelay() != 0 {
				t.Errorf("next retry delay %s without Retry-After", ae.NextRetryDelay())
			}
		})
	}
	t.Run("expectedStatus", func(t *testing.T) {
		got, err := call(t, e, m{"url": s.URL + "/status/404", "expectedStatus": []int{200, 404}})
		if err != nil {
			t.Fatal(err)
		}
		if got["status"] != 404.0 {
			t.Errorf("status %v", got["status"])
		}
		// An unexpected 2xx may change (202 while a job runs): retryable.
		_, err = call(t, e, m{"url": s.URL + "/status/202", "expectedStatus": []int{200}})
		wantAppError(t, err, dhttp.StatusErrorType, false)
	})
}

func TestRetryAfter(t *testing.T) {
	s := statusServer(t)
	e := env(t, nil)
	_, err := call(t, e, m{"url": s.URL + "/status/503?Retry-After=7"})
	ae := appError(t, err, dhttp.StatusErrorType, false)
	if ae.NextRetryDelay() != 7*time.Second {
		t.Errorf("next retry delay %s, want 7s", ae.NextRetryDelay())
	}
	date := time.Now().Add(time.Hour).UTC().Format(nethttp.TimeFormat)
	_, err = call(t, e, m{"url": s.URL + "/status/429?Retry-After=" + strings.ReplaceAll(date, " ", "%20")})
	ae = appError(t, err, dhttp.StatusErrorType, false)
	if d := ae.NextRetryDelay(); d < 58*time.Minute || d > time.Hour {
		t.Errorf("next retry delay %s, want about 1h", d)
	}
	// A non-retryable status ignores it.
	_, err = call(t, e, m{"url": s.URL + "/status/404?Retry-After=7"})
	if ae := appError(t, err, dhttp.StatusErrorType, true); ae.NextRetryDelay() != 0 {
		t.Errorf("404 has a next retry delay %s", ae.NextRetryDelay())
	}
}

func TestConnectionAndTimeout(t *testing.T) {
	s := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		<-r.Context().Done() // never answers
	}))
	url := s.URL
	e := env(t, nil)
	_, err := call(t, e, m{"url": url, "timeout": "50ms"})
	wantAppError(t, err, dhttp.TimeoutErrorType, false)
	s.Close()
	_, err = call(t, e, m{"url": url})
	wantAppError(t, err, dhttp.ConnectionErrorType, false)
}

func TestResponseTooLarge(t *testing.T) {
	s := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 1001))
	}))
	t.Cleanup(s.Close)
	e := env(t, nil)
	_, err := call(t, e, m{"url": s.URL, "maxResponseBytes": 1000})
	ae := appError(t, err, dhttp.TooLargeErrorType, true)
	if !strings.Contains(ae.Message(), "larger than maxResponseBytes (1000 bytes)") {
		t.Errorf("message %q", ae.Message())
	}
	got, err := call(t, e, m{"url": s.URL, "maxResponseBytes": 1001})
	if err != nil || len(got["body"].(string)) != 1001 {
		t.Errorf("at the limit: %v, %v", got, err)
	}
}

func TestRedirects(t *testing.T) {
	s := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Path == "/old" {
			nethttp.Redirect(w, r, "/new", nethttp.StatusFound)
			return
		}
		_, _ = io.WriteString(w, r.URL.Path)
	}))
	t.Cleanup(s.Close)
	e := env(t, nil)
	got, err := call(t, e, m{"url": s.URL + "/old"})
	if err != nil || got["body"] != "/new" {
		t.Fatalf("followed: %v, %v", got, err)
	}
	_, err = call(t, e, m{"url": s.URL + "/old", "followRedirects": false})
	wantAppError(t, err, dhttp.StatusErrorType, true)
	got, err = call(t, e, m{"url": s.URL + "/old", "followRedirects": false, "expectedStatus": []int{302}})
	if err != nil || got["status"] != 302.0 || got["headers"].(map[string]any)["location"] != "/new" {
		t.Fatalf("not followed: %v, %v", got, err)
	}
}

func TestSecrets(t *testing.T) {
	s := echoServer(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "FROM_FILE"), []byte("file-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := env(t, map[string]string{"DSLRUN_SECRET_TOKEN": "env-value", "DSLRUN_SECRETS_DIR": dir})
	for name, want := range map[string]string{"TOKEN": "env-value", "FROM_FILE": "file-value"} {
		got, err := call(t, e, m{"url": s.URL, "headers": m{"Authorization": m{"secret": name}}})
		if err != nil {
			t.Fatal(err)
		}
		if auth := got["body"].(map[string]any)["auth"]; auth != want {
			t.Errorf("secret %s: server saw %q, want %q", name, auth, want)
		}
	}
	_, err := call(t, e, m{"url": s.URL, "headers": m{"Authorization": m{"secret": "MISSING"}}})
	ae := appError(t, err, dhttp.SecretNotFoundErrorType, true)
	want := `headers.Authorization: secret "MISSING" not found: the worker has no environment variable DSLRUN_SECRET_MISSING and cannot read ` + filepath.Join(dir, "MISSING")
	if ae.Message() != want {
		t.Errorf("message\n%s\nwant\n%s", ae.Message(), want)
	}
}

func TestTLS(t *testing.T) {
	s := httptest.NewTLSServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		_, _ = io.WriteString(w, "secure")
	}))
	t.Cleanup(s.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	e := env(t, nil)
	_, err := call(t, e, m{"url": s.URL})
	wantAppError(t, err, dhttp.ConnectionErrorType, false) // unknown authority
	for _, tlsOpts := range []m{{"caFile": ca}, {"insecureSkipVerify": true}} {
		got, err := call(t, e, m{"url": s.URL, "tls": tlsOpts})
		if err != nil || got["body"] != "secure" {
			t.Errorf("tls %v: %v, %v", tlsOpts, got, err)
		}
	}
	_, err = call(t, e, m{"url": s.URL, "tls": m{"caFile": filepath.Join(t.TempDir(), "none.pem")}})
	wantAppError(t, err, dhttp.InvalidInputType, true)
}

func TestInvalidInput(t *testing.T) {
	e := env(t, nil)
	for _, in := range []m{
		{"url": "ftp://example.com"},
		{"url": "http://127.0.0.1:1", "method": "BREW"},
		{"url": "http://127.0.0.1:1", "timeout": "soon"},
		{"url": "http://127.0.0.1:1", "poll": m{"until": "response.status =="}},
		{"url": "http://127.0.0.1:1", "body": m{"json": 1, "text": "x"}},
	} {
		_, err := call(t, e, in)
		wantAppError(t, err, dhttp.InvalidInputType, true)
	}
}

// TestSpecCatchesMisspeltKeys: validate reports a misspelt key with a
// did-you-mean, at every level of the input.
func TestSpecCatchesMisspeltKeys(t *testing.T) {
	r := activities.NewRegistry()
	if err := dhttp.Register(r, dhttp.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		in   any
		want string
	}{
		{m{"url": "http://x", "headrs": m{}}, `headrs: unknown property "headrs" (did you mean "headers"?)`},
		{m{"url": "http://x", "poll": m{"untl": "true"}}, `poll: missing required property "until"`},
		{m{"url": "http://x", "body": m{"jsn": 1}}, `body.jsn: unknown property "jsn" (did you mean "json"?)`},
		{m{"url": "http://x", "tls": m{"cafile": "x"}}, `tls.cafile: unknown property "cafile" (did you mean "caFile"?)`},
		{m{"url": "http://x", "method": "get"}, `method: must be one of "GET", "HEAD", "POST"`},
		{m{"url": "http://x", "timeout": "5 minutes"}, `timeout: does not match pattern`},
	} {
		errs := r.CheckInput(dhttp.Name, tt.in)
		var got []string
		for _, e := range errs {
			got = append(got, e.Error())
		}
		if !strings.Contains(strings.Join(got, "\n"), tt.want) {
			t.Errorf("CheckInput(%v) = %q, want one containing %q", tt.in, got, tt.want)
		}
	}
	for _, ok := range []any{
		m{"url": "https://x/y", "method": "POST", "headers": m{"A": "b", "C": m{"secret": "D"}}, "body": m{"json": m{"k": m{"secret": "S"}}}},
		m{"url": "http://x", "poll": m{"interval": "100ms", "until": "response.status == 200", "timeout": "1m"}, "expectedStatus": []int{200, 404}},
		m{"url": "http://x", "body": m{"form": m{"a": 1, "b": []any{"x"}, "c": m{"secret": "E"}}}, "query": m{"q": "x"}},
	} {
		if errs := r.CheckInput(dhttp.Name, ok); len(errs) > 0 {
			t.Errorf("CheckInput(%v) = %v, want none", ok, errs)
		}
	}
}

// pollServer reports a job pending until the ready-th request.
type pollServer struct {
	*httptest.Server
	requests atomic.Int64
	seen     chan int64
}

func newPollServer(t *testing.T, ready int64) *pollServer {
	t.Helper()
	p := &pollServer{seen: make(chan int64, 1000)}
	p.Server = httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		n := p.requests.Add(1)
		p.seen <- n
		state := "pending"
		if ready > 0 && n >= ready {
			state = "done"
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"state": %q, "n": %d}`, state, n)
	}))
	t.Cleanup(p.Close)
	return p
}

func TestPollUntilReady(t *testing.T) {
	p := newPollServer(t, 3)
	got, err := call(t, env(t, nil), m{"url": p.URL, "poll": m{"interval": "1ms", "until": `response.body.state == "done"`}})
	if err != nil {
		t.Fatal(err)
	}
	if got["polls"] != 3.0 || got["body"].(map[string]any)["n"] != 3.0 {
		t.Errorf("result %v, want the third response after 3 polls", got)
	}
}

func TestPollTimeout(t *testing.T) {
	p := newPollServer(t, 0)
	_, err := call(t, env(t, nil), m{"url": p.URL, "poll": m{"interval": "5ms", "until": `response.body.state == "done"`, "timeout": "30ms"}})
	ae := appError(t, err, dhttp.PollTimeoutErrorType, true)
	var d dhttp.StatusDetails
	if err := ae.Details(&d); err != nil || d.Status != 200 || d.Body.(map[string]any)["state"] != "pending" {
		t.Errorf("details %+v (%v)", d, err)
	}
	if n := p.requests.Load(); n < 2 {
		t.Errorf("%d requests, want at least 2", n)
	}
}

// TestPollCancelled: cancelling the activity's context stops the poll at
// once, while it waits for its next request.
func TestPollCancelled(t *testing.T) {
	p := newPollServer(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := envCtx(t, ctx, nil)
	go func() {
		for n := range p.seen {
			if n == 2 {
				cancel()
				return
			}
		}
	}()
	start := time.Now()
	_, err := call(t, e, m{"url": p.URL, "poll": m{"interval": "20ms", "until": "false"}})
	if err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("error = %v, want a cancellation", err)
	}
	if elapsed := time.Since(start); elapsed > time.Minute {
		t.Errorf("took %s", elapsed) // a hang bound only
	}
	if n := p.requests.Load(); n > 3 {
		t.Errorf("%d requests after the cancellation at the second", n)
	}
}

// TestPollFailsOnUnexpectedStatus: a failing request ends the attempt, so
// that the step's retry policy decides.
func TestPollFailsOnUnexpectedStatus(t *testing.T) {
	s := statusServer(t)
	_, err := call(t, env(t, nil), m{"url": s.URL + "/status/503", "poll": m{"interval": "1ms", "until": "true"}})
	wantAppError(t, err, dhttp.StatusErrorType, false)
	got, err := call(t, env(t, nil), m{"url": s.URL + "/status/404", "expectedStatus": []int{404, 200}, "poll": m{"interval": "1ms", "until": "response.status == 404"}})
	if err != nil || got["polls"] != 1.0 {
		t.Errorf("%v, %v", got, err)
	}
}
