package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/tasks/taskscale"
)

// BenchmarkScaleTasks loads the work-queue scale fixture (taskscale: 200,000
// open tasks by default, RCM_BENCH_TASKS to change it, plus 65,000 claimed,
// snoozed and done tasks, their history, 1,000 billers in 100 teams) into a
// fresh database and reports the p50 and p99 latency of claim-next (over a
// biller's team queues), a queue page (50 open tasks of one queue, most urgent
// first: the first page with the total count, and further pages by cursor) and
// my-work counts. It runs only with RCM_BENCH_SCALE=1 (make bench-scale-tasks);
// without PostgreSQL it fails and says so.
func BenchmarkScaleTasks(b *testing.B) {
	if os.Getenv("RCM_BENCH_SCALE") != "1" {
		b.Skip("the scale benchmark loads 265,000 tasks: run it with RCM_BENCH_SCALE=1 (make bench-scale-tasks)")
	}
	open := 200_000
	if v := os.Getenv("RCM_BENCH_TASKS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("RCM_BENCH_TASKS=%q: want a number of open tasks of at least 1000", v)
		}
		open = n
	}
	g := pgtest.New(b) // fails (never skips) when PostgreSQL is unreachable
	ctx := context.Background()
	fx, err := taskscale.Load(ctx, g, taskscale.DefaultSize(open))
	if err != nil {
		b.Fatal(err)
	}
	// Printed, not logged: a benchmark with sub-benchmarks shows no log of its own.
	fmt.Printf("taskscale: loaded %d tasks (%d open), %d task events, %d billers in %d teams in %s\n",
		fx.Tasks, open, fx.Events, len(fx.Billers), len(fx.Teams), fx.Duration.Round(time.Millisecond))
	policy := tasks.DefaultPolicy()
	policy.ClaimCap = 1 << 20 // the benchmark's billers claim thousands between them
	svc := &tasks.Service{DB: g, Policy: &policy}
	if os.Getenv("RCM_BENCH_EXPLAIN") == "1" {
		explain(b, g, fx)
	}

	b.Run("claim-next", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		for i := 0; b.Loop(); i++ {
			who := audit.Actor{UserID: fx.Billers[i%len(fx.Billers)]}
			t0 := time.Now()
			_, err := svc.ClaimNext(ctx, "", who)
			lat = append(lat, time.Since(t0))
			if err != nil && !errors.Is(err, tasks.ErrNotFound) {
				b.Fatal(err)
			}
		}
		report(b, lat)
	})
	// A queue page: the 50 most urgent open tasks of one queue. The first page
	// counts the total; the next ones continue by cursor.
	for _, next := range []bool{false, true} {
		name := "queue-page-first"
		if next {
			name = "queue-page-next"
		}
		b.Run(name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			cursors := map[string]string{}
			for i := 0; b.Loop(); i++ {
				q := tasks.Queues[i%len(tasks.Queues)]
				f := tasks.Filter{Queues: []string{q}, Status: []string{tasks.StatusOpen}, Limit: 50}
				if next {
					f.Cursor = cursors[q]
				}
				t0 := time.Now()
				p, err := svc.Find(ctx, f)
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Items) == 0 || p.Total < int64(len(p.Items)) {
					b.Fatalf("queue %s: %d items of %d", q, len(p.Items), p.Total)
				}
				cursors[q] = p.Next
			}
			report(b, lat)
		})
	}
	b.Run("my-work", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		day := time.Now().UTC().Truncate(24 * time.Hour)
		for i := 0; b.Loop(); i++ {
			t0 := time.Now()
			w, err := svc.MyWork(ctx, fx.Billers[i%len(fx.Billers)], day)
			lat = append(lat, time.Since(t0))
			if err != nil {
				b.Fatal(err)
			}
			if len(w.Queues) == 0 {
				b.Fatal("a biller with no queue counts")
			}
		}
		report(b, lat)
	})
}

// report adds the p50 and p99 of the latencies to the benchmark's results.
func report(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op") // per-call latency is what counts here
}

// explain logs the plans of the three measured queries (RCM_BENCH_EXPLAIN=1).
func explain(b *testing.B, g *gorm.DB, fx taskscale.Fixture) {
	team := fx.Teams[0]
	qs := "{" + strings.Join(fx.Queues[team], ",") + "}"
	for _, e := range []struct{ name, sql string }{
		{"claim-next", `SELECT t.* FROM unnest('` + qs + `'::text[]) AS q(name)
			CROSS JOIN LATERAL (SELECT * FROM tasks WHERE queue = q.name AND status = 'open'
			ORDER BY urgency, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) t ORDER BY t.urgency, t.created_at, t.id LIMIT 1`},
		{"claim cap", `SELECT count(*) FROM tasks WHERE assignee_id = '` + fx.Billers[0] + `' AND status = 'claimed'`},
		{"queue page", `SELECT * FROM tasks WHERE queue IN ('denials') AND status IN ('open') ORDER BY urgency, created_at, id LIMIT 51`},
		{"queue page total", `SELECT count(*) FROM tasks WHERE queue IN ('denials') AND status IN ('open')`},
		{"my-work counts", `SELECT queue, count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE overdue AND status IN ('open', 'claimed')),
			count(*) FILTER (WHERE status = 'claimed'), count(*) FILTER (WHERE status = 'snoozed')
			FROM tasks WHERE queue = ANY('` + qs + `'::text[]) AND status IN ('open', 'claimed', 'snoozed') GROUP BY queue`},
		{"my-work done today", `SELECT queue, count(*) FROM tasks WHERE queue = ANY('` + qs + `'::text[]) AND status = 'done'
			AND completed_at >= date_trunc('day', now()) GROUP BY queue`},
	} {
		rows, err := db.SQL(g).Query("EXPLAIN (ANALYZE, BUFFERS) " + e.sql)
		if err != nil {
			b.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				b.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		fmt.Printf("EXPLAIN ANALYZE %s:\n%s\n\n", e.name, strings.Join(plan, "\n"))
	}
}
