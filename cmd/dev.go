package dslruncmd

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dslrun/dslrun/codec"
	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/internal/connect"
	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/worker"
)

// Default ports of dslrun dev, those of the Temporal CLI's dev server.
const (
	defaultDevPort   = 7233
	defaultDevUIPort = 8233
)

// devGracePeriod is how long dslrun dev lets running activities finish
// when it stops.
const devGracePeriod = 10 * time.Second

type devOptions struct {
	*Options
	Dirs []string
	// Root is the folder child files must be in (--root).
	Root      string
	DBFile    string
	Memory    bool
	Port      int
	UIPort    int
	Namespace string
	TaskQueue string
	Worker    bool
	Grace     time.Duration
	LogFile   string
	LogLevel  string
	Codec     codecFlags
	Metrics   metricsFlags
	// SearchAttributes are --search-attribute NAME=TYPE, repeated.
	SearchAttributes []string
	// TLSCert, TLSKey and TLSClientCA are --tls-cert, --tls-key and
	// --tls-client-ca: the frontend serves TLS, or mutual TLS.
	TLSCert, TLSKey, TLSClientCA string
	// Tuning sizes the worker.
	Tuning workerTuning
}

func newDevCmd(opts *Options, runF func(*devOptions) error) *cobra.Command {
	o := &devOptions{Options: opts}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a local Temporal server with the Web UI and a worker",
		Long: `Run a Temporal server in this process, with the Temporal Web UI and a worker,
until interrupted. Other tools reach it like any Temporal server: the temporal
CLI, SDKs in any language, and dslrun itself with TEMPORAL_ADDRESS set.

The server keeps its data in a SQLite file, so runs survive a restart: by
default $XDG_STATE_HOME/dslrun/dev.db (~/.local/state/dslrun/dev.db); --db-file
names another file and --memory keeps everything in memory. It listens on
127.0.0.1 only.

The worker polls --task-queue: it runs the workflows 'dslrun apply' starts, the
registered activities, and, with --dir, every definition in that folder by its
name, so any Temporal client can start one with its input alone. --worker=false
leaves the task queue to other workers ('dslrun worker').

With a payload codec key (--codec-key-file, DSLRUN_CODEC_KEY_FILE or
DSLRUN_CODEC_KEYS), dev also runs a codec server on a free loopback port and
points the Web UI at it, so the UI shows decoded payloads.

With --tls-cert and --tls-key the frontend serves TLS; with --tls-client-ca
too, every client must present a certificate signed by a CA of that file
(mutual TLS). The certificate must name 127.0.0.1, or a name that clients
then verify with --tls-server-name (TEMPORAL_TLS_SERVER_NAME). The Web UI and
the worker of dev reach the frontend inside the process.

  dslrun dev --dir examples/ --port 7233 --ui-port 8233
  dslrun dev --tls-cert server.pem --tls-key server.key --tls-client-ca client-ca.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Memory && o.DBFile != "" {
				return usageErrorf("--memory and --db-file exclude each other")
			}
			for _, p := range []struct {
				name string
				v    int
			}{{"--port", o.Port}, {"--ui-port", o.UIPort}} {
				if p.v < 0 || p.v > 65535 {
					return usageErrorf("%s must be a TCP port (0 to 65535), not %d", p.name, p.v)
				}
			}
			if o.TaskQueue == "" {
				return usageErrorf("--task-queue must not be empty")
			}
			if o.Grace < 0 {
				return usageErrorf("--grace-period must not be negative")
			}
			if (o.TLSCert == "") != (o.TLSKey == "") {
				return usageErrorf("--tls-cert and --tls-key go together: give both to serve TLS")
			}
			if o.TLSClientCA != "" && o.TLSCert == "" {
				return usageErrorf("--tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS with client certificates")
			}
			if err := o.Tuning.validate(cmd.Flags()); err != nil {
				return err
			}
			if o.Tuning.given() && !o.Worker {
				return usageErrorf("the worker tuning flags size dev's worker: drop them, or drop --worker=false")
			}
			if len(o.Dirs) > 0 && !o.Worker {
				return usageErrorf("--dir needs the worker: drop --worker=false")
			}
			if runF != nil {
				return runF(o)
			}
			return runDev(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&o.Dirs, "dir", nil, "folder of workflow definitions to serve by name (DIR/... for subfolders too); repeatable")
	addRootFlag(cmd, &o.Root)
	fs.StringVar(&o.DBFile, "db-file", "", "SQLite file of the server (default $XDG_STATE_HOME/dslrun/dev.db)")
	fs.BoolVar(&o.Memory, "memory", false, "keep everything in memory: runs are lost when dev stops")
	fs.IntVarP(&o.Port, "port", "p", defaultDevPort, "gRPC port of the Temporal frontend (0 picks a free port)")
	fs.IntVar(&o.UIPort, "ui-port", defaultDevUIPort, "port of the Temporal Web UI (0 turns the UI off)")
	fs.StringVarP(&o.Namespace, "namespace", "n", connect.DefaultNamespace, "namespace to create")
	fs.StringVar(&o.TaskQueue, "task-queue", dsl.DefaultTaskQueue, "task queue of the worker")
	fs.BoolVar(&o.Worker, "worker", true, "run a worker in this process")
	fs.DurationVar(&o.Grace, "grace-period", devGracePeriod, "on shutdown, how long running activities may take to finish before they are cancelled")
	fs.StringVar(&o.LogFile, "log-file", "", "write server and worker logs to this file (default: server logs discarded, worker logs on standard error)")
	fs.StringVar(&o.LogLevel, "log-level", "warn", "level of logs: debug, info, warn or error")
	fs.StringArrayVar(&o.SearchAttributes, "search-attribute", nil, "register a custom search attribute NAME=TYPE in the namespace (TYPE: Keyword, Text, Int, Double, Bool, Datetime or KeywordList); repeatable")
	fs.StringVar(&o.TLSCert, "tls-cert", "", "serve the frontend over TLS with this certificate (PEM, with --tls-key)")
	fs.StringVar(&o.TLSKey, "tls-key", "", "private key of --tls-cert (PEM)")
	fs.StringVar(&o.TLSClientCA, "tls-client-ca", "", "require client certificates signed by a CA of this PEM file (mutual TLS; needs --tls-cert)")
	o.Codec.register(fs)
	o.Metrics.register(fs)
	o.Tuning.register(fs)
	addPluginsFlag(cmd, opts)
	return cmd
}

// searchAttributeTypes are the types of dev --search-attribute, as the
// Temporal CLI names them.
var searchAttributeTypes = map[string]enumspb.IndexedValueType{
	"keyword":     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"text":        enumspb.INDEXED_VALUE_TYPE_TEXT,
	"int":         enumspb.INDEXED_VALUE_TYPE_INT,
	"double":      enumspb.INDEXED_VALUE_TYPE_DOUBLE,
	"bool":        enumspb.INDEXED_VALUE_TYPE_BOOL,
	"datetime":    enumspb.INDEXED_VALUE_TYPE_DATETIME,
	"keywordlist": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}

// parseSearchAttributes reads --search-attribute NAME=TYPE values.
func parseSearchAttributes(flags []string) (map[string]enumspb.IndexedValueType, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	out := map[string]enumspb.IndexedValueType{}
	for _, f := range flags {
		name, typ, ok := strings.Cut(f, "=")
		t, known := searchAttributeTypes[strings.ToLower(strings.TrimSpace(typ))]
		if !ok || strings.TrimSpace(name) == "" || !known {
			return nil, usageErrorf("--search-attribute %q: want NAME=TYPE, TYPE one of Keyword, Text, Int, Double, Bool, Datetime, KeywordList", f)
		}
		out[strings.TrimSpace(name)] = t
	}
	return out, nil
}

func runDev(ctx context.Context, o *devOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var defs *servedDefinitions
	if len(o.Dirs) > 0 {
		var err error
		if defs, err = loadDefinitions(o.Options, o.Dirs, o.Root); err != nil {
			return err
		}
	}
	sas, err := parseSearchAttributes(o.SearchAttributes)
	if err != nil {
		return err
	}
	dbFile, err := devDBFile(o)
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}

	// With a codec key, the Web UI decodes payloads through a codec server
	// of this process.
	codecURL := ""
	if o.UIPort != 0 {
		cs, err := startDevCodecServer(o)
		if err != nil {
			return &exitError{code: ExitFailure, err: err}
		}
		if cs != nil {
			defer cs.Close()
			codecURL = cs.URL
		}
	}

	// dev always starts its own server: TEMPORAL_* settings and profiles,
	// which point other tools at a server, do not apply to it.
	own := *o.Options
	own.LookupEnv = func(string) (string, bool) { return "", false }
	s, err := open(ctx, &own, connectOptions{
		Flags:            connect.Flags{Namespace: o.Namespace},
		Server:           serverFlags{DBFile: dbFile, LogFile: o.LogFile, LogLevel: o.LogLevel},
		FrontendPort:     o.Port,
		UIPort:           o.UIPort,
		AllowEmbedded:    true,
		Codec:            codecFlags{KeyFile: o.Codec.KeyFile, env: o.LookupEnv},
		Metrics:          o.Metrics,
		SearchAttributes: sas,
		ServerTLS:        o.serverTLS(),
		UICodecEndpoint:  codecURL,
	})
	if err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			err = fmt.Errorf("%w (is another server running? choose other ports with --port and --ui-port)", err)
		}
		return &exitError{code: ExitFailure, err: err}
	}
	defer s.Close()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	var w worker.Worker
	if o.Worker {
		c, err := loggingClient(ctx, s, o.Stderr, o.LogFile, o.LogLevel)
		if err != nil {
			return &exitError{code: ExitFailure, err: err}
		}
		defer c.Close()
		if w, err = startWorker(c, o.Options, defs, o.TaskQueue, o.Grace, &o.Tuning); err != nil {
			return &exitError{code: ExitFailure, err: err}
		}
	}
	printDevBanner(o, s, dbFile, defs, codecURL)

	select {
	case <-ctx.Done():
	case <-sigs:
	}
	if w != nil {
		if err := stopWorker(w, o.Stderr, sigs, o.Grace); err != nil {
			return err
		}
	}
	fmt.Fprintln(o.Stderr, "stopping the server")
	return nil
}

// serverTLS is the TLS of the frontend, nil without --tls-cert.
func (o *devOptions) serverTLS() *embeddedTLS {
	if o.TLSCert == "" {
		return nil
	}
	return &embeddedTLS{CertFile: o.TLSCert, KeyFile: o.TLSKey, ClientCAFile: o.TLSClientCA}
}

// devDBFile is the database file of dev: "" in memory, --db-file, or
// dslrun/dev.db in the user's state directory (created when missing).
func devDBFile(o *devOptions) (string, error) {
	if o.Memory {
		return "", nil
	}
	path := o.DBFile
	if path == "" {
		dir, err := stateDir(o.LookupEnv)
		if err != nil {
			return "", err
		}
		path = filepath.Join(dir, "dslrun", "dev.db")
	}
	// Private, as the database file is (0600): runs hold their inputs.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("database folder: %w", err)
	}
	return path, nil
}

// stateDir is the user's state directory as the XDG base directory
// specification defines it: $XDG_STATE_HOME when it is absolute, else
// $HOME/.local/state.
func stateDir(lookupEnv func(string) (string, bool)) (string, error) {
	if d, ok := lookupEnv("XDG_STATE_HOME"); ok && filepath.IsAbs(d) {
		return d, nil
	}
	if home, ok := lookupEnv("HOME"); ok && filepath.IsAbs(home) {
		return filepath.Join(home, ".local", "state"), nil
	}
	return "", errors.New("no state directory for the database: set XDG_STATE_HOME or HOME, or use --db-file or --memory")
}

// printDevBanner says where the server is and how to reach it.
func printDevBanner(o *devOptions, s *session, dbFile string, defs *servedDefinitions, codecURL string) {
	out := o.Stdout
	fmt.Fprintln(out, "dslrun dev: a Temporal server in this process (Ctrl-C to stop)")
	security := ""
	switch {
	case o.TLSClientCA != "":
		security = ", mutual TLS"
	case o.TLSCert != "":
		security = ", TLS"
	}
	fmt.Fprintf(out, "  Temporal frontend  %s  (namespace %q%s)\n", s.Address, s.Namespace, security)
	if s.UIAddress != "" {
		fmt.Fprintf(out, "  Web UI             http://%s/namespaces/%s/workflows\n", s.UIAddress, s.Namespace)
	} else {
		fmt.Fprintln(out, "  Web UI             off (--ui-port 0)")
	}
	if codecURL != "" {
		fmt.Fprintf(out, "  codec server       %s  (the Web UI decodes payloads through it)\n", codecURL)
	}
	if dbFile == "" {
		fmt.Fprintln(out, "  database           in memory: runs are lost when dev stops")
	} else {
		fmt.Fprintf(out, "  database           %s\n", dbFile)
	}
	if o.Worker {
		fmt.Fprintf(out, "  worker             task queue %q\n", o.TaskQueue)
		defs.describe(out, "    ", o.Options, o.TaskQueue)
		if t := o.Tuning.describe(); t != "" {
			fmt.Fprintf(out, "    tuning:     %s\n", t)
		}
	} else {
		fmt.Fprintf(out, "  worker             none: start 'dslrun worker --dir DIR --address %s'\n", s.Address)
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Point other tools at it:")
	fmt.Fprintf(out, "  export TEMPORAL_ADDRESS=%s\n", s.Address)
	if s.Namespace != connect.DefaultNamespace {
		fmt.Fprintf(out, "  export TEMPORAL_NAMESPACE=%s\n", s.Namespace)
	}
	printTLSExports(out, o, s)
	fmt.Fprintln(out, "  dslrun apply examples/hello.yaml --input '{\"name\": \"Ada\"}'")
	fmt.Fprintln(out, "  temporal workflow list")
	tlsOpt := ""
	if o.TLSCert != "" {
		tlsOpt = ", ConnectionOptions: client.ConnectionOptions{TLS: ...}"
	}
	fmt.Fprintf(out, "  SDKs: client.Options{HostPort: %q, Namespace: %q%s}\n", s.Address, s.Namespace, tlsOpt)
}

// printTLSExports prints the TEMPORAL_TLS_* settings that reach a frontend
// serving TLS: its CA (the certificate itself when it is self-signed), the
// name to verify when the certificate does not name the address, and the
// client certificate under mutual TLS.
func printTLSExports(out io.Writer, o *devOptions, s *session) {
	if o.TLSCert == "" {
		return
	}
	ca := "CA-OF-" + filepath.Base(o.TLSCert)
	if selfSigned(o.TLSCert) {
		ca = absPath(o.TLSCert)
	}
	fmt.Fprintf(out, "  export TEMPORAL_TLS_SERVER_CA_CERT_PATH=%s\n", ca)
	if host, _, err := net.SplitHostPort(s.Address); err == nil && s.TLSServerName != "" && s.TLSServerName != host {
		fmt.Fprintf(out, "  export TEMPORAL_TLS_SERVER_NAME=%s\n", s.TLSServerName)
	}
	if o.TLSClientCA != "" {
		fmt.Fprintf(out, "  export TEMPORAL_TLS_CLIENT_CERT_PATH=CLIENT.pem TEMPORAL_TLS_CLIENT_KEY_PATH=CLIENT.key  # signed by %s\n", absPath(o.TLSClientCA))
	}
}

// selfSigned reports whether the first certificate of a PEM file signed
// itself.
func selfSigned(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return false
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return false
	}
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// absPath is path made absolute, or path when that fails.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// devCodecServer is the codec server that dev runs for its Web UI.
type devCodecServer struct {
	// URL is its base URL, http://127.0.0.1:PORT.
	URL string
	srv *http.Server
}

// startDevCodecServer starts, on a free loopback port, the codec server
// of dev's Web UI when a codec key is configured (nil otherwise). It allows
// the UI's origins only, and asks no authorization, as dev's frontend
// does not.
func startDevCodecServer(o *devOptions) (*devCodecServer, error) {
	keys, err := codecFlags{KeyFile: o.Codec.KeyFile, env: o.LookupEnv}.keys(o.LookupEnv)
	if err != nil {
		return nil, err
	}
	if keys.Len() == 0 {
		return nil, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("codec server for the Web UI: %w", err)
	}
	port := strconv.Itoa(o.UIPort)
	origins := []string{"http://127.0.0.1:" + port, "http://localhost:" + port}
	cs := &devCodecServer{
		URL: "http://" + l.Addr().String(),
		srv: &http.Server{
			Handler:           newCodecHandler(codec.New(keys, codec.Options{}), origins, ""),
			ReadHeaderTimeout: 10 * time.Second,
		},
	}
	go func() { _ = cs.srv.Serve(l) }()
	return cs, nil
}

// Close stops the codec server.
func (cs *devCodecServer) Close() error { return cs.srv.Close() }
