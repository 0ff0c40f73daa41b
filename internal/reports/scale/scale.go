// Package scale bulk-loads a busy billing company's book into a fresh database
// (set-based SQL with generate_series: a million claims in minutes), so the
// manager views can be measured at size (make bench-scale). Load is a function
// so another loader (work queues) can run in the same database before or after.
package scale

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/denials"
	"github.com/clinicflow/rcm/internal/phicrypt"
	"github.com/clinicflow/rcm/internal/x12"
)

// Sizes says how much to load.
type Sizes struct {
	// Claims is the number of insurance visits, each billed by one claim.
	Claims int
	// LinesPerClaim is the number of charges per visit (the claim's lines).
	LinesPerClaim int
	// OtherVisits is the number of extra visits on private and MVA cases
	// (patient and held A/R), never billed to a payer.
	OtherVisits int
	// Days is how far back service dates go.
	Days int
	// Payers, Locations and Providers are the sizes of the reference tables.
	Payers, Locations, Providers int
}

// Default is the size the issue asks for: a million claims, five million charges.
var Default = Sizes{Claims: 1_000_000, LinesPerClaim: 5, OtherVisits: 100_000, Days: 730, Payers: 20, Locations: 5, Providers: 40}

// Stats is what Load wrote and how long it took.
type Stats struct {
	Rows     map[string]int64
	Duration time.Duration
	Steps    []Step
}

// Step is one timed step of the load.
type Step struct {
	Name     string
	Duration time.Duration
}

// Load writes the book into g's database, which must have the migrations applied
// and hold no claims yet. Triggers are off while it loads (session_replication_role
// = replica: no per-row foreign-key checks or ledger triggers); the ledger's read
// model (ar_items, ledger_daily) is then built set-based from the journals, and
// checked against them to the cent. It needs a superuser connection.
func Load(ctx context.Context, g *gorm.DB, sz Sizes) (Stats, error) {
	st := Stats{Rows: map[string]int64{}}
	start := time.Now()
	// Member IDs are sealed at rest (internal/phicrypt) and SQL cannot seal:
	// every loaded coverage gets one member ID sealed here (the views measured
	// never read it), with its lookup hash.
	member, err := phicrypt.Seal(scaleMemberID)
	if err != nil {
		return st, fmt.Errorf("scale: seal the member ID: %w", err)
	}
	memberHash, err := phicrypt.Lookup(scaleMemberID)
	if err != nil {
		return st, fmt.Errorf("scale: %w", err)
	}
	err = g.WithContext(ctx).Connection(func(tx *gorm.DB) error {
		now := time.Now().UTC()
		if err := tx.Exec(`SET session_replication_role = replica`).Error; err != nil {
			return fmt.Errorf("scale: triggers off (needs a superuser): %w", err)
		}
		defer tx.Exec(`SET session_replication_role = DEFAULT`)
		_ = tx.Exec(`SET maintenance_work_mem = '256MB'`)
		_ = tx.Exec(`SET work_mem = '64MB'`)
		// Parameters are spelled into the SQL (numbers and one timestamp), so a
		// step may hold several statements (the simple query protocol).
		sub := strings.NewReplacer("@claims", strconv.Itoa(sz.Claims), "@lines", strconv.Itoa(sz.LinesPerClaim),
			"@other", strconv.Itoa(sz.OtherVisits), "@days", strconv.Itoa(sz.Days), "@payers", strconv.Itoa(sz.Payers),
			"@locations", strconv.Itoa(sz.Locations), "@providers", strconv.Itoa(sz.Providers),
			"@now", "'"+now.Format(time.RFC3339)+"'", "@denial_categories", denialCategories(),
			"@member_hash", "'"+memberHash+"'", "@member", "'"+member+"'")
		for _, s := range steps {
			t0 := time.Now()
			if err := tx.Exec(sub.Replace(s.sql)).Error; err != nil {
				return fmt.Errorf("scale: %s: %w", s.name, err)
			}
			st.Steps = append(st.Steps, Step{s.name, time.Since(t0)})
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	t0 := time.Now()
	if err := g.WithContext(ctx).Exec(`VACUUM ANALYZE`).Error; err != nil {
		return st, fmt.Errorf("scale: analyze: %w", err)
	}
	st.Steps = append(st.Steps, Step{"vacuum analyze", time.Since(t0)})
	var check struct{ Ledger, Items decimal.Decimal }
	if err := g.WithContext(ctx).Raw(`SELECT
		(SELECT coalesce(sum(amount), 0) FROM journal_lines WHERE account_code IN ('1100', '1200', '1300')) AS ledger,
		(SELECT coalesce(sum(balance), 0) FROM ar_aging_daily_all WHERE dim = 'payer') AS items`).Scan(&check).Error; err != nil {
		return st, fmt.Errorf("scale: check: %w", err)
	}
	if !check.Ledger.Equal(check.Items) {
		return st, fmt.Errorf("scale: read model %s differs from the ledger's receivables %s", check.Items, check.Ledger)
	}
	st.Duration = time.Since(start)
	for _, table := range []string{"claims", "charges", "claim_events", "journals", "journal_lines", "remittance_claims", "tasks", "ar_items", "ledger_daily"} {
		var n int64
		if err := g.WithContext(ctx).Raw(`SELECT count(*) FROM ` + table).Scan(&n).Error; err != nil {
			return st, fmt.Errorf("scale: count %s: %w", table, err)
		}
		st.Rows[table] = n
	}
	return st, nil
}

type step struct{ name, table, sql string } // table: informational

// scaleMemberID is the member ID of every loaded coverage.
const scaleMemberID = "SCALE0001"

// Every id below is md5(prefix || n)::uuid, so steps can refer to each other's
// rows without lookups.
var steps = []step{
	{"reference data", "", `
		INSERT INTO users (id, email, name, role) VALUES (md5('user')::uuid, 'scale-biller@example.test', 'Scale Biller', 'biller');
		INSERT INTO payers (id, name, payer_id, type) SELECT md5('payer' || n)::uuid, 'Payer ' || n, 'SCALE' || n, 'commercial'
			FROM generate_series(1, @payers) n;
		INSERT INTO locations (id, name) SELECT md5('loc' || n)::uuid, 'Clinic ' || n FROM generate_series(1, @locations) n;
		INSERT INTO providers (id, first_name, last_name, npi) SELECT md5('prov' || n)::uuid, 'Doc', 'Provider ' || n, (1500000000 + n)::text
			FROM generate_series(1, @providers) n;`},
	// One row per visit: v <= claims are insurance visits with a claim; the others
	// alternate private and MVA. h spreads stages, dates and amounts.
	{"visits", "", `
		CREATE UNLOGGED TABLE scale_visits AS
		SELECT x.*, CASE
			WHEN v > @claims THEN NULL
			WHEN h < 80 THEN 'paid' WHEN h < 84 THEN 'denied' WHEN h < 87 THEN 'accepted' WHEN h < 89 THEN 'submitted'
			WHEN h < 91 THEN 'appealed' WHEN h < 93 THEN 'partially_paid' WHEN h < 95 THEN 'needs_fix'
			WHEN h < 97 THEN 'written_off' WHEN h < 99 THEN 'transferred_to_patient' ELSE 'scrubbing' END AS stage
		FROM (SELECT v,
		       md5('case' || v)::uuid AS case_id, md5('pat' || (v % greatest(@claims / 3, 1))::text)::uuid AS patient_id,
		       md5('enc' || v)::uuid AS encounter_id, md5('claim' || v)::uuid AS claim_id,
		       CASE WHEN v <= @claims THEN 'insurance' WHEN v % 2 = 0 THEN 'private' ELSE 'mva' END AS kind,
		       md5('payer' || (1 + v % @payers))::uuid AS payer_id,
		       md5('loc' || (1 + v % @locations))::uuid AS location_id,
		       md5('prov' || (1 + (v / 7) % @providers))::uuid AS provider_id,
		       (CAST(@now AS timestamptz) AT TIME ZONE 'UTC')::date - ((v::bigint * 104729) % @days)::int AS service_date,
		       (v::bigint * 7919) % 100 AS h,
		       (@lines * 50 + (SELECT sum((v::bigint * k * 31) % 200) FROM generate_series(1, @lines) k))::numeric(14,2) AS total
		      FROM generate_series(1, @claims + @other) v) x;
		CREATE INDEX ON scale_visits (v);
		ANALYZE scale_visits;`},
	// A claim's events by its final stage: (stage, step, to_stage, cause, days after service).
	{"claim paths", "", `
		CREATE UNLOGGED TABLE scale_paths (stage text, seq int, to_stage text, cause text, days int);
		INSERT INTO scale_paths VALUES
			('scrubbing', 1, 'created', 'system', 1), ('scrubbing', 2, 'scrubbing', 'system', 1),
			('needs_fix', 1, 'created', 'system', 1), ('needs_fix', 2, 'needs_fix', 'scrub', 1),
			('submitted', 1, 'created', 'system', 1), ('submitted', 2, 'submitted', 'system', 2),
			('accepted', 1, 'created', 'system', 1), ('accepted', 2, 'submitted', 'system', 2), ('accepted', 3, 'accepted', '277ca', 4),
			('paid', 1, 'created', 'system', 1), ('paid', 2, 'submitted', 'system', 2), ('paid', 3, 'accepted', '277ca', 4), ('paid', 4, 'paid', '835', 24),
			('partially_paid', 1, 'created', 'system', 1), ('partially_paid', 2, 'submitted', 'system', 2), ('partially_paid', 3, 'accepted', '277ca', 4),
			('partially_paid', 4, 'partially_paid', '835', 26),
			('denied', 1, 'created', 'system', 1), ('denied', 2, 'submitted', 'system', 2), ('denied', 3, 'accepted', '277ca', 4), ('denied', 4, 'denied', '835', 25),
			('appealed', 1, 'created', 'system', 1), ('appealed', 2, 'submitted', 'system', 2), ('appealed', 3, 'accepted', '277ca', 4),
			('appealed', 4, 'denied', '835', 25), ('appealed', 5, 'appealed', 'user', 30),
			('written_off', 1, 'created', 'system', 1), ('written_off', 2, 'submitted', 'system', 2), ('written_off', 3, 'accepted', '277ca', 4),
			('written_off', 4, 'denied', '835', 25), ('written_off', 5, 'written_off', 'user', 40),
			('transferred_to_patient', 1, 'created', 'system', 1), ('transferred_to_patient', 2, 'submitted', 'system', 2),
			('transferred_to_patient', 3, 'accepted', '277ca', 4), ('transferred_to_patient', 4, 'denied', '835', 25),
			('transferred_to_patient', 5, 'transferred_to_patient', 'user', 40);
		CREATE UNLOGGED TABLE scale_events AS
		SELECT v.v, v.claim_id, p.seq, p.to_stage, p.cause,
		       least(v.service_date + p.days + (v.v % 9) + time '12:00' + p.seq * interval '1 minute',
		             CAST(@now AS timestamp) - interval '1 hour' + p.seq * interval '1 minute') AT TIME ZONE 'UTC' AS at,
		       coalesce(lag(p.to_stage) OVER (PARTITION BY v.v ORDER BY p.seq), '') AS from_stage
		FROM scale_visits v JOIN scale_paths p ON p.stage = v.stage;`},
	{"patients", "patients", `INSERT INTO patients (id, first_name, last_name, date_of_birth)
		SELECT DISTINCT patient_id, 'Pat', 'Scale', DATE '1970-01-01' FROM scale_visits`},
	{"cases", "cases", `INSERT INTO cases (id, patient_id, kind, title) SELECT case_id, patient_id, kind, '' FROM scale_visits`},
	{"coverages", "coverages", `INSERT INTO coverages (id, case_id, payer_id, priority, member_id, member_id_hash, effective_from)
		SELECT md5('cov' || v)::uuid, case_id, payer_id, 'primary', @member, @member_hash, DATE '2000-01-01' FROM scale_visits WHERE kind = 'insurance'`},
	{"encounters", "encounters", `INSERT INTO encounters (id, case_id, provider_id, location_id, service_date, checked_in_at, charges_completed_at)
		SELECT encounter_id, case_id, provider_id, location_id, service_date, service_date + time '09:00', service_date + time '17:00' FROM scale_visits`},
	{"charges", "charges", `INSERT INTO charges (id, case_id, encounter_id, procedure_code, units, diagnoses, diagnosis_pointers, unit_price, amount, created_at)
		SELECT md5('chg' || v || '-' || k)::uuid, case_id, encounter_id, '99213', 1, '{E11.9}', '{1}',
		       (50 + ((v::bigint * k * 31) % 200))::numeric(14,2), (50 + ((v::bigint * k * 31) % 200))::numeric(14,2), service_date + time '10:00'
		FROM scale_visits, generate_series(1, @lines) k`},
	{"claims", "claims", `INSERT INTO claims (id, case_id, encounter_id, coverage_id, payer_id, priority, patient_control_number,
			stage, diagnoses, total_charge, paid, contractual, patient_responsibility, stage_changed_at, created_at)
		SELECT v.claim_id, v.case_id, v.encounter_id, md5('cov' || v.v)::uuid, v.payer_id, 'primary', 'S' || v.v, v.stage, '{E11.9}', v.total,
		       CASE v.stage WHEN 'paid' THEN round(v.total * 0.7, 2) WHEN 'partially_paid' THEN round(v.total * 0.5, 2) ELSE 0 END,
		       CASE v.stage WHEN 'paid' THEN round(v.total * 0.2, 2) WHEN 'partially_paid' THEN round(v.total * 0.1, 2) ELSE 0 END,
		       CASE v.stage WHEN 'paid' THEN v.total - round(v.total * 0.7, 2) - round(v.total * 0.2, 2) ELSE 0 END,
		       e.at, v.service_date + 1 + time '12:00'
		FROM scale_visits v JOIN (SELECT v, max(at) AS at FROM scale_events GROUP BY v) e ON e.v = v.v
		WHERE v.kind = 'insurance'`},
	{"claim events", "claim_events", `
		INSERT INTO claim_events (claim_id, at, from_stage, to_stage, cause, actor_id, detail)
		SELECT claim_id, at, from_stage, to_stage, cause, CASE WHEN cause = 'user' THEN md5('user')::uuid END,
		       CASE WHEN cause = '835' AND to_stage = 'denied' THEN jsonb_build_object('remittance_id', md5('rem' || v)::uuid,
		                'denial_category', (@denial_categories)[1 + v % 6])
		            WHEN cause = '835' THEN jsonb_build_object('remittance_id', md5('rem' || v)::uuid) ELSE '{}' END
		FROM scale_events;`},
	// One remittance per adjudicated claim: the payer's 835 (paid in part or full, or denied).
	{"remittances", "remittance_claims", `
		INSERT INTO remittances (id, payer_key, trace_number, payer_name, payment_amount, file_sha256, received_at)
		SELECT md5('rem' || e.v)::uuid, 'SCALE', 'T' || e.v, '', 0, 'scale', e.at FROM scale_events e WHERE e.cause = '835';
		INSERT INTO remittance_claims (id, remittance_id, seq, claim_id, patient_control_number, status_code, charge, paid, contractual,
			patient_responsibility, detail)
		SELECT md5('rc' || v.v)::uuid, md5('rem' || v.v)::uuid, 1, v.claim_id, 'S' || v.v,
		       CASE WHEN e.to_stage = 'denied' THEN '4' ELSE '1' END, v.total, m.paid, m.contractual, m.patient,
		       CASE WHEN e.to_stage = 'denied' THEN jsonb_build_object('status_code', '4', 'is_denial', true, 'payment', '0',
		                'adjustments', jsonb_build_array(jsonb_build_object('group', 'CO',
		                    'reason', (ARRAY['50', '16', '197', '29', '18', '27'])[1 + v.v % 6], 'amount', v.total::text)))
		            ELSE jsonb_build_object('status_code', '1', 'payment', m.paid::text,
		                'adjustments', jsonb_build_array(jsonb_build_object('group', 'CO', 'reason', '45', 'amount', m.contractual::text)))
		       END
		FROM scale_visits v JOIN scale_events e ON e.v = v.v AND e.cause = '835'
		CROSS JOIN LATERAL (SELECT CASE v.stage WHEN 'paid' THEN round(v.total * 0.7, 2) WHEN 'partially_paid' THEN round(v.total * 0.5, 2) ELSE 0 END AS paid,
		                           CASE v.stage WHEN 'paid' THEN round(v.total * 0.2, 2) WHEN 'partially_paid' THEN round(v.total * 0.1, 2) ELSE 0 END AS contractual,
		                           CASE v.stage WHEN 'paid' THEN v.total - round(v.total * 0.7, 2) - round(v.total * 0.2, 2) ELSE 0 END AS patient) m;
`},
	// The ledger: one charge journal per visit (its charges together), the 835's
	// money, write-offs and transfers, and patient payments on a third of the paid.
	{"journals", "journals", `
		CREATE UNLOGGED TABLE scale_journals AS
		SELECT md5('jc' || v)::uuid AS id, 'charge:' || v AS key, 'charge' AS kind, case_id, patient_id, 'encounter' AS source_type,
		       encounter_id AS source_id, service_date + time '10:00' AS posted_at, v, 'charge' AS what FROM scale_visits
		UNION ALL
		SELECT md5('je' || v.v)::uuid, 'era:' || v.v, 'insurance_payment', v.case_id, v.patient_id, 'remittance_claim', md5('rc' || v.v)::uuid,
		       e.at AT TIME ZONE 'UTC', v.v, 'era'
		FROM scale_visits v JOIN scale_events e ON e.v = v.v AND e.cause = '835' AND v.stage IN ('paid', 'partially_paid')
		UNION ALL
		SELECT md5('jw' || v.v)::uuid, 'settle:' || v.v, v.stage, v.case_id, v.patient_id, 'claim', v.claim_id,
		       e.at AT TIME ZONE 'UTC', v.v, v.stage
		FROM scale_visits v JOIN scale_events e ON e.v = v.v AND e.to_stage = v.stage AND v.stage IN ('written_off', 'transferred_to_patient')
		UNION ALL
		SELECT md5('jp' || v.v)::uuid, 'pay:' || v.v, 'patient_payment', v.case_id, v.patient_id, 'encounter', v.encounter_id,
		       e.at AT TIME ZONE 'UTC' + interval '10 days', v.v, 'payment'
		FROM scale_visits v JOIN scale_events e ON e.v = v.v AND e.cause = '835' AND v.stage = 'paid' AND v.v % 10 <> 0
		     AND e.at + interval '10 days' < CAST(@now AS timestamptz)
		UNION ALL
		SELECT md5('jq' || v)::uuid, 'ppay:' || v, 'patient_payment', case_id, patient_id, 'encounter', encounter_id,
		       service_date + 15 + time '11:00', v, 'private_payment'
		FROM scale_visits WHERE kind = 'private' AND v % 5 <> 0 AND service_date + 15 < CAST(@now AS date);
		INSERT INTO journals (id, idempotency_key, kind, case_id, source_type, source_id, memo, posted_at, entry_date)
		SELECT id, key, kind, case_id, source_type, source_id, '', posted_at AT TIME ZONE 'UTC', posted_at::date
		FROM scale_journals;`},
	{"journal lines", "journal_lines", `
		INSERT INTO journal_lines (journal_id, account_code, case_id, patient_id, amount)
		SELECT j.id, l.account, j.case_id, j.patient_id, l.amount
		FROM scale_journals j JOIN scale_visits v ON v.v = j.v
		LEFT JOIN remittance_claims rc ON j.what = 'era' AND rc.id = md5('rc' || v.v)::uuid
		CROSS JOIN LATERAL (VALUES
			(CASE WHEN j.what = 'charge' THEN CASE v.kind WHEN 'insurance' THEN '1200' WHEN 'private' THEN '1100' ELSE '1300' END END, v.total),
			(CASE WHEN j.what = 'charge' THEN '4000' END, -v.total),
			(CASE WHEN j.what = 'era' THEN '1000' END, rc.paid),
			(CASE WHEN j.what = 'era' THEN '4910' END, rc.contractual),
			(CASE WHEN j.what = 'era' AND rc.patient_responsibility > 0 THEN '1100' END, rc.patient_responsibility),
			(CASE WHEN j.what = 'era' THEN '1200' END, -(rc.paid + rc.contractual + rc.patient_responsibility)),
			(CASE WHEN j.what = 'written_off' THEN '4920' WHEN j.what = 'transferred_to_patient' THEN '1100' END, v.total),
			(CASE WHEN j.what IN ('written_off', 'transferred_to_patient') THEN '1200' END, -v.total),
			(CASE WHEN j.what = 'payment' THEN '1000' END, v.total - round(v.total * 0.7, 2) - round(v.total * 0.2, 2)),
			(CASE WHEN j.what = 'payment' THEN '1100' END, -(v.total - round(v.total * 0.7, 2) - round(v.total * 0.2, 2))),
			(CASE WHEN j.what = 'private_payment' THEN '1000' END, v.total),
			(CASE WHEN j.what = 'private_payment' THEN '1100' END, -v.total)
		) AS l(account, amount)
		WHERE l.account IS NOT NULL AND l.amount <> 0`},
	{"open tasks", "tasks", `INSERT INTO tasks (id, queue, kind, status, business_key, case_id, claim_id, title, priority, due_at, created_at,
			workflow_id, update_name)
		SELECT md5('task' || v)::uuid, CASE stage WHEN 'needs_fix' THEN 'claim-fix' WHEN 'accepted' THEN 'follow-up' ELSE 'denials' END,
		       CASE stage WHEN 'needs_fix' THEN 'scrub_failed' WHEN 'accepted' THEN 'no_835' ELSE 'claim_denied' END,
		       'open', 'scale:' || v, case_id, claim_id, 'Scale task', 1,
		       CAST(@now AS timestamptz) + ((v % 40) - 20) * interval '1 day', CAST(@now AS timestamptz) - interval '30 days',
		       CASE WHEN stage = 'accepted' THEN '' ELSE 'claim/' || claim_id END, CASE stage WHEN 'needs_fix' THEN 'fix' WHEN 'accepted' THEN '' ELSE 'decide' END
		FROM scale_visits WHERE stage IN ('needs_fix', 'denied', 'accepted') AND (stage <> 'accepted' OR v % 2 = 0)`},
	// The read model as the journal_lines trigger would have kept it: every
	// loaded journal is tied to a visit, so each line lands on its visit's item.
	{"read model", "ar_items", `
		INSERT INTO ledger_daily (day, account_code, debits, credits)
		SELECT (j.posted_at AT TIME ZONE 'UTC')::date, l.account_code, sum(greatest(l.amount, 0)), sum(greatest(-l.amount, 0))
		FROM journal_lines l JOIN journals j ON j.id = l.journal_id GROUP BY 1, 2;
		INSERT INTO ar_items (account_code, case_id, encounter_id, case_kind, patient_id, location_id, provider_id, service_date,
			claim_id, payer_id, balance)
		SELECT l.account_code, v.case_id, v.encounter_id, v.kind, v.patient_id, v.location_id, v.provider_id, v.service_date,
		       CASE WHEN l.account_code = '1200' AND v.kind = 'insurance' THEN v.claim_id END,
		       CASE WHEN l.account_code = '1200' AND v.kind = 'insurance' THEN v.payer_id END, sum(l.amount)
		FROM scale_journals j JOIN scale_visits v ON v.v = j.v JOIN journal_lines l ON l.journal_id = j.id
		WHERE l.account_code IN ('1100', '1200', '1300')
		GROUP BY l.account_code, v.case_id, v.encounter_id, v.kind, v.patient_id, v.location_id, v.provider_id, v.service_date,
		         v.claim_id, v.payer_id;
		INSERT INTO ar_aging_daily (dim, key, service_date, balance)
		SELECT d.dim, d.key, i.service_date, sum(i.balance)
		FROM ar_items i CROSS JOIN LATERAL (VALUES ('account', i.account_code), ('case_kind', i.case_kind),
			('location', coalesce(i.location_id::text, 'none')), ('payer', ar_payer_key(i.account_code, i.payer_id)),
			('provider', coalesce(i.provider_id::text, 'none'))) AS d(dim, key)
		GROUP BY 1, 2, 3;
		INSERT INTO report_counts (kind, stage, payer_id, location_id, day, n, amount)
		SELECT 'claims', c.stage, c.payer_id, coalesce(e.location_id, '00000000-0000-0000-0000-000000000000'::uuid),
		       (c.stage_changed_at AT TIME ZONE 'UTC')::date, count(*), sum(c.total_charge)
		FROM claims c LEFT JOIN encounters e ON e.id = c.encounter_id
		WHERE c.stage NOT IN ('paid', 'written_off', 'transferred_to_patient', 'voided', 'replaced') GROUP BY 1, 2, 3, 4, 5;
		INSERT INTO report_counts (kind, stage, payer_id, location_id, day, n, amount)
		SELECT 'events', to_stage, '00000000-0000-0000-0000-000000000000'::uuid, '00000000-0000-0000-0000-000000000000'::uuid,
		       (at AT TIME ZONE 'UTC')::date, count(*), 0
		FROM claim_events GROUP BY 1, 2, 3, 4, 5;
		INSERT INTO report_counts (kind, stage, payer_id, location_id, day, n, amount)
		SELECT 'denials', detail->>'denial_category', '00000000-0000-0000-0000-000000000000'::uuid,
		       '00000000-0000-0000-0000-000000000000'::uuid, (at AT TIME ZONE 'UTC')::date, count(*), 0
		FROM claim_events WHERE to_stage = 'denied' AND cause = '835' GROUP BY 1, 2, 3, 4, 5;
		UPDATE report_counts_since SET since = timestamptz '2000-01-01 00:00Z' WHERE kind = 'denials'`},
	{"drop staging", "", `DROP TABLE scale_visits, scale_paths, scale_events, scale_journals`},
}

// denialReasons are the CARCs the loader's denials carry (CO group), in the
// order the remittance step picks them ((ARRAY[...])[1 + v % 6]).
var denialReasons = []string{"50", "16", "197", "29", "18", "27"}

// denialCategories is an SQL array of the category the 835 posting would give
// each of denialReasons (denials.CategoryOf), so the loaded claim events carry
// it as posted ones do.
func denialCategories() string {
	cats := make([]string, len(denialReasons))
	for i, r := range denialReasons {
		cats[i] = "'" + denials.CategoryOf(x12.ClaimPayment{StatusCode: "4", IsDenial: true,
			Adjustments: []x12.Adjustment{{Group: "CO", Reason: r, Amount: decimal.NewFromInt(100)}}}) + "'"
	}
	return "ARRAY[" + strings.Join(cats, ", ") + "]"
}
