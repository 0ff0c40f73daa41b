package claims_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/x12"
)

// TestLegacyUndottedDiagnoses: charges and claims stored before diagnoses were
// kept dotted hold "E119". Such a charge and a newer "E11.9" one make a claim
// with one diagnosis, in the dotted form; the claim scrubs clean and its 837P
// carries the code without the dot.
func TestLegacyUndottedDiagnoses(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	caseID, encID := f.visit(t, "insurance", false,
		ch("99213", 1, []string{"E11.9", "I10"}, 1, 2),
		ch("36415", 1, []string{"E11.9"}, 1))
	// The first charge is an older row.
	require.NoError(t, f.db.Exec(`UPDATE charges SET diagnoses = '{E119,I10}' WHERE encounter_id = ? AND procedure_code = '99213'`,
		encID).Error)
	f.complete(t, caseID, encID)
	b, err := f.claims.Build(ctx, claims.BuildInput{CaseID: caseID, EncounterID: encID})
	require.NoError(t, err)
	assert.Equal(t, []string{"E11.9", "I10"}, []string(b.Claim.Diagnoses), "E119 and E11.9 are one diagnosis")
	require.Len(t, b.Lines, 2)
	assert.Equal(t, []int64{1, 2}, []int64(b.Lines[0].DiagnosisPointers))
	assert.Equal(t, []int64{1}, []int64(b.Lines[1].DiagnosisPointers))

	failures, err := f.claims.Scrub(ctx, b.Claim.ID, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), nil)
	require.NoError(t, err)
	assert.Empty(t, failures)

	r, err := f.claims.Render837(ctx, b.Claim.ID, testSubmitter)
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(r.Data), "HI*ABK:E119*ABF:I10~"), "HI without the dot: %s", r.Data)
	batches, err := x12.Parse837(r.Data)
	require.NoError(t, err)
	assert.Equal(t, []string{"E119", "I10"}, batches[0].Claims[0].Diagnoses)

	// A claim row from before keeps working: rendered without the dot, and a
	// fix naming the same codes dotted changes nothing.
	require.NoError(t, f.db.Exec(`UPDATE claims SET diagnoses = '{E119,I10}' WHERE id = ?`, b.Claim.ID).Error)
	events := len(f.timeline(t, b.Claim.ID))
	got, err := f.claims.ApplyFix(ctx, b.Claim.ID, claims.Fix{Diagnoses: []string{"E11.9", "i10"}, Note: "same codes"}, audit.System)
	require.NoError(t, err)
	assert.Equal(t, []string{"E119", "I10"}, []string(got.Claim.Diagnoses), "unchanged")
	assert.Len(t, f.timeline(t, b.Claim.ID), events, "nothing recorded")
	failures, err = f.claims.Scrub(ctx, b.Claim.ID, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), nil)
	require.NoError(t, err)
	assert.Empty(t, failures)
	r, err = f.claims.Render837(ctx, b.Claim.ID, testSubmitter)
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(r.Data), "HI*ABK:E119*ABF:I10~"), "%s", r.Data)

	// A real change is stored dotted and still sent without the dot.
	got, err = f.claims.ApplyFix(ctx, b.Claim.ID, claims.Fix{Diagnoses: []string{"e1165", "I10"}, Note: "E11.65 per chart"}, audit.System)
	require.NoError(t, err)
	assert.Equal(t, []string{"E11.65", "I10"}, []string(got.Claim.Diagnoses))
	r, err = f.claims.Render837(ctx, b.Claim.ID, testSubmitter)
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(r.Data), "HI*ABK:E1165*ABF:I10~"), "%s", r.Data)
}
