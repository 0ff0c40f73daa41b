package claims_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/internal/x12"
)

func TestOpen(t *testing.T) {
	prior := uuid.NewString()
	cob, err := json.Marshal(claims.COB{PriorClaimID: prior, PatientResponsibility: dec("25.00")})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		c    claims.Claim
		want string
	}{
		{"unadjudicated", claims.Claim{TotalCharge: dec("156.00")}, "156.00"},
		{"partially paid", claims.Claim{TotalCharge: dec("156.00"), Paid: dec("75.00"), Contractual: dec("25.00"),
			PatientResponsibility: dec("25.00")}, "31.00"},
		{"written off and transferred", claims.Claim{TotalCharge: dec("156.00"), Paid: dec("75.00"), Contractual: dec("25.00"),
			PatientResponsibility: dec("25.00"), WrittenOff: dec("20.00"), ToPatient: dec("11.00")}, "0.00"},
		{"overpaid is never negative", claims.Claim{TotalCharge: dec("156.00"), Paid: dec("160.00")}, "0.00"},
		{"secondary: what the prior payer left", claims.Claim{TotalCharge: dec("156.00"), PriorClaimID: &prior, COB: cob}, "25.00"},
		{"secondary partly paid", claims.Claim{TotalCharge: dec("156.00"), PriorClaimID: &prior, COB: cob,
			Paid: dec("15.00"), PatientResponsibility: dec("5.00")}, "5.00"},
		{"secondary with unreadable cob", claims.Claim{TotalCharge: dec("156.00"), PriorClaimID: &prior, COB: db.JSON(`[1]`)}, "0.00"},
	} {
		assert.Equal(t, tc.want, claims.Open(tc.c).StringFixed(2), tc.name)
	}
}

func (w *world) journals(t *testing.T, key string) int64 {
	var n int64
	require.NoError(t, w.db.Table("journals").Where("idempotency_key = ?", key).Count(&n).Error)
	return n
}

func TestWriteOffDeniedClaim(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	b := w.primaryVisit(t)
	w.post835(t, "TRN-DENIED", deny(b))
	caseID := b.Claim.CaseID
	require.Equal(t, "156.00", w.balances(t, caseID).Get(ledger.ARInsuranceUnbilled).StringFixed(2))
	require.Equal(t, claims.StageDenied, w.claimRow(t, b.Claim.ID).Stage)

	amt, err := w.claims.WriteOff(ctx, b.Claim.ID, "not medically necessary, no appeal", audit.Actor{RequestID: "req-1"})
	require.NoError(t, err)
	assert.Equal(t, "156.00", amt.StringFixed(2))
	bal := w.balances(t, caseID)
	assert.True(t, bal.Get(ledger.ARInsuranceUnbilled).IsZero())
	assert.Equal(t, "156.00", bal.Get(ledger.InsuranceWriteOff).StringFixed(2))
	assert.True(t, bal.PatientBalance().IsZero())
	c := w.claimRow(t, b.Claim.ID)
	assert.Equal(t, claims.StageWrittenOff, c.Stage)
	assert.Equal(t, "156.00", c.WrittenOff.StringFixed(2))
	assert.True(t, claims.Open(c).IsZero())
	tl, err := w.claims.Timeline(ctx, b.Claim.ID)
	require.NoError(t, err)
	last := tl[len(tl)-1]
	assert.Equal(t, claims.StageDenied, last.FromStage)
	assert.Equal(t, claims.CauseUser, last.Cause)
	assert.JSONEq(t, `{"amount":"156.00","reason":"not medically necessary, no appeal"}`, string(last.Detail))

	again, err := w.claims.WriteOff(ctx, b.Claim.ID, "retry", audit.System)
	require.NoError(t, err)
	assert.Equal(t, "156.00", again.StringFixed(2), "a retry answers what was written off")
	assert.EqualValues(t, 1, w.journals(t, "claim-write-off:"+b.Claim.ID))
	assert.Equal(t, "156.00", w.claimRow(t, b.Claim.ID).WrittenOff.StringFixed(2))
	assert.Equal(t, "156.00", w.balances(t, caseID).Get(ledger.InsuranceWriteOff).StringFixed(2))
	var audits int64
	require.NoError(t, w.db.Table("audit_log").Where("action = 'claim.write_off' AND entity_id = ?", b.Claim.ID).Count(&audits).Error)
	assert.EqualValues(t, 1, audits)
	tl, err = w.claims.Timeline(ctx, b.Claim.ID)
	require.NoError(t, err)
	assert.Equal(t, last.ID, tl[len(tl)-1].ID, "no second event")

	_, err = w.claims.TransferToPatient(ctx, b.Claim.ID, "changed my mind", audit.System)
	var fe validate.Errors
	require.ErrorAs(t, err, &fe, "a written-off claim is not transferred")
	assert.Equal(t, "claim_id", fe[0].Field)

	_, err = w.claims.WriteOff(ctx, uuid.NewString(), "x", audit.System)
	assert.ErrorIs(t, err, claims.ErrNotFound)
}

// partial is the primary paying line 1 in full after CO-45 and denying line 2
// (CO-50): 31.00 stays open with the payer.
func partial(b claims.Built) x12.ClaimPayment {
	cp := deny(b)
	cp.StatusCode, cp.IsDenial = "1", false
	l := &cp.ServiceLines[0]
	l.PaidAmount = dec("100.00")
	l.Adjustments = []x12.Adjustment{{Group: "CO", Reason: "45", Amount: dec("25.00")}}
	cp.Payment = dec("100.00")
	return cp
}

func TestTransferToPatientAppliesTheirCreditFirst(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	b := w.primaryVisit(t)
	caseID := b.Claim.CaseID
	res := w.post835(t, "TRN-PARTIAL", partial(b))
	require.Equal(t, claims.StagePartiallyPaid, res.Remittances[0].Claims[0].Stage)
	require.Equal(t, "31.00", claims.Open(w.claimRow(t, b.Claim.ID)).StringFixed(2))
	// The patient paid 10.00 ahead: a credit.
	_, err := w.billing.RecordPayment(ctx, billing.PaymentInput{PaymentID: uuid.NewString(), CaseID: caseID,
		Amount: dec("10.00"), Method: "card", ReceivedAt: time.Now(), IdempotencyKey: "pay-1"})
	require.NoError(t, err)
	require.Equal(t, "10.00", w.balances(t, caseID).PatientCredit().StringFixed(2))

	amt, err := w.claims.TransferToPatient(ctx, b.Claim.ID, "denied line, patient agreed", audit.System)
	require.NoError(t, err)
	assert.Equal(t, "31.00", amt.StringFixed(2))
	bal := w.balances(t, caseID)
	assert.True(t, bal.Get(ledger.ARInsuranceUnbilled).IsZero())
	assert.Equal(t, "21.00", bal.PatientBalance().StringFixed(2), "31.00 less the 10.00 credit")
	assert.True(t, bal.PatientCredit().IsZero())
	c := w.claimRow(t, b.Claim.ID)
	assert.Equal(t, claims.StageToPatient, c.Stage)
	assert.Equal(t, "31.00", c.ToPatient.StringFixed(2))
	assert.True(t, c.WrittenOff.IsZero())

	again, err := w.claims.TransferToPatient(ctx, b.Claim.ID, "denied line, patient agreed", audit.System)
	require.NoError(t, err)
	assert.Equal(t, "31.00", again.StringFixed(2))
	assert.EqualValues(t, 1, w.journals(t, "claim-to-patient:"+b.Claim.ID))
	assert.Equal(t, "21.00", w.balances(t, caseID).PatientBalance().StringFixed(2))

	_, err = w.claims.WriteOff(ctx, b.Claim.ID, "x", audit.System)
	var fe validate.Errors
	require.ErrorAs(t, err, &fe)
}

func TestSettlingWithNothingOpenOnlyTransitions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	b := w.primaryVisit(t)
	w.post835(t, "TRN-PAID", adjudicate(b)) // settles all 156.00; the copay is the patient's
	before := w.balances(t, b.Claim.CaseID)

	amt, err := w.claims.WriteOff(ctx, b.Claim.ID, "close", audit.System)
	require.NoError(t, err)
	assert.True(t, amt.IsZero())
	assert.Zero(t, w.journals(t, "claim-write-off:"+b.Claim.ID))
	assert.Equal(t, before, w.balances(t, b.Claim.CaseID))
	assert.Equal(t, claims.StageWrittenOff, w.claimRow(t, b.Claim.ID).Stage)
	_, err = w.claims.WriteOff(ctx, b.Claim.ID, "close", audit.System)
	require.NoError(t, err)
	tl, err := w.claims.Timeline(ctx, b.Claim.ID)
	require.NoError(t, err)
	n := 0
	for _, e := range tl {
		if e.ToStage == claims.StageWrittenOff {
			n++
		}
	}
	assert.Equal(t, 1, n)
}

func TestConcurrentWriteOffsPostOnce(t *testing.T) {
	w := newWorld(t)
	b := w.primaryVisit(t)
	w.post835(t, "TRN-DENIED", deny(b))
	// Hold the case so every call is in flight before any can finish.
	hold := w.db.Begin()
	require.NoError(t, hold.Exec(`SELECT 1 FROM cases WHERE id = ? FOR UPDATE`, b.Claim.CaseID).Error)
	var wg sync.WaitGroup
	amounts := make([]decimal.Decimal, 4)
	errs := make([]error, len(amounts))
	for i := range amounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			amounts[i], errs[i] = w.claims.WriteOff(context.Background(), b.Claim.ID, "duplicate click", audit.System)
		}()
	}
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, hold.Commit().Error)
	wg.Wait()
	for i := range amounts {
		require.NoError(t, errs[i])
		assert.Equal(t, "156.00", amounts[i].StringFixed(2))
	}
	assert.EqualValues(t, 1, w.journals(t, "claim-write-off:"+b.Claim.ID))
	assert.Equal(t, "156.00", w.claimRow(t, b.Claim.ID).WrittenOff.StringFixed(2))
	bal := w.balances(t, b.Claim.CaseID)
	assert.Equal(t, "156.00", bal.Get(ledger.InsuranceWriteOff).StringFixed(2))
	assert.True(t, bal.Get(ledger.ARInsuranceUnbilled).IsZero())
}

func TestSecondaryBalanceTransferredToPatient(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	prim := w.primaryVisit(t)
	w.addSecondary(t, prim.Claim.CaseID)
	w.post835(t, "TRN-PRIMARY", adjudicate(prim))
	sec, ok, err := w.claims.BuildSecondary(ctx, prim.Claim.ID, audit.System)
	require.NoError(t, err)
	require.True(t, ok)

	// The primary owes nothing more; the secondary owes the held copay, and
	// when it will not pay, the copay becomes the patient's.
	amt, err := w.claims.WriteOff(ctx, prim.Claim.ID, "settled", audit.System)
	require.NoError(t, err)
	assert.True(t, amt.IsZero())
	amt, err = w.claims.TransferToPatient(ctx, sec.Claim.ID, "secondary coverage lapsed", audit.System)
	require.NoError(t, err)
	assert.Equal(t, "25.00", amt.StringFixed(2))
	bal := w.balances(t, prim.Claim.CaseID)
	assert.True(t, bal.Get(ledger.ARInsuranceUnbilled).IsZero())
	assert.Equal(t, "25.00", bal.PatientBalance().StringFixed(2))
	assert.True(t, bal.Get(ledger.InsuranceWriteOff).IsZero())
}

// A settlement reason is a person's free text: the claim's PHI in it is masked
// before it reaches the timeline and the audit log.
func TestSettlementReasonIsMasked(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	b := w.primaryVisit(t)
	w.post835(t, "TRN-DENIED-2", deny(b))
	dx := b.Claim.Diagnoses[0]
	_, err := w.claims.TransferToPatient(ctx, b.Claim.ID, "patient agreed to pay for "+dx+" visit", audit.System)
	require.NoError(t, err)
	tl, err := w.claims.Timeline(ctx, b.Claim.ID)
	require.NoError(t, err)
	last := tl[len(tl)-1]
	assert.NotContains(t, string(last.Detail), dx)
	assert.Contains(t, string(last.Detail), "***")
	var changes []string
	require.NoError(t, w.db.Table("audit_log").Where("action LIKE 'claim.%' AND entity_id = ?", b.Claim.ID).Pluck("changes::text", &changes).Error)
	for _, c := range changes {
		assert.NotContains(t, c, dx)
	}
}
