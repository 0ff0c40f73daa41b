// Package accounting is the practice's books as its accountant sees them: the
// general-ledger export to the accounting system (CSV and QuickBooks IIF), mapped
// to the practice's own chart of accounts; accounting periods that close; manual
// adjusting journals; the trial balance and revenue by service type, provider and
// location. Everything is read straight from the ledger (internal/ledger); nothing
// here keeps a second copy of a balance.
//
// Days are UTC calendar days. A journal's accounting day is its entry_date:
// the day it was posted unless an adjusting journal names another. Once a day is
// inside a closed period or an export, no journal may be dated on it (a database
// trigger refuses it, whoever posts), so an export never misses a journal and
// never counts one twice.
package accounting

import (
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/validate"
)

// Service runs accounting operations against the database.
type Service struct {
	DB *gorm.DB
	// Now is the clock (UTC); nil means time.Now. Tests set it.
	Now func() time.Time
}

// ErrNotFound is returned for an unknown period, export or account.
var ErrNotFound = apperr.New(apperr.NotFound, "not found")

// booksLock is the advisory lock every journal insert holds shared (migration
// 00018's trigger) and closing a period or exporting holds exclusively: they wait
// for journals in flight, and journals after them see what they wrote.
const booksLock = 7301001

func lockBooks(tx *gorm.DB) error {
	return tx.Exec(`SELECT pg_advisory_xact_lock(?)`, booksLock).Error
}

func (s *Service) today() time.Time {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return day(now())
}

// day is t's UTC calendar day at midnight.
func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ParseDay parses a YYYY-MM-DD day, recording a field error when it is malformed.
func ParseDay(errs *validate.Errors, field, v string) time.Time {
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		errs.Add(field, "must be a date YYYY-MM-DD")
		return time.Time{}
	}
	return d
}
