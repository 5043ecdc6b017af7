package connect

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// envMap is an environment for Resolve.
type envMap map[string]string

func (e envMap) lookup(key string) (string, bool) {
	v, ok := e[key]
	return v, ok
}

// writeFile writes content to name under dir, creating parent directories.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const profiles = `
[profile.default]
address = "default.example:7233"
namespace = "default-ns"

[profile.prod]
address = "prod.example:7233"
namespace = "prod-ns"
api_key = "profile-key"

[profile.nsonly]
namespace = "nsonly-ns"

[profile.cloud]
address = "${namespace}.tmprl.cloud:7233"
namespace = "acme.a1b2c"

[profile.meta]
address = "meta.example:7233"
[profile.meta.grpc_meta]
x-team = "platform"
`

// want is what a resolution should give; err, when set, is a substring of
// the error expected instead.
type want struct {
	embedded    bool
	hostPort    string
	namespace   string
	addressFrom string
	profile     string
	tls         bool
	creds       bool
	err         string
}

func TestResolvePrecedence(t *testing.T) {
	dir := t.TempDir()
	config := writeFile(t, dir, "temporal.toml", profiles)
	// The same file as the default config file of every OS, under a fake
	// home directory.
	home := filepath.Join(dir, "home")
	for _, p := range []string{
		".config/temporalio/temporal.toml",
		"Library/Application Support/temporalio/temporal.toml",
		"AppData/temporalio/temporal.toml",
	} {
		writeFile(t, home, p, profiles)
	}
	homeEnv := envMap{"HOME": home, "AppData": filepath.Join(home, "AppData")}
	prodFrom := `profile "prod" in ` + config

	tests := []struct {
		name  string
		flags Flags
		env   envMap
		want  want
	}{
		{"nothing configured", Flags{}, envMap{},
			want{embedded: true, namespace: "default"}},
		{"nil-like empty environment values", Flags{}, envMap{"TEMPORAL_ADDRESS": "", "TEMPORAL_NAMESPACE": ""},
			want{embedded: true, namespace: "default"}},
		{"namespace flag only", Flags{Namespace: "mine"}, envMap{},
			want{embedded: true, namespace: "mine"}},
		{"env address", Flags{}, envMap{"TEMPORAL_ADDRESS": "env.example:7233", "TEMPORAL_NAMESPACE": "env-ns"},
			want{hostPort: "env.example:7233", namespace: "env-ns", addressFrom: FromEnv}},
		{"flag over env", Flags{Address: "flag.example:7233", Namespace: "flag-ns"},
			envMap{"TEMPORAL_ADDRESS": "env.example:7233", "TEMPORAL_NAMESPACE": "env-ns"},
			want{hostPort: "flag.example:7233", namespace: "flag-ns", addressFrom: FromFlag}},
		{"default profile of the default file", Flags{}, homeEnv,
			want{hostPort: "default.example:7233", namespace: "default-ns",
				addressFrom: `profile "default" in ` + defaultConfigFile(envLookup{homeEnv.lookup}), profile: "default"}},
		{"config file from env", Flags{}, envMap{"TEMPORAL_CONFIG_FILE": config},
			want{hostPort: "default.example:7233", namespace: "default-ns",
				addressFrom: `profile "default" in ` + config, profile: "default"}},
		{"profile from env", Flags{}, envMap{"TEMPORAL_CONFIG_FILE": config, "TEMPORAL_PROFILE": "prod"},
			want{hostPort: "prod.example:7233", namespace: "prod-ns", addressFrom: prodFrom, profile: "prod", tls: true, creds: true}},
		{"profile flag over env", Flags{ConfigFile: config, Profile: "prod"}, envMap{"TEMPORAL_PROFILE": "default"},
			want{hostPort: "prod.example:7233", namespace: "prod-ns", addressFrom: prodFrom, profile: "prod", tls: true, creds: true}},
		{"env over profile", Flags{ConfigFile: config, Profile: "prod"},
			envMap{"TEMPORAL_ADDRESS": "env.example:7233", "TEMPORAL_NAMESPACE": "env-ns"},
			want{hostPort: "env.example:7233", namespace: "env-ns", addressFrom: FromEnv, profile: "prod", tls: true, creds: true}},
		{"flags over env over profile", Flags{ConfigFile: config, Profile: "prod", Address: "flag.example:7233"},
			envMap{"TEMPORAL_ADDRESS": "env.example:7233", "TEMPORAL_NAMESPACE": "env-ns"},
			want{hostPort: "flag.example:7233", namespace: "env-ns", addressFrom: FromFlag, profile: "prod", tls: true, creds: true}},
		{"profile without address is embedded", Flags{ConfigFile: config, Profile: "nsonly"}, envMap{},
			want{embedded: true, namespace: "nsonly-ns", profile: "nsonly"}},
		{"namespace template", Flags{ConfigFile: config, Profile: "cloud"}, envMap{},
			want{hostPort: "acme.a1b2c.tmprl.cloud:7233", namespace: "acme.a1b2c",
				addressFrom: `profile "cloud" in ` + config, profile: "cloud"}},
		{"namespace template with flag namespace", Flags{ConfigFile: config, Profile: "cloud", Namespace: "other.x9"}, envMap{},
			want{hostPort: "other.x9.tmprl.cloud:7233", namespace: "other.x9",
				addressFrom: `profile "cloud" in ` + config, profile: "cloud"}},
		{"TLS off from env keeps the API key", Flags{ConfigFile: config, Profile: "prod"}, envMap{"TEMPORAL_TLS": "false"},
			want{hostPort: "prod.example:7233", namespace: "prod-ns", addressFrom: prodFrom, profile: "prod", creds: true}},
		{"--tls=false over profile", Flags{ConfigFile: config, Profile: "prod", tlsSet: true}, envMap{},
			want{hostPort: "prod.example:7233", namespace: "prod-ns", addressFrom: prodFrom, profile: "prod", creds: true}},
		{"--tls over env TLS off", Flags{Address: "a:1", TLS: true, tlsSet: true}, envMap{"TEMPORAL_TLS": "false"},
			want{hostPort: "a:1", namespace: "default", addressFrom: FromFlag, tls: true}},
		{"env TLS on", Flags{Address: "a:1"}, envMap{"TEMPORAL_TLS": "true"},
			want{hostPort: "a:1", namespace: "default", addressFrom: FromFlag, tls: true}},
		{"API key flag turns TLS on", Flags{Address: "a:1", APIKey: "k"}, envMap{},
			want{hostPort: "a:1", namespace: "default", addressFrom: FromFlag, tls: true, creds: true}},
		{"API key without address", Flags{APIKey: "k"}, envMap{},
			want{err: "an API key or TLS settings need a server address"}},
		{"API key env without address", Flags{}, envMap{"TEMPORAL_API_KEY": "k"},
			want{err: "an API key or TLS settings need a server address"}},
		{"TLS flag without address", Flags{TLS: true, tlsSet: true}, envMap{},
			want{err: "an API key or TLS settings need a server address"}},
		{"unknown profile", Flags{ConfigFile: config, Profile: "staging"}, envMap{},
			want{err: `config file ` + config + ` has no profile "staging"`}},
		{"unknown profile from env", Flags{}, envMap{"TEMPORAL_CONFIG_FILE": config, "TEMPORAL_PROFILE": "staging"},
			want{err: `has no profile "staging"`}},
		{"profile without any config file", Flags{Profile: "prod"}, envMap{},
			want{err: `profile "prod": no config file`}},
		{"missing named config file", Flags{ConfigFile: filepath.Join(dir, "missing.toml")}, envMap{},
			want{err: "config file: stat " + filepath.Join(dir, "missing.toml")}},
		{"missing config file from env", Flags{}, envMap{"TEMPORAL_CONFIG_FILE": filepath.Join(dir, "missing.toml")},
			want{err: "config file: stat"}},
		{"missing default config file", Flags{}, envMap{"HOME": filepath.Join(dir, "nohome"), "AppData": filepath.Join(dir, "nohome")},
			want{embedded: true, namespace: "default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.flags, tt.env.lookup)
			check(t, got, err, tt.want)
		})
	}
}

func TestResolveBadConfigFile(t *testing.T) {
	bad := writeFile(t, t.TempDir(), "bad.toml", "[profile.default\naddress = ")
	_, err := Resolve(Flags{ConfigFile: bad}, envMap{}.lookup)
	if err == nil || !strings.Contains(err.Error(), "config file "+bad+": failed parsing config") {
		t.Errorf("error = %v, want a parse error naming %s", err, bad)
	}
}

func TestResolveGRPCMetaFromProfile(t *testing.T) {
	config := writeFile(t, t.TempDir(), "temporal.toml", profiles)
	got, err := Resolve(Flags{ConfigFile: config, Profile: "meta"}, envMap{}.lookup)
	if err != nil {
		t.Fatal(err)
	}
	if got.Options.HeadersProvider == nil {
		t.Fatal("no headers provider for the profile's grpc_meta")
	}
	headers, err := got.Options.HeadersProvider.GetHeaders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if headers["x-team"] != "platform" {
		t.Errorf("headers = %v, want x-team: platform", headers)
	}
}

func check(t *testing.T, got Settings, err error, w want) {
	t.Helper()
	if w.err != "" {
		if err == nil {
			t.Fatalf("Resolve succeeded with %+v, want an error containing %q", got, w.err)
		}
		if !strings.Contains(err.Error(), w.err) {
			t.Fatalf("error = %q, want it to contain %q", err, w.err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if got.Embedded != w.embedded {
		t.Errorf("Embedded = %v, want %v", got.Embedded, w.embedded)
	}
	if got.Options.HostPort != w.hostPort {
		t.Errorf("HostPort = %q, want %q", got.Options.HostPort, w.hostPort)
	}
	if got.Options.Namespace != w.namespace {
		t.Errorf("Namespace = %q, want %q", got.Options.Namespace, w.namespace)
	}
	if got.AddressFrom != w.addressFrom {
		t.Errorf("AddressFrom = %q, want %q", got.AddressFrom, w.addressFrom)
	}
	if got.Profile != w.profile {
		t.Errorf("Profile = %q, want %q", got.Profile, w.profile)
	}
	if tlsOn := got.Options.ConnectionOptions.TLS != nil && !got.Options.ConnectionOptions.TLSDisabled; tlsOn != w.tls {
		t.Errorf("TLS on = %v (TLS %v, TLSDisabled %v), want %v", tlsOn,
			got.Options.ConnectionOptions.TLS != nil, got.Options.ConnectionOptions.TLSDisabled, w.tls)
	}
	if !w.tls && got.Options.Credentials != nil && !got.Options.ConnectionOptions.TLSDisabled {
		t.Errorf("credentials without TLS must come with TLSDisabled, or the SDK turns TLS on")
	}
	if (got.Options.Credentials != nil) != w.creds {
		t.Errorf("Credentials set = %v, want %v", got.Options.Credentials != nil, w.creds)
	}
}

// tlsFiles writes a self-signed CA certificate and a client certificate and
// key signed by it, and returns their paths.
func tlsFiles(t *testing.T) (caPath, certPath, keyPath string) {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "dslrun test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "dslrun client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caTmpl, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pemFile := func(name, typ string, b []byte) string {
		return writeFile(t, dir, name, string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b})))
	}
	return pemFile("ca.pem", "CERTIFICATE", caDER),
		pemFile("client.pem", "CERTIFICATE", der),
		pemFile("client.key", "EC PRIVATE KEY", keyDER)
}

func TestResolveTLSFiles(t *testing.T) {
	ca, cert, key := tlsFiles(t)
	_, cert2, key2 := tlsFiles(t)
	config := writeFile(t, t.TempDir(), "temporal.toml", `
[profile.mtls]
address = "mtls.example:7233"
[profile.mtls.tls]
client_cert_path = "`+cert2+`"
client_key_path = "`+key2+`"
server_name = "profile.example"
`)
	leaf := func(path string) []byte {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(b)
		return block.Bytes
	}

	tests := []struct {
		name       string
		flags      Flags
		env        envMap
		wantCert   []byte
		wantCA     bool
		serverName string
		skipVerify bool
		err        string
	}{
		{name: "flags", flags: Flags{Address: "a:1", TLSCertPath: cert, TLSKeyPath: key, TLSCACertPath: ca,
			TLSServerName: "flag.example", TLSDisableHostVerification: true},
			env: envMap{}, wantCert: leaf(cert), wantCA: true, serverName: "flag.example", skipVerify: true},
		{name: "env", flags: Flags{},
			env: envMap{"TEMPORAL_ADDRESS": "a:1", "TEMPORAL_TLS_CLIENT_CERT_PATH": cert, "TEMPORAL_TLS_CLIENT_KEY_PATH": key,
				"TEMPORAL_TLS_SERVER_CA_CERT_PATH": ca, "TEMPORAL_TLS_SERVER_NAME": "env.example",
				"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION": "true"},
			wantCert: leaf(cert), wantCA: true, serverName: "env.example", skipVerify: true},
		{name: "profile", flags: Flags{ConfigFile: config, Profile: "mtls"}, env: envMap{},
			wantCert: leaf(cert2), serverName: "profile.example"},
		{name: "flags over env over profile", flags: Flags{ConfigFile: config, Profile: "mtls", TLSCertPath: cert, TLSKeyPath: key},
			env:      envMap{"TEMPORAL_TLS_CLIENT_CERT_PATH": cert2, "TEMPORAL_TLS_CLIENT_KEY_PATH": key2, "TEMPORAL_TLS_SERVER_NAME": "env.example"},
			wantCert: leaf(cert), serverName: "env.example"},
		{name: "certificate without key", flags: Flags{Address: "a:1", TLSCertPath: cert}, env: envMap{},
			err: "client settings: invalid TLS config: if either client cert or key path is present, other must be present too"},
		{name: "missing CA file", flags: Flags{Address: "a:1", TLSCACertPath: filepath.Join(t.TempDir(), "none.pem")}, env: envMap{},
			err: "failed reading server CA cert path"},
		{name: "key that does not match", flags: Flags{Address: "a:1", TLSCertPath: cert, TLSKeyPath: key2}, env: envMap{},
			err: "failed loading client cert/key path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.flags, tt.env.lookup)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			conf := got.Options.ConnectionOptions.TLS
			if conf == nil {
				t.Fatal("no TLS config")
			}
			if len(conf.Certificates) != 1 || string(conf.Certificates[0].Certificate[0]) != string(tt.wantCert) {
				t.Errorf("client certificate is not the expected one (%d certificates)", len(conf.Certificates))
			}
			if (conf.RootCAs != nil) != tt.wantCA {
				t.Errorf("RootCAs set = %v, want %v", conf.RootCAs != nil, tt.wantCA)
			}
			if conf.ServerName != tt.serverName {
				t.Errorf("ServerName = %q, want %q", conf.ServerName, tt.serverName)
			}
			if conf.InsecureSkipVerify != tt.skipVerify {
				t.Errorf("InsecureSkipVerify = %v, want %v", conf.InsecureSkipVerify, tt.skipVerify)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	tests := []struct {
		args    []string
		want    Flags
		wantTLS bool
	}{
		{args: nil, want: Flags{}},
		{args: []string{"--address", "h:1", "-n", "ns", "--api-key", "k", "--profile", "p", "--config-file", "c.toml"},
			want: Flags{Address: "h:1", Namespace: "ns", APIKey: "k", Profile: "p", ConfigFile: "c.toml"}},
		{args: []string{"--tls"}, want: Flags{TLS: true, tlsSet: true}},
		{args: []string{"--tls=false"}, want: Flags{tlsSet: true}},
		{args: []string{"--tls-cert-path", "c", "--tls-key-path", "k", "--tls-ca-path", "ca", "--tls-server-name", "s",
			"--tls-disable-host-verification"},
			want: Flags{TLSCertPath: "c", TLSKeyPath: "k", TLSCACertPath: "ca", TLSServerName: "s", TLSDisableHostVerification: true}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var f Flags
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			f.Register(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if f != tt.want {
				t.Errorf("parsed %+v, want %+v", f, tt.want)
			}
		})
	}
	var f Flags
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f.Register(fs)
	if err := fs.Parse([]string{"--tls=maybe"}); err == nil {
		t.Error("--tls=maybe parsed without error")
	}
}

// headerRecorder is a gRPC server that records the metadata of the first
// call it gets and fails every call.
type headerRecorder struct {
	mu sync.Mutex
	md metadata.MD
}

func (h *headerRecorder) handle(_ any, stream grpc.ServerStream) error {
	md, _ := metadata.FromIncomingContext(stream.Context())
	h.mu.Lock()
	if h.md == nil {
		h.md = md
	}
	h.mu.Unlock()
	return status.Error(codes.Unavailable, "recorder")
}

// TestAPIKeyReachesServer dials a recording server with resolved settings
// and checks which API key it received as a bearer token.
func TestAPIKeyReachesServer(t *testing.T) {
	tests := []struct {
		name  string
		flags Flags
		env   envMap
		want  string
	}{
		{"env", Flags{tlsSet: true}, envMap{"TEMPORAL_API_KEY": "env-key"}, "Bearer env-key"},
		{"flag over env", Flags{APIKey: "flag-key", tlsSet: true}, envMap{"TEMPORAL_API_KEY": "env-key"}, "Bearer flag-key"},
		{"none", Flags{}, envMap{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			rec := &headerRecorder{}
			srv := grpc.NewServer(grpc.UnknownServiceHandler(rec.handle))
			go func() { _ = srv.Serve(l) }()
			defer srv.Stop()

			tt.flags.Address = l.Addr().String()
			s, err := Resolve(tt.flags, tt.env.lookup)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			s.Options.Logger = quietLogger()
			c, err := client.DialContext(ctx, s.Options)
			if err == nil {
				c.Close()
				t.Fatal("dial succeeded against a server that fails every call")
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if rec.md == nil {
				t.Fatalf("the server got no call: %v", err)
			}
			if got := strings.Join(rec.md.Get("authorization"), ","); got != tt.want {
				t.Errorf("authorization = %q, want %q", got, tt.want)
			}
		})
	}
}

// quietLogger keeps the SDK's own logs out of the test output.
func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}
