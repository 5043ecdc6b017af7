package connect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// DefaultNamespace is the namespace used when none is configured.
const DefaultNamespace = "default"

// Where an address came from, for Settings.AddressFrom.
const (
	FromFlag    = "--address"
	FromEnv     = "TEMPORAL_ADDRESS"
	FromProfile = "profile" // followed by the profile name and file
)

// namespaceTemplate in an address is replaced by the namespace, as the
// temporal CLI does (for example "${namespace}.tmprl.cloud:7233").
const namespaceTemplate = "${namespace}"

// Settings are resolved connection settings.
type Settings struct {
	// Embedded is true when no address was configured anywhere (flag,
	// TEMPORAL_ADDRESS, or the profile): dslrun then starts its embedded
	// server and sets Options.HostPort to it. Options.Namespace is the
	// namespace to register there.
	Embedded bool
	// Options are ready for client.Dial: HostPort, Namespace, Credentials
	// (API key), ConnectionOptions (TLS, authority) and HeadersProvider
	// (grpc_meta of the profile). HostPort is empty when Embedded.
	Options client.Options
	// AddressFrom says where Options.HostPort came from: FromFlag, FromEnv,
	// or `profile "name" in /path/to/temporal.toml`; empty when Embedded.
	AddressFrom string
	// ConfigFile is the config file that was read, or "" when there was
	// none.
	ConfigFile string
	// Profile is the profile that was used from ConfigFile, or "" when
	// ConfigFile is empty or had no such profile.
	Profile string
}

// Resolve merges the connection settings: defaults < Temporal config
// profile < TEMPORAL_* environment variables < flags. lookupEnv reads the
// environment (os.LookupEnv in the real CLI; nil means an empty
// environment); variables set to the empty string count as unset.
//
// The config file is --config-file, else TEMPORAL_CONFIG_FILE, else
// temporalio/temporal.toml in the user config directory (found through
// lookupEnv: XDG_CONFIG_HOME or HOME on Unix, HOME on macOS, AppData on
// Windows). A missing default file is not an error; a missing file that was
// named is. The profile is --profile, else TEMPORAL_PROFILE, else
// "default"; a profile that was named must exist.
func Resolve(f Flags, lookupEnv func(string) (string, bool)) (Settings, error) {
	env := envLookup{lookupEnv}
	var s Settings

	// The config profile.
	explicitFile := true
	s.ConfigFile = first(f.ConfigFile, env.get("TEMPORAL_CONFIG_FILE"))
	if s.ConfigFile == "" {
		explicitFile = false
		s.ConfigFile = defaultConfigFile(env)
	}
	profile := first(f.Profile, env.get("TEMPORAL_PROFILE"))
	explicitProfile := profile != ""
	if !explicitProfile {
		profile = envconfig.DefaultConfigFileProfile
	}
	if s.ConfigFile != "" {
		if _, err := os.Stat(s.ConfigFile); err != nil {
			if !explicitFile && errors.Is(err, fs.ErrNotExist) {
				s.ConfigFile = ""
			} else {
				return Settings{}, fmt.Errorf("config file: %w", err)
			}
		}
	}
	var prof envconfig.ClientConfigProfile
	switch {
	case s.ConfigFile != "":
		conf, err := envconfig.LoadClientConfig(envconfig.LoadClientConfigOptions{
			ConfigFilePath: s.ConfigFile,
			EnvLookup:      env,
		})
		if err != nil {
			return Settings{}, fmt.Errorf("config file %s: %w", s.ConfigFile, err)
		}
		if p := conf.Profiles[profile]; p != nil {
			prof = *p
			s.Profile = profile
		} else if explicitProfile {
			return Settings{}, fmt.Errorf("config file %s has no profile %q", s.ConfigFile, profile)
		}
	case explicitProfile:
		return Settings{}, fmt.Errorf("profile %q: no config file (set --config-file or TEMPORAL_CONFIG_FILE)", profile)
	}
	if prof.Address != "" {
		s.AddressFrom = fmt.Sprintf("%s %q in %s", FromProfile, profile, s.ConfigFile)
	}

	// Environment variables, applied by envconfig itself.
	if err := prof.ApplyEnvVars(env); err != nil {
		return Settings{}, fmt.Errorf("environment: %w", err)
	}
	if env.get("TEMPORAL_ADDRESS") != "" {
		s.AddressFrom = FromEnv
	}

	// Flags.
	if f.Address != "" {
		prof.Address = f.Address
		s.AddressFrom = FromFlag
	}
	if f.Namespace != "" {
		prof.Namespace = f.Namespace
	}
	if prof.Namespace == "" {
		prof.Namespace = DefaultNamespace
	}
	if f.APIKey != "" {
		prof.APIKey = f.APIKey
	}
	applyTLSFlags(&prof, f)
	prof.Address = strings.ReplaceAll(prof.Address, namespaceTemplate, prof.Namespace)

	s.Embedded = prof.Address == ""
	if s.Embedded {
		s.AddressFrom = ""
		if prof.APIKey != "" || (prof.TLS != nil && !prof.TLS.Disabled) {
			return Settings{}, errors.New("an API key or TLS settings need a server address: set --address or TEMPORAL_ADDRESS, " +
				"or remove them to use the embedded server")
		}
	}
	opts, err := prof.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return Settings{}, fmt.Errorf("client settings: %w", err)
	}
	s.Options = opts
	return s, nil
}

// applyTLSFlags sets the TLS flags over the profile: any TLS flag turns TLS
// on (as in the temporal CLI), and --tls=false turns it off.
func applyTLSFlags(prof *envconfig.ClientConfigProfile, f Flags) {
	if f.TLS || f.TLSCertPath != "" || f.TLSKeyPath != "" || f.TLSCACertPath != "" ||
		f.TLSServerName != "" || f.TLSDisableHostVerification {
		if prof.TLS == nil {
			prof.TLS = &envconfig.ClientConfigTLS{}
		}
		prof.TLS.Disabled = false
		if f.TLSCertPath != "" {
			prof.TLS.ClientCertPath, prof.TLS.ClientCertData = f.TLSCertPath, nil
		}
		if f.TLSKeyPath != "" {
			prof.TLS.ClientKeyPath, prof.TLS.ClientKeyData = f.TLSKeyPath, nil
		}
		if f.TLSCACertPath != "" {
			prof.TLS.ServerCACertPath, prof.TLS.ServerCACertData = f.TLSCACertPath, nil
		}
		if f.TLSServerName != "" {
			prof.TLS.ServerName = f.TLSServerName
		}
		if f.TLSDisableHostVerification {
			prof.TLS.DisableHostVerification = true
		}
	}
	if f.tlsSet && !f.TLS {
		prof.TLS = &envconfig.ClientConfigTLS{Disabled: true}
	}
}

// defaultConfigFile is envconfig's default path, temporalio/temporal.toml in
// the user config directory, found the way os.UserConfigDir does but
// through env; "" when the directory is unknown.
func defaultConfigFile(env envLookup) string {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = env.get("AppData")
	case "darwin", "ios":
		if home := env.get("HOME"); home != "" {
			dir = filepath.Join(home, "Library", "Application Support")
		}
	case "plan9":
		if home := env.get("home"); home != "" {
			dir = filepath.Join(home, "lib")
		}
	default:
		dir = env.get("XDG_CONFIG_HOME")
		if !filepath.IsAbs(dir) {
			dir = ""
			if home := env.get("HOME"); home != "" {
				dir = filepath.Join(home, ".config")
			}
		}
	}
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "temporalio", "temporal.toml")
}

// envLookup adapts a lookup function to envconfig.EnvLookup. Empty values
// count as unset. Environ is empty: TEMPORAL_GRPC_META_* variables, which
// envconfig finds by listing the environment, are not read.
type envLookup struct {
	lookup func(string) (string, bool)
}

var _ envconfig.EnvLookup = envLookup{}

// LookupEnv returns the value of a variable that is set and not empty.
func (e envLookup) LookupEnv(key string) (string, bool) {
	if e.lookup == nil {
		return "", false
	}
	v, ok := e.lookup(key)
	if !ok || v == "" {
		return "", false
	}
	return v, true
}

// Environ returns nothing: a lookup function cannot list variables.
func (envLookup) Environ() []string { return nil }

func (e envLookup) get(key string) string {
	v, _ := e.LookupEnv(key)
	return v
}

// first returns the first non-empty string.
func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
