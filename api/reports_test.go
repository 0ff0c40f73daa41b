package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/reports"
)

// reportsNow is the fixture's "now": Wednesday 17 June 2026, noon UTC.
var reportsNow = time.Date(2026, 6, 17, 12, 0, 0, 0, time.UTC)

// fixture is a small book whose report answers were worked out by hand (see
// the comments at each assertion).
type fixture struct {
	g                   *gorm.DB
	locs, provs, payers map[string]string
	cases, encs         map[string]string
	claims              map[string]string
	patient             string
	biller              string
	remits              int
}

func at(date string) time.Time {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err)
	}
	return t.Add(12 * time.Hour)
}

func (f *fixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	require.NoError(t, f.g.Exec(sql, args...).Error, sql)
}

// journal posts a balanced journal dated date, its lines in one statement as
// ledger.Post writes them. lines alternate account, amount.
func (f *fixture) journal(t *testing.T, date, caseKey, sourceType, sourceID string, lines ...any) {
	t.Helper()
	id := uuid.NewString()
	require.NoError(t, f.g.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO journals (id, idempotency_key, kind, case_id, source_type, source_id, posted_at)
			VALUES (?, ?, 'test', ?, ?, ?, ?)`, id, id, f.cases[caseKey], sourceType, sourceID, at(date)).Error; err != nil {
			return err
		}
		var vals []string
		var args []any
		for i := 0; i < len(lines); i += 2 {
			vals = append(vals, "(?, ?, ?, ?::numeric)")
			args = append(args, id, lines[i], f.cases[caseKey], lines[i+1])
		}
		return tx.Exec(`INSERT INTO journal_lines (journal_id, account_code, case_id, amount) VALUES `+strings.Join(vals, ", "), args...).Error
	}))
}

func (f *fixture) encounter(t *testing.T, key, kind, payer, loc, prov, dos string) {
	t.Helper()
	cs, enc := uuid.NewString(), uuid.NewString()
	f.cases[key], f.encs[key] = cs, enc
	f.exec(t, `INSERT INTO cases (id, patient_id, kind) VALUES (?, ?, ?)`, cs, f.patient, kind)
	if payer != "" {
		f.exec(t, `INSERT INTO coverages (id, case_id, payer_id, priority, member_id, effective_from)
			VALUES (?, ?, ?, 'primary', 'M1', '2025-01-01')`, uuid.NewString(), cs, f.payers[payer])
	}
	f.exec(t, `INSERT INTO encounters (id, case_id, provider_id, location_id, service_date, checked_in_at) VALUES (?, ?, ?, ?, ?, ?)`,
		enc, cs, f.provs[prov], f.locs[loc], dos, at(dos))
}

// charge captures one charge on the encounter and posts it to the case kind's receivable.
func (f *fixture) charge(t *testing.T, key, account, amount, date string) {
	t.Helper()
	id := uuid.NewString()
	f.exec(t, `INSERT INTO charges (id, case_id, encounter_id, procedure_code, units, diagnoses, diagnosis_pointers, unit_price, amount)
		VALUES (?, ?, ?, '99213', 1, '{E11.9}', '{1}', ?, ?)`, id, f.cases[key], f.encs[key], amount, amount)
	f.journal(t, date, key, "charge", id, account, amount, "4000", "-"+amount)
}

// claim bills the encounter to its payer, with its events (stage on date, cause, by a user?).
func (f *fixture) claim(t *testing.T, key, payer, total string, events ...[3]string) {
	t.Helper()
	id := uuid.NewString()
	f.claims[key] = id
	var cov string
	require.NoError(t, f.g.Raw(`SELECT id FROM coverages WHERE case_id = ?`, f.cases[key]).Scan(&cov).Error)
	created := events[0][0]
	f.exec(t, `INSERT INTO claims (id, case_id, encounter_id, coverage_id, payer_id, priority, patient_control_number,
		diagnoses, total_charge, stage_changed_at, created_at) VALUES (?, ?, ?, ?, ?, 'primary', ?, '{E11.9}', ?, ?, ?)`,
		id, f.cases[key], f.encs[key], cov, f.payers[payer], "PCN"+key, total, at(created), at(created))
	from := ""
	for _, e := range events {
		f.event(t, key, from, e[1], e[2], e[0], "{}")
		from = e[1]
	}
}

func (f *fixture) event(t *testing.T, key, from, to, cause, date, detail string) {
	t.Helper()
	var actor *string
	if cause == "user" {
		actor = &f.biller
	}
	f.exec(t, `INSERT INTO claim_events (claim_id, at, from_stage, to_stage, cause, actor_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?::jsonb)`,
		f.claims[key], at(date), from, to, cause, actor, detail)
	f.exec(t, `UPDATE claims SET stage = ?, stage_changed_at = ? WHERE id = ?`, to, at(date), f.claims[key])
}

// remit records an 835 claim payment received on date; it moves the claim to
// stage and posts the money (cash paid, contractual, patient share).
func (f *fixture) remit(t *testing.T, key, payer, date, status, paid, contractual, patient, stage, adjustments string) {
	t.Helper()
	f.remits++
	rid, rcid := uuid.NewString(), uuid.NewString()
	f.exec(t, `INSERT INTO remittances (id, payer_key, trace_number, payment_amount, file_sha256, received_at) VALUES (?, ?, ?, ?, 'x', ?)`,
		rid, payer, fmt.Sprint(f.remits), paid, at(date))
	detail := fmt.Sprintf(`{"status_code": %q, "is_denial": %t, "payment": %q, "adjustments": [%s]}`, status, status == "4", paid, adjustments)
	f.exec(t, `INSERT INTO remittance_claims (id, remittance_id, seq, claim_id, patient_control_number, status_code, charge, paid, detail)
		VALUES (?, ?, 1, ?, ?, ?, 0, ?, ?::jsonb)`, rcid, rid, f.claims[key], "PCN"+key, status, paid, detail)
	var from string
	require.NoError(t, f.g.Raw(`SELECT stage FROM claims WHERE id = ?`, f.claims[key]).Scan(&from).Error)
	f.event(t, key, from, stage, "835", date, fmt.Sprintf(`{"remittance_id": %q}`, rid))
	if paid == "0.00" && contractual == "0.00" && patient == "0.00" {
		return
	}
	credit := mustDec(paid).Add(mustDec(contractual)).Add(mustDec(patient))
	lines := []any{"1000", paid, "4910", contractual, "1200", "-" + credit.StringFixed(2)}
	if patient != "0.00" {
		lines = append(lines, "1100", patient)
	}
	var kept []any
	for i := 0; i < len(lines); i += 2 {
		if lines[i+1] != "0.00" {
			kept = append(kept, lines[i], lines[i+1])
		}
	}
	f.journal(t, date, key, "remittance_claim", rcid, kept...)
}

func seedReports(t *testing.T, g *gorm.DB, biller string) *fixture {
	f := &fixture{g: g, locs: map[string]string{}, provs: map[string]string{}, payers: map[string]string{},
		cases: map[string]string{}, encs: map[string]string{}, claims: map[string]string{}, patient: uuid.NewString(), biller: biller}
	for _, l := range []string{"L1", "L2"} {
		f.locs[l] = uuid.NewString()
		f.exec(t, `INSERT INTO locations (id, name) VALUES (?, ?)`, f.locs[l], "Clinic "+l)
	}
	for i, p := range []string{"P1", "P2"} {
		f.provs[p] = uuid.NewString()
		f.exec(t, `INSERT INTO providers (id, first_name, last_name, npi) VALUES (?, 'Doc', ?, ?)`, f.provs[p], p, fmt.Sprint(1000000000+i))
	}
	for _, p := range []string{"A", "B"} {
		f.payers[p] = uuid.NewString()
		f.exec(t, `INSERT INTO payers (id, name, payer_id, type) VALUES (?, ?, ?, 'commercial')`, f.payers[p], "Payer "+p, "PAY"+p)
	}
	f.exec(t, `INSERT INTO patients (id, first_name, last_name, date_of_birth) VALUES (?, 'Pat', 'Doe', '1980-01-01')`, f.patient)

	// E1: insurance, payer A, L1/P1, seen 5 June (age 12): 100.00 billed, denied CO-50 on 16 June.
	f.encounter(t, "E1", "insurance", "A", "L1", "P1", "2026-06-05")
	f.charge(t, "E1", "1200", "100.00", "2026-06-05")
	f.claim(t, "E1", "A", "100.00", [3]string{"2026-06-05", "created", "system"}, [3]string{"2026-06-06", "submitted", "system"},
		[3]string{"2026-06-07", "accepted", "277ca"})
	f.remit(t, "E1", "A", "2026-06-16", "4", "0.00", "0.00", "0.00", "denied", `{"group": "CO", "reason": "50", "amount": "100.00"}`)
	// E2: insurance, payer A, L1/P2, seen 26 April (age 52): 200.00, paid 120 + CO-45 50 + PR 30 on 10 May;
	// the patient pays 10.00 of the 30.00 on 20 May (a payment not tied to a visit: FIFO).
	f.encounter(t, "E2", "insurance", "A", "L1", "P2", "2026-04-26")
	f.charge(t, "E2", "1200", "200.00", "2026-04-26")
	f.claim(t, "E2", "A", "200.00", [3]string{"2026-04-27", "created", "system"}, [3]string{"2026-04-28", "submitted", "system"},
		[3]string{"2026-04-30", "accepted", "277ca"})
	f.remit(t, "E2", "A", "2026-05-10", "1", "120.00", "50.00", "30.00", "paid",
		`{"group": "CO", "reason": "45", "amount": "50.00"}, {"group": "PR", "reason": "1", "amount": "30.00"}`)
	f.journal(t, "2026-05-20", "E2", "payment", uuid.NewString(), "1000", "10.00", "1100", "-10.00")
	// E3: insurance, payer B, L2/P1, seen 27 March (age 82): 300.00, scrub failed, submitted 2 May,
	// denied CO-50 on 12 May, appealed by a biller on 15 May, no answer yet.
	f.encounter(t, "E3", "insurance", "B", "L2", "P1", "2026-03-27")
	f.charge(t, "E3", "1200", "300.00", "2026-03-27")
	f.claim(t, "E3", "B", "300.00", [3]string{"2026-03-28", "created", "system"}, [3]string{"2026-03-28", "needs_fix", "scrub"},
		[3]string{"2026-05-02", "submitted", "user"}, [3]string{"2026-05-03", "accepted", "277ca"})
	f.remit(t, "E3", "B", "2026-05-12", "4", "0.00", "0.00", "0.00", "denied", `{"group": "CO", "reason": "50", "amount": "300.00"}`)
	f.event(t, "E3", "denied", "appealed", "user", "2026-05-15", "{}")
	// E4: insurance, payer B, L2/P2, seen 17 February (age 120): 150.00, accepted 1 March, silent since.
	f.encounter(t, "E4", "insurance", "B", "L2", "P2", "2026-02-17")
	f.charge(t, "E4", "1200", "150.00", "2026-02-17")
	f.claim(t, "E4", "B", "150.00", [3]string{"2026-02-18", "created", "system"}, [3]string{"2026-02-19", "submitted", "system"},
		[3]string{"2026-03-01", "accepted", "277ca"})
	f.exec(t, `INSERT INTO tasks (id, queue, kind, business_key, title, claim_id, due_at, priority) VALUES
		(?, 'follow-up', 'no_835', 'k4-no835', 'No 835', ?, ?, 1)`, uuid.NewString(), f.claims["E4"], at("2026-06-01"))
	// E5: private, L1/P1, seen 1 January (age 167): 80.00 to the patient.
	f.encounter(t, "E5", "private", "", "L1", "P1", "2026-01-01")
	f.charge(t, "E5", "1100", "80.00", "2026-01-01")
	// E6: MVA (held), L2/P1, seen 20 May (age 28): 500.00 held.
	f.encounter(t, "E6", "mva", "", "L2", "P1", "2026-05-20")
	f.charge(t, "E6", "1300", "500.00", "2026-05-20")
	// E7: insurance, payer A, L1/P1, seen 1 May (age 47): 60.00, not billed yet.
	f.encounter(t, "E7", "insurance", "A", "L1", "P1", "2026-05-01")
	f.charge(t, "E7", "1200", "60.00", "2026-05-01")
	// E8: insurance, payer A, L1/P1, seen 1 June: 100.00, paid 80 + CO-45 20 on 10 June.
	f.encounter(t, "E8", "insurance", "A", "L1", "P1", "2026-06-01")
	f.charge(t, "E8", "1200", "100.00", "2026-06-01")
	f.claim(t, "E8", "A", "100.00", [3]string{"2026-06-01", "created", "system"}, [3]string{"2026-06-02", "submitted", "system"},
		[3]string{"2026-06-03", "accepted", "277ca"})
	f.remit(t, "E8", "A", "2026-06-10", "1", "80.00", "20.00", "0.00", "paid", `{"group": "CO", "reason": "45", "amount": "20.00"}`)
	// E9: insurance, payer A, L1/P1, seen 20 April: 100.00, submitted 5 May, paid 70 + CO-45 30 on 25 May;
	// a follow-up task was raised about it (so it is not touchless).
	f.encounter(t, "E9", "insurance", "A", "L1", "P1", "2026-04-20")
	f.charge(t, "E9", "1200", "100.00", "2026-04-20")
	f.claim(t, "E9", "A", "100.00", [3]string{"2026-04-21", "created", "system"}, [3]string{"2026-05-05", "submitted", "system"},
		[3]string{"2026-05-06", "accepted", "277ca"})
	f.exec(t, `INSERT INTO tasks (id, queue, kind, status, business_key, title, claim_id, due_at) VALUES
		(?, 'follow-up', 'no_277ca', 'done', 'k9', 'No 277CA', ?, ?)`, uuid.NewString(), f.claims["E9"], at("2026-05-10"))
	f.remit(t, "E9", "A", "2026-05-25", "1", "70.00", "30.00", "0.00", "paid", `{"group": "CO", "reason": "45", "amount": "30.00"}`)
	// E10: insurance, payer B, L2/P2, seen 10 April: 200.00, submitted 7 May, denied CO-16 on 20 May,
	// appealed on 21 May, paid 150 + CO-45 50 on 28 May.
	f.encounter(t, "E10", "insurance", "B", "L2", "P2", "2026-04-10")
	f.charge(t, "E10", "1200", "200.00", "2026-04-10")
	f.claim(t, "E10", "B", "200.00", [3]string{"2026-04-11", "created", "system"}, [3]string{"2026-05-07", "submitted", "system"},
		[3]string{"2026-05-08", "accepted", "277ca"})
	f.remit(t, "E10", "B", "2026-05-20", "4", "0.00", "0.00", "0.00", "denied", `{"group": "CO", "reason": "16", "amount": "200.00"}`)
	f.event(t, "E10", "denied", "appealed", "user", "2026-05-21", "{}")
	f.remit(t, "E10", "B", "2026-05-28", "1", "150.00", "50.00", "0.00", "paid", `{"group": "CO", "reason": "45", "amount": "50.00"}`)
	return f
}

type reportClient struct {
	t     *testing.T
	r     http.Handler
	token string
}

func (c reportClient) get(path string, accept string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	c.r.ServeHTTP(w, req)
	return w
}

func (c reportClient) json(path string, out any) {
	c.t.Helper()
	w := c.get(path, "")
	require.Equal(c.t, http.StatusOK, w.Code, "%s: %s", path, w.Body.String())
	require.NoError(c.t, json.Unmarshal(w.Body.Bytes(), out))
}

func newReportsServer(t *testing.T) (*Server, *gorm.DB, reportClient, string) {
	ctx := context.Background()
	g := pgtest.New(t)
	s := New(g, nil, slog.New(slog.NewTextHandler(testWriter{t}, nil)), 0)
	s.Clock = func() time.Time { return reportsNow }
	u, err := s.auth.CreateUser(ctx, auth.NewUser{Email: "manager@example.test", Name: "Morgan Manager", Role: auth.RoleManager}, audit.System)
	require.NoError(t, err)
	tok, err := s.auth.IssueToken(ctx, u.ID, "test", audit.System)
	require.NoError(t, err)
	return s, g, reportClient{t: t, r: s.Router(), token: tok}, u.ID
}

func TestARAgingMatchesTheHandWorkedFixtureAndTheLedger(t *testing.T) {
	_, g, c, user := newReportsServer(t)
	f := seedReports(t, g, user)

	var ag reports.Aging
	c.json("/api/v1/reports/ar-aging", &ag)
	row := func(r reports.AgingRow) []string {
		out := []string{}
		for _, b := range reports.Buckets {
			out = append(out, r.Amount(b).StringFixed(2))
		}
		return append(out, r.Total.StringFixed(2))
	}
	// 0-30: E1 100 + E6 500; 31-60: E2 20 (30 less the 10 paid) + E7 60; 61-90: E3 300;
	// 91-120: E4 150; 120+: E5 80.
	assert.Equal(t, []string{"600.00", "80.00", "300.00", "150.00", "80.00", "1210.00"}, row(ag.Total))
	assert.Equal(t, "2026-06-17", ag.AsOf)

	// The ledger's receivable balances, summed straight from journal_lines.
	var ledgerTotal string
	require.NoError(t, g.Raw(`SELECT sum(amount)::text FROM journal_lines WHERE account_code IN ('1100', '1200', '1300')`).Scan(&ledgerTotal).Error)
	assert.Equal(t, "1210.00", ledgerTotal)
	assert.True(t, ag.Ledger.InAgreement)
	assert.Equal(t, "1210", ag.Ledger.Total.String())

	byKey := func(g string) map[string][]string {
		out := map[string][]string{}
		for _, r := range ag.Groups[g] {
			out[r.Key] = row(r)
		}
		return out
	}
	assert.Equal(t, map[string][]string{
		"1100": {"0.00", "20.00", "0.00", "0.00", "80.00", "100.00"},
		"1200": {"100.00", "60.00", "300.00", "150.00", "0.00", "610.00"},
		"1300": {"500.00", "0.00", "0.00", "0.00", "0.00", "500.00"},
	}, byKey(reports.ByAccount))
	assert.Equal(t, map[string][]string{
		f.payers["A"]:         {"100.00", "0.00", "0.00", "0.00", "0.00", "100.00"},
		f.payers["B"]:         {"0.00", "0.00", "300.00", "150.00", "0.00", "450.00"},
		reports.PayerUnbilled: {"0.00", "60.00", "0.00", "0.00", "0.00", "60.00"},
		reports.PayerPatient:  {"0.00", "20.00", "0.00", "0.00", "80.00", "100.00"},
		reports.PayerHeld:     {"500.00", "0.00", "0.00", "0.00", "0.00", "500.00"},
	}, byKey(reports.ByPayer))
	assert.Equal(t, map[string][]string{
		"insurance": {"100.00", "80.00", "300.00", "150.00", "0.00", "630.00"},
		"private":   {"0.00", "0.00", "0.00", "0.00", "80.00", "80.00"},
		"mva":       {"500.00", "0.00", "0.00", "0.00", "0.00", "500.00"},
	}, byKey(reports.ByCaseKind))
	assert.Equal(t, map[string][]string{
		f.locs["L1"]: {"100.00", "80.00", "0.00", "0.00", "80.00", "260.00"},
		f.locs["L2"]: {"500.00", "0.00", "300.00", "150.00", "0.00", "950.00"},
	}, byKey(reports.ByLocation))
	assert.Equal(t, map[string][]string{
		f.provs["P1"]: {"600.00", "60.00", "300.00", "0.00", "80.00", "1040.00"},
		f.provs["P2"]: {"0.00", "20.00", "0.00", "150.00", "0.00", "170.00"},
	}, byKey(reports.ByProvider))
	assert.Equal(t, "Payer B", ag.Groups[reports.ByPayer][1].Label, "sorted by total, labelled by name")

	// Drill-down: payer B's 61-90 is E3's claim.
	var items reports.AgingItems
	c.json("/api/v1/reports/ar-aging?bucket=61-90&payer="+f.payers["B"], &items)
	require.Len(t, items.Items, 1)
	it := items.Items[0]
	assert.Equal(t, f.claims["E3"], *it.ClaimID)
	assert.Equal(t, f.cases["E3"], *it.CaseID)
	assert.Equal(t, "appealed", *it.ClaimStage)
	assert.Equal(t, 82, it.AgeDays)
	assert.Equal(t, "300.00", it.Balance.StringFixed(2))
	assert.Equal(t, "Pat Doe", it.PatientName)

	// Paging: the five items of 1200, two at a time, oldest first.
	var seen []string
	next := ""
	for pages := 1; ; pages++ {
		var p reports.AgingItems
		c.json("/api/v1/reports/ar-aging?account=1200&limit=2&after="+next, &p)
		for _, it := range p.Items {
			seen = append(seen, it.ServiceDate.Format(time.DateOnly))
		}
		if next = p.Next; next == "" {
			assert.Equal(t, 2, pages)
			break
		}
	}
	assert.Equal(t, []string{"2026-02-17", "2026-03-27", "2026-05-01", "2026-06-05"}, seen)

	// CSV: the same table.
	w := c.get("/api/v1/reports/ar-aging?by=payer", "text/csv")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Header().Get("Content-Type"), "text/csv")
	recs, err := csv.NewReader(w.Body).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"group", "key", "label", "0-30", "31-60", "61-90", "91-120", "120+", "total"}, recs[0])
	assert.Equal(t, []string{"total", "total", "Total", "600.00", "80.00", "300.00", "150.00", "80.00", "1210.00"}, recs[len(recs)-1])
	assert.Len(t, recs, 1+5+1)

	// Bad input names the field.
	for q, field := range map[string]string{"by=zip": "by", "bucket=1-2": "bucket", "payer=nobody": "payer",
		"limit=0": "limit", "case_kind=boat": "case_kind", "format=xml": "format", "color=red": "color"} {
		w := c.get("/api/v1/reports/ar-aging?"+q, "")
		assert.Equal(t, http.StatusBadRequest, w.Code, q)
		assert.Contains(t, w.Body.String(), `"`+field+`"`, q)
	}
}

func TestKPIsMatchTheHandWorkedFixture(t *testing.T) {
	_, g, c, user := newReportsServer(t)
	f := seedReports(t, g, user)

	var k reports.KPIs
	c.json("/api/v1/reports/kpis?from=2026-05-01&to=2026-05-31", &k)
	got := map[string]string{}
	for _, x := range k.KPIs {
		require.NotEmpty(t, x.Formula, x.Name)
		if x.Value != nil {
			got[x.Name] = x.Value.String()
		}
	}
	assert.Equal(t, map[string]string{
		// A/R at 31 May 1110.00 ÷ (May net charges 560.00 ÷ 31 days).
		reports.KPIDaysInAR: "61.4",
		// First submitted in May: E3 (needed a fix), E9, E10 (clean): 2/3.
		reports.KPICleanClaimRate: "66.67",
		// First 835 in May: E2 paid, E3 denied, E9 paid, E10 denied: 2/4.
		reports.KPIFirstPassRate: "50",
		// 835 claim payments in May: E2, E3 (CO-50), E9, E10 (CO-16), E10: 2/5.
		reports.KPIDenialRate: "40",
		// May cash 350.00 (120 + 10 + 70 + 150) ÷ (560.00 − contractual 130.00).
		reports.KPINetCollection: "81.4",
		// 350.00 ÷ 560.00.
		reports.KPIGrossCollection: "62.5",
		// E2 12 days, E9 20 days, E10 21 days (to its first paying 835): 53/3.
		reports.KPIDaysToPayment: "17.7",
		// Paid in May: E2 (touchless), E9 (a task), E10 (appealed by a person): 1/3.
		reports.KPITouchlessRate: "33.33",
		// Appeals in May: E3 (no answer yet), E10 (paid): 1/1.
		reports.KPIAppealSuccessRate: "100",
	}, got)

	rates := func(rs []reports.Rate) map[string]string {
		out := map[string]string{}
		for _, r := range rs {
			out[r.Key] = fmt.Sprintf("%d/%d=%s", r.Numerator, r.Denominator, r.Value)
		}
		return out
	}
	assert.Equal(t, map[string]string{"medical_necessity": "1/5=20", "coding": "1/5=20"}, rates(k.DenialsByCategory))
	assert.Equal(t, map[string]string{"CO-50": "1/5=20", "CO-16": "1/5=20"}, rates(k.DenialsByCARC))
	assert.Equal(t, map[string]string{f.payers["A"]: "0/2=0", f.payers["B"]: "2/3=66.67"}, rates(k.DenialsByPayer))
	days := map[string]string{}
	for _, d := range k.DaysToPayment {
		days[d.PayerName] = fmt.Sprintf("%d:%s", d.Claims, d.AvgDays)
	}
	assert.Equal(t, map[string]string{"Payer A": "2:16", "Payer B": "1:21"}, days)

	w := c.get("/api/v1/reports/kpis?from=2026-05-01&to=2026-05-31&format=csv", "")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "kpi,clean_claim_rate,,66.67,percent,2,3,")

	for q, field := range map[string]string{"from=2026-06-01&to=2026-05-01": "from", "from=May": "from", "to=2026-13-01": "to"} {
		w := c.get("/api/v1/reports/kpis?"+q, "")
		assert.Equal(t, http.StatusBadRequest, w.Code, q)
		assert.Contains(t, w.Body.String(), `"`+field+`"`, q)
	}
}

func TestStuckClaimsGroupsAndDrillsDownWithTimelines(t *testing.T) {
	_, g, c, user := newReportsServer(t)
	f := seedReports(t, g, user)

	var sum reports.StuckSummary
	c.json("/api/v1/reports/stuck-claims", &sum)
	// Not moved for more than 14 days (before 3 June noon): E4 accepted since 1 March (108 days), E3
	// appealed since 15 May (33 days). E1 moved yesterday; the rest are paid.
	assert.EqualValues(t, 2, sum.Claims)
	type grp struct {
		Stage, Payer string
		N            int64
		Max          int
	}
	var groups []grp
	for _, gr := range sum.Groups {
		groups = append(groups, grp{gr.Stage, gr.PayerName, gr.Claims, gr.MaxDays})
	}
	assert.ElementsMatch(t, []grp{{"accepted", "Payer B", 1, 108}, {"appealed", "Payer B", 1, 33}}, groups)

	c.json("/api/v1/reports/stuck-claims?days=60", &sum)
	assert.EqualValues(t, 1, sum.Claims, "only E4 has waited more than 60 days")

	var page reports.StuckPage
	c.json("/api/v1/reports/stuck-claims?stage=accepted&payer_id="+f.payers["B"], &page)
	require.Len(t, page.Claims, 1)
	cl := page.Claims[0]
	assert.Equal(t, f.claims["E4"], cl.ClaimID)
	assert.Equal(t, 108, cl.DaysInStage)
	var tl []string
	for _, e := range cl.Timeline {
		tl = append(tl, e.At.Format(time.DateOnly)+" "+e.FromStage+">"+e.ToStage+" "+e.Cause+" by "+e.By)
	}
	assert.Equal(t, []string{"2026-02-18 >created system by system", "2026-02-19 created>submitted system by system",
		"2026-03-01 submitted>accepted 277ca by payer 277CA file"}, tl)
	require.Len(t, cl.OpenTasks, 1)
	assert.Equal(t, "no_835", cl.OpenTasks[0].Kind)
	assert.Nil(t, cl.WaitingFor, "no workflow service in this test")
	assert.Contains(t, cl.WaitingError, "no workflow service")

	c.json("/api/v1/reports/stuck-claims?stage=appealed", &page)
	require.Len(t, page.Claims, 1)
	last := page.Claims[0].Timeline[len(page.Claims[0].Timeline)-1]
	assert.Equal(t, "Morgan Manager", last.By, "a person's transition names them")

	w := c.get("/api/v1/reports/stuck-claims?format=csv", "")
	require.Equal(t, http.StatusOK, w.Code)
	recs, err := csv.NewReader(w.Body).ReadAll()
	require.NoError(t, err)
	assert.Len(t, recs, 3)

	for q, field := range map[string]string{"days=-1": "days", "stage=paid": "stage", "payer_id=x": "payer_id",
		"after=zzz": "after", "limit=51": "limit"} {
		w := c.get("/api/v1/reports/stuck-claims?"+q, "")
		assert.Equal(t, http.StatusBadRequest, w.Code, q)
		assert.Contains(t, w.Body.String(), `"`+field+`"`, q)
	}
}

func TestDashboardMatchesTheHandWorkedFixture(t *testing.T) {
	_, g, c, user := newReportsServer(t)
	seedReports(t, g, user)

	var d reports.Dashboard
	c.json("/api/v1/dashboard", &d)
	// June to the 17th: charges E1 100 + E8 100; cash E8 80. May: charges 560, cash 350.
	assert.Equal(t, []string{"200.00", "560.00", "80.00", "350.00"}, []string{d.Revenue.ThisMonth.StringFixed(2),
		d.Revenue.LastMonth.StringFixed(2), d.Cash.ThisMonth.StringFixed(2), d.Cash.LastMonth.StringFixed(2)})
	assert.Equal(t, "1210.00", d.Receivables.Total.StringFixed(2))
	assert.Equal(t, "600.00", d.Receivables.B0to30.StringFixed(2))
	assert.Equal(t, []reports.StageCount{{Stage: "accepted", Claims: 1}, {Stage: "denied", Claims: 1}, {Stage: "appealed", Claims: 1}}, d.ClaimsByStage)
	assert.EqualValues(t, 2, d.StuckClaims)
	assert.EqualValues(t, 1, d.OverdueTasks, "E4's follow-up was due 1 June; E9's is done")
	assert.Equal(t, []reports.Count{{Key: "medical_necessity", Count: 1}}, d.DenialsThisWeek, "E1, denied CO-50 on Tuesday")
	require.Len(t, d.Trend, reports.TrendWeeks)
	assert.Equal(t, "2026-03-30", d.Trend[0].Week)
	weeks := map[string]reports.Week{}
	for _, w := range d.Trend {
		weeks[w.Week] = w
	}
	assert.Equal(t, "500.00", weeks["2026-05-18"].Revenue.StringFixed(2), "E6 on 20 May")
	assert.Equal(t, "10.00", weeks["2026-05-18"].Cash.StringFixed(2), "the patient's 10.00")
	assert.Equal(t, "220.00", weeks["2026-05-25"].Cash.StringFixed(2), "E9 70 + E10 150")
	assert.EqualValues(t, 2, weeks["2026-05-25"].ClaimsPaid)
	assert.EqualValues(t, 1, weeks["2026-06-15"].Denials)
	assert.Equal(t, "1210.00", weeks["2026-06-15"].Receivables.StringFixed(2))
	// Receivables at the end of the week of 25 May: 1110.00 (the A/R at 31 May).
	assert.Equal(t, "1110.00", weeks["2026-05-25"].Receivables.StringFixed(2))

	w := c.get("/api/v1/dashboard", "text/csv")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "receivables,total,1210.00")
}

func mustDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// testWriter sends the server's log to the test's log, shown when it fails.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// TestStuckCountsAgreeWithTheClaims checks the counts behind the stuck summary
// and the dashboard (report_counts, migration 00052) against the claims table:
// claims on either side of the cutoff within its own day, claims moved by
// concurrent transactions in opposite orders (a shared counter row would
// deadlock them), before and after the deltas are folded in.
func TestStuckCountsAgreeWithTheClaims(t *testing.T) {
	ctx := context.Background()
	_, g, c, user := newReportsServer(t)
	f := seedReports(t, g, user)
	rs := &reports.Service{DB: g, Now: func() time.Time { return reportsNow }}

	// The cutoff of 14 days is 3 June noon: E1 moved an hour before it that
	// day (stuck), E2 an hour after it (not stuck).
	cutoff := reportsNow.Add(-14 * 24 * time.Hour)
	f.exec(t, `UPDATE claims SET stage = 'accepted', stage_changed_at = ? WHERE id = ?`, cutoff.Add(-time.Hour), f.claims["E1"])
	f.exec(t, `UPDATE claims SET stage = 'accepted', stage_changed_at = ? WHERE id = ?`, cutoff.Add(time.Hour), f.claims["E2"])
	var sum reports.StuckSummary
	c.json("/api/v1/reports/stuck-claims", &sum)
	// E4 (accepted, payer B), E3 (appealed, payer B) and now E1 (accepted, payer A).
	assert.EqualValues(t, 3, sum.Claims)
	var d reports.Dashboard
	c.json("/api/v1/dashboard", &d)
	assert.EqualValues(t, 3, d.StuckClaims)

	// Twenty transactions move the four claims through stages, each locking
	// two of them in its own order.
	ids := []string{f.claims["E1"], f.claims["E2"], f.claims["E3"], f.claims["E4"]}
	stages := []string{"submitted", "accepted", "denied", "appealed", "needs_fix", "paid"}
	errs := make(chan error, 20)
	for i := range 20 {
		go func() {
			a, b := ids[i%4], ids[(i+1)%4]
			if i%2 == 1 {
				a, b = b, a
			}
			errs <- g.Transaction(func(tx *gorm.DB) error {
				for _, id := range []string{a, b} {
					if err := tx.Exec(`UPDATE claims SET stage = ?, stage_changed_at = ?, total_charge = total_charge + 1 WHERE id = ?`,
						stages[i%len(stages)], reportsNow.Add(-time.Duration(i)*24*time.Hour), id).Error; err != nil {
						return err
					}
					time.Sleep(5 * time.Millisecond)
				}
				return nil
			})
		}()
	}
	for range 20 {
		require.NoError(t, <-errs)
	}
	type row struct {
		Stage   string
		PayerID string
		Day     time.Time
		N       int64
		Amount  decimal.Decimal
	}
	truth := func() []row {
		var out []row
		require.NoError(t, g.Raw(`SELECT stage, payer_id, (stage_changed_at AT TIME ZONE 'UTC')::date AS day,
			count(*) AS n, sum(total_charge) AS amount FROM claims WHERE stage NOT IN ?
			GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, claims.Terminal).Scan(&out).Error)
		return out
	}
	counted := func() []row {
		var out []row
		require.NoError(t, g.Raw(`SELECT stage, payer_id, day, sum(n) AS n, sum(amount) AS amount
			FROM (SELECT * FROM report_counts WHERE kind = 'claims' UNION ALL SELECT * FROM report_count_deltas WHERE kind = 'claims') c
			GROUP BY 1, 2, 3 HAVING sum(n) <> 0 OR sum(amount) <> 0 ORDER BY 1, 2, 3`).Scan(&out).Error)
		return out
	}
	require.Equal(t, truth(), counted(), "before folding")
	var deltas int64
	require.NoError(t, g.Raw(`SELECT count(*) FROM report_count_deltas`).Scan(&deltas).Error)
	assert.Positive(t, deltas)
	_, err := rs.Stuck(ctx, 0) // folds
	require.NoError(t, err)
	require.NoError(t, g.Raw(`SELECT count(*) FROM report_count_deltas`).Scan(&deltas).Error)
	assert.Zero(t, deltas, "a report folds the deltas in")
	require.Equal(t, truth(), counted(), "after folding")

	// The summary with days=0 counts every claim in flight, as the claims say.
	var inFlight int64
	require.NoError(t, g.Raw(`SELECT count(*) FROM claims WHERE stage NOT IN ('paid', 'written_off', 'transferred_to_patient', 'voided', 'replaced')
		AND stage_changed_at < ?`, reportsNow).Scan(&inFlight).Error)
	got, err := rs.Stuck(ctx, 0)
	require.NoError(t, err)
	assert.Equal(t, inFlight, got.Claims)
	// A denial posted since the counts began is counted under the category
	// its posting classified; the fixture's older ones are classified as before.
	denied := func() map[string]int64 {
		c.json("/api/v1/dashboard", &d)
		out := map[string]int64{}
		for _, n := range d.DenialsThisWeek {
			out[n.Key] = n.Count
		}
		return out
	}
	before := denied()
	assert.Equal(t, map[string]int64{"medical_necessity": 1}, before, "E1's CO-50 on 16 June, classified from its remittance")
	f.event(t, "E2", "accepted", "denied", "835", "2026-06-16", `{"denial_category": "authorization"}`)
	assert.Equal(t, map[string]int64{"medical_necessity": 1, "authorization": 1}, denied())

	// And the trend counts each claim event once, in its week.
	var events, trended int64
	require.NoError(t, g.Raw(`SELECT count(*) FROM claim_events WHERE to_stage IN ('submitted', 'paid', 'denied') AND at >= ?`,
		time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)).Scan(&events).Error)
	c.json("/api/v1/dashboard", &d)
	for _, w := range d.Trend {
		trended += w.ClaimsSubmitted + w.ClaimsPaid + w.Denials
	}
	assert.Equal(t, events, trended)
	assert.Positive(t, events)
}
