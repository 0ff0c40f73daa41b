// Command benchlife measures the claim lifecycle at the engine's speed (make
// bench-lifecycle). It starts the rcm binary as `rcm dev` (embedded Temporal with
// file persistence) on a fresh data folder, a fresh database and free ports, with
// the clearinghouse simulator answering at once, and in one run measures:
//
//   - the lifecycle: eight clients enter insurance visits of mixed outcomes over
//     the HTTP API (paid, paid by a primary and a secondary payer, denied,
//     rejected, coverage inactive) without waiting for them; it reports claims
//     paid per second, visit -> paid and claim -> paid p50/p95, and the CPU the
//     rcm process used (from /proc);
//   - the engine baseline on the same server: as many workflows as visits, each
//     running as many no-op activities, local activities and workflow tasks as a
//     paid claim's workflow took (counted from its history), started by eight
//     clients the same way, on a worker in this process.
//
// It drives the binary over HTTP and gRPC only and links nothing of the server;
// it reads the bench database only to time stage changes (claims.stage_changed_at).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/rcm", "the rcm binary")
	flag.IntVar(&o.visits, "n", 200, "insurance visits to enter")
	flag.IntVar(&o.clients, "clients", 8, "concurrent API clients (and baseline starters)")
	flag.IntVar(&o.warmup, "warmup", 8, "paid visits run first and not counted")
	flag.DurationVar(&o.timeout, "timeout", 15*time.Minute, "how long each phase may take")
	flag.BoolVar(&o.keep, "keep", false, "keep the data folder and the database")
	flag.StringVar(&o.serverURL, "pg", envOr("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server (maintenance database) the bench database is created on")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of rcm during the lifecycle phase to this file (go tool pprof)")
	flag.DurationVar(&o.profileFor, "profile-for", 15*time.Second, "how long the -cpuprofile profile runs")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "benchlife:", err)
		os.Exit(1)
	}
}

type options struct {
	bin               string
	visits, clients   int
	warmup            int
	timeout           time.Duration
	keep              bool
	serverURL         string
	dataDir, database string
	cpuProfile        string
	profileFor        time.Duration
	pprofAddr         string
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(o options) error {
	ctx, stop := signalContext()
	defer stop()
	var err error
	if o.dataDir, err = os.MkdirTemp("", "rcm-bench-"); err != nil {
		return err
	}
	o.database = "rcm_bench_" + randHex(5)
	httpPort, err := freePort()
	if err != nil {
		return err
	}
	temporalPort, err := freePort()
	if err != nil {
		return err
	}
	dbURL, err := databaseURL(o.serverURL, o.database)
	if err != nil {
		return err
	}
	defer func() {
		if o.keep {
			fmt.Printf("kept: data %s, database %s\n", o.dataDir, o.database)
			return
		}
		_ = os.RemoveAll(o.dataDir)
		if err := dropDatabase(o.serverURL, o.database); err != nil {
			fmt.Fprintln(os.Stderr, "benchlife: drop database:", err)
		}
	}()

	env := map[string]string{
		"DATA_DIR": o.dataDir, "DATABASE_URL": dbURL, "HTTP_ADDR": fmt.Sprintf("127.0.0.1:%d", httpPort),
		"TEMPORAL_PORT": strconv.Itoa(temporalPort), "TEMPORAL_UI_PORT": "0", "TEMPORAL_ADDRESS": "",
		"SIM_ACK_DELAY": "0s", "SIM_REMIT_DELAY": "0s", "LOG_LEVEL": "warn",
	}
	if o.cpuProfile != "" {
		port, err := freePort()
		if err != nil {
			return err
		}
		o.pprofAddr = fmt.Sprintf("127.0.0.1:%d", port)
		env["PPROF_ADDR"] = o.pprofAddr
	}
	rcm, err := startRCM(ctx, o, env)
	if err != nil {
		return err
	}
	defer rcm.stop()
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	if err := waitReady(ctx, base, 3*time.Minute, rcm); err != nil {
		return err
	}
	tok, err := os.ReadFile(filepath.Join(o.dataDir, "admin-token"))
	if err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	api := &apiClient{base: base + "/api/v1", token: strings.TrimSpace(string(tok)), hc: &http.Client{Timeout: 2 * time.Minute}}
	pr, err := setupPractice(ctx, api)
	if err != nil {
		return fmt.Errorf("set up the practice: %w", err)
	}
	pg, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pg.Close(context.Background())

	fmt.Printf("rcm dev pid %d, HTTP %s, Temporal 127.0.0.1:%d, data %s, database %s\n",
		rcm.cmd.Process.Pid, base, temporalPort, o.dataDir, o.database)
	fmt.Printf("machine: %d CPUs, load %s\n", runtime.NumCPU(), loadavg())

	// Warm-up: a few paid visits, whose claim history gives the baseline's shape.
	warm, err := lifecycle(ctx, o, api, pr, pg, rcm.cmd.Process.Pid, o.warmup, func(int) outcome { return outcomes[0] })
	if err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	tc, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", temporalPort), Namespace: "default",
		Logger: quietLogger{}})
	if err != nil {
		return fmt.Errorf("connect to Temporal: %w", err)
	}
	defer tc.Close()
	shape, err := claimShape(ctx, tc, warm.paidClaimID)
	if err != nil {
		return err
	}
	var files int
	if err := pg.QueryRow(ctx, `SELECT (SELECT count(*) FROM edi_files) + (SELECT count(*) FROM remittances)`).Scan(&files); err != nil {
		return fmt.Errorf("count inbound files: %w", err)
	}
	whole, err := visitShape(ctx, tc, warm.settled, files)
	if err != nil {
		return err
	}

	profiled := profile(ctx, o)
	life, err := lifecycle(ctx, o, api, pr, pg, rcm.cmd.Process.Pid, o.visits, mix)
	if err != nil {
		return fmt.Errorf("lifecycle: %w", err)
	}
	if err := <-profiled; err != nil {
		fmt.Fprintln(os.Stderr, "benchlife: CPU profile:", err)
	}
	fmt.Println()
	life.print()
	fmt.Printf("\nA paid visit ran, per visit, in all its workflows (case, claim, its three inbound files, the poller's share; a file the poller's activity applied counts as an activity): %s\n", whole)
	fmt.Printf("A paid claim's own workflow took %s\n", shape)

	eng, err := baseline(ctx, o, tc, whole, rcm.cmd.Process.Pid)
	if err != nil {
		return fmt.Errorf("engine baseline: %w", err)
	}
	fmt.Println()
	eng.print("a paid visit's steps")
	engClaim, err := baseline(ctx, o, tc, shape, rcm.cmd.Process.Pid)
	if err != nil {
		return fmt.Errorf("engine baseline (claim workflow): %w", err)
	}
	engClaim.print("the claim workflow's steps alone")

	fmt.Printf("\nRESULT  paid/s %.2f | engine baseline %.2f workflows/s of a paid visit's steps | lifecycle at %.0f%% of the baseline (target >= 60%%; %.0f%% of the claim workflow's own %.2f/s) | p50 visit->paid %.2fs (target <= 5s) | load %s\n",
		life.paidPerSec, eng.perSec, 100*life.paidPerSec/eng.perSec, 100*life.paidPerSec/engClaim.perSec, engClaim.perSec,
		life.visitToPaid.p(50).Seconds(), loadavg())
	return nil
}

// profile takes a CPU profile of rcm for o.profileFor into o.cpuProfile, from
// now on, when asked to; the channel says when it is written.
func profile(ctx context.Context, o options) <-chan error {
	done := make(chan error, 1)
	if o.cpuProfile == "" {
		done <- nil
		return done
	}
	go func() {
		done <- func() error {
			url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", o.pprofAddr, int(o.profileFor.Seconds()))
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			resp, err := (&http.Client{Timeout: o.profileFor + time.Minute}).Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %s", url, resp.Status)
			}
			f, err := os.Create(o.cpuProfile)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, resp.Body); err != nil {
				_ = f.Close()
				return err
			}
			fmt.Printf("CPU profile of rcm (%s of the lifecycle phase): %s\n", o.profileFor, o.cpuProfile)
			return f.Close()
		}()
	}()
	return done
}

// ---------------------------------------------------------------- the rcm process

type rcmProc struct {
	cmd  *exec.Cmd
	done chan error
	log  string
}

func startRCM(ctx context.Context, o options, env map[string]string) (*rcmProc, error) {
	logPath := filepath.Join(o.dataDir, "rcm.log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.bin, "dev")
	cmd.Stdout, cmd.Stderr = f, f
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !hasKey(env, k) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		if v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s dev: %w", o.bin, err)
	}
	p := &rcmProc{cmd: cmd, done: make(chan error, 1), log: logPath}
	go func() { p.done <- cmd.Wait(); f.Close() }()
	return p, nil
}

func (p *rcmProc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *rcmProc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

func waitReady(ctx context.Context, base string, limit time.Duration, p *rcmProc) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			return fmt.Errorf("rcm dev exited (%v):\n%s", err, p.tail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("rcm dev not ready after %s:\n%s", limit, p.tail())
}

// ---------------------------------------------------------------- the API

type apiClient struct {
	base, token string
	hc          *http.Client
	mu          sync.Mutex
	calls       map[string][]time.Duration
}

// do sends a JSON request and decodes the answer into out; want is the status.
func (c *apiClient) do(ctx context.Context, label string, want int, method, path string, body, out any) error {
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
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.record(label, time.Since(start))
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, label, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (c *apiClient) record(label string, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string][]time.Duration{}
	}
	c.calls[label] = append(c.calls[label], d)
}

// takeCalls returns the latencies recorded since the last call, by label.
func (c *apiClient) takeCalls() map[string][]time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.calls
	c.calls = nil
	return m
}

func (c *apiClient) create(ctx context.Context, label, path string, body any) (string, error) {
	var r struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, label, http.StatusCreated, "POST", path, body, &r); err != nil {
		return "", err
	}
	return r.ID, nil
}

type practice struct {
	location, provider string
	primary, secondary string // payer ids
}

func setupPractice(ctx context.Context, c *apiClient) (practice, error) {
	var p practice
	var err error
	if p.location, err = c.create(ctx, "setup", "/locations", map[string]any{
		"name": "Bench Clinic", "address1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701-1234",
		"npi": "1245319599", "tax_id": "12-3456789", "taxonomy": "261QM1300X"}); err != nil {
		return p, err
	}
	if p.provider, err = c.create(ctx, "setup", "/providers", map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "npi": "1234567893", "taxonomy": "207Q00000X"}); err != nil {
		return p, err
	}
	if _, err = c.create(ctx, "setup", "/fee-schedules", map[string]any{"name": "Standard", "is_default": true,
		"items": []map[string]any{{"procedure_code": "99213", "price": "125.00"}, {"procedure_code": "36415", "price": "15.00"}}}); err != nil {
		return p, err
	}
	payer := func(name, id string) (string, error) {
		return c.create(ctx, "setup", "/payers", map[string]any{"name": name, "payer_id": id, "type": "commercial",
			"address1": "PO Box 1", "city": "Chicago", "state": "IL", "zip": "60601"})
	}
	if p.primary, err = payer("Acme Health", "ACME1"); err != nil {
		return p, err
	}
	p.secondary, err = payer("Second Mutual", "SECOND1")
	return p, err
}

// ---------------------------------------------------------------- the lifecycle

// outcome is what the simulator's default rules do with a visit's claims, by
// the member ID prefix (internal/clearinghouse DefaultRules).
type outcome struct {
	name      string
	member    string
	secondary string // member ID of a secondary coverage, "" for none
	stages    []string
	paid      bool
}

var outcomes = []outcome{
	{name: "paid", member: "PAYFULL", stages: []string{"paid"}, paid: true},
	{name: "paid", member: "PARTIAL", stages: []string{"paid"}, paid: true},
	{name: "paid", member: "DEDUCT", stages: []string{"paid"}, paid: true},
	{name: "paid", member: "COINS", stages: []string{"paid"}, paid: true},
	{name: "paid", member: "MBR", stages: []string{"paid"}, paid: true},
	{name: "primary+secondary", member: "PARTIAL", secondary: "SECPAY", stages: []string{"paid"}, paid: true},
	{name: "denied", member: "DENY50", stages: []string{"denied"}},
	{name: "denied", member: "DENY16", stages: []string{"denied"}},
	{name: "rejected", member: "REJECT", stages: []string{"rejected", "needs_fix"}},
	{name: "inactive", member: "INACTIVE", stages: []string{"eligibility_hold", "needs_fix"}},
}

// mix is the outcome of visit i: of every 20, 13 paid, 1 paid by a primary and a
// secondary payer, 3 denied, 2 rejected at the 277CA, 1 with inactive coverage.
func mix(i int) outcome {
	switch j := i % 20; {
	case j < 13:
		return outcomes[j%5]
	case j == 13:
		return outcomes[5]
	case j < 17:
		return outcomes[6+j%2]
	case j < 19:
		return outcomes[8]
	default:
		return outcomes[9]
	}
}

type visit struct {
	i       int
	out     outcome
	caseID  string
	start   time.Time // before the check-in
	entered time.Time // charges complete
	err     error
}

type lifeResult struct {
	visits, failed, settled, paidClaims  int
	wall, enter                          time.Duration
	paidPerSec                           float64
	visitToPaid, claimToPaid, visitToEnd samples
	byOutcome                            map[string]*samples
	cpu                                  cpuUse
	calls                                map[string][]time.Duration
	unsettled                            []string
	paidClaimID                          string
}

// lifecycle enters n visits with clients concurrent clients, then waits until
// every visit's claims settled (the stage its outcome ends in).
func lifecycle(ctx context.Context, o options, c *apiClient, pr practice, pg *pgx.Conn, pid, n int, pick func(int) outcome) (*lifeResult, error) {
	c.takeCalls()
	cpu0 := readCPU(pid)
	start := time.Now()
	jobs := make(chan int)
	visits := make([]*visit, n)
	var wg sync.WaitGroup
	for range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				v := &visit{i: i, out: pick(i)}
				v.err = enterVisit(ctx, c, pr, v)
				visits[i] = v
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	enter := time.Since(start)

	r := &lifeResult{visits: n, enter: enter, byOutcome: map[string]*samples{}}
	byCase := map[string]*visit{}
	for _, v := range visits {
		if v.err != nil {
			r.failed++
			fmt.Fprintf(os.Stderr, "visit %d (%s): %v\n", v.i, v.out.name, v.err)
			continue
		}
		byCase[v.caseID] = v
	}
	deadline := time.Now().Add(o.timeout)
	var rows []claimRow
	var last time.Time
	for {
		var err error
		if rows, err = readClaims(ctx, pg); err != nil {
			return nil, err
		}
		settled, latest := settledVisits(byCase, rows)
		last = latest
		if settled == len(byCase) {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "lifecycle: %d of %d visits settled after %s\n", settled, len(byCase), o.timeout)
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	r.cpu = readCPU(pid).since(cpu0)
	r.calls = c.takeCalls()
	if last.Before(start) {
		last = time.Now()
	}
	r.wall = last.Sub(start)
	r.cpu.wall = r.wall

	claimsOf := map[string][]claimRow{}
	for _, row := range rows {
		if _, ok := byCase[row.caseID]; ok {
			claimsOf[row.caseID] = append(claimsOf[row.caseID], row)
		}
	}
	for _, caseID := range sortedKeys(byCase) {
		v := byCase[caseID]
		cls := claimsOf[caseID]
		done := visitSettled(v, cls)
		if !done {
			r.unsettled = append(r.unsettled, fmt.Sprintf("%s: %s", v.out.name, describe(cls)))
			continue
		}
		r.settled++
		var end time.Time
		for _, cl := range cls {
			if cl.stageChanged.After(end) {
				end = cl.stageChanged
			}
			if cl.stage == "paid" {
				r.paidClaims++
			}
			if cl.stage == "paid" && cl.priority == "primary" {
				r.visitToPaid.add(cl.stageChanged.Sub(v.start))
				r.claimToPaid.add(cl.stageChanged.Sub(cl.created))
				if v.out.member == "PAYFULL" && r.paidClaimID == "" {
					r.paidClaimID = cl.id
				}
			}
		}
		r.visitToEnd.add(end.Sub(v.start))
		s := r.byOutcome[v.out.name]
		if s == nil {
			s = &samples{}
			r.byOutcome[v.out.name] = s
		}
		s.add(end.Sub(v.start))
	}
	r.paidPerSec = float64(r.paidClaims) / r.wall.Seconds()
	if r.failed == n {
		return r, fmt.Errorf("no visit could be entered")
	}
	return r, nil
}

func enterVisit(ctx context.Context, c *apiClient, pr practice, v *visit) error {
	patient, err := c.create(ctx, "POST /patients", "/patients", map[string]any{
		"first_name": "Bench", "last_name": fmt.Sprintf("Patient%d", v.i), "date_of_birth": "1980-02-03",
		"address1": "5 Elm St", "city": "Springfield", "state": "IL", "zip": "62704"})
	if err != nil {
		return err
	}
	if v.caseID, err = c.create(ctx, "POST /cases", "/cases", map[string]any{
		"patient_id": patient, "kind": "insurance", "title": "bench visit"}); err != nil {
		return err
	}
	member := fmt.Sprintf("%s%06d", v.out.member, v.i)
	if _, err := c.create(ctx, "POST /coverages", "/cases/"+v.caseID+"/coverages", map[string]any{
		"payer_id": pr.primary, "priority": "primary", "member_id": member, "effective_from": "2026-01-01"}); err != nil {
		return err
	}
	if v.out.secondary != "" {
		if _, err := c.create(ctx, "POST /coverages", "/cases/"+v.caseID+"/coverages", map[string]any{
			"payer_id": pr.secondary, "priority": "secondary", "member_id": fmt.Sprintf("%s%06d", v.out.secondary, v.i),
			"effective_from": "2026-01-01"}); err != nil {
			return err
		}
	}
	v.start = time.Now()
	enc, err := c.create(ctx, "POST check-in", "/cases/"+v.caseID+"/check-ins", map[string]any{
		"provider_id": pr.provider, "location_id": pr.location, "service_date": "2026-11-02"})
	if err != nil {
		return err
	}
	for _, code := range []string{"99213", "36415"} {
		if _, err := c.create(ctx, "POST charge", "/cases/"+v.caseID+"/encounters/"+enc+"/charges",
			map[string]any{"procedure_code": code, "diagnoses": []string{"E11.9"}, "diagnosis_pointers": []int{1}}); err != nil {
			return err
		}
	}
	if err := c.do(ctx, "POST complete-charges", http.StatusOK, "POST", "/cases/"+v.caseID+"/encounters/"+enc+"/complete-charges", nil, nil); err != nil {
		return err
	}
	v.entered = time.Now()
	return nil
}

type claimRow struct {
	id, caseID, priority, stage string
	created, stageChanged       time.Time
}

func readClaims(ctx context.Context, pg *pgx.Conn) ([]claimRow, error) {
	rows, err := pg.Query(ctx, `SELECT id::text, case_id::text, priority, stage, created_at, stage_changed_at FROM claims`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []claimRow
	for rows.Next() {
		var r claimRow
		if err := rows.Scan(&r.id, &r.caseID, &r.priority, &r.stage, &r.created, &r.stageChanged); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// visitSettled reports whether the visit's claims reached the stages its outcome
// ends in: the primary claim, and a secondary claim paid when there is one.
func visitSettled(v *visit, cls []claimRow) bool {
	var primary, secondary bool
	for _, c := range cls {
		switch c.priority {
		case "primary":
			primary = slices.Contains(v.out.stages, c.stage)
		case "secondary":
			secondary = c.stage == "paid"
		}
	}
	return primary && (v.out.secondary == "" || secondary)
}

func settledVisits(byCase map[string]*visit, rows []claimRow) (int, time.Time) {
	cls := map[string][]claimRow{}
	for _, r := range rows {
		cls[r.caseID] = append(cls[r.caseID], r)
	}
	n := 0
	var last time.Time
	for id, v := range byCase {
		if visitSettled(v, cls[id]) {
			n++
			for _, c := range cls[id] {
				if c.stageChanged.After(last) {
					last = c.stageChanged
				}
			}
		}
	}
	return n, last
}

func describe(cls []claimRow) string {
	if len(cls) == 0 {
		return "no claim"
	}
	var parts []string
	for _, c := range cls {
		parts = append(parts, c.priority+" "+c.stage)
	}
	return strings.Join(parts, ", ")
}

func (r *lifeResult) print() {
	fmt.Printf("LIFECYCLE  %d visits (%d settled, %d failed), %d claims paid in %.1fs (visits entered in %.1fs)\n",
		r.visits, r.settled, r.failed, r.paidClaims, r.wall.Seconds(), r.enter.Seconds())
	fmt.Printf("  claims paid per second   %.2f\n", r.paidPerSec)
	fmt.Printf("  visit -> paid            %s\n", r.visitToPaid)
	fmt.Printf("  claim created -> paid    %s\n", r.claimToPaid)
	for _, k := range sortedKeys(r.byOutcome) {
		fmt.Printf("  visit -> settled %-9s %s\n", k, r.byOutcome[k])
	}
	fmt.Printf("  rcm CPU                  %s\n", r.cpu)
	for _, k := range sortedKeys(r.calls) {
		s := samples{d: r.calls[k]}
		fmt.Printf("  API %-24s %s\n", k, s)
	}
	for i, u := range r.unsettled {
		if i == 10 {
			fmt.Printf("  ... %d more unsettled\n", len(r.unsettled)-10)
			break
		}
		fmt.Printf("  unsettled: %s\n", u)
	}
}

// ---------------------------------------------------------------- the engine baseline

// shape is what one paid claim's workflow took.
type shape struct {
	Activities, LocalActivities, WorkflowTasks, Timers, Signals, Events int
}

func (s shape) String() string {
	return fmt.Sprintf("%d activities, %d local activities, %d workflow tasks, %d timers, %d signals received, %d events",
		s.Activities, s.LocalActivities, s.WorkflowTasks, s.Timers, s.Signals, s.Events)
}

func claimShape(ctx context.Context, tc client.Client, claimID string) (shape, error) {
	if claimID == "" {
		return shape{}, errors.New("no paid claim to count")
	}
	// The claim is paid when the 835 is posted; its workflow finishes moments later.
	if err := tc.GetWorkflow(ctx, "claim/"+claimID, "").Get(ctx, nil); err != nil {
		return shape{}, fmt.Errorf("claim/%s: %w", claimID, err)
	}
	return historyShape(ctx, tc, "claim/"+claimID, "")
}

// visitTypes are the workflows a paid insurance visit runs: its case, its
// claim, one per inbound file (999, 277CA, 835), and the poller that fetches
// those files (shared by every claim).
var visitTypes = []string{"CaseWorkflow", "ClaimWorkflow", "InboundWorkflow", "PollerWorkflow"}

// visitShape is what the warm-up's visits (every one paid, nothing else run
// yet) ran in all their workflows, per visit: the yardstick issue 11 asks for
// is a workflow of as many activities and workflow tasks as a paid claim
// takes, and a claim is paid only through its case (which records the visit
// and builds the claim), its claim workflow and its three inbound files.
//
// files is how many inbound files the warm-up's visits were answered with:
// those the poller's activity applied (every one not applied by an
// InboundWorkflow of its own) count as an activity each, the work a workflow
// step would do.
func visitShape(ctx context.Context, tc client.Client, visits, files int) (shape, error) {
	var sum shape
	if visits == 0 {
		return sum, errors.New("no settled visit to count")
	}
	inbound := 0
	for _, typ := range visitTypes {
		var token []byte
		for {
			resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Query: fmt.Sprintf("WorkflowType = '%s'", typ), PageSize: 500, NextPageToken: token})
			if err != nil {
				return sum, fmt.Errorf("list %s: %w", typ, err)
			}
			for _, ex := range resp.GetExecutions() {
				if typ == "InboundWorkflow" {
					inbound++
				}
				s, err := historyShape(ctx, tc, ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId())
				if err != nil {
					return sum, err
				}
				sum.Activities += s.Activities
				sum.LocalActivities += s.LocalActivities
				sum.WorkflowTasks += s.WorkflowTasks
				sum.Timers += s.Timers
				sum.Signals += s.Signals
				sum.Events += s.Events
			}
			if token = resp.GetNextPageToken(); len(token) == 0 {
				break
			}
		}
	}
	sum.Activities += max(0, files-inbound)
	per := func(n int) int { return (n + visits/2) / visits }
	return shape{Activities: per(sum.Activities), LocalActivities: per(sum.LocalActivities),
		WorkflowTasks: per(sum.WorkflowTasks), Timers: per(sum.Timers), Signals: per(sum.Signals), Events: per(sum.Events)}, nil
}

// historyShape counts a workflow run's steps from its history.
func historyShape(ctx context.Context, tc client.Client, workflowID, runID string) (shape, error) {
	var s shape
	it := tc.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return s, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		s.Events++
		switch ev.GetEventType() {
		case enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			s.Activities++
		case enums.EVENT_TYPE_MARKER_RECORDED:
			if ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
				s.LocalActivities++
			}
		case enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			s.WorkflowTasks++
		case enums.EVENT_TYPE_TIMER_STARTED:
			s.Timers++
		case enums.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			s.Signals++
		}
	}
	return s, nil
}

// Plan is what one baseline workflow does.
type Plan struct {
	Activities, LocalActivities, ExtraTasks int
}

// EngineBaseline runs the plan's no-op activities one after the other, the
// local ones first, and answers the plan's other workflow tasks: the updates
// its starter sends one after the other (driveBaseline), one workflow task
// each, as the API's updates, the inbound files' signals and the claims'
// completions wake a visit's workflows. (Timers would not do: the server fires
// a timer no sooner than about a second after it is set, so a baseline made
// of 1 ms timers measured timer latency, not the engine.)
func EngineBaseline(ctx workflow.Context, p Plan) error {
	ticks := 0
	if err := workflow.SetUpdateHandler(ctx, baselineTick, func(workflow.Context) error {
		ticks++
		return nil
	}); err != nil {
		return err
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	for range p.LocalActivities {
		if err := workflow.ExecuteLocalActivity(lctx, Noop).Get(ctx, nil); err != nil {
			return err
		}
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3}})
	for range p.Activities {
		if err := workflow.ExecuteActivity(actx, Noop).Get(ctx, nil); err != nil {
			return err
		}
	}
	return workflow.Await(ctx, func() bool { return ticks >= p.ExtraTasks && workflow.AllHandlersFinished(ctx) })
}

// baselineTick is the baseline workflow's no-op update.
const baselineTick = "tick"

// driveBaseline sends the run its plan's updates one after the other, then
// waits for it to finish.
func driveBaseline(ctx context.Context, tc client.Client, run client.WorkflowRun, p Plan) error {
	for range p.ExtraTasks {
		h, err := tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: run.GetID(), RunID: run.GetRunID(),
			UpdateName: baselineTick, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			return err
		}
		if err := h.Get(ctx, nil); err != nil {
			return err
		}
	}
	return run.Get(ctx, nil)
}

// Noop is the baseline's activity.
func Noop(context.Context) error { return nil }

type engineResult struct {
	plan    Plan
	n       int
	wall    time.Duration
	perSec  float64
	latency samples
	cpu     cpuUse
	self    cpuUse
}

func baseline(ctx context.Context, o options, tc client.Client, s shape, pid int) (*engineResult, error) {
	// A workflow that runs k activities one after another takes k+1 workflow tasks.
	p := Plan{Activities: s.Activities, LocalActivities: s.LocalActivities,
		ExtraTasks: max(0, s.WorkflowTasks-s.Activities-1)}
	queue := "rcm-bench-baseline-" + randHex(4)
	w := sdkworker.New(tc, queue, workerOptions())
	w.RegisterWorkflow(EngineBaseline)
	w.RegisterActivity(Noop)
	if err := w.Start(); err != nil {
		return nil, err
	}
	defer w.Stop()
	// One untimed workflow so the worker polls before the clock starts.
	if err := runBaseline(ctx, tc, queue, "warm", p); err != nil {
		return nil, err
	}

	n := o.visits
	cpu0, self0 := readCPU(pid), readCPU(os.Getpid())
	start := time.Now()
	jobs := make(chan int)
	type res struct {
		d   time.Duration
		err error
	}
	results := make([]res, n)
	var wg sync.WaitGroup
	var runs sync.WaitGroup
	for range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				t0 := time.Now()
				run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("bench-baseline/%d", i),
					TaskQueue: queue, WorkflowExecutionTimeout: o.timeout}, EngineBaseline, p)
				if err != nil {
					results[i] = res{err: err}
					continue
				}
				runs.Add(1)
				go func() {
					defer runs.Done()
					err := driveBaseline(ctx, tc, run, p)
					results[i] = res{d: time.Since(t0), err: err}
				}()
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	runs.Wait()
	r := &engineResult{plan: p, n: n, wall: time.Since(start)}
	r.cpu, r.self = readCPU(pid).since(cpu0), readCPU(os.Getpid()).since(self0)
	r.cpu.wall, r.self.wall = r.wall, r.wall
	for _, x := range results {
		if x.err != nil {
			return nil, x.err
		}
		r.latency.add(x.d)
	}
	r.perSec = float64(n) / r.wall.Seconds()
	return r, nil
}

func runBaseline(ctx context.Context, tc client.Client, queue, id string, p Plan) error {
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-baseline/" + id, TaskQueue: queue}, EngineBaseline, p)
	if err != nil {
		return err
	}
	return driveBaseline(ctx, tc, run, p)
}

// workerOptions are the rcm worker's (worker/worker.go) so that the baseline's
// worker is not slower or faster for its settings.
func workerOptions() sdkworker.Options {
	return sdkworker.Options{MaxConcurrentWorkflowTaskPollers: 4, MaxConcurrentActivityTaskPollers: 4}
}

func (r *engineResult) print(of string) {
	fmt.Printf("ENGINE BASELINE (%s)  %d workflows of %d activities, %d local activities, %d extra workflow tasks (updates) in %.1fs\n",
		of, r.n, r.plan.Activities, r.plan.LocalActivities, r.plan.ExtraTasks, r.wall.Seconds())
	fmt.Printf("  workflows per second     %.2f\n", r.perSec)
	fmt.Printf("  start -> completed       %s\n", r.latency)
	fmt.Printf("  rcm CPU (server)         %s\n", r.cpu)
	fmt.Printf("  bench CPU (its worker)   %s\n", r.self)
}

// ---------------------------------------------------------------- measures

type samples struct{ d []time.Duration }

func (s *samples) add(d time.Duration) { s.d = append(s.d, d) }

func (s samples) p(q int) time.Duration {
	if len(s.d) == 0 {
		return 0
	}
	d := slices.Clone(s.d)
	slices.Sort(d)
	i := (len(d)*q + 99) / 100
	return d[min(max(i-1, 0), len(d)-1)]
}

func (s samples) String() string {
	if len(s.d) == 0 {
		return "-"
	}
	return fmt.Sprintf("p50 %6.2fs  p95 %6.2fs  max %6.2fs  (n=%d)", s.p(50).Seconds(), s.p(95).Seconds(), s.p(100).Seconds(), len(s.d))
}

// cpuUse is the CPU time a process used over a wall time, and the machine's.
type cpuUse struct {
	proc, machineBusy, machineTotal time.Duration
	wall                            time.Duration
}

func (c cpuUse) since(prev cpuUse) cpuUse {
	return cpuUse{proc: c.proc - prev.proc, machineBusy: c.machineBusy - prev.machineBusy, machineTotal: c.machineTotal - prev.machineTotal}
}

func (c cpuUse) String() string {
	if c.wall <= 0 {
		return "-"
	}
	busy := 0.0
	if c.machineTotal > 0 {
		busy = 100 * float64(c.machineBusy) / float64(c.machineTotal)
	}
	return fmt.Sprintf("%.1f CPU-s = %.0f%% of one core (machine busy %.0f%% of %d cores)",
		c.proc.Seconds(), 100*c.proc.Seconds()/c.wall.Seconds(), busy, runtime.NumCPU())
}

// clockTick is USER_HZ, 100 on every Linux this runs on.
const clockTick = 10 * time.Millisecond

// readCPU reads the process's user+system time from /proc/<pid>/stat and the
// machine's busy and total time from /proc/stat.
func readCPU(pid int) cpuUse {
	var c cpuUse
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the command name (which may hold spaces) in parentheses.
		if i := bytes.LastIndexByte(b, ')'); i > 0 {
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 13 {
				u, _ := strconv.ParseInt(f[11], 10, 64)
				s, _ := strconv.ParseInt(f[12], 10, 64)
				c.proc = time.Duration(u+s) * clockTick
			}
		}
	}
	if f, err := os.Open("/proc/stat"); err == nil {
		sc := bufio.NewScanner(f)
		if sc.Scan() {
			fields := strings.Fields(sc.Text())
			for i, v := range fields[1:] {
				n, _ := strconv.ParseInt(v, 10, 64)
				if i >= 8 { // guest time is already in user
					break
				}
				c.machineTotal += time.Duration(n) * clockTick
				if i != 3 && i != 4 { // idle, iowait
					c.machineBusy += time.Duration(n) * clockTick
				}
			}
		}
		f.Close()
	}
	return c
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// ---------------------------------------------------------------- plumbing

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// quietLogger drops the SDK's logs (the baseline worker's start and stop).
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(msg string, kv ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"temporal sdk:", msg}, kv...)...)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func databaseURL(server, name string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("BENCH_PG_URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func dropDatabase(server, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, server)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
