package billing_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/validate"
)

type fixture struct {
	db      *gorm.DB
	svc     *billing.Service
	caseID  string
	encID   string
	feeCode string
}

func newFixture(t testing.TB, kind cases.Kind) fixture {
	g := pgtest.New(t)
	ctx := context.Background()
	rs := &records.Service{DB: g}
	loc, err := rs.CreateLocation(ctx, records.NewLocation{Name: "L", Address: records.Address{Address1: "1 A St", City: "C", State: "IL", Zip: "62701"}}, audit.System)
	require.NoError(t, err)
	prov, err := rs.CreateProvider(ctx, records.NewProvider{FirstName: "A", LastName: "B", NPI: "1234567893"}, audit.System)
	require.NoError(t, err)
	_, err = rs.CreateFeeSchedule(ctx, records.NewFeeSchedule{Name: "S", IsDefault: true, Items: []records.NewFeeItem{
		{ProcedureCode: "99213", Price: decimal.RequireFromString("100.10")}}}, audit.System)
	require.NoError(t, err)
	pat, err := rs.CreatePatient(ctx, records.NewPatient{FirstName: "J", LastName: "R", DateOfBirth: "1990-01-01"}, audit.System)
	require.NoError(t, err)
	cs, err := (&cases.Service{DB: rs.DB}).Create(ctx, cases.New{PatientID: pat.ID, Kind: kind}, audit.System)
	require.NoError(t, err)
	svc := &billing.Service{DB: g}
	enc := uuid.NewString()
	require.NoError(t, svc.RecordEncounter(ctx, billing.EncounterInput{EncounterID: enc, CaseID: cs.ID, ProviderID: prov.ID,
		LocationID: loc.ID, ServiceDate: "2026-11-02", CheckedInAt: time.Now()}))
	return fixture{db: g, svc: svc, caseID: cs.ID, encID: enc, feeCode: "99213"}
}

func (f fixture) charge(t testing.TB, id string, units int) billing.ChargeResult {
	r, err := f.svc.CaptureCharge(context.Background(), billing.ChargeInput{ChargeID: id, CaseID: f.caseID, EncounterID: f.encID,
		ProcedureCode: f.feeCode, Units: units, Diagnoses: []string{"E11.9"}})
	require.NoError(t, err)
	return r
}

func (f fixture) pay(t testing.TB, key, amount string) billing.PaymentResult {
	r, err := f.svc.RecordPayment(context.Background(), billing.PaymentInput{PaymentID: uuid.NewString(), CaseID: f.caseID,
		Amount: decimal.RequireFromString(amount), Method: "cash", ReceivedAt: time.Now(), IdempotencyKey: key})
	require.NoError(t, err)
	return r
}

func (f fixture) balances(t testing.TB) ledger.Balances {
	b, err := ledger.CaseBalances(f.db, f.caseID)
	require.NoError(t, err)
	return b
}

func (f fixture) invariant(t testing.TB) {
	bad, err := ledger.CheckAll(f.db)
	require.NoError(t, err)
	require.Empty(t, bad)
	s, err := billing.CaseSummary(f.db, f.caseID)
	require.NoError(t, err)
	require.True(t, s.Net().Equal(f.balances(t).Net()), "summary %s ledger %s", s.Net(), f.balances(t).Net())
}

func TestChargePostsOnceAndPricesFromSchedule(t *testing.T) {
	f := newFixture(t, "private")
	id := uuid.NewString()
	r := f.charge(t, id, 3)
	assert.Equal(t, "300.30", r.Amount.StringFixed(2))
	again := f.charge(t, id, 3) // a retried activity
	assert.Equal(t, r, again)
	var n int64
	require.NoError(t, f.db.Table("journals").Count(&n).Error)
	assert.EqualValues(t, 1, n)
	assert.Equal(t, "300.30", f.balances(t).PatientBalance().StringFixed(2))
	f.invariant(t)
}

func TestInsuranceAndHeldChargesWaitOutsidePatientAR(t *testing.T) {
	for kind, acct := range map[cases.Kind]ledger.Account{"insurance": ledger.ARInsuranceUnbilled, "mva": ledger.ARHeld, "workers_comp": ledger.ARInsuranceUnbilled} {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixture(t, kind)
			f.charge(t, uuid.NewString(), 1)
			b := f.balances(t)
			assert.Equal(t, "100.10", b.Get(acct).StringFixed(2))
			assert.True(t, b.PatientBalance().IsZero())
			// A copay collected before any claim is a prepayment (credit).
			f.pay(t, "copay", "20")
			assert.Equal(t, "20.00", f.balances(t).PatientCredit().StringFixed(2))
			f.invariant(t)
		})
	}
}

func TestOverpaymentVoidAndCreditApplication(t *testing.T) {
	f := newFixture(t, "private")
	c1 := uuid.NewString()
	f.charge(t, c1, 1)
	f.pay(t, "p1", "150.00")
	b := f.balances(t)
	assert.True(t, b.PatientBalance().IsZero())
	assert.Equal(t, "49.90", b.PatientCredit().StringFixed(2))
	// Voiding a paid charge turns what was paid into credit.
	require.NoError(t, f.svc.VoidCharge(context.Background(), billing.VoidInput{CaseID: f.caseID, ChargeID: c1, Reason: "error"}))
	require.NoError(t, f.svc.VoidCharge(context.Background(), billing.VoidInput{CaseID: f.caseID, ChargeID: c1, Reason: "error"}))
	assert.Equal(t, "150.00", f.balances(t).PatientCredit().StringFixed(2))
	// A new charge consumes the credit first.
	f.charge(t, uuid.NewString(), 2)
	b = f.balances(t)
	assert.Equal(t, "50.20", b.PatientBalance().StringFixed(2))
	assert.True(t, b.PatientCredit().IsZero())
	f.invariant(t)
}

func TestPaymentIdempotencyKey(t *testing.T) {
	f := newFixture(t, "private")
	f.charge(t, uuid.NewString(), 1)
	a := f.pay(t, "k", "10.00")
	b := f.pay(t, "k", "10.00")
	assert.Equal(t, a.PaymentID, b.PaymentID)
	assert.True(t, b.Replayed)
	_, err := f.svc.RecordPayment(context.Background(), billing.PaymentInput{PaymentID: uuid.NewString(), CaseID: f.caseID,
		Amount: decimal.RequireFromString("11.00"), Method: "cash", ReceivedAt: time.Now(), IdempotencyKey: "k"})
	assert.ErrorIs(t, err, billing.ErrIdempotencyConflict)
	assert.Equal(t, "90.10", f.balances(t).PatientBalance().StringFixed(2))
	f.invariant(t)
}

func TestConcurrentPostingsOnOneCase(t *testing.T) {
	f := newFixture(t, "private")
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				f.charge(t, uuid.NewString(), 1)
			} else {
				f.pay(t, fmt.Sprintf("k%d", i), "33.33")
			}
		}()
	}
	wg.Wait()
	b := f.balances(t)
	// 10 x 100.10 - 10 x 33.33 = 667.70, whatever the order.
	assert.Equal(t, "667.70", b.Net().StringFixed(2))
	assert.False(t, b.PatientBalance().IsNegative())
	f.invariant(t)
}

func TestInvalidChargeWritesNothing(t *testing.T) {
	f := newFixture(t, "private")
	_, err := f.svc.CaptureCharge(context.Background(), billing.ChargeInput{ChargeID: uuid.NewString(), CaseID: f.caseID,
		EncounterID: f.encID, ProcedureCode: "99999", Diagnoses: []string{"E11.9"}})
	var fe validate.Errors
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "procedure_code", fe[0].Field)
	var n int64
	require.NoError(t, f.db.Table("charges").Count(&n).Error)
	assert.Zero(t, n)
}

func TestDatabaseRefusesUnbalancedAndEditedJournals(t *testing.T) {
	f := newFixture(t, "private")
	err := f.db.Transaction(func(tx *gorm.DB) error {
		id := uuid.NewString()
		if err := tx.Exec(`INSERT INTO journals (id, idempotency_key, kind, source_type, source_id) VALUES (?, 'x', 'test', 'test', ?)`, id, id).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO journal_lines (journal_id, account_code, amount) VALUES (?, '1000', 10), (?, '4000', -9)`, id, id).Error
	})
	require.Error(t, err, "an unbalanced journal cannot commit")
	assert.Contains(t, err.Error(), "unbalanced")
	// The ledger package refuses before the database has to.
	_, err = ledger.Post(f.db, ledger.Journal{IdempotencyKey: "y", Kind: "t", SourceType: "t", SourceID: uuid.NewString(),
		Lines: []ledger.Line{ledger.Debit(ledger.Cash, decimal.NewFromInt(1))}})
	assert.ErrorIs(t, err, ledger.ErrUnbalanced)

	f.charge(t, uuid.NewString(), 1)
	assert.Error(t, f.db.Exec(`UPDATE journal_lines SET amount = amount * 2`).Error, "posted lines are immutable")
	assert.Error(t, f.db.Exec(`DELETE FROM journals`).Error)
	f.invariant(t)
}

func TestSettlePatient(t *testing.T) {
	d := decimal.RequireFromString
	cur := ledger.Balances{ledger.ARPatient: d("10"), ledger.PatientCredit: d("-4")}
	lines := ledger.SettlePatient(cur, nil)
	assert.Equal(t, []ledger.Line{ledger.Debit(ledger.PatientCredit, d("4")), ledger.Credit(ledger.ARPatient, d("4"))}, lines)
	lines = ledger.SettlePatient(ledger.Balances{}, []ledger.Line{ledger.Credit(ledger.ARPatient, d("5"))})
	assert.Equal(t, []ledger.Line{ledger.Debit(ledger.ARPatient, d("5")), ledger.Credit(ledger.PatientCredit, d("5"))}, lines)
	assert.Empty(t, ledger.SettlePatient(ledger.Balances{ledger.ARPatient: d("3")}, nil))
}

// BenchmarkChargeAndPayment measures one charge capture plus one payment, each a
// transaction with its journal and audit row, against a real database.
func BenchmarkChargeAndPayment(b *testing.B) {
	f := newFixture(b, "private")
	b.ResetTimer()
	for i := range b.N {
		f.charge(b, uuid.NewString(), 1)
		f.pay(b, fmt.Sprintf("b%d", i), "100.10")
	}
}
