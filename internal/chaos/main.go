// Command chaos proves that crashes lose nothing (make chaos; not part of make
// test). It starts a private, throw-away PostgreSQL cluster (initdb into a
// temporary folder, on a free port, as the postgres system user when run as
// root; the shared server on 5432 is never touched), runs the rcm binary as
// `rcm dev` against it on a fresh data folder and free ports, and drives
// insurance lifecycles of mixed outcomes through the HTTP API:
//
//   - paid: PAYFULL member, paid in full;
//   - partial: PARTIAL member, paid 80% less a copay, the rest to the patient;
//   - appealed: DENY50 member, denied CO-50, appealed by the biller, paid;
//   - fixed: REJECT member, rejected by the 277CA, the biller corrects the
//     coverage and sends the fix, paid.
//
// While it enters visits and answers denials and rejections, it kills rcm with
// SIGKILL every few seconds and starts it again, and once restarts the
// PostgreSQL cluster under the running system. When it has nothing left to
// send it stops the chaos and measures how long the system takes to settle:
// every lifecycle paid and every case's workflow totals agreeing with the
// ledger. Then it counts, straight from the database: lifecycles completed and
// lost, remittances and payments posted twice, submissions received twice,
// tasks and messages doubled, journals unbalanced, and cases whose workflow
// totals and ledger disagree. It exits 1 when any of those is not zero.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/rcm", "the rcm binary")
	flag.IntVar(&o.n, "n", 200, "insurance lifecycles")
	flag.IntVar(&o.clients, "clients", 8, "concurrent API clients")
	flag.DurationVar(&o.killMin, "kill-min", 6*time.Second, "shortest time rcm runs (after it is ready) before it is killed")
	flag.DurationVar(&o.killMax, "kill-max", 12*time.Second, "longest time rcm runs before it is killed")
	flag.IntVar(&o.pgRestartAt, "pg-restart-after", 4, "restart PostgreSQL after this many kills")
	flag.DurationVar(&o.settleLimit, "settle-limit", 6*time.Minute, "how long the system may take to settle after the chaos")
	flag.DurationVar(&o.chaosLimit, "chaos-limit", 12*time.Minute, "longest chaos phase")
	flag.StringVar(&o.pgBin, "pg-bin", "", "folder of initdb and pg_ctl (found when empty)")
	flag.BoolVar(&o.keep, "keep", false, "keep the data folder and the PostgreSQL cluster (stopped)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

type options struct {
	bin                  string
	n, clients           int
	killMin, killMax     time.Duration
	pgRestartAt          int
	settleLimit          time.Duration
	chaosLimit           time.Duration
	pgBin                string
	keep                 bool
	dataDir, databaseURL string
}

func logf(format string, args ...any) {
	fmt.Printf("%s  %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(o options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()

	pg, err := startCluster(o.pgBin)
	if err != nil {
		return err
	}
	defer func() {
		if err := pg.remove(o.keep); err != nil {
			fmt.Fprintln(os.Stderr, "chaos: remove the PostgreSQL cluster:", err)
		}
	}()
	logf("private PostgreSQL cluster %s on 127.0.0.1:%d", pg.dir, pg.port)
	if o.databaseURL, err = pg.createDatabase(ctx, "rcm_chaos"); err != nil {
		return err
	}
	if o.dataDir, err = os.MkdirTemp("", "rcm-chaos-"); err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(o.dataDir)
	}
	httpPort, temporalPort := freePort(), freePort()
	env := map[string]string{
		"DATA_DIR": o.dataDir, "DATABASE_URL": o.databaseURL, "HTTP_ADDR": fmt.Sprintf("127.0.0.1:%d", httpPort),
		"TEMPORAL_PORT": strconv.Itoa(temporalPort), "TEMPORAL_UI_PORT": "0", "TEMPORAL_UI_URL": "", "TEMPORAL_ADDRESS": "",
		"DEV_SMTP_ADDR": fmt.Sprintf("127.0.0.1:%d", freePort()), "SMTP_ADDR": "",
		"ENCRYPTION_KEY": "", "SIM_ACK_DELAY": "1s", "SIM_REMIT_DELAY": "3s", "POLL_INTERVAL": "1s", "LOG_LEVEL": "warn",
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	sys := &system{bin: o.bin, env: env, base: base, logPath: filepath.Join(o.dataDir, "rcm.log")}
	if err := sys.start(ctx); err != nil {
		return err
	}
	defer sys.stop()
	logf("rcm dev ready at %s (Temporal 127.0.0.1:%d, data %s)", base, temporalPort, o.dataDir)
	tok, err := os.ReadFile(filepath.Join(o.dataDir, "admin-token"))
	if err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	api := &apiClient{base: base + "/api/v1", token: strings.TrimSpace(string(tok)), hc: &http.Client{Timeout: 45 * time.Second}}
	pr, err := setupPractice(ctx, api)
	if err != nil {
		return fmt.Errorf("set up the practice: %w", err)
	}
	db := &dbWatch{url: o.databaseURL}
	defer db.close()

	lives := make([]*life, o.n)
	for i := range lives {
		lives[i] = &life{i: i, kind: kinds[i%len(kinds)]}
	}

	// The chaos: kill and restart rcm, restart PostgreSQL once.
	chaosCtx, stopChaos := context.WithCancel(ctx)
	var kills atomic.Int32
	chaosDone := make(chan error, 1)
	chaosStart := time.Now()
	go func() { chaosDone <- sys.chaos(chaosCtx, o, pg, &kills) }()

	// The work: enter every visit, then answer denials and rejections as they come.
	work := &driver{api: api, pr: pr, db: db}
	var wg sync.WaitGroup
	jobs := make(chan *life)
	for range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range jobs {
				l.err = work.enter(ctx, l)
				if l.err != nil {
					logf("lifecycle %d (%s): not entered: %v", l.i, l.kind.name, l.err)
				}
			}
		}()
	}
	for _, l := range lives {
		jobs <- l
	}
	close(jobs)
	wg.Wait()
	logf("all %d visits entered (%d kills so far)", o.n, kills.Load())
	if err := work.answer(ctx, lives, time.Now().Add(o.chaosLimit)); err != nil {
		if ctx.Err() != nil {
			stopChaos()
			<-chaosDone
			return err
		}
		// A claim that never showed its denial or rejection is a finding:
		// report it with the rest instead of giving up the run.
		logf("%v; stopping the chaos and reporting", err)
	} else {
		logf("every denial appealed and every rejection fixed; stopping the chaos")
	}
	stopChaos()
	if err := <-chaosDone; err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	chaosEnd := time.Now()
	logf("chaos over after %s: %d kills, PostgreSQL restarted %d time(s); settling", chaosEnd.Sub(chaosStart).Round(time.Second),
		kills.Load(), sys.pgRestarts)

	// Settling: every lifecycle paid, then every case agreeing with the ledger.
	settled := work.settle(ctx, lives, chaosEnd.Add(o.settleLimit))
	paidAt := time.Now()
	disagree := work.agreement(ctx, lives, chaosEnd.Add(o.settleLimit))
	settleTime := time.Since(chaosEnd)
	// A finished claim's workflow closes its tasks; one left open (a denial
	// task on a paid claim) is a workflow that missed what the database says.
	db.waitNoStaleTasks(ctx, chaosEnd.Add(o.settleLimit))
	rep, err := db.checks(ctx)
	if err != nil {
		return err
	}
	extra, err := db.submittedTooOften(ctx, lives)
	if err != nil {
		return err
	}
	rep.counts = append([]count{extra}, rep.counts...)
	rep.lifecycles, rep.completed, rep.disagree = o.n, settled, len(disagree)
	for _, l := range lives {
		switch {
		case l.err != nil:
			rep.notEntered++
		case !l.done:
			rep.lost++
		}
	}
	rep.kills, rep.pgRestarts = int(kills.Load()), sys.pgRestarts
	rep.chaos, rep.settle, rep.toPaid, rep.total = chaosEnd.Sub(chaosStart), settleTime, paidAt.Sub(chaosEnd), time.Since(start)
	for _, l := range lives {
		if !l.done {
			rep.unfinished = append(rep.unfinished, fmt.Sprintf("lifecycle %d (%s): claim %s stage %q, case %s, err %v",
				l.i, l.kind.name, l.claimID, db.stage(l.claimID), l.caseID, l.err))
		}
	}
	rep.disagreeing = disagree
	rep.print()
	if !rep.ok() {
		fmt.Printf("rcm log (last lines) %s:\n%s\n", sys.logPath, sys.tail())
		return errors.New("the chaos run found losses or doubles (see above)")
	}
	return nil
}

// ---------------------------------------------------------------- PostgreSQL

// cluster is the private PostgreSQL cluster: initdb into a temporary folder,
// listening on 127.0.0.1 at a free port and a socket in the same folder.
type cluster struct {
	bin, dir, data string
	port           int
	runAs          string // the system user that runs initdb and pg_ctl ("" = this one)
}

func findPGBin(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	for _, v := range []string{"17", "16", "15", "14"} {
		d := "/usr/lib/postgresql/" + v + "/bin"
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("initdb not found: install the PostgreSQL server binaries or pass -pg-bin")
}

func startCluster(pgBin string) (*cluster, error) {
	bin, err := findPGBin(pgBin)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "rcm-chaos-pg-")
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin, dir: dir, data: filepath.Join(dir, "data"), port: freePort()}
	if os.Geteuid() == 0 {
		// initdb refuses root: the cluster belongs to the postgres system user.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, and no postgres system user to run the cluster as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		c.runAs = "postgres"
	}
	if out, err := c.pg("initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-instructions").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if err := c.start(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *cluster) pg(tool string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, tool)
	if c.runAs != "" {
		return exec.Command("runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (c *cluster) start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", c.port, c.dir)
	if out, err := c.pg("pg_ctl", "-D", c.data, "-l", filepath.Join(c.dir, "postgres.log"), "-o", opts, "-w", "-t", "120", "start").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl start: %v\n%s", err, out)
	}
	return nil
}

func (c *cluster) stop(mode string) error {
	if out, err := c.pg("pg_ctl", "-D", c.data, "-m", mode, "-w", "-t", "120", "stop").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

func (c *cluster) url(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, database)
}

func (c *cluster) createDatabase(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, c.url("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return c.url(name), nil
}

func (c *cluster) remove(keep bool) error {
	err := c.stop("fast")
	if keep {
		fmt.Printf("kept: PostgreSQL cluster %s (stopped; start it with pg_ctl -D %s start)\n", c.dir, c.data)
		return err
	}
	if rmErr := os.RemoveAll(c.dir); rmErr != nil {
		return rmErr
	}
	return err
}

// ---------------------------------------------------------------- the rcm process

type system struct {
	bin, base, logPath string
	env                map[string]string
	mu                 sync.Mutex
	cmd                *exec.Cmd
	done               chan error
	starts             int
	pgRestarts         int
}

func (s *system) start(ctx context.Context) error {
	f, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	s.starts++
	fmt.Fprintf(f, "\n===== chaos: start %d at %s\n", s.starts, time.Now().UTC().Format(time.RFC3339))
	cmd := exec.Command(s.bin, "dev")
	cmd.Stdout, cmd.Stderr = f, f
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !hasKey(s.env, k) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range s.env {
		if v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s dev: %w", s.bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); f.Close() }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	return s.waitReady(ctx, 4*time.Minute)
}

func (s *system) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			return fmt.Errorf("rcm dev exited (%v):\n%s", err, s.tail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("rcm dev not ready after %s:\n%s", limit, s.tail())
}

// kill sends SIGKILL to rcm (only the process this driver started) and reaps it.
func (s *system) kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

func (s *system) stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func (s *system) tail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// chaos kills rcm every few seconds (a random time between killMin and killMax
// after it is ready) and starts it again, and restarts PostgreSQL once, until
// ctx is done; it leaves rcm running and ready.
func (s *system) chaos(ctx context.Context, o options, pg *cluster, kills *atomic.Int32) error {
	for {
		d := o.killMin + rand.N(o.killMax-o.killMin+1)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(d):
		}
		s.kill()
		n := kills.Add(1)
		logf("kill %d: SIGKILL after %s up", n, d.Round(100*time.Millisecond))
		t := time.Now()
		// A start can fail for a reason of the machine's (a port another
		// program took meanwhile): try again before giving up the run.
		var err error
		for try := 0; try < 3; try++ {
			if err = s.start(context.Background()); err == nil {
				break
			}
			logf("kill %d: rcm did not start: %v", n, err)
			// The development mail sink's port may have gone to another
			// program's connection meanwhile (seen on a busy machine); nothing
			// depends on it staying the same.
			s.env["DEV_SMTP_ADDR"] = fmt.Sprintf("127.0.0.1:%d", freePort())
		}
		if err != nil {
			return err
		}
		logf("kill %d: rcm ready again after %s", n, time.Since(t).Round(100*time.Millisecond))
		if int(n) == o.pgRestartAt {
			// PostgreSQL goes away under the running system for a few seconds.
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
			t := time.Now()
			if err := pg.stop("fast"); err != nil {
				return err
			}
			time.Sleep(3 * time.Second)
			if err := pg.start(); err != nil {
				return err
			}
			s.pgRestarts++
			logf("PostgreSQL restarted under the running system (down %s)", time.Since(t).Round(100*time.Millisecond))
		}
	}
}

// ---------------------------------------------------------------- the API

type apiClient struct {
	base, token string
	hc          *http.Client
}

// errStatus is an answer with an unexpected status.
type errStatus struct {
	status int
	body   string
}

func (e *errStatus) Error() string { return fmt.Sprintf("status %d: %s", e.status, e.body) }

// do sends one request; out receives a 2xx answer's JSON.
func (c *apiClient) do(ctx context.Context, method, path, key string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return &errStatus{status: resp.StatusCode, body: string(bytes.TrimSpace(b))}
	}
	if out != nil && len(b) > 0 {
		return json.Unmarshal(b, out)
	}
	return nil
}

// retryable is an error a crashed or restarting system gives: no connection,
// a timeout, or a 5xx.
func retryable(err error) bool {
	var se *errStatus
	if errors.As(err, &se) {
		return se.status >= 500
	}
	return err != nil
}

// call is do, retried while the system is down (up to 5 minutes).
func (c *apiClient) call(ctx context.Context, method, path, key string, body, out any) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		err := c.do(ctx, method, path, key, body, out)
		if err == nil || !retryable(err) || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (c *apiClient) create(ctx context.Context, path, key string, body any) (string, error) {
	var r struct {
		ID string `json:"id"`
	}
	err := c.call(ctx, "POST", path, key, body, &r)
	return r.ID, err
}

type practice struct{ location, provider, payer string }

func setupPractice(ctx context.Context, c *apiClient) (practice, error) {
	var p practice
	var err error
	if p.location, err = c.create(ctx, "/locations", "", map[string]any{
		"name": "Chaos Clinic", "address1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701-1234",
		"npi": "1245319599", "tax_id": "12-3456789", "taxonomy": "261QM1300X"}); err != nil {
		return p, err
	}
	if p.provider, err = c.create(ctx, "/providers", "", map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "npi": "1234567893", "taxonomy": "207Q00000X"}); err != nil {
		return p, err
	}
	if _, err = c.create(ctx, "/fee-schedules", "", map[string]any{"name": "Standard", "is_default": true,
		"items": []map[string]any{{"procedure_code": "99213", "price": "125.00"}, {"procedure_code": "36415", "price": "15.00"}}}); err != nil {
		return p, err
	}
	p.payer, err = c.create(ctx, "/payers", "", map[string]any{"name": "Acme Health", "payer_id": "ACME1", "type": "commercial",
		"address1": "PO Box 1", "city": "Chicago", "state": "IL", "zip": "60601"})
	return p, err
}

// ---------------------------------------------------------------- lifecycles

// kind is one lifecycle outcome, by the member ID prefix the simulator's
// default rules read (internal/clearinghouse DefaultRules).
type kind struct {
	name   string
	member string
	// waitFor is the stage at which the biller acts ("" = nothing to do).
	waitFor string
}

var kinds = []kind{
	{name: "paid", member: "PAYFULL"},
	{name: "partial", member: "PARTIAL"},
	{name: "appealed", member: "DENY50", waitFor: "denied"},
	{name: "fixed", member: "REJECT", waitFor: "rejected"},
}

type life struct {
	i                        int
	kind                     kind
	caseID, claimID, coverID string
	acted, done              bool
	err                      error
}

func (l *life) key(step string) string { return fmt.Sprintf("chaos-%d-%s", l.i, step) }

type driver struct {
	api *apiClient
	pr  practice
	db  *dbWatch
}

// enter registers a patient, opens an insurance case with its coverage, checks
// the patient in, captures two charges and completes charge capture. Creating a
// patient or a case has no idempotency key: a create whose answer the crash
// swallowed leaves an unused patient or case behind, never a second visit.
func (d *driver) enter(ctx context.Context, l *life) error {
	patient, err := d.api.create(ctx, "/patients", "", map[string]any{
		"first_name": "Chaos", "last_name": fmt.Sprintf("Patient%d", l.i), "date_of_birth": "1980-02-03",
		"address1": "5 Elm St", "city": "Springfield", "state": "IL", "zip": "62704"})
	if err != nil {
		return fmt.Errorf("patient: %w", err)
	}
	if l.caseID, err = d.api.create(ctx, "/cases", "", map[string]any{"patient_id": patient, "kind": "insurance", "title": "chaos visit"}); err != nil {
		return fmt.Errorf("case: %w", err)
	}
	if l.coverID, err = d.coverage(ctx, l, fmt.Sprintf("%s%06d", l.kind.member, l.i)); err != nil {
		return err
	}
	enc, err := d.api.create(ctx, "/cases/"+l.caseID+"/check-ins", l.key("check-in"), map[string]any{
		"provider_id": d.pr.provider, "location_id": d.pr.location, "service_date": "2026-11-02"})
	if err != nil {
		return fmt.Errorf("check-in: %w", err)
	}
	for _, code := range []string{"99213", "36415"} {
		if _, err := d.api.create(ctx, "/cases/"+l.caseID+"/encounters/"+enc+"/charges", l.key("charge-"+code),
			map[string]any{"procedure_code": code, "diagnoses": []string{"E11.9"}, "diagnosis_pointers": []int{1}}); err != nil {
			return fmt.Errorf("charge %s: %w", code, err)
		}
	}
	err = d.api.call(ctx, "POST", "/cases/"+l.caseID+"/encounters/"+enc+"/complete-charges", l.key("complete"), nil, nil)
	var se *errStatus
	if errors.As(err, &se) && se.status == http.StatusConflict {
		err = nil // completed by the attempt whose answer was lost
	}
	if err != nil {
		return fmt.Errorf("complete charges: %w", err)
	}
	return nil
}

// coverage adds the primary coverage with member, or finds the one an attempt
// whose answer was lost added.
func (d *driver) coverage(ctx context.Context, l *life, member string) (string, error) {
	find := func() string {
		var list struct {
			Items []struct {
				ID       string `json:"id"`
				MemberID string `json:"member_id"`
				Active   *bool  `json:"active"`
			} `json:"items"`
		}
		if err := d.api.call(ctx, "GET", "/cases/"+l.caseID+"/coverages", "", nil, &list); err != nil {
			return ""
		}
		for _, c := range list.Items {
			if c.MemberID == member {
				return c.ID
			}
		}
		return ""
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		id, err := d.api.create(ctx, "/cases/"+l.caseID+"/coverages", "", map[string]any{
			"payer_id": d.pr.payer, "priority": "primary", "member_id": member, "effective_from": "2026-01-01"})
		if err == nil {
			return id, nil
		}
		if id := find(); id != "" {
			return id, nil
		}
		if !retryable(err) && !isConflict(err) || time.Now().After(deadline) || ctx.Err() != nil {
			return "", fmt.Errorf("coverage: %w", err)
		}
		time.Sleep(time.Second)
	}
}

func isConflict(err error) bool {
	var se *errStatus
	return errors.As(err, &se) && se.status == http.StatusConflict
}

// answer acts as the biller until every denial is appealed and every
// rejection fixed: it appeals a denied claim, and for a rejected one replaces
// the coverage (the member ID corrected from the card) and sends the fix,
// several at once as a team of billers would.
func (d *driver) answer(ctx context.Context, lives []*life, deadline time.Time) error {
	var mu sync.Mutex
	busy := map[int]bool{}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		if err := d.db.refresh(ctx); err != nil {
			logf("read claims: %v", err)
		}
		pending := 0
		for _, l := range lives {
			mu.Lock()
			skip := l.err != nil || l.acted || l.kind.waitFor == "" || busy[l.i]
			inFlight := busy[l.i]
			mu.Unlock()
			if inFlight {
				pending++
			}
			if skip {
				continue
			}
			pending++
			if l.claimID == "" {
				l.claimID = d.db.claimOf(l.caseID)
			}
			if l.claimID == "" || d.db.stage(l.claimID) != l.kind.waitFor {
				continue
			}
			mu.Lock()
			busy[l.i] = true
			mu.Unlock()
			wg.Add(1)
			go func(l *life) {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				var err error
				switch l.kind.waitFor {
				case "denied":
					err = d.api.call(ctx, "POST", "/claims/"+l.claimID+"/decision", l.key("appeal"), map[string]any{
						"action": "appeal", "note": "records support necessity", "argument": "The visit was medically necessary."}, nil)
				case "rejected":
					err = d.fix(ctx, l)
				}
				if err != nil && !isConflict(err) {
					// A conflict: the workflow does not wait for it yet (or took it
					// from an attempt whose answer was lost); look again next round.
					logf("lifecycle %d (%s): %v", l.i, l.kind.name, err)
				}
				mu.Lock()
				l.acted = err == nil
				busy[l.i] = false
				mu.Unlock()
			}(l)
		}
		if pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d denials or rejections still unanswered at the chaos limit", pending)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (d *driver) fix(ctx context.Context, l *life) error {
	err := d.api.call(ctx, "POST", "/cases/"+l.caseID+"/coverages/"+l.coverID+"/deactivate", l.key("deactivate"), nil, nil)
	if err != nil && !isConflict(err) {
		return fmt.Errorf("deactivate coverage: %w", err)
	}
	newCov, err := d.coverage(ctx, l, fmt.Sprintf("PAYFULL%06d", l.i))
	if err != nil {
		return err
	}
	return d.api.call(ctx, "POST", "/claims/"+l.claimID+"/fix", l.key("fix"), map[string]any{
		"coverage_id": newCov, "note": "member ID corrected from the card"}, nil)
}

// settle waits until every entered lifecycle's primary claim is paid; it
// returns how many are.
func (d *driver) settle(ctx context.Context, lives []*life, deadline time.Time) int {
	for {
		if err := d.db.refresh(ctx); err != nil {
			logf("read claims: %v", err)
		}
		n := 0
		for _, l := range lives {
			if l.claimID == "" && l.caseID != "" {
				l.claimID = d.db.claimOf(l.caseID)
			}
			l.done = l.err == nil && l.claimID != "" && d.db.stage(l.claimID) == "paid"
			if l.done {
				n++
			}
		}
		if n == len(lives) || time.Now().After(deadline) || ctx.Err() != nil {
			logf("%d of %d lifecycles paid", n, len(lives))
			return n
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// agreement waits until every case's workflow totals agree with its ledger
// (GET /cases/{id} in_agreement) and returns the cases that still disagree at
// the deadline.
func (d *driver) agreement(ctx context.Context, lives []*life, deadline time.Time) []string {
	for {
		var bad []string
		for _, l := range lives {
			if l.caseID == "" {
				continue
			}
			var cs struct {
				InAgreement bool `json:"in_agreement"`
			}
			if err := d.api.call(ctx, "GET", "/cases/"+l.caseID, "", nil, &cs); err != nil || !cs.InAgreement {
				bad = append(bad, fmt.Sprintf("case %s (lifecycle %d, %s): in_agreement false (%v)", l.caseID, l.i, l.kind.name, err))
			}
		}
		if len(bad) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return bad
		}
		time.Sleep(time.Second)
	}
}

// ---------------------------------------------------------------- the database

// dbWatch reads the chaos database directly (as its superuser), reconnecting
// after PostgreSQL restarts.
type dbWatch struct {
	url    string
	conn   *pgx.Conn
	mu     sync.Mutex
	stages map[string]string // claim id -> stage (primary claims)
	byCase map[string]string // case id -> primary claim id (the latest)
}

func (w *dbWatch) connect(ctx context.Context) (*pgx.Conn, error) {
	if w.conn != nil && !w.conn.IsClosed() {
		return w.conn, nil
	}
	c, err := pgx.Connect(ctx, w.url)
	if err != nil {
		return nil, err
	}
	w.conn = c
	return c, nil
}

func (w *dbWatch) close() {
	if w.conn != nil {
		_ = w.conn.Close(context.Background())
	}
}

func (w *dbWatch) refresh(ctx context.Context) error {
	c, err := w.connect(ctx)
	if err != nil {
		return err
	}
	rows, err := c.Query(ctx, `SELECT id::text, case_id::text, stage FROM claims WHERE priority = 'primary' ORDER BY created_at`)
	if err != nil {
		_ = c.Close(context.Background())
		w.conn = nil
		return err
	}
	defer rows.Close()
	stages, byCase := map[string]string{}, map[string]string{}
	for rows.Next() {
		var id, caseID, stage string
		if err := rows.Scan(&id, &caseID, &stage); err != nil {
			return err
		}
		stages[id], byCase[caseID] = stage, id
	}
	if err := rows.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	w.stages, w.byCase = stages, byCase
	w.mu.Unlock()
	return nil
}

func (w *dbWatch) stage(claimID string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stages[claimID]
}

func (w *dbWatch) claimOf(caseID string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.byCase[caseID]
}

// report is what the run found.
type report struct {
	lifecycles, completed, lost, disagree int
	notEntered                            int // the API refused or was away for 5 minutes
	kills, pgRestarts                     int
	chaos, settle, toPaid, total          time.Duration
	counts                                []count
	unfinished, disagreeing               []string
}

// count is one check: a number that must be zero, with what it counts.
type count struct {
	name  string
	n     int
	total int // what it is out of (0: not shown)
	query string
}

// checks counts, straight from the database, whatever was done twice or left
// unbalanced.
func (w *dbWatch) checks(ctx context.Context) (*report, error) {
	c, err := w.connect(ctx)
	if err != nil {
		return nil, err
	}
	list := []count{
		{name: "remittances posted twice (payer + trace number, or the same file)", query: `SELECT
			(SELECT count(*) FROM (SELECT 1 FROM remittances GROUP BY payer_key, trace_number HAVING count(*) > 1) a) +
			(SELECT count(*) FROM (SELECT 1 FROM remittances GROUP BY file_sha256 HAVING count(*) > 1) b)`},
		{name: "claim payments posted twice (a claim paid by two CLPs)", query: `SELECT count(*) FROM (
			SELECT claim_id FROM remittance_claims WHERE claim_id IS NOT NULL AND paid > 0
			GROUP BY claim_id HAVING count(*) > 1) d`},
		{name: "payment journals posted twice (same source and kind)", query: `SELECT count(*) FROM (
			SELECT source_id, kind FROM journals WHERE source_type IN ('remittance_claim', 'payment')
			GROUP BY source_id, kind HAVING count(*) > 1) d`},
		{name: "submissions the clearinghouse received twice", query: `SELECT
			(SELECT count(*) FROM clearinghouse_requests WHERE kind = 'submit') - (SELECT count(*) FROM claim_submissions)`},
		{name: "answer files scheduled twice (same request and kind)", query: `SELECT count(*) FROM (
			SELECT 1 FROM clearinghouse_mailbox GROUP BY clearinghouse, request_seq, kind HAVING count(*) > 1) d`},
		{name: "inbound files applied twice", query: `SELECT count(*) FROM (
			SELECT 1 FROM edi_files GROUP BY sha256 HAVING count(*) > 1) d`},
		{name: "messages sent twice (dunning, same account, step and channel)", query: `SELECT count(*) FROM (
			SELECT 1 FROM dunning_messages GROUP BY account, step, channel HAVING count(*) > 1) d`},
		{name: "open tasks doubled (same claim and queue)", query: `SELECT count(*) FROM (
			SELECT 1 FROM tasks WHERE status IN ('open', 'claimed') AND claim_id IS NOT NULL
			GROUP BY claim_id, queue, kind HAVING count(*) > 1) d`},
		{name: "open tasks on finished claims (their workflow missed the outcome)", query: staleTasks},
		{name: "journals unbalanced", query: `SELECT count(*) FROM (
			SELECT j.id FROM journals j LEFT JOIN journal_lines l ON l.journal_id = j.id
			GROUP BY j.id HAVING count(l.id) < 2 OR coalesce(sum(l.amount), 0) <> 0) d`},
	}
	totals := map[int]string{
		0: `SELECT count(*) FROM remittances`,
		1: `SELECT count(*) FROM remittance_claims WHERE paid > 0`,
		3: `SELECT count(*) FROM clearinghouse_requests WHERE kind = 'submit'`,
		4: `SELECT count(*) FROM clearinghouse_mailbox`,
		5: `SELECT count(*) FROM edi_files`,
		6: `SELECT count(*) FROM dunning_messages`,
		8: `SELECT count(*) FROM tasks WHERE claim_id IS NOT NULL`,
		9: `SELECT count(*) FROM journals`,
	}
	for i := range list {
		var n int64
		if err := c.QueryRow(ctx, list[i].query).Scan(&n); err != nil {
			return nil, fmt.Errorf("check %q: %w", list[i].name, err)
		}
		list[i].n = int(n)
		if q, ok := totals[i]; ok {
			var t int64
			if err := c.QueryRow(ctx, q).Scan(&t); err != nil {
				return nil, fmt.Errorf("total of %q: %w", list[i].name, err)
			}
			list[i].total = int(t)
		}
	}
	return &report{counts: list}, nil
}

// staleTasks counts the tasks still open on claims in a final stage.
const staleTasks = `SELECT count(*) FROM tasks t JOIN claims c ON c.id = t.claim_id
	WHERE t.status IN ('open', 'claimed') AND c.stage IN ('paid', 'written_off', 'transferred_to_patient', 'voided', 'replaced')`

// waitNoStaleTasks waits (until deadline) for the workflows of finished
// claims to close their tasks: they do so moments after the payment posts.
func (w *dbWatch) waitNoStaleTasks(ctx context.Context, deadline time.Time) {
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if c, err := w.connect(ctx); err == nil {
			var n int64
			if err := c.QueryRow(ctx, staleTasks).Scan(&n); err == nil && n == 0 {
				return
			}
		}
		time.Sleep(time.Second)
	}
}

// submittedTooOften counts the lifecycles whose claim was submitted more often
// than its outcome needs: once, or twice for a rejected claim fixed and sent
// again.
func (w *dbWatch) submittedTooOften(ctx context.Context, lives []*life) (count, error) {
	out := count{name: "claims submitted more often than their lifecycle needs (1, fixed: 2)"}
	c, err := w.connect(ctx)
	if err != nil {
		return out, err
	}
	rows, err := c.Query(ctx, `SELECT claim_id::text, count(*) FROM claim_submissions GROUP BY claim_id`)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	subs := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return out, err
		}
		subs[id] = n
		out.total += n
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	for _, l := range lives {
		want := 1
		if l.kind.waitFor == "rejected" {
			want = 2
		}
		if l.claimID != "" && subs[l.claimID] > want {
			out.n++
		}
	}
	return out, nil
}

func (r *report) ok() bool {
	if r.lost != 0 || r.notEntered != 0 || r.disagree != 0 || r.completed < r.lifecycles {
		return false
	}
	for _, c := range r.counts {
		if c.n != 0 {
			return false
		}
	}
	return true
}

func (r *report) print() {
	fmt.Println()
	fmt.Printf("CHAOS  %d insurance lifecycles (paid, partial, denied then appealed, rejected then fixed), %d SIGKILLs, %d PostgreSQL restart(s), %d CPUs\n",
		r.lifecycles, r.kills, r.pgRestarts, runtime.NumCPU())
	row := func(name string, v any) { fmt.Printf("  %-68s %v\n", name, v) }
	row("lifecycles completed (claim paid)", fmt.Sprintf("%d of %d", r.completed, r.lifecycles))
	row("lifecycles lost (entered, never paid)", r.lost)
	row("visits not entered (the API refused, or was away 5 minutes)", r.notEntered)
	for _, c := range r.counts {
		v := fmt.Sprint(c.n)
		if c.total > 0 {
			v = fmt.Sprintf("%d (of %d)", c.n, c.total)
		}
		row(c.name, v)
	}
	row("cases whose workflow totals and ledger disagree after settling", r.disagree)
	row("chaos phase (visits entered, denials appealed, rejections fixed)", r.chaos.Round(time.Second))
	row("settle: last restart -> every claim paid", r.toPaid.Round(100*time.Millisecond))
	row("settle: last restart -> every case agrees with the ledger", r.settle.Round(100*time.Millisecond))
	row("whole run", r.total.Round(time.Second))
	sort.Strings(r.unfinished)
	for i, u := range r.unfinished {
		if i == 20 {
			fmt.Printf("  ... %d more unfinished\n", len(r.unfinished)-20)
			break
		}
		fmt.Println("  unfinished:", u)
	}
	for i, u := range r.disagreeing {
		if i == 20 {
			fmt.Printf("  ... %d more disagreeing\n", len(r.disagreeing)-20)
			break
		}
		fmt.Println("  disagrees:", u)
	}
	verdict := "PASS"
	if !r.ok() {
		verdict = "FAIL"
	}
	fmt.Printf("RESULT %s  completed %d/%d | lost %d | doubled %d | unbalanced %d | disagreeing %d | stale tasks %d | settled in %s after the last restart\n",
		verdict, r.completed, r.lifecycles, r.lost, r.doubled(), r.counts[len(r.counts)-1].n, r.disagree, r.stale(), r.settle.Round(100*time.Millisecond))
}

// doubled sums the checks of things done twice (every count but stale tasks
// and unbalanced journals).
func (r *report) doubled() int {
	n := 0
	for _, c := range r.counts[:len(r.counts)-1] {
		if c.query != staleTasks {
			n += c.n
		}
	}
	return n
}

// stale is the count of tasks left open on finished claims.
func (r *report) stale() int {
	for _, c := range r.counts {
		if c.query == staleTasks {
			return c.n
		}
	}
	return 0
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
