package devserver

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dslrun/dslrun/internal/testcerts"
)

// TestMutualTLS serves the frontend with mutual TLS: a client with a
// certificate of the client CA runs a workflow; one without a certificate,
// or with one of another CA, is refused; the server's own clients (the Web
// UI, and the system worker, which runs schedules) get through with the
// internal certificate.
func TestMutualTLS(t *testing.T) {
	ctx := testContext(t)
	certs := testcerts.New(t, "dslrun test CA")
	other := testcerts.New(t, "another CA")
	s, err := Start(ctx, Options{
		UIPort:        freePort(t),
		TLS:           &TLS{CertFile: certs.ServerCert, KeyFile: certs.ServerKey, ClientCAFile: certs.CA},
		CodecEndpoint: "http://127.0.0.1:8081",
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	if got := s.TLSServerName(); got != "127.0.0.1" {
		t.Errorf("TLSServerName() = %q, want 127.0.0.1", got)
	}

	clientTLS := func(cert, key string) *tls.Config {
		pemCA, err := os.ReadFile(certs.CA)
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(pemCA)
		c := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		if cert != "" {
			pair, err := tls.LoadX509KeyPair(cert, key)
			if err != nil {
				t.Fatal(err)
			}
			c.Certificates = []tls.Certificate{pair}
		}
		return c
	}
	dialTLS := func(conf *tls.Config) (client.Client, error) {
		return client.DialContext(ctx, client.Options{
			HostPort:          s.FrontendAddress(),
			Namespace:         s.Namespace(),
			Logger:            quietLogger(),
			ConnectionOptions: client.ConnectionOptions{TLS: conf},
		})
	}

	for name, conf := range map[string]*tls.Config{
		"no client certificate":   clientTLS("", ""),
		"certificate of other CA": clientTLS(other.ClientCert, other.ClientKey),
	} {
		if c, err := dialTLS(conf); err == nil {
			c.Close()
			t.Errorf("%s: dial succeeded", name)
		}
	}

	c, err := dialTLS(clientTLS(certs.ClientCert, certs.ClientKey))
	if err != nil {
		t.Fatalf("dial with the client certificate: %v", err)
	}
	defer c.Close()
	w := startWorker(t, c, t.Name())
	defer w.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: t.Name()}, greetWorkflow, "mtls")
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil || got != "hello mtls" {
		t.Fatalf("result = %q, %v; want hello mtls", got, err)
	}

	// The scheduler runs on the server's system worker, which reaches the
	// frontend as a client: a triggered schedule's run proves it does.
	id := "mtls-schedule-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	h, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:                 id,
		Spec:               client.ScheduleSpec{},
		Paused:             true,
		TriggerImmediately: true,
		Action: &client.ScheduleWorkflowAction{
			ID: id + "-run", Workflow: greetWorkflow, Args: []any{"schedule"}, TaskQueue: t.Name(),
		},
	})
	if err != nil {
		t.Fatalf("create schedule: %v", err)
	}
	defer func() { _ = h.Delete(ctx) }()
	for {
		d, err := h.Describe(ctx)
		if err != nil {
			t.Fatalf("describe schedule: %v", err)
		}
		if len(d.Info.RecentActions) > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the schedule never started its run: %v", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	d, err := h.Describe(ctx)
	if err != nil {
		t.Fatalf("describe schedule: %v", err)
	}
	runID := d.Info.RecentActions[0].StartWorkflowResult.WorkflowID
	if err := c.GetWorkflow(ctx, runID, "").Get(ctx, &got); err != nil || got != "hello schedule" {
		t.Errorf("scheduled run: %q, %v; want hello schedule", got, err)
	}

	// The Web UI reads namespaces through the frontend.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.UIAddress()+"/api/v1/namespaces", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET namespaces: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"default"`) {
		t.Errorf("UI namespaces: %s: %s", resp.Status, body)
	}

	// The UI's settings name the codec endpoint.
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.UIAddress()+"/api/v1/settings", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET settings: %v", err)
	}
	body, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	var settings struct{ Codec struct{ Endpoint string } }
	if err := json.Unmarshal(body, &settings); err != nil || settings.Codec.Endpoint != "http://127.0.0.1:8081" {
		t.Errorf("UI settings: codec endpoint %q (%v), want http://127.0.0.1:8081:\n%s", settings.Codec.Endpoint, err, body)
	}
}

// TestTLSRefuses checks the errors of bad TLS settings, before anything
// starts.
func TestTLSRefuses(t *testing.T) {
	certs := testcerts.New(t, "dslrun test CA")
	for _, tt := range []struct {
		name string
		tls  TLS
		want string
	}{
		{"no key", TLS{CertFile: certs.ServerCert}, "needs both a server certificate and its key"},
		{"key of another certificate", TLS{CertFile: certs.ServerCert, KeyFile: certs.ClientKey}, "private key does not match public key"},
		{"client CA not PEM", TLS{CertFile: certs.ServerCert, KeyFile: certs.ServerKey, ClientCAFile: certs.ServerKey}, "holds no PEM certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(testContext(t), Options{TLS: &tt.tls})
			if err == nil {
				_ = s.Stop()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}
