package remit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/claims"
)

// Posted rebuilds the matched claim results of a remittance posted earlier, in
// file order, from its remittance_claims rows and the 835 events they left on
// their claims' timelines. A caller whose first attempt posted the remittance but
// did not get to announce it (a retried activity) announces it from these.
func (s *Service) Posted(ctx context.Context, remittanceID string) ([]ClaimResult, error) {
	var rows []remittanceClaimRow
	if err := s.DB.WithContext(ctx).Where("remittance_id = ? AND claim_id IS NOT NULL", remittanceID).
		Order("seq").Find(&rows).Error; err != nil {
		return nil, err
	}
	type event struct {
		ToStage string
		Detail  []byte
	}
	used := map[string]int{} // events consumed per claim, in order
	out := make([]ClaimResult, 0, len(rows))
	for _, rc := range rows {
		var evs []event
		if err := s.DB.WithContext(ctx).Raw(`SELECT to_stage, detail FROM claim_events
			WHERE claim_id = ? AND cause = ? AND detail->>'remittance_id' = ? ORDER BY id`,
			*rc.ClaimID, claims.Cause835, remittanceID).Scan(&evs).Error; err != nil {
			return nil, err
		}
		i := used[*rc.ClaimID]
		if i >= len(evs) {
			return nil, fmt.Errorf("remittance %s: claim %s has no 835 event for line %d", remittanceID, *rc.ClaimID, rc.Seq)
		}
		used[*rc.ClaimID] = i + 1
		var d struct {
			Moved decimal.Decimal `json:"moved_to_patient"`
			Held  decimal.Decimal `json:"held_for_secondary"`
		}
		if err := json.Unmarshal(evs[i].Detail, &d); err != nil {
			return nil, fmt.Errorf("remittance %s: event detail: %w", remittanceID, err)
		}
		var caseID string
		if err := s.DB.WithContext(ctx).Raw(`SELECT case_id FROM claims WHERE id = ?`, *rc.ClaimID).Scan(&caseID).Error; err != nil {
			return nil, err
		}
		out = append(out, ClaimResult{PatientControlNumber: rc.PatientControlNumber, ClaimID: *rc.ClaimID,
			RemittanceClaimID: rc.ID, CaseID: caseID, Matched: true, StatusCode: rc.StatusCode, Paid: rc.Paid,
			Contractual: rc.Contractual, PatientResponsibility: rc.PatientResponsibility, MovedToPatient: d.Moved,
			HeldForSecondary: d.Held, Reversal: rc.StatusCode == "22", Denied: rc.StatusCode == "4",
			Stage: evs[i].ToStage})
	}
	return out, nil
}
