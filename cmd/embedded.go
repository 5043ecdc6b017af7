//go:build !noserver

package dslruncmd

import (
	"context"

	"github.com/dslrun/dslrun/internal/devserver"
)

// startEmbedded starts the in-process Temporal server.
func startEmbedded(ctx context.Context, o embeddedOptions) (*embeddedServer, error) {
	opts := devserver.Options{
		DBFile: o.DBFile, Namespace: o.Namespace, FrontendPort: o.FrontendPort, UIPort: o.UIPort, LogLevel: o.LogLevel, LogWriter: o.LogWriter,
		SearchAttributes: o.SearchAttributes, CodecEndpoint: o.CodecEndpoint, Ephemeral: o.Ephemeral,
	}
	if o.TLS != nil {
		opts.TLS = &devserver.TLS{CertFile: o.TLS.CertFile, KeyFile: o.TLS.KeyFile, ClientCAFile: o.TLS.ClientCAFile}
	}
	srv, err := devserver.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &embeddedServer{
		Address: srv.FrontendAddress(), UIAddress: srv.UIAddress(), Stop: srv.Stop,
		ClientTLS: srv.ClientTLSConfig(), TLSServerName: srv.TLSServerName(),
	}, nil
}
