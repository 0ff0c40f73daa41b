// Package access limits what a user sees and acts on to the locations they
// work at.
//
// A user with no rows in user_locations works at every location (the default,
// and what managers and admins usually have); a user with rows works only
// there, whatever their role (a manager of one clinic is limited like anyone
// else). What belongs to a location:
//
//   - a case: its own location (cases.location_id, where it was opened) or any
//     location one of its visits was checked in at;
//   - a patient: the location they were registered at (patients.location_id)
//     or any location one of their cases belongs to;
//   - a claim, coverage, statement, hold or ledger: that of its case or patient;
//   - a task: that of its case; without a case, that of its patient; without
//     either, its own location. A task tied to none (an unmatched ERA line) is
//     for users who work at every location.
//
// The scope travels in the request's context: the API's authentication puts
// the user's scope there (With) and the domain packages' list and detail
// functions apply FromContext, so every caller of those functions (the API,
// the web app) inherits it. A context without a scope is the system's (workers,
// the command line) and sees everything.
package access

import (
	"context"
	"database/sql/driver"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// Scope is the set of locations a user is limited to.
type Scope struct {
	// Locations are the location ids the user works at; empty means every
	// location.
	Locations []string
}

// All is the scope of a user who works at every location, and of the system.
var All = Scope{}

// Limited reports whether the scope leaves some locations out.
func (s Scope) Limited() bool { return len(s.Locations) > 0 }

// HasLocation reports whether the scope includes the location.
func (s Scope) HasLocation(id string) bool {
	return !s.Limited() || slices.Contains(s.Locations, id)
}

// CheckLocation validates the location a new patient or case belongs to
// (field names the input field): an explicit one must exist in the scope
// (exists is told the id; it answers for the caller's database); none is
// allowed for a user who works at every location, and defaults to the only
// location of a user limited to one. It returns the location to store (nil
// for none) and a message for field when the choice is not valid.
func (s Scope) CheckLocation(requested *string, exists func(id string) bool) (*string, string) {
	switch {
	case requested != nil && *requested != "":
		if !s.HasLocation(*requested) || !exists(*requested) {
			return nil, "no such location"
		}
		return requested, ""
	case len(s.Locations) == 1:
		only := s.Locations[0]
		return &only, ""
	case s.Limited():
		return nil, "is required: you work at several locations; name the one this belongs to"
	}
	return nil, ""
}

type ctxKey struct{}

// With returns ctx carrying the scope.
func With(ctx context.Context, s Scope) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// FromContext returns the scope ctx carries, or All when it carries none.
func FromContext(ctx context.Context) Scope {
	if ctx == nil {
		return All
	}
	s, _ := ctx.Value(ctxKey{}).(Scope)
	return s
}

// uuidArray passes the scope's locations as one PostgreSQL uuid[] parameter
// (GORM would expand a slice into a list of parameters).
type uuidArray []string

// Value writes the array literal; the ids are UUIDs read from the database.
func (a uuidArray) Value() (driver.Value, error) {
	return "{" + strings.Join(a, ",") + "}", nil
}

func (s Scope) locs() uuidArray { return uuidArray(s.Locations) }

// LocationArray is the scope's locations as one uuid[] query parameter, for
// queries with named parameters (CAST(@locations AS uuid[])).
func (s Scope) LocationArray() driver.Valuer { return s.locs() }

// The subqueries behind the predicates. Each takes the scope's locations as
// its parameters, in order.
const (
	caseIDsSQL = `SELECT id FROM cases WHERE location_id = ANY(CAST(? AS uuid[]))
		UNION SELECT case_id FROM encounters WHERE location_id = ANY(CAST(? AS uuid[]))`
	patientIDsSQL = `SELECT id FROM patients WHERE location_id = ANY(CAST(? AS uuid[]))
		UNION SELECT patient_id FROM cases WHERE id IN (` + caseIDsSQL + `)`
)

// CaseIDs is a subquery of the ids of the cases in the scope, with its
// arguments. Use it only when the scope is Limited.
func (s Scope) CaseIDs() (string, []any) {
	return caseIDsSQL, []any{s.locs(), s.locs()}
}

// PatientIDs is a subquery of the ids of the patients in the scope, with its
// arguments. Use it only when the scope is Limited.
func (s Scope) PatientIDs() (string, []any) {
	return patientIDsSQL, []any{s.locs(), s.locs(), s.locs()}
}

// Case is a condition that col (a case id) names a case in the scope: "TRUE"
// when the scope is not limited.
func (s Scope) Case(col string) (string, []any) {
	if !s.Limited() {
		return "TRUE", nil
	}
	q, args := s.CaseIDs()
	return col + " IN (" + q + ")", args
}

// Patient is a condition that col (a patient id) names a patient in the scope.
func (s Scope) Patient(col string) (string, []any) {
	if !s.Limited() {
		return "TRUE", nil
	}
	q, args := s.PatientIDs()
	return col + " IN (" + q + ")", args
}

// Location is a condition that col (a location id) is one of the scope's.
func (s Scope) Location(col string) (string, []any) {
	if !s.Limited() {
		return "TRUE", nil
	}
	return col + " = ANY(CAST(? AS uuid[]))", []any{s.locs()}
}

// Task is a condition that the task (columns prefixed with prefix, such as
// "t." or "") is in the scope: by its case, else its patient, else its
// location.
func (s Scope) Task(prefix string) (string, []any) {
	if !s.Limited() {
		return "TRUE", nil
	}
	c, cargs := s.Case(prefix + "case_id")
	p, pargs := s.Patient(prefix + "patient_id")
	l, largs := s.Location(prefix + "location_id")
	sql := "(" + c + " OR (" + prefix + "case_id IS NULL AND " + p + ") OR (" + prefix + "case_id IS NULL AND " +
		prefix + "patient_id IS NULL AND " + l + "))"
	return sql, append(append(cargs, pargs...), largs...)
}

// tableRules says how a row of each location-bound table is scoped: by which
// column and which kind of id it holds.
var tableRules = map[string]struct{ col, kind string }{
	"patients":    {"id", "patient"},
	"cases":       {"id", "case"},
	"claims":      {"case_id", "case"},
	"coverages":   {"case_id", "case"},
	"encounters":  {"case_id", "case"},
	"charges":     {"case_id", "case"},
	"payments":    {"case_id", "case"},
	"holds":       {"case_id", "case"},
	"statements":  {"patient_id", "patient"},
	"locations":   {"id", "location"},
	"tasks":       {"", "task"},
	"claim_lines": {"claim_id", "claim"},
}

// Row is the condition that a row of table is in the scope, for the tables
// that belong to a location; ok is false for other tables (reference data,
// practice-wide records), which every user sees.
func (s Scope) Row(table string) (cond string, args []any, ok bool) {
	r, found := tableRules[table]
	if !found || !s.Limited() {
		return "", nil, false
	}
	switch r.kind {
	case "patient":
		cond, args = s.Patient(r.col)
	case "case":
		cond, args = s.Case(r.col)
	case "claim":
		cq, cargs := s.CaseIDs()
		cond, args = r.col+" IN (SELECT id FROM claims WHERE case_id IN ("+cq+"))", cargs
	case "location":
		cond, args = s.Location(r.col)
	case "task":
		cond, args = s.Task("")
	}
	return cond, args, true
}

// Restrict adds to q (a query of table) the condition that its rows are in
// the scope ctx carries; q is unchanged for tables no location owns.
func Restrict(ctx context.Context, q *gorm.DB, table string) *gorm.DB {
	if cond, args, ok := FromContext(ctx).Row(table); ok {
		return q.Where(cond, args...)
	}
	return q
}
