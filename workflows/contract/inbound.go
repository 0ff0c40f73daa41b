package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/remit"
	"github.com/clinicflow/rcm/internal/x12"
)

// PollerWorkflowID is the one clearinghouse poller of a deployment.
const PollerWorkflowID = "clearinghouse-poller"

// PollerInput configures the clearinghouse poller.
type PollerInput struct {
	Interval time.Duration `json:"interval"`
	// Cursor is the id of the last file applied.
	Cursor string `json:"cursor,omitempty"`
}

// Inbound file kinds.
const (
	FileKind835   = "835"
	FileKind999   = "999"
	FileKind277CA = "277CA"
)

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
