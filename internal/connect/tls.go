package connect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
)

// The settings of the client certificate and the server CA, named as the
// user sets them, for error messages.
const (
	hintClientCert = "set --tls-cert-path and --tls-key-path " +
		"(env TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH, " +
		"or client_cert_path and client_key_path in the profile's tls section)"
	hintServerCA = "set --tls-ca-path (env TEMPORAL_TLS_SERVER_CA_CERT_PATH, or server_ca_cert_path " +
		"in the profile's tls section) to the CA of the server's certificate"
	hintServerName = "set --tls-server-name (env TEMPORAL_TLS_SERVER_NAME, or server_name in the profile's " +
		"tls section) to a name the server's certificate holds"
)

// TLSWatch records what a TLS server asked of the client during its
// handshakes, so that a failed connection can be explained: a server that
// requires a client certificate may only close the connection (a bare
// "broken pipe" or "EOF" at the client), but it always asks for the
// certificate first. Its methods are safe for concurrent use.
type TLSWatch struct {
	address string
	// serverName is the name verified in the server's certificate.
	serverName string
	// plain is true when the client does not use TLS.
	plain bool

	mu sync.Mutex
	// requested: the server asked for a client certificate, accepting
	// those issued by acceptable (empty: any issuer it trusts).
	requested  bool
	acceptable []string
	// configured is the client certificate that was configured, sent
	// whether one was sent.
	configured *x509.Certificate
	sent       bool
}

// WatchTLS makes opts record their TLS handshakes and returns the watch
// that explains their failures. opts.ConnectionOptions.TLS is replaced by
// a copy whose client certificate is chosen as crypto/tls chooses it, with
// the choice recorded.
func WatchTLS(opts *client.Options) *TLSWatch {
	w := &TLSWatch{address: opts.HostPort}
	conf := opts.ConnectionOptions.TLS
	if conf == nil {
		w.plain = true
		return w
	}
	if conf.GetClientCertificate != nil {
		return w // chosen by someone else: nothing to record
	}
	w.serverName = conf.ServerName
	if w.serverName == "" {
		w.serverName = hostOf(opts.HostPort)
	}
	conf = conf.Clone()
	certs := conf.Certificates
	conf.Certificates = nil
	if len(certs) > 0 {
		w.configured = leafOf(certs[0])
	}
	conf.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		var acceptable []string
		for _, raw := range cri.AcceptableCAs {
			if name, ok := distinguishedName(raw); ok && name != devInternalClient {
				acceptable = append(acceptable, name)
			}
		}
		// crypto/tls's own choice: the first certificate the request
		// supports, else none.
		chosen := &tls.Certificate{}
		for i := range certs {
			if cri.SupportsCertificate(&certs[i]) == nil {
				chosen = &certs[i]
				break
			}
		}
		w.mu.Lock()
		w.requested, w.acceptable, w.sent = true, acceptable, len(chosen.Certificate) > 0
		w.mu.Unlock()
		return chosen, nil
	}
	opts.ConnectionOptions.TLS = conf
	return w
}

// Explain returns err with the reason for a failed connection and its fix
// when the TLS handshakes or the error tell it, else err unchanged.
func (w *TLSWatch) Explain(err error) error {
	if err == nil || w == nil {
		return err
	}
	msg := err.Error()
	if w.plain {
		if speaksTLS(w.address) {
			return fmt.Errorf("the server at %s speaks TLS and this client does not: turn TLS on with --tls "+
				"(env TEMPORAL_TLS=true), and %s: %w", w.address, hintServerCA, err)
		}
		return err
	}
	switch {
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return fmt.Errorf("the server at %s does not speak TLS: turn TLS off (--tls=false, env TEMPORAL_TLS=false) "+
			"or check the address: %w", w.address, err)
	case strings.Contains(msg, "certificate signed by unknown authority"):
		return fmt.Errorf("the server's certificate is not signed by a CA this client trusts: %s: %w", hintServerCA, err)
	case strings.Contains(msg, "certificate is valid for") || strings.Contains(msg, "certificate is not valid for any names"):
		return fmt.Errorf("the server's certificate does not name %s: %s: %w", w.serverName, hintServerName, err)
	}
	w.mu.Lock()
	requested, acceptable, configured, sent := w.requested, w.acceptable, w.configured, w.sent
	w.mu.Unlock()
	if !requested {
		return err
	}
	accepts := ""
	if len(acceptable) > 0 {
		accepts = fmt.Sprintf(" (it accepts certificates issued by %s)", strings.Join(acceptable, "; "))
	}
	switch {
	case configured == nil:
		return fmt.Errorf("the server at %s requires a client certificate (mutual TLS)%s and none is configured: %s: %w",
			w.address, accepts, hintClientCert, err)
	case !sent:
		return fmt.Errorf("the server at %s requires a client certificate issued by %s, and the configured one (%s) "+
			"is issued by %s: %s to a certificate of one of those CAs: %w",
			w.address, strings.Join(acceptable, "; "), configured.Subject, configured.Issuer, hintClientCert, err)
	default:
		return fmt.Errorf("the server at %s refused the client certificate %s (issued by %s)%s: "+
			"check that it is valid today and issued by a CA the server trusts, or %s: %w",
			w.address, configured.Subject, configured.Issuer, accepts, hintClientCert, err)
	}
}

// distinguishedName reads a DER distinguished name, as a TLS server lists
// the CAs it accepts.
func distinguishedName(der []byte) (string, bool) {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdns); err != nil || len(rest) > 0 {
		return "", false
	}
	var name pkix.Name
	name.FillFromRDNSequence(&rdns)
	return name.String(), true
}

// leafOf is the parsed first certificate of c, or nil.
func leafOf(c tls.Certificate) *x509.Certificate {
	if c.Leaf != nil {
		return c.Leaf
	}
	if len(c.Certificate) == 0 {
		return nil
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil
	}
	return leaf
}

// speaksTLS reports whether a TLS handshake with addr gets as far as the
// server's certificate. It verifies nothing: it only tells a TLS server
// from a plain one, after a plain connection failed.
func speaksTLS(addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // a probe that sends nothing: it only asks whether the server speaks TLS
		NextProtos:         []string{"h2"},
		MinVersion:         tls.VersionTLS12,
	}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		// A server that requires a client certificate may refuse the
		// handshake after it sent its own: that is still TLS.
		var alert tls.AlertError
		return errors.As(err, &alert)
	}
	_ = conn.Close()
	return true
}

// devInternalClient is the subject of the certificate that `dslrun dev`
// under mutual TLS makes for its own clients and accepts besides the user's
// client CAs (internal/devserver, which cannot be imported here): it is
// left out of the CAs that errors list, since no user holds its key.
const devInternalClient = "CN=dslrun dev internal client"

// probeTimeout bounds the TLS probe of a server that refused a plain
// connection.
const probeTimeout = 5 * time.Second

// hostOf is the host of a host:port address.
func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
