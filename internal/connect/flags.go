package connect

import (
	"strconv"

	"github.com/spf13/pflag"
)

// Flags are the connection flags of dslrun's commands, with the names,
// meanings and environment variables of the temporal CLI. An empty string
// (or false) means "not given".
type Flags struct {
	// Address of the Temporal frontend, host:port (--address).
	Address string
	// Namespace (--namespace, -n). Default "default".
	Namespace string
	// APIKey sent as a bearer token; turns TLS on unless disabled (--api-key).
	APIKey string
	// Profile of the config file to use (--profile). Default "default".
	Profile string
	// ConfigFile is the TOML config file (--config-file). Default
	// <user config dir>/temporalio/temporal.toml.
	ConfigFile string
	// TLS turns TLS on (--tls). Registered flags also record --tls=false,
	// which turns TLS off even when an API key or a profile would turn it on.
	TLS bool
	// TLSCertPath is the client certificate for mTLS (--tls-cert-path).
	TLSCertPath string
	// TLSKeyPath is the client private key for mTLS (--tls-key-path).
	TLSKeyPath string
	// TLSCACertPath is the server CA certificate (--tls-ca-path).
	TLSCACertPath string
	// TLSServerName overrides the server name checked by TLS
	// (--tls-server-name).
	TLSServerName string
	// TLSDisableHostVerification skips the server host name check
	// (--tls-disable-host-verification).
	TLSDisableHostVerification bool

	// tlsSet records that --tls was given, as true or false.
	tlsSet bool
}

// Register adds the connection flags to fs, bound to f.
func (f *Flags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&f.Address, "address", "",
		"Temporal frontend address, host:port (env TEMPORAL_ADDRESS); when none is configured, an embedded server is started")
	fs.StringVarP(&f.Namespace, "namespace", "n", "",
		`Temporal namespace (env TEMPORAL_NAMESPACE) (default "default")`)
	fs.StringVar(&f.APIKey, "api-key", "",
		"API key for requests; turns TLS on (env TEMPORAL_API_KEY)")
	fs.StringVar(&f.Profile, "profile", "",
		`profile of the config file to use (env TEMPORAL_PROFILE) (default "default")`)
	fs.StringVar(&f.ConfigFile, "config-file", "",
		"TOML file of Temporal client profiles (env TEMPORAL_CONFIG_FILE) (default <user config dir>/temporalio/temporal.toml)")
	tls := fs.VarPF(tlsValue{f}, "tls", "",
		"use TLS; on by default with an API key or any other TLS setting, --tls=false turns it off (env TEMPORAL_TLS)")
	tls.NoOptDefVal = "true"
	fs.StringVar(&f.TLSCertPath, "tls-cert-path", "",
		"client certificate for mTLS (env TEMPORAL_TLS_CLIENT_CERT_PATH)")
	fs.StringVar(&f.TLSKeyPath, "tls-key-path", "",
		"client private key for mTLS (env TEMPORAL_TLS_CLIENT_KEY_PATH)")
	fs.StringVar(&f.TLSCACertPath, "tls-ca-path", "",
		"server CA certificate (env TEMPORAL_TLS_SERVER_CA_CERT_PATH)")
	fs.StringVar(&f.TLSServerName, "tls-server-name", "",
		"server name to verify instead of the address's host (env TEMPORAL_TLS_SERVER_NAME)")
	fs.BoolVar(&f.TLSDisableHostVerification, "tls-disable-host-verification", false,
		"do not verify the server's host name (env TEMPORAL_TLS_DISABLE_HOST_VERIFICATION)")
}

// tlsValue is the --tls flag: a boolean that remembers it was given.
type tlsValue struct{ f *Flags }

func (v tlsValue) String() string {
	if v.f == nil {
		return "false"
	}
	return strconv.FormatBool(v.f.TLS)
}

func (v tlsValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	v.f.TLS, v.f.tlsSet = b, true
	return nil
}

func (tlsValue) Type() string { return "bool" }
