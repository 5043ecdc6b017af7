//go:build cluster

package clustertest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/common/resolver"
	serverschema "go.temporal.io/server/schema"
	pgschema "go.temporal.io/server/schema/postgresql/v12"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// The two databases of the Temporal server, as in Temporal's own
// PostgreSQL setup: the main store and the visibility store.
const (
	mainDB       = "temporal"
	visibilityDB = "temporal_visibility"
)

// clusterName is the name of the Temporal cluster (a single one).
const clusterName = "active"

// historyShards is the number of history shards: more than the embedded
// server's one, as a cluster has (small, for a test).
const historyShards = 4

// setupDatabases creates the main and visibility databases on pg and gives
// each its schema, the way `temporal-sql-tool create-database`,
// `setup-schema -v 0.0` and `update-schema -d .../versioned` do, with the
// versioned schema files embedded in the server module. It then registers
// namespace in the main database.
func setupDatabases(pg *pgCluster, namespace string) error {
	for _, db := range []struct{ name, schema, want string }{
		{mainDB, "postgresql/v12/temporal", pgschema.Version},
		{visibilityDB, "postgresql/v12/visibility", pgschema.VisibilityVersion},
	} {
		if err := createDatabase(pg, db.name); err != nil {
			return err
		}
		got, err := applySchema(pg.sqlConfig(db.name), db.schema)
		if err != nil {
			return fmt.Errorf("database %s: %w", db.name, err)
		}
		if got != db.want {
			return fmt.Errorf("database %s: schema version %s after the update, the server expects %s", db.name, got, db.want)
		}
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, nil)
	if err != nil {
		return err
	}
	ns.Detail.Config.Retention = durationpb.New(24 * time.Hour)
	// CreateNamespaces writes through the generic SQL store: it is not
	// specific to SQLite despite its package.
	if err := sqliteschema.CreateNamespaces(pg.sqlConfig(mainDB), ns); err != nil {
		return fmt.Errorf("register namespace %s: %w", namespace, err)
	}
	return nil
}

// createDatabase creates database name on pg.
func createDatabase(pg *pgCluster, name string) error {
	admin, err := newAdminDB(pg.sqlConfig("postgres"))
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close() }()
	if err := admin.CreateDatabase(name); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func newAdminDB(cfg *config.SQL) (sqlplugin.AdminDB, error) {
	db, err := sql.NewSQLAdminDB(sqlplugin.DbKindUnknown, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return nil, fmt.Errorf("connect to database %s: %w", cfg.DatabaseName, err)
	}
	return db, nil
}

// schemaManifest is a versioned schema folder's manifest.json.
type schemaManifest struct {
	CurrVersion          string
	MinCompatibleVersion string
	Description          string
	SchemaUpdateCqlFiles []string
}

// applySchema sets up the schema version tables at version 0.0 and applies
// every folder of dir/versioned (of the server module's embedded schema
// files) in version order, recording each version as Temporal's schema
// tool does. It returns the version reached.
func applySchema(cfg *config.SQL, dir string) (string, error) {
	db, err := newAdminDB(cfg)
	if err != nil {
		return "", err
	}
	defer func() { _ = db.Close() }()
	if err := db.CreateSchemaVersionTables(); err != nil {
		return "", fmt.Errorf("create schema version tables: %w", err)
	}
	version := "0.0"
	if err := db.UpdateSchemaVersion(cfg.DatabaseName, version, version); err != nil {
		return "", err
	}
	if err := db.WriteSchemaUpdateLog("0", version, "", "initial version"); err != nil {
		return "", err
	}
	assets := serverschema.Assets()
	versioned := path.Join(dir, "versioned")
	entries, err := fs.ReadDir(assets, versioned)
	if err != nil {
		return "", err
	}
	var dirs []string
	for _, e := range entries {
		if _, ok := parseVersion(e.Name()); e.IsDir() && ok {
			dirs = append(dirs, e.Name())
		}
	}
	sort.Slice(dirs, func(i, j int) bool {
		a, _ := parseVersion(dirs[i])
		b, _ := parseVersion(dirs[j])
		return a[0] < b[0] || a[0] == b[0] && a[1] < b[1]
	})
	if len(dirs) == 0 {
		return "", fmt.Errorf("no versioned schema folders in %s", versioned)
	}
	for _, d := range dirs {
		blob, err := fs.ReadFile(assets, path.Join(versioned, d, "manifest.json"))
		if err != nil {
			return "", err
		}
		var m schemaManifest
		if err := json.Unmarshal(blob, &m); err != nil {
			return "", fmt.Errorf("%s/%s/manifest.json: %w", versioned, d, err)
		}
		if "v"+m.CurrVersion != d {
			return "", fmt.Errorf("%s/%s: manifest says version %s", versioned, d, m.CurrVersion)
		}
		for _, file := range m.SchemaUpdateCqlFiles {
			sqlText, err := fs.ReadFile(assets, path.Join(versioned, d, file))
			if err != nil {
				return "", err
			}
			stmts, err := persistence.LoadAndSplitQueryFromReaders([]io.Reader{bytes.NewReader(sqlText)})
			if err != nil {
				return "", fmt.Errorf("%s/%s/%s: %w", versioned, d, file, err)
			}
			for _, stmt := range stmts {
				if err := db.Exec(stmt); err != nil {
					return "", fmt.Errorf("%s/%s/%s: %w", versioned, d, file, err)
				}
			}
		}
		if err := db.UpdateSchemaVersion(cfg.DatabaseName, m.CurrVersion, m.MinCompatibleVersion); err != nil {
			return "", err
		}
		// The update log keeps the manifest's MD5, as the schema tool writes it.
		sum := md5.Sum(blob)
		if err := db.WriteSchemaUpdateLog(version, m.CurrVersion, hex.EncodeToString(sum[:]), m.Description); err != nil {
			return "", err
		}
		version = m.CurrVersion
	}
	return db.ReadSchemaVersion(cfg.DatabaseName)
}

// parseVersion reads a folder name vMAJOR.MINOR.
func parseVersion(name string) ([2]int, bool) {
	major, minor, ok := strings.Cut(strings.TrimPrefix(name, "v"), ".")
	if !ok || !strings.HasPrefix(name, "v") {
		return [2]int{}, false
	}
	a, err1 := strconv.Atoi(major)
	b, err2 := strconv.Atoi(minor)
	return [2]int{a, b}, err1 == nil && err2 == nil
}

// temporalServer is a started Temporal server on PostgreSQL.
type temporalServer struct {
	// Frontend is the host:port of the gRPC frontend.
	Frontend string
	srv      temporal.Server
	log      *os.File
}

// startTemporal assembles and starts a single-host Temporal server with its
// four services on free loopback ports, its main store and visibility in
// the two databases of pg, and dynamic config at its defaults (but the
// version check, which would call home). Its logs (warn and above) go to
// logPath. It returns once the frontend reports SERVING.
func startTemporal(ctx context.Context, pg *pgCluster, logPath string) (*temporalServer, error) {
	const ip = "127.0.0.1"
	var ports [4]int
	var listeners []net.Listener
	for i := range ports {
		l, err := net.Listen("tcp", ip+":0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range listeners {
		_ = l.Close()
	}
	addr := func(port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }
	service := func(port int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: ip}}
	}
	frontend, history, matching, worker := ports[0], ports[1], ports[2], ports[3]

	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	core := zapcore.NewCore(zapcore.NewJSONEncoder(log.DefaultZapEncoderConfig), zapcore.Lock(logFile), zapcore.WarnLevel)
	logger := log.NewZapLogger(zap.New(core, zap.WithFatalHook(zapcore.WriteThenPanic)))

	cfg := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: ip},
		},
		Persistence: config.Persistence{
			DefaultStore:     "postgres-default",
			VisibilityStore:  "postgres-visibility",
			NumHistoryShards: historyShards,
			DataStores: map[string]config.DataStore{
				"postgres-default":    {SQL: pg.sqlConfig(mainDB)},
				"postgres-visibility": {SQL: pg.sqlConfig(visibilityDB)},
			},
		},
		ClusterMetadata: &cluster.Config{
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: addr(frontend)},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			string(primitives.FrontendService): service(frontend),
			string(primitives.HistoryService):  service(history),
			string(primitives.MatchingService): service(matching),
			string(primitives.WorkerService):   service(worker),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		PublicClient: config.PublicClient{HostPort: addr(frontend)},
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: static.SingleLocalHost(addr(frontend)),
			primitives.HistoryService:  static.SingleLocalHost(addr(history)),
			primitives.MatchingService: static.SingleLocalHost(addr(matching)),
			primitives.WorkerService:   static.SingleLocalHost(addr(worker)),
		}),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper {
			return authorization.NewNoopClaimMapper()
		}),
		temporal.WithCustomMetricsHandler(metrics.NoopMetricsHandler),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			dynamicconfig.EnableServerVersionCheck.Key(): false,
		}),
	)
	if err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("assemble temporal server: %w", err)
	}
	if err := startServer(srv); err != nil {
		_ = logFile.Close()
		return nil, err
	}
	s := &temporalServer{Frontend: addr(frontend), srv: srv, log: logFile}
	if err := waitServing(ctx, s.Frontend); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

// Stop stops the server and closes its log.
func (s *temporalServer) Stop() error {
	err := s.srv.Stop()
	return errors.Join(err, s.log.Close())
}

// startServer starts srv, turning a panic of its fatal logger (a port
// taken between choosing and binding it, a schema the server refuses) into
// an error.
func startServer(srv temporal.Server) (err error) {
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

// waitServing waits until the frontend's workflow service reports SERVING
// on the gRPC health check.
func waitServing(ctx context.Context, addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	health := healthpb.NewHealthClient(conn)
	for {
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: "temporal.api.workflowservice.v1.WorkflowService"})
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("frontend %s not serving: %w (last: %v, %v)", addr, ctx.Err(), resp.GetStatus(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
