package connect

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dslrun/dslrun/internal/devserver"
	"github.com/dslrun/dslrun/internal/testcerts"
)

// TestTLSToEmbeddedServer connects to the embedded server serving mutual
// TLS with settings from flags, TEMPORAL_TLS_* and a profile, and checks
// that each wrong setting fails with an error naming its fix, every time
// (tries each four times: a server that refuses a client certificate may
// only close the connection, which the client sees as a bare broken pipe
// or EOF).
func TestTLSToEmbeddedServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	certs := testcerts.New(t, "dslrun test CA")
	other := testcerts.New(t, "another CA")
	srv, err := devserver.Start(ctx, devserver.Options{
		TLS: &devserver.TLS{CertFile: certs.ServerCert, KeyFile: certs.ServerKey, ClientCAFile: certs.CA},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	addr := srv.FrontendAddress()
	config := writeFile(t, t.TempDir(), "temporal.toml", fmt.Sprintf(`
[profile.mtls]
address = %q
[profile.mtls.tls]
client_cert_path = %q
client_key_path = %q
server_ca_cert_path = %q
`, addr, certs.ClientCert, certs.ClientKey, certs.CA))

	dialWith := func(f Flags, env envMap) error {
		s, err := Resolve(f, env.lookup)
		if err != nil {
			t.Fatalf("resolve: %v", err)
		}
		opts := s.Options
		opts.Logger = quietLogger()
		watch := WatchTLS(&opts)
		c, err := client.DialContext(ctx, opts)
		if err != nil {
			return watch.Explain(err)
		}
		c.Close()
		return nil
	}

	good := []struct {
		name  string
		flags Flags
		env   envMap
	}{
		{"flags", Flags{Address: addr, TLSCertPath: certs.ClientCert, TLSKeyPath: certs.ClientKey, TLSCACertPath: certs.CA}, envMap{}},
		{"environment", Flags{}, envMap{
			"TEMPORAL_ADDRESS":                 addr,
			"TEMPORAL_TLS_CLIENT_CERT_PATH":    certs.ClientCert,
			"TEMPORAL_TLS_CLIENT_KEY_PATH":     certs.ClientKey,
			"TEMPORAL_TLS_SERVER_CA_CERT_PATH": certs.CA,
		}},
		{"profile", Flags{ConfigFile: config, Profile: "mtls"}, envMap{}},
		{"server name", Flags{Address: addr, TLSCertPath: certs.ClientCert, TLSKeyPath: certs.ClientKey, TLSCACertPath: certs.CA, TLSServerName: "localhost"}, envMap{}},
	}
	for _, tt := range good {
		if err := dialWith(tt.flags, tt.env); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}

	bad := []struct {
		name  string
		flags Flags
		env   envMap
		want  []string
	}{
		{"no client certificate", Flags{Address: addr, TLSCACertPath: certs.CA}, envMap{},
			[]string{"requires a client certificate (mutual TLS) (it accepts certificates issued by CN=dslrun test CA) and none is configured", "--tls-cert-path", "TEMPORAL_TLS_CLIENT_CERT_PATH"}},
		{"no client certificate, environment", Flags{}, envMap{"TEMPORAL_ADDRESS": addr, "TEMPORAL_TLS_SERVER_CA_CERT_PATH": certs.CA},
			[]string{"requires a client certificate", "none is configured", "TEMPORAL_TLS_CLIENT_KEY_PATH"}},
		{"client certificate of another CA", Flags{Address: addr, TLSCACertPath: certs.CA, TLSCertPath: other.ClientCert, TLSKeyPath: other.ClientKey}, envMap{},
			[]string{"requires a client certificate issued by CN=dslrun test CA, and the configured one (CN=dslrun test client) is issued by CN=another CA", "--tls-cert-path"}},
		{"server CA unknown", Flags{Address: addr, TLSCertPath: certs.ClientCert, TLSKeyPath: certs.ClientKey}, envMap{},
			[]string{"not signed by a CA this client trusts", "--tls-ca-path", "TEMPORAL_TLS_SERVER_CA_CERT_PATH"}},
		{"server name", Flags{Address: addr, TLSCACertPath: certs.CA, TLSCertPath: certs.ClientCert, TLSKeyPath: certs.ClientKey, TLSServerName: "temporal.example"}, envMap{},
			[]string{"does not name temporal.example", "--tls-server-name"}},
		{"plain client", Flags{Address: addr}, envMap{},
			[]string{"speaks TLS and this client does not", "--tls", "TEMPORAL_TLS=true", "--tls-ca-path"}},
	}
	for _, tt := range bad {
		for try := range 4 {
			err := dialWith(tt.flags, tt.env)
			if err == nil {
				t.Fatalf("%s: connected", tt.name)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s, try %d: error does not say %q:\n%v", tt.name, try+1, w, err)
				}
			}
			if try == 0 {
				t.Logf("%s: %v", tt.name, err)
			}
		}
	}
}
