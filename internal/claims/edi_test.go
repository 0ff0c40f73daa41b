package claims_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/x12"
)

var testSubmitter = claims.Submitter{Name: "Main St Clinic", ID: "CLINIC01", SenderID: "CLINICFLOW",
	ReceiverID: "SIMCH", ReceiverName: "Simulated Clearinghouse", ContactName: "Billing", Phone: "217-555-0100"}

func TestRender837ReadsBackAsTheClaim(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	caseID, encID := w.visit(t, "insurance", true,
		ch("99213", 1, []string{"E11.9", "I10"}, 1, 2),
		ch("36415", 2, []string{"I10"}, 1))
	b, err := w.claims.Build(ctx, claims.BuildInput{CaseID: caseID, EncounterID: encID})
	require.NoError(t, err)

	r1, err := w.claims.Render837(ctx, b.Claim.ID, testSubmitter)
	require.NoError(t, err)
	r2, err := w.claims.Render837(ctx, b.Claim.ID, testSubmitter)
	require.NoError(t, err)
	assert.Greater(t, r2.ControlNumber, r1.ControlNumber, "every interchange gets a new control number")

	batches, err := x12.Parse837(r1.Data)
	require.NoError(t, err, "%s", r1.Data)
	require.Len(t, batches, 1)
	bt := batches[0]
	assert.Equal(t, r1.ControlNumber, bt.Envelope.InterchangeControlNumber)
	require.Len(t, bt.Claims, 1)
	c := bt.Claims[0]
	assert.Equal(t, b.Claim.PatientControlNumber, c.PatientControlNumber)
	assert.True(t, b.Claim.TotalCharge.Equal(c.TotalCharge), "%s vs %s", b.Claim.TotalCharge, c.TotalCharge)
	assert.Equal(t, "1", c.FrequencyCode)
	assert.Equal(t, []string{"E119", "I10"}, c.Diagnoses)
	assert.Equal(t, "ACME1", c.Payer.ID)
	assert.Equal(t, "P", c.Subscriber.PayerResponsibility)
	assert.Equal(t, "CI", c.Subscriber.ClaimFilingIndicator)
	assert.Equal(t, "XJ123456", c.Subscriber.MemberID)
	assert.Nil(t, c.Patient, "the patient is the subscriber")
	require.Len(t, c.Lines, 2)
	assert.Equal(t, "99213", c.Lines[0].Procedure.Code)
	assert.Equal(t, []int{1, 2}, c.Lines[0].DiagnosisPointers)
	assert.Equal(t, []int{2}, c.Lines[1].DiagnosisPointers)
	assert.Equal(t, "2", c.Lines[1].Units.String())
	assert.Equal(t, b.Lines[0].ID, c.Lines[0].LineItemControlNumber, "REF*6R ties 835 lines back to claim lines")
	assert.Equal(t, "1234567893", c.BillingProvider.NPI)
}

func TestRender837DependentPatient(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	caseID, encID := w.visit(t, "workers_comp", false, ch("99213", 1, []string{"S61.011A"}, 1))
	// Replace the self coverage with a dependant's.
	covs, err := w.records.ListCoverages(ctx, caseID)
	require.NoError(t, err)
	_, err = w.records.DeactivateCoverage(ctx, caseID, covs[0].ID, audit.System)
	require.NoError(t, err)
	_, err = w.records.AddCoverage(ctx, caseID, records.NewCoverage{PayerID: w.payer, Priority: "primary",
		MemberID: "FAM998877", Relationship: "child", SubscriberFirstName: "Pat", SubscriberLastName: "Parent",
		SubscriberDateOfBirth: "1970-03-04", EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)
	w.complete(t, caseID, encID)
	b, err := w.claims.Build(ctx, claims.BuildInput{CaseID: caseID, EncounterID: encID})
	require.NoError(t, err)
	r, err := w.claims.Render837(ctx, b.Claim.ID, testSubmitter)
	require.NoError(t, err)
	batches, err := x12.Parse837(r.Data)
	require.NoError(t, err)
	c := batches[0].Claims[0]
	assert.Equal(t, "PARENT", c.Subscriber.LastName)
	require.NotNil(t, c.Patient, "a dependant patient gets loop 2000C")
	assert.Equal(t, "19", c.Patient.Relationship)
	assert.Equal(t, "R", c.Patient.LastName)
	assert.Equal(t, "CI", c.Subscriber.ClaimFilingIndicator, "the filing indicator follows the payer type")
}

func TestRender837SecondaryCarriesThePriorPayer(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	prim := w.primaryVisit(t)
	w.addSecondary(t, prim.Claim.CaseID)
	cp := adjudicate(prim)
	w.post835(t, "TRN-PRIMARY", cp)
	sec, ok, err := w.claims.BuildSecondary(ctx, prim.Claim.ID, audit.System)
	require.NoError(t, err)
	require.True(t, ok)

	r, err := w.claims.Render837(ctx, sec.Claim.ID, testSubmitter)
	require.NoError(t, err)
	batches, err := x12.Parse837(r.Data)
	require.NoError(t, err, "%s", r.Data)
	require.Len(t, batches, 1)
	require.Len(t, batches[0].Claims, 1)
	c := batches[0].Claims[0]
	assert.Equal(t, sec.Claim.PatientControlNumber, c.PatientControlNumber)
	assert.Equal(t, "1", c.FrequencyCode)
	assert.Equal(t, "S", c.Subscriber.PayerResponsibility)
	assert.Equal(t, "SEC778899", c.Subscriber.MemberID)
	assert.Equal(t, "BETA2", c.Payer.ID)

	require.Len(t, c.OtherPayers, 1, "loop 2320")
	op := c.OtherPayers[0]
	assert.Equal(t, "P", op.PayerResponsibility)
	assert.Equal(t, "18", op.Relationship, "the patient is the primary's subscriber")
	assert.Equal(t, "CI", op.ClaimFilingIndicator)
	require.NotNil(t, op.PaidAmount)
	assert.True(t, cp.Payment.Equal(*op.PaidAmount), "AMT*D %s", op.PaidAmount)
	require.NotNil(t, op.RemainingPatientLiability)
	assert.Equal(t, "25.00", op.RemainingPatientLiability.StringFixed(2))
	require.Len(t, op.Adjustments, 1, "claim-level CAS only")
	assert.Equal(t, cp.Adjustments[0].Group, op.Adjustments[0].Group)
	assert.Equal(t, cp.Adjustments[0].Reason, op.Adjustments[0].Reason)
	assert.True(t, cp.Adjustments[0].Amount.Equal(op.Adjustments[0].Amount))
	assert.Equal(t, "Y", op.BenefitsAssignment)
	assert.Equal(t, "Y", op.ReleaseOfInformation)
	assert.Equal(t, "R", op.Subscriber.LastName, "2330A")
	assert.Equal(t, "XJ123456", op.Subscriber.ID)
	assert.Equal(t, "MI", op.Subscriber.IDQualifier)
	assert.Equal(t, "ACME", op.Payer.Name, "2330B")
	assert.Equal(t, "ACME1", op.Payer.ID)
	assert.Equal(t, paymentDate, op.Payer.AdjudicationDate)
	assert.Equal(t, []x12.Reference{{Qualifier: "F8", Value: "ACME-77"}}, op.Payer.SecondaryIDs)

	require.Len(t, c.Lines, len(cp.ServiceLines))
	settled := decimal.Zero
	for _, a := range op.Adjustments {
		settled = settled.Add(a.Amount)
	}
	for i, l := range c.Lines {
		src := cp.ServiceLines[i]
		assert.Equal(t, sec.Lines[i].ID, l.LineItemControlNumber)
		require.Len(t, l.Adjudications, 1, "loop 2430 on line %d", i+1)
		a := l.Adjudications[0]
		assert.Equal(t, "ACME1", a.PayerID)
		assert.True(t, src.PaidAmount.Equal(a.PaidAmount), "line %d SVD02 %s", i+1, a.PaidAmount)
		assert.Equal(t, src.Procedure.Code, a.Procedure.Code)
		assert.True(t, src.UnitsPaid.Equal(a.PaidUnits))
		assert.Equal(t, paymentDate, a.AdjudicationDate)
		require.Len(t, a.Adjustments, len(src.Adjustments))
		lineAdj := decimal.Zero
		for j, adj := range a.Adjustments {
			assert.Equal(t, src.Adjustments[j].Group, adj.Group)
			assert.Equal(t, src.Adjustments[j].Reason, adj.Reason)
			assert.True(t, src.Adjustments[j].Amount.Equal(adj.Amount))
			lineAdj = lineAdj.Add(adj.Amount)
		}
		assert.True(t, l.Charge.Sub(a.PaidAmount).Equal(lineAdj), "line %d balances", i+1)
		settled = settled.Add(lineAdj)
	}
	assert.True(t, c.TotalCharge.Sub(*op.PaidAmount).Equal(settled), "the prior payer's adjudication balances to the charge")

	// The primary itself carries no other payer.
	pr, err := w.claims.Render837(ctx, prim.Claim.ID, testSubmitter)
	require.NoError(t, err)
	pb, err := x12.Parse837(pr.Data)
	require.NoError(t, err)
	assert.Equal(t, "P", pb[0].Claims[0].Subscriber.PayerResponsibility)
	assert.Empty(t, pb[0].Claims[0].OtherPayers)
}
