package devserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"go.temporal.io/server/common/rpc/encryption"
)

// TLS makes the frontend serve TLS, or mutual TLS with ClientCAFile.
type TLS struct {
	// CertFile is the server's certificate, PEM, optionally followed by
	// its intermediate CAs. It must name the address the server listens
	// on (Options.IP) or a DNS name, which clients then verify with their
	// server name setting (Server.TLSServerName).
	CertFile string
	// KeyFile is the server certificate's private key, PEM.
	KeyFile string
	// ClientCAFile, when set, is a PEM file of the CAs that sign client
	// certificates: every client must then present a certificate signed by
	// one of them (mutual TLS).
	ClientCAFile string
}

// serverTLS is the TLS of a running server: its server config, and the
// config of the clients inside this process (readiness checks, the Web UI,
// the system worker, Server.ClientTLSConfig).
type serverTLS struct {
	server *tls.Config
	// leaf is the server certificate, which in-process clients trust
	// alone; serverName is the name they verify in it.
	leaf       *x509.Certificate
	serverName string
	// internal is the client certificate of in-process clients under mTLS:
	// made at start, self-signed, accepted by the frontend besides the
	// user's client CAs, and never written anywhere.
	internal *tls.Certificate
	// internalPEM and internalKeyPEM are internal in PEM, for the Web UI.
	internalPEM, internalKeyPEM []byte
}

// newServerTLS loads the files of t and checks them; ip is the address the
// frontend listens on.
func newServerTLS(t *TLS, ip string) (*serverTLS, error) {
	if t.CertFile == "" || t.KeyFile == "" {
		return nil, errors.New("TLS needs both a server certificate and its key")
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("server certificate %s and key %s: %w", t.CertFile, t.KeyFile, err)
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("server certificate %s: %w", t.CertFile, err)
		}
	}
	now := time.Now()
	if now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		return nil, fmt.Errorf("server certificate %s is valid only from %s to %s", t.CertFile,
			leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	st := &serverTLS{leaf: leaf}
	switch {
	case leaf.VerifyHostname(ip) == nil:
		st.serverName = ip
	case len(leaf.DNSNames) > 0:
		st.serverName = leaf.DNSNames[0]
	default:
		return nil, fmt.Errorf("server certificate %s names neither %s nor any DNS name, so no client can verify it: "+
			"make one with %s among its IP addresses (subject alternative names)", t.CertFile, ip, ip)
	}
	st.server = &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2"},
	}
	if t.ClientCAFile != "" {
		pemCAs, err := os.ReadFile(t.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("client CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemCAs) {
			return nil, fmt.Errorf("client CA file %s holds no PEM certificate", t.ClientCAFile)
		}
		if err := st.makeInternal(now); err != nil {
			return nil, err
		}
		pool.AddCert(st.internal.Leaf)
		st.server.ClientCAs = pool
		st.server.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return st, nil
}

// makeInternal makes the in-process clients' certificate: self-signed,
// for client authentication only, valid for a day around now.
func (st *serverTLS) makeInternal(now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("internal client key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return fmt.Errorf("internal client certificate: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// internal/connect leaves this name out of the CAs its errors
		// list: keep the two in step.
		Subject:     pkix.Name{CommonName: "dslrun dev internal client"},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("internal client certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("internal client key: %w", err)
	}
	st.internalPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	st.internalKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(st.internalPEM, st.internalKeyPEM)
	if err != nil {
		return fmt.Errorf("internal client certificate: %w", err)
	}
	st.internal = &cert
	return nil
}

// clientConfig is the TLS config of in-process clients: they trust the
// server's certificate alone and, under mTLS, present the internal one.
func (st *serverTLS) clientConfig() *tls.Config {
	roots := x509.NewCertPool()
	roots.AddCert(st.leaf)
	c := &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    roots,
		ServerName: st.serverName,
	}
	if st.internal != nil {
		c.Certificates = []tls.Certificate{*st.internal}
	}
	return c
}

// leafPEM is the server certificate in PEM.
func (st *serverTLS) leafPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: st.leaf.Raw})
}

// tlsProvider gives the server its TLS: the frontend serves st.server, the
// system worker dials it with the in-process client config, and the
// services behind the frontend talk among themselves in plain text on
// loopback.
type tlsProvider struct{ st *serverTLS }

var _ encryption.TLSConfigProvider = tlsProvider{}

func (tlsProvider) GetInternodeServerConfig() (*tls.Config, error) { return nil, nil }
func (tlsProvider) GetInternodeClientConfig() (*tls.Config, error) { return nil, nil }
func (p tlsProvider) GetFrontendServerConfig() (*tls.Config, error) {
	return p.st.server.Clone(), nil
}
func (p tlsProvider) GetFrontendClientConfig() (*tls.Config, error) {
	return p.st.clientConfig(), nil
}
func (tlsProvider) GetRemoteClusterClientConfig(string) (*tls.Config, error) { return nil, nil }
func (tlsProvider) GetExpiringCerts(time.Duration) (expiring, expired encryption.CertExpirationMap, err error) {
	return nil, nil, nil
}
