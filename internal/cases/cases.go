package cases

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/validate"
)

// Case is one real-world episode of care for a patient (table cases).
type Case struct {
	ID            string     `gorm:"primaryKey;type:uuid" json:"id"`
	PatientID     string     `gorm:"type:uuid" json:"patient_id"`
	Kind          Kind       `json:"kind"`
	Title         string     `json:"title"`
	Status        string     `json:"status"`
	Stage         string     `json:"stage"`
	FeeScheduleID *string    `gorm:"type:uuid" json:"fee_schedule_id,omitempty"`
	OpenedAt      time.Time  `json:"opened_at"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	UpdatedAt     time.Time  `json:"updated_at"`

	// LocationID is where the case was opened; its visits' locations count
	// too (package access).
	LocationID *string `gorm:"type:uuid" json:"location_id,omitempty"`
}

// Case statuses.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Statuses lists the case statuses.
var Statuses = []string{StatusOpen, StatusClosed}

// Service reads and writes cases.
type Service struct {
	DB *gorm.DB
}

// New is the input to Create.
type New struct {
	PatientID     string  `json:"patient_id"`
	Kind          Kind    `json:"kind"`
	Title         string  `json:"title"`
	FeeScheduleID *string `json:"fee_schedule_id"`
	// LocationID is the location opening the case: optional for a user who
	// works at every location, defaulted for a user limited to one.
	LocationID *string `json:"location_id"`
}

// Create opens a case for a patient. A patient may have several open cases.
func (s *Service) Create(ctx context.Context, in New, actor audit.Actor) (Case, error) {
	g := s.DB.WithContext(ctx)
	var errs validate.Errors
	if errs.Required("patient_id", in.PatientID) && !db.Exists(g.Table("patients"), in.PatientID) {
		errs.Add("patient_id", "no such patient")
	}
	errs.Check(in.Kind.Valid(), "kind", "must be one of %v", Kinds)
	if in.FeeScheduleID != nil && !db.Exists(g.Table("fee_schedules"), *in.FeeScheduleID) {
		errs.Add("fee_schedule_id", "no such fee schedule")
	}
	loc, msg := access.FromContext(ctx).CheckLocation(in.LocationID, func(id string) bool {
		return db.Exists(g.Table("locations"), id)
	})
	errs.Check(msg == "", "location_id", "%s", msg)
	if len(errs) > 0 {
		return Case{}, errs
	}
	now := time.Now().UTC()
	c := Case{ID: uuid.NewString(), PatientID: in.PatientID, Kind: in.Kind, Title: in.Title,
		Status: StatusOpen, Stage: StageOpen, FeeScheduleID: in.FeeScheduleID, LocationID: loc, OpenedAt: now, UpdatedAt: now}
	err := g.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&c).Error; err != nil {
			return fmt.Errorf("create case: %w", err)
		}
		return audit.Record(tx, actor, "case.create", "case", c.ID, map[string]any{"patient_id": c.PatientID, "kind": c.Kind})
	})
	return c, err
}

// SetStage keeps cases.stage current for lists and reports; it records the
// change in the audit log, once (a repeated call changes nothing).
func (s *Service) SetStage(ctx context.Context, caseID, stage string) error {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Case{}).Where("id = ? AND stage <> ?", caseID, stage).
			Updates(map[string]any{"stage": stage, "updated_at": time.Now().UTC()})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // unchanged: a retried activity
		}
		return audit.Record(tx, audit.System, "case.stage", "case", caseID, map[string]any{"stage": stage})
	})
	if err != nil {
		return fmt.Errorf("set stage of case %s: %w", caseID, err)
	}
	return nil
}

// Filter selects cases to list; empty fields match every case.
type Filter struct {
	PatientID string
	Kind      Kind
	Stage     string
	Status    string
	Limit     int
}

// List returns cases, most recently opened first.
func (s *Service) List(ctx context.Context, f Filter) ([]Case, error) {
	q := access.Restrict(ctx, s.DB.WithContext(ctx).Model(&Case{}), "cases")
	for col, v := range map[string]string{"patient_id": f.PatientID, "kind": string(f.Kind), "stage": f.Stage, "status": f.Status} {
		if v != "" {
			q = q.Where(col+" = ?", v)
		}
	}
	var out []Case
	if err := q.Order("opened_at DESC, id").Limit(db.Page(f.Limit)).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	return out, nil
}

// Get reads one case; apperr NotFound when there is none.
func (s *Service) Get(ctx context.Context, id string) (Case, error) {
	var c Case
	if uuid.Validate(id) != nil {
		return c, ErrNotFound
	}
	q := access.Restrict(ctx, s.DB.WithContext(ctx).Where("id = ?", id), "cases")
	res := q.Limit(1).Find(&c)
	switch {
	case res.Error != nil:
		return c, fmt.Errorf("read case %s: %w", id, res.Error)
	case res.RowsAffected == 0:
		return c, ErrNotFound
	}
	return c, nil
}

// ErrNotFound is returned for an unknown case.
var ErrNotFound = apperr.New(apperr.NotFound, "case not found")
