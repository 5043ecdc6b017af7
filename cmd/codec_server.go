package dslruncmd

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/dslrun/dslrun/codec"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/converter"
)

// envCodecServerAuth holds the Authorization header value that dslrun
// codec-server requires, as --authorization-file does.
const envCodecServerAuth = "DSLRUN_CODEC_SERVER_AUTH"

// maxCodecRequest bounds the body of an /encode or /decode request: a
// payload is at most 2 MB in Temporal, and the Web UI sends a few at once.
const maxCodecRequest = 32 << 20

type codecServerOptions struct {
	*Options
	Listen   string
	Origins  []string
	AuthFile string
	Codec    codecFlags
}

func newCodecServerCmd(opts *Options, runF func(*codecServerOptions) error) *cobra.Command {
	o := &codecServerOptions{Options: opts}
	cmd := &cobra.Command{
		Use:   "codec-server",
		Short: "Serve Temporal's remote codec endpoints (/encode, /decode) with the payload keys",
		Long: `Serve Temporal's remote codec HTTP endpoints, POST /encode and POST /decode,
with the payload encryption keys (--codec-key-file, DSLRUN_CODEC_KEY_FILE or
DSLRUN_CODEC_KEYS, as every other command reads them). Point the Temporal Web
UI (Settings > Codec Server, or its codec.endpoint setting) or the temporal
CLI (--codec-endpoint) at it to see decoded payloads; the keys stay in this
process.

The Web UI calls it from the browser: --cors-origin lists the origins of the
UIs allowed to (default: the 'dslrun dev' UI). With --authorization-file or
DSLRUN_CODEC_SERVER_AUTH, a request must carry exactly that Authorization
header (for example "Bearer <token>"; the Web UI sends its user's token when
"Pass access token" is on). The server has no other access control: keep it
on loopback or behind TLS and authentication.

  dslrun codec-server --codec-key-file keys.txt --listen 127.0.0.1:8081 --cors-origin http://localhost:8233`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Listen == "" {
				return usageErrorf("--listen must not be empty")
			}
			for _, origin := range o.Origins {
				if !strings.HasPrefix(origin, "http://") && !strings.HasPrefix(origin, "https://") || strings.HasSuffix(origin, "/") {
					return usageErrorf("--cors-origin %q: want scheme://host[:port], with no path", origin)
				}
			}
			if runF != nil {
				return runF(o)
			}
			return runCodecServer(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:8081", "host:port to listen on")
	fs.StringArrayVar(&o.Origins, "cors-origin", []string{"http://127.0.0.1:8233", "http://localhost:8233"}, "origin of a Web UI allowed to call the server from the browser; repeatable")
	fs.StringVar(&o.AuthFile, "authorization-file", "", "file holding the Authorization header value every request must carry (env "+envCodecServerAuth+"); default: none required")
	o.Codec.register(fs)
	return cmd
}

func runCodecServer(ctx context.Context, o *codecServerOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	keys, err := o.Codec.keys(o.LookupEnv)
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	if keys.Len() == 0 {
		return &exitError{code: ExitFailure, err: errors.New("no payload keys: give them with --codec-key-file, " + envCodecKeyFile + " or " + envCodecKeys)}
	}
	auth, err := codecServerAuth(o)
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	l, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	srv := &http.Server{
		Handler:           newCodecHandler(codec.New(keys, codec.Options{}), o.Origins, auth),
		ReadHeaderTimeout: 10 * time.Second,
	}
	authNote := "none required"
	if auth != "" {
		authNote = "required"
	}
	fmt.Fprintf(o.Stdout, "dslrun codec-server on http://%s (POST /encode, /decode)\n", l.Addr())
	fmt.Fprintf(o.Stdout, "  keys           %s (encrypts with %s)\n", strings.Join(keys.IDs(), ", "), keys.Current())
	fmt.Fprintf(o.Stdout, "  CORS origins   %s\n", strings.Join(o.Origins, ", "))
	fmt.Fprintf(o.Stdout, "  authorization  %s\n", authNote)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		return &exitError{code: ExitFailure, err: err}
	case <-ctx.Done():
	case <-sigs:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// codecServerAuth is the Authorization value required: the first line of
// --authorization-file, else DSLRUN_CODEC_SERVER_AUTH, else "".
func codecServerAuth(o *codecServerOptions) (string, error) {
	if o.AuthFile != "" {
		b, err := os.ReadFile(o.AuthFile)
		if err != nil {
			return "", fmt.Errorf("--authorization-file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if line = strings.TrimSpace(line); line == "" {
			return "", fmt.Errorf("--authorization-file %s is empty", o.AuthFile)
		}
		return line, nil
	}
	v, _ := o.LookupEnv(envCodecServerAuth)
	return strings.TrimSpace(v), nil
}

// newCodecHandler serves the SDK's codec HTTP handler for c with CORS for
// origins and, when auth is not empty, requires that Authorization header.
// Preflight requests (OPTIONS) need no authorization: browsers send them
// without credentials.
func newCodecHandler(c converter.PayloadCodec, origins []string, auth string) http.Handler {
	inner := converter.NewPayloadCodecHTTPHandler(c)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		allowed := origin != "" && slices.Contains(origins, origin)
		if allowed {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		}
		if r.URL.Path != "/encode" && r.URL.Path != "/decode" {
			http.NotFound(w, r)
			return
		}
		switch r.Method {
		case http.MethodOptions:
			if !allowed {
				http.Error(w, "origin not allowed", http.StatusForbidden)
				return
			}
			w.WriteHeader(http.StatusNoContent)
			return
		case http.MethodPost:
		default:
			w.Header().Set("Allow", "POST, OPTIONS")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if origin != "" && !allowed {
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return
		}
		if auth != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(auth)) != 1 {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "missing or wrong Authorization header", http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxCodecRequest)
		inner.ServeHTTP(w, r)
	})
}

// newCodecKeyCmd is dslrun codec-key: a new key, in the key file format.
func newCodecKeyCmd(opts *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "codec-key ID",
		Short: "Print a new random payload encryption key, ID:BASE64",
		Long: `Print a new random AES-256 key for payload encryption, as a line of a key
file (ID:BASE64). Put the new key first in the file to encrypt with it, and
keep the old keys after it for as long as runs encrypted with them must stay
readable.

  dslrun codec-key 2026-11 > keys.txt && chmod 600 keys.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			line, err := codec.GenerateKey(args[0])
			if err != nil {
				return usageErrorf("%v", err)
			}
			_, err = fmt.Fprintln(opts.Stdout, line)
			return err
		},
	}
}
