// Command rcm is the revenue-cycle system: one binary whose subcommands run the
// whole system on an embedded Temporal server (dev), or its parts against a
// Temporal cluster (api, worker), and administer it (migrate, user, edi).
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/api"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/codec"
	"github.com/clinicflow/rcm/internal/config"
	"github.com/clinicflow/rcm/internal/datadir"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/devserver"
	"github.com/clinicflow/rcm/internal/metrics"
	"github.com/clinicflow/rcm/internal/phirotate"
	"github.com/clinicflow/rcm/internal/tclient"
	"github.com/clinicflow/rcm/internal/tracing"
	"github.com/clinicflow/rcm/internal/x12"
	"github.com/clinicflow/rcm/migrations"
	"github.com/clinicflow/rcm/worker"
	"github.com/clinicflow/rcm/workflows/contract"
)

const usage = `rcm: case-based revenue-cycle system

Usage:
  rcm dev                      everything in one process on an embedded Temporal server
  rcm dev --demo               the same, with the demo clinic seeded and its simulated day running
  rcm api                      the HTTP API (needs TEMPORAL_ADDRESS)
  rcm worker                   the Temporal worker (needs TEMPORAL_ADDRESS)
  rcm migrate up|down|status   manage the database schema
  rcm user create --email E --name N --role R
                               create a user and print an API token
  rcm user token --email E     issue another API token for a user
  rcm audit verify             recompute the audit log's hash chain; exits 1 when broken
  rcm phi rotate [--batch N] [--rehash]
                               seal every PHI column under the current PHI key
                               (also legacy plain rows; encrypt-existing is the same)
  rcm phi status               count rows not yet under the current PHI key
  rcm edi parse FILE           print an X12 file (835, 837P, 999, 277CA, 277) as JSON

Configuration is read from the environment; see README.md.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "dev":
		err = runDev(ctx, os.Args[2:])
	case "api":
		err = runAPI(ctx)
	case "worker":
		err = runWorker(ctx)
	case "migrate":
		err = runMigrate(ctx, os.Args[2:])
	case "user":
		err = runUser(ctx, os.Args[2:])
	case "audit":
		err = runAudit(ctx, os.Args[2:])
	case "phi":
		err = runPHI(ctx, os.Args[2:])
	case "edi":
		err = runEDI(os.Args[2:])
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "rcm: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rcm:", err)
		os.Exit(1)
	}
}

func newLogger(cfg config.Config, text bool) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if text {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

// openDB creates the database if needed, connects and applies migrations.
func openDB(ctx context.Context, cfg config.Config, logger *slog.Logger) (*gorm.DB, error) {
	if err := db.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return nil, fmt.Errorf("%w\nIs PostgreSQL running? Set DATABASE_URL to point at it", err)
	}
	owner, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.SQL(owner).Close() }()
	if err := migrations.Up(ctx, db.SQL(owner)); err != nil {
		return nil, err
	}
	g, err := openApp(ctx, cfg)
	if err != nil {
		return nil, err
	}
	logger.Info("database ready", "database", db.Redact(cfg.DatabaseURL), "role", cmp.Or(cfg.DatabaseRole, "(login user)"))
	return g, nil
}

// openApp connects as the application: sessions act as DATABASE_ROLE.
func openApp(ctx context.Context, cfg config.Config) (*gorm.DB, error) {
	dsn, err := db.WithRole(cfg.DatabaseURL, cfg.DatabaseRole)
	if err != nil {
		return nil, err
	}
	return db.Open(ctx, dsn)
}

// devKey returns ENCRYPTION_KEY, or in dev a key generated once and kept in DATA_DIR.
func devKey(cfg config.Config) ([]byte, error) {
	if cfg.EncryptionKey != nil {
		return cfg.EncryptionKey, nil
	}
	return dataKey(cfg.DataDir, "encryption.key", "ENCRYPTION_KEY", true)
}

func runDev(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	withDemo := fs.Bool("demo", false, "seed the demo clinic and keep its simulated clinic day running (see README, Demo clinic)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *withDemo {
		setDemoEnv()
	}
	cfg, err := config.FromOS()
	if err != nil {
		return err
	}
	logger := newLogger(cfg, true)
	stopTracing, err := startTracing(ctx, cfg, "rcm-dev", logger)
	if err != nil {
		return err
	}
	defer stopTracing()
	servePprof(ctx, logger)
	// DATA_DIR holds keys, the admin token and temporal.db: owner only.
	if err := datadir.SecureDir(cfg.DataDir); err != nil {
		return err
	}
	key, err := devKey(cfg)
	if err != nil {
		return err
	}
	phiKeys, err := installPHI(&cfg, key, true, true)
	if err != nil {
		return err
	}
	g, err := openDB(ctx, cfg, logger)
	if err != nil {
		return err
	}
	rotated, err := rotatePHI(ctx, cfg, phirotate.Options{})
	if err != nil {
		return fmt.Errorf("seal PHI under key %s: %w", phiKeys.CurrentID(), err)
	}
	logRotation(logger, rotated)
	hostPort := cfg.TemporalAddress
	if hostPort == "" {
		srv, err := devserver.Start(devserver.Options{
			DataDir: filepath.Join(cfg.DataDir, "temporal"), Namespace: cfg.TemporalNamespace,
			FrontendPort: cfg.TemporalPort, SearchAttributes: contract.SearchAttributes,
		})
		if err != nil {
			return err
		}
		defer func() { _ = srv.Stop() }()
		if err := datadir.SecureDir(cfg.DataDir); err != nil { // the -wal and -shm SQLite just made
			return err
		}
		hostPort = srv.HostPort()
		logger.Info("embedded Temporal server started", "frontend", hostPort, "data", filepath.Join(cfg.DataDir, "temporal"))
		if cfg.TemporalUIPort > 0 {
			ui, err := devserver.StartUI(devserver.UIOptions{Port: cfg.TemporalUIPort,
				TemporalAddress: hostPort, Namespace: cfg.TemporalNamespace})
			if err != nil {
				return err
			}
			defer ui.Stop()
			if cfg.TemporalUIURL == "" {
				cfg.TemporalUIURL = ui.URL()
			}
			logger.Info("Temporal Web UI started", "url", ui.URL())
		}
	}
	tc, err := connectTemporal(ctx, cfg, hostPort, key, logger)
	if err != nil {
		return err
	}
	defer tc.Close()

	pb, err := newPatientBilling(g, cfg, key, true, logger)
	if err != nil {
		return err
	}
	defer pb.close()
	w := worker.New(tc, pb.wire(newActivities(g, cfg), tc))
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	if err := worker.EnsurePoller(ctx, tc, cfg.PollInterval); err != nil {
		return err
	}
	if err := worker.EnsureEscalation(ctx, tc); err != nil {
		return err
	}
	if err := worker.EnsurePackageExpiry(ctx, tc); err != nil {
		return err
	}

	tokenHint, err := bootstrapAdmin(ctx, g, cfg)
	if err != nil {
		return err
	}
	signIn, err := bootstrapSignIn(ctx, g)
	if err != nil {
		return err
	}
	if *withDemo {
		if err := startDemo(ctx, g, tc, cfg); err != nil {
			return err
		}
	}
	s := pb.serve(newAPI(g, tc, logger, cfg))
	s.Dev = api.DevInfo{TokenHint: tokenHint, TemporalAddress: hostPort}
	return serveHTTP(ctx, cfg, s, logger, func() {
		base := "http://localhost" + cfg.HTTPAddr
		if !strings.HasPrefix(cfg.HTTPAddr, ":") {
			base = "http://" + cfg.HTTPAddr
		}
		ui := cfg.TemporalUIURL
		if ui == "" {
			ui = "off (TEMPORAL_UI_PORT=0)"
		}
		fmt.Fprintf(os.Stderr, `
  RCM is running.
    Home:        %[1]s/   (API under %[1]s/api/v1, OpenAPI at %[1]s/api/openapi.json)
    Sign in:     %[6]s
    Health:      %[1]s/readyz
    Temporal UI: %[5]s
    Temporal:    %[2]s  namespace %[3]s  (any Temporal tool can connect)
    Token:       %[4]s
    Messages:    %[1]s/dev/messages   (dunning email and SMS, development sink)

  Try:  curl -H "Authorization: Bearer $RCM_TOKEN" %[1]s/api/v1/me

`, base, hostPort, cfg.TemporalNamespace, tokenHint, ui, signIn)
	})
}

// newActivities wires the activities to the database and the built-in
// clearinghouse simulator (the only clearinghouse so far), whose mailbox is in
// the database: a restart loses no answer, and every worker shares it.
func newActivities(g *gorm.DB, cfg config.Config) *activities.Activities {
	sim := clearinghouse.NewSimulator(clearinghouse.Config{AckDelay: cfg.SimAckDelay, RemitDelay: cfg.SimRemitDelay,
		SequenceBase: int(time.Now().Unix()), DB: g})
	acts := activities.New(g, sim, claims.Submitter{Name: cfg.PracticeName, ID: cfg.SubmitterID,
		SenderID: cfg.SubmitterID, ReceiverID: "CFSIM", ReceiverName: "CLINICFLOW SIMULATOR",
		ContactName: "BILLING OFFICE", Phone: cfg.PracticePhone})
	acts.LegalDayLength = cfg.LegalDayLength
	return acts
}

func newAPI(g *gorm.DB, tc client.Client, logger *slog.Logger, cfg config.Config) *api.Server {
	s := api.New(g, tc, logger, cfg.MissingChargesAfter)
	s.ClaimDayLength = cfg.ClaimDayLength
	s.MaxAmount = cfg.MaxAmount
	s.WorkflowLinks = api.WorkflowLinks{UIURL: cfg.TemporalUIURL, Namespace: cfg.TemporalNamespace}
	return s
}

func connectTemporal(ctx context.Context, cfg config.Config, hostPort string, key []byte, logger *slog.Logger) (client.Client, error) {
	dc, err := codec.DataConverter(key)
	if err != nil {
		return nil, err
	}
	tc, err := tclient.Dial(ctx, hostPort, cfg.TemporalNamespace, dc, logger)
	if err != nil {
		return nil, err
	}
	if err := tclient.EnsureSearchAttributes(ctx, tc, cfg.TemporalNamespace); err != nil {
		tc.Close()
		return nil, err
	}
	if err := tclient.WaitReady(ctx, tc, cfg.TemporalNamespace, 2*time.Minute); err != nil {
		tc.Close()
		return nil, err
	}
	return tc, nil
}

// bootstrapAdmin creates the first admin user and writes its token to
// DATA_DIR/admin-token (never to the log). It returns how to get the token.
func bootstrapAdmin(ctx context.Context, g *gorm.DB, cfg config.Config) (string, error) {
	path := filepath.Join(cfg.DataDir, "admin-token")
	hint := fmt.Sprintf("export RCM_TOKEN=$(cat %s)", path)
	svc := &auth.Service{DB: g}
	n, err := svc.CountUsers(ctx)
	if err != nil {
		return "", err
	}
	if n > 0 {
		if _, err := os.Stat(path); err == nil {
			return hint, nil
		}
		return "users exist; issue a token with `rcm user token --email ...`", nil
	}
	u, err := svc.CreateUser(ctx, auth.NewUser{Email: "admin@localhost", Name: "Administrator", Role: auth.RoleAdmin}, audit.System)
	if err != nil {
		return "", err
	}
	tok, err := svc.IssueToken(ctx, u.ID, "bootstrap", audit.System)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", err
	}
	return hint, nil
}

// bootstrapSignIn is how the bootstrap admin signs in to the web app: while
// they have not chosen a password, a fresh one-time password (stored only as a
// hash) printed on the terminal, never logged.
func bootstrapSignIn(ctx context.Context, g *gorm.DB) (string, error) {
	const email = "admin@localhost"
	pw, err := (&auth.Service{DB: g}).FirstSignIn(ctx, email, audit.System)
	if err != nil {
		return "", err
	}
	if pw == "" {
		return email + " with the password you chose (an admin can reset it: POST /api/v1/users/{id}/password)", nil
	}
	return email + "  one-time password " + pw + "  (you choose your own at first sign-in)", nil
}

func serveHTTP(ctx context.Context, cfg config.Config, s *api.Server, logger *slog.Logger, ready func()) error {
	hs := &http.Server{Addr: cfg.HTTPAddr, Handler: s.Router(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("HTTP server on %s: %w (set HTTP_ADDR)", cfg.HTTPAddr, err)
	case <-time.After(200 * time.Millisecond):
	}
	logger.Info("HTTP API listening", "addr", cfg.HTTPAddr)
	if ready != nil {
		ready()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

// cluster holds what the api and worker processes share when they run against a
// Temporal cluster.
type cluster struct {
	cfg    config.Config
	logger *slog.Logger
	db     *gorm.DB
	tc     client.Client
}

// connectCluster reads the configuration, which must name a Temporal cluster and
// a key, opens the database (migrating it when migrate is set) and connects.
func connectCluster(ctx context.Context, migrate bool) (*cluster, error) {
	cfg, err := config.FromOS()
	if err != nil {
		return nil, err
	}
	if cfg.TemporalAddress == "" {
		return nil, errors.New("TEMPORAL_ADDRESS is required (or use `rcm dev` for the embedded server)")
	}
	if cfg.EncryptionKey == nil {
		return nil, errors.New("ENCRYPTION_KEY is required: 32 random bytes, base64 (`openssl rand -base64 32`)")
	}
	if _, err := installPHI(&cfg, cfg.EncryptionKey, false, false); err != nil {
		return nil, err
	}
	logger := newLogger(cfg, false)
	var g *gorm.DB
	if migrate {
		g, err = openDB(ctx, cfg, logger)
	} else {
		g, err = openApp(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	tc, err := connectTemporal(ctx, cfg, cfg.TemporalAddress, cfg.EncryptionKey, logger)
	if err != nil {
		return nil, err
	}
	return &cluster{cfg: cfg, logger: logger, db: g, tc: tc}, nil
}

// runAPI serves the HTTP API; it applies migrations on start.
func runAPI(ctx context.Context) error {
	cl, err := connectCluster(ctx, true)
	if err != nil {
		return err
	}
	defer cl.tc.Close()
	stopTracing, err := startTracing(ctx, cl.cfg, "rcm-api", cl.logger)
	if err != nil {
		return err
	}
	defer stopTracing()
	pb, err := newPatientBilling(cl.db, cl.cfg, cl.cfg.EncryptionKey, false, cl.logger)
	if err != nil {
		return err
	}
	return serveHTTP(ctx, cl.cfg, pb.serve(newAPI(cl.db, cl.tc, cl.logger, cl.cfg)), cl.logger, nil)
}

// startTracing installs the exporter OTEL_TRACES_EXPORTER names (none by
// default); the function it returns flushes what is left on the way out.
func startTracing(ctx context.Context, cfg config.Config, service string, logger *slog.Logger) (func(), error) {
	shutdown, err := tracing.Setup(ctx, cfg.TracesExporter, service)
	if err != nil {
		return nil, err
	}
	if cfg.TracesExporter != tracing.ExporterNone {
		logger.Info("tracing on", "exporter", cfg.TracesExporter, "service", service)
	}
	return func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(c); err != nil {
			logger.Warn("tracing: flush on shutdown", "error", err)
		}
	}, nil
}

// serveMetrics serves /metrics on addr until ctx ends (for `rcm worker`, which
// has no HTTP API of its own).
func serveMetrics(ctx context.Context, addr string, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler())
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		logger.Info("metrics served", "addr", addr, "path", "/metrics")
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server stopped", "error", err)
		}
	}()
}

// runWorker runs the Temporal worker until interrupted.
func runWorker(ctx context.Context) error {
	cl, err := connectCluster(ctx, false)
	if err != nil {
		return err
	}
	defer cl.tc.Close()
	stopTracing, err := startTracing(ctx, cl.cfg, "rcm-worker", cl.logger)
	if err != nil {
		return err
	}
	defer stopTracing()
	if cl.cfg.MetricsAddr != "" {
		serveMetrics(ctx, cl.cfg.MetricsAddr, cl.logger)
	}
	pb, err := newPatientBilling(cl.db, cl.cfg, cl.cfg.EncryptionKey, false, cl.logger)
	if err != nil {
		return err
	}
	w := worker.New(cl.tc, pb.wire(newActivities(cl.db, cl.cfg), cl.tc))
	if err := w.Start(); err != nil {
		return err
	}
	if err := worker.EnsurePoller(ctx, cl.tc, cl.cfg.PollInterval); err != nil {
		w.Stop()
		return err
	}
	if err := worker.EnsureEscalation(ctx, cl.tc); err != nil {
		w.Stop()
		return err
	}
	if err := worker.EnsurePackageExpiry(ctx, cl.tc); err != nil {
		w.Stop()
		return err
	}
	cl.logger.Info("worker started", "task_queue", contract.TaskQueue)
	<-ctx.Done()
	w.Stop()
	return nil
}

func runMigrate(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: rcm migrate up|down|status")
	}
	cfg, err := config.FromOS()
	if err != nil {
		return err
	}
	if err := db.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	g, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	sqlDB := db.SQL(g)
	defer sqlDB.Close()
	switch args[0] {
	case "up":
		return migrations.Up(ctx, sqlDB)
	case "down":
		return migrations.Down(ctx, sqlDB)
	case "status":
		return migrations.Status(ctx, sqlDB, os.Stdout)
	}
	return fmt.Errorf("unknown migrate command %q (up, down, status)", args[0])
}

func runUser(ctx context.Context, args []string) error {
	if len(args) < 1 || (args[0] != "create" && args[0] != "token") {
		return errors.New("usage: rcm user create --email E --name N --role R | rcm user token --email E")
	}
	fs := flag.NewFlagSet("user "+args[0], flag.ContinueOnError)
	email := fs.String("email", "", "email address")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "", "one of "+strings.Join(auth.Roles, ", "))
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := config.FromOS()
	if err != nil {
		return err
	}
	g, err := openDB(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	svc := &auth.Service{DB: g}
	var userID string
	if args[0] == "create" {
		u, err := svc.CreateUser(ctx, auth.NewUser{Email: *email, Name: *name, Role: *role}, audit.System)
		if err != nil {
			return err
		}
		userID = u.ID
	} else {
		if err := g.WithContext(ctx).Table("users").Where("email = ?", strings.ToLower(*email)).Pluck("id", &userID).Error; err != nil {
			return err
		}
		if userID == "" {
			return fmt.Errorf("no user with email %q", *email)
		}
	}
	tok, err := svc.IssueToken(ctx, userID, "cli", audit.System)
	if err != nil {
		return err
	}
	fmt.Println(tok)
	return nil
}

// runAudit prints what audit.Verify found and fails when the chain is broken, so a
// cron job or monitor can alert on the exit status alone.
func runAudit(ctx context.Context, args []string) error {
	if len(args) != 1 || args[0] != "verify" {
		return errors.New("usage: rcm audit verify")
	}
	cfg, err := config.FromOS()
	if err != nil {
		return err
	}
	g, err := openDB(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer db.SQL(g).Close()
	res, err := audit.Verify(ctx, g)
	if err != nil {
		return err
	}
	fmt.Printf("rows checked: %d\nchain head:   seq %d, hash %s\n", res.Checked, res.HeadSeq, res.HeadHash)
	if res.OK {
		fmt.Println("audit chain OK")
		return nil
	}
	if res.BrokenID != 0 {
		fmt.Printf("first broken row: id %d (seq %d)\n", res.BrokenID, res.BrokenSeq)
	}
	return fmt.Errorf("audit chain broken (%s): %s", res.Reason, res.Detail)
}

func runEDI(args []string) error {
	if len(args) != 2 || args[0] != "parse" {
		return errors.New("usage: rcm edi parse FILE")
	}
	data, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	v, err := x12.ParseAny(data)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
