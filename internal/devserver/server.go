package devserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/temporal"
)

// DefaultNamespace is the namespace registered when Options.Namespace is empty.
const DefaultNamespace = "default"

// DefaultIP is the address the server binds to when Options.IP is empty.
const DefaultIP = "127.0.0.1"

// DefaultRetention is the retention of closed workflows in a namespace
// created by Start when Options.Retention is zero.
const DefaultRetention = 24 * time.Hour

// Options configures an embedded server. The zero value is a usable in-memory
// server on a free loopback port with the "default" namespace and no Web UI.
type Options struct {
	// DBFile is the SQLite database file. Empty means an in-memory database,
	// private to this server and lost on Stop. A file is created with the
	// schema when missing or empty, opened in WAL mode, and reused as it is
	// (schema untouched) when it already holds a database.
	DBFile string
	// Namespace is pre-registered before the server starts (a no-op when it
	// already exists). Default "default".
	Namespace string
	// IP is the loopback address every service binds to. Default 127.0.0.1.
	// A non-loopback address is refused: the server has no authentication.
	IP string
	// FrontendPort is the gRPC port of the frontend; 0 picks a free port.
	FrontendPort int
	// UIPort is the port of the Temporal Web UI; 0 means no Web UI.
	UIPort int
	// LogLevel of the server's own logs: debug, info, warn or error
	// (default error).
	LogLevel string
	// LogWriter receives the server's logs, one JSON object a line. Nil
	// discards them; nothing is ever written to stdout or stderr.
	LogWriter io.Writer
	// Retention of closed workflows, used when the namespace is created.
	// Default 24h.
	Retention time.Duration
	// SearchAttributes are custom search attributes to register on the
	// namespace: at creation, and through the operator API when the
	// namespace already exists without them.
	SearchAttributes map[string]enumspb.IndexedValueType
	// TLS, when set, makes the frontend serve TLS (mutual TLS with
	// TLS.ClientCAFile). The Web UI and the server's own workers reach it
	// with Server.ClientTLSConfig.
	TLS *TLS
	// CodecEndpoint, when set, is the remote codec server (its base URL,
	// http://host:port) through which the Web UI decodes payloads in the
	// browser: the UI's codec.endpoint setting.
	CodecEndpoint string
	// DynamicConfig overrides dynamic config values by key, for example
	// {"limit.maxIDLength": 255}. It is applied over the defaults of this
	// package.
	DynamicConfig map[string]any
	// Ephemeral starts a lighter server for a short command whose state
	// dies with it, such as `dslrun apply` without --db-file; it needs an
	// in-memory database (DBFile empty). Such a server has no worker
	// service, the one that runs Temporal's system workflows: schedules,
	// batch operations, namespace deletion, worker deployments and the
	// periodic scanners that clean up old data do not run. A closing
	// parent's children are closed by the history service itself, as it
	// does for fewer than ten children anyway, instead of by a system
	// workflow. Every task queue has one partition instead of four.
	Ephemeral bool
}

// Server is a running embedded Temporal server. Its methods are safe for
// concurrent use.
type Server struct {
	temporal  temporal.Server
	ui        *uiserver.Server
	uiDone    chan struct{}
	unlock    func() error
	frontend  string
	uiAddr    string
	namespace string
	tls       *serverTLS

	stopOnce sync.Once
	stopErr  error
}

// Start starts an embedded server and returns once its frontend accepts
// connections (and the Web UI answers, when asked for). ctx bounds the start
// up; cancelling it later has no effect on the running server.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	logger, err := newLogger(opts.LogLevel, opts.LogWriter)
	if err != nil {
		return nil, err
	}
	var st *serverTLS
	if opts.TLS != nil {
		if st, err = newServerTLS(opts.TLS, opts.IP); err != nil {
			return nil, err
		}
	}
	ports, err := choosePorts(opts.IP, opts.FrontendPort, opts.UIPort)
	if err != nil {
		return nil, err
	}
	db, err := openDatabase(opts)
	if err != nil {
		return nil, err
	}
	// Start-up milestones, at info level like the services' own "starting"
	// lines, so that a log file shows where the start-up time goes.
	logger.Info("dslrun: database ready")
	s := &Server{
		unlock:    db.unlock,
		frontend:  net.JoinHostPort(opts.IP, strconv.Itoa(ports.frontend)),
		namespace: opts.Namespace,
		tls:       st,
	}
	fail := func(err error) (*Server, error) {
		return nil, errors.Join(err, s.Stop())
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if s.temporal, err = newTemporalServer(opts, ports, db.sql, logger, st); err != nil {
		return fail(err)
	}
	logger.Info("dslrun: services assembled")
	if err := startTemporal(s.temporal); err != nil {
		s.temporal = nil // a server that failed to start has nothing to stop
		return fail(err)
	}
	logger.Info("dslrun: services started")
	if err := waitFrontend(ctx, s.frontend, s.ClientTLSConfig()); err != nil {
		return fail(err)
	}
	logger.Info("dslrun: frontend serving")
	if len(opts.SearchAttributes) > 0 {
		if err := ensureSearchAttributes(ctx, s.frontend, s.ClientTLSConfig(), opts.Namespace, opts.SearchAttributes); err != nil {
			return fail(err)
		}
	}
	if opts.UIPort > 0 {
		s.uiAddr = net.JoinHostPort(opts.IP, strconv.Itoa(opts.UIPort))
		s.ui, s.uiDone = startUI(opts, s.frontend, st)
		if err := waitUI(ctx, s.uiAddr, s.uiDone); err != nil {
			return fail(err)
		}
	}
	return s, nil
}

// FrontendAddress returns the host:port of the gRPC frontend, for
// client.Options.HostPort.
func (s *Server) FrontendAddress() string { return s.frontend }

// UIAddress returns the host:port of the Web UI, or "" when there is none.
func (s *Server) UIAddress() string { return s.uiAddr }

// ClientTLSConfig returns the TLS config with which a client in this
// process reaches the frontend, or nil when it serves plain text: it trusts
// the server's certificate alone and, under mutual TLS, presents a
// certificate made at start that the frontend accepts besides the client
// CAs of Options.TLS. Each call returns a new config.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.tls == nil {
		return nil
	}
	return s.tls.clientConfig()
}

// TLSServerName returns the name that clients verify in the server's
// certificate: the address it listens on when the certificate names it,
// else the certificate's first DNS name; "" without TLS.
func (s *Server) TLSServerName() string {
	if s.tls == nil {
		return ""
	}
	return s.tls.serverName
}

// Namespace returns the namespace registered by Start.
func (s *Server) Namespace() string { return s.namespace }

// Stop shuts the Web UI and the server down and releases the database file.
// It is safe to call more than once; later calls return the first result.
// Close clients and stop workers first: the frontend waits up to a second
// for open calls (such as a worker's long polls) to drain.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.ui != nil {
			s.ui.Stop()
			<-s.uiDone
		}
		if s.temporal != nil {
			if err := s.temporal.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("stop temporal server: %w", err))
			}
		}
		if s.unlock != nil {
			if err := s.unlock(); err != nil {
				errs = append(errs, err)
			}
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// startTemporal starts the server, turning a panic raised on this goroutine
// (the server's logger panics instead of exiting the process on a fatal
// error, such as a port taken between choosing and binding it) into an error.
func startTemporal(srv temporal.Server) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("start temporal server: %v", r)
		}
	}()
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start temporal server: %w", err)
	}
	return nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.IP == "" {
		o.IP = DefaultIP
	}
	if o.IP == "localhost" {
		o.IP = DefaultIP
	}
	ip := net.ParseIP(o.IP)
	if ip == nil {
		return o, fmt.Errorf("invalid IP address %q", o.IP)
	}
	if !ip.IsLoopback() {
		return o, fmt.Errorf("refusing to bind the embedded server to %s: it has no authentication, use a loopback address such as 127.0.0.1", o.IP)
	}
	o.IP = ip.String()
	if o.FrontendPort < 0 || o.FrontendPort > 65535 {
		return o, fmt.Errorf("invalid frontend port %d", o.FrontendPort)
	}
	if o.UIPort < 0 || o.UIPort > 65535 {
		return o, fmt.Errorf("invalid UI port %d", o.UIPort)
	}
	if o.UIPort != 0 && o.UIPort == o.FrontendPort {
		return o, fmt.Errorf("frontend and UI cannot share port %d", o.UIPort)
	}
	if o.LogLevel == "" {
		o.LogLevel = "error"
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.Retention < 0 {
		return o, fmt.Errorf("invalid retention %s", o.Retention)
	}
	if o.Ephemeral && o.DBFile != "" {
		return o, errors.New("an ephemeral server keeps its database in memory: it cannot use a database file")
	}
	if o.DBFile != "" {
		abs, err := absDBPath(o.DBFile)
		if err != nil {
			return o, err
		}
		o.DBFile = abs
	}
	return o, nil
}
