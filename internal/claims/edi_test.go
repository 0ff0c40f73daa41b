package claims_test

import (
	"context"
	"testing"

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
