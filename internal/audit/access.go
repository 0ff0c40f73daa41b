package audit

import (
	"context"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Access is one read of a patient's record.
type Access struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	UserID    *string   `json:"user_id,omitempty"`
	UserEmail string    `json:"user_email,omitempty"`
	PatientID string    `json:"patient_id"`
	Route     string    `json:"route"`
	RequestID string    `json:"request_id,omitempty"`
}

// RecordAccess appends one patient_access_log row per distinct patient id: the
// actor read those patients' records through route (a route template such as
// "GET /api/v1/patients/:id"). Empty ids are skipped.
func RecordAccess(ctx context.Context, g *gorm.DB, actor Actor, route string, patientIDs ...string) error {
	ids := make([]string, 0, len(patientIDs))
	for _, id := range patientIDs {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var user *string
	if actor.UserID != "" {
		user = &actor.UserID
	}
	return g.WithContext(ctx).Exec(`INSERT INTO patient_access_log (user_id, patient_id, route, request_id)
		SELECT ?, unnest(?::uuid[]), ?, ?`, user, "{"+strings.Join(ids, ",")+"}", route, actor.RequestID).Error
}

// Accesses lists the reads of one patient's record, newest first, at most limit.
func Accesses(ctx context.Context, g *gorm.DB, patientID string, limit int) ([]Access, error) {
	var out []Access
	err := g.WithContext(ctx).Raw(`SELECT l.id, l.at, l.user_id, coalesce(u.email, '') AS user_email, l.patient_id,
			l.route, l.request_id
		FROM patient_access_log l LEFT JOIN users u ON u.id = l.user_id
		WHERE l.patient_id = ? ORDER BY l.at DESC, l.id DESC LIMIT ?`, patientID, limit).Scan(&out).Error
	return out, err
}
