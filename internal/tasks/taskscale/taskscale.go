// Package taskscale loads a work-queue fixture at the size of a busy billing
// company into a database (set-based SQL, one transaction), for the scale
// benchmarks: open tasks spread over every queue, tens of thousands claimed,
// snoozed and done, their history, users in teams with managers, and the
// patients, cases, visits, locations and payers the tasks link to. It may run
// after another package's own load: every row it writes is new (fresh ids,
// names and business keys carrying a run tag).
package taskscale

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/tasks"
)

// Size is what to load. Zero fields take the defaults of DefaultSize scaled
// to Open.
type Size struct {
	// Open is the number of open tasks (about 10% of them overdue).
	Open int
	// Claimed, Snoozed and Done are the tasks in those states besides.
	Claimed, Snoozed, Done int
	// Billers work the queues (10 to a team); each team has a manager.
	Billers int
	// Visits is the number of patients, cases and encounters tasks link to.
	Visits int
}

// DefaultSize is the size the benchmark loads: 200,000 open tasks and 65,000
// more claimed, snoozed or done.
func DefaultSize(open int) Size {
	return Size{Open: open, Claimed: open / 10, Snoozed: open / 40, Done: open / 5,
		Billers: max(20, open/200), Visits: max(100, open/10)}
}

// Fixture is what was loaded.
type Fixture struct {
	Tag      string
	Billers  []string // user ids
	Managers []string
	Teams    []string
	// Queues are the queues of each team, by team id.
	Queues   map[string][]string
	Tasks    int
	Events   int64
	Duration time.Duration
}

// Load writes the fixture in one transaction and analyzes the tables it filled.
func Load(ctx context.Context, g *gorm.DB, size Size) (Fixture, error) {
	d := DefaultSize(size.Open)
	for _, f := range []struct{ dst, def *int }{{&size.Claimed, &d.Claimed}, {&size.Snoozed, &d.Snoozed},
		{&size.Done, &d.Done}, {&size.Billers, &d.Billers}, {&size.Visits, &d.Visits}} {
		if *f.dst == 0 {
			*f.dst = *f.def
		}
	}
	start := time.Now()
	fx := Fixture{Tag: uuid.NewString()[:8], Queues: map[string][]string{}}
	teams := max(1, size.Billers/10)
	err := g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		steps := []struct{ what, sql string }{
			{"numbered scratch tables", `CREATE TEMP TABLE scale_users (n int PRIMARY KEY, id uuid NOT NULL, manager boolean NOT NULL) ON COMMIT DROP`},
			{"numbered scratch tables", `CREATE TEMP TABLE scale_visits (n int PRIMARY KEY, patient_id uuid, case_id uuid, encounter_id uuid,
					location_id uuid, payer_id uuid) ON COMMIT DROP`},
			{"numbered scratch tables", `CREATE TEMP TABLE scale_refs (n int PRIMARY KEY, id uuid NOT NULL) ON COMMIT DROP`},
			{"numbered scratch tables", `CREATE TEMP TABLE scale_payers (n int PRIMARY KEY, id uuid NOT NULL) ON COMMIT DROP`},
			{"users", `INSERT INTO scale_users SELECT n, gen_random_uuid(), n <= CAST(@teams AS int) FROM generate_series(1, CAST(@teams AS int) + CAST(@billers AS int)) n`},
			{"users", `INSERT INTO users (id, email, name, role)
				SELECT id, 'scale-' || CAST(@tag AS text) || '-' || n || '@bench.local', 'Scale user ' || n,
					CASE WHEN manager THEN 'manager' ELSE 'biller' END FROM scale_users`},
			{"locations, providers and payers", `INSERT INTO scale_refs SELECT n, gen_random_uuid() FROM generate_series(1, 20) n`},
			{"locations, providers and payers", `INSERT INTO locations (id, name) SELECT id, 'Scale location ' || n FROM scale_refs`},
			{"locations, providers and payers", `INSERT INTO providers (id, first_name, last_name, npi)
				SELECT id, 'Scale', 'Provider ' || n, 'S' || CAST(@tag AS text) || lpad(n::text, 4, '0') FROM scale_refs`},
			{"locations, providers and payers", `INSERT INTO scale_payers SELECT n, gen_random_uuid() FROM generate_series(1, 50) n`},
			{"locations, providers and payers", `INSERT INTO payers (id, name, payer_id, type)
				SELECT id, 'Scale payer ' || n, 'S' || CAST(@tag AS text) || n, 'commercial' FROM scale_payers`},
			{"patients, cases and visits", `INSERT INTO scale_visits
				SELECT n, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),
					(SELECT id FROM scale_refs WHERE scale_refs.n = 1 + v.n % 20),
					(SELECT id FROM scale_payers WHERE scale_payers.n = 1 + v.n % 50)
				FROM generate_series(1, CAST(@visits AS int)) v(n)`},
			{"patients, cases and visits", `INSERT INTO patients (id, first_name, last_name, date_of_birth)
				SELECT patient_id, 'Scale', 'Patient ' || n, date '1950-01-01' + (n % 20000) FROM scale_visits`},
			{"patients, cases and visits", `INSERT INTO cases (id, patient_id, kind)
				SELECT case_id, patient_id, (ARRAY['insurance','insurance','insurance','private','mva','workers_comp'])[1 + n % 6]
				FROM scale_visits`},
			{"patients, cases and visits", `INSERT INTO encounters (id, case_id, provider_id, location_id, service_date, checked_in_at)
				SELECT encounter_id, case_id, location_id, location_id, date '2026-01-01' + (n % 300), now()
				FROM scale_visits`},
			{"teams", `INSERT INTO teams (id, name, manager_id)
				SELECT id, 'Scale team ' || CAST(@tag AS text) || ' ' || n, id FROM scale_users WHERE manager`},
			{"teams", `INSERT INTO team_members (team_id, user_id)
				SELECT m.id, b.id FROM scale_users b JOIN scale_users m ON m.manager AND m.n = 1 + b.n % CAST(@teams AS int)
				WHERE NOT b.manager`},
			{"teams", `INSERT INTO team_queues (team_id, queue)
				SELECT DISTINCT m.id, (CAST(@queues AS text[]))[1 + (m.n * k) % cardinality(CAST(@queues AS text[]))]
				FROM scale_users m CROSS JOIN generate_series(1, 3) k WHERE m.manager`},
			// Tasks in every state at once; the trigger on tasks writes each one's
			// "created" event. Open tasks were raised over the last 30 days; a
			// tenth are overdue (escalated, priority raised).
			{"tasks", `INSERT INTO tasks (id, queue, kind, status, business_key, case_id, encounter_id, patient_id,
					location_id, payer_id, title, details, priority, due_at, overdue, escalated_at, snoozed_until,
					assignee_id, claimed_at, completed_at, completed_by, resolution, created_at, updated_at)
				SELECT gen_random_uuid(), t.queue, 'scale', t.status, 'scale:' || CAST(@tag AS text) || ':' || t.n,
					v.case_id, v.encounter_id, v.patient_id, v.location_id, v.payer_id, 'Scale task', '{}',
					t.priority + CASE WHEN t.overdue THEN 10 ELSE 0 END,
					t.created_at + interval '3 days', t.overdue, CASE WHEN t.overdue THEN t.created_at + interval '3 days' END,
					CASE WHEN t.status = 'snoozed' THEN now() + interval '1 day' * (1 + t.n % 5) END,
					CASE WHEN t.status IN ('claimed', 'done') OR (t.status = 'snoozed' AND t.n % 2 = 0) THEN u.id END,
					CASE WHEN t.status = 'claimed' THEN t.created_at + interval '1 hour' END,
					CASE WHEN t.status = 'done' THEN now() - interval '1 minute' * (t.n % 20000) END,
					CASE WHEN t.status = 'done' THEN u.id END,
					CASE WHEN t.status = 'done' THEN 'worked' ELSE '' END,
					t.created_at, t.created_at
				FROM (SELECT n, (CAST(@queues AS text[]))[1 + n % cardinality(CAST(@queues AS text[]))] AS queue,
						CASE WHEN n <= CAST(@open AS int) THEN 'open' WHEN n <= CAST(@open AS int) + CAST(@claimed AS int) THEN 'claimed'
							WHEN n <= CAST(@open AS int) + CAST(@claimed AS int) + CAST(@snoozed AS int) THEN 'snoozed' ELSE 'done' END AS status,
						(n * 7) % 5 AS priority,
						n <= CAST(@open AS int) AND n % 10 = 0 AS overdue,
						now() - interval '1 second' * ((n * 7919) % (30 * 86400)) AS created_at
					FROM generate_series(1, CAST(@open AS int) + CAST(@claimed AS int) + CAST(@snoozed AS int) + CAST(@done AS int)) n) t
				JOIN scale_visits v ON v.n = 1 + t.n % CAST(@visits AS int)
				JOIN scale_users u ON u.n = CAST(@teams AS int) + 1 + t.n % CAST(@billers AS int)`},
			{"history of claimed and done tasks", `INSERT INTO task_events (task_id, at, kind, actor_id, from_status, to_status, assignee_id)
				SELECT id, coalesce(claimed_at, created_at + interval '1 hour'), 'claimed', assignee_id, 'open', 'claimed', assignee_id
				FROM tasks WHERE business_key LIKE 'scale:' || CAST(@tag AS text) || ':%' AND status IN ('claimed', 'done')`},
			{"history of claimed and done tasks", `INSERT INTO task_events (task_id, at, kind, actor_id, from_status, to_status, assignee_id)
				SELECT id, completed_at, 'completed', completed_by, 'claimed', 'done', assignee_id
				FROM tasks WHERE business_key LIKE 'scale:' || CAST(@tag AS text) || ':%' AND status = 'done'`},
		}
		args := map[string]any{"tag": fx.Tag, "teams": teams, "billers": size.Billers, "visits": size.Visits,
			"open": size.Open, "claimed": size.Claimed, "snoozed": size.Snoozed, "done": size.Done,
			"queues": queueArray(tasks.Queues)}
		for _, s := range steps {
			var params []any
			if strings.Contains(s.sql, "@") {
				params = append(params, args)
			}
			if err := tx.Exec(s.sql, params...).Error; err != nil {
				return fmt.Errorf("taskscale: load %s: %w", s.what, err)
			}
		}
		var us []struct {
			ID      string
			Manager bool
		}
		if err := tx.Raw(`SELECT id, manager FROM scale_users ORDER BY n`).Scan(&us).Error; err != nil {
			return err
		}
		for _, u := range us {
			if u.Manager {
				fx.Managers = append(fx.Managers, u.ID)
			} else {
				fx.Billers = append(fx.Billers, u.ID)
			}
		}
		return nil
	})
	if err != nil {
		return fx, err
	}
	fx.Teams = fx.Managers // each manager's team has the manager's id
	for _, t := range fx.Teams {
		var qs []string
		if err := g.WithContext(ctx).Table("team_queues").Where("team_id = ?", t).Pluck("queue", &qs).Error; err != nil {
			return fx, err
		}
		fx.Queues[t] = qs
	}
	fx.Tasks = size.Open + size.Claimed + size.Snoozed + size.Done
	if err := g.WithContext(ctx).Raw(`SELECT count(*) FROM task_events`).Scan(&fx.Events).Error; err != nil {
		return fx, err
	}
	// Fresh statistics and visibility maps, as autovacuum would leave them.
	for _, t := range []string{"tasks", "task_events", "team_members", "team_queues", "teams", "users"} {
		if _, err := db.SQL(g).ExecContext(ctx, "VACUUM ANALYZE "+t); err != nil {
			return fx, fmt.Errorf("taskscale: vacuum %s: %w", t, err)
		}
	}
	fx.Duration = time.Since(start)
	return fx, nil
}

func queueArray(qs []string) string {
	out := "{"
	for i, q := range qs {
		if i > 0 {
			out += ","
		}
		out += `"` + q + `"`
	}
	return out + "}"
}
