// Package devserver runs a real Temporal server inside the process, built from the
// server's own Go packages, with SQLite file persistence under a data folder, so
// the whole system runs on one machine and keeps its workflows across restarts.
// Only the binary links this package (and the end-to-end tests, which link a
// Temporal server anyway).
package devserver

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"

	"github.com/clinicflow/rcm/internal/datadir"
)

// Options configure the embedded server.
type Options struct {
	// DataDir holds temporal.db.
	DataDir string
	// Namespace is created on first start.
	Namespace string
	// FrontendPort is the gRPC port standard Temporal tools connect to.
	FrontendPort int
	// SearchAttributes are registered in the namespace on first start.
	SearchAttributes map[string]enumspb.IndexedValueType
	// LogLevel of the server's own logs (they are verbose; "warn" by default).
	LogLevel string
}

// Server is a running embedded Temporal server.
type Server struct {
	srv      temporal.Server
	hostPort string
}

// Start creates the database file and namespace when absent and starts the server.
func Start(o Options) (*Server, error) {
	if o.LogLevel == "" {
		o.LogLevel = "warn"
	}
	if err := datadir.SecureDir(o.DataDir); err != nil {
		return nil, fmt.Errorf("temporal data dir: %w", err)
	}
	dbPath := filepath.Join(o.DataDir, "temporal.db")
	sqlCfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		DatabaseName:      dbPath,
		ConnectAttributes: connectAttributes(),
	}
	if _, err := os.Stat(dbPath); os.IsNotExist(err) {
		// Created empty and owner-only before SQLite opens it: SQLite gives its
		// -wal and -shm files the database file's permissions.
		if err := os.WriteFile(dbPath, nil, 0o600); err != nil {
			return nil, fmt.Errorf("create %s: %w", dbPath, err)
		}
		if err := sqlite.SetupSchema(sqlCfg); err != nil {
			_ = os.Remove(dbPath) // set up again at the next start
			return nil, fmt.Errorf("set up Temporal schema in %s: %w", dbPath, err)
		}
	}
	ns, err := sqlite.NewNamespaceConfig("active", o.Namespace, false, o.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("namespace config: %w", err)
	}
	if err := sqlite.CreateNamespaces(sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", o.Namespace, err)
	}

	if err := forgetMembers(dbPath); err != nil {
		return nil, err
	}
	ports, err := freePorts(7)
	if err != nil {
		return nil, err
	}
	host := "127.0.0.1"
	hostPort := net.JoinHostPort(host, strconv.Itoa(o.FrontendPort))
	svc := func(grpc, membership int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpc, MembershipPort: membership, BindOnIP: host}}
	}
	cfg := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: host},
		},
		Persistence: config.Persistence{
			DefaultStore: sqliteplugin.PluginName, VisibilityStore: sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace: false, FailoverVersionIncrement: 10,
			MasterClusterName: "active", CurrentClusterName: "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: hostPort},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": svc(o.FrontendPort, ports[0]),
			"history":  svc(ports[1], ports[2]),
			"matching": svc(ports[3], ports[4]),
			"worker":   svc(ports[5], ports[6]),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: hostPort},
	}
	logger := log.NewZapLogger(log.BuildZapLogger(log.Config{Stdout: true, Level: o.LogLevel}))
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dynamicConfig()),
	)
	if err != nil {
		return nil, fmt.Errorf("create Temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start Temporal server (is port %d free? set TEMPORAL_PORT): %w", o.FrontendPort, err)
	}
	return &Server{srv: srv, hostPort: hostPort}, nil
}

// forgetMembers deletes the cluster membership a previous run of this server
// left in temporal.db. This process is the only server on its data folder, so
// every member recorded is gone; but a member that heartbeated in the last 20
// seconds (a process killed with kill -9 moments ago) is taken as a seed, and
// the new server spent its whole join timeout trying to reach it, answering
// "Not enough hosts to serve the request" for 40-50 seconds after each crash.
// (The sqlite plugin registers modernc's "sqlite" driver.)
func forgetMembers(dbPath string) error {
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		return fmt.Errorf("open %s: %w", dbPath, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the pragma holds for the one connection
	if _, err := db.Exec(`PRAGMA busy_timeout = 10000`); err != nil {
		return fmt.Errorf("forget old cluster members in %s: %w", dbPath, err)
	}
	if _, err := db.Exec(`DELETE FROM cluster_membership`); err != nil {
		return fmt.Errorf("forget old cluster members in %s: %w", dbPath, err)
	}
	return nil
}

// connectAttributes are the SQLite settings of temporal.db. The plugin passes every
// attribute that is not a URI parameter as a PRAGMA, by its exact name: an
// unknown name such as "_journal_mode" (go-sqlite3's DSN spelling) is ignored by
// SQLite without a word, which left the file in rollback-journal mode with a
// full fsync per commit. WAL with synchronous=normal syncs at checkpoints only:
// a power cut may lose the last transactions, never corrupt the file, which is
// the right trade for a development server. The busy timeout covers the
// checkpointer and tools that open the file while the server runs.
func connectAttributes() map[string]string {
	return map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "normal", "busy_timeout": "10000"}
}

// dynamicConfig tunes the server for one process on one machine. A task queue
// has one partition instead of four: with a single worker, a task written to a
// partition no poller waits on is forwarded to the root partition first, which
// cost every workflow and activity task a hop. A workflow task that failed or
// timed out a few times gets a longer timeout on each retry (up to ten minutes
// by default, against a hot loop on a cluster); here the worker dies with the
// server, so a workflow whose task a kill -9 interrupted three times waited
// minutes for that timeout after the next start (make chaos saw 4 minutes).
// Ten seconds still slows a hot loop.
//
// The history service reads each shard's task queues (transfer: workflow and
// activity tasks to dispatch, child starts, signals to other workflows; timer;
// visibility) at most maxPollRPS times a second, 20 by default: on a cluster of
// hundreds of shards that bounds the load on the database, but this server has
// one shard, so every hop of every workflow (an update's workflow task, a
// child's start, a signal) waited up to 50 ms for the next read, about 50 ms a
// workflow task under load (seen in workflow histories: WorkflowTaskScheduled
// to WorkflowTaskStarted). A read loads every task due, so the limit only adds
// latency here. Search attributes are read from the server's cache: they are
// registered with the namespace before the server starts, so forcing a read
// from temporal.db on every use (the setting the CLI's dev server turns on
// for attributes added while it runs) only queued more reads on its one
// SQLite connection.
//
// The history service saves how far each of those queues got (and deletes the
// tasks done) every 30 seconds by default; a kill -9 loses what it did since.
// make chaos kills the process every 4 to 12 seconds, so the queues never
// saved: every start read and checked again every task since the first
// (11,000 transfer tasks after 60 kills), and new tasks waited behind them, in
// the end for good (127 inbound files whose child workflows never started).
// Here a save is one small write: every second.
func dynamicConfig() dynamicconfig.StaticClient {
	one := []dynamicconfig.ConstrainedValue{{Value: 1}}
	pollRPS := []dynamicconfig.ConstrainedValue{{Value: queueReadsPerSecond}}
	save := []dynamicconfig.ConstrainedValue{{Value: queueSaveInterval}}
	return dynamicconfig.StaticClient{
		dynamicconfig.TransferProcessorMaxPollRPS.Key():          pollRPS,
		dynamicconfig.TimerProcessorMaxPollRPS.Key():             pollRPS,
		dynamicconfig.VisibilityProcessorMaxPollRPS.Key():        pollRPS,
		dynamicconfig.OutboundProcessorMaxPollRPS.Key():          pollRPS,
		dynamicconfig.TransferProcessorUpdateAckInterval.Key():   save,
		dynamicconfig.TimerProcessorUpdateAckInterval.Key():      save,
		dynamicconfig.VisibilityProcessorUpdateAckInterval.Key(): save,
		dynamicconfig.OutboundProcessorUpdateAckInterval.Key():   save,
		dynamicconfig.WorkflowTaskRetryMaxInterval.Key():         []dynamicconfig.ConstrainedValue{{Value: 10 * time.Second}},
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():   one,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key():  one,
	}
}

// queueReadsPerSecond is how often the one history shard may read each of its
// task queues (history.*ProcessorMaxPollRPS).
const queueReadsPerSecond = 2000

// queueSaveInterval is how often the history shard saves how far each task
// queue got and deletes the tasks done (history.*ProcessorUpdateAckInterval).
const queueSaveInterval = time.Second

// HostPort is where clients connect.
func (s *Server) HostPort() string { return s.hostPort }

// Stop shuts the server down.
func (s *Server) Stop() error { return s.srv.Stop() }

// freePorts asks the kernel for n distinct free ports on loopback.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
