package legal

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/phicrypt"
	"github.com/clinicflow/rcm/internal/validate"
)

// Roles a contact plays in a case.
const (
	RolePatientAttorney = "patient_attorney"
	RoleAdjuster        = "adjuster"
	RoleEmployer        = "employer"
	RoleCaseManager     = "case_manager"
	RoleReferrer        = "referrer"
)

// Roles lists the case roles.
var Roles = []string{RolePatientAttorney, RoleAdjuster, RoleEmployer, RoleCaseManager, RoleReferrer}

// Accident kinds.
const (
	AccidentAuto        = "auto"
	AccidentSlipAndFall = "slip_and_fall"
	AccidentWork        = "work"
	AccidentOther       = "other"
)

// AccidentKinds lists the accident kinds.
var AccidentKinds = []string{AccidentAuto, AccidentSlipAndFall, AccidentWork, AccidentOther}

// DefaultFollowUpDays is how often the attorney is called unless a case says
// otherwise.
const DefaultFollowUpDays = 30

// Details are a legal case's facts (table legal_cases).
type Details struct {
	CaseID        string `gorm:"primaryKey;type:uuid"`
	DateOfInjury  time.Time
	AccidentState string
	AccidentKind  string
	InsurerID     *string `gorm:"type:uuid"`
	// InsurerClaimNumber is sealed at rest (internal/phicrypt).
	InsurerClaimNumber phicrypt.Text
	PIPLimit           *decimal.Decimal `gorm:"column:pip_limit"`
	LienReceivedOn     *time.Time
	LienDocument       string
	SOLDate            time.Time `gorm:"column:sol_date"`
	SOLOverridden      bool      `gorm:"column:sol_overridden"`
	FollowUpDays       int
	UpdatedAt          time.Time
}

// TableName is the table of Details.
func (Details) TableName() string { return "legal_cases" }

// LienOnFile reports whether a lien or letter of protection was received.
func (d Details) LienOnFile() bool { return d.LienReceivedOn != nil }

// CaseContact links a contact to a case in a role (table case_contacts).
type CaseContact struct {
	CaseID    string `gorm:"primaryKey;type:uuid"`
	Role      string `gorm:"primaryKey"`
	ContactID string `gorm:"type:uuid"`
}

// RoleContact is the input naming a contact in a role.
type RoleContact struct {
	Role      string `json:"role"`
	ContactID string `json:"contact_id"`
}

// DetailsInput is the whole legal record of a case, as PUT /cases/{id}/legal
// sends it. Dates are YYYY-MM-DD; SOLDate overrides the computed date.
type DetailsInput struct {
	DateOfInjury       string
	AccidentState      string
	AccidentKind       string
	InsurerID          string
	InsurerClaimNumber string
	PIPLimit           *decimal.Decimal `gorm:"column:pip_limit"`
	LienReceivedOn     string
	LienDocument       string
	SOLDate            string
	FollowUpDays       int
	Contacts           []RoleContact
}

// CaseLegal is a case's legal details with its contacts by role.
type CaseLegal struct {
	Details
	Contacts []LinkedContact
}

// LinkedContact is a contact in its role on a case.
type LinkedContact struct {
	Role    string
	Contact Contact
}

// Contact returns the contact in role, if any.
func (l CaseLegal) Contact(role string) (Contact, bool) {
	for _, c := range l.Contacts {
		if c.Role == role {
			return c.Contact, true
		}
	}
	return Contact{}, false
}

// PutDetails validates and stores a legal case's details and contacts whole,
// replacing what was there, in one transaction. The SOL date is computed from
// the date of injury and the accident state's years unless given.
func (s *Service) PutDetails(ctx context.Context, cs cases.Case, in DetailsInput, actor audit.Actor) (CaseLegal, error) {
	if !IsLegal(cs.Kind) {
		return CaseLegal{}, ErrNotLegal
	}
	g := s.DB.WithContext(ctx)
	var errs validate.Errors
	today := today(s.now())
	d := Details{CaseID: cs.ID, AccidentKind: in.AccidentKind, InsurerClaimNumber: phicrypt.Text(strings.TrimSpace(in.InsurerClaimNumber)),
		PIPLimit: in.PIPLimit, LienDocument: strings.TrimSpace(in.LienDocument), FollowUpDays: in.FollowUpDays,
		UpdatedAt: s.now()}
	if errs.Required("date_of_injury", in.DateOfInjury) {
		doi, err := time.Parse(time.DateOnly, in.DateOfInjury)
		switch {
		case err != nil:
			errs.Add("date_of_injury", "must be a date YYYY-MM-DD")
		case doi.After(today):
			errs.Add("date_of_injury", "must not be in the future")
		case doi.Year() < 1900:
			errs.Add("date_of_injury", "must be after 1900")
		default:
			d.DateOfInjury = doi
			first, ok, err := firstVisit(g, cs.ID)
			if err != nil {
				return CaseLegal{}, err
			}
			if ok && doi.After(first) {
				errs.Add("date_of_injury", "must not be after the first visit (%s)", first.Format(time.DateOnly))
			}
		}
	}
	d.AccidentState = strings.ToUpper(strings.TrimSpace(in.AccidentState))
	if errs.Required("accident_state", d.AccidentState) {
		errs.Check(ValidState(d.AccidentState), "accident_state", "must be a US state code such as IL")
	}
	if d.AccidentKind == "" {
		d.AccidentKind = defaultAccidentKind(cs.Kind)
	}
	errs.Check(slices.Contains(AccidentKinds, d.AccidentKind), "accident_kind", "must be one of %s", strings.Join(AccidentKinds, ", "))
	if in.InsurerID != "" {
		if db.Exists(g.Table("payers"), in.InsurerID) {
			d.InsurerID = &in.InsurerID
		} else {
			errs.Add("insurer_id", "no such payer")
		}
	}
	if d.InsurerClaimNumber != "" && d.InsurerID == nil {
		errs.Add("insurer_claim_number", "needs the insurer (insurer_id) it was issued by")
	}
	if in.PIPLimit != nil {
		billing.ValidateMoney(&errs, "pip_limit", *in.PIPLimit, true)
	}
	if d.FollowUpDays == 0 {
		d.FollowUpDays = DefaultFollowUpDays
	}
	errs.Check(d.FollowUpDays >= 1 && d.FollowUpDays <= 365, "follow_up_days", "must be from 1 to 365")

	links, hasAttorney := s.checkContacts(g, &errs, in.Contacts)
	if in.LienReceivedOn != "" {
		on, err := time.Parse(time.DateOnly, in.LienReceivedOn)
		switch {
		case err != nil:
			errs.Add("lien_received_on", "must be a date YYYY-MM-DD")
		case on.After(today):
			errs.Add("lien_received_on", "must not be in the future")
		case !hasAttorney:
			errs.Add("lien_received_on", "a lien or letter of protection needs the patient's attorney among the contacts (role %s)", RolePatientAttorney)
		default:
			d.LienReceivedOn = &on
		}
	} else if d.LienDocument != "" {
		errs.Add("lien_document", "needs the date the lien was received (lien_received_on)")
	}
	if in.SOLDate != "" {
		sol, err := time.Parse(time.DateOnly, in.SOLDate)
		switch {
		case err != nil:
			errs.Add("sol_date", "must be a date YYYY-MM-DD")
		case !d.DateOfInjury.IsZero() && !sol.After(d.DateOfInjury):
			errs.Add("sol_date", "must be after the date of injury")
		default:
			d.SOLDate, d.SOLOverridden = sol, true
		}
	}
	if len(errs) > 0 {
		return CaseLegal{}, errs
	}
	err := g.Transaction(func(tx *gorm.DB) error {
		// The audit row carries the details before and after (PHI masked).
		var prev []Details
		if err := tx.Where("case_id = ?", cs.ID).Limit(1).Find(&prev).Error; err != nil {
			return fmt.Errorf("read legal details of case %s: %w", cs.ID, err)
		}
		var prevLinks []CaseContact
		if err := tx.Where("case_id = ?", cs.ID).Order("role").Find(&prevLinks).Error; err != nil {
			return fmt.Errorf("read contacts of case %s: %w", cs.ID, err)
		}
		before := map[string]any{}
		if len(prev) > 0 {
			before = legalAudit(prev[0], prevLinks)
		}
		if !d.SOLOverridden {
			years, err := solYearsOf(tx, d.AccidentState)
			if err != nil {
				return err
			}
			d.SOLDate = SOLDate(d.DateOfInjury, years)
		}
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&d).Error; err != nil {
			return fmt.Errorf("store legal details of case %s: %w", cs.ID, err)
		}
		if err := tx.Where("case_id = ?", cs.ID).Delete(&CaseContact{}).Error; err != nil {
			return fmt.Errorf("replace contacts of case %s: %w", cs.ID, err)
		}
		for _, l := range links {
			if err := tx.Create(&CaseContact{CaseID: cs.ID, Role: l.Role, ContactID: l.ContactID}).Error; err != nil {
				return fmt.Errorf("link contact to case %s: %w", cs.ID, err)
			}
		}
		newLinks := make([]CaseContact, len(links))
		for i, l := range links {
			newLinks[i] = CaseContact{CaseID: cs.ID, Role: l.Role, ContactID: l.ContactID}
		}
		return audit.Record(tx, actor, "case.legal", "case", cs.ID, audit.Merge(audit.Diff(before, legalAudit(d, newLinks)),
			map[string]any{"accident_kind": d.AccidentKind, "lien_on_file": d.LienOnFile(), "sol_overridden": d.SOLOverridden,
				"contacts": len(links)}))
	})
	if err != nil {
		return CaseLegal{}, err
	}
	return s.GetDetails(ctx, cs.ID)
}

// checkContacts validates the contacts by role and reports whether the
// patient's attorney is among them.
func (s *Service) checkContacts(g *gorm.DB, errs *validate.Errors, in []RoleContact) ([]RoleContact, bool) {
	seen := map[string]bool{}
	attorney := false
	for i, l := range in {
		f := fmt.Sprintf("contacts[%d].", i)
		if !slices.Contains(Roles, l.Role) {
			errs.Add(f+"role", "must be one of %s", strings.Join(Roles, ", "))
			continue
		}
		if seen[l.Role] {
			errs.Add(f+"role", "%s is named twice", l.Role)
			continue
		}
		seen[l.Role] = true
		var kind []string
		if err := g.Model(&Contact{}).Where("id = ?", l.ContactID).Pluck("kind", &kind).Error; err != nil || len(kind) == 0 {
			errs.Add(f+"contact_id", "no such contact")
			continue
		}
		if l.Role == RolePatientAttorney {
			if kind[0] != KindAttorney {
				errs.Add(f+"contact_id", "the patient's attorney must be a contact of kind attorney, not %s", kind[0])
				continue
			}
			attorney = true
		}
	}
	return in, attorney
}

func defaultAccidentKind(k cases.Kind) string {
	switch k {
	case cases.MVA:
		return AccidentAuto
	case cases.WorkersComp:
		return AccidentWork
	}
	return ""
}

// firstVisit is the service date of a case's first visit, if it has one.
func firstVisit(g *gorm.DB, caseID string) (time.Time, bool, error) {
	var days []time.Time
	err := g.Table("encounters").Where("case_id = ?", caseID).Order("service_date").Limit(1).Pluck("service_date", &days).Error
	if err != nil {
		return time.Time{}, false, fmt.Errorf("first visit of case %s: %w", caseID, err)
	}
	if len(days) == 0 {
		return time.Time{}, false, nil
	}
	return days[0], true, nil
}

// GetDetails reads a case's legal details and contacts; ErrNoDetails when none
// were recorded.
func (s *Service) GetDetails(ctx context.Context, caseID string) (CaseLegal, error) {
	g := s.DB.WithContext(ctx)
	var l CaseLegal
	res := g.Where("case_id = ?", caseID).Limit(1).Find(&l.Details)
	switch {
	case res.Error != nil:
		return l, fmt.Errorf("read legal details of case %s: %w", caseID, res.Error)
	case res.RowsAffected == 0:
		return l, ErrNoDetails
	}
	var rows []struct {
		Role string
		Contact
	}
	err := g.Table("case_contacts cc").Select("cc.role, c.*").Joins("JOIN contacts c ON c.id = cc.contact_id").
		Where("cc.case_id = ?", caseID).Order("cc.role").Scan(&rows).Error
	if err != nil {
		return l, fmt.Errorf("read contacts of case %s: %w", caseID, err)
	}
	l.Contacts = []LinkedContact{}
	for _, r := range rows {
		l.Contacts = append(l.Contacts, LinkedContact{Role: r.Role, Contact: r.Contact})
	}
	return l, nil
}

// legalAudit is a case's legal details as an audit row compares them: the
// date of injury, claim number and lien document are masked by audit.Diff.
func legalAudit(d Details, links []CaseContact) map[string]any {
	contacts := map[string]string{}
	for _, l := range links {
		contacts[l.Role] = l.ContactID
	}
	m := map[string]any{"date_of_injury": d.DateOfInjury.Format(time.DateOnly), "accident_state": d.AccidentState,
		"accident_kind": d.AccidentKind, "insurer_id": d.InsurerID, "insurer_claim_number": d.InsurerClaimNumber,
		"pip_limit": d.PIPLimit, "lien_document": d.LienDocument, "sol_date": d.SOLDate.Format(time.DateOnly),
		"sol_overridden": d.SOLOverridden, "follow_up_days": d.FollowUpDays, "contacts": contacts}
	if d.LienReceivedOn != nil {
		m["lien_received_on"] = d.LienReceivedOn.Format(time.DateOnly)
	}
	return m
}
