package claims_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/remit"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/internal/x12"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// addSecondary gives the case a secondary coverage with the payer BETA2.
func (w *world) addSecondary(t *testing.T, caseID string) records.Coverage {
	ctx := context.Background()
	var payerID string
	require.NoError(t, w.db.Table("payers").Where("payer_id = 'BETA2'").Pluck("id", &payerID).Error)
	if payerID == "" {
		p, err := w.records.CreatePayer(ctx, records.NewPayer{Name: "Beta Mutual", PayerID: "BETA2", Type: "commercial"}, audit.System)
		require.NoError(t, err)
		payerID = p.ID
	}
	cov, err := w.records.AddCoverage(ctx, caseID, records.NewCoverage{PayerID: payerID, Priority: "secondary",
		MemberID: "SEC778899", GroupNumber: "G-200", EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)
	return cov
}

// primaryVisit bills 99213 (125.00) and 2 x 36415 (31.00) to the primary payer.
func (w *world) primaryVisit(t *testing.T) claims.Built {
	caseID, encID := w.visit(t, "insurance", true,
		ch("99213", 1, []string{"E11.9", "I10"}, 1, 2),
		ch("36415", 2, []string{"I10"}, 1))
	b, err := w.claims.Build(context.Background(), claims.BuildInput{CaseID: caseID, EncounterID: encID})
	require.NoError(t, err)
	return b
}

// adjudicate is the primary payer's answer to a claim of primaryVisit: every
// line allowed 80% (CO-45 for the rest), a 25.00 copay (PR-3) on the first line,
// and a claim-level CO-253 of 1.00 taken from the payment. For 156.00 that is
// paid 98.80, contractual 32.20, patient 25.00.
func adjudicate(b claims.Built) x12.ClaimPayment {
	cp := x12.ClaimPayment{PatientControlNumber: b.Claim.PatientControlNumber, StatusCode: "1",
		TotalCharge: b.Claim.TotalCharge, FilingIndicator: "CI", PayerClaimControlNumber: "ACME-77",
		Adjustments: []x12.Adjustment{{Group: "CO", Reason: "253", Amount: dec("1.00")}}}
	for i, l := range b.Lines {
		allowed := l.Charge.Mul(dec("0.8")).Round(2)
		sp := x12.ServicePayment{Procedure: x12.Procedure{Qualifier: "HC", Code: l.ProcedureCode}, ChargeAmount: l.Charge,
			UnitsPaid: decimal.NewFromInt(int64(l.Units)), LineItemControlNumber: l.ID, PaidAmount: allowed,
			Adjustments: []x12.Adjustment{{Group: "CO", Reason: "45", Amount: l.Charge.Sub(allowed)}}}
		if i == 0 {
			sp.PaidAmount = allowed.Sub(dec("25"))
			sp.Adjustments = append(sp.Adjustments, x12.Adjustment{Group: "PR", Reason: "3", Amount: dec("25")})
		}
		cp.ServiceLines = append(cp.ServiceLines, sp)
		cp.Payment = cp.Payment.Add(sp.PaidAmount)
	}
	cp.Payment = cp.Payment.Sub(dec("1.00"))
	return cp
}

// deny is a CO-50 denial of every line.
func deny(b claims.Built) x12.ClaimPayment {
	cp := x12.ClaimPayment{PatientControlNumber: b.Claim.PatientControlNumber, StatusCode: "4", IsDenial: true,
		TotalCharge: b.Claim.TotalCharge, FilingIndicator: "CI", PayerClaimControlNumber: "ACME-DENIED"}
	for _, l := range b.Lines {
		cp.ServiceLines = append(cp.ServiceLines, x12.ServicePayment{Procedure: x12.Procedure{Qualifier: "HC", Code: l.ProcedureCode},
			ChargeAmount: l.Charge, UnitsPaid: decimal.NewFromInt(int64(l.Units)), LineItemControlNumber: l.ID,
			Adjustments: []x12.Adjustment{{Group: "CO", Reason: "50", Amount: l.Charge}}})
	}
	return cp
}

var paymentDate = x12.NewDate(2026, 11, 25)

// post835 posts the claim payments as one 835 from ACME1 through internal/remit.
func (w *world) post835(t *testing.T, trace string, cps ...x12.ClaimPayment) remit.Result {
	total := decimal.Zero
	for _, cp := range cps {
		require.NoError(t, cp.CheckBalance())
		total = total.Add(cp.Payment)
	}
	r := x12.Remittance{
		Envelope: x12.Envelope{SenderIDQualifier: "ZZ", SenderID: "ACME1", ReceiverIDQualifier: "ZZ", ReceiverID: "CLINICFLOW",
			InterchangeControlNumber: 1, UsageIndicator: "T", ApplicationSenderCode: "ACME1", ApplicationReceiverCode: "CLINICFLOW",
			GroupControlNumber: 1, Date: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC), TransactionControlNumber: "0001"},
		Payment: x12.PaymentInfo{HandlingCode: "I", Amount: total, CreditDebit: "C", Method: "CHK", Date: paymentDate},
		Trace:   x12.Trace{TypeCode: "1", Number: trace, OriginatorID: "1999999999"},
		Payer: x12.Party{Name: "ACME", IDQualifier: "XV", ID: "ACME1",
			Address: &x12.Address{Line1: "PO BOX 1", City: "SPRINGFIELD", State: "IL", PostalCode: "62701"}},
		Payee:  x12.Party{Name: "L", IDQualifier: "XX", ID: "1234567893"},
		Claims: cps,
	}
	data, err := x12.Write835(&r)
	require.NoError(t, err)
	res, err := (&remit.Service{DB: w.db}).Ingest(context.Background(), data, audit.System)
	require.NoError(t, err)
	for _, rr := range res.Remittances {
		for _, c := range rr.Claims {
			require.True(t, c.Matched, c.PatientControlNumber)
		}
	}
	return res
}

func (w *world) balances(t *testing.T, caseID string) ledger.Balances {
	b, err := ledger.CaseBalances(w.db, caseID)
	require.NoError(t, err)
	bad, err := ledger.CheckAll(w.db)
	require.NoError(t, err)
	require.Empty(t, bad, "every journal balances")
	return b
}

func (w *world) claimRow(t *testing.T, id string) claims.Claim {
	var c claims.Claim
	require.NoError(t, w.db.Where("id = ?", id).First(&c).Error)
	return c
}

// cobOf is a claim's cob as the API shows it (member ID and group number
// opened; they are sealed at rest).
func cobOf(t *testing.T, c claims.Claim) claims.COB {
	opened, err := claims.OpenCOB(c)
	require.NoError(t, err)
	var cob claims.COB
	require.NoError(t, json.Unmarshal(opened, &cob))
	return cob
}

func TestBuildSecondaryCarriesThePrimaryAdjudication(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	prim := w.primaryVisit(t)
	cov := w.addSecondary(t, prim.Claim.CaseID)

	_, _, err := w.claims.BuildSecondary(ctx, prim.Claim.ID, audit.System)
	var fe validate.Errors
	require.ErrorAs(t, err, &fe, "the primary payer has not decided yet")
	assert.Equal(t, "claim_id", fe[0].Field)

	res := w.post835(t, "TRN-PRIMARY", adjudicate(prim))
	require.Equal(t, "25.00", res.Remittances[0].Claims[0].HeldForSecondary.StringFixed(2))
	assert.Equal(t, "25.00", w.balances(t, prim.Claim.CaseID).Get(ledger.ARInsuranceUnbilled).StringFixed(2))

	sec, ok, err := w.claims.BuildSecondary(ctx, prim.Claim.ID, audit.System)
	require.NoError(t, err)
	require.True(t, ok)
	c := sec.Claim
	assert.Equal(t, records.PrioritySecondary, c.Priority)
	assert.Equal(t, "1", c.Frequency)
	require.NotNil(t, c.PriorClaimID)
	assert.Equal(t, prim.Claim.ID, *c.PriorClaimID)
	assert.Equal(t, cov.ID, c.CoverageID)
	assert.Equal(t, cov.PayerID, c.PayerID)
	assert.Equal(t, prim.Claim.EncounterID, c.EncounterID)
	assert.Equal(t, claims.StageCreated, c.Stage)
	assert.Equal(t, "156.00", c.TotalCharge.StringFixed(2))
	assert.Equal(t, []string(prim.Claim.Diagnoses), []string(c.Diagnoses))
	assert.NotEqual(t, prim.Claim.PatientControlNumber, c.PatientControlNumber)
	require.Len(t, sec.Lines, 2)
	for i, l := range sec.Lines {
		p := prim.Lines[i]
		assert.NotEqual(t, p.ID, l.ID)
		assert.Equal(t, c.ID, l.ClaimID)
		assert.Equal(t, p.LineNumber, l.LineNumber)
		assert.Equal(t, p.ChargeID, l.ChargeID)
		assert.Equal(t, p.ProcedureCode, l.ProcedureCode)
		assert.Equal(t, p.Units, l.Units)
		assert.True(t, p.Charge.Equal(l.Charge))
	}

	cob := cobOf(t, w.claimRow(t, c.ID))
	assert.Equal(t, prim.Claim.ID, cob.PriorClaimID)
	assert.Equal(t, res.Remittances[0].Claims[0].RemittanceClaimID, cob.RemittanceClaimID)
	assert.Equal(t, claims.COBPayer{ID: w.payer, Name: "Acme", PayerID: "ACME1", Type: "commercial"}, cob.Payer)
	assert.Equal(t, claims.COBSubscriber{MemberID: "XJ123456", Relationship: "self", FirstName: "J", LastName: "R"}, cob.Subscriber)
	assert.Equal(t, "ACME-77", cob.PayerClaimNumber)
	assert.Equal(t, paymentDate, cob.AdjudicationDate, "BPR16 of the primary's 835")
	assert.Equal(t, "98.80", cob.Paid.StringFixed(2))
	assert.Equal(t, "25.00", cob.PatientResponsibility.StringFixed(2))
	require.Len(t, cob.Adjustments, 1)
	assert.Equal(t, "253", cob.Adjustments[0].Reason)
	require.Len(t, cob.Lines, 2)
	assert.Equal(t, sec.Lines[0].ID, cob.Lines[0].ClaimLineID)
	assert.Equal(t, 1, cob.Lines[0].LineNumber)
	assert.Equal(t, "75.00", cob.Lines[0].Paid.StringFixed(2))
	assert.Equal(t, "99213", cob.Lines[0].Procedure.Code)
	require.Len(t, cob.Lines[0].Adjustments, 2)
	assert.Equal(t, "PR", cob.Lines[0].Adjustments[1].Group)
	assert.Equal(t, sec.Lines[1].ID, cob.Lines[1].ClaimLineID)
	assert.Equal(t, "24.80", cob.Lines[1].Paid.StringFixed(2))
	assert.Equal(t, "2", cob.Lines[1].Units.String())
	assert.Equal(t, paymentDate, cob.Lines[1].AdjudicationDate)
	assert.Equal(t, "25.00", claims.Open(w.claimRow(t, c.ID)).StringFixed(2), "the secondary is billed for what the primary left")
	assert.True(t, claims.Open(w.claimRow(t, prim.Claim.ID)).IsZero())

	again, ok, err := w.claims.BuildSecondary(ctx, prim.Claim.ID, audit.System)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, c.ID, again.Claim.ID, "building again returns the same claim")
	assert.Len(t, again.Lines, 2)
	var n int64
	require.NoError(t, w.db.Table("claims").Where("prior_claim_id = ?", prim.Claim.ID).Count(&n).Error)
	assert.EqualValues(t, 1, n)
	tl, err := w.claims.Timeline(ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, tl, 1)
	assert.Equal(t, claims.StageCreated, tl[0].ToStage)
	require.NoError(t, w.db.Table("audit_log").Where("action = 'claim.create' AND entity_id = ?", c.ID).Count(&n).Error)
	assert.EqualValues(t, 1, n)

	_, _, err = w.claims.BuildSecondary(ctx, c.ID, audit.System)
	require.ErrorAs(t, err, &fe, "a secondary claim is not a primary")
	assert.Equal(t, "claim_id", fe[0].Field)
}

func TestBuildSecondaryMatchesLinesWithoutLineControlNumbers(t *testing.T) {
	w := newWorld(t)
	prim := w.primaryVisit(t)
	w.addSecondary(t, prim.Claim.CaseID)
	cp := adjudicate(prim)
	// A payer that echoes no REF*6R and answers the lines in another order.
	cp.ServiceLines[0], cp.ServiceLines[1] = cp.ServiceLines[1], cp.ServiceLines[0]
	for i := range cp.ServiceLines {
		cp.ServiceLines[i].LineItemControlNumber = ""
	}
	w.post835(t, "TRN-PRIMARY", cp)
	sec, ok, err := w.claims.BuildSecondary(context.Background(), prim.Claim.ID, audit.System)
	require.NoError(t, err)
	require.True(t, ok)
	cob := cobOf(t, sec.Claim)
	require.Len(t, cob.Lines, 2)
	assert.Equal(t, sec.Lines[1].ID, cob.Lines[0].ClaimLineID, "36415 by code and charge")
	assert.Equal(t, 2, cob.Lines[0].LineNumber)
	assert.Equal(t, sec.Lines[0].ID, cob.Lines[1].ClaimLineID)
}

func TestBuildSecondaryWithoutSecondaryCoverage(t *testing.T) {
	w := newWorld(t)
	prim := w.primaryVisit(t)
	w.post835(t, "TRN-PRIMARY", adjudicate(prim))
	sec, ok, err := w.claims.BuildSecondary(context.Background(), prim.Claim.ID, audit.System)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Empty(t, sec.Claim.ID)
	bal := w.balances(t, prim.Claim.CaseID)
	assert.Equal(t, "25.00", bal.PatientBalance().StringFixed(2), "without a secondary the copay is the patient's")
	assert.True(t, bal.Get(ledger.ARInsuranceUnbilled).IsZero())

	_, _, err = w.claims.BuildSecondary(context.Background(), "00000000-0000-0000-0000-000000000000", audit.System)
	assert.ErrorIs(t, err, claims.ErrNotFound)
}
