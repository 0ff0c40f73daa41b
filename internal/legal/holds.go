package legal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/validate"
)

// Hold is a legal case's hold as the hold workflow last published it (table
// holds, the read model of the holds list).
type Hold struct {
	CaseID         string `gorm:"primaryKey;type:uuid"`
	Status         string
	StartedAt      time.Time
	NextFollowUpAt *time.Time
	LastOutcome    string
	LastFollowUpAt *time.Time
	UpdatedAt      time.Time
}

// PublishHold writes a hold's read-model row (insert or replace).
func (s *Service) PublishHold(ctx context.Context, h Hold) error {
	h.UpdatedAt = s.now()
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&h).Error
	if err != nil {
		return fmt.Errorf("publish hold of case %s: %w", h.CaseID, err)
	}
	return nil
}

// FollowUpRecord is an attorney follow-up (table hold_follow_ups).
type FollowUpRecord struct {
	ID           string `gorm:"primaryKey;type:uuid"`
	CaseID       string `gorm:"type:uuid"`
	Outcome      string
	Note         string
	NextFollowUp *time.Time
	RecordedAt   time.Time
	RecordedBy   *string `gorm:"type:uuid"`
}

// TableName is the table of FollowUpRecord.
func (FollowUpRecord) TableName() string { return "hold_follow_ups" }

// FollowUpID is the id of the follow-up a hold's update recorded: derived from
// the case and the update id, so a retried activity writes once.
func FollowUpID(caseID, updateID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("rcm:follow-up:"+caseID+":"+updateID)).String()
}

// RecordFollowUp stores a follow-up once (by id) with its audit entry.
func (s *Service) RecordFollowUp(ctx context.Context, r FollowUpRecord, actor audit.Actor) error {
	if actor.UserID != "" {
		r.RecordedBy = &actor.UserID
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return audit.Record(tx, actor, "hold.follow_up", "case", r.CaseID, map[string]any{"outcome": r.Outcome})
	})
}

// FollowUps lists a case's follow-ups, newest first.
func (s *Service) FollowUps(ctx context.Context, caseID string) ([]FollowUpRecord, error) {
	out := []FollowUpRecord{}
	err := s.DB.WithContext(ctx).Where("case_id = ?", caseID).Order("recorded_at DESC, id").Find(&out).Error
	return out, err
}

// HoldRow is one line of the holds list.
type HoldRow struct {
	CaseID         string
	CaseKind       string
	PatientID      string
	PatientName    string
	Status         string
	AttorneyID     *string
	AttorneyName   *string
	AttorneyFirm   *string
	HeldTotal      decimal.Decimal
	OldestChargeOn *time.Time
	NextFollowUpAt *time.Time
	LastOutcome    string
	SOLDate        *time.Time `gorm:"column:sol_date"`
	LienReceivedOn *time.Time
	StartedAt      time.Time
}

// HoldFilter selects holds: by the attorney (a contact id), by the age of the
// oldest held charge (at least MinAgeDays days), by a location where the case
// had a visit, by status (default held).
type HoldFilter struct {
	AttorneyID string
	MinAgeDays int
	LocationID string
	Status     string
	Limit      int
}

// HoldStatuses are the statuses of a hold.
var HoldStatuses = []string{"held", "settling", "released", "dropped"}

// ListHolds is the holds list, riskiest first: the statute of limitations
// nearest (unknown last), then no lien on file, then the largest held total.
func (s *Service) ListHolds(ctx context.Context, f HoldFilter) ([]HoldRow, error) {
	var errs validate.Errors
	if f.AttorneyID != "" {
		errs.Check(uuid.Validate(f.AttorneyID) == nil, "attorney_id", "must be a UUID")
	}
	if f.LocationID != "" {
		errs.Check(uuid.Validate(f.LocationID) == nil, "location_id", "must be a UUID")
	}
	errs.Check(f.MinAgeDays >= 0 && f.MinAgeDays <= 36500, "min_age_days", "must be from 0 to 36500")
	if f.Status == "" {
		f.Status = "held"
	}
	found := false
	for _, st := range HoldStatuses {
		found = found || st == f.Status
	}
	errs.Check(found, "status", "must be one of %s", strings.Join(HoldStatuses, ", "))
	if len(errs) > 0 {
		return nil, errs
	}
	q := s.DB.WithContext(ctx).Table("holds h").
		Select(`h.case_id, c.kind AS case_kind, c.patient_id, p.first_name || ' ' || p.last_name AS patient_name, h.status,
			a.id AS attorney_id, a.name AS attorney_name, a.organization AS attorney_firm,
			coalesce((SELECT sum(l.amount) FROM journal_lines l WHERE l.case_id = h.case_id AND l.account_code = ?), 0) AS held_total,
			(SELECT min(e.service_date) FROM charges ch JOIN encounters e ON e.id = ch.encounter_id
				WHERE ch.case_id = h.case_id AND ch.status = 'active') AS oldest_charge_on,
			h.next_follow_up_at, h.last_outcome, lc.sol_date, lc.lien_received_on, h.started_at`, string(ledger.ARHeld)).
		Joins("JOIN cases c ON c.id = h.case_id").
		Joins("JOIN patients p ON p.id = c.patient_id").
		Joins("LEFT JOIN legal_cases lc ON lc.case_id = h.case_id").
		Joins("LEFT JOIN case_contacts cc ON cc.case_id = h.case_id AND cc.role = ?", RolePatientAttorney).
		Joins("LEFT JOIN contacts a ON a.id = cc.contact_id").
		Where("h.status = ?", f.Status)
	if scope, args := access.FromContext(ctx).Case("h.case_id"); len(args) > 0 {
		q = q.Where(scope, args...)
	}
	if f.AttorneyID != "" {
		q = q.Where("cc.contact_id = ?", f.AttorneyID)
	}
	if f.LocationID != "" {
		q = q.Where("EXISTS (SELECT 1 FROM encounters e WHERE e.case_id = h.case_id AND e.location_id = ?)", f.LocationID)
	}
	if f.MinAgeDays > 0 {
		q = q.Where(`EXISTS (SELECT 1 FROM charges ch JOIN encounters e ON e.id = ch.encounter_id
			WHERE ch.case_id = h.case_id AND ch.status = 'active' AND e.service_date <= ?)`,
			today(s.now()).AddDate(0, 0, -f.MinAgeDays).Format(time.DateOnly))
	}
	out := []HoldRow{}
	err := q.Order("lc.sol_date ASC NULLS LAST, (lc.lien_received_on IS NULL) DESC, held_total DESC, h.case_id").
		Limit(db.Page(f.Limit)).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list holds: %w", err)
	}
	return out, nil
}

// GetHold reads a case's hold row; ok is false when the case has none.
func (s *Service) GetHold(ctx context.Context, caseID string) (Hold, bool, error) {
	var h Hold
	res := s.DB.WithContext(ctx).Where("case_id = ?", caseID).Limit(1).Find(&h)
	return h, res.RowsAffected > 0, res.Error
}
