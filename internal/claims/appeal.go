package claims

import (
	"context"
	"fmt"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/x12"
)

// AppealFacts is a claim with everything its appeal letter needs.
type AppealFacts struct {
	Claim    Claim
	Lines    []ClaimLine
	Coverage records.Coverage
	Payer    records.Payer
	Patient  records.Patient
	Provider records.Provider
	Location records.Location
	// LastPayment is the claim's latest remittance (its 835 CLP), denied or not.
	LastPayment x12.ClaimPayment
	// Remittances are all of the claim's remittances, newest first (the first
	// is LastPayment): an appeal sent again after a crash finds the denial it
	// appealed behind the payer's answer to it.
	Remittances []x12.ClaimPayment
}

// AppealFacts reads what an appeal of the claim needs; a claim without a
// remittance has nothing to appeal (a conflict). A database that cannot be
// read is its own error (unavailable, retried), never "nothing to appeal".
func (s *Service) AppealFacts(ctx context.Context, claimID string) (AppealFacts, error) {
	tx := s.DB.WithContext(ctx)
	b, err := load(tx, claimID)
	if err != nil {
		return AppealFacts{}, fmt.Errorf("load claim %s for appeal: %w", claimID, err)
	}
	f := AppealFacts{Claim: b.claim, Lines: b.lines, Coverage: b.coverage, Payer: b.payer, Patient: b.patient,
		Provider: b.provider, Location: b.location}
	var details [][]byte
	rows, err := tx.Raw(`SELECT rc.detail FROM remittance_claims rc JOIN remittances r ON r.id = rc.remittance_id
		WHERE rc.claim_id = ? ORDER BY r.received_at DESC, rc.seq DESC`, claimID).Rows()
	if err != nil {
		return f, fmt.Errorf("remittances of claim %s: %w", claimID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d []byte
		if err := rows.Scan(&d); err != nil {
			return f, fmt.Errorf("remittances of claim %s: %w", claimID, err)
		}
		details = append(details, d)
	}
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("remittances of claim %s: %w", claimID, err)
	}
	if len(details) == 0 {
		return f, apperr.Errorf(apperr.Conflict, "claim %s has no remittance to appeal", claimID)
	}
	f.Remittances = make([]x12.ClaimPayment, len(details))
	for i, d := range details {
		rd, err := OpenRemittanceDetail(d)
		if err != nil {
			return f, fmt.Errorf("read remittance of claim %s: %w", claimID, err)
		}
		f.Remittances[i] = rd.ClaimPayment
	}
	f.LastPayment = f.Remittances[0]
	return f, nil
}
