package scrub

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/clinicflow/rcm/internal/codes"
)

// Names of the default rules, in the order [DefaultRules] returns them.
const (
	// RuleRequiredFields names the required-fields rule.
	RuleRequiredFields = "required-fields"
	// RuleSubscriberRelationship names the subscriber-relationship rule.
	RuleSubscriberRelationship = "subscriber-relationship"
	// RuleNPICheckDigit names the npi-check-digit rule.
	RuleNPICheckDigit = "npi-check-digit"
	// RuleTaxIDFormat names the tax-id-format rule.
	RuleTaxIDFormat = "tax-id-format"
	// RuleICD10Format names the icd10-format rule.
	RuleICD10Format = "icd10-format"
	// RuleProcedureCodeFormat names the procedure-code-format rule.
	RuleProcedureCodeFormat = "procedure-code-format"
	// RuleModifierValidity names the modifier-validity rule.
	RuleModifierValidity = "modifier-validity"
	// RuleDiagnosisPointers names the diagnosis-pointers rule.
	RuleDiagnosisPointers = "diagnosis-pointers"
	// RuleDiagnosisUnused names the diagnosis-unused rule.
	RuleDiagnosisUnused = "diagnosis-unused"
	// RuleServiceDates names the service-dates rule.
	RuleServiceDates = "service-dates"
	// RuleUnitsAndAmounts names the positive-units-and-amounts rule.
	RuleUnitsAndAmounts = "positive-units-and-amounts"
	// RuleFrequency names the frequency rule.
	RuleFrequency = "frequency"
	// RuleDuplicateClaim names the duplicate-claim rule.
	RuleDuplicateClaim = "duplicate-claim"
	// RulePlaceOfService names the place-of-service rule.
	RulePlaceOfService = "place-of-service"
	// RuleAddresses names the edi-addresses rule.
	RuleAddresses = "edi-addresses"
)

// Limits of a professional claim (837P) enforced by the rules.
const (
	// MaxDiagnoses is the number of diagnoses an 837P claim carries (HI).
	MaxDiagnoses = 12
	// MaxPointers is the number of diagnosis pointers on a line (SV107).
	MaxPointers = 4
	// MaxModifiers is the number of modifiers on a line (SV101-3..6).
	MaxModifiers = 4
)

// DefaultRules returns the standard rule set, a new slice on every call.
//
// diagnosis-unused is a failure, not a warning, because the package has no
// severities and because a diagnosis no line points at is almost always a
// charge-capture slip (a pointer forgotten) that weakens the medical-necessity
// link payers check; a caller that tolerates it leaves the rule out.
func DefaultRules() []Rule {
	return []Rule{
		{RuleRequiredFields, "every loop has the elements an 837P requires: billing provider, payer, subscriber, patient (when not the subscriber), rendering provider (when given), lines, diagnoses and place of service", checkRequired},
		{RuleSubscriberRelationship, "the patient's relationship to the subscriber is self, spouse, child or other", checkRelationship},
		{RuleNPICheckDigit, "billing and rendering NPIs are ten digits with a valid check digit", checkNPIs},
		{RuleTaxIDFormat, "the billing provider's tax ID is an EIN (NN-NNNNNNN) or nine digits", checkTaxID},
		{RuleICD10Format, "each diagnosis is a well-formed ICD-10-CM code, listed once", checkICD10},
		{RuleProcedureCodeFormat, "each line's procedure code is a CPT or HCPCS Level II code", checkProcedureCodes},
		{RuleModifierValidity, "each line has at most 4 well-formed, distinct, compatible modifiers", checkModifiers},
		{RuleDiagnosisPointers, "at most 12 diagnoses; each line has 1 to 4 distinct pointers at existing diagnoses", checkPointers},
		{RuleDiagnosisUnused, "every diagnosis is pointed at by at least one line", checkUnusedDiagnoses},
		{RuleServiceDates, "service dates are not in the future, not before the patient's birth and within the payer's timely-filing limit", checkServiceDates},
		{RuleUnitsAndAmounts, "each line has at least one unit and a positive charge with at most 2 decimals", checkUnitsAndAmounts},
		{RuleFrequency, "the frequency code is 1, 7 or 8, and 7 and 8 name the original payer claim number", checkFrequency},
		{RuleDuplicateClaim, "no line bills a service already billed on another claim", checkDuplicates},
		{RulePlaceOfService, "the place of service is one of the supported two-digit codes", checkPlaceOfService},
		{RuleAddresses, "the billing provider's ZIP code is the 9-digit ZIP+4 and the patient has a street address, city, state and ZIP code (the 837P requires both)", checkAddresses},
	}
}

// placesOfService are the CMS place-of-service codes this system bills.
// Extend the table to support another setting.
var placesOfService = map[string]string{
	"02": "Telehealth provided other than in patient's home",
	"10": "Telehealth provided in patient's home",
	"11": "Office",
	"12": "Home",
	"19": "Off campus-outpatient hospital",
	"20": "Urgent care facility",
	"21": "Inpatient hospital",
	"22": "On campus-outpatient hospital",
	"23": "Emergency room - hospital",
	"49": "Independent clinic",
	"81": "Independent laboratory",
}

// PlacesOfService returns the supported place-of-service codes and their
// CMS names, as a copy.
func PlacesOfService() map[string]string {
	return maps.Clone(placesOfService)
}

// modifierConflicts are pairs of modifiers that cannot appear on the same
// line: bilateral (50) already means both sides, and a line is not both left
// and right.
var modifierConflicts = [][2]string{
	{"50", "LT"},
	{"50", "RT"},
	{"LT", "RT"},
}

// relationships are the accepted values of Subscriber.Relationship.
var relationships = []string{"self", "spouse", "child", "other"}

// frequencies are the accepted claim frequency codes and whether each needs
// the original payer claim number.
var frequencies = map[string]bool{"1": false, "7": true, "8": true}

// requirement is one element that must be present.
type requirement struct {
	field   string
	present func(c Claim) bool
}

func str(get func(c Claim) string) func(Claim) bool {
	return func(c Claim) bool { return !blank(get(c)) }
}

func date(get func(c Claim) time.Time) func(Claim) bool {
	return func(c Claim) bool { return !get(c).IsZero() }
}

// claimRequirements are checked on every claim.
var claimRequirements = []requirement{
	{"patient_control_number", str(func(c Claim) string { return c.PatientControlNumber })},
	{"billing_provider.name", str(func(c Claim) string { return c.BillingProvider.Name })},
	{"billing_provider.npi", str(func(c Claim) string { return c.BillingProvider.NPI })},
	{"billing_provider.tax_id", str(func(c Claim) string { return c.BillingProvider.TaxID })},
	{"billing_provider.address1", str(func(c Claim) string { return c.BillingProvider.Address1 })},
	{"billing_provider.city", str(func(c Claim) string { return c.BillingProvider.City })},
	{"billing_provider.state", str(func(c Claim) string { return c.BillingProvider.State })},
	{"billing_provider.zip", str(func(c Claim) string { return c.BillingProvider.Zip })},
	{"payer.name", str(func(c Claim) string { return c.Payer.Name })},
	{"payer.payer_id", str(func(c Claim) string { return c.Payer.PayerID })},
	{"subscriber.member_id", str(func(c Claim) string { return c.Subscriber.MemberID })},
	{"subscriber.first_name", str(func(c Claim) string { return c.Subscriber.FirstName })},
	{"subscriber.last_name", str(func(c Claim) string { return c.Subscriber.LastName })},
	{"subscriber.date_of_birth", date(func(c Claim) time.Time { return c.Subscriber.DateOfBirth })},
	{"subscriber.relationship", str(func(c Claim) string { return c.Subscriber.Relationship })},
	{"place_of_service", str(func(c Claim) string { return c.PlaceOfService })},
	{"diagnoses", func(c Claim) bool { return len(c.Diagnoses) > 0 }},
	{"lines", func(c Claim) bool { return len(c.Lines) > 0 }},
}

// patientRequirements are checked when the patient is not the subscriber.
var patientRequirements = []requirement{
	{"patient.first_name", str(func(c Claim) string { return c.Patient.FirstName })},
	{"patient.last_name", str(func(c Claim) string { return c.Patient.LastName })},
	{"patient.date_of_birth", date(func(c Claim) time.Time { return c.Patient.DateOfBirth })},
}

// renderingRequirements are checked when a rendering provider is given.
var renderingRequirements = []requirement{
	{"rendering_provider.last_name", str(func(c Claim) string { return c.RenderingProvider.LastName })},
	{"rendering_provider.npi", str(func(c Claim) string { return c.RenderingProvider.NPI })},
}

// lineRequirements are checked on every line; field is relative to the line.
var lineRequirements = []struct {
	field   string
	present func(l Line) bool
}{
	{"procedure_code", func(l Line) bool { return !blank(l.ProcedureCode) }},
	{"service_date", func(l Line) bool { return !l.ServiceDate.IsZero() }},
}

func checkRequired(c Claim, _ Env) []Failure {
	var fs failures
	check := func(reqs []requirement) {
		for _, r := range reqs {
			if !r.present(c) {
				fs.add(r.field, "is required")
			}
		}
	}
	check(claimRequirements)
	if rel := strings.TrimSpace(c.Subscriber.Relationship); rel != "" && rel != "self" {
		check(patientRequirements)
	}
	if c.RenderingProvider != nil {
		check(renderingRequirements)
	}
	for i, l := range c.Lines {
		for _, r := range lineRequirements {
			if !r.present(l) {
				fs.add(lineField(i, r.field), "is required")
			}
		}
	}
	return fs
}

func checkRelationship(c Claim, _ Env) []Failure {
	var fs failures
	rel := c.Subscriber.Relationship
	if !blank(rel) && !slices.Contains(relationships, rel) {
		fs.add("subscriber.relationship", "%q is not one of %s", rel, strings.Join(relationships, ", "))
	}
	return fs
}

func checkNPIs(c Claim, _ Env) []Failure {
	var fs failures
	check := func(field, npi string) {
		if !blank(npi) && !codes.ValidNPI(npi) {
			fs.add(field, "%q is not an NPI (ten digits with a valid check digit)", npi)
		}
	}
	check("billing_provider.npi", c.BillingProvider.NPI)
	if c.RenderingProvider != nil {
		check("rendering_provider.npi", c.RenderingProvider.NPI)
	}
	return fs
}

func checkTaxID(c Claim, _ Env) []Failure {
	var fs failures
	if id := c.BillingProvider.TaxID; !blank(id) && !codes.ValidTaxID(id) {
		fs.add("billing_provider.tax_id", "%q is not a tax ID (NN-NNNNNNN or nine digits)", id)
	}
	return fs
}

func checkICD10(c Claim, _ Env) []Failure {
	var fs failures
	first := map[string]int{}
	for i, d := range c.Diagnoses {
		field := fmt.Sprintf("diagnoses[%d]", i)
		if !codes.ValidICD10CM(d) {
			fs.add(field, "%q is not an ICD-10-CM code (e.g. E11.9)", d)
			continue
		}
		n := codes.NormalizeICD10(d)
		if j, dup := first[n]; dup {
			fs.add(field, "%q repeats diagnoses[%d]", d, j)
			continue
		}
		first[n] = i
	}
	return fs
}

func checkProcedureCodes(c Claim, _ Env) []Failure {
	var fs failures
	for i, l := range c.Lines {
		if !blank(l.ProcedureCode) && !codes.ValidProcedureCode(l.ProcedureCode) {
			fs.add(lineField(i, "procedure_code"), "line %d: %q is not a CPT (5 digits, or 4 digits + F/T) or HCPCS Level II (letter A-V + 4 digits) code", l.Number, l.ProcedureCode)
		}
	}
	return fs
}

func checkModifiers(c Claim, _ Env) []Failure {
	var fs failures
	for i, l := range c.Lines {
		if len(l.Modifiers) > MaxModifiers {
			fs.add(lineField(i, "modifiers"), "line %d has %d modifiers; at most %d are allowed", l.Number, len(l.Modifiers), MaxModifiers)
		}
		seen := map[string]int{}
		for j, m := range l.Modifiers {
			field := lineField(i, fmt.Sprintf("modifiers[%d]", j))
			n := codes.NormalizeProcedure(m)
			if !codes.ValidModifier(m) {
				fs.add(field, "line %d: %q is not a two-character modifier", l.Number, m)
				continue
			}
			if k, dup := seen[n]; dup {
				fs.add(field, "line %d: %q repeats modifiers[%d]", l.Number, m, k)
				continue
			}
			seen[n] = j
		}
		for _, pair := range modifierConflicts {
			a, okA := seen[pair[0]]
			b, okB := seen[pair[1]]
			if okA && okB {
				fs.add(lineField(i, fmt.Sprintf("modifiers[%d]", max(a, b))),
					"line %d: modifiers %s and %s cannot be used together", l.Number, pair[0], pair[1])
			}
		}
	}
	return fs
}

func checkPointers(c Claim, _ Env) []Failure {
	var fs failures
	if len(c.Diagnoses) > MaxDiagnoses {
		fs.add("diagnoses", "%d diagnoses; at most %d are allowed", len(c.Diagnoses), MaxDiagnoses)
	}
	for i, l := range c.Lines {
		switch n := len(l.DiagnosisPointers); {
		case n == 0:
			fs.add(lineField(i, "diagnosis_pointers"), "line %d must point at 1 to %d diagnoses", l.Number, MaxPointers)
		case n > MaxPointers:
			fs.add(lineField(i, "diagnosis_pointers"), "line %d has %d diagnosis pointers; at most %d are allowed", l.Number, n, MaxPointers)
		}
		seen := map[int]bool{}
		for j, p := range l.DiagnosisPointers {
			field := lineField(i, fmt.Sprintf("diagnosis_pointers[%d]", j))
			switch {
			case p < 1 || p > len(c.Diagnoses):
				fs.add(field, "line %d: pointer %d does not point at one of the %d diagnoses", l.Number, p, len(c.Diagnoses))
			case seen[p]:
				fs.add(field, "line %d: pointer %d is repeated", l.Number, p)
			}
			seen[p] = true
		}
	}
	return fs
}

func checkUnusedDiagnoses(c Claim, _ Env) []Failure {
	var fs failures
	if len(c.Lines) == 0 { // required-fields reports the missing lines
		return nil
	}
	used := map[int]bool{}
	for _, l := range c.Lines {
		for _, p := range l.DiagnosisPointers {
			used[p] = true
		}
	}
	for i, d := range c.Diagnoses {
		if !used[i+1] {
			fs.add(fmt.Sprintf("diagnoses[%d]", i), "%q is not pointed at by any line", d)
		}
	}
	return fs
}

func checkServiceDates(c Claim, env Env) []Failure {
	var fs failures
	today := civilDate(env.Now)
	dob, dobField := c.Patient.DateOfBirth, "patient.date_of_birth"
	if strings.TrimSpace(c.Subscriber.Relationship) == "self" || dob.IsZero() {
		dob, dobField = c.Subscriber.DateOfBirth, "subscriber.date_of_birth"
	}
	for i, l := range c.Lines {
		if l.ServiceDate.IsZero() { // required-fields reports it
			continue
		}
		field := lineField(i, "service_date")
		day := civilDate(l.ServiceDate)
		if day.After(today) {
			fs.add(field, "line %d: service date %s is in the future", l.Number, ymd(day))
			continue
		}
		if !dob.IsZero() && day.Before(civilDate(dob)) {
			fs.add(field, "line %d: service date %s is before the patient's date of birth %s (%s)", l.Number, ymd(day), ymd(civilDate(dob)), dobField)
			continue
		}
		if limit := c.Payer.TimelyFilingDays; limit > 0 {
			deadline := day.AddDate(0, 0, limit)
			if today.After(deadline) {
				past := int(today.Sub(deadline).Hours() / 24)
				fs.add(field, "line %d: service date %s is %d %s past the payer's %d-day timely-filing limit (deadline %s)",
					l.Number, ymd(day), past, plural(past, "day", "days"), limit, ymd(deadline))
			}
		}
	}
	return fs
}

func checkUnitsAndAmounts(c Claim, _ Env) []Failure {
	var fs failures
	for i, l := range c.Lines {
		if l.Units < 1 {
			fs.add(lineField(i, "units"), "line %d: units must be at least 1, not %d", l.Number, l.Units)
		}
		switch {
		case !l.Charge.IsPositive():
			fs.add(lineField(i, "charge"), "line %d: charge must be greater than zero, not %s", l.Number, l.Charge.String())
		case !l.Charge.Equal(l.Charge.Round(2)):
			fs.add(lineField(i, "charge"), "line %d: charge %s has more than 2 decimal places", l.Number, l.Charge.String())
		}
	}
	return fs
}

func checkFrequency(c Claim, _ Env) []Failure {
	var fs failures
	needsOriginal, ok := frequencies[c.Frequency]
	switch {
	case !ok:
		fs.add("frequency", "%q is not a claim frequency code (1 original, 7 replacement, 8 void)", c.Frequency)
	case needsOriginal && blank(c.OriginalPayerClaimNumber):
		fs.add("original_payer_claim_number", "is required for frequency %s (the payer's claim number of the claim being replaced or voided)", c.Frequency)
	}
	return fs
}

func checkDuplicates(c Claim, env Env) []Failure {
	if env.Duplicates == nil {
		return nil
	}
	refs, err := env.Duplicates.FindDuplicates(c)
	if err != nil { // Run returns the error
		return nil
	}
	var fs failures
	for _, r := range refs {
		if r.ClaimID == c.ID && c.ID != "" {
			continue
		}
		if frequencies[c.Frequency] && r.PayerClaimNumber != "" && r.PayerClaimNumber == strings.TrimSpace(c.OriginalPayerClaimNumber) {
			continue // the claim this one replaces or voids
		}
		field := "lines"
		for i, l := range c.Lines {
			if l.Number == r.LineNumber {
				field = fmt.Sprintf("lines[%d]", i)
				break
			}
		}
		fs.add(field, "line %d duplicates claim %s (same patient, service date, procedure code and payer)", r.LineNumber, r.ClaimID)
	}
	return fs
}

func checkPlaceOfService(c Claim, _ Env) []Failure {
	var fs failures
	pos := c.PlaceOfService
	if blank(pos) { // required-fields reports it
		return nil
	}
	if _, ok := placesOfService[pos]; !ok {
		fs.add("place_of_service", "%q is not a supported place of service (two digits, e.g. 11 office)", pos)
	}
	return fs
}

// checkAddresses checks the addresses the 837P (X222A1) requires and its
// writer refuses to invent: the billing provider's ZIP+4 (2010AA N403) and
// the patient's address (2010BA N3/N4 when the patient is the subscriber,
// 2010CA N3/N4 otherwise). A blank billing ZIP is left to required-fields.
func checkAddresses(c Claim, _ Env) []Failure {
	var fs failures
	if zip := c.BillingProvider.Zip; !blank(zip) && len(zipDigits(zip)) != 9 {
		fs.add("billing_provider.zip", "%q is not a 9-digit ZIP+4 code (the 837P requires ZIP+4 for the billing provider)", zip)
	}
	who, a := "patient", [4]string{c.Patient.Address1, c.Patient.City, c.Patient.State, c.Patient.Zip}
	if rel := strings.TrimSpace(c.Subscriber.Relationship); rel == "self" || rel == "" {
		s := c.Subscriber
		who, a = "subscriber", [4]string{s.Address1, s.City, s.State, s.Zip}
	}
	for i, name := range []string{"address1", "city", "state", "zip"} {
		if blank(a[i]) {
			fs.add(who+"."+name, "is required (the 837P sends the patient's address)")
		}
	}
	if zip := a[3]; !blank(zip) && len(zipDigits(zip)) != 5 && len(zipDigits(zip)) != 9 {
		fs.add(who+".zip", "%q is not a 5- or 9-digit ZIP code", zip)
	}
	return fs
}

// zipDigits is zip without its dash or spaces ("62701-1234" -> "627011234");
// any other character is kept, so that it fails the length check.
func zipDigits(zip string) string {
	return strings.NewReplacer("-", "", " ", "").Replace(zip)
}

// failures collects a rule's failures; Run sets their rule name.
type failures []Failure

func (f *failures) add(field, format string, args ...any) {
	*f = append(*f, Failure{Field: field, Message: fmt.Sprintf(format, args...)})
}

func lineField(i int, field string) string {
	return fmt.Sprintf("lines[%d].%s", i, field)
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// civilDate returns t's calendar date (in t's own location) at midnight UTC,
// so that dates compare and subtract in whole days.
func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func ymd(t time.Time) string { return t.Format(time.DateOnly) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
