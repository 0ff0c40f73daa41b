package legal

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/validate"
)

// Contact kinds: what a contact is in the address book.
const (
	KindAttorney    = "attorney"
	KindAdjuster    = "adjuster"
	KindEmployer    = "employer"
	KindCaseManager = "case_manager"
	KindReferrer    = "referrer"
	KindOther       = "other"
)

// ContactKinds lists the contact kinds.
var ContactKinds = []string{KindAttorney, KindAdjuster, KindEmployer, KindCaseManager, KindReferrer, KindOther}

// Contact is an entry of the address book (table contacts).
type Contact struct {
	ID           string `gorm:"primaryKey;type:uuid"`
	Kind         string
	Name         string
	Organization string
	Phone        string
	Email        string
	Address1     string
	Address2     string
	City         string
	State        string
	Zip          string
	Notes        string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// NewContact is the input to CreateContact.
type NewContact struct {
	Kind         string `json:"kind"`
	Name         string `json:"name"`
	Organization string `json:"organization"`
	Phone        string `json:"phone"`
	Email        string `json:"email"`
	Address1     string `json:"address1"`
	Address2     string `json:"address2"`
	City         string `json:"city"`
	State        string `json:"state"`
	Zip          string `json:"zip"`
	Notes        string `json:"notes" maxlen:"2000"`
}

var (
	phoneRe = regexp.MustCompile(`^\+?[0-9 ().-]{7,20}$`)
	zipRe   = regexp.MustCompile(`^\d{5}(-?\d{4})?$`)
)

// CreateContact adds a contact to the address book.
func (s *Service) CreateContact(ctx context.Context, in NewContact, actor audit.Actor) (Contact, error) {
	var errs validate.Errors
	errs.Check(slices.Contains(ContactKinds, in.Kind), "kind", "must be one of %s", strings.Join(ContactKinds, ", "))
	errs.Required("name", in.Name)
	if in.Email != "" {
		_, err := mail.ParseAddress(in.Email)
		errs.Check(err == nil, "email", "is not an email address")
	}
	if in.Phone != "" {
		errs.Check(phoneRe.MatchString(in.Phone), "phone", "is not a phone number")
	}
	in.State = strings.ToUpper(strings.TrimSpace(in.State))
	if in.State != "" {
		errs.Check(ValidState(in.State), "state", "must be a US state code such as IL")
	}
	if in.Zip != "" {
		errs.Check(zipRe.MatchString(in.Zip), "zip", "must be a ZIP or ZIP+4 code")
	}
	if len(errs) > 0 {
		return Contact{}, errs
	}
	now := s.now()
	c := Contact{ID: uuid.NewString(), Kind: in.Kind, Name: strings.TrimSpace(in.Name),
		Organization: strings.TrimSpace(in.Organization), Phone: in.Phone, Email: in.Email,
		Address1: in.Address1, Address2: in.Address2, City: in.City, State: in.State, Zip: in.Zip,
		Notes: in.Notes, CreatedAt: now, UpdatedAt: now}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&c).Error; err != nil {
			return fmt.Errorf("create contact: %w", err)
		}
		return audit.Record(tx, actor, "contact.create", "contact", c.ID, map[string]any{"kind": c.Kind})
	})
	return c, err
}

// ContactFilter selects contacts: Query matches the start of any word of the
// name or the organization (any case); Kind one kind.
type ContactFilter struct {
	Query string
	Kind  string
	Limit int
}

// ListContacts searches the address book, by name.
func (s *Service) ListContacts(ctx context.Context, f ContactFilter) ([]Contact, error) {
	q := s.DB.WithContext(ctx).Model(&Contact{})
	if f.Kind != "" {
		if !slices.Contains(ContactKinds, f.Kind) {
			return nil, validate.Errors{{Field: "kind", Message: "must be one of " + strings.Join(ContactKinds, ", ")}}
		}
		q = q.Where("kind = ?", f.Kind)
	}
	if term := strings.ToLower(strings.TrimSpace(f.Query)); term != "" {
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(term)
		q = q.Where(`lower(name) LIKE ? OR lower(name) LIKE ? OR lower(organization) LIKE ? OR lower(organization) LIKE ?`,
			esc+"%", "% "+esc+"%", esc+"%", "% "+esc+"%")
	}
	out := []Contact{}
	if err := q.Order("lower(name), id").Limit(db.Page(f.Limit)).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return out, nil
}

// GetContact reads one contact; ErrNotFound when there is none.
func (s *Service) GetContact(ctx context.Context, id string) (Contact, error) {
	var c Contact
	if found, err := db.FindByID(s.DB.WithContext(ctx), &c, id); err != nil {
		return c, fmt.Errorf("read contact %s: %w", id, err)
	} else if !found {
		return c, ErrNotFound
	}
	return c, nil
}
