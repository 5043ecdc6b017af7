package dslruncmd

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPrivateFileModes (issue 11, case 5): the state folder dev creates
// for its database is 0700 and a --log-file is created 0600, like the
// database file itself; they were 0755 and 0644.
func TestPrivateFileModes(t *testing.T) {
	home := t.TempDir()
	env := func(k string) (string, bool) {
		if k == "XDG_STATE_HOME" {
			return filepath.Join(home, "state"), true
		}
		return "", false
	}
	db, err := devDBFile(&devOptions{Options: &Options{LookupEnv: env}})
	if err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(home, "logs", "dslrun.log")
	_, closeLog, err := openLog(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := closeLog(); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		filepath.Dir(db):      0o700 | os.ModeDir,
		filepath.Dir(logFile): 0o700 | os.ModeDir,
		logFile:               0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
		}
	}
}
