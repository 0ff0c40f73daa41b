package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/temporal"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/denials"
	"github.com/clinicflow/rcm/internal/remit"
	"github.com/clinicflow/rcm/internal/x12"
)

// Inbound file kinds.
const (
	FileKind835   = "835"
	FileKind999   = "999"
	FileKind277CA = "277CA"
)

// ErrTypeUnreadable marks an inbound file that does not parse; its message names
// the segment and position at fault.
const ErrTypeUnreadable = "UnreadableFile"

// FileKind detects an inbound file's kind from its first transaction set.
func FileKind(data []byte) (string, error) {
	typ, err := x12.DetectType(data)
	if err != nil {
		return "", err
	}
	switch typ {
	case x12.TypeRemittance835:
		return FileKind835, nil
	case x12.TypeAck999:
		return FileKind999, nil
	case x12.TypeClaimStatus277:
		return FileKind277CA, nil
	}
	return "", fmt.Errorf("transaction set %s is not an inbound 835, 999 or 277CA", typ)
}

// InboundWorkflowID is the id of the workflow that applies an inbound file: for a
// one-transaction 835, era/<payer>/<trace> (a payer's trace numbers are unique, so
// the same remittance is one workflow however often it arrives); otherwise
// edi/<kind>/<content hash>. It parses the file, so an unreadable file has no id.
func InboundWorkflowID(kind string, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	byHash := "edi/" + kind + "/" + hex.EncodeToString(sum[:8])
	switch kind {
	case FileKind835:
		rems, err := x12.Parse835(data)
		if err != nil {
			return "", err
		}
		if len(rems) == 1 {
			return "era/" + remit.PayerKey(rems[0]) + "/" + rems[0].Trace.Number, nil
		}
	case FileKind999:
		if _, err := x12.Parse999(data); err != nil {
			return "", err
		}
	case FileKind277CA:
		if _, err := x12.Parse277(data); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("unknown inbound kind %q", kind)
	}
	return byHash, nil
}

// InboundFile is a file to apply.
type InboundFile struct {
	Kind   string      `json:"kind"`
	Data   []byte      `json:"data"`
	Source string      `json:"source"` // upload or clearinghouse
	Actor  audit.Actor `json:"actor"`
}

// Claim notice kinds.
const (
	NoticeAck   = "ack"
	NoticeRemit = "remit"
)

// ClaimNotice is what an inbound file said about one claim, for its workflow.
type ClaimNotice struct {
	ClaimID string `json:"claim_id"`
	CaseID  string `json:"case_id"`
	Kind    string `json:"kind"`   // ack or remit
	Source  string `json:"source"` // 999, 277CA or 835
	// SubmissionID is set for a 999: the submission it acknowledges.
	SubmissionID     string `json:"submission_id,omitempty"`
	Accepted         bool   `json:"accepted"`
	Reason           string `json:"reason,omitempty"`
	PayerClaimNumber string `json:"payer_claim_number,omitempty"`
	// Remittance fields.
	RemittanceClaimID     string          `json:"remittance_claim_id,omitempty"`
	Stage                 string          `json:"stage,omitempty"`
	Paid                  decimal.Decimal `json:"paid"`
	Contractual           decimal.Decimal `json:"contractual"`
	PatientResponsibility decimal.Decimal `json:"patient_responsibility"`
	Reversal              bool            `json:"reversal,omitempty"`
	Denial                *DenialInfo     `json:"denial,omitempty"`
}

// InsuranceEvent is money a payer posted or a claim settled on a case, for the
// case workflow's totals. Amounts are signed (a reversal is negative).
type InsuranceEvent struct {
	ID          string          `json:"id"`
	CaseID      string          `json:"case_id"`
	ClaimID     string          `json:"claim_id"`
	Paid        decimal.Decimal `json:"paid"`
	Contractual decimal.Decimal `json:"contractual"`
	WrittenOff  decimal.Decimal `json:"written_off"`
	// ToPatient moved from insurance A/R to the patient's balance.
	ToPatient decimal.Decimal `json:"to_patient"`
}

// InboundResult is what applying a file did.
type InboundResult struct {
	Kind  string            `json:"kind"`
	Ack   *claims.AckResult `json:"ack,omitempty"`
	Remit *remit.Result     `json:"remittance,omitempty"`
	// Notices go to claim workflows, Events to case workflows.
	Notices []ClaimNotice    `json:"notices,omitempty"`
	Events  []InsuranceEvent `json:"events,omitempty"`
}

// ApplyInbound applies an 835, 999 or 277CA exactly once and returns what each
// claim and case workflow must hear. A file that does not parse changes nothing
// and fails with ErrTypeUnreadable.
func (a *Activities) ApplyInbound(ctx context.Context, in InboundFile) (InboundResult, error) {
	out := InboundResult{Kind: in.Kind}
	var err error
	switch in.Kind {
	case FileKind835:
		err = a.apply835(ctx, in, &out)
	case FileKind999, FileKind277CA:
		var r claims.AckResult
		if in.Kind == FileKind999 {
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
				out.Notices = append(out.Notices, ClaimNotice{ClaimID: c.ClaimID, CaseID: c.CaseID, Kind: NoticeAck,
					Source: in.Kind, SubmissionID: c.SubmissionID, Accepted: c.Accepted, Reason: c.Reason,
					PayerClaimNumber: c.PayerClaimNumber})
			}
		}
	default:
		return out, temporal.NewNonRetryableApplicationError("unknown inbound kind "+in.Kind, ErrTypeInvalid, nil)
	}
	var pe *x12.ParseError
	if errors.As(err, &pe) || errors.Is(err, remit.ErrUnbalanced) {
		return out, temporal.NewNonRetryableApplicationError(where(err), ErrTypeUnreadable, nil)
	}
	return out, classifyClaim(err)
}

func (a *Activities) apply835(ctx context.Context, in InboundFile, out *InboundResult) error {
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
			n := ClaimNotice{ClaimID: cr.ClaimID, CaseID: cr.CaseID, Kind: NoticeRemit, Source: FileKind835,
				RemittanceClaimID: cr.RemittanceClaimID, Stage: cr.Stage, Paid: cr.Paid, Contractual: cr.Contractual,
				PatientResponsibility: cr.PatientResponsibility, Reversal: cr.Reversal}
			if cp != nil {
				n.PayerClaimNumber = cp.PayerClaimControlNumber
				if !cr.Reversal {
					n.Denial = denialInfo(denials.Classify(*cp))
				}
			}
			out.Notices = append(out.Notices, n)
			out.Events = append(out.Events, InsuranceEvent{ID: "era:" + cr.RemittanceClaimID, CaseID: cr.CaseID,
				ClaimID: cr.ClaimID, Paid: cr.Paid, Contractual: cr.Contractual, ToPatient: cr.MovedToPatient})
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
	// Problem says why the file cannot be applied (it does not parse).
	Problem string `json:"problem,omitempty"`
	Data    []byte `json:"data"`
}

// PollClearinghouse fetches up to max files after the cursor. The clearinghouse
// keeps files after delivery, so a retried poll loses nothing.
func (a *Activities) PollClearinghouse(ctx context.Context, after string, max int) ([]PolledFile, error) {
	files, err := a.Clearinghouse.Poll(ctx, after)
	if err != nil {
		return nil, fmt.Errorf("poll clearinghouse: %w", err)
	}
	if max > 0 && len(files) > max {
		files = files[:max]
	}
	out := make([]PolledFile, 0, len(files))
	for _, f := range files {
		p := PolledFile{ID: f.ID, Kind: string(f.Kind), Data: f.Data}
		id, err := InboundWorkflowID(p.Kind, f.Data)
		if err != nil {
			p.Problem = where(err)
		}
		p.WorkflowID = id
		out = append(out, p)
	}
	return out, nil
}
