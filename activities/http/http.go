package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	nethttp "net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/dslrun/dslrun/activities"
)

// Input is the step's with: value (see the package documentation and the
// input schema in [Spec]).
type Input struct {
	Method           string                     `json:"method,omitempty"`
	URL              string                     `json:"url"`
	Query            map[string]any             `json:"query,omitempty"`
	Headers          map[string]json.RawMessage `json:"headers,omitempty"`
	Body             *Body                      `json:"body,omitempty"`
	Timeout          string                     `json:"timeout,omitempty"`
	ExpectedStatus   []int                      `json:"expectedStatus,omitempty"`
	FollowRedirects  *bool                      `json:"followRedirects,omitempty"`
	MaxResponseBytes int64                      `json:"maxResponseBytes,omitempty"`
	TLS              *TLS                       `json:"tls,omitempty"`
	Poll             *Poll                      `json:"poll,omitempty"`
}

// Body is the request body: one of JSON, Text or Form.
type Body struct {
	// JSON is any JSON value; a {secret: NAME} inside it is resolved.
	JSON json.RawMessage `json:"json,omitempty"`
	// Text is a string or a {secret: NAME}.
	Text json.RawMessage `json:"text,omitempty"`
	// Form maps field names to a scalar, a list of scalars or a secret.
	Form map[string]json.RawMessage `json:"form,omitempty"`
}

// TLS holds the TLS options of a request.
type TLS struct {
	// CAFile is a PEM file of CA certificates, read by the worker.
	CAFile string `json:"caFile,omitempty"`
	// InsecureSkipVerify turns certificate verification off.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// Poll repeats the request until a condition holds.
type Poll struct {
	// Interval is the pause between two requests, a Go duration (default 1s).
	Interval string `json:"interval,omitempty"`
	// Until is an expr-lang condition over the variable response.
	Until string `json:"until"`
	// Timeout bounds the whole poll, a Go duration.
	Timeout string `json:"timeout,omitempty"`
}

// Result is the step's result, steps.<id>.result.
type Result struct {
	// Status is the response's status code.
	Status int `json:"status"`
	// Headers maps lowercase header names to their values, repeated
	// headers joined with ", ".
	Headers map[string]string `json:"headers"`
	// Body is the parsed JSON value when the response is JSON, else its
	// text; nil when the response has no body.
	Body any `json:"body"`
	// Polls is the number of requests a poll made; 0 without poll.
	Polls int `json:"polls,omitempty"`
}

// Activity sends the requests. Its zero value is not usable: create one
// with [New].
type Activity struct {
	lookupEnv func(string) (string, bool)
	readFile  func(string) ([]byte, error)

	mu         sync.Mutex
	transports map[tlsKey]*nethttp.Transport
}

// Options configure an [Activity]. Nil fields fall back to the process's
// own.
type Options struct {
	// LookupEnv reads the worker's environment (secrets and
	// DSLRUN_SECRETS_DIR); os.LookupEnv if nil.
	LookupEnv func(string) (string, bool)
	// ReadFile reads secret files and CA files; os.ReadFile if nil.
	ReadFile func(string) ([]byte, error)
}

// New returns an Activity with opts.
func New(opts Options) *Activity {
	a := &Activity{lookupEnv: opts.LookupEnv, readFile: opts.ReadFile, transports: map[tlsKey]*nethttp.Transport{}}
	if a.lookupEnv == nil {
		a.lookupEnv = os.LookupEnv
	}
	if a.readFile == nil {
		a.readFile = os.ReadFile
	}
	return a
}

func init() {
	activities.MustRegister(Spec(), New(Options{}).Execute)
}

// Register adds the http activity, served by a new [Activity] with opts,
// to r.
func Register(r *activities.Registry, opts Options) error {
	return r.Register(Spec(), New(opts).Execute)
}

// Execute is the activity function: one request, or a poll when in.Poll is
// set.
func (a *Activity) Execute(ctx context.Context, in Input) (Result, error) {
	req, err := a.prepare(in)
	if err != nil {
		return Result{}, err
	}
	if in.Poll != nil {
		return a.poll(ctx, req, in.Poll)
	}
	if activity.GetInfo(ctx).HeartbeatTimeout > 0 {
		// Heartbeat during a long request, so that a cancellation reaches
		// it and a lost worker is noticed.
		stop := heartbeatEvery(ctx, heartbeatInterval(ctx))
		defer stop()
	}
	return a.do(ctx, req)
}

// request is a validated input, ready to be sent any number of times.
type request struct {
	method      string
	url         string
	header      nethttp.Header
	body        []byte
	timeout     time.Duration
	expected    []int
	follow      bool
	maxBytes    int64
	transport   *nethttp.Transport
	contentType string
}

// prepare checks in, resolves its secrets and encodes its body.
func (a *Activity) prepare(in Input) (*request, error) {
	r := &request{method: strings.ToUpper(in.Method), follow: true, maxBytes: DefaultMaxResponseBytes, expected: in.ExpectedStatus}
	if r.method == "" {
		r.method = nethttp.MethodGet
	}
	if !validMethod(r.method) {
		return nil, invalidInput("method %q: must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS", in.Method)
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, invalidInput("url %q: must be an absolute http or https URL", in.URL)
	}
	if len(in.Query) > 0 {
		q := u.Query()
		for _, k := range sortedKeys(in.Query) {
			vals, err := scalars(in.Query[k])
			if err != nil {
				return nil, invalidInput("query.%s: %v", k, err)
			}
			for _, v := range vals {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	r.url = u.String()
	if r.timeout, err = duration(in.Timeout, DefaultTimeout, "timeout"); err != nil {
		return nil, err
	}
	if in.FollowRedirects != nil {
		r.follow = *in.FollowRedirects
	}
	if in.MaxResponseBytes != 0 {
		if in.MaxResponseBytes < 0 || in.MaxResponseBytes > MaxResponseBytes {
			return nil, invalidInput("maxResponseBytes %d: must be between 1 and %d", in.MaxResponseBytes, MaxResponseBytes)
		}
		r.maxBytes = in.MaxResponseBytes
	}
	for _, s := range r.expected {
		if s < 100 || s > 599 {
			return nil, invalidInput("expectedStatus %d: must be an HTTP status between 100 and 599", s)
		}
	}
	r.header = nethttp.Header{}
	for _, k := range sortedKeys(in.Headers) {
		v, err := a.stringOrSecret(in.Headers[k], "headers."+k)
		if err != nil {
			return nil, err
		}
		r.header.Add(k, v)
	}
	if err := a.encodeBody(r, in.Body); err != nil {
		return nil, err
	}
	if r.contentType != "" && r.header.Get("Content-Type") == "" {
		r.header.Set("Content-Type", r.contentType)
	}
	if r.transport, err = a.transport(in.TLS); err != nil {
		return nil, err
	}
	return r, nil
}

func validMethod(m string) bool {
	switch m {
	case nethttp.MethodGet, nethttp.MethodHead, nethttp.MethodPost, nethttp.MethodPut,
		nethttp.MethodPatch, nethttp.MethodDelete, nethttp.MethodOptions:
		return true
	}
	return false
}

// encodeBody sets r.body and r.contentType from b.
func (a *Activity) encodeBody(r *request, b *Body) error {
	if b == nil {
		return nil
	}
	n := 0
	if len(b.JSON) > 0 {
		n++
		var v any
		dec := json.NewDecoder(bytes.NewReader(b.JSON))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return invalidInput("body.json: %v", err)
		}
		v, err := a.resolveJSON(v, "body.json")
		if err != nil {
			return err
		}
		if r.body, err = json.Marshal(v); err != nil {
			return invalidInput("body.json: %v", err)
		}
		r.contentType = "application/json"
	}
	if len(b.Text) > 0 {
		n++
		s, err := a.stringOrSecret(b.Text, "body.text")
		if err != nil {
			return err
		}
		r.body, r.contentType = []byte(s), "text/plain; charset=utf-8"
	}
	if b.Form != nil {
		n++
		form := url.Values{}
		for _, k := range sortedKeys(b.Form) {
			raw := b.Form[k]
			if name, ok := secretRef(raw); ok {
				s, err := a.secret(name, "body.form."+k)
				if err != nil {
					return err
				}
				form.Add(k, s)
				continue
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return invalidInput("body.form.%s: %v", k, err)
			}
			vals, err := scalars(v)
			if err != nil {
				return invalidInput("body.form.%s: %v", k, err)
			}
			for _, s := range vals {
				form.Add(k, s)
			}
		}
		r.body, r.contentType = []byte(form.Encode()), "application/x-www-form-urlencoded"
	}
	if n != 1 {
		return invalidInput("body: must have exactly one of json, text or form")
	}
	return nil
}

// scalars turns a query or form value (a scalar or a list of scalars) into
// strings.
func scalars(v any) ([]string, error) {
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, e := range list {
			s, err := scalar(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func scalar(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool:
		return strconv.FormatBool(t), nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case json.Number:
		return t.String(), nil
	}
	return "", fmt.Errorf("must be a string, number, boolean or a list of them, got %T", v)
}

// tlsKey identifies a transport: requests with the same TLS options share
// one, and so its connections.
type tlsKey struct {
	caFile   string
	insecure bool
}

// transport returns the shared transport for the TLS options t.
func (a *Activity) transport(t *TLS) (*nethttp.Transport, error) {
	var key tlsKey
	if t != nil {
		key = tlsKey{caFile: t.CAFile, insecure: t.InsecureSkipVerify}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if tr, ok := a.transports[key]; ok {
		return tr, nil
	}
	tr := nethttp.DefaultTransport.(*nethttp.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	if key != (tlsKey{}) {
		cfg := &tls.Config{InsecureSkipVerify: key.insecure} //nolint:gosec // asked for by the step's tls.insecureSkipVerify
		if key.caFile != "" {
			pem, err := a.readFile(key.caFile)
			if err != nil {
				return nil, invalidInput("tls.caFile: %v", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, invalidInput("tls.caFile %s: no PEM certificate found", key.caFile)
			}
			cfg.RootCAs = pool
		}
		tr.TLSClientConfig = cfg
	}
	a.transports[key] = tr
	return tr, nil
}

// do sends r once and checks the response.
func (a *Activity) do(ctx context.Context, r *request) (Result, error) {
	reqCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := nethttp.NewRequestWithContext(reqCtx, r.method, r.url, body)
	if err != nil {
		return Result{}, invalidInput("request: %v", err)
	}
	req.Header = r.header.Clone()
	c := &nethttp.Client{Transport: r.transport}
	if !r.follow {
		c.CheckRedirect = func(*nethttp.Request, []*nethttp.Request) error { return nethttp.ErrUseLastResponse }
	}
	resp, err := c.Do(req)
	if err != nil {
		return Result{}, requestError(ctx, reqCtx, r, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, r.maxBytes+1))
	if err != nil {
		return Result{}, requestError(ctx, reqCtx, r, err)
	}
	if int64(len(data)) > r.maxBytes {
		return Result{}, tooLarge(r, resp.StatusCode)
	}
	res := Result{Status: resp.StatusCode, Headers: flatten(resp.Header), Body: parseBody(resp.Header.Get("Content-Type"), data)}
	if !expected(r.expected, resp.StatusCode) {
		return res, statusError(r, res, resp.Header.Get("Retry-After"), time.Now())
	}
	return res, nil
}

// requestError classifies an error of sending a request or reading its
// response. The activity's own end (cancelled, timed out) is returned as
// it is, so that Temporal reports it as such.
func requestError(ctx, reqCtx context.Context, r *request, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(reqCtx.Err(), context.DeadlineExceeded) {
		return retryable(TimeoutErrorType, fmt.Sprintf("%s %s: no response within %s", r.method, r.url, r.timeout), nil)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is in the message already
	}
	return retryable(ConnectionErrorType, fmt.Sprintf("%s %s: %v", r.method, r.url, err), nil)
}

// expected reports whether status is one of want, or 2xx when want is empty.
func expected(want []int, status int) bool {
	if len(want) == 0 {
		return status >= 200 && status < 300
	}
	return slices.Contains(want, status)
}

// flatten lowercases header names and joins repeated values.
func flatten(h nethttp.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	return out
}

// parseBody returns the parsed JSON value when contentType says JSON and
// data parses, the text otherwise, and nil for no data.
func parseBody(contentType string, data []byte) any {
	if len(data) == 0 {
		return nil
	}
	if isJSON(contentType) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil && !dec.More() {
			return v
		}
	}
	return string(data)
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// duration parses a Go duration, def when s is empty.
func duration(s, def, field string) (time.Duration, error) {
	if s == "" {
		s = def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, invalidInput("%s %q: must be a positive Go duration such as 30s", field, s)
	}
	return d, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
