// Package scrub checks a professional claim (837P) before it is submitted.
//
// Scrubbing runs every rule and reports every failure at once, so a biller
// can fix a claim in one pass instead of one rejection at a time. Each rule
// is a named value ([Rule]) that can be run alone, replaced or left out; the
// tables the rules consult (required fields, places of service, modifier
// conflicts) are data, not code.
//
// The package has its own claim type ([Claim]) so that it depends on neither
// the database nor the X12 layer; the claims package maps its records onto
// it. Everything here is pure except [DuplicateFinder], which the caller
// supplies (for example as a database lookup run from an activity).
package scrub

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// Claim is the part of a professional claim that the rules inspect.
type Claim struct {
	// ID identifies the claim in this system.
	ID string
	// PatientControlNumber is CLM01, the claim's number as sent to the payer.
	PatientControlNumber string
	// Frequency is CLM05-3: "1" original, "7" replacement, "8" void.
	Frequency string
	// OriginalPayerClaimNumber is the payer's number for the claim being
	// replaced or voided (REF*F8); required when Frequency is "7" or "8".
	OriginalPayerClaimNumber string
	// Payer is the payer the claim is sent to.
	Payer Payer
	// BillingProvider is loop 2010AA.
	BillingProvider BillingProvider
	// RenderingProvider is loop 2310B; nil when it is the billing provider.
	RenderingProvider *RenderingProvider
	// Subscriber is loop 2010BA, the insured member.
	Subscriber Subscriber
	// Patient is loop 2010CA, used when the patient is not the subscriber.
	Patient Patient
	// PlaceOfService is CLM05-1, two digits ("11" office).
	PlaceOfService string
	// Diagnoses are ICD-10-CM codes, dotted or not, in HI order; the lines
	// point at them by 1-based position.
	Diagnoses []string
	// Lines are the service lines (loop 2400).
	Lines []Line
}

// Payer is the claim's destination.
type Payer struct {
	// Name is the payer's name (NM103 of loop 2010BB).
	Name string
	// PayerID is the X12 payer identifier (NM109 of loop 2010BB).
	PayerID string
	// TimelyFilingDays is how many days after the date of service the payer
	// accepts a claim; zero or less means no limit is known and none is
	// checked.
	TimelyFilingDays int
}

// BillingProvider is the organization or person that bills (loop 2010AA).
type BillingProvider struct {
	// Name is the organization name or the provider's last name.
	Name string
	// NPI is the billing provider's National Provider Identifier.
	NPI string
	// TaxID is the EIN or SSN (REF*EI or REF*SY).
	TaxID string
	// Taxonomy is the provider taxonomy code (PRV03); not checked.
	Taxonomy string
	// Address1 is the street address (N301).
	Address1 string
	// City is N401.
	City string
	// State is N402.
	State string
	// Zip is N403.
	Zip string
}

// RenderingProvider is the person who performed the services (loop 2310B).
type RenderingProvider struct {
	// FirstName is NM104.
	FirstName string
	// LastName is NM103.
	LastName string
	// NPI is NM109.
	NPI string
}

// Subscriber is the insured member (loop 2010BA).
type Subscriber struct {
	// MemberID is the payer's member identifier (NM109).
	MemberID string
	// FirstName is NM104.
	FirstName string
	// LastName is NM103.
	LastName string
	// DateOfBirth is DMG02.
	DateOfBirth time.Time
	// Relationship is the patient's relationship to the subscriber: one of
	// "self", "spouse", "child" or "other".
	Relationship string
	// Address1, City, State and Zip are N3/N4, checked when the subscriber is
	// the patient (the 837P requires them then).
	Address1 string
	City     string
	State    string
	Zip      string
}

// Patient is the person treated when it is not the subscriber (loop 2010CA).
type Patient struct {
	// FirstName is NM104.
	FirstName string
	// LastName is NM103.
	LastName string
	// DateOfBirth is DMG02.
	DateOfBirth time.Time
	// Sex is DMG03 ("F", "M" or "U"); not checked.
	Sex string
	// Address1, City, State and Zip are N3/N4 of loop 2010CA.
	Address1 string
	City     string
	State    string
	Zip      string
}

// Line is one service line (loop 2400).
type Line struct {
	// Number is the line number (LX01), 1-based.
	Number int
	// ProcedureCode is the CPT or HCPCS code (SV101-2).
	ProcedureCode string
	// Modifiers are SV101-3 to SV101-6.
	Modifiers []string
	// Units is SV104.
	Units int
	// Charge is SV102, the line's total charge.
	Charge decimal.Decimal
	// ServiceDate is DTP*472; only its calendar date is used.
	ServiceDate time.Time
	// DiagnosisPointers are SV107: 1-based positions in Claim.Diagnoses.
	DiagnosisPointers []int
}

// Failure is one problem found on a claim.
type Failure struct {
	// Rule is the name of the rule that failed.
	Rule string `json:"rule"`
	// Field is the path of the offending value, such as
	// "lines[2].procedure_code", "billing_provider.npi" or "diagnoses[0]".
	// Slice indexes are 0-based positions in the Claim, not line numbers.
	Field string `json:"field"`
	// Message says what is wrong, for a biller to read.
	Message string `json:"message"`
}

// Rule is one named, independently runnable claim check.
type Rule struct {
	// Name identifies the rule in failures; stable, kebab-case.
	Name string
	// Description says what the rule checks, for people.
	Description string
	// Check returns the rule's failures for c; nil when c passes. Failures
	// need not set Rule: [Run] sets it to Name.
	Check func(c Claim, env Env) []Failure
}

// Env is what rules may consult besides the claim.
type Env struct {
	// Now is the time the claim is scrubbed; service dates are compared
	// with its calendar date.
	Now time.Time
	// Duplicates finds other claims for the same services; nil skips the
	// duplicate-claim rule.
	Duplicates DuplicateFinder
}

// DuplicateFinder looks up claims that bill the same service again.
type DuplicateFinder interface {
	// FindDuplicates returns, for each line of c, the other claims (not
	// voided) for the same patient, service date, procedure code and payer.
	FindDuplicates(c Claim) ([]DuplicateRef, error)
}

// DuplicateRef is one line of a claim duplicated by another claim.
type DuplicateRef struct {
	// LineNumber is the Number of the duplicated line on the scrubbed claim.
	LineNumber int
	// ClaimID is the ID of the other claim.
	ClaimID string
	// PayerClaimNumber is the payer's number for the other claim, if known.
	// A replacement or void whose OriginalPayerClaimNumber equals it is not
	// a duplicate of that claim.
	PayerClaimNumber string
}

// Run checks c against every rule in rules and returns all their failures,
// sorted by the position of their rule in rules, then by field (numbers in
// paths compare numerically, so lines[2] comes before lines[10]), then by
// message. Each failure's Rule is set to its rule's Name.
//
// A clean claim yields nil failures and a nil error. An error from
// env.Duplicates stops the run and is returned (wrapped) with no failures:
// the claim was not fully scrubbed, so it must not be treated as clean.
func Run(c Claim, env Env, rules []Rule) ([]Failure, error) {
	trap := &errTrap{inner: env.Duplicates}
	if env.Duplicates != nil {
		env.Duplicates = trap
	}
	type ranked struct {
		rank int
		f    Failure
	}
	var all []ranked
	for i, r := range rules {
		if r.Check == nil {
			return nil, fmt.Errorf("scrub: rule %q has no Check", r.Name)
		}
		for _, f := range r.Check(c, env) {
			f.Rule = r.Name
			all = append(all, ranked{i, f})
		}
		if trap.err != nil {
			return nil, fmt.Errorf("scrub: rule %s: %w", r.Name, trap.err)
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(all, func(a, b ranked) int {
		return cmp.Or(
			cmp.Compare(a.rank, b.rank),
			compareFields(a.f.Field, b.f.Field),
			cmp.Compare(a.f.Message, b.f.Message),
		)
	})
	out := make([]Failure, len(all))
	for i, r := range all {
		out[i] = r.f
	}
	return out, nil
}

// errTrap passes lookups through to inner and keeps the first error, so that
// Run can return it although Rule.Check cannot.
type errTrap struct {
	inner DuplicateFinder
	err   error
}

// FindDuplicates calls the wrapped finder and records its first error.
func (t *errTrap) FindDuplicates(c Claim) ([]DuplicateRef, error) {
	refs, err := t.inner.FindDuplicates(c)
	if err != nil && t.err == nil {
		t.err = err
	}
	return refs, err
}

// compareFields orders field paths, comparing runs of digits as numbers.
func compareFields(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			na, ra := digitRun(a)
			nb, rb := digitRun(b)
			if c := compareNumbers(na, nb); c != 0 {
				return c
			}
			a, b = ra, rb
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

// digitRun splits s into its leading digits and the rest.
func digitRun(s string) (digits, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// compareNumbers compares two runs of decimal digits by value, then by
// length so that "01" and "1" still order deterministically.
func compareNumbers(a, b string) int {
	ta, tb := trimZeros(a), trimZeros(b)
	return cmp.Or(cmp.Compare(len(ta), len(tb)), cmp.Compare(ta, tb), cmp.Compare(len(a), len(b)))
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
