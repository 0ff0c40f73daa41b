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

// The claim workflow runs scrub, eligibility and submission in one workflow
// task; a crash before that task completes runs all three again. These tests
// play that replay against the database, in the orders make chaos met.

var (
	rejected277CA = x12.StatusCode{Category: "A7", Status: "164", Entity: "IL"}
	accepted277CA = x12.StatusCode{Category: "A2", Status: "20", Entity: "PR"}
)

func stagesOf(t *testing.T, f *flow, claimID string) []string {
	var out []string
	for _, ev := range f.timeline(t, claimID) {
		out = append(out, ev.ToStage)
	}
	return out
}

// TestAScrubRunAgainNeverMovesASentClaimBack: the scrub run again after the
// claim was sent finds its submission recorded and records nothing, so the
// claim stays submitted and a 277CA rejection that lands before the submission
// is marked again is applied (and told to the workflow) instead of being taken
// for a late file. A rejected claim waiting for its fix is not moved either;
// the scrub after the fix, before the next submission, is.
func TestAScrubRunAgainNeverMovesASentClaimBack(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456")
	id := b.Claim.ID
	pass := map[string]any{"passed": true}

	ok, err := f.claims.RecordScrub(ctx, id, "sub-1", claims.StageScrubbing, pass, audit.System)
	require.NoError(t, err)
	assert.True(t, ok, "the first scrub is recorded")
	f.send(t, id, "sub-1")

	// The crash: the workflow task runs scrub again, with the same next
	// submission.
	done, err := f.claims.Submitted(ctx, id, "sub-1")
	require.NoError(t, err)
	assert.True(t, done)
	ok, err = f.claims.RecordScrub(ctx, id, "sub-1", claims.StageScrubbing, pass, audit.System)
	require.NoError(t, err)
	assert.False(t, ok, "run again after its submission: records nothing")
	assert.Equal(t, claims.StageSubmitted, f.claim(t, id).Stage)

	// The payer's rejection lands before the submission is marked again.
	r, err := f.claims.Apply277CA(ctx, write277CA(t, statusLoop{pcn: b.Claim.PatientControlNumber, code: rejected277CA}), "poll", audit.System)
	require.NoError(t, err)
	require.Len(t, r.Claims, 1)
	assert.True(t, r.Claims[0].Applied, "the workflow is told")
	require.NoError(t, f.claims.MarkSubmitted(ctx, id, "sub-1", audit.System))
	assert.Equal(t, claims.StageRejected, f.claim(t, id).Stage)

	// Another crash while the claim waits for its fix: still rejected.
	ok, err = f.claims.RecordScrub(ctx, id, "sub-1", claims.StageScrubbing, pass, audit.System)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, claims.StageRejected, f.claim(t, id).Stage, "a rejected claim waits for its fix")

	// Fixed: the scrub before the second submission moves it on.
	done, err = f.claims.Submitted(ctx, id, "sub-2")
	require.NoError(t, err)
	assert.False(t, done)
	ok, err = f.claims.RecordScrub(ctx, id, "sub-2", claims.StageScrubbing, pass, audit.System)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, []string{"created", "scrubbing", "submitted", "rejected", "scrubbing"}, stagesOf(t, f, id))
}

// TestAnUnkeyedScrubRunAgainLeavesAClaimWithThePayer: runs of the claim
// workflow begun before the steps named their submission scrub by claim id;
// such a scrub still never moves a claim the payer has (or has answered) back.
func TestAnUnkeyedScrubRunAgainLeavesAClaimWithThePayer(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456")
	f.send(t, b.Claim.ID, "sub-1")
	for _, stage := range []string{claims.StageSubmitted, claims.StageAccepted, claims.StagePaid} {
		require.NoError(t, f.claims.Transition(ctx, b.Claim.ID, stage, claims.CauseSystem, nil, audit.System))
		ok, err := f.claims.RecordScrub(ctx, b.Claim.ID, "", claims.StageNeedsFix, map[string]any{"failed_rules": []string{"x"}}, audit.System)
		require.NoError(t, err)
		assert.False(t, ok, stage)
		assert.Equal(t, stage, f.claim(t, b.Claim.ID).Stage)
	}
}

// TestA277CAForASubmissionNotMarkedYetIsApplied: the crash came after the
// clearinghouse took the 837P and before the submission was marked, so the
// claim still says scrubbing when the payer answers. The 277CA is applied to
// it (and the workflow told) as to a submitted claim, and marking the
// submission afterwards does not undo it: accepted or rejected alike.
func TestA277CAForASubmissionNotMarkedYetIsApplied(t *testing.T) {
	for name, tc := range map[string]struct {
		code  x12.StatusCode
		stage string
	}{
		"rejected": {rejected277CA, claims.StageRejected},
		"accepted": {accepted277CA, claims.StageAccepted},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFlow(t)
			ctx := context.Background()
			b := f.claimFor(t, "XJ123456")
			id := b.Claim.ID
			require.NoError(t, f.claims.Transition(ctx, id, claims.StageScrubbing, claims.CauseScrub, nil, audit.System))
			s, err := f.claims.PrepareSubmission(ctx, id, "sub-1", testSubmitter)
			require.NoError(t, err)
			_, err = f.sim.Submit(ctx, "sub-1", s.Data)
			require.NoError(t, err)
			// (killed here: MarkSubmitted did not run)

			r, err := f.claims.Apply277CA(ctx, write277CA(t, statusLoop{pcn: b.Claim.PatientControlNumber, code: tc.code}), "poll", audit.System)
			require.NoError(t, err)
			require.Len(t, r.Claims, 1)
			assert.True(t, r.Claims[0].Applied, "the workflow is told")
			assert.Equal(t, "sub-1", r.Claims[0].SubmissionID)
			assert.Equal(t, tc.stage, f.claim(t, id).Stage)

			// The workflow task runs again: its scrub passes without a
			// write, its submission is marked again.
			ok, err := f.claims.RecordScrub(ctx, id, "sub-1", claims.StageScrubbing, nil, audit.System)
			require.NoError(t, err)
			assert.False(t, ok)
			require.NoError(t, f.claims.MarkSubmitted(ctx, id, "sub-1", audit.System))
			assert.Equal(t, tc.stage, f.claim(t, id).Stage)
			assert.Equal(t, []string{"created", "scrubbing", tc.stage}, stagesOf(t, f, id))
		})
	}
}

// TestALate277CAForARejectedSubmissionIsNotApplied: once a claim's latest
// submission is rejected and the claim fixed and scrubbing again, a 277CA
// about that submission is late and changes nothing.
func TestALate277CAForARejectedSubmissionIsNotApplied(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456")
	id := b.Claim.ID
	f.send(t, id, "sub-1")
	pcn := b.Claim.PatientControlNumber
	_, err := f.claims.Apply277CA(ctx, write277CA(t, statusLoop{pcn: pcn, code: rejected277CA}), "poll", audit.System)
	require.NoError(t, err)
	ok, err := f.claims.RecordScrub(ctx, id, "sub-2", claims.StageScrubbing, nil, audit.System)
	require.NoError(t, err)
	require.True(t, ok)
	r, err := f.claims.Apply277CA(ctx, write277CA(t, statusLoop{pcn: pcn, code: accepted277CA, msg: "again"}), "poll", audit.System)
	require.NoError(t, err)
	require.Len(t, r.Claims, 1)
	assert.False(t, r.Claims[0].Applied)
	assert.Equal(t, claims.StageScrubbing, f.claim(t, id).Stage)
}
