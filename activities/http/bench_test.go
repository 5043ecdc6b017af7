package http

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	nethttp "net/http"
	"net/http/httptest"
	"testing"

	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/dslrun/dslrun/activities"
)

// The benchmarks compare a GET of a small JSON document from a local
// server made three ways: raw net/http (a hand-written activity's work),
// the http activity's own work (prepare, send, read, parse), and the whole
// activity through the SDK's test activity environment (payload encoding
// and decoding included). docs/benchmarks.md has the figures.

const benchBody = `{"id": 42, "name": "widget", "tags": ["a", "b"], "price": 12.5}`

func benchServer(b *testing.B) *httptest.Server {
	b.Helper()
	s := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, benchBody)
	}))
	b.Cleanup(s.Close)
	return s
}

// BenchmarkRawNetHTTP: a GET with net/http, the body read and decoded.
func BenchmarkRawNetHTTP(b *testing.B) {
	s := benchServer(b)
	c := &nethttp.Client{Transport: nethttp.DefaultTransport.(*nethttp.Transport).Clone()}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodGet, s.URL+"/items/42", nil)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(resp.Status, err)
		}
		var v any
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkActivityWork: the http activity's own work for the same GET,
// without the SDK: input checked, request sent, response read, checked and
// parsed.
func BenchmarkActivityWork(b *testing.B) {
	s := benchServer(b)
	a := New(Options{})
	ctx := context.Background()
	in := Input{URL: s.URL + "/items/42", Headers: map[string]json.RawMessage{"Accept": json.RawMessage(`"application/json"`)}}
	b.ResetTimer()
	for b.Loop() {
		r, err := a.prepare(in)
		if err != nil {
			b.Fatal(err)
		}
		res, err := a.do(ctx, r)
		if err != nil || res.Status != 200 {
			b.Fatal(res.Status, err)
		}
	}
}

// BenchmarkActivityEnvironment: the whole http activity as the SDK runs
// it, through the test activity environment (input and result encoded as
// payloads), for the same GET.
func BenchmarkActivityEnvironment(b *testing.B) {
	s := benchServer(b)
	r := activities.NewRegistry()
	if err := Register(r, Options{}); err != nil {
		b.Fatal(err)
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestActivityEnvironment()
	r.Attach(env)
	in := map[string]any{"url": s.URL + "/items/42", "headers": map[string]any{"Accept": "application/json"}}
	b.ResetTimer()
	for b.Loop() {
		v, err := env.ExecuteActivity(Name, in)
		if err != nil {
			b.Fatal(err)
		}
		var res Result
		if err := v.Get(&res); err != nil || res.Status != 200 {
			b.Fatal(res.Status, err)
		}
	}
}
