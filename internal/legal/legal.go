// Package legal is the home of accident and injury cases (kinds mva,
// personal_injury and workers_comp) beyond their charges: the address book of
// contacts around them (attorneys, adjusters, employers, case managers,
// referrers), each case's legal details (date of injury, accident state and
// kind, the auto insurer or WC carrier, the lien or letter of protection) and
// the statute-of-limitations date computed from a per-state table, and the
// holds list: what is held, for how long, and what is at risk.
package legal

import (
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/cases"
)

// Service reads and writes contacts, legal details and holds.
type Service struct {
	DB *gorm.DB
	// Now is the clock validation compares dates with; time.Now when nil.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// ErrNotFound is returned for an unknown contact.
var ErrNotFound = apperr.New(apperr.NotFound, "contact not found")

// ErrNotLegal is returned when legal details are asked of a case that is not an
// accident, injury or workers' comp case.
var ErrNotLegal = apperr.New(apperr.Conflict, "the case is not a legal case (mva, personal_injury or workers_comp)")

// IsLegal reports whether a case of this kind carries legal details: accident
// and injury cases (charges held for a settlement) and workers' comp.
func IsLegal(k cases.Kind) bool {
	return k == cases.MVA || k == cases.PersonalInjury || k == cases.WorkersComp
}

// today is t's calendar date (UTC) at midnight.
func today(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// ErrNoDetails is returned when a legal case has no details recorded yet.
var ErrNoDetails = apperr.New(apperr.NotFound, "no legal details recorded for this case")
