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

func TestEligibilityRequestAndRecord(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "INACTIVE7")

	req, err := f.claims.EligibilityRequest(ctx, b.Claim.ID)
	require.NoError(t, err)
	assert.Equal(t, "ACME1", req.PayerID)
	assert.Equal(t, "Acme", req.PayerName)
	assert.Equal(t, "1234567893", req.ProviderNPI, "the location has no NPI: the provider bills")
	assert.Equal(t, "A B", req.ProviderName)
	assert.Equal(t, "INACTIVE7", req.MemberID)
	assert.Equal(t, "J", req.FirstName)
	assert.Equal(t, "R", req.LastName)
	assert.Equal(t, "19800101", req.BirthDate.X12())
	assert.Equal(t, "20261102", req.ServiceDate.X12())

	res, err := f.sim.CheckEligibility(ctx, req)
	require.NoError(t, err)
	require.False(t, res.Active)
	require.NoError(t, f.claims.RecordEligibility(ctx, b.Claim.ID, res.Active, map[string]any{
		"plan": res.PlanName, "member_id": req.MemberID, "subscriber_last_name": req.LastName, "reject_reasons": []string{"72"}}, audit.System))
	assert.Equal(t, claims.StageEligibilityHold, f.claim(t, b.Claim.ID).Stage)
	tl := f.timeline(t, b.Claim.ID)
	last := tl[len(tl)-1]
	assert.Equal(t, claims.CauseEligibility, last.Cause)
	assert.Equal(t, claims.StageCreated, last.FromStage)
	d := detailOf(t, last)
	assert.Equal(t, false, d["active"])
	assert.Equal(t, []any{"72"}, d["reject_reasons"])
	assert.NotContains(t, d, "member_id")
	assert.NotContains(t, string(last.Detail), "INACTIVE7")

	// Active again: recorded, the stage is the workflow's to change.
	require.NoError(t, f.claims.RecordEligibility(ctx, b.Claim.ID, true, map[string]any{"plan": "SIMULATED PPO"}, audit.System))
	tl = f.timeline(t, b.Claim.ID)
	last = tl[len(tl)-1]
	assert.Equal(t, claims.StageEligibilityHold, last.FromStage)
	assert.Equal(t, claims.StageEligibilityHold, last.ToStage)
	assert.Equal(t, true, detailOf(t, last)["active"])

	// A paid claim is not put on hold.
	require.NoError(t, f.claims.Transition(ctx, b.Claim.ID, claims.StagePaid, claims.Cause835, nil, audit.System))
	require.NoError(t, f.claims.RecordEligibility(ctx, b.Claim.ID, false, nil, audit.System))
	assert.Equal(t, claims.StagePaid, f.claim(t, b.Claim.ID).Stage)

	assert.ErrorIs(t, f.claims.RecordEligibility(ctx, "nope", true, nil, audit.System), claims.ErrNotFound)
	_, err = f.claims.EligibilityRequest(ctx, "nope")
	assert.ErrorIs(t, err, claims.ErrNotFound)
}

func TestRequestsForADependant(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	caseID, encID := f.visit(t, "insurance", false, ch("99213", 1, []string{"E11.9"}, 1), ch("36415", 1, []string{"E11.9"}, 1))
	covs, err := f.records.ListCoverages(ctx, caseID)
	require.NoError(t, err)
	_, err = f.records.DeactivateCoverage(ctx, caseID, covs[0].ID, audit.System)
	require.NoError(t, err)
	_, err = f.records.AddCoverage(ctx, caseID, records.NewCoverage{PayerID: f.payer, Priority: "primary",
		MemberID: "FAM998877", Relationship: "child", SubscriberFirstName: "Pat", SubscriberLastName: "Parent",
		SubscriberDateOfBirth: "1970-03-04", EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)
	f.complete(t, caseID, encID)
	b, err := f.claims.Build(ctx, claims.BuildInput{CaseID: caseID, EncounterID: encID})
	require.NoError(t, err)

	el, err := f.claims.EligibilityRequest(ctx, b.Claim.ID)
	require.NoError(t, err)
	assert.Equal(t, "FAM998877", el.MemberID)
	assert.Equal(t, "PAT", el.FirstName)
	assert.Equal(t, "PARENT", el.LastName)
	assert.Equal(t, "19700304", el.BirthDate.X12())

	st, err := f.claims.StatusRequest(ctx, b.Claim.ID)
	require.NoError(t, err)
	assert.Equal(t, "PARENT", st.LastName)
	assert.Equal(t, b.Claim.PatientControlNumber, st.PatientControlNumber)
	assert.Empty(t, st.PayerClaimControlNumber, "not yet known")
	require.NotNil(t, st.TotalCharge)
	assert.Equal(t, "140.50", st.TotalCharge.StringFixed(2))
	assert.Equal(t, "20261102", st.ServiceFrom.X12())
	assert.Equal(t, x12.Date{}, st.ServiceTo, "one service date")
}
