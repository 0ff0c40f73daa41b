package claims_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/x12"
)

func ptr[T any](v T) *T { return &v }

func TestApplyFixReportsEveryProblemAndWritesNothing(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456", ch("99213", 1, []string{"E11.9", "I10"}, 1, 2), ch("36415", 2, []string{"I10"}, 1))

	require.NoError(t, f.claims.Transition(ctx, b.Claim.ID, claims.StageSubmitted, claims.CauseSystem, nil, audit.System))
	_, err := f.claims.ApplyFix(ctx, b.Claim.ID, claims.Fix{Diagnoses: []string{"E11.9"}, Note: "n"}, audit.System)
	assert.ErrorIs(t, err, claims.ErrWrongStage, "a claim with the payer is not corrected in place")
	assert.Equal(t, []string{"claim_id"}, fieldsOf(t, err))

	require.NoError(t, f.claims.Transition(ctx, b.Claim.ID, claims.StageNeedsFix, claims.CauseScrub, nil, audit.System))
	_, err = f.claims.ApplyFix(ctx, b.Claim.ID, claims.Fix{
		CoverageID: uuid.NewString(),
		Diagnoses:  []string{"E11.9", "BAD", "e119"},
		Lines: []claims.LineFix{
			{LineNumber: 1, ProcedureCode: ptr("9921"), Units: ptr(0), Modifiers: []string{"25", "X"}},
			{LineNumber: 9},
			{LineNumber: 2, DiagnosisPointers: []int{1, 5}},
			{LineNumber: 1, Units: ptr(2)},
		},
	}, audit.System)
	assert.ElementsMatch(t, []string{"note", "coverage_id", "diagnoses[1]", "diagnoses[2]", "lines[0].procedure_code",
		"lines[0].modifiers[1]", "lines[0].units", "lines[1].line_number", "lines[2].diagnosis_pointers[1]", "lines[3].line_number"},
		fieldsOf(t, err))
	for _, v := range []string{"BAD", "e119", "9921"} {
		assert.NotContains(t, err.Error(), v, "values are not echoed")
	}

	c := f.claim(t, b.Claim.ID)
	assert.Equal(t, []string{"E11.9", "I10"}, []string(c.Diagnoses), "nothing written")
	assert.Len(t, f.timeline(t, b.Claim.ID), 3, "created, submitted, needs_fix: no fix event")

	// Shortening the list leaves line 1 pointing past it.
	_, err = f.claims.ApplyFix(ctx, b.Claim.ID, claims.Fix{Diagnoses: []string{"I10"}, Note: "n"}, audit.System)
	assert.Equal(t, []string{"diagnoses", "diagnoses"}, fieldsOf(t, err), "both lines point at I10 as 2")
	_, err = f.claims.ApplyFix(ctx, b.Claim.ID, claims.Fix{Diagnoses: []string{"I10"}, Note: "n",
		Lines: []claims.LineFix{{LineNumber: 1, DiagnosisPointers: []int{1}}}}, audit.System)
	assert.Equal(t, []string{"diagnoses"}, fieldsOf(t, err), "line 2 still points past the list")
	got, err := f.claims.ApplyFix(ctx, b.Claim.ID, claims.Fix{Diagnoses: []string{"I10"}, Note: "n",
		Lines: []claims.LineFix{{LineNumber: 1, DiagnosisPointers: []int{1}}, {LineNumber: 2, DiagnosisPointers: []int{1}}}}, audit.System)
	require.NoError(t, err, "with the pointers fixed too")
	assert.Equal(t, []string{"I10"}, []string(got.Claim.Diagnoses))
	assert.Equal(t, []int64{1}, []int64(got.Lines[0].DiagnosisPointers))
}

func TestApplyFixCorrectsCodingAndCoverage(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456", ch("99213", 1, []string{"E11.9", "I10"}, 1, 2), ch("36415", 2, []string{"I10"}, 1))
	require.NoError(t, f.claims.Transition(ctx, b.Claim.ID, claims.StageRejected, claims.Cause277CA, nil, audit.System))
	oldCov := b.Claim.CoverageID

	// The card was misread: a corrected coverage replaces the old one.
	_, err := f.records.DeactivateCoverage(ctx, b.Claim.CaseID, oldCov, audit.System)
	require.NoError(t, err)
	cov, err := f.records.AddCoverage(ctx, b.Claim.CaseID, records.NewCoverage{PayerID: f.payer, Priority: "primary",
		MemberID: "XJ999999", EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)

	other := f.claimFor(t, "XJ555555")
	_, err = f.claims.ApplyFix(ctx, b.Claim.ID, claims.Fix{CoverageID: other.Claim.CoverageID, Note: "n"}, audit.System)
	assert.Equal(t, []string{"coverage_id"}, fieldsOf(t, err), "another case's coverage")

	fix := claims.Fix{CoverageID: cov.ID, Diagnoses: []string{"I10", "e11.65"},
		Lines: []claims.LineFix{{LineNumber: 1, ProcedureCode: ptr("99214"), Modifiers: []string{"25"}, Units: ptr(2), DiagnosisPointers: []int{2, 1}}},
		Note:  "Card says XJ999999 for J R; E11.65 per chart"}
	got, err := f.claims.ApplyFix(ctx, b.Claim.ID, fix, audit.System)
	require.NoError(t, err)
	assert.Equal(t, cov.ID, got.Claim.CoverageID)
	assert.Equal(t, []string{"I10", "E11.65"}, []string(got.Claim.Diagnoses), "stored dotted")
	assert.Equal(t, claims.StageRejected, got.Claim.Stage, "the stage is the workflow's")
	require.Len(t, got.Lines, 2)
	l1 := got.Lines[0]
	assert.Equal(t, "99214", l1.ProcedureCode)
	assert.Equal(t, []string{"25"}, []string(l1.Modifiers))
	assert.Equal(t, 2, l1.Units)
	assert.Equal(t, []int64{2, 1}, []int64(l1.DiagnosisPointers))
	assert.Equal(t, "125.00", l1.Charge.StringFixed(2), "units do not reprice the line")
	assert.Equal(t, "156.00", got.Claim.TotalCharge.StringFixed(2))
	assert.Equal(t, []int64{2}, []int64(got.Lines[1].DiagnosisPointers), "untouched")

	tl := f.timeline(t, b.Claim.ID)
	last := tl[len(tl)-1]
	assert.Equal(t, claims.CauseUser, last.Cause)
	assert.Equal(t, claims.StageRejected, last.FromStage)
	assert.Equal(t, claims.StageRejected, last.ToStage)
	d := detailOf(t, last)
	assert.Equal(t, []any{"coverage_id", "diagnoses", "line 1 procedure_code", "line 1 modifiers", "line 1 units",
		"line 1 diagnosis_pointers"}, d["changed"])
	assert.Equal(t, "Card says *** for ***; *** per chart", d["note"])
	for _, v := range []string{"XJ999999", "E1165", "E11.65", "99214"} {
		assert.NotContains(t, string(last.Detail), v)
	}
	var changes []byte
	require.NoError(t, f.db.Raw(`SELECT changes FROM audit_log WHERE action = 'claim.fix' AND entity_id = ?`, b.Claim.ID).Row().Scan(&changes))
	var ac map[string]any
	require.NoError(t, json.Unmarshal(changes, &ac))
	assert.Equal(t, d["changed"], ac["changed"])

	// Applying it again changes nothing and records nothing.
	again, err := f.claims.ApplyFix(ctx, b.Claim.ID, fix, audit.System)
	require.NoError(t, err)
	assert.Equal(t, got.Claim.Diagnoses, again.Claim.Diagnoses)
	assert.Len(t, f.timeline(t, b.Claim.ID), len(tl))

	// Removing the modifiers: an empty list survives JSON.
	raw, err := json.Marshal(claims.Fix{Lines: []claims.LineFix{{LineNumber: 1, Modifiers: []string{}}}, Note: "drop 25"})
	require.NoError(t, err)
	var decoded claims.Fix
	require.NoError(t, json.Unmarshal(raw, &decoded))
	got, err = f.claims.ApplyFix(ctx, b.Claim.ID, decoded, audit.System)
	require.NoError(t, err)
	assert.Empty(t, got.Lines[0].Modifiers)

	// The resubmitted 837 carries the corrections.
	s, err := f.claims.PrepareSubmission(ctx, b.Claim.ID, "sub-fixed", testSubmitter)
	require.NoError(t, err)
	batches, err := x12.Parse837(s.Data)
	require.NoError(t, err)
	c := batches[0].Claims[0]
	assert.Equal(t, "XJ999999", c.Subscriber.MemberID)
	assert.Equal(t, []string{"I10", "E1165"}, c.Diagnoses)
	assert.Equal(t, "99214", c.Lines[0].Procedure.Code)
	assert.Equal(t, []int{2, 1}, c.Lines[0].DiagnosisPointers)
}
