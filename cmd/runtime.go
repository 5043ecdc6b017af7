package dslruncmd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/dslrun/dslrun/internal/connect"
	"github.com/spf13/pflag"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
)

// serverFlags are the flags of commands that may start the embedded
// server.
type serverFlags struct {
	DBFile   string
	LogFile  string
	LogLevel string
}

func (f *serverFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.DBFile, "db-file", "", "SQLite file of the embedded server, so that runs survive a restart (default: in memory)")
	fs.StringVar(&f.LogFile, "log-file", "", "write server and worker logs to this file (default: discarded)")
	fs.StringVar(&f.LogLevel, "log-level", "warn", "level of server and worker logs: debug, info, warn or error")
}

// session is a connected client, with the embedded server behind it when
// one was started.
type session struct {
	Client    client.Client
	Embedded  bool
	Address   string
	Namespace string
	UIAddress string
	// TLSServerName is the name clients verify in the certificate of an
	// embedded server that serves TLS, else "".
	TLSServerName string
	// Ephemeral is set when the session started an ephemeral embedded
	// server (connectOptions.EphemeralServer): its state dies with the
	// process.
	Ephemeral bool
	logOut    io.Writer
	// log is the SDK's logger of the session, which also takes the
	// session's start-up milestones (at info level).
	log     tlog.Logger
	closers []func() error
	// derived are the options that a client made from Client with
	// client.NewClientFromExisting must repeat (codec.go).
	derived client.Options
}

// Close stops what the session started, last first.
func (s *session) Close() error {
	var first error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	s.closers = nil
	return first
}

// connectOptions say how to reach Temporal for a command.
type connectOptions struct {
	Flags  connect.Flags
	Server serverFlags
	UIPort int
	// FrontendPort is the embedded server's gRPC port; 0 picks a free one.
	FrontendPort int
	// AllowEmbedded is false for commands that only make sense against a
	// server that outlives them (signal, query, ...).
	AllowEmbedded bool
	// AbandonMemoryServer skips the clean stop of an embedded server that
	// keeps its database in memory, for commands whose process ends right
	// after: nothing in it survives the process anyway, and the stop costs
	// a fixed second (the frontend's drain). A file-backed server is always
	// stopped cleanly.
	AbandonMemoryServer bool
	// EphemeralServer starts an embedded server that keeps its database
	// in memory as an ephemeral one (devserver.Options.Ephemeral): lighter
	// to start, without Temporal's system workflows, for a command that
	// needs none (apply, which refuses schedules on the embedded server).
	EphemeralServer bool
	// Codec says where the payload codec's keys come from (codec.go).
	Codec codecFlags
	// Metrics is where to serve the SDK's metrics (metrics.go).
	Metrics metricsFlags
	// SearchAttributes are custom search attributes that the embedded
	// server registers in its namespace (dev --search-attribute).
	SearchAttributes map[string]enumspb.IndexedValueType
	// ServerTLS, when set, makes the embedded server's frontend serve TLS
	// (dev --tls-cert); the session's own client reaches it in-process.
	ServerTLS *embeddedTLS
	// UICodecEndpoint is the codec server of the embedded Web UI (dev with
	// a codec key), or "".
	UICodecEndpoint string
}

// open resolves the connection settings and dials Temporal, starting the
// embedded server first when no address is configured.
func open(ctx context.Context, opts *Options, co connectOptions) (*session, error) {
	settings, err := connect.Resolve(co.Flags, opts.LookupEnv)
	if err != nil {
		return nil, err
	}
	s := &session{Embedded: settings.Embedded}
	logOut, closeLog, err := openLog(co.Server.LogFile)
	if err != nil {
		return nil, err
	}
	s.logOut = logOut
	s.closers = append(s.closers, closeLog)
	copts := settings.Options
	if settings.Embedded {
		if !co.AllowEmbedded {
			s.Close()
			return nil, fmt.Errorf("no Temporal address is configured: set --address or TEMPORAL_ADDRESS (or a profile) to reach a running server, e.g. the one `dslrun dev` starts")
		}
		ns := copts.Namespace
		if ns == "" {
			ns = "default"
		}
		s.Ephemeral = co.EphemeralServer && co.Server.DBFile == ""
		newSDKLogger(logOut, co.Server.LogLevel).Info("dslrun: starting the embedded server")
		srv, err := startEmbedded(ctx, embeddedOptions{
			DBFile: co.Server.DBFile, Namespace: ns, FrontendPort: co.FrontendPort, UIPort: co.UIPort, LogLevel: co.Server.LogLevel, LogWriter: logOut,
			SearchAttributes: co.SearchAttributes, TLS: co.ServerTLS, CodecEndpoint: co.UICodecEndpoint, Ephemeral: s.Ephemeral,
		})
		if err != nil {
			s.Close()
			return nil, err
		}
		if co.Server.DBFile != "" || !co.AbandonMemoryServer {
			s.closers = append(s.closers, srv.Stop)
		}
		copts.HostPort = srv.Address
		copts.Namespace = ns
		copts.ConnectionOptions.TLS = srv.ClientTLS
		s.UIAddress = srv.UIAddress
		s.TLSServerName = srv.TLSServerName
	}
	copts.Logger = newSDKLogger(logOut, co.Server.LogLevel)
	if co.Metrics.Address != "" {
		m, err := startMetrics(co.Metrics.Address)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.closers = append(s.closers, m.Close)
		copts.MetricsHandler = m.Handler
		fmt.Fprintf(opts.Stderr, "metrics: http://%s/metrics\n", m.Address)
	}
	tracing, closeTracing, err := startTracing(ctx, opts)
	if err != nil {
		s.Close()
		return nil, err
	}
	if tracing != nil {
		// Closed after the client (closers run last first): the spans of
		// its last calls are flushed.
		s.closers = append(s.closers, closeTracing)
		copts.Interceptors = append(copts.Interceptors, tracing)
	}
	if err := co.Codec.configure(&copts, opts.LookupEnv); err != nil {
		s.Close()
		return nil, err
	}
	watch := connect.WatchTLS(&copts)
	c, err := client.DialContext(ctx, copts)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to Temporal at %s: %w", copts.HostPort, watch.Explain(err))
	}
	s.closers = append(s.closers, func() error { c.Close(); return nil })
	s.log = copts.Logger
	s.log.Info("dslrun: client connected", "address", copts.HostPort)
	s.Client, s.Address, s.Namespace = c, copts.HostPort, copts.Namespace
	if s.Namespace == "" {
		s.Namespace = "default"
	}
	s.derived = client.Options{Namespace: s.Namespace, DataConverter: copts.DataConverter, FailureConverter: copts.FailureConverter, MetricsHandler: copts.MetricsHandler, Interceptors: copts.Interceptors}
	return s, nil
}

func openLog(path string) (io.Writer, func() error, error) {
	if path == "" {
		return io.Discard, func() error { return nil }, nil
	}
	// Private, as the database file is: logs name workflows, activities
	// and their failures. An existing file keeps its mode.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

func newSDKLogger(w io.Writer, level string) tlog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelWarn
	}
	return retryLogger{tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})))}
}

// retryLogger writes the SDK's "Activity error." line, which the SDK logs at
// ERROR for every failed attempt, at WARN when the failure may be retried:
// an expected retry is not an error. A non-retryable failure (or a
// cancellation) stays an ERROR line. The worker cannot tell the last
// attempt of a retry policy from the others; the run's failure itself is
// what apply and describe report.
type retryLogger struct{ tlog.Logger }

// Error logs at ERROR, or at WARN for a retryable activity failure.
func (l retryLogger) Error(msg string, keyvals ...any) {
	if msg == "Activity error." && retryableIn(keyvals) {
		l.Warn(msg, keyvals...)
		return
	}
	l.Logger.Error(msg, keyvals...)
}

// With keeps the demotion in loggers that the SDK derives with fields.
func (l retryLogger) With(keyvals ...any) tlog.Logger {
	return retryLogger{tlog.With(l.Logger, keyvals...)}
}

// retryableIn tells whether the "Error" field of keyvals is an error that
// Temporal retries.
func retryableIn(keyvals []any) bool {
	for i := 0; i+1 < len(keyvals); i += 2 {
		if k, _ := keyvals[i].(string); k != "Error" {
			continue
		}
		err, ok := keyvals[i+1].(error)
		if !ok || temporal.IsCanceledError(err) {
			return false
		}
		var app *temporal.ApplicationError
		return !errors.As(err, &app) || !app.NonRetryable()
	}
	return false
}

// embeddedOptions configure the embedded server.
type embeddedOptions struct {
	DBFile       string
	FrontendPort int
	Namespace    string
	UIPort       int
	LogLevel     string
	LogWriter    io.Writer
	// SearchAttributes are registered in the namespace.
	SearchAttributes map[string]enumspb.IndexedValueType
	// TLS, when set, makes the frontend serve TLS.
	TLS *embeddedTLS
	// CodecEndpoint is the Web UI's codec server, or "".
	CodecEndpoint string
	// Ephemeral starts a server without system workflows, in memory
	// (devserver.Options.Ephemeral).
	Ephemeral bool
}

// embeddedTLS are the files of an embedded frontend that serves TLS, or
// mutual TLS with ClientCAFile (dev --tls-cert, --tls-key, --tls-client-ca).
type embeddedTLS struct {
	CertFile, KeyFile, ClientCAFile string
}

// embeddedServer is a started embedded server.
type embeddedServer struct {
	Address   string
	UIAddress string
	// ClientTLS is the TLS config of clients in this process, nil when the
	// frontend serves plain text; TLSServerName the name they verify.
	ClientTLS     *tls.Config
	TLSServerName string
	Stop          func() error
}
