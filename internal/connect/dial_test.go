package connect

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/dslrun/dslrun/internal/devserver"
)

// TestDialEmbeddedServer follows the CLI's path: settings without an address
// are Embedded, the embedded server is started with their namespace, and a
// client dialled with the settings (address filled in) reaches it. Settings
// naming that server through TEMPORAL_ADDRESS reach it too.
func TestDialEmbeddedServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	s, err := Resolve(Flags{Namespace: "connect-test"}, envMap{}.lookup)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Embedded {
		t.Fatalf("settings without an address are not Embedded: %+v", s)
	}
	srv, err := devserver.Start(ctx, devserver.Options{Namespace: s.Options.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	s.Options.HostPort = srv.FrontendAddress()

	fromEnv, err := Resolve(Flags{}, envMap{
		"TEMPORAL_ADDRESS":   srv.FrontendAddress(),
		"TEMPORAL_NAMESPACE": "connect-test",
	}.lookup)
	if err != nil {
		t.Fatal(err)
	}
	if fromEnv.Embedded {
		t.Fatal("settings with TEMPORAL_ADDRESS are Embedded")
	}

	for name, opts := range map[string]client.Options{"embedded": s.Options, "TEMPORAL_ADDRESS": fromEnv.Options} {
		opts.Logger = quietLogger()
		c, err := client.DialContext(ctx, opts)
		if err != nil {
			t.Fatalf("%s: dial: %v", name, err)
		}
		resp, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: opts.Namespace})
		c.Close()
		if err != nil {
			t.Fatalf("%s: describe namespace: %v", name, err)
		}
		if got := resp.GetNamespaceInfo().GetName(); got != "connect-test" {
			t.Errorf("%s: namespace = %q, want connect-test", name, got)
		}
	}

	// A TLS client of this plain-text server is told to turn TLS off.
	tlsOn, err := Resolve(Flags{Address: srv.FrontendAddress(), TLS: true}, envMap{}.lookup)
	if err != nil {
		t.Fatal(err)
	}
	opts := tlsOn.Options
	opts.Logger = quietLogger()
	watch := WatchTLS(&opts)
	c, err := client.DialContext(ctx, opts)
	if err == nil {
		c.Close()
		t.Fatal("a TLS client reached the plain-text server")
	}
	if err := watch.Explain(err); !strings.Contains(err.Error(), "does not speak TLS: turn TLS off (--tls=false, env TEMPORAL_TLS=false)") {
		t.Errorf("TLS client of a plain server: %v", err)
	}
}
