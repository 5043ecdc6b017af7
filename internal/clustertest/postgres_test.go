//go:build cluster

package clustertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/common/resolver"
)

// pgUser is the superuser of the throwaway cluster (trust authentication on
// loopback only).
const pgUser = "temporal"

// pgStopTimeout bounds a fast shutdown of postgres before its process group
// is killed.
const pgStopTimeout = 30 * time.Second

// postgresBinDir returns the folder of initdb and postgres: $DSLRUN_PG_BIN,
// else the newest /usr/lib/postgresql/N/bin (Debian's layout), else the
// folder of initdb found on PATH.
func postgresBinDir() (string, error) {
	if dir := os.Getenv("DSLRUN_PG_BIN"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err != nil {
			return "", fmt.Errorf("DSLRUN_PG_BIN=%s: %w", dir, err)
		}
		return dir, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(found, func(i, j int) bool { return pgMajor(found[i]) > pgMajor(found[j]) })
	for _, initdb := range found {
		if _, err := os.Stat(filepath.Join(filepath.Dir(initdb), "postgres")); err == nil {
			return filepath.Dir(initdb), nil
		}
	}
	if initdb, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(initdb), nil
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, postgres) in /usr/lib/postgresql/*/bin or on PATH")
}

// pgMajor is the major version in a path /usr/lib/postgresql/N/bin/initdb.
func pgMajor(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// requirePostgres returns the PostgreSQL binaries folder. Without one the
// test fails under CI (CI set to anything but false or 0: .ci/run installs
// the package, so a missing one is a broken machine) and is skipped
// elsewhere.
func requirePostgres(t *testing.T) string {
	t.Helper()
	dir, err := postgresBinDir()
	if err == nil {
		return dir
	}
	msg := fmt.Sprintf("%v: install Debian's postgresql package (apt-get install -y postgresql, as .ci/run does) or set DSLRUN_PG_BIN to the folder of initdb", err)
	if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// pgCluster is a running throwaway PostgreSQL cluster.
type pgCluster struct {
	// Addr is the loopback host:port of the server.
	Addr string
	// Log is the server's log file.
	Log string

	cmd  *exec.Cmd
	done chan struct{} // closed when the postmaster has exited
	err  error         // its exit status, once done is closed
}

// startPostgres creates a cluster in a new folder under dir (initdb, trust
// authentication, fsync off: its data is thrown away) and starts postgres on
// a free loopback port, with its unix socket in that folder. The server runs
// in a process group of its own and receives SIGKILL if the test process
// dies; a cleanup of t stops it (fast shutdown, then SIGKILL of the group).
// As root, the cluster belongs to the postgres user (or nobody), since
// postgres refuses to run as root.
func startPostgres(ctx context.Context, t *testing.T, binDir, dir string) (*pgCluster, error) {
	cred, uid, gid, err := pgCredential()
	if err != nil {
		return nil, err
	}
	if cred != nil {
		// The postgres user must be able to reach its folder inside dir.
		if err := os.Chmod(dir, 0o711); err != nil {
			return nil, err
		}
	}
	base := filepath.Join(dir, "postgres")
	data := filepath.Join(base, "data")
	sock := filepath.Join(base, "sock")
	for _, d := range []string{base, sock} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
		if cred != nil {
			if err := os.Chown(d, uid, gid); err != nil {
				return nil, fmt.Errorf("hand %s to the postgres user: %w", d, err)
			}
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"),
		"-D", data, "-U", pgUser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	initdb.Dir = base // a folder the postgres user can read, whatever the test's is
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	pg := &pgCluster{
		Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Log:  filepath.Join(dir, "postgres.log"),
		done: make(chan struct{}),
	}
	logFile, err := os.Create(pg.Log)
	if err != nil {
		return nil, err
	}
	defer func() { _ = logFile.Close() }()
	// The postmaster is started directly, not through pg_ctl start: pg_ctl
	// daemonises it, so a test process that dies would leave it running,
	// while a child of ours gets SIGKILL (Pdeathsig) and is waited for.
	pg.cmd = exec.Command(filepath.Join(binDir, "postgres"),
		"-D", data,
		"-p", strconv.Itoa(port),
		"-k", sock,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=300",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
	)
	pg.cmd.Dir = base
	pg.cmd.Stdout, pg.cmd.Stderr = logFile, logFile
	pg.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := pg.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	go func() {
		pg.err = pg.cmd.Wait()
		close(pg.done)
	}()
	t.Cleanup(func() {
		if err := pg.stop(); err != nil {
			t.Errorf("stop postgres: %v", err)
		}
	})
	if err := pg.waitReady(ctx); err != nil {
		return nil, err
	}
	return pg, nil
}

// pgCredential is the user postgres runs as: nil (this process's) unless
// this process is root, then postgres, else nobody.
func pgCredential() (cred *syscall.Credential, uid, gid int, err error) {
	if os.Geteuid() != 0 {
		return nil, 0, 0, nil
	}
	var u *user.User
	for _, name := range []string{"postgres", "nobody"} {
		if u, err = user.Lookup(name); err == nil {
			break
		}
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("running as root and no postgres or nobody user to run postgres as: %w", err)
	}
	if uid, err = strconv.Atoi(u.Uid); err != nil {
		return nil, 0, 0, fmt.Errorf("uid of %s: %w", u.Username, err)
	}
	if gid, err = strconv.Atoi(u.Gid); err != nil {
		return nil, 0, 0, fmt.Errorf("gid of %s: %w", u.Username, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid, gid, nil
}

// waitReady waits until the server accepts a connection as pgUser, or has
// exited.
func (pg *pgCluster) waitReady(ctx context.Context) error {
	cfg := pg.sqlConfig("postgres")
	for {
		db, err := sql.NewSQLAdminDB(sqlplugin.DbKindUnknown, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
		if err == nil {
			err = db.Exec("SELECT 1")
			_ = db.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case <-pg.done:
			return fmt.Errorf("postgres exited before accepting connections (%v); its log:\n%s", pg.err, tail(pg.Log, 2000))
		case <-ctx.Done():
			return fmt.Errorf("postgres on %s not ready: %w (last error: %w)", pg.Addr, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// sqlConfig is Temporal's connection to database db of the cluster.
func (pg *pgCluster) sqlConfig(db string) *config.SQL {
	return &config.SQL{
		PluginName:      postgresql.PluginName,
		User:            pgUser,
		DatabaseName:    db,
		ConnectAddr:     pg.Addr,
		ConnectProtocol: "tcp",
		MaxConns:        20,
		MaxIdleConns:    20,
	}
}

// stop shuts the server down (SIGINT: fast shutdown, which ends every
// backend) and, if it has not exited within pgStopTimeout, kills its
// backends (each in a session of its own: postgres makes them so) and its
// process group.
func (pg *pgCluster) stop() error {
	pid := pg.cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGINT)
	var err error
	select {
	case <-pg.done:
	case <-time.After(pgStopTimeout):
		err = fmt.Errorf("postgres did not stop within %s of SIGINT: killed", pgStopTimeout)
		for _, p := range procStats() {
			if p.ppid == pid {
				_ = syscall.Kill(p.pid, syscall.SIGKILL)
			}
		}
	}
	// Whatever is left of the group (nothing after a clean shutdown).
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-pg.done
	return err
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last n bytes of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}
