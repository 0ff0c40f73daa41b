package dunning_test

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/statements"
)

func TestSMSWindowAcrossTimeZonesAndDaylightSaving(t *testing.T) {
	c := dunning.DefaultConfig()
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	for _, tc := range []struct {
		name, tz, at, want string
		sunday             bool
	}{
		{"in the window", "America/New_York", "2026-06-03T14:00:00Z", "2026-06-03T14:00:00Z", false},
		{"one minute before the end", "America/New_York", "2026-06-04T00:59:00Z", "2026-06-04T00:59:00Z", false},
		{"at the end: next morning", "America/New_York", "2026-06-04T01:00:00Z", "2026-06-04T12:00:00Z", false},
		{"before 08:00", "Europe/Berlin", "2026-06-03T05:00:00Z", "2026-06-03T06:00:00Z", false},
		// Saturday 22:00 EDT the night clocks fall back: Sunday is skipped and
		// Monday 08:00 is EST (UTC-5).
		{"fall back over a Sunday", "America/New_York", "2026-11-01T02:00:00Z", "2026-11-02T13:00:00Z", false},
		{"Sunday allowed, fall back", "America/New_York", "2026-11-01T02:00:00Z", "2026-11-01T13:00:00Z", true},
		{"spring forward", "America/Los_Angeles", "2026-03-08T05:00:00Z", "2026-03-09T15:00:00Z", false},
		{"no daylight saving", "Asia/Kolkata", "2026-03-08T00:00:00Z", "2026-03-09T02:30:00Z", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.SMSOnSunday = tc.sunday
			got, err := c.SMSWindow(utc(tc.at), tc.tz)
			require.NoError(t, err)
			assert.Equal(t, utc(tc.want), got)
		})
	}
	_, err := c.SMSWindow(time.Now(), "Mars/Olympus")
	require.Error(t, err)
}

func TestDefaultConfigIsValid(t *testing.T) {
	require.NoError(t, dunning.DefaultConfig().Validate())
	bad := dunning.DefaultConfig()
	bad.Steps = bad.Steps[:2]
	require.Error(t, bad.Validate(), "the last step must be collections")
}

type fixture struct {
	svc     *dunning.Service
	sink    *dunning.MailSink
	sms     *dunning.DevSMS
	patient string
	cases   []string
}

// newFixture is a practice with one patient who owes 25.00 on each of n
// private cases, and a dunning service sending email over SMTP to a sink
// started for the test.
func newFixture(t *testing.T, n int) fixture {
	g := pgtest.New(t)
	ctx := context.Background()
	rs := &records.Service{DB: g}
	loc, err := rs.CreateLocation(ctx, records.NewLocation{Name: "L", Address: records.Address{Address1: "1 A St", City: "C", State: "IL", Zip: "62701"}}, audit.System)
	require.NoError(t, err)
	prov, err := rs.CreateProvider(ctx, records.NewProvider{FirstName: "A", LastName: "B", NPI: "1234567893"}, audit.System)
	require.NoError(t, err)
	_, err = rs.CreateFeeSchedule(ctx, records.NewFeeSchedule{Name: "S", IsDefault: true, Items: []records.NewFeeItem{
		{ProcedureCode: "99213", Description: "Office visit", Price: decimal.RequireFromString("25.00")}}}, audit.System)
	require.NoError(t, err)
	pat, err := rs.CreatePatient(ctx, records.NewPatient{FirstName: "Jane", LastName: "Roe", DateOfBirth: "1990-01-01",
		Email: "jane@example.com", Phone: "(555) 010-2030",
		Address: records.Address{Address1: "5 Elm St", City: "Springfield", State: "IL", Zip: "62704"}}, audit.System)
	require.NoError(t, err)
	bill := &billing.Service{DB: g}
	f := fixture{patient: pat.ID}
	for range n {
		cs, err := (&cases.Service{DB: g}).Create(ctx, cases.New{PatientID: pat.ID, Kind: "private"}, audit.System)
		require.NoError(t, err)
		enc := uuid.NewString()
		require.NoError(t, bill.RecordEncounter(ctx, billing.EncounterInput{EncounterID: enc, CaseID: cs.ID, ProviderID: prov.ID,
			LocationID: loc.ID, ServiceDate: "2026-09-01", CheckedInAt: time.Now()}))
		_, err = bill.CaptureCharge(ctx, billing.ChargeInput{ChargeID: uuid.NewString(), CaseID: cs.ID, EncounterID: enc,
			ProcedureCode: "99213", Units: 1, Diagnoses: []string{"J01.90"}})
		require.NoError(t, err)
		f.cases = append(f.cases, cs.ID)
	}
	sink, err := dunning.StartMailSink("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sink.Close() })
	f.sink, f.sms = sink, &dunning.DevSMS{}
	f.svc = &dunning.Service{DB: g, Config: dunning.DefaultConfig(), Statements: &statements.Service{DB: g},
		Email: dunning.SMTP{Addr: sink.Addr(), From: "Billing <billing@practice.test>"}, SMS: f.sms,
		BaseURL: "http://rcm.test", Secret: []byte("test-secret")}
	return f
}

func (f fixture) prepare(t *testing.T, step string) dunning.Prepared {
	p, err := f.svc.Prepare(context.Background(), dunning.PrepareInput{PatientID: f.patient, Account: f.patient + "/c1",
		Step: step, Kind: dunning.KindStatement, Statement: true, At: time.Now().UTC()})
	require.NoError(t, err)
	return p
}

func channels(p dunning.Prepared) []string {
	var out []string
	for _, m := range p.Messages {
		out = append(out, m.Channel)
	}
	return out
}

func TestEachStepIsSentOnceOverRealSMTP(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	p := f.prepare(t, "statement")
	require.ElementsMatch(t, []string{"email", "sms"}, channels(p))
	assert.NotEmpty(t, p.StatementID)
	for range 2 { // a retried activity
		for _, m := range p.Messages {
			st, err := f.svc.Send(ctx, m.ID)
			require.NoError(t, err)
			assert.Contains(t, []string{dunning.StatusSent, dunning.StatusSent}, st)
		}
	}
	// Prepared again (a retry after the sends): nothing pending, no new rows.
	again := f.prepare(t, "statement")
	assert.Empty(t, again.Messages)
	rows, err := f.svc.Messages(ctx, f.patient, 10)
	require.NoError(t, err)
	assert.Len(t, rows, 2)

	mails := f.sink.Sent()
	require.Len(t, mails, 1, "one email over SMTP")
	assert.Equal(t, "<jane@example.com>", "<"+mails[0].To+">")
	assert.Contains(t, mails[0].Subject, "Your statement from")
	assert.Contains(t, mails[0].Body, "$25.00 due")
	assert.Contains(t, mails[0].Body, "http://rcm.test/pay/")
	assert.Contains(t, mails[0].Body, "http://rcm.test/unsubscribe/")
	texts := f.sms.Sent()
	require.Len(t, texts, 1)
	assert.Contains(t, texts[0].Body, "Reply STOP")
	for _, m := range append(mails, texts...) {
		assert.NotContains(t, m.Body, "Jane", "no name in messages")
		assert.NotContains(t, m.Body, "J01.90", "no diagnosis in messages")
	}
	var stmts int64
	require.NoError(t, f.svc.DB.Table("statements").Count(&stmts).Error)
	assert.EqualValues(t, 1, stmts, "one statement per step")
}

func TestWorkerDyingBetweenSendAndRecordDoesNotSendTwice(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	p := f.prepare(t, "statement")
	crashed := false
	f.svc.AfterSend = func(dunning.OutMessage) {
		if !crashed {
			crashed = true
			panic("worker killed")
		}
	}
	var email string
	for _, m := range p.Messages {
		if m.Channel == "email" {
			email = m.ID
		}
	}
	func() {
		defer func() { require.NotNil(t, recover()) }()
		_, _ = f.svc.Send(ctx, email)
	}()
	st, err := f.svc.Send(ctx, email) // the retry
	require.NoError(t, err)
	assert.Equal(t, dunning.StatusUnconfirmed, st)
	assert.Len(t, f.sink.Sent(), 1, "the email went once")
}

func TestOptOutFallsBackToTheOtherChannelThenPaper(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	pending := f.prepare(t, "statement") // prepared before the patient replies STOP
	n, err := f.svc.OptOutSMS(ctx, "+1 555 010 2030")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	for _, m := range pending.Messages {
		st, err := f.svc.Send(ctx, m.ID)
		require.NoError(t, err)
		if m.Channel == "sms" {
			assert.Equal(t, dunning.StatusSkipped, st, "a STOP before sending stops the text")
		}
	}
	assert.Empty(t, f.sms.Sent())
	assert.Equal(t, []string{"email"}, channels(f.prepare(t, "reminder")))

	require.ErrorIs(t, f.svc.Unsubscribe(ctx, "forged.token"), dunning.ErrBadUnsubscribe)
	require.NoError(t, f.svc.Unsubscribe(ctx, f.svc.UnsubscribeToken(f.patient)))
	assert.Equal(t, []string{"paper"}, channels(f.prepare(t, "final-notice")), "no consented channel: a letter")
}

func TestHandOffMovesTheBalanceToCollectionsAROnceAndRecallBringsItBack(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	f.prepare(t, "statement")
	r, err := f.svc.HandOff(ctx, f.patient, f.patient+"/c1", time.Now())
	require.NoError(t, err)
	assert.Equal(t, "50.00", r.Placed.StringFixed(2))
	assert.Equal(t, 2, r.Cases)
	again, err := f.svc.HandOff(ctx, f.patient, f.patient+"/c1", time.Now())
	require.NoError(t, err)
	assert.Equal(t, r.ExportID, again.ExportID, "a retried hand-off places nothing twice")

	for _, c := range f.cases {
		b, err := ledger.CaseBalances(f.svc.DB, c)
		require.NoError(t, err)
		assert.True(t, b.Get(ledger.ARPatient).IsZero())
		assert.Equal(t, "25.00", b.Get(ledger.ARCollections).StringFixed(2))
		s, err := billing.CaseSummary(f.svc.DB, c)
		require.NoError(t, err)
		assert.True(t, s.Net().Equal(b.Net()), "charges - payments - adjustments = ledger to the cent")
	}
	bad, err := ledger.CheckAll(f.svc.DB)
	require.NoError(t, err)
	require.Empty(t, bad)

	exp, err := f.svc.ExportFile(ctx, r.ExportID)
	require.NoError(t, err)
	recs, err := csv.NewReader(strings.NewReader(exp.CSV)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 3)
	assert.Equal(t, dunning.CollectionsHeader, recs[0])
	assert.Equal(t, statements.AccountNumber(f.patient), recs[1][0])
	assert.Equal(t, "25.00", recs[1][7])
	assert.Equal(t, "2026-09-01", recs[1][8])
	assert.NotEmpty(t, recs[1][12], "last statement number")

	bal, err := f.svc.PatientBalance(ctx, f.patient)
	require.NoError(t, err)
	assert.True(t, bal.Due.IsZero(), "placed balances are not dunned")
	assert.Equal(t, "50.00", bal.InCollections.StringFixed(2))

	back, err := f.svc.Recall(ctx, f.patient, audit.System)
	require.NoError(t, err)
	assert.Equal(t, "50.00", back.StringFixed(2))
	bal, err = f.svc.PatientBalance(ctx, f.patient)
	require.NoError(t, err)
	assert.Equal(t, "50.00", bal.Due.StringFixed(2))
	_, err = f.svc.Recall(ctx, f.patient, audit.System)
	require.ErrorIs(t, err, dunning.ErrNotPlaced)
}

func TestPlanValidation(t *testing.T) {
	c := dunning.DefaultConfig()
	today := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	d := decimal.RequireFromString
	ok := []dunning.Instalment{{DueDate: "2026-02-01", Amount: d("60")}, {DueDate: "2026-03-01", Amount: d("40.50")}}
	assert.Empty(t, c.ValidatePlan(d("100.50"), ok, today))
	errs := c.ValidatePlan(d("100.00"), ok, today)
	require.Len(t, errs, 1)
	assert.Equal(t, "instalments", errs[0].Field)
	errs = c.ValidatePlan(d("30.00"), []dunning.Instalment{{DueDate: "2026-01-10", Amount: d("10")}, {DueDate: "2026-02-10", Amount: d("20")}}, today)
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	assert.Equal(t, []string{"instalments[0].due_date", "instalments[0].amount"}, fields)
}
