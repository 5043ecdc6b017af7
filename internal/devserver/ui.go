package devserver

import (
	"encoding/base64"
	"io"
	"log"
	"strings"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// startUI starts the Temporal Web UI on opts.IP:opts.UIPort in a goroutine
// (its Start blocks until Stop); done is closed when that goroutine ends.
//
// The port was checked free by choosePorts just before. If another process
// takes it in between, the UI library logs the error and exits the process:
// it offers no way to hand it a listener.
//
// With st, the UI reaches the frontend over TLS: it trusts the server's
// certificate alone and, under mutual TLS, presents the internal client
// certificate.
func startUI(opts Options, frontend string, st *serverTLS) (ui *uiserver.Server, done chan struct{}) {
	host := opts.IP
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // the UI joins host and port with a bare colon
	}
	var uiTLS uiconfig.TLS
	if st != nil {
		uiTLS = uiconfig.TLS{
			CaData:                 base64.StdEncoding.EncodeToString(st.leafPEM()),
			ServerName:             st.serverName,
			EnableHostVerification: true,
		}
		if st.internal != nil {
			uiTLS.CertData = base64.StdEncoding.EncodeToString(st.internalPEM)
			uiTLS.KeyData = base64.StdEncoding.EncodeToString(st.internalKeyPEM)
		}
	}
	// The UI library reports loading its TLS settings on the standard
	// logger, once, while NewServer builds its gRPC connection: keep that
	// off the user's terminal (dslrun itself does not use that logger).
	if st != nil {
		prev := log.Writer()
		log.SetOutput(io.Discard)
		defer log.SetOutput(prev)
	}
	ui = uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		TLS:                 uiTLS,
		Codec:               uiconfig.Codec{Endpoint: opts.CodecEndpoint},
		Host:                host,
		Port:                opts.UIPort,
		TemporalGRPCAddress: frontend,
		EnableUI:            true,
		DefaultNamespace:    opts.Namespace,
		DisableNewsFetch:    true,
		NotifyOnNewVersion:  false,
		HideLogs:            true,
		// Served over plain HTTP on loopback: the CSRF cookie must not
		// require HTTPS.
		CORS: uiconfig.CORS{CookieInsecure: true},
	}))
	done = make(chan struct{})
	go func() {
		defer close(done)
		_ = ui.Start() // returns nil once Stop closes the server
	}()
	return ui, done
}
