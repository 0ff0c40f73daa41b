package claims_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/internal/x12"
)

// flow is a world with a simulated clearinghouse whose clock the test moves.
type flow struct {
	*world
	sim    *clearinghouse.Simulator
	now    time.Time
	cursor string // the last inbound file read
}

func newFlow(t *testing.T) *flow {
	f := &flow{world: newWorld(t), now: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)}
	f.sim = clearinghouse.NewSimulator(clearinghouse.Config{Now: func() time.Time { return f.now }, RemitDelay: 48 * time.Hour})
	return f
}

// claimFor builds a claim for a visit on a primary coverage with memberID (the
// simulator decides claims by member ID prefix); one 99213 line by default.
func (f *flow) claimFor(t *testing.T, memberID string, charges ...billing.ChargeInput) claims.Built {
	ctx := context.Background()
	if len(charges) == 0 {
		charges = []billing.ChargeInput{ch("99213", 1, []string{"E11.9"}, 1)}
	}
	caseID, encID := f.visit(t, "insurance", false, charges...)
	covs, err := f.records.ListCoverages(ctx, caseID)
	require.NoError(t, err)
	_, err = f.records.DeactivateCoverage(ctx, caseID, covs[0].ID, audit.System)
	require.NoError(t, err)
	_, err = f.records.AddCoverage(ctx, caseID, records.NewCoverage{PayerID: f.payer, Priority: "primary",
		MemberID: memberID, EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)
	f.complete(t, caseID, encID)
	b, err := f.claims.Build(ctx, claims.BuildInput{CaseID: caseID, EncounterID: encID})
	require.NoError(t, err)
	return b
}

// send prepares the submission, hands it to the simulator and marks it sent.
func (f *flow) send(t *testing.T, claimID, submissionID string) claims.Submission {
	ctx := context.Background()
	s, err := f.claims.PrepareSubmission(ctx, claimID, submissionID, testSubmitter)
	require.NoError(t, err)
	_, err = f.sim.Submit(ctx, submissionID, s.Data)
	require.NoError(t, err)
	require.NoError(t, f.claims.MarkSubmitted(ctx, claimID, submissionID, audit.System))
	return s
}

// poll returns the simulator's files available since the last poll, by kind.
func (f *flow) poll(t *testing.T) map[clearinghouse.Kind][][]byte {
	files, err := f.sim.Poll(context.Background(), f.cursor)
	require.NoError(t, err)
	out := map[clearinghouse.Kind][][]byte{}
	for _, in := range files {
		out[in.Kind] = append(out[in.Kind], in.Data)
		f.cursor = in.ID
	}
	return out
}

// applyAcks applies every 999 then every 277CA the simulator has for us.
func (f *flow) applyAcks(t *testing.T) []claims.AckResult {
	ctx := context.Background()
	files := f.poll(t)
	var out []claims.AckResult
	for _, d := range files[clearinghouse.Kind999] {
		r, err := f.claims.Apply999(ctx, d, "poll", audit.System)
		require.NoError(t, err)
		out = append(out, r)
	}
	for _, d := range files[clearinghouse.Kind277CA] {
		r, err := f.claims.Apply277CA(ctx, d, "poll", audit.System)
		require.NoError(t, err)
		out = append(out, r)
	}
	return out
}

func (f *flow) claim(t *testing.T, id string) claims.Claim {
	var c claims.Claim
	require.NoError(t, f.db.Where("id = ?", id).Take(&c).Error)
	return c
}

func (f *flow) timeline(t *testing.T, id string) []claims.ClaimEvent {
	tl, err := f.claims.Timeline(context.Background(), id)
	require.NoError(t, err)
	return tl
}

func (f *flow) count(t *testing.T, query string, args ...any) int64 {
	var n int64
	require.NoError(t, f.db.Raw(query, args...).Scan(&n).Error)
	return n
}

func (f *flow) submissionStatus(t *testing.T, submissionID string) (status, reason string) {
	var row struct{ Status, Reason string }
	require.NoError(t, f.db.Raw(`SELECT status, reason FROM claim_submissions WHERE submission_id = ?`, submissionID).Scan(&row).Error)
	return row.Status, row.Reason
}

func detailOf(t *testing.T, ev claims.ClaimEvent) map[string]any {
	var d map[string]any
	require.NoError(t, json.Unmarshal(ev.Detail, &d))
	return d
}

func fieldsOf(t *testing.T, err error) []string {
	var fe validate.Errors
	require.ErrorAs(t, err, &fe)
	out := make([]string, len(fe))
	for i, e := range fe {
		out[i] = e.Field
	}
	return out
}

func TestPrepareSubmissionIsIdempotentBySubmissionID(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456")

	s1, err := f.claims.PrepareSubmission(ctx, b.Claim.ID, "sub-A", testSubmitter)
	require.NoError(t, err)
	time.Sleep(1100 * time.Millisecond) // the 837 carries seconds: a retry must not take a new time
	retry, err := f.claims.PrepareSubmission(ctx, b.Claim.ID, "sub-A", testSubmitter)
	require.NoError(t, err)
	assert.Equal(t, s1.ControlNumber, retry.ControlNumber)
	assert.True(t, s1.SubmittedAt.Equal(retry.SubmittedAt))
	assert.Equal(t, string(s1.Data), string(retry.Data), "a retried submit sends the same file")
	assert.Equal(t, "1", s1.Frequency)

	s2, err := f.claims.PrepareSubmission(ctx, b.Claim.ID, "sub-B", testSubmitter)
	require.NoError(t, err)
	assert.NotEqual(t, s1.ControlNumber, s2.ControlNumber, "a new submission takes a new control number")

	batches, err := x12.Parse837(s1.Data)
	require.NoError(t, err)
	require.Len(t, batches, 1)
	assert.Equal(t, s1.ControlNumber, batches[0].Envelope.InterchangeControlNumber)
	assert.Equal(t, s1.ControlNumber, batches[0].Envelope.GroupControlNumber, "the 999 acknowledges GS06")
	assert.Equal(t, b.Claim.PatientControlNumber, batches[0].Claims[0].PatientControlNumber)
	assert.True(t, s1.SubmittedAt.Truncate(time.Second).Equal(batches[0].Envelope.Date), "GS04/GS05 is the submission time")

	assert.EqualValues(t, 2, f.count(t, `SELECT count(*) FROM claim_submissions WHERE claim_id = ? AND status = 'sent'`, b.Claim.ID))

	// The clearinghouse sees the retry as the same submission.
	_, err = f.sim.Submit(ctx, "sub-A", s1.Data)
	require.NoError(t, err)
	_, err = f.sim.Submit(ctx, "sub-A", retry.Data)
	require.NoError(t, err)

	other := f.claimFor(t, "XJ123456")
	_, err = f.claims.PrepareSubmission(ctx, other.Claim.ID, "sub-A", testSubmitter)
	assert.Equal(t, []string{"submission_id"}, fieldsOf(t, err), "a submission id names one claim")
	_, err = f.claims.PrepareSubmission(ctx, b.Claim.ID, " ", testSubmitter)
	assert.Equal(t, []string{"submission_id"}, fieldsOf(t, err))
	_, err = f.claims.PrepareSubmission(ctx, "not-a-claim", "sub-C", testSubmitter)
	assert.ErrorIs(t, err, claims.ErrNotFound)
}

func TestMarkSubmittedOncePerSubmission(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456")
	s1, err := f.claims.PrepareSubmission(ctx, b.Claim.ID, "sub-1", testSubmitter)
	require.NoError(t, err)
	require.NoError(t, f.claims.MarkSubmitted(ctx, b.Claim.ID, "sub-1", audit.System))
	require.NoError(t, f.claims.MarkSubmitted(ctx, b.Claim.ID, "sub-1", audit.System), "retried")

	tl := f.timeline(t, b.Claim.ID)
	require.Len(t, tl, 2)
	assert.Equal(t, claims.StageSubmitted, tl[1].ToStage)
	assert.Equal(t, claims.CauseSystem, tl[1].Cause)
	d := detailOf(t, tl[1])
	assert.Equal(t, "sub-1", d["submission_id"])
	assert.EqualValues(t, s1.ControlNumber, d["control_number"])

	assert.ErrorIs(t, f.claims.MarkSubmitted(ctx, b.Claim.ID, "sub-unknown", audit.System), claims.ErrNotFound)

	// A second submission while waiting restarts the wait with its own event.
	_, err = f.claims.PrepareSubmission(ctx, b.Claim.ID, "sub-2", testSubmitter)
	require.NoError(t, err)
	require.NoError(t, f.claims.MarkSubmitted(ctx, b.Claim.ID, "sub-2", audit.System))
	tl = f.timeline(t, b.Claim.ID)
	require.Len(t, tl, 3)
	assert.Equal(t, claims.StageSubmitted, tl[2].FromStage)
	assert.Equal(t, "sub-2", detailOf(t, tl[2])["submission_id"])

	// Once the payer has the claim, no new submission; a known one still renders.
	require.NoError(t, f.claims.Transition(ctx, b.Claim.ID, claims.StageAccepted, claims.Cause277CA, nil, audit.System))
	_, err = f.claims.PrepareSubmission(ctx, b.Claim.ID, "sub-3", testSubmitter)
	assert.ErrorIs(t, err, claims.ErrWrongStage)
	assert.Equal(t, []string{"claim_id"}, fieldsOf(t, err))
	again, err := f.claims.PrepareSubmission(ctx, b.Claim.ID, "sub-1", testSubmitter)
	require.NoError(t, err)
	assert.Equal(t, s1.Data, again.Data)
	require.NoError(t, f.claims.MarkSubmitted(ctx, b.Claim.ID, "sub-2", audit.System))
	assert.Equal(t, claims.StageAccepted, f.claim(t, b.Claim.ID).Stage, "never moved back to submitted")
	assert.Len(t, f.timeline(t, b.Claim.ID), 4)
}

// TestMarkSubmittedAgainAfterARerunScrub: a scrub run again after a crash (its
// workflow task replayed) moves a sent claim back to scrubbing; marking the
// submission again puts it back to submitted, so the payer's 277CA finds it
// waiting.
func TestMarkSubmittedAgainAfterARerunScrub(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456")
	_, err := f.claims.PrepareSubmission(ctx, b.Claim.ID, "sub-1", testSubmitter)
	require.NoError(t, err)
	require.NoError(t, f.claims.MarkSubmitted(ctx, b.Claim.ID, "sub-1", audit.System))
	require.NoError(t, f.claims.Transition(ctx, b.Claim.ID, claims.StageScrubbing, claims.CauseScrub, nil, audit.System))
	require.NoError(t, f.claims.MarkSubmitted(ctx, b.Claim.ID, "sub-1", audit.System))
	assert.Equal(t, claims.StageSubmitted, f.claim(t, b.Claim.ID).Stage)
	tl := f.timeline(t, b.Claim.ID)
	assert.Equal(t, "sub-1", detailOf(t, tl[len(tl)-1])["submission_id"])
	require.NoError(t, f.claims.MarkSubmitted(ctx, b.Claim.ID, "sub-1", audit.System))
	assert.Len(t, f.timeline(t, b.Claim.ID), len(tl), "marked once more only when moved back")
}
