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
	CaseID       string
	CaseKind     string
	PatientID    string
	PatientName  string
	Status       string
	AttorneyID   *string
	AttorneyName *string
	AttorneyFirm *string
	HeldTotal    decimal.Decimal
	// AttorneyOwed is what was released to the attorney and is not paid.
	AttorneyOwed   decimal.Decimal
	OldestChargeOn *time.Time
	NextFollowUpAt *time.Time
	LastOutcome    string
	SOLDate        *time.Time `gorm:"column:sol_date"`
	LienReceivedOn *time.Time
	StartedAt      time.Time
}

// HoldFilter selects holds: by the attorney (a contact id), by the age of the
// oldest held charge (at least MinAgeDays days), by a location where the case
// had a visit, by status (default open: held or settling).
type HoldFilter struct {
	AttorneyID string
	MinAgeDays int
	LocationID string
	Status     string
	Limit      int
}

// HoldStatuses are the statuses of a hold, and open: held or settling (the
// holds list's default, every case whose charges are still held).
var HoldStatuses = []string{"open", "held", "settling", "released", "dropped", "closed"}

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
		f.Status = "open"
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
			coalesce((SELECT sum(l.amount) FROM journal_lines l WHERE l.case_id = h.case_id AND l.account_code = ?), 0) AS attorney_owed,
			(SELECT min(e.service_date) FROM charges ch JOIN encounters e ON e.id = ch.encounter_id
				WHERE ch.case_id = h.case_id AND ch.status = 'active') AS oldest_charge_on,
			h.next_follow_up_at, h.last_outcome, lc.sol_date, lc.lien_received_on, h.started_at`, string(ledger.ARHeld),
			string(ledger.ARAttorney)).
		Joins("JOIN cases c ON c.id = h.case_id").
		Joins("JOIN patients p ON p.id = c.patient_id").
		Joins("LEFT JOIN legal_cases lc ON lc.case_id = h.case_id").
		Joins("LEFT JOIN case_contacts cc ON cc.case_id = h.case_id AND cc.role = ?", RolePatientAttorney).
		Joins("LEFT JOIN contacts a ON a.id = cc.contact_id").
		Where("h.status IN ?", statusesOf(f.Status))
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

// AttorneyExposure is what one attorney's cases owe the practice: held A/R
// (waiting for settlements) and attorney A/R (released, not yet paid), and the
// two together by the age of the visits (days since the date of service).
// Cases without an attorney are one row with no attorney.
type AttorneyExposure struct {
	AttorneyID   *string
	AttorneyName *string
	AttorneyFirm *string
	Cases        int
	Held         decimal.Decimal
	AttorneyOwed decimal.Decimal
	Age0To90     decimal.Decimal `gorm:"column:age_0_90"`
	Age91To180   decimal.Decimal `gorm:"column:age_91_180"`
	Age181To365  decimal.Decimal `gorm:"column:age_181_365"`
	AgeOver365   decimal.Decimal `gorm:"column:age_over_365"`
}

// ExposureByAttorney is held and attorney A/R by attorney and age, largest
// first, read from the A/R open items (ar_items), which sum to the ledger.
func (s *Service) ExposureByAttorney(ctx context.Context) ([]AttorneyExposure, error) {
	today := today(s.now())
	out := []AttorneyExposure{}
	err := s.DB.WithContext(ctx).Raw(`SELECT a.id AS attorney_id, a.name AS attorney_name, a.organization AS attorney_firm,
			count(DISTINCT i.case_id) AS cases,
			coalesce(sum(i.balance) FILTER (WHERE i.account_code = @held), 0) AS held,
			coalesce(sum(i.balance) FILTER (WHERE i.account_code = @atty), 0) AS attorney_owed,
			coalesce(sum(i.balance) FILTER (WHERE i.service_date > @d90), 0) AS age_0_90,
			coalesce(sum(i.balance) FILTER (WHERE i.service_date <= @d90 AND i.service_date > @d180), 0) AS age_91_180,
			coalesce(sum(i.balance) FILTER (WHERE i.service_date <= @d180 AND i.service_date > @d365), 0) AS age_181_365,
			coalesce(sum(i.balance) FILTER (WHERE i.service_date <= @d365), 0) AS age_over_365
		FROM ar_items i
		LEFT JOIN case_contacts cc ON cc.case_id = i.case_id AND cc.role = @role
		LEFT JOIN contacts a ON a.id = cc.contact_id
		WHERE i.account_code IN (@held, @atty) AND i.balance <> 0
		GROUP BY a.id, a.name, a.organization
		ORDER BY sum(i.balance) DESC, a.name NULLS LAST`, map[string]any{
		"held": string(ledger.ARHeld), "atty": string(ledger.ARAttorney), "role": RolePatientAttorney,
		"d90": today.AddDate(0, 0, -90), "d180": today.AddDate(0, 0, -180), "d365": today.AddDate(0, 0, -365)}).
		Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("held and attorney A/R by attorney: %w", err)
	}
	return out, nil
}

func statusesOf(status string) []string {
	if status == "open" {
		return []string{"held", "settling"}
	}
	return []string{status}
}
