package credits_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/credits"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/payments"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/statements"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

type fixture struct {
	db      *gorm.DB
	bill    *billing.Service
	svc     *credits.Service
	proc    *payments.DevProcessor
	patient string
	loc     string
	prov    string
	biller  audit.Actor
	manager audit.Actor
}

// newFixture is a patient of a practice whose fee schedule prices an office
// visit at 25.00, acting as the application's database role.
func newFixture(t *testing.T) fixture {
	_, app := pgtest.NewPair(t)
	ctx := context.Background()
	rs := &records.Service{DB: app}
	loc, err := rs.CreateLocation(ctx, records.NewLocation{Name: "L", Address: records.Address{Address1: "1 A St", City: "C", State: "IL", Zip: "62701"}}, audit.System)
	require.NoError(t, err)
	prov, err := rs.CreateProvider(ctx, records.NewProvider{FirstName: "A", LastName: "B", NPI: "1234567893"}, audit.System)
	require.NoError(t, err)
	_, err = rs.CreateFeeSchedule(ctx, records.NewFeeSchedule{Name: "S", IsDefault: true, Items: []records.NewFeeItem{
		{ProcedureCode: "99213", Description: "Office visit", Price: d("25.00")}}}, audit.System)
	require.NoError(t, err)
	pat, err := rs.CreatePatient(ctx, records.NewPatient{FirstName: "Jane", LastName: "Roe", DateOfBirth: "1990-01-01",
		Email: "jane@example.com", Address: records.Address{Address1: "5 Elm St", City: "Springfield", State: "IL", Zip: "62704"}}, audit.System)
	require.NoError(t, err)
	proc := &payments.DevProcessor{}
	return fixture{db: app, bill: &billing.Service{DB: app}, svc: &credits.Service{DB: app, Processor: proc}, proc: proc,
		patient: pat.ID, loc: loc.ID, prov: prov.ID,
		biller: audit.Actor{UserID: uuid.NewString()}, manager: audit.Actor{UserID: uuid.NewString()}}
}

// newCase opens a private case, charges one office visit (25.00) and takes
// paid as a payment.
func (f fixture) newCase(t *testing.T, paid string) string {
	ctx := context.Background()
	cs, err := (&cases.Service{DB: f.db}).Create(ctx, cases.New{PatientID: f.patient, Kind: "private"}, audit.System)
	require.NoError(t, err)
	enc := uuid.NewString()
	require.NoError(t, f.bill.RecordEncounter(ctx, billing.EncounterInput{EncounterID: enc, CaseID: cs.ID, ProviderID: f.prov,
		LocationID: f.loc, ServiceDate: "2026-09-01", CheckedInAt: time.Now()}))
	_, err = f.bill.CaptureCharge(ctx, billing.ChargeInput{ChargeID: uuid.NewString(), CaseID: cs.ID, EncounterID: enc,
		ProcedureCode: "99213", Units: 1, Diagnoses: []string{"J01.90"}})
	require.NoError(t, err)
	if paid != "" {
		f.pay(t, cs.ID, paid, "card")
	}
	return cs.ID
}

func (f fixture) pay(t *testing.T, caseID, amount, method string) {
	_, err := f.bill.RecordPayment(context.Background(), billing.PaymentInput{PaymentID: uuid.NewString(), CaseID: caseID,
		Amount: d(amount), Method: method, ReceivedAt: time.Now(), IdempotencyKey: uuid.NewString()})
	require.NoError(t, err)
}

func (f fixture) balances(t *testing.T, caseID string) ledger.Balances {
	b, err := ledger.CaseBalances(f.db, caseID)
	require.NoError(t, err)
	return b
}

// agree checks every journal balances and, per case, that the business rows
// (charges - payments - adjustments - credit moves) equal the ledger to the cent.
func (f fixture) agree(t *testing.T, caseIDs ...string) {
	t.Helper()
	bad, err := ledger.CheckAll(f.db)
	require.NoError(t, err)
	require.Empty(t, bad, "unbalanced journals")
	for _, c := range caseIDs {
		s, err := billing.CaseSummary(f.db, c)
		require.NoError(t, err)
		b := f.balances(t, c)
		require.Equal(t, s.Net().StringFixed(2), b.Net().StringFixed(2), "business rows and ledger of case %s", c)
		require.False(t, b.PatientBalance().IsNegative())
		require.False(t, b.PatientCredit().IsNegative())
	}
}

func (f fixture) journals(t *testing.T, kind string) int64 {
	var n int64
	require.NoError(t, f.db.Table("journals").Where("kind = ?", kind).Count(&n).Error)
	return n
}

func TestCreditOnOneCaseIsAppliedToABalanceOnAnotherInOneJournalOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Seen today: 4.00 credit beside 25.00 owed.
	over := f.newCase(t, "29.00")
	owing := f.newCase(t, "")
	pos, err := f.svc.Position(ctx, f.patient)
	require.NoError(t, err)
	assert.Equal(t, "4.00", pos.Credit.StringFixed(2))
	assert.Equal(t, "25.00", pos.Owed.StringFixed(2))
	assert.Equal(t, "4.00", pos.Applicable.StringFixed(2))
	assert.True(t, pos.Refundable.IsZero(), "a credit the patient owes against is not refundable")
	holders, err := f.svc.Holders(ctx, 10)
	require.NoError(t, err)
	require.Len(t, holders, 1, "the billing team's list of credits")
	assert.Equal(t, f.patient, holders[0].PatientID)
	assert.Equal(t, "4.00", holders[0].Credit.StringFixed(2))
	assert.Equal(t, "4.00", holders[0].Applicable.StringFixed(2))
	assert.True(t, holders[0].Refundable.IsZero())
	assert.False(t, holders[0].Since.IsZero())

	// The statement nets them before anything is applied.
	st, err := (&statements.Service{DB: f.db}).Build(ctx, f.patient, "")
	require.NoError(t, err)
	assert.Equal(t, "21.00", st.Totals.AmountDue().StringFixed(2))
	pdf, err := statements.RenderPDF(st)
	require.NoError(t, err)
	assert.Contains(t, string(pdf), "(Less your credits)Tj")

	_, err = f.svc.Apply(ctx, credits.ApplyInput{PatientID: f.patient, Amount: d("5.00"), IdempotencyKey: "k0", Actor: f.biller})
	var errs validate.Errors
	require.ErrorAs(t, err, &errs)
	assert.Equal(t, "amount", errs[0].Field)

	in := credits.ApplyInput{PatientID: f.patient, IdempotencyKey: "k1", Actor: f.biller}
	a, err := f.svc.Apply(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, "4.00", a.Amount.StringFixed(2))
	assert.False(t, a.Replayed)
	require.Len(t, a.Moves, 2)
	assert.Equal(t, 1, int(f.journals(t, "credit_applied")), "one journal moves the credit")
	var lines []struct {
		CaseID      string
		AccountCode string
		Amount      decimal.Decimal
	}
	require.NoError(t, f.db.Raw(`SELECT l.case_id, l.account_code, l.amount FROM journal_lines l JOIN journals j ON j.id = l.journal_id
		WHERE j.kind = 'credit_applied' ORDER BY l.amount`).Scan(&lines).Error)
	require.Len(t, lines, 2)
	assert.Equal(t, owing, lines[0].CaseID)
	assert.Equal(t, string(ledger.ARPatient), lines[0].AccountCode)
	assert.Equal(t, "-4.00", lines[0].Amount.StringFixed(2))
	assert.Equal(t, over, lines[1].CaseID)
	assert.Equal(t, string(ledger.PatientCredit), lines[1].AccountCode)

	assert.True(t, f.balances(t, over).PatientCredit().IsZero())
	assert.Equal(t, "21.00", f.balances(t, owing).PatientBalance().StringFixed(2))
	f.agree(t, over, owing)

	// A retry answers the first application and posts nothing.
	again, err := f.svc.Apply(ctx, in)
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.Equal(t, a.ID, again.ID)
	assert.Equal(t, a.Moves, again.Moves)
	assert.Equal(t, 1, int(f.journals(t, "credit_applied")))
	// The same key for another request is a conflict; nothing left to apply.
	_, err = f.svc.Apply(ctx, credits.ApplyInput{PatientID: f.patient, Amount: d("1.00"), IdempotencyKey: "k1"})
	require.ErrorIs(t, err, billing.ErrIdempotencyConflict)
	_, err = f.svc.Apply(ctx, credits.ApplyInput{PatientID: f.patient, IdempotencyKey: "k2"})
	require.ErrorIs(t, err, credits.ErrNothingToApply)
	holders, err = f.svc.Holders(ctx, 10)
	require.NoError(t, err)
	assert.Empty(t, holders, "no credit left once applied")

	// Both cases show the move on the statement, and it still adds up.
	st, err = (&statements.Service{DB: f.db}).Build(ctx, f.patient, "")
	require.NoError(t, err)
	require.Len(t, st.Cases, 1, "the settled case leaves the statement")
	assert.Equal(t, "4.00", st.Cases[0].Totals.CreditsApplied.StringFixed(2))
	t0 := st.Cases[0].Totals
	assert.Equal(t, t0.Balance.StringFixed(2), t0.Charges.Sub(t0.PatientPayments).Sub(t0.CreditsApplied).StringFixed(2))
	journals, err := ledger.CaseJournals(f.db, owing)
	require.NoError(t, err)
	assert.Equal(t, "credit_applied", journals[len(journals)-1].Kind, "the receiving case lists the journal too")
}

func TestCheckRefundNeedsAnotherPersonsApprovalAndPostsOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.newCase(t, "")
	f.pay(t, c, "40.00", "check") // 15.00 over
	owingElsewhere := f.newCase(t, "")

	in := credits.RefundInput{CaseID: c, Amount: d("15.00"), Method: credits.RefundCheck, Reason: "overpaid", IdempotencyKey: "r1", Actor: f.biller}
	_, _, err := f.svc.RequestRefund(ctx, in)
	var errs validate.Errors
	require.ErrorAs(t, err, &errs, "the patient owes 25.00 on another case")
	assert.Equal(t, "amount", errs[0].Field)
	f.pay(t, owingElsewhere, "25.00", "cash")

	_, _, err = f.svc.RequestRefund(ctx, credits.RefundInput{CaseID: c, Amount: d("15.00"), Method: credits.RefundCard,
		Reason: "overpaid", IdempotencyKey: "r0", Actor: f.biller})
	require.ErrorAs(t, err, &errs, "no online card payment to refund to")
	assert.Equal(t, "method", errs[0].Field)
	_, _, err = f.svc.RequestRefund(ctx, credits.RefundInput{CaseID: c, Amount: d("15.01"), Method: credits.RefundCheck,
		Reason: "overpaid", IdempotencyKey: "r9", Actor: f.biller})
	require.ErrorAs(t, err, &errs, "more than the credit")

	r, replayed, err := f.svc.RequestRefund(ctx, in)
	require.NoError(t, err)
	assert.False(t, replayed)
	assert.Equal(t, credits.RefundRequested, r.Status)
	task, err := (&tasks.Service{DB: f.db}).Get(ctx, r.TaskID)
	require.NoError(t, err)
	assert.Equal(t, tasks.QueueApprovals, task.Queue)
	assert.Equal(t, credits.TaskKind, task.Kind)
	again, replayed, err := f.svc.RequestRefund(ctx, in)
	require.NoError(t, err)
	assert.True(t, replayed)
	assert.Equal(t, r.ID, again.ID)
	// The pending refund holds the credit: a second request cannot take it.
	_, _, err = f.svc.RequestRefund(ctx, credits.RefundInput{CaseID: c, Amount: d("1.00"), Method: credits.RefundCheck,
		Reason: "again", IdempotencyKey: "r2", Actor: f.biller})
	require.ErrorAs(t, err, &errs)

	_, _, err = f.svc.Decide(ctx, r.ID, credits.Decision{Approve: true, Actor: f.biller})
	require.ErrorAs(t, err, &errs, "the requester cannot approve")
	assert.Zero(t, f.journals(t, "refund_approved"))

	for range 2 { // a retried approval
		got, moves, err := f.svc.Decide(ctx, r.ID, credits.Decision{Approve: true, Reference: "check 1042", Actor: f.manager})
		require.NoError(t, err)
		assert.Equal(t, credits.RefundRefunded, got.Status)
		assert.Equal(t, "check 1042", got.ProcessorRef)
		require.Len(t, moves, 1)
		assert.Equal(t, "-15.00", moves[0].Amount.StringFixed(2))
	}
	assert.EqualValues(t, 1, f.journals(t, "refund_approved"))
	assert.EqualValues(t, 1, f.journals(t, "refund_paid"))
	b := f.balances(t, c)
	assert.True(t, b.PatientCredit().IsZero())
	assert.True(t, b.Get(ledger.RefundsPayable).IsZero(), "paid out")
	f.agree(t, c, owingElsewhere)
	task, err = (&tasks.Service{DB: f.db}).Get(ctx, r.TaskID)
	require.NoError(t, err)
	assert.Equal(t, tasks.StatusDone, task.Status)
	_, _, err = f.svc.Decide(ctx, r.ID, credits.Decision{Approve: false, Actor: f.manager})
	require.ErrorIs(t, err, credits.ErrDecided)

	st, err := (&statements.Service{DB: f.db}).Build(ctx, f.patient, c)
	require.NoError(t, err)
	t0 := st.Cases[0].Totals
	assert.Equal(t, "15.00", t0.Refunded.StringFixed(2))
	assert.Equal(t, "40.00", t0.PatientPayments.StringFixed(2), "the refund shows once, not again as a payment")
	assert.Equal(t, t0.Balance.StringFixed(2), t0.Charges.Sub(t0.PatientPayments).Add(t0.Refunded).StringFixed(2))
}

func TestCardRefundGoesThroughTheProcessorOnceAndRejectionPostsNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.newCase(t, "")
	// The patient paid 30.00 online: a paid checkout, posted as a card payment.
	token, link, err := payments.CreateLink(f.db, f.patient, "", d("30.00"), time.Now(), 0)
	require.NoError(t, err)
	require.NotEmpty(t, token)
	co, err := payments.OpenCheckout(ctx, f.db, link)
	require.NoError(t, err)
	_, err = payments.Settle(ctx, f.db, payments.Event{ID: "evt_1", Type: payments.EventSucceeded, CheckoutID: co.ID, Amount: d("30.00")})
	require.NoError(t, err)
	f.pay(t, c, "30.00", "card")

	rejected, _, err := f.svc.RequestRefund(ctx, credits.RefundInput{CaseID: c, Amount: d("5.00"), Method: credits.RefundCard,
		Reason: "goodwill", IdempotencyKey: "a", Actor: f.biller})
	require.NoError(t, err)
	got, moves, err := f.svc.Decide(ctx, rejected.ID, credits.Decision{Approve: false, Note: "no", Actor: f.manager})
	require.NoError(t, err)
	assert.Equal(t, credits.RefundRejected, got.Status)
	assert.Empty(t, moves)
	assert.Zero(t, f.journals(t, "refund_approved"))

	r, _, err := f.svc.RequestRefund(ctx, credits.RefundInput{CaseID: c, Amount: d("5.00"), Method: credits.RefundCard,
		Reason: "overpaid", IdempotencyKey: "b", Actor: f.biller})
	require.NoError(t, err)
	require.NotNil(t, r.CheckoutID)
	assert.Equal(t, co.ID, *r.CheckoutID)

	// No processor: approved (the credit is off the case), not paid out.
	f.svc.Processor = nil
	got, _, err = f.svc.Decide(ctx, r.ID, credits.Decision{Approve: true, Actor: f.manager})
	require.ErrorIs(t, err, credits.ErrNoProcessor)
	assert.Equal(t, credits.RefundApproved, got.Status)
	assert.Equal(t, "5.00", f.balances(t, c).Get(ledger.RefundsPayable).Neg().StringFixed(2))
	f.agree(t, c)

	// A second refund the processor cannot pay is cancelled: the credit returns.
	f.pay(t, c, "7.00", "cash")
	stuck, _, err := f.svc.RequestRefund(ctx, credits.RefundInput{CaseID: c, Amount: d("7.00"), Method: credits.RefundCard,
		Reason: "overpaid again", IdempotencyKey: "c", Actor: f.biller})
	require.NoError(t, err)
	_, _, err = f.svc.Decide(ctx, stuck.ID, credits.Decision{Approve: true, Actor: f.manager})
	require.ErrorIs(t, err, credits.ErrNoProcessor)
	got, moves, err = f.svc.Decide(ctx, stuck.ID, credits.Decision{Approve: false, Note: "card closed", Actor: f.manager})
	require.NoError(t, err)
	assert.Equal(t, credits.RefundCancelled, got.Status)
	require.Len(t, moves, 2, "the refund's move and its return")
	assert.Equal(t, "7.00", f.balances(t, c).PatientCredit().StringFixed(2))
	assert.Equal(t, "5.00", f.balances(t, c).Get(ledger.RefundsPayable).Neg().StringFixed(2), "only the first refund is payable")
	f.agree(t, c)
	_, _, err = f.svc.Decide(ctx, stuck.ID, credits.Decision{Approve: true, Actor: f.manager})
	require.ErrorIs(t, err, credits.ErrDecided)
	st, err := (&statements.Service{DB: f.db}).Build(ctx, f.patient, c)
	require.NoError(t, err)
	assert.Equal(t, "5.00", st.Cases[0].Totals.Refunded.StringFixed(2), "a cancelled refund is not shown as refunded")

	f.svc.Processor = f.proc
	for range 2 {
		got, _, err = f.svc.Decide(ctx, r.ID, credits.Decision{Approve: true, Actor: f.manager})
		require.NoError(t, err)
		assert.Equal(t, credits.RefundRefunded, got.Status)
		assert.Contains(t, got.ProcessorRef, "re_")
	}
	assert.Equal(t, 1, f.proc.Refunds(), "the processor refunded once")
	assert.EqualValues(t, 1, f.journals(t, "refund_paid"))
	b := f.balances(t, c)
	assert.True(t, b.Get(ledger.RefundsPayable).IsZero())
	assert.Equal(t, "7.00", b.PatientCredit().StringFixed(2), "the cancelled refund's credit is held again")
	f.agree(t, c)
	list, err := f.svc.Refunds(ctx, credits.RefundFilter{PatientID: f.patient})
	require.NoError(t, err)
	assert.Len(t, list, 3)
}

func TestPrepaymentIsHeldAsCreditAndAppliedWhenChargesPost(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cs, err := (&cases.Service{DB: f.db}).Create(ctx, cases.New{PatientID: f.patient, Kind: "private"}, audit.System)
	require.NoError(t, err)
	in := billing.PaymentInput{PaymentID: uuid.NewString(), CaseID: cs.ID, Amount: d("100.00"), Method: "card",
		ReceivedAt: time.Now(), IdempotencyKey: "deposit", Prepayment: true}
	_, err = f.bill.RecordPayment(ctx, in)
	require.NoError(t, err)
	again, err := f.bill.RecordPayment(ctx, in)
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.EqualValues(t, 1, f.journals(t, "prepayment"))
	b := f.balances(t, cs.ID)
	assert.Equal(t, "100.00", b.PatientCredit().StringFixed(2), "held as patient credit (unearned)")
	assert.True(t, b.Get(ledger.Revenue).IsZero(), "no revenue before the service")

	enc := uuid.NewString()
	require.NoError(t, f.bill.RecordEncounter(ctx, billing.EncounterInput{EncounterID: enc, CaseID: cs.ID, ProviderID: f.prov,
		LocationID: f.loc, ServiceDate: "2026-09-01", CheckedInAt: time.Now()}))
	for range 5 { // 125.00 of visits
		_, err = f.bill.CaptureCharge(ctx, billing.ChargeInput{ChargeID: uuid.NewString(), CaseID: cs.ID, EncounterID: enc,
			ProcedureCode: "99213", Units: 1, Diagnoses: []string{"J01.90"}})
		require.NoError(t, err)
	}
	b = f.balances(t, cs.ID)
	assert.True(t, b.PatientCredit().IsZero(), "the charges used the prepayment")
	assert.Equal(t, "25.00", b.PatientBalance().StringFixed(2))
	f.agree(t, cs.ID)

	// Money taken on a case that already owes is a payment, not a prepayment.
	_, err = f.bill.RecordPayment(ctx, billing.PaymentInput{PaymentID: uuid.NewString(), CaseID: cs.ID, Amount: d("10.00"),
		Method: "cash", ReceivedAt: time.Now(), IdempotencyKey: "late", Prepayment: true})
	require.ErrorIs(t, err, billing.ErrNotPrepayment)
}

func TestAgencyRecoveryPostsAgainstCollectionsWithItsFeeAndBadDebtTakesTheRest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c1 := f.newCase(t, "")
	c2 := f.newCase(t, "")
	dn := &dunning.Service{DB: f.db, Config: dunning.DefaultConfig(), Statements: &statements.Service{DB: f.db}}
	_, err := dn.HandOff(ctx, f.patient, f.patient+"/c1", time.Now())
	require.NoError(t, err)

	_, err = dn.RecoveryPayments(ctx, dunning.RecoveryInput{PatientID: f.patient, Amount: d("50.01"), Key: "x"})
	var errs validate.Errors
	require.ErrorAs(t, err, &errs, "more than placed")
	// The agency recovered 30.00 and kept 30% (9.00).
	in := dunning.RecoveryInput{PatientID: f.patient, Amount: d("30.00"), Fee: d("9.00"), Reference: "AG-77", At: time.Now(), Key: "recovery-1"}
	pays, err := dn.RecoveryPayments(ctx, in)
	require.NoError(t, err)
	require.Len(t, pays, 2)
	assert.Equal(t, []string{c1, c2}, []string{pays[0].CaseID, pays[1].CaseID}, "oldest case first")
	assert.Equal(t, "25.00", pays[0].Amount.StringFixed(2))
	assert.Equal(t, "7.50", pays[0].Agency.Fee.StringFixed(2))
	assert.Equal(t, "5.00", pays[1].Amount.StringFixed(2))
	assert.Equal(t, "1.50", pays[1].Agency.Fee.StringFixed(2))
	// Post the first case only (a crash), then retry the whole recovery.
	_, err = f.bill.RecordPayment(ctx, pays[0])
	require.NoError(t, err)
	pays, err = dn.RecoveryPayments(ctx, in)
	require.NoError(t, err)
	require.Len(t, pays, 2, "the retry allocates as the first attempt")
	for _, p := range pays {
		_, err = f.bill.RecordPayment(ctx, p)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 2, f.journals(t, "collections_recovery"))
	var cash, fee decimal.Decimal
	require.NoError(t, f.db.Raw(`SELECT coalesce(sum(amount), 0) FROM journal_lines WHERE account_code = ?`, string(ledger.CollectionCommission)).Scan(&fee).Error)
	require.NoError(t, f.db.Raw(`SELECT coalesce(sum(l.amount), 0) FROM journal_lines l JOIN journals j ON j.id = l.journal_id
		WHERE l.account_code = ? AND j.kind = 'collections_recovery'`, string(ledger.Cash)).Scan(&cash).Error)
	assert.Equal(t, "9.00", fee.StringFixed(2))
	assert.Equal(t, "21.00", cash.StringFixed(2))
	assert.True(t, f.balances(t, c1).Get(ledger.ARCollections).IsZero())
	assert.Equal(t, "20.00", f.balances(t, c2).Get(ledger.ARCollections).StringFixed(2))
	f.agree(t, c1, c2)
	recs, err := dn.Recoveries(ctx, 10)
	require.NoError(t, err)
	assert.Len(t, recs, 2)

	// The agency gives up on the rest: bad debt, through collections A/R only.
	_, err = f.bill.RecordAdjustment(ctx, billing.AdjustmentInput{AdjustmentID: uuid.NewString(), CaseID: c2, Amount: d("20.01"),
		Reason: "agency closed", IdempotencyKey: "bd0", Category: billing.AdjustBadDebt})
	require.ErrorAs(t, err, &errs)
	placed, err := dn.PlacedBalances(ctx, f.patient)
	require.NoError(t, err)
	require.Len(t, placed, 1)
	assert.Equal(t, c2, placed[0].CaseID)
	_, err = f.bill.RecordAdjustment(ctx, billing.AdjustmentInput{AdjustmentID: uuid.NewString(), CaseID: c2, Amount: placed[0].Amount,
		Reason: "agency closed", IdempotencyKey: "bd1", Category: billing.AdjustBadDebt})
	require.NoError(t, err)
	require.NoError(t, dn.MarkWrittenOff(ctx, f.patient, []string{placed[0].PlacementID}, placed[0].Amount, audit.System))
	b := f.balances(t, c2)
	assert.True(t, b.Get(ledger.ARCollections).IsZero())
	assert.Equal(t, "20.00", b.Get(ledger.BadDebt).StringFixed(2))
	f.agree(t, c1, c2)
	placed, err = dn.PlacedBalances(ctx, f.patient)
	require.NoError(t, err)
	assert.Empty(t, placed)
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(dunning.ErrNotPlaced))
}
