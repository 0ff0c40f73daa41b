package claims_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/x12"
)

func TestReplacementOfAnAdjudicatedClaim(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456", ch("99213", 1, []string{"E11.9", "I10"}, 1, 2), ch("36415", 2, []string{"I10"}, 1))

	_, err := f.claims.Replacement(ctx, b.Claim.ID, audit.System)
	assert.ErrorIs(t, err, claims.ErrWrongStage, "not adjudicated yet")

	f.send(t, b.Claim.ID, "sub-1")
	f.applyAcks(t)
	orig := f.claim(t, b.Claim.ID)
	require.Equal(t, claims.StageAccepted, orig.Stage)
	require.NotEmpty(t, orig.PayerClaimNumber)
	require.NoError(t, f.claims.Transition(ctx, b.Claim.ID, claims.StageDenied, claims.Cause835, nil, audit.System))

	r, err := f.claims.Replacement(ctx, b.Claim.ID, audit.System)
	require.NoError(t, err)
	rc := r.Claim
	assert.Equal(t, "7", rc.Frequency)
	require.NotNil(t, rc.OriginalClaimID)
	assert.Equal(t, b.Claim.ID, *rc.OriginalClaimID)
	assert.Equal(t, claims.ControlNumber(rc.ID), rc.PatientControlNumber)
	assert.NotEqual(t, orig.PatientControlNumber, rc.PatientControlNumber)
	assert.Equal(t, orig.PayerClaimNumber, rc.PayerClaimNumber)
	assert.Equal(t, claims.StageCreated, rc.Stage)
	for _, pair := range [][2]string{{orig.CaseID, rc.CaseID}, {orig.EncounterID, rc.EncounterID},
		{orig.CoverageID, rc.CoverageID}, {orig.PayerID, rc.PayerID}, {orig.Priority, rc.Priority}} {
		assert.Equal(t, pair[0], pair[1])
	}
	assert.Equal(t, []string(orig.Diagnoses), []string(rc.Diagnoses))
	assert.True(t, orig.TotalCharge.Equal(rc.TotalCharge))
	require.Len(t, r.Lines, len(b.Lines))
	for i, l := range r.Lines {
		o := b.Lines[i]
		assert.NotEqual(t, o.ID, l.ID)
		assert.Equal(t, rc.ID, l.ClaimID)
		assert.Equal(t, o.ChargeID, l.ChargeID)
		assert.Equal(t, o.ProcedureCode, l.ProcedureCode)
		assert.True(t, o.Charge.Equal(l.Charge))
		assert.Equal(t, o.DiagnosisPointers, l.DiagnosisPointers)
	}
	assert.Equal(t, claims.StageReplaced, f.claim(t, b.Claim.ID).Stage)
	tl := f.timeline(t, b.Claim.ID)
	assert.Equal(t, rc.ID, detailOf(t, tl[len(tl)-1])["replacement_claim_id"])
	rtl := f.timeline(t, rc.ID)
	require.Len(t, rtl, 1)
	assert.Equal(t, b.Claim.ID, detailOf(t, rtl[0])["original_claim_id"])

	again, err := f.claims.Replacement(ctx, b.Claim.ID, audit.System)
	require.NoError(t, err)
	assert.Equal(t, rc.ID, again.Claim.ID, "idempotent")
	assert.Len(t, again.Lines, len(r.Lines))
	assert.EqualValues(t, 1, f.count(t, `SELECT count(*) FROM claims WHERE original_claim_id = ?`, b.Claim.ID))

	// The status inquiry does not ask about the original under the replacement.
	st, err := f.claims.StatusRequest(ctx, rc.ID)
	require.NoError(t, err)
	assert.Empty(t, st.PayerClaimControlNumber)
	assert.Equal(t, rc.PatientControlNumber, st.PatientControlNumber)

	// The 837 names the claim it replaces, and the payer takes it as such.
	s := f.send(t, rc.ID, "sub-r1")
	batches, err := x12.Parse837(s.Data)
	require.NoError(t, err)
	c := batches[0].Claims[0]
	assert.Equal(t, "7", c.FrequencyCode)
	assert.Equal(t, orig.PayerClaimNumber, c.OriginalClaimNumber, "REF*F8")
	f.applyAcks(t)
	replaced := f.claim(t, rc.ID)
	assert.Equal(t, claims.StageAccepted, replaced.Stage)
	assert.NotEqual(t, orig.PayerClaimNumber, replaced.PayerClaimNumber, "the payer numbers the replacement")
}

func TestReplacementNeedsThePayerClaimNumber(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456")
	require.NoError(t, f.claims.Transition(ctx, b.Claim.ID, claims.StagePaid, claims.Cause835, nil, audit.System))
	_, err := f.claims.Replacement(ctx, b.Claim.ID, audit.System)
	assert.Equal(t, []string{"claim_id"}, fieldsOf(t, err))
	assert.NotErrorIs(t, err, claims.ErrWrongStage)
	assert.Equal(t, claims.StagePaid, f.claim(t, b.Claim.ID).Stage)
	assert.Zero(t, f.count(t, `SELECT count(*) FROM claims WHERE original_claim_id = ?`, b.Claim.ID))

	_, err = f.claims.Replacement(ctx, "6b0f3a1e-0000-4000-8000-000000000000", audit.System)
	assert.ErrorIs(t, err, claims.ErrNotFound)
}
