package devserver

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

// newTemporalServer assembles (without starting) a single-node server: the
// four services (three when ephemeral) on their own loopback ports, static
// membership (no gossip ring), one history shard and SQLite for both stores.
func newTemporalServer(opts Options, p ports, store *config.SQL, logger log.Logger, st *serverTLS) (temporal.Server, error) {
	addr := func(port int) string { return net.JoinHostPort(opts.IP, strconv.Itoa(port)) }
	service := func(port int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: opts.IP}}
	}
	const storeName = "sqlite-default"
	cfg := &config.Config{
		Global: config.Global{
			Membership: config.Membership{
				MaxJoinDuration:  30 * time.Second,
				BroadcastAddress: opts.IP,
			},
		},
		Persistence: config.Persistence{
			DefaultStore:     storeName,
			VisibilityStore:  storeName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{storeName: {SQL: store}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {
					Enabled:                true,
					InitialFailoverVersion: 1,
					RPCAddress:             addr(p.frontend),
				},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			string(primitives.FrontendService): service(p.frontend),
			string(primitives.HistoryService):  service(p.history),
			string(primitives.MatchingService): service(p.matching),
			string(primitives.WorkerService):   service(p.worker),
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
		PublicClient: config.PublicClient{HostPort: addr(p.frontend)},
	}
	services := temporal.DefaultServices
	if opts.Ephemeral {
		services = []string{
			string(primitives.FrontendService),
			string(primitives.HistoryService),
			string(primitives.MatchingService),
		}
	}
	serverOpts := []temporal.ServerOption{
		temporal.WithConfig(cfg),
		temporal.ForServices(services),
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: static.SingleLocalHost(addr(p.frontend)),
			primitives.HistoryService:  static.SingleLocalHost(addr(p.history)),
			primitives.MatchingService: static.SingleLocalHost(addr(p.matching)),
			primitives.WorkerService:   static.SingleLocalHost(addr(p.worker)),
		}),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper {
			return authorization.NewNoopClaimMapper()
		}),
		temporal.WithCustomMetricsHandler(metrics.NoopMetricsHandler),
		temporal.WithDynamicConfigClient(dynamicConfig(opts.Ephemeral, opts.DynamicConfig)),
	}
	if st != nil {
		serverOpts = append(serverOpts, temporal.WithTLSConfigFactory(tlsProvider{st}))
	}
	srv, err := temporal.NewServer(serverOpts...)
	if err != nil {
		return nil, fmt.Errorf("assemble temporal server: %w", err)
	}
	return srv, nil
}

// ephemeralTaskWorkers is the number of goroutines of each task scheduler
// of the history service of an ephemeral server.
const ephemeralTaskWorkers = 16

// dynamicConfig returns the dynamic config of a development server (of an
// ephemeral one when ephemeral is true), with overrides (keys as in a
// dynamic config file) applied last.
//
// Updates, update-with-start (ExecuteMultiOperation, which has no switch in
// this server version) and eager workflow start are on by default in
// v1.32; they are set here anyway so that a change of default upstream does
// not silently take away features dslrun relies on.
func dynamicConfig(ephemeral bool, overrides map[string]any) dynamicconfig.StaticClient {
	dc := dynamicconfig.StaticClient{
		// No calls home from a user's machine.
		dynamicconfig.EnableServerVersionCheck.Key(): false,
		// Workflow updates, including waiting for the Accepted stage.
		dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key():              true,
		dynamicconfig.FrontendEnableUpdateWorkflowExecutionAsyncAccepted.Key(): true,
		dynamicconfig.EnableEagerWorkflowStart.Key():                           true,
		// Schedules, which `apply` reconciles.
		dynamicconfig.FrontendEnableSchedules.Key(): true,
		// The Web UI and `workflow list` poll visibility more often than the
		// production default of 10 requests a second allows.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// A smaller mutable-state cache than a production host's 128k
		// entries keeps the memory of a long `dslrun dev` session down.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8192,
	}
	if ephemeral {
		// No worker service runs the parent-close-policy system workflow:
		// history closes the children itself, however many.
		dc[dynamicconfig.EnableParentClosePolicyWorker.Key()] = false
		// Partitions spread a task queue over matching hosts; with one
		// host they only multiply the task queues to load and lease. The
		// count may not change under a database that holds tasks (those
		// of other partitions would be stranded), so only an in-memory
		// database has one.
		dc[dynamicconfig.MatchingNumTaskqueueReadPartitions.Key()] = 1
		dc[dynamicconfig.MatchingNumTaskqueueWritePartitions.Key()] = 1
		// The history service starts 512 goroutines for each of its task
		// queues (transfer, timer, visibility) and 64 for in-memory
		// timers, a cost at every start; SQLite in memory runs one
		// statement at a time whatever their number.
		for _, k := range []dynamicconfig.Key{
			dynamicconfig.TransferProcessorSchedulerWorkerCount.Key(),
			dynamicconfig.TimerProcessorSchedulerWorkerCount.Key(),
			dynamicconfig.VisibilityProcessorSchedulerWorkerCount.Key(),
			dynamicconfig.MemoryTimerProcessorSchedulerWorkerCount.Key(),
		} {
			dc[k] = ephemeralTaskWorkers
		}
	}
	for k, v := range overrides {
		dc[dynamicconfig.MakeKey(k)] = v
	}
	return dc
}
