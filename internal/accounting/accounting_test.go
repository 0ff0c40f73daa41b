package accounting_test

import (
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/accounting"
	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/records"
)

// clinic is a practice with two locations, two providers, a fee schedule and one
// private case with a visit at each location.
type clinic struct {
	db       *gorm.DB
	bill     *billing.Service
	acct     *accounting.Service
	caseID   string
	visits   [2]string // encounter ids
	provs    [2]string
	locs     [2]string
	today    time.Time
	tomorrow time.Time
}

func newClinic(t *testing.T) clinic {
	g := pgtest.New(t)
	ctx := context.Background()
	rs := &records.Service{DB: g}
	c := clinic{db: g, bill: &billing.Service{DB: g}}
	for i, name := range []string{"North", "South"} {
		loc, err := rs.CreateLocation(ctx, records.NewLocation{Name: name, Address: records.Address{Address1: "1 A St", City: "C", State: "IL", Zip: "62701"}}, audit.System)
		require.NoError(t, err)
		c.locs[i] = loc.ID
	}
	for i, npi := range []string{"1234567893", "1245319599"} {
		p, err := rs.CreateProvider(ctx, records.NewProvider{FirstName: "A", LastName: "Doc" + string(rune('A'+i)), NPI: npi}, audit.System)
		require.NoError(t, err)
		c.provs[i] = p.ID
	}
	_, err := rs.CreateFeeSchedule(ctx, records.NewFeeSchedule{Name: "S", IsDefault: true, Items: []records.NewFeeItem{
		{ProcedureCode: "99213", Price: decimal.RequireFromString("100.10")},
		{ProcedureCode: "97140", Price: decimal.RequireFromString("45.00")}}}, audit.System)
	require.NoError(t, err)
	pat, err := rs.CreatePatient(ctx, records.NewPatient{FirstName: "J", LastName: "R", DateOfBirth: "1990-01-01"}, audit.System)
	require.NoError(t, err)
	cs, err := (&cases.Service{DB: g}).Create(ctx, cases.New{PatientID: pat.ID, Kind: cases.Private}, audit.System)
	require.NoError(t, err)
	c.caseID = cs.ID
	for i := range c.visits {
		c.visits[i] = uuid.NewString()
		require.NoError(t, c.bill.RecordEncounter(ctx, billing.EncounterInput{EncounterID: c.visits[i], CaseID: cs.ID,
			ProviderID: c.provs[i], LocationID: c.locs[i], ServiceDate: "2026-11-02", CheckedInAt: time.Now()}))
	}
	now := time.Now().UTC()
	c.today = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	c.tomorrow = c.today.AddDate(0, 0, 1)
	c.acct = &accounting.Service{DB: g}
	return c
}

func (c clinic) charge(t *testing.T, visit int, code string, units int) string {
	id := uuid.NewString()
	_, err := c.bill.CaptureCharge(context.Background(), billing.ChargeInput{ChargeID: id, CaseID: c.caseID,
		EncounterID: c.visits[visit], ProcedureCode: code, Units: units, Diagnoses: []string{"M54.50"}})
	require.NoError(t, err)
	return id
}

func (c clinic) pay(t *testing.T, amount string) {
	_, err := c.bill.RecordPayment(context.Background(), billing.PaymentInput{PaymentID: uuid.NewString(), CaseID: c.caseID,
		Amount: decimal.RequireFromString(amount), Method: "cash", ReceivedAt: time.Now(), IdempotencyKey: uuid.NewString()})
	require.NoError(t, err)
}

func (c clinic) journals(t *testing.T) int64 {
	var n int64
	require.NoError(t, c.db.Table("journals").Count(&n).Error)
	return n
}

func (c clinic) mapAll(t *testing.T) {
	accts, err := c.acct.Accounts(context.Background())
	require.NoError(t, err)
	for _, a := range accts {
		code := "GL-" + a.Code
		if a.Code == string(ledger.ARPatient) || a.Code == string(ledger.ARInsuranceUnbilled) {
			code = "GL-AR" // two ledger accounts, one practice account
		}
		_, err := c.acct.MapAccount(context.Background(), a.Code, accounting.Mapping{ExternalCode: code, ExternalName: "Acct " + code}, audit.System)
		require.NoError(t, err)
	}
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestGLExportRepeatedNeverDoubleCounts(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	c.acct.Now = func() time.Time { return c.tomorrow } // today's journals are in a day that is over
	c.charge(t, 0, "99213", 1)                          // 100.10 today
	c.pay(t, "50.00")
	twoDaysAgo := c.today.AddDate(0, 0, -2)
	_, err := c.acct.PostAdjusting(ctx, accounting.Adjusting{Date: twoDaysAgo.Format(time.DateOnly), Memo: "opening cash",
		Lines: []accounting.AdjustingLine{{Account: "1000", Debit: d("10.00")}, {Account: "4000", Credit: d("10.00")}}}, audit.System)
	require.NoError(t, err)

	first := accounting.NewExport{From: c.today.AddDate(0, 0, -3).Format(time.DateOnly), To: c.today.AddDate(0, 0, -1).Format(time.DateOnly)}
	_, err = c.acct.CreateExport(ctx, first, audit.System)
	require.ErrorIs(t, err, accounting.ErrUnmapped, "an unmapped account is refused, not exported under its ledger code")
	c.mapAll(t)

	e1, err := c.acct.CreateExport(ctx, first, audit.System)
	require.NoError(t, err)
	assert.Equal(t, 1, e1.Journals)
	assert.Equal(t, "10.00", e1.Debits.StringFixed(2))
	assert.Len(t, e1.SHA256, 64)

	again, err := c.acct.CreateExport(ctx, first, audit.System)
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.Equal(t, e1.ID, again.ID)
	assert.Equal(t, e1.SHA256, again.SHA256)
	assert.Equal(t, e1.CSV, again.CSV)

	// The next export starts where the last ended, whatever it is asked for.
	_, err = c.acct.CreateExport(ctx, accounting.NewExport{From: c.today.AddDate(0, 0, -1).Format(time.DateOnly), To: c.today.Format(time.DateOnly)}, audit.System)
	require.ErrorIs(t, err, accounting.ErrOverlap)
	e2, err := c.acct.CreateExport(ctx, accounting.NewExport{To: c.today.Format(time.DateOnly), Granularity: accounting.Detail}, audit.System)
	require.NoError(t, err)
	assert.Equal(t, c.today, e2.FromDate.UTC())
	assert.Equal(t, 2, e2.Journals, "the charge and the payment")
	assert.Equal(t, "150.10", e2.Debits.StringFixed(2), "detail: charge 100.10 + payment 50.00")

	// Every journal is in exactly one export; their debits are the ledger's.
	var total struct {
		Journals int
		Debits   decimal.Decimal
	}
	require.NoError(t, c.db.Raw(`SELECT count(DISTINCT journal_id) AS journals, sum(amount) FILTER (WHERE amount > 0) AS debits FROM journal_lines`).Scan(&total).Error)
	assert.Equal(t, total.Journals, e1.Journals+e2.Journals)
	assert.Equal(t, total.Debits.StringFixed(2), e1.Debits.Add(e2.Debits).StringFixed(2))

	// An exported day takes no more journals: they could never reach the books.
	before := c.journals(t)
	_, err = c.acct.PostAdjusting(ctx, accounting.Adjusting{Date: c.today.AddDate(0, 0, -2).Format(time.DateOnly), Memo: "late",
		Lines: []accounting.AdjustingLine{{Account: "1000", Debit: d("1.00")}, {Account: "4000", Credit: d("1.00")}}}, audit.System)
	require.ErrorIs(t, err, ledger.ErrPeriodClosed)
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err))
	assert.Equal(t, before, c.journals(t))

	ok, err := c.acct.Verify(ctx, e1)
	require.NoError(t, err)
	assert.True(t, ok, "the exported range still hashes the same")

	// The CSV: two practice accounts for the adjusting journal.
	rows, err := csv.NewReader(strings.NewReader(e1.CSV)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, []string{"date", "entry", "account", "account_name", "ledger_accounts", "debit", "credit", "memo"}, rows[0])
	assert.Equal(t, "GL-1000", rows[1][2])
	assert.Equal(t, "10.00", rows[1][5])
	assert.Equal(t, "GL-4000", rows[2][2])
	assert.Equal(t, "10.00", rows[2][6])

	// The IIF: header, then per entry TRNS + SPL lines summing to zero, ENDTRNS.
	checkIIF(t, e2.IIF, 2)
	checkIIF(t, e1.IIF, 1)
}

// checkIIF parses a QuickBooks IIF general journal and checks each transaction
// balances.
func checkIIF(t *testing.T, iif string, entries int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(iif, "\r\n"), "\r\n")
	require.GreaterOrEqual(t, len(lines), 3)
	assert.True(t, strings.HasPrefix(lines[0], "!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT"))
	assert.True(t, strings.HasPrefix(lines[1], "!SPL\t"))
	assert.Equal(t, "!ENDTRNS", lines[2])
	n := 0
	sum := decimal.Zero
	for _, l := range lines[3:] {
		f := strings.Split(l, "\t")
		switch f[0] {
		case "TRNS", "SPL":
			require.Len(t, f, 9, l)
			assert.Equal(t, "GENERAL JOURNAL", f[2])
			_, err := time.Parse("01/02/2006", f[3])
			assert.NoError(t, err)
			sum = sum.Add(decimal.RequireFromString(f[6]))
		case "ENDTRNS":
			assert.True(t, sum.IsZero(), "transaction %d sums to %s", n, sum)
			sum = decimal.Zero
			n++
		default:
			t.Fatalf("unexpected IIF line %q", l)
		}
	}
	assert.Equal(t, entries, n)
}

func TestClosedPeriodRefusesBackdatedJournal(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	start := time.Date(c.today.Year(), c.today.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	end := start.AddDate(0, 1, -1)
	p, err := c.acct.CreatePeriod(ctx, accounting.NewPeriod{Name: start.Format("2006-01"), StartDate: start.Format(time.DateOnly), EndDate: end.Format(time.DateOnly)}, audit.System)
	require.NoError(t, err)
	_, err = c.acct.CreatePeriod(ctx, accounting.NewPeriod{Name: "overlap", StartDate: end.Format(time.DateOnly), EndDate: end.AddDate(0, 0, 5).Format(time.DateOnly)}, audit.System)
	require.ErrorIs(t, err, accounting.ErrPeriodOverlap)

	inside := accounting.Adjusting{Date: start.AddDate(0, 0, 3).Format(time.DateOnly), Memo: "accrual",
		Lines: []accounting.AdjustingLine{{Account: "1000", Debit: d("25.00")}, {Account: "4000", Credit: d("25.00")}}}
	_, err = c.acct.PostAdjusting(ctx, inside, audit.System) // open: accepted
	require.NoError(t, err)

	current, err := c.acct.CreatePeriod(ctx, accounting.NewPeriod{Name: "current", StartDate: end.AddDate(0, 0, 1).Format(time.DateOnly), EndDate: end.AddDate(0, 1, 0).Format(time.DateOnly)}, audit.System)
	require.NoError(t, err)
	_, err = c.acct.ClosePeriod(ctx, current.ID, audit.System)
	require.ErrorIs(t, err, accounting.ErrPeriodNotOver, "a period that has not ended cannot close")

	closed, err := c.acct.ClosePeriod(ctx, p.ID, audit.System)
	require.NoError(t, err)
	assert.Equal(t, accounting.PeriodClosed, closed.Status)

	before := c.journals(t)
	_, err = c.acct.PostAdjusting(ctx, inside, audit.System)
	require.ErrorIs(t, err, ledger.ErrPeriodClosed)
	assert.Contains(t, err.Error(), "adjusting journal dated in an open period")
	// Any writer is refused, not only this package: the rule is the database's.
	err = c.db.Transaction(func(tx *gorm.DB) error {
		_, err := ledger.Post(tx, ledger.Journal{IdempotencyKey: "backdated", Kind: "test", SourceType: "test", SourceID: uuid.NewString(),
			Date: end, Lines: []ledger.Line{ledger.Debit(ledger.Cash, d("1")), ledger.Credit(ledger.Revenue, d("1"))}})
		return err
	})
	require.ErrorIs(t, err, ledger.ErrPeriodClosed)
	assert.Equal(t, before, c.journals(t), "nothing half-written")

	// The correction goes in the open period; ordinary postings carry on.
	fix := inside
	fix.Date, fix.Memo = "", "reverse accrual of last month"
	fix.Lines = []accounting.AdjustingLine{{Account: "4000", Debit: d("25.00")}, {Account: "1000", Credit: d("25.00")}}
	r, err := c.acct.PostAdjusting(ctx, fix, audit.System)
	require.NoError(t, err)
	assert.Equal(t, c.today, r.Date.UTC())
	c.charge(t, 0, "99213", 1)
	assert.Equal(t, before+2, c.journals(t))
}

func TestAdjustingJournalInputIsCheckedWhole(t *testing.T) {
	c := newClinic(t)
	_, err := c.acct.PostAdjusting(context.Background(), accounting.Adjusting{Date: "2026-13-01",
		Lines: []accounting.AdjustingLine{{Account: "9999", Debit: d("1.00")}, {Account: "4000", Debit: d("1.00"), Credit: d("1.00")}}}, audit.System)
	require.Error(t, err)
	fields := map[string]bool{}
	for _, f := range apperr.Fields(err) {
		fields[f.Field] = true
	}
	assert.True(t, fields["memo"] && fields["date"] && fields["lines[1]"], "%v", apperr.Fields(err))
	_, err = c.acct.PostAdjusting(context.Background(), accounting.Adjusting{Memo: "x",
		Lines: []accounting.AdjustingLine{{Account: "9999", Debit: d("1.00")}, {Account: "4000", Credit: d("1.00")}}}, audit.System)
	require.Error(t, err)
	assert.Equal(t, "lines[0].account", apperr.Fields(err)[0].Field)
	_, err = c.acct.PostAdjusting(context.Background(), accounting.Adjusting{Memo: "x",
		Lines: []accounting.AdjustingLine{{Account: "1000", Debit: d("2.00")}, {Account: "4000", Credit: d("1.00")}}}, audit.System)
	require.Error(t, err)
	assert.Equal(t, "lines", apperr.Fields(err)[0].Field)
	// The inventory account moves only with stock, which carries its location.
	_, err = c.acct.PostAdjusting(context.Background(), accounting.Adjusting{Memo: "count",
		Lines: []accounting.AdjustingLine{{Account: "5150", Debit: d("2.00")}, {Account: "1500", Credit: d("2.00")}}}, audit.System)
	require.Error(t, err)
	assert.Equal(t, "lines[1].account", apperr.Fields(err)[0].Field)
	assert.Contains(t, apperr.Fields(err)[0].Message, "stock adjustment")
	assert.EqualValues(t, 0, c.journals(t))
}

func TestTrialBalanceSumsToZero(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	c.charge(t, 0, "99213", 2) // 200.20
	c.charge(t, 1, "97140", 1) // 45.00
	c.pay(t, "300.00")         // 54.80 becomes a credit
	tb, err := c.acct.TrialBalance(ctx, "")
	require.NoError(t, err)
	assert.True(t, tb.Difference.IsZero(), "difference %s", tb.Difference)
	assert.Equal(t, "300.00", tb.Debits.StringFixed(2))
	byAcct := map[string]accounting.TrialBalanceRow{}
	for _, r := range tb.Rows {
		byAcct[r.Account] = r
	}
	assert.Equal(t, "300.00", byAcct["1000"].Debit.StringFixed(2))
	assert.Equal(t, "245.20", byAcct["4000"].Credit.StringFixed(2))
	assert.Equal(t, "54.80", byAcct["2100"].Credit.StringFixed(2))
	_, ok := byAcct["1100"]
	assert.False(t, ok, "a zero balance is not listed")

	old, err := c.acct.TrialBalance(ctx, c.today.AddDate(0, 0, -1).Format(time.DateOnly))
	require.NoError(t, err)
	assert.Empty(t, old.Rows, "nothing was dated before today")
	_, err = c.acct.TrialBalance(ctx, "yesterday")
	assert.Equal(t, "as_of", apperr.Fields(err)[0].Field)
}

func TestRevenueByServiceTypeProviderLocation(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	c.charge(t, 0, "99213", 1)           // 100.10, provider 0, North
	c.charge(t, 0, "97140", 2)           // 90.00, provider 0, North
	voided := c.charge(t, 1, "97140", 1) // 45.00, provider 1, South, voided
	require.NoError(t, c.bill.VoidCharge(ctx, billing.VoidInput{CaseID: c.caseID, ChargeID: voided, Reason: "wrong code"}))
	c.charge(t, 1, "99213", 1) // 100.10, provider 1, South

	byCode, err := c.acct.RevenueReport(ctx, accounting.RevenueFilter{GroupBy: accounting.ByServiceType})
	require.NoError(t, err)
	require.Len(t, byCode.Rows, 2)
	assert.Equal(t, "97140", byCode.Rows[0].Key)
	assert.Equal(t, 2, byCode.Rows[0].Charges)
	assert.Equal(t, "135.00", byCode.Rows[0].Charged.StringFixed(2))
	assert.Equal(t, "45.00", byCode.Rows[0].Voided.StringFixed(2))
	assert.Equal(t, "90.00", byCode.Rows[0].Net.StringFixed(2))
	assert.Equal(t, "200.20", byCode.Rows[1].Net.StringFixed(2))
	assert.Equal(t, "290.20", byCode.Net.StringFixed(2))

	// The report is the ledger: its net is the revenue account's balance.
	tb, err := c.acct.TrialBalance(ctx, "")
	require.NoError(t, err)
	for _, r := range tb.Rows {
		if r.Account == "4000" {
			assert.Equal(t, byCode.Net.StringFixed(2), r.Credit.StringFixed(2))
		}
	}

	byLoc, err := c.acct.RevenueReport(ctx, accounting.RevenueFilter{GroupBy: accounting.ByLocation})
	require.NoError(t, err)
	nets := map[string]string{}
	for _, r := range byLoc.Rows {
		nets[r.Name] = r.Net.StringFixed(2)
	}
	assert.Equal(t, map[string]string{"North": "190.10", "South": "100.10"}, nets)

	byProv, err := c.acct.RevenueReport(ctx, accounting.RevenueFilter{GroupBy: accounting.ByProvider})
	require.NoError(t, err)
	require.Len(t, byProv.Rows, 2)
	for _, r := range byProv.Rows {
		switch r.Key {
		case c.provs[0]:
			assert.Equal(t, "190.10", r.Net.StringFixed(2))
			assert.Equal(t, "DocA, A", r.Name)
		case c.provs[1]:
			assert.Equal(t, "100.10", r.Net.StringFixed(2))
		default:
			t.Errorf("unknown provider %s", r.Key)
		}
	}
	_, err = c.acct.RevenueReport(ctx, accounting.RevenueFilter{GroupBy: "payer"})
	var ae *apperr.Error
	assert.True(t, errors.As(err, &ae) || apperr.CodeOf(err) == apperr.Invalid)
}
