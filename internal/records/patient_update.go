package records

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
)

// PatientChange is the input to UpdatePatient: the fields to change; absent
// (nil) fields keep their value. An empty string clears an optional field.
type PatientChange struct {
	FirstName   *string `json:"first_name"`
	LastName    *string `json:"last_name"`
	DateOfBirth *string `json:"date_of_birth"`
	Sex         *string `json:"sex"`
	Email       *string `json:"email"`
	Phone       *string `json:"phone"`
	Address1    *string `json:"address1"`
	Address2    *string `json:"address2"`
	City        *string `json:"city"`
	State       *string `json:"state"`
	Zip         *string `json:"zip"`
	// LocationID moves the patient's registration to another location (one of
	// the user's own).
	LocationID *string `json:"location_id"`
}

// UpdatePatient changes a patient's registration, validated as a new
// patient's is, in one transaction with an audit row that carries the fields
// before and after (PHI values masked: the row says which fields changed,
// never what they held). A patient of a location outside the user's scope is
// not found. Changing nothing writes nothing.
func (s *Service) UpdatePatient(ctx context.Context, id string, ch PatientChange, actor audit.Actor) (Patient, error) {
	var p Patient
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		found, err := db.FindByID(tx.Clauses(clause.Locking{Strength: "UPDATE"}), &p, id)
		if err != nil {
			return fmt.Errorf("read patient %s: %w", id, err)
		}
		if !found {
			return ErrNotFound
		}
		in := NewPatient{FirstName: p.FirstName, LastName: p.LastName, DateOfBirth: p.DateOfBirth.Format(time.DateOnly),
			Sex: p.Sex, Email: p.Email, Phone: p.Phone, LocationID: p.LocationID,
			Address: Address{Address1: p.Address1, Address2: p.Address2, City: p.City, State: p.State, Zip: p.Zip}}
		for _, f := range []struct {
			v   *string
			dst *string
		}{{ch.FirstName, &in.FirstName}, {ch.LastName, &in.LastName}, {ch.DateOfBirth, &in.DateOfBirth}, {ch.Sex, &in.Sex},
			{ch.Email, &in.Email}, {ch.Phone, &in.Phone}, {ch.Address1, &in.Address1}, {ch.Address2, &in.Address2},
			{ch.City, &in.City}, {ch.State, &in.State}, {ch.Zip, &in.Zip}} {
			if f.v != nil {
				*f.dst = *f.v
			}
		}
		if ch.LocationID != nil {
			in.LocationID = ch.LocationID
		}
		next, err := s.validPatient(ctx, in, ch.LocationID != nil)
		if err != nil {
			return err
		}
		before, after := patientAudit(p), patientAudit(next)
		changes := audit.Diff(before, after)
		if changes == nil {
			return nil
		}
		up := map[string]any{"first_name": next.FirstName, "last_name": next.LastName, "date_of_birth": next.DateOfBirth,
			"sex": next.Sex, "email": next.Email, "phone": next.Phone, "address1": next.Address1, "address2": next.Address2,
			"city": next.City, "state": next.State, "zip": next.Zip, "location_id": next.LocationID, "updated_at": now()}
		if err := tx.Model(&Patient{}).Where("id = ?", p.ID).Updates(up).Error; err != nil {
			return fmt.Errorf("update patient %s: %w", p.ID, err)
		}
		if err := tx.Where("id = ?", p.ID).Take(&p).Error; err != nil {
			return fmt.Errorf("reread patient %s: %w", p.ID, err)
		}
		return audit.Record(tx, actor, "patient.update", "patient", p.ID, changes)
	})
	return p, err
}

// patientAudit is a patient as an audit row compares it (audit.Diff masks
// the PHI among these fields).
func patientAudit(p Patient) map[string]any {
	return map[string]any{"first_name": p.FirstName, "last_name": p.LastName,
		"date_of_birth": p.DateOfBirth.Format(time.DateOnly), "sex": p.Sex, "email": p.Email, "phone": p.Phone,
		"address1": p.Address1, "address2": p.Address2, "city": p.City, "state": p.State, "zip": p.Zip,
		"location_id": p.LocationID}
}
