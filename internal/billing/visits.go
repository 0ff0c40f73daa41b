package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/db"
)

// OpenVisit is a checked-in visit whose charge capture is not complete: the
// providers' worklist.
type OpenVisit struct {
	EncounterID string    `json:"encounter_id"`
	CaseID      string    `json:"case_id"`
	PatientID   string    `json:"patient_id"`
	PatientName string    `json:"patient_name"`
	Provider    string    `json:"provider"`
	ServiceDate time.Time `json:"service_date"`
	CheckedInAt time.Time `json:"checked_in_at"`
	Charges     int       `json:"charges"`
}

// OpenVisits lists visits waiting for charge capture, oldest check-in first
// (db.Page(limit) of them); providerID, when set, keeps that provider's.
func (s *Service) OpenVisits(ctx context.Context, providerID string, limit int) ([]OpenVisit, error) {
	var out []OpenVisit
	q := `SELECT e.id AS encounter_id, e.case_id, c.patient_id, p.last_name || ', ' || p.first_name AS patient_name,
			trim(pr.first_name || ' ' || pr.last_name) AS provider, e.service_date, e.checked_in_at,
			(SELECT count(*) FROM charges ch WHERE ch.encounter_id = e.id AND ch.status = ?) AS charges
		FROM encounters e JOIN cases c ON c.id = e.case_id JOIN patients p ON p.id = c.patient_id
		JOIN providers pr ON pr.id = e.provider_id
		WHERE e.charges_completed_at IS NULL`
	args := []any{ChargeActive}
	if providerID != "" {
		q += ` AND e.provider_id = ?`
		args = append(args, providerID)
	}
	// A user limited to some locations sees the visits of their cases only.
	cond, scopeArgs := access.FromContext(ctx).Case("e.case_id")
	q += ` AND ` + cond
	args = append(args, scopeArgs...)
	q += ` ORDER BY e.checked_in_at, e.id LIMIT ?`
	args = append(args, db.Page(limit))
	if err := s.DB.WithContext(ctx).Raw(q, args...).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("open visits: %w", err)
	}
	return out, nil
}
