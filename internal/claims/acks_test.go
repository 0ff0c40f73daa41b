package claims_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/x12"
)

var ackTime = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)

func ackEnvelope(ctrl int) x12.Envelope {
	return x12.Envelope{SenderIDQualifier: "ZZ", SenderID: "SIMCH", ReceiverIDQualifier: "ZZ", ReceiverID: "CLINICFLOW",
		InterchangeControlNumber: ctrl, UsageIndicator: "T", ApplicationSenderCode: "SIMCH", ApplicationReceiverCode: "CLINICFLOW",
		GroupControlNumber: ctrl, Date: ackTime, TransactionControlNumber: "0001"}
}

// reject999 is a 999 rejecting the 837 sent under control number ctrl, with an
// IK4 whose bad data is a member ID.
func reject999(t *testing.T, ctrl int) []byte {
	a := x12.Ack999{Envelope: ackEnvelope(7001), FunctionalID: "HC", GroupControlNumber: fmt.Sprint(ctrl),
		GroupVersion: x12.Implementation837P, GroupStatus: "R", TransactionsIncluded: 1, TransactionsReceived: 1,
		Transactions: []x12.TransactionAck{{TransactionSetID: "837", ControlNumber: "0001", Status: "R", ErrorCodes: []string{"5"},
			SegmentErrors: []x12.SegmentError{{SegmentID: "NM1", Position: 18, LoopID: "2010BA", ErrorCode: "8",
				ElementErrors: []x12.ElementError{{Position: 9, ElementRef: "67", ErrorCode: "7", BadData: "XJ123456"}}}}}}}
	data, err := x12.Write999(&a)
	require.NoError(t, err)
	return data
}

// statusLoop is one claim of a 277CA.
type statusLoop struct {
	pcn, payerCN, msg string
	code              x12.StatusCode
}

func write277CA(t *testing.T, loops ...statusLoop) []byte {
	r := x12.ClaimStatusReport{Envelope: ackEnvelope(7002), ReferenceID: "REF1", CreatedAt: ackTime,
		Entities: []x12.StatusEntity{
			{HLID: "1", Level: "20", EntityCode: "PR", Name: x12.Person{EntityType: "2", LastName: "ACME", IDQualifier: "PI", ID: "ACME1"}, TraceNumber: "SRC1"},
			{HLID: "2", ParentID: "1", Level: "21", EntityCode: "41", Name: x12.Person{EntityType: "2", LastName: "CLINIC", IDQualifier: "46", ID: "CLINIC01"}, TraceNumber: "REF1"},
			{HLID: "3", ParentID: "2", Level: "19", EntityCode: "85", Name: x12.Person{EntityType: "2", LastName: "CLINIC", IDQualifier: "XX", ID: "1234567893"}, TraceNumber: "SRC1-1"},
		}}
	day := x12.NewDate(2026, 11, 3)
	for i, l := range loops {
		amt := dec("125.00")
		r.Claims = append(r.Claims, x12.ClaimStatus{HLID: fmt.Sprint(4 + i), ProviderID: "1234567893",
			Patient:              x12.Person{EntityType: "1", LastName: "R", FirstName: "J", IDQualifier: "MI", ID: "XJ123456"},
			PatientControlNumber: l.pcn, PayerClaimControlNumber: l.payerCN, TotalCharge: amt,
			Statuses: []x12.StatusInfo{{Codes: []x12.StatusCode{l.code}, Date: day, Amount: &amt, Message: l.msg}}})
	}
	data, err := x12.Write277CA(&r)
	require.NoError(t, err)
	return data
}

func TestAcksFromTheClearinghouse(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	good := f.claimFor(t, "XJ123456")
	bad := f.claimFor(t, "REJECT001")
	f.send(t, good.Claim.ID, "sub-good")
	f.send(t, bad.Claim.ID, "sub-bad")

	files := f.poll(t)
	require.Len(t, files[clearinghouse.Kind999], 2)
	require.Len(t, files[clearinghouse.Kind277CA], 2)
	for _, d := range files[clearinghouse.Kind999] {
		r, err := f.claims.Apply999(ctx, d, "poll", audit.System)
		require.NoError(t, err)
		assert.Equal(t, "999", r.Kind)
		assert.False(t, r.AlreadyApplied)
		assert.Empty(t, r.Unmatched)
		require.Len(t, r.Claims, 1)
		assert.True(t, r.Claims[0].Accepted)
		assert.True(t, r.Claims[0].Applied)
		assert.Equal(t, claims.StageSubmitted, r.Claims[0].Stage, "a 999 acceptance leaves the stage")
	}
	for _, sub := range []string{"sub-good", "sub-bad"} {
		st, _ := f.submissionStatus(t, sub)
		assert.Equal(t, claims.SubmissionAccepted, st, sub)
	}

	var results []claims.AckResult
	for _, d := range files[clearinghouse.Kind277CA] {
		r, err := f.claims.Apply277CA(ctx, d, "poll", audit.System)
		require.NoError(t, err)
		require.Len(t, r.Claims, 1)
		results = append(results, r)
	}
	byClaim := map[string]claims.AckClaim{}
	for _, r := range results {
		byClaim[r.Claims[0].ClaimID] = r.Claims[0]
	}

	g := f.claim(t, good.Claim.ID)
	assert.Equal(t, claims.StageAccepted, g.Stage)
	assert.Regexp(t, `^SIM\d{10}$`, g.PayerClaimNumber, "REF*1K is stored")
	assert.Equal(t, g.PayerClaimNumber, byClaim[good.Claim.ID].PayerClaimNumber)
	assert.True(t, byClaim[good.Claim.ID].Accepted)
	assert.Equal(t, "sub-good", byClaim[good.Claim.ID].SubmissionID)
	st, _ := f.submissionStatus(t, "sub-good")
	assert.Equal(t, claims.SubmissionAcknowledged, st)

	assert.Equal(t, claims.StageRejected, f.claim(t, bad.Claim.ID).Stage)
	rej := byClaim[bad.Claim.ID]
	assert.False(t, rej.Accepted)
	assert.Equal(t, bad.Claim.CaseID, rej.CaseID)
	assert.Equal(t, "A7:164:IL SUBSCRIBER ID NOT FOUND", rej.Reason)
	st, reason := f.submissionStatus(t, "sub-bad")
	assert.Equal(t, claims.SubmissionRejected, st)
	assert.Equal(t, rej.Reason, reason)
	tl := f.timeline(t, bad.Claim.ID)
	last := tl[len(tl)-1]
	assert.Equal(t, claims.Cause277CA, last.Cause)
	assert.Equal(t, claims.StageSubmitted, last.FromStage)
	assert.Equal(t, rej.Reason, detailOf(t, last)["reason"])
	assert.NotContains(t, string(last.Detail), "REJECT001", "no member ID on the timeline")

	// Exactly once per file.
	events := f.count(t, `SELECT count(*) FROM claim_events`)
	again, err := f.claims.Apply277CA(ctx, files[clearinghouse.Kind277CA][0], "upload", audit.System)
	require.NoError(t, err)
	assert.True(t, again.AlreadyApplied)
	assert.Equal(t, results[0].FileID, again.FileID)
	assert.Equal(t, results[0].Claims, again.Claims)
	assert.Equal(t, events, f.count(t, `SELECT count(*) FROM claim_events`))
	assert.EqualValues(t, 4, f.count(t, `SELECT count(*) FROM edi_files`))
}

func Test999RejectionMovesTheClaimToRejected(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456")
	s := f.send(t, b.Claim.ID, "sub-1")

	// The 999 comes with an envelope slip (IEA01 says two groups): read
	// past, reported as a warning.
	slipped := strings.Replace(string(reject999(t, s.ControlNumber)), "~IEA*1*", "~IEA*2*", 1)
	r, err := f.claims.Apply999(ctx, []byte(slipped), "", audit.System)
	require.NoError(t, err)
	require.Len(t, r.Warnings, 1)
	assert.Contains(t, r.Warnings[0], `IEA01 group count is "2", interchange has 1`)
	require.Len(t, r.Claims, 1)
	ac := r.Claims[0]
	assert.Equal(t, b.Claim.ID, ac.ClaimID)
	assert.Equal(t, "sub-1", ac.SubmissionID)
	assert.False(t, ac.Accepted)
	assert.Equal(t, claims.StageRejected, ac.Stage)
	assert.Equal(t, "IK3 segment NM1 at 18 loop 2010BA error 8, IK4 element 9 (ref 67) error 7; "+
		"IK5 transaction 0001 status R error 5; AK9 group status R", ac.Reason)

	assert.Equal(t, claims.StageRejected, f.claim(t, b.Claim.ID).Stage)
	st, reason := f.submissionStatus(t, "sub-1")
	assert.Equal(t, claims.SubmissionRejected, st)
	assert.Equal(t, ac.Reason, reason)
	tl := f.timeline(t, b.Claim.ID)
	last := tl[len(tl)-1]
	assert.Equal(t, claims.Cause999, last.Cause)
	assert.Equal(t, "sub-1", detailOf(t, last)["submission_id"])
	assert.NotContains(t, string(last.Detail), "XJ123456", "IK404 bad data is never copied")

	// A MarkSubmitted retried after the rejection does not undo it.
	require.NoError(t, f.claims.MarkSubmitted(ctx, b.Claim.ID, "sub-1", audit.System))
	assert.Equal(t, claims.StageRejected, f.claim(t, b.Claim.ID).Stage)

	// A group we never sent.
	r, err = f.claims.Apply999(ctx, reject999(t, 999999998), "", audit.System)
	require.NoError(t, err)
	assert.Empty(t, r.Claims)
	assert.Equal(t, []string{"999999998"}, r.Unmatched)
}

func TestLateAcksDoNotMoveClaimsBack(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456")
	s := f.send(t, b.Claim.ID, "sub-1")
	require.NoError(t, f.claims.Transition(ctx, b.Claim.ID, claims.StageAccepted, claims.Cause277CA, nil, audit.System))
	require.NoError(t, f.claims.Transition(ctx, b.Claim.ID, claims.StagePaid, claims.Cause835, nil, audit.System))
	before := len(f.timeline(t, b.Claim.ID))

	r, err := f.claims.Apply277CA(ctx, write277CA(t,
		statusLoop{pcn: b.Claim.PatientControlNumber, code: x12.StatusCode{Category: "A7", Status: "164", Entity: "IL"},
			msg: "MEMBER XJ123456 NOT FOUND FOR J R"},
		statusLoop{pcn: "NOSUCHCLAIM00000", code: x12.StatusCode{Category: "A2", Status: "20", Entity: "PR"}}), "upload", audit.System)
	require.NoError(t, err)
	assert.Equal(t, []string{"NOSUCHCLAIM00000"}, r.Unmatched)
	require.Len(t, r.Claims, 1, "the paid claim is matched")
	ac := r.Claims[0]
	assert.False(t, ac.Applied)
	assert.Equal(t, claims.StagePaid, ac.Stage)
	assert.Equal(t, "A7:164:IL MEMBER *** NOT FOUND FOR ***", ac.Reason, "the claim's PHI is masked")

	r, err = f.claims.Apply999(ctx, reject999(t, s.ControlNumber), "", audit.System)
	require.NoError(t, err)
	require.Len(t, r.Claims, 1)
	assert.Equal(t, claims.StagePaid, r.Claims[0].Stage)
	assert.Equal(t, claims.StagePaid, f.claim(t, b.Claim.ID).Stage)
	assert.Len(t, f.timeline(t, b.Claim.ID), before, "nothing recorded on a paid claim")
}

func Test277CARejectionAfterAcceptance(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456")
	f.send(t, b.Claim.ID, "sub-1")
	pcn := b.Claim.PatientControlNumber

	// The clearinghouse accepts (no payer number yet), then the payer does, then rejects.
	_, err := f.claims.Apply277CA(ctx, write277CA(t, statusLoop{pcn: pcn, code: x12.StatusCode{Category: "A1", Status: "19", Entity: "PR"}}), "", audit.System)
	require.NoError(t, err)
	c := f.claim(t, b.Claim.ID)
	assert.Equal(t, claims.StageAccepted, c.Stage)
	assert.Empty(t, c.PayerClaimNumber)
	r, err := f.claims.Apply277CA(ctx, write277CA(t, statusLoop{pcn: pcn, payerCN: "PCN77",
		code: x12.StatusCode{Category: "A2", Status: "20", Entity: "PR"}}), "", audit.System)
	require.NoError(t, err)
	assert.True(t, r.Claims[0].Applied, "the payer claim number is new")
	assert.Equal(t, "PCN77", f.claim(t, b.Claim.ID).PayerClaimNumber)
	r, err = f.claims.Apply277CA(ctx, write277CA(t, statusLoop{pcn: pcn,
		code: x12.StatusCode{Category: "A8", Status: "562", Entity: "85"}, msg: "NPI MISMATCH"}), "", audit.System)
	require.NoError(t, err)
	assert.True(t, r.Claims[0].Applied)
	assert.Equal(t, "A8:562:85 NPI MISMATCH", r.Claims[0].Reason)
	assert.Equal(t, claims.StageRejected, f.claim(t, b.Claim.ID).Stage)
	st, _ := f.submissionStatus(t, "sub-1")
	assert.Equal(t, claims.SubmissionRejected, st)

	stages := []string{}
	for _, ev := range f.timeline(t, b.Claim.ID) {
		stages = append(stages, ev.ToStage)
	}
	assert.Equal(t, []string{"created", "submitted", "accepted", "rejected"}, stages)

	// A pending status records nothing.
	r, err = f.claims.Apply277CA(ctx, write277CA(t, statusLoop{pcn: pcn, code: x12.StatusCode{Category: "P1", Status: "20"}}), "", audit.System)
	require.NoError(t, err)
	assert.False(t, r.Claims[0].Applied)
	assert.Equal(t, "P1:20", r.Claims[0].Reason)
	assert.Len(t, f.timeline(t, b.Claim.ID), 4)
}

func TestAckFilesThatDoNotParseWriteNothing(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456")
	s := f.send(t, b.Claim.ID, "sub-1")
	events := f.count(t, `SELECT count(*) FROM claim_events`)

	var pe *x12.ParseError
	_, err := f.claims.Apply999(ctx, bytes.Replace(reject999(t, s.ControlNumber), []byte("AK9*"), []byte("AKX*"), 1), "", audit.System)
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "SE", pe.Segment, "999 has no AK9")
	assert.Positive(t, pe.Position)

	_, err = f.claims.Apply999(ctx, write277CA(t, statusLoop{pcn: b.Claim.PatientControlNumber,
		code: x12.StatusCode{Category: "A2", Status: "20"}}), "", audit.System)
	require.ErrorAs(t, err, &pe, "a 277CA is not a 999")
	assert.Equal(t, "ST", pe.Segment)

	_, err = f.claims.Apply277CA(ctx, []byte(strings.Repeat("x", 120)), "", audit.System)
	require.ErrorAs(t, err, &pe)

	assert.Zero(t, f.count(t, `SELECT count(*) FROM edi_files`))
	assert.Equal(t, events, f.count(t, `SELECT count(*) FROM claim_events`))
	st, _ := f.submissionStatus(t, "sub-1")
	assert.Equal(t, claims.SubmissionSent, st)
}

func TestRecordStatusInquiry(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	b := f.claimFor(t, "XJ123456")
	f.send(t, b.Claim.ID, "sub-1")
	f.applyAcks(t)
	c := f.claim(t, b.Claim.ID)
	require.Equal(t, claims.StageAccepted, c.Stage)

	req, err := f.claims.StatusRequest(ctx, b.Claim.ID)
	require.NoError(t, err)
	raw, err := f.sim.ClaimStatus(ctx, req)
	require.NoError(t, err)
	sum, err := f.claims.RecordStatusInquiry(ctx, b.Claim.ID, raw, audit.System)
	require.NoError(t, err)
	assert.Equal(t, claims.StatusSummary{Category: "P1", Status: "20", PayerClaimNumber: c.PayerClaimNumber}, sum)
	tl := f.timeline(t, b.Claim.ID)
	last := tl[len(tl)-1]
	assert.Equal(t, claims.Cause277, last.Cause)
	assert.Equal(t, claims.StageAccepted, last.FromStage)
	assert.Equal(t, claims.StageAccepted, last.ToStage)
	assert.Equal(t, "P1:20", detailOf(t, last)["status"])

	again, err := f.claims.RecordStatusInquiry(ctx, b.Claim.ID, raw, audit.System)
	require.NoError(t, err)
	assert.Equal(t, sum, again)
	assert.Len(t, f.timeline(t, b.Claim.ID), len(tl), "the same 277 is recorded once")

	f.now = f.now.Add(72 * time.Hour) // past the simulated payer's remittance
	raw, err = f.sim.ClaimStatus(ctx, req)
	require.NoError(t, err)
	sum, err = f.claims.RecordStatusInquiry(ctx, b.Claim.ID, raw, audit.System)
	require.NoError(t, err)
	assert.Equal(t, "F1", sum.Category)
	require.NotNil(t, sum.Paid)
	assert.Equal(t, "112.50", sum.Paid.StringFixed(2), "90% of 125.00")
	assert.Equal(t, claims.StageAccepted, f.claim(t, b.Claim.ID).Stage, "a status inquiry never moves the claim")

	other := f.claimFor(t, "XJ123456")
	_, err = f.claims.RecordStatusInquiry(ctx, other.Claim.ID, raw, audit.System)
	assert.Equal(t, []string{"raw_277"}, fieldsOf(t, err))
	_, err = f.claims.RecordStatusInquiry(ctx, b.Claim.ID, []byte("ISA*nonsense"), audit.System)
	var pe *x12.ParseError
	assert.ErrorAs(t, err, &pe)
}
