package dslruncmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dslrun/dslrun/codec"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// TestCodecServer runs dslrun codec-server on a real listener and calls it
// as the Web UI and the temporal CLI do: the SDK's remote codec encodes and
// decodes through it (with the Authorization header it requires), a
// payload it encoded decodes with the key file locally, CORS answers the
// allowed origin only, and a request without the header, or with an
// origin not allowed, is refused.
func TestCodecServer(t *testing.T) {
	dir := t.TempDir()
	line, err := codec.GenerateKey("ui-1")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "keys")
	authFile := filepath.Join(dir, "auth")
	for f, s := range map[string]string{keyFile: line + "\n", authFile: "Bearer s3cret\n"} {
		if err := os.WriteFile(f, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const origin = "http://localhost:8233"

	pr, pw := io.Pipe()
	o := testOptions()
	o.Stdout = pw
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cmd := newCodecServerCmd(o, func(so *codecServerOptions) error {
		defer pw.Close()
		return runCodecServer(ctx, so)
	})
	cmd.SetArgs([]string{"--listen", "127.0.0.1:0", "--codec-key-file", keyFile, "--authorization-file", authFile, "--cors-origin", origin})
	go func() { done <- cmd.Execute() }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("codec-server: %v", err)
			}
		case <-time.After(time.Minute): // a bound against a hang
			t.Error("codec-server did not stop")
		}
	})
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		t.Fatalf("no banner: %v", sc.Err())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	banner := sc.Text()
	_, rest, _ := strings.Cut(banner, "http://")
	base, _, _ := strings.Cut(rest, " ")
	if base == "" {
		t.Fatalf("banner %q", banner)
	}
	endpoint := "http://" + base

	remote := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: endpoint,
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer s3cret")
			r.Header.Set("X-Namespace", "default")
			return nil
		},
	})
	plain, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"patient": "canary-remote"})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := remote.Encode([]*commonpb.Payload{plain})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(enc[0].Metadata["encoding"]); got != codec.MetadataEncodingEncrypted || strings.Contains(string(enc[0].Data), "canary") {
		t.Fatalf("remote encode: %s %q", got, enc[0].Data)
	}
	keys, err := codec.LoadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := codec.NewDataConverter(codec.New(keys, codec.Options{})).FromPayload(enc[0], &v); err != nil || v["patient"] != "canary-remote" {
		t.Fatalf("local decode of the server's encoding: %v %v", v, err)
	}
	dec, err := remote.Decode(enc)
	if err != nil || string(dec[0].Data) != string(plain.Data) {
		t.Fatalf("remote decode: %v %v", dec, err)
	}

	// A payload of a key the server does not have: 400, naming the key.
	other, _ := codec.GenerateKey("gone-0")
	otherKeys, _ := codec.ParseKeys(other)
	foreign, _ := codec.New(otherKeys, codec.Options{}).Encode([]*commonpb.Payload{plain})
	if _, err := remote.Decode(foreign); err == nil || !strings.Contains(err.Error(), `"gone-0"`) {
		t.Errorf("decode of a foreign payload: %v", err)
	}

	body, _ := json.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{plain}})
	do := func(method, path string, hdr map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, endpoint+path, strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	// The browser's preflight: no credentials, the allowed origin.
	resp := do(http.MethodOptions, "/decode", map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"})
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != origin ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %s %v", resp.Status, resp.Header)
	}
	for _, tc := range []struct {
		name   string
		method string
		path   string
		hdr    map[string]string
		want   int
	}{
		{"allowed origin with the header", http.MethodPost, "/encode", map[string]string{"Origin": origin, "Authorization": "Bearer s3cret"}, http.StatusOK},
		{"no Authorization", http.MethodPost, "/encode", map[string]string{"Origin": origin}, http.StatusUnauthorized},
		{"wrong Authorization", http.MethodPost, "/decode", map[string]string{"Authorization": "Bearer guess"}, http.StatusUnauthorized},
		{"origin not allowed", http.MethodPost, "/decode", map[string]string{"Origin": "http://evil.example", "Authorization": "Bearer s3cret"}, http.StatusForbidden},
		{"preflight from an origin not allowed", http.MethodOptions, "/decode", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"GET", http.MethodGet, "/decode", nil, http.StatusMethodNotAllowed},
		{"other path", http.MethodPost, "/other/decode", map[string]string{"Authorization": "Bearer s3cret"}, http.StatusNotFound},
	} {
		resp := do(tc.method, tc.path, tc.hdr)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %s, want %d", tc.name, resp.Status, tc.want)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" && got != origin {
			t.Errorf("%s: Access-Control-Allow-Origin %q", tc.name, got)
		}
	}
}

// TestCodecServerNeedsKeys checks that codec-server refuses to start
// without keys, and that a key file in error is named without its content.
func TestCodecServerNeedsKeys(t *testing.T) {
	o := testOptions()
	err := runCodecServer(context.Background(), &codecServerOptions{Options: o, Listen: "127.0.0.1:0"})
	var ee *exitError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "no payload keys: give them with --codec-key-file") {
		t.Fatalf("got %v", err)
	}
	o.LookupEnv = func(k string) (string, bool) {
		if k == envCodecKeys {
			return "k1:bm90LWEta2V5", true
		}
		return "", false
	}
	err = runCodecServer(context.Background(), &codecServerOptions{Options: o, Listen: "127.0.0.1:0"})
	if err == nil || err.Error() != `DSLRUN_CODEC_KEYS: key 1: key "k1": 9 bytes, want 32 (AES-256)` {
		t.Fatalf("got %v", err)
	}
}
