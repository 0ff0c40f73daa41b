package clearinghouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clinicflow/rcm/internal/x12"
)

// Appeal receives a written appeal (see Simulator). The claim is found by
// payer ID and patient control number (or by payer claim control number,
// which must then belong to the same payer and patient control number). The
// payer refuses, with Accepted false and a reason, an appeal of an unknown,
// rejected, voided or not denied claim, of a denial whose 835 is not yet
// due (or an appeal already in process), and an appeal at the wrong level
// (level 1 first, level 2 only after level 1 was upheld). An accepted
// appeal schedules an 835, RemitDelay later, with the claim re-adjudicated
// per its rule's AppealOutcome. A repeated AppealID returns the first
// result whatever the request holds, since a letter written again for a
// retry may differ.
func (s *Simulator) Appeal(ctx context.Context, req AppealRequest) (AppealResult, error) {
	if err := ctx.Err(); err != nil {
		return AppealResult{}, err
	}
	switch {
	case req.AppealID == "":
		return AppealResult{}, fmt.Errorf("%w: empty appeal id", ErrInvalidAppeal)
	case req.PayerID == "" || req.PatientControlNumber == "":
		return AppealResult{}, fmt.Errorf("%w: appeal %s: payer ID and patient control number are required", ErrInvalidAppeal, req.AppealID)
	case req.Level != 1 && req.Level != 2:
		return AppealResult{}, fmt.Errorf("%w: appeal %s: level %d is not 1 or 2", ErrInvalidAppeal, req.AppealID, req.Level)
	case strings.TrimSpace(req.Letter) == "":
		return AppealResult{}, fmt.Errorf("%w: appeal %s: empty letter", ErrInvalidAppeal, req.AppealID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.box != nil {
		return s.appealDurable(ctx, req)
	}
	return s.appeal(req, s.cfg.Now())
}

// appeal is Appeal received at now (caller holds mu).
func (s *Simulator) appeal(req AppealRequest, now time.Time) (AppealResult, error) {
	if prev, ok := s.appeals[req.AppealID]; ok {
		return prev, nil
	}
	res := AppealResult{AppealID: req.AppealID, ReceivedAt: now}
	rec, reason := s.appealable(req, now)
	if rec == nil {
		res.Reason = reason
		s.appeals[req.AppealID] = res
		return res, nil
	}
	if err := s.readjudicate(rec, req, now); err != nil {
		return AppealResult{}, fmt.Errorf("appeal %s: %w", req.AppealID, err)
	}
	res.Accepted = true
	s.appeals[req.AppealID] = res
	return res, nil
}

// appealable returns the claim an appeal is about, or nil and why the payer
// refuses the appeal (caller holds mu).
func (s *Simulator) appealable(req AppealRequest, now time.Time) (*claimRecord, string) {
	rec := s.claims[claimKey(req.PayerID, req.PatientControlNumber)]
	if req.PayerClaimControlNumber != "" {
		rec = s.byPayerCN[req.PayerClaimControlNumber]
		if rec != nil && (rec.claim.Payer.ID != req.PayerID || rec.claim.PatientControlNumber != req.PatientControlNumber) {
			rec = nil
		}
	}
	switch {
	case rec == nil:
		return nil, "CLAIM NOT FOUND"
	case rec.state == stateRejected:
		return nil, "CLAIM WAS REJECTED, NOT ADJUDICATED"
	case rec.state == stateVoided:
		return nil, "CLAIM WAS VOIDED OR REPLACED"
	case rec.payment == nil || now.Before(rec.remitAt):
		return nil, "CLAIM IS IN PROCESS"
	case !rec.payment.IsDenial:
		return nil, "CLAIM IS NOT DENIED"
	case req.Level <= rec.appealLevel:
		return nil, fmt.Sprintf("LEVEL %d APPEAL ALREADY DECIDED", req.Level)
	case req.Level > rec.appealLevel+1:
		return nil, fmt.Sprintf("LEVEL %d APPEAL REQUIRED FIRST", rec.appealLevel+1)
	}
	return rec, ""
}

// readjudicate decides an accepted appeal and schedules its 835 (caller
// holds mu). The denial posted no money, so the new CLP reverses nothing.
func (s *Simulator) readjudicate(rec *claimRecord, req AppealRequest, now time.Time) error {
	outcome := rec.appeal
	if outcome.Kind != OutcomePay {
		upheld := rec.outcome
		upheld.Kind = OutcomeDeny
		if outcome.Kind == OutcomeDeny && outcome.DenyReason != "" {
			upheld.DenyGroup, upheld.DenyReason, upheld.Remarks = outcome.DenyGroup, outcome.DenyReason, outcome.Remarks
		}
		outcome = upheld
	}
	c := &rec.claim
	p := Adjudicate(c, outcome, rec.payerCN, rec.receivedDate)
	g := &remitGroup{payerID: c.Payer.ID, payerName: c.Payer.Name, payerAddress: c.Payer.Address, billing: c.BillingProvider,
		claims: []x12.ClaimPayment{p}, records: []*claimRecord{rec}}
	data, err := s.write835(g, rec.submitter, now)
	if err != nil {
		return err
	}
	rec.payment, rec.outcome, rec.appealLevel = &p, outcome, req.Level
	rec.remitAt = now.Add(s.cfg.RemitDelay)
	s.enqueue(Inbound{Kind: Kind835, SubmissionID: rec.submissionID, AppealID: req.AppealID, Data: data, AvailableAt: rec.remitAt})
	return nil
}
