package claims

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/phicrypt"
)

// SentFile is one submission of a claim and the 837P it was sent as.
type SentFile struct {
	SubmissionID  string     `json:"submission_id"`
	ControlNumber int        `json:"control_number"`
	Frequency     string     `json:"frequency"`
	Status        string     `json:"status"`
	Reason        string     `json:"reason"`
	SubmittedAt   time.Time  `json:"submitted_at"`
	AckedAt       *time.Time `json:"acknowledged_at,omitempty"`
	// Data is the 837P interchange; nil for a submission prepared before the
	// files were kept (migration 00033). Sealed at rest (internal/phicrypt).
	Data phicrypt.Bytes `json:"-"`
}

// Payment is one payer's answer to the claim in an 835 (a CLP), with the file.
type Payment struct {
	ID                    string          `json:"id"`
	PayerName             string          `json:"payer_name"`
	TraceNumber           string          `json:"trace_number"`
	ReceivedAt            time.Time       `json:"received_at"`
	StatusCode            string          `json:"status_code"`
	Charge                decimal.Decimal `json:"charge"`
	Paid                  decimal.Decimal `json:"paid"`
	Contractual           decimal.Decimal `json:"contractual"`
	PatientResponsibility decimal.Decimal `json:"patient_responsibility"`
	PayerClaimNumber      string          `json:"payer_claim_number"`
	FileSHA256            string          `json:"file_sha256"`
	// Data is the whole 835 file; nil for one received before the files were
	// kept (migration 00033). Sealed at rest (internal/phicrypt).
	Data phicrypt.Bytes `json:"-"`
}

// Files are the 837Ps a claim was sent as (oldest first) and the 835 claim
// payments that answered it (oldest first), with their bytes.
func (s *Service) Files(ctx context.Context, claimID string) ([]SentFile, []Payment, error) {
	var sent []SentFile
	g := s.DB.WithContext(ctx)
	if err := g.Raw(`SELECT submission_id, interchange_control AS control_number, frequency, status, reason,
			submitted_at, acknowledged_at AS acked_at, edi AS data
		FROM claim_submissions WHERE claim_id = ? ORDER BY submitted_at, interchange_control`, claimID).Scan(&sent).Error; err != nil {
		return nil, nil, fmt.Errorf("submissions of claim %s: %w", claimID, err)
	}
	var paid []Payment
	if err := g.Raw(`SELECT rc.id, r.payer_name, r.trace_number, r.received_at, rc.status_code, rc.charge, rc.paid,
			rc.contractual, rc.patient_responsibility, rc.payer_claim_number, r.file_sha256, e.data
		FROM remittance_claims rc JOIN remittances r ON r.id = rc.remittance_id
		LEFT JOIN edi_contents e ON e.sha256 = r.file_sha256
		WHERE rc.claim_id = ? ORDER BY r.received_at, rc.seq`, claimID).Scan(&paid).Error; err != nil {
		return nil, nil, fmt.Errorf("payments of claim %s: %w", claimID, err)
	}
	return sent, paid, nil
}
