// Package connect resolves how dslrun reaches Temporal, following the
// conventions of the Temporal CLI and SDK rather than new ones.
//
// Settings come, lowest precedence first, from defaults, a Temporal config
// profile (TOML, loaded by go.temporal.io/sdk/contrib/envconfig, selected
// with --config-file/TEMPORAL_CONFIG_FILE and --profile/TEMPORAL_PROFILE),
// TEMPORAL_* environment variables and command-line flags named as in the
// temporal CLI. When no address is configured anywhere the settings say so
// (Settings.Embedded), and dslrun starts its embedded server instead.
//
// The environment is read only through a lookup function, so that the CLI
// can be run and tested in process.
package connect
