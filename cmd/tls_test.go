package dslruncmd_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/dslrun/dslrun/internal/testcerts"
)

// TestMTLSExample runs examples/mtls as its README does: dslrun dev serves
// mutual TLS, a dslrun worker (TLS settings from flags) serves the example's
// task queue, and dslrun apply (settings from TEMPORAL_TLS_*) runs it. An
// apply without a client certificate fails naming the settings to set. The
// certificates are made by the test.
func TestMTLSExample(t *testing.T) {
	t.Parallel()
	certs := testcerts.New(t, "dslrun example CA")
	dir, err := filepath.Abs(filepath.Join("..", "examples", "mtls"))
	if err != nil {
		t.Fatal(err)
	}
	dev := startDslrun(t, nil, "dev", "--memory", "--port", "0", "--ui-port", "0", "--worker=false",
		"--tls-cert", certs.ServerCert, "--tls-key", certs.ServerKey, "--tls-client-ca", certs.CA)
	addr := dev.waitOutput(t, frontendLine, hangBound)[1]
	dev.waitOutput(t, bannerEnd, hangBound)
	for _, want := range []string{
		`(namespace "default", mutual TLS)`,
		"export TEMPORAL_TLS_SERVER_CA_CERT_PATH=CA-OF-server.pem",
		"export TEMPORAL_TLS_CLIENT_CERT_PATH=CLIENT.pem TEMPORAL_TLS_CLIENT_KEY_PATH=CLIENT.key  # signed by " + certs.CA,
	} {
		if !strings.Contains(dev.stdout(), want) {
			t.Errorf("banner lacks %q:\n%s", want, dev.stdout())
		}
	}

	worker := startDslrun(t, nil, "worker", "--dir", dir, "--task-queue", "secure-task-queue", "--address", addr,
		"--tls-ca-path", certs.CA, "--tls-cert-path", certs.ClientCert, "--tls-key-path", certs.ClientKey)
	worker.waitOutput(t, regexp.MustCompile(`dslrun worker serving task queue "secure-task-queue"`), hangBound)

	env := []string{"TEMPORAL_ADDRESS=" + addr, "TEMPORAL_TLS_SERVER_CA_CERT_PATH=" + certs.CA}
	withCert := append([]string{"TEMPORAL_TLS_CLIENT_CERT_PATH=" + certs.ClientCert, "TEMPORAL_TLS_CLIENT_KEY_PATH=" + certs.ClientKey}, env...)
	apply := startDslrun(t, withCert, "apply", filepath.Join(dir, "secure.yaml"), "--input", `"sensitive-data"`, "-q")
	if code := apply.wait(t, hangBound); code != 0 || strings.TrimSpace(apply.stdout()) != `"Securely processed: sensitive-data"` {
		t.Errorf("apply over mTLS exited %d:\n%s", code, apply.output())
	}

	refused := startDslrun(t, env, "apply", filepath.Join(dir, "secure.yaml"), "--input", `"sensitive-data"`)
	if code := refused.wait(t, hangBound); code != 1 {
		t.Errorf("apply without a client certificate exited %d, want 1:\n%s", code, refused.output())
	}
	for _, want := range []string{
		"requires a client certificate (mutual TLS) (it accepts certificates issued by CN=dslrun example CA) and none is configured",
		"set --tls-cert-path and --tls-key-path (env TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH",
	} {
		if !strings.Contains(refused.stderr(), want) {
			t.Errorf("apply without a client certificate does not say %q:\n%s", want, refused.output())
		}
	}

	worker.signal(t, syscall.SIGINT)
	if code := worker.wait(t, hangBound); code != 0 {
		t.Errorf("worker exited %d after SIGINT:\n%s", code, worker.output())
	}
	dev.signal(t, syscall.SIGINT)
	if code := dev.wait(t, hangBound); code != 0 {
		t.Errorf("dev exited %d after SIGINT:\n%s", code, dev.output())
	}
}
