package devserver

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/server/common/config"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"google.golang.org/protobuf/types/known/durationpb"
)

// clusterName is the name of the one cluster of an embedded server.
const clusterName = "active"

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// database is the SQLite store of one server.
type database struct {
	sql    *config.SQL
	unlock func() error
}

// absDBPath returns path made absolute, refusing the characters that would
// change the meaning of the SQLite URI the server builds from it.
func absDBPath(path string) (string, error) {
	if strings.ContainsAny(path, "?#%") {
		return "", fmt.Errorf("database file %q: the name must not contain '?', '#' or '%%'", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("database file %q: %w", path, err)
	}
	return abs, nil
}

// openDatabase prepares the SQLite store: a private in-memory database, or a
// file that is locked for this server, given the schema when it is new, and
// then the namespace (a no-op when the namespace exists).
func openDatabase(opts Options) (db database, err error) {
	if opts.DBFile == "" {
		db.sql, err = memoryConfig()
		if err != nil {
			return db, err
		}
	} else {
		var fresh bool
		db.sql, db.unlock, fresh, err = fileConfig(opts.DBFile)
		if err != nil {
			return db, err
		}
		defer func() {
			if err != nil {
				err = errors.Join(err, db.unlock())
			}
		}()
		if fresh {
			if err := sqliteschema.SetupSchema(db.sql); err != nil {
				return db, fmt.Errorf("database file %s: set up schema: %w", opts.DBFile, err)
			}
		}
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return db, fmt.Errorf("namespace %q: %w", opts.Namespace, err)
	}
	ns.Detail.Config.Retention = durationpb.New(opts.Retention)
	if err := sqliteschema.CreateNamespaces(db.sql, ns); err != nil {
		return db, fmt.Errorf("register namespace %q: %w", opts.Namespace, err)
	}
	return db, nil
}

// memoryConfig is a shared-cache in-memory database with a name of its own,
// so that two servers in one process never share a store.
func memoryConfig() (*config.SQL, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("name in-memory database: %w", err)
	}
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: "dslrun-" + hex.EncodeToString(b[:]),
		ConnectAttributes: map[string]string{
			"mode":  "memory",
			"cache": "shared",
		},
	}, nil
}

// fileConfig opens (creating when missing) and locks the database file, and
// reports whether it is new: empty, so it needs the schema. A file that is
// not empty must be a SQLite database.
func fileConfig(path string) (cfg *config.SQL, unlock func() error, fresh bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, false, fmt.Errorf("database file: %w", err)
	}
	if err := lockFile(f); err != nil {
		_ = f.Close()
		return nil, nil, false, fmt.Errorf("database file %s is in use by another server: %w", path, err)
	}
	unlock = func() error {
		unlockErr := unlockFile(f)
		if err := f.Close(); err != nil {
			return fmt.Errorf("close database file lock: %w", err)
		}
		if unlockErr != nil {
			return fmt.Errorf("unlock database file: %w", unlockErr)
		}
		return nil
	}
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		// Empty: new, unless a write-ahead log holds pages not yet
		// checkpointed into it, which SQLite recovers on open.
		fresh = !nonEmpty(path + "-wal")
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return nil, nil, false, errors.Join(fmt.Errorf("database file %s: %w", path, err), unlock())
	case !bytes.Equal(head[:n], sqliteHeader):
		return nil, nil, false, errors.Join(fmt.Errorf("database file %s is not a SQLite database", path), unlock())
	}
	cfg = &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: path,
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
			"busy_timeout": "5000",
		},
	}
	return cfg, unlock, fresh, nil
}

// nonEmpty reports whether path is a file with content.
func nonEmpty(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Size() > 0
}
