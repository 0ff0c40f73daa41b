package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/denials"
	"github.com/clinicflow/rcm/internal/remit"
	"github.com/clinicflow/rcm/internal/x12"
	"github.com/clinicflow/rcm/workflows/contract"
)

// ApplyInbound applies an 835, 999 or 277CA exactly once and returns what each
// claim and case workflow must hear. A file that does not parse changes nothing
// and fails with ErrTypeUnreadable.
func (a *Activities) ApplyInbound(ctx context.Context, in contract.InboundFile) (contract.InboundResult, error) {
	out := contract.InboundResult{Kind: in.Kind}
	var err error
	switch in.Kind {
	case contract.FileKind835:
		err = a.apply835(ctx, in, &out)
	case contract.FileKind999, contract.FileKind277CA:
		var r claims.AckResult
		if in.Kind == contract.FileKind999 {
			r, err = a.Claims.Apply999(ctx, in.Data, in.Source, in.Actor)
		} else {
			r, err = a.Claims.Apply277CA(ctx, in.Data, in.Source, in.Actor)
		}
		if err == nil {
			out.Ack = &r
			for _, c := range r.Claims {
				if !c.Applied {
					continue // pending, late or repeated: nothing for the workflow
				}
				out.Notices = append(out.Notices, contract.ClaimNotice{ClaimID: c.ClaimID, CaseID: c.CaseID, Kind: contract.NoticeAck,
					Source: in.Kind, SubmissionID: c.SubmissionID, Accepted: c.Accepted, Reason: c.Reason,
					PayerClaimNumber: c.PayerClaimNumber})
			}
		}
	default:
		return out, classify(apperr.Errorf(apperr.Invalid, "unknown inbound kind %s", in.Kind))
	}
	var pe *x12.ParseError
	if errors.As(err, &pe) || errors.Is(err, remit.ErrUnbalanced) {
		return out, temporal.NewNonRetryableApplicationError(where(err), contract.ErrTypeUnreadable, nil)
	}
	return out, classify(err)
}

func (a *Activities) apply835(ctx context.Context, in contract.InboundFile, out *contract.InboundResult) error {
	rems, err := x12.Parse835(in.Data)
	if err != nil {
		return err
	}
	r, err := a.Remit.Ingest(ctx, in.Data, in.Actor)
	if err != nil {
		return err
	}
	out.Remit = &r
	for i, rr := range r.Remittances {
		if i >= len(rems) {
			break
		}
		results, payments := rr.Claims, rems[i].Claims
		if rr.AlreadyPosted {
			// Posted by an earlier attempt that may not have announced it: announce
			// again (claim and case workflows take each posting once).
			if results, err = a.Remit.Posted(ctx, rr.RemittanceID); err != nil {
				return err
			}
			payments = nil
		}
		for j, cr := range results {
			if !cr.Matched {
				continue
			}
			var cp *x12.ClaimPayment
			if payments != nil && j < len(payments) {
				cp = &payments[j]
			} else {
				for k := range rems[i].Claims {
					if c := &rems[i].Claims[k]; c.PatientControlNumber == cr.PatientControlNumber && c.StatusCode == cr.StatusCode {
						cp = c
					}
				}
			}
			n := contract.ClaimNotice{ClaimID: cr.ClaimID, CaseID: cr.CaseID, Kind: contract.NoticeRemit, Source: contract.FileKind835,
				RemittanceClaimID: cr.RemittanceClaimID, Stage: cr.Stage, Paid: cr.Paid, Contractual: cr.Contractual,
				PatientResponsibility: cr.PatientResponsibility, Reversal: cr.Reversal}
			if cp != nil {
				n.PayerClaimNumber = cp.PayerClaimControlNumber
				if !cr.Reversal {
					n.Denial = denialInfo(denials.Classify(*cp))
				}
			}
			out.Notices = append(out.Notices, n)
			out.Events = append(out.Events, contract.InsuranceEvent{ID: "era:" + cr.RemittanceClaimID, CaseID: cr.CaseID,
				ClaimID: cr.ClaimID, Paid: cr.Paid, Contractual: cr.Contractual, ToPatient: cr.MovedToPatient})
			if cr.MovedToPatient.IsPositive() {
				// Patient responsibility from the 835: the patient's dunning starts (or hears of it).
				if err := a.nudgeDunning(ctx, cr.CaseID, "era", true); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// where says where a file is unreadable without quoting its content (a bad value
// may be a date of birth or a member ID): the segment, position and element.
func where(err error) string {
	var pe *x12.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("unreadable X12: segment %s at position %d, element %d", pe.Segment, pe.Position, pe.Element)
	}
	if errors.Is(err, remit.ErrUnbalanced) {
		return remit.ErrUnbalanced.Error()
	}
	return "unreadable file"
}

// PolledFile is an inbound file fetched from the clearinghouse.
type PolledFile struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	WorkflowID string `json:"workflow_id,omitempty"`
	// SubmissionID is the claim submission the file answers: the files of one
	// submission are applied in order, those of different submissions side by side.
	SubmissionID string `json:"submission_id,omitempty"`
	// Problem says why the file cannot be applied (it does not parse).
	Problem string `json:"problem,omitempty"`
	Data    []byte `json:"data"`
}

// PollClearinghouse fetches up to max files after the cursor. The clearinghouse
// keeps files after delivery, so a retried poll loses nothing.
func (a *Activities) PollClearinghouse(ctx context.Context, after string, max int) ([]PolledFile, error) {
	files, err := a.Clearinghouse.Poll(ctx, after)
	if err != nil {
		return nil, classify(fmt.Errorf("poll clearinghouse: %w", err))
	}
	if max > 0 && len(files) > max {
		files = files[:max]
	}
	out := make([]PolledFile, 0, len(files))
	for _, f := range files {
		p := PolledFile{ID: f.ID, Kind: string(f.Kind), Data: f.Data, SubmissionID: f.SubmissionID}
		id, err := contract.InboundWorkflowID(p.Kind, f.Data)
		if err != nil {
			p.Problem = where(err)
		}
		p.WorkflowID = id
		out = append(out, p)
	}
	return out, nil
}

// PollRequest asks for up to Max inbound files after the cursor After, waiting
// up to Wait for the first one to arrive.
type PollRequest struct {
	After string        `json:"after"`
	Max   int           `json:"max"`
	Wait  time.Duration `json:"wait"`
}

// AwaitClearinghouseFiles is PollClearinghouse that waits: it returns as soon as
// files are there, or empty after req.Wait. A clearinghouse that can say when
// files arrive (clearinghouse.Waiter, the simulator) wakes it at once; any
// other is asked again every pollStep. It heartbeats at least every pollStep,
// so when its worker dies the poller retries it on another after the
// heartbeat timeout instead of the whole start-to-close timeout.
func (a *Activities) AwaitClearinghouseFiles(ctx context.Context, req PollRequest) ([]PolledFile, error) {
	until := time.Now().Add(req.Wait)
	for {
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx)
		}
		files, err := a.PollClearinghouse(ctx, req.After, req.Max)
		if err != nil || len(files) > 0 || !time.Now().Before(until) {
			return files, err
		}
		step := time.Now().Add(pollStep)
		if step.After(until) {
			step = until
		}
		if err := a.waitForFiles(ctx, req.After, step); err != nil {
			return nil, err
		}
	}
}

// pollStep is how often AwaitClearinghouseFiles asks a clearinghouse that
// cannot say when files arrive.
const pollStep = 2 * time.Second

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
