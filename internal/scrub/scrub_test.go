package scrub

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// now is the scrub time used by every test: mid-afternoon, so that calendar
// dates, not instants, must be compared.
var now = time.Date(2026, time.March, 10, 15, 30, 0, 0, time.UTC)

// fakeFinder returns fixed duplicates or an error and counts its calls.
type fakeFinder struct {
	refs  []DuplicateRef
	err   error
	calls int
}

func (f *fakeFinder) FindDuplicates(Claim) ([]DuplicateRef, error) {
	f.calls++
	return f.refs, f.err
}

func env() Env { return Env{Now: now, Duplicates: &fakeFinder{}} }

// cleanClaim returns a claim that passes every default rule.
func cleanClaim() Claim {
	return Claim{
		ID:                   "claim-1",
		PatientControlNumber: "PCN0001",
		Frequency:            "1",
		Payer:                Payer{Name: "Acme Health", PayerID: "ACME1", TimelyFilingDays: 365},
		BillingProvider: BillingProvider{
			Name: "Main St Clinic", NPI: "1234567893", TaxID: "12-3456789", Taxonomy: "207Q00000X",
			Address1: "1 Main St", City: "Springfield", State: "IL", Zip: "627011234",
		},
		RenderingProvider: &RenderingProvider{FirstName: "Ada", LastName: "Lovelace", NPI: "1987654328"},
		Subscriber: Subscriber{
			MemberID: "M123", FirstName: "John", LastName: "Roe",
			DateOfBirth: day(1978, time.May, 1), Relationship: "spouse",
		},
		Patient: Patient{FirstName: "Jane", LastName: "Roe", DateOfBirth: day(1980, time.February, 3), Sex: "F",
			Address1: "5 Elm St", City: "Springfield", State: "IL", Zip: "62704"},
		PlaceOfService: "11",
		Diagnoses:      []string{"E11.9", "I10"},
		Lines: []Line{
			{Number: 1, ProcedureCode: "99213", Modifiers: []string{"25"}, Units: 1,
				Charge: decimal.RequireFromString("125.00"), ServiceDate: day(2026, time.March, 2), DiagnosisPointers: []int{1, 2}},
			{Number: 2, ProcedureCode: "36415", Units: 2,
				Charge: decimal.RequireFromString("31"), ServiceDate: day(2026, time.March, 2), DiagnosisPointers: []int{1}},
		},
	}
}

func ruleNamed(t *testing.T, name string) Rule {
	t.Helper()
	for _, r := range DefaultRules() {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no default rule %q", name)
	return Rule{}
}

func TestCleanClaimPasses(t *testing.T) {
	e := env()
	fs, err := Run(cleanClaim(), e, DefaultRules())
	require.NoError(t, err)
	assert.Empty(t, fs)
	assert.Equal(t, 1, e.Duplicates.(*fakeFinder).calls, "duplicate finder consulted once")

	// Self-pay variants of a clean claim stay clean.
	c := cleanClaim()
	c.Subscriber.Relationship = "self"
	c.Subscriber.Address1, c.Subscriber.City, c.Subscriber.State, c.Subscriber.Zip = "5 Elm St", "Springfield", "IL", "62704-1234"
	c.Patient = Patient{}
	c.RenderingProvider = nil
	c.Diagnoses = []string{"e119", " I10 "}
	fs, err = Run(c, Env{Now: now}, DefaultRules())
	require.NoError(t, err)
	assert.Empty(t, fs)
}

func TestDefaultRules(t *testing.T) {
	rules := DefaultRules()
	names := map[string]bool{}
	for _, r := range rules {
		assert.NotEmpty(t, r.Name)
		assert.NotEmpty(t, r.Description, r.Name)
		assert.NotNil(t, r.Check, r.Name)
		assert.False(t, names[r.Name], "rule %s listed twice", r.Name)
		names[r.Name] = true
	}
	rules[0].Name = "changed"
	assert.Equal(t, RuleRequiredFields, DefaultRules()[0].Name, "DefaultRules returns a fresh slice")
}

// failingCases has, for every default rule, claims that fail it.
var failingCases = []struct {
	name    string
	rule    string
	field   string
	message string // substring of the failure's message
	mutate  func(c *Claim)
	env     func(e *Env)
}{
	{"billing NPI missing", RuleRequiredFields, "billing_provider.npi", "is required", func(c *Claim) { c.BillingProvider.NPI = " " }, nil},
	{"billing zip missing", RuleRequiredFields, "billing_provider.zip", "is required", func(c *Claim) { c.BillingProvider.Zip = "" }, nil},
	{"payer id missing", RuleRequiredFields, "payer.payer_id", "is required", func(c *Claim) { c.Payer.PayerID = "" }, nil},
	{"subscriber DOB missing", RuleRequiredFields, "subscriber.date_of_birth", "is required", func(c *Claim) { c.Subscriber.DateOfBirth = time.Time{} }, nil},
	{"patient name missing when not self", RuleRequiredFields, "patient.last_name", "is required", func(c *Claim) { c.Patient.LastName = "" }, nil},
	{"rendering NPI missing", RuleRequiredFields, "rendering_provider.npi", "is required", func(c *Claim) { c.RenderingProvider.NPI = "" }, nil},
	{"no lines", RuleRequiredFields, "lines", "is required", func(c *Claim) { c.Lines = nil }, nil},
	{"no diagnoses", RuleRequiredFields, "diagnoses", "is required", func(c *Claim) { c.Diagnoses = nil }, nil},
	{"no place of service", RuleRequiredFields, "place_of_service", "is required", func(c *Claim) { c.PlaceOfService = "" }, nil},
	{"line service date missing", RuleRequiredFields, "lines[1].service_date", "is required", func(c *Claim) { c.Lines[1].ServiceDate = time.Time{} }, nil},
	{"unknown relationship", RuleSubscriberRelationship, "subscriber.relationship", `"cousin"`, func(c *Claim) { c.Subscriber.Relationship = "cousin" }, nil},
	{"billing NPI check digit", RuleNPICheckDigit, "billing_provider.npi", "check digit", func(c *Claim) { c.BillingProvider.NPI = "1234567890" }, nil},
	{"rendering NPI too short", RuleNPICheckDigit, "rendering_provider.npi", `"123"`, func(c *Claim) { c.RenderingProvider.NPI = "123" }, nil},
	{"tax id shape", RuleTaxIDFormat, "billing_provider.tax_id", "NN-NNNNNNN", func(c *Claim) { c.BillingProvider.TaxID = "123-45-6789" }, nil},
	{"bad diagnosis", RuleICD10Format, "diagnoses[1]", `"11.9"`, func(c *Claim) { c.Diagnoses[1] = "11.9" }, nil},
	{"repeated diagnosis", RuleICD10Format, "diagnoses[1]", "repeats diagnoses[0]", func(c *Claim) { c.Diagnoses[1] = "e119" }, nil},
	{"bad procedure code", RuleProcedureCodeFormat, "lines[0].procedure_code", `"9921"`, func(c *Claim) { c.Lines[0].ProcedureCode = "9921" }, nil},
	{"bad modifier", RuleModifierValidity, "lines[0].modifiers[0]", "two-character", func(c *Claim) { c.Lines[0].Modifiers = []string{"2"} }, nil},
	{"too many modifiers", RuleModifierValidity, "lines[0].modifiers", "at most 4", func(c *Claim) { c.Lines[0].Modifiers = []string{"25", "59", "XS", "GT", "76"} }, nil},
	{"repeated modifier", RuleModifierValidity, "lines[1].modifiers[1]", "repeats modifiers[0]", func(c *Claim) { c.Lines[1].Modifiers = []string{"59", "59"} }, nil},
	{"bilateral with side", RuleModifierValidity, "lines[1].modifiers[1]", "50 and LT cannot be used together", func(c *Claim) { c.Lines[1].Modifiers = []string{"50", "lt"} }, nil},
	{"too many diagnoses", RuleDiagnosisPointers, "diagnoses", "at most 12", func(c *Claim) {
		c.Diagnoses = []string{"A00", "A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A09", "B00", "B01", "B02"}
	}, nil},
	{"no pointers", RuleDiagnosisPointers, "lines[1].diagnosis_pointers", "1 to 4", func(c *Claim) { c.Lines[1].DiagnosisPointers = nil }, nil},
	{"too many pointers", RuleDiagnosisPointers, "lines[0].diagnosis_pointers", "at most 4", func(c *Claim) {
		c.Diagnoses = []string{"A00", "A01", "A02", "A03", "A04"}
		c.Lines[0].DiagnosisPointers = []int{1, 2, 3, 4, 5}
	}, nil},
	{"pointer out of range", RuleDiagnosisPointers, "lines[0].diagnosis_pointers[1]", "pointer 3", func(c *Claim) { c.Lines[0].DiagnosisPointers = []int{1, 3} }, nil},
	{"pointer zero", RuleDiagnosisPointers, "lines[1].diagnosis_pointers[0]", "pointer 0", func(c *Claim) { c.Lines[1].DiagnosisPointers = []int{0} }, nil},
	{"repeated pointer", RuleDiagnosisPointers, "lines[1].diagnosis_pointers[1]", "repeated", func(c *Claim) { c.Lines[1].DiagnosisPointers = []int{1, 1} }, nil},
	{"unused diagnosis", RuleDiagnosisUnused, "diagnoses[1]", `"I10" is not pointed at`, func(c *Claim) { c.Lines[0].DiagnosisPointers = []int{1} }, nil},
	{"future service date", RuleServiceDates, "lines[1].service_date", "in the future", func(c *Claim) { c.Lines[1].ServiceDate = day(2026, time.March, 11) }, nil},
	{"before patient birth", RuleServiceDates, "lines[0].service_date", "before the patient's date of birth 1980-02-03", func(c *Claim) { c.Lines[0].ServiceDate = day(1980, time.February, 2) }, nil},
	{"before subscriber birth when self", RuleServiceDates, "lines[0].service_date", "subscriber.date_of_birth", func(c *Claim) {
		c.Subscriber.Relationship = "self"
		c.Lines[0].ServiceDate = day(1978, time.April, 30)
	}, nil},
	{"timely filing", RuleServiceDates, "lines[0].service_date", "70 days past the payer's 90-day timely-filing limit (deadline 2025-12-30)", func(c *Claim) {
		c.Payer.TimelyFilingDays = 90
		c.Lines[0].ServiceDate = day(2025, time.October, 1)
	}, nil},
	{"zero units", RuleUnitsAndAmounts, "lines[1].units", "at least 1", func(c *Claim) { c.Lines[1].Units = 0 }, nil},
	{"zero charge", RuleUnitsAndAmounts, "lines[0].charge", "greater than zero", func(c *Claim) { c.Lines[0].Charge = decimal.Zero }, nil},
	{"negative charge", RuleUnitsAndAmounts, "lines[0].charge", "greater than zero", func(c *Claim) { c.Lines[0].Charge = decimal.RequireFromString("-5") }, nil},
	{"three decimals", RuleUnitsAndAmounts, "lines[1].charge", "more than 2 decimal places", func(c *Claim) { c.Lines[1].Charge = decimal.RequireFromString("15.505") }, nil},
	{"unknown frequency", RuleFrequency, "frequency", `"6"`, func(c *Claim) { c.Frequency = "6" }, nil},
	{"blank frequency", RuleFrequency, "frequency", `""`, func(c *Claim) { c.Frequency = "" }, nil},
	{"replacement without original", RuleFrequency, "original_payer_claim_number", "frequency 7", func(c *Claim) { c.Frequency = "7" }, nil},
	{"void without original", RuleFrequency, "original_payer_claim_number", "frequency 8", func(c *Claim) { c.Frequency = "8" }, nil},
	{"duplicate line", RuleDuplicateClaim, "lines[1]", "line 2 duplicates claim claim-9", nil, func(e *Env) {
		e.Duplicates = &fakeFinder{refs: []DuplicateRef{{LineNumber: 2, ClaimID: "claim-9"}}}
	}},
	{"place of service not supported", RulePlaceOfService, "place_of_service", `"99"`, func(c *Claim) { c.PlaceOfService = "99" }, nil},
	{"place of service one digit", RulePlaceOfService, "place_of_service", `"1"`, func(c *Claim) { c.PlaceOfService = "1" }, nil},
	{"billing ZIP without +4", RuleAddresses, "billing_provider.zip", `"62701" is not a 9-digit ZIP+4`, func(c *Claim) { c.BillingProvider.Zip = "62701" }, nil},
	{"patient without address", RuleAddresses, "patient.address1", "is required", func(c *Claim) { c.Patient.Address1 = "" }, nil},
	{"patient without ZIP", RuleAddresses, "patient.zip", "is required", func(c *Claim) { c.Patient.Zip = " " }, nil},
	{"patient ZIP malformed", RuleAddresses, "patient.zip", `"6270" is not a 5- or 9-digit ZIP`, func(c *Claim) { c.Patient.Zip = "6270" }, nil},
	{"self subscriber without address", RuleAddresses, "subscriber.city", "is required", func(c *Claim) { c.Subscriber.Relationship = "self" }, nil},
}

func TestEveryRuleFails(t *testing.T) {
	for _, tt := range failingCases {
		t.Run(tt.name, func(t *testing.T) {
			c := cleanClaim()
			if tt.mutate != nil {
				tt.mutate(&c)
			}
			e := env()
			if tt.env != nil {
				tt.env(&e)
			}

			// With every rule.
			fs, err := Run(c, e, DefaultRules())
			require.NoError(t, err)
			assertHasFailure(t, fs, tt.rule, tt.field, tt.message)

			// With the rule alone: only its failures, and the expected one.
			fs, err = Run(c, e, []Rule{ruleNamed(t, tt.rule)})
			require.NoError(t, err)
			assertHasFailure(t, fs, tt.rule, tt.field, tt.message)
			for _, f := range fs {
				assert.Equal(t, tt.rule, f.Rule)
			}
		})
	}
}

func TestEveryDefaultRuleHasAFailingCase(t *testing.T) {
	covered := map[string]bool{}
	for _, tt := range failingCases {
		covered[tt.rule] = true
	}
	for _, r := range DefaultRules() {
		assert.True(t, covered[r.Name], "no failing case for rule %s", r.Name)
	}
}

func assertHasFailure(t *testing.T, fs []Failure, rule, field, message string) {
	t.Helper()
	for _, f := range fs {
		if f.Rule == rule && f.Field == field {
			assert.Contains(t, f.Message, message)
			return
		}
	}
	t.Errorf("no %s failure on %s in %+v", rule, field, fs)
}

func TestManyProblemsReportedAtOnce(t *testing.T) {
	c := cleanClaim()
	c.BillingProvider.NPI = "1234567890"
	c.Payer.Name = ""
	c.Diagnoses = []string{"E11.9", "XYZ", "I10"}
	c.Lines[0].ProcedureCode = "9921"
	c.Lines[0].DiagnosisPointers = []int{1, 4}
	c.Lines[1].Units = 0
	c.Lines[1].Charge = decimal.RequireFromString("1.001")
	c.PlaceOfService = "77"
	c.Frequency = "7"
	e := Env{Now: now, Duplicates: &fakeFinder{refs: []DuplicateRef{{LineNumber: 1, ClaimID: "claim-2"}}}}

	fs, err := Run(c, e, DefaultRules())
	require.NoError(t, err)
	type rf struct{ Rule, Field string }
	var got []rf
	for _, f := range fs {
		got = append(got, rf{f.Rule, f.Field})
	}
	assert.Equal(t, []rf{
		{RuleRequiredFields, "payer.name"},
		{RuleNPICheckDigit, "billing_provider.npi"},
		{RuleICD10Format, "diagnoses[1]"},
		{RuleProcedureCodeFormat, "lines[0].procedure_code"},
		{RuleDiagnosisPointers, "lines[0].diagnosis_pointers[1]"},
		{RuleDiagnosisUnused, "diagnoses[1]"},
		{RuleDiagnosisUnused, "diagnoses[2]"},
		{RuleUnitsAndAmounts, "lines[1].charge"},
		{RuleUnitsAndAmounts, "lines[1].units"},
		{RuleFrequency, "original_payer_claim_number"},
		{RuleDuplicateClaim, "lines[0]"},
		{RulePlaceOfService, "place_of_service"},
	}, got)
}

func TestDeterministicOrder(t *testing.T) {
	c := cleanClaim()
	// Twelve lines, so that lines[10] and lines[11] exist.
	base := c.Lines[1]
	for len(c.Lines) < 12 {
		l := base
		l.Number = len(c.Lines) + 1
		c.Lines = append(c.Lines, l)
	}
	for _, i := range []int{11, 2, 10} {
		c.Lines[i].ProcedureCode = "BAD"
		c.Lines[i].Units = 0
	}
	first, err := Run(c, env(), DefaultRules())
	require.NoError(t, err)
	for range 20 {
		again, err := Run(c, env(), DefaultRules())
		require.NoError(t, err)
		require.Equal(t, first, again)
	}
	var fields []string
	for _, f := range first {
		fields = append(fields, f.Rule+" "+f.Field)
	}
	assert.Equal(t, []string{
		"procedure-code-format lines[2].procedure_code",
		"procedure-code-format lines[10].procedure_code",
		"procedure-code-format lines[11].procedure_code",
		"positive-units-and-amounts lines[2].units",
		"positive-units-and-amounts lines[10].units",
		"positive-units-and-amounts lines[11].units",
	}, fields)

	// Rule order is the order of the rules passed in, not of DefaultRules.
	rules := DefaultRules()
	slices.Reverse(rules)
	rev, err := Run(c, env(), rules)
	require.NoError(t, err)
	require.Len(t, rev, 6)
	assert.Equal(t, RuleUnitsAndAmounts, rev[0].Rule)
	assert.Equal(t, "lines[2].units", rev[0].Field)
	assert.Equal(t, RuleProcedureCodeFormat, rev[5].Rule)
}

func TestCompareFields(t *testing.T) {
	sorted := []string{"diagnoses", "diagnoses[0]", "diagnoses[2]", "diagnoses[10]", "lines[1].charge", "lines[1].units", "lines[9]", "lines[10].charge", "lines[10].modifiers[2]", "lines[10].modifiers[11]"}
	shuffled := slices.Clone(sorted)
	slices.Reverse(shuffled)
	slices.SortFunc(shuffled, compareFields)
	assert.Equal(t, sorted, shuffled)
	assert.Equal(t, 0, compareFields("lines[3].units", "lines[3].units"))
	assert.NotEqual(t, 0, compareFields("a01", "a1"))
}

func TestRunSubset(t *testing.T) {
	c := cleanClaim()
	c.BillingProvider.TaxID = "bad"
	c.PlaceOfService = "99"
	c.Lines[0].Units = 0
	finder := &fakeFinder{refs: []DuplicateRef{{LineNumber: 1, ClaimID: "claim-2"}}}
	e := Env{Now: now, Duplicates: finder}

	fs, err := Run(c, e, []Rule{ruleNamed(t, RulePlaceOfService), ruleNamed(t, RuleTaxIDFormat)})
	require.NoError(t, err)
	assert.Equal(t, []Failure{
		{Rule: RulePlaceOfService, Field: "place_of_service", Message: `"99" is not a supported place of service (two digits, e.g. 11 office)`},
		{Rule: RuleTaxIDFormat, Field: "billing_provider.tax_id", Message: `"bad" is not a tax ID (NN-NNNNNNN or nine digits)`},
	}, fs)
	assert.Zero(t, finder.calls, "the duplicate finder is only consulted by duplicate-claim")

	fs, err = Run(c, e, nil)
	require.NoError(t, err)
	assert.Empty(t, fs)
}

func TestRunCustomRule(t *testing.T) {
	custom := Rule{
		Name:        "payer-acme-needs-taxonomy",
		Description: "Acme wants the billing taxonomy",
		Check: func(c Claim, _ Env) []Failure {
			if c.Payer.PayerID == "ACME1" && c.BillingProvider.Taxonomy == "" {
				return []Failure{{Field: "billing_provider.taxonomy", Message: "is required by Acme"}}
			}
			return nil
		},
	}
	c := cleanClaim()
	c.BillingProvider.Taxonomy = ""
	fs, err := Run(c, env(), append(DefaultRules(), custom))
	require.NoError(t, err)
	assert.Equal(t, []Failure{{Rule: custom.Name, Field: "billing_provider.taxonomy", Message: "is required by Acme"}}, fs)

	_, err = Run(c, env(), []Rule{{Name: "broken"}})
	assert.ErrorContains(t, err, `rule "broken" has no Check`)
}

func TestDuplicateFinderErrorPropagates(t *testing.T) {
	boom := errors.New("database is down")
	c := cleanClaim()
	c.PlaceOfService = "99" // a failure from another rule is not returned either
	fs, err := Run(c, Env{Now: now, Duplicates: &fakeFinder{err: boom}}, DefaultRules())
	require.ErrorIs(t, err, boom)
	assert.ErrorContains(t, err, RuleDuplicateClaim)
	assert.Nil(t, fs)
}

func TestDuplicateClaim(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Claim)
		refs   []DuplicateRef
		want   []Failure
	}{
		{"each duplicated line reported with the other claim", nil,
			[]DuplicateRef{{LineNumber: 2, ClaimID: "claim-8"}, {LineNumber: 1, ClaimID: "claim-9"}, {LineNumber: 1, ClaimID: "claim-7"}},
			[]Failure{
				{RuleDuplicateClaim, "lines[0]", "line 1 duplicates claim claim-7 (same patient, service date, procedure code and payer)"},
				{RuleDuplicateClaim, "lines[0]", "line 1 duplicates claim claim-9 (same patient, service date, procedure code and payer)"},
				{RuleDuplicateClaim, "lines[1]", "line 2 duplicates claim claim-8 (same patient, service date, procedure code and payer)"},
			}},
		{"the claim itself is not its duplicate", nil,
			[]DuplicateRef{{LineNumber: 1, ClaimID: "claim-1"}}, nil},
		{"a replacement does not duplicate the claim it replaces",
			func(c *Claim) { c.Frequency = "7"; c.OriginalPayerClaimNumber = "PAYER-55" },
			[]DuplicateRef{{LineNumber: 1, ClaimID: "claim-0", PayerClaimNumber: "PAYER-55"}, {LineNumber: 2, ClaimID: "claim-3", PayerClaimNumber: "PAYER-56"}},
			[]Failure{{RuleDuplicateClaim, "lines[1]", "line 2 duplicates claim claim-3 (same patient, service date, procedure code and payer)"}}},
		{"an original claim duplicates even the same payer number", nil,
			[]DuplicateRef{{LineNumber: 1, ClaimID: "claim-0", PayerClaimNumber: ""}},
			[]Failure{{RuleDuplicateClaim, "lines[0]", "line 1 duplicates claim claim-0 (same patient, service date, procedure code and payer)"}}},
		{"an unknown line number is reported on lines", nil,
			[]DuplicateRef{{LineNumber: 7, ClaimID: "claim-4"}},
			[]Failure{{RuleDuplicateClaim, "lines", "line 7 duplicates claim claim-4 (same patient, service date, procedure code and payer)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cleanClaim()
			if tt.mutate != nil {
				tt.mutate(&c)
			}
			fs, err := Run(c, Env{Now: now, Duplicates: &fakeFinder{refs: tt.refs}}, []Rule{ruleNamed(t, RuleDuplicateClaim)})
			require.NoError(t, err)
			assert.Equal(t, tt.want, fs)
		})
	}

	// Without a finder the rule is skipped.
	fs, err := Run(cleanClaim(), Env{Now: now}, []Rule{ruleNamed(t, RuleDuplicateClaim)})
	require.NoError(t, err)
	assert.Empty(t, fs)
}

func TestTimelyFilingBoundary(t *testing.T) {
	tests := []struct {
		name    string
		service time.Time
		limit   int
		now     time.Time
		message string // empty: passes
	}{
		{"exactly at the limit passes", day(2025, time.March, 10), 365, now, ""},
		{"one day past fails", day(2025, time.March, 9), 365, now,
			"line 1: service date 2025-03-09 is 1 day past the payer's 365-day timely-filing limit (deadline 2026-03-09)"},
		{"at the limit late in the evening passes", day(2025, time.March, 10), 365, time.Date(2026, time.March, 10, 23, 59, 59, 0, time.UTC), ""},
		{"service time of day is ignored", time.Date(2025, time.March, 10, 23, 0, 0, 0, time.UTC), 365, now, ""},
		{"calendar date in now's location", day(2025, time.December, 10), 90,
			time.Date(2026, time.March, 10, 1, 0, 0, 0, time.FixedZone("EST", -5*3600)), ""}, // 2026-03-09 locally
		{"no known limit is not checked", day(2020, time.January, 1), 0, now, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cleanClaim()
			c.Lines = c.Lines[:1]
			c.Lines[0].ServiceDate = tt.service
			c.Payer.TimelyFilingDays = tt.limit
			fs, err := Run(c, Env{Now: tt.now}, []Rule{ruleNamed(t, RuleServiceDates)})
			require.NoError(t, err)
			if tt.message == "" {
				assert.Empty(t, fs)
				return
			}
			assert.Equal(t, []Failure{{Rule: RuleServiceDates, Field: "lines[0].service_date", Message: tt.message}}, fs)
		})
	}
}

func TestServiceDateTodayPasses(t *testing.T) {
	c := cleanClaim()
	c.Lines[0].ServiceDate = day(2026, time.March, 10)
	fs, err := Run(c, Env{Now: now}, []Rule{ruleNamed(t, RuleServiceDates)})
	require.NoError(t, err)
	assert.Empty(t, fs)
}

func TestPatientLoopOnlyWhenNotSelf(t *testing.T) {
	c := cleanClaim()
	c.Patient = Patient{}
	for _, rel := range []string{"spouse", "child", "other"} {
		c.Subscriber.Relationship = rel
		fs, err := Run(c, env(), []Rule{ruleNamed(t, RuleRequiredFields)})
		require.NoError(t, err)
		assert.Equal(t, []Failure{
			{RuleRequiredFields, "patient.date_of_birth", "is required"},
			{RuleRequiredFields, "patient.first_name", "is required"},
			{RuleRequiredFields, "patient.last_name", "is required"},
		}, fs, rel)
	}
	c.Subscriber.Relationship = "self"
	fs, err := Run(c, env(), []Rule{ruleNamed(t, RuleRequiredFields)})
	require.NoError(t, err)
	assert.Empty(t, fs)
}

func TestBlankValuesReportedOnceByRequiredFields(t *testing.T) {
	c := cleanClaim()
	c.BillingProvider.NPI = ""
	c.BillingProvider.TaxID = ""
	c.PlaceOfService = ""
	c.Lines[0].ProcedureCode = ""
	c.Lines[0].ServiceDate = time.Time{}
	fs, err := Run(c, env(), DefaultRules())
	require.NoError(t, err)
	for _, f := range fs {
		assert.Equal(t, RuleRequiredFields, f.Rule, "%+v", f)
	}
	assert.Len(t, fs, 5)
}

func TestPlacesOfService(t *testing.T) {
	pos := PlacesOfService()
	for _, code := range []string{"02", "10", "11", "12", "19", "20", "21", "22", "23", "49", "81"} {
		assert.Contains(t, pos, code)
		c := cleanClaim()
		c.PlaceOfService = code
		fs, err := Run(c, env(), []Rule{ruleNamed(t, RulePlaceOfService)})
		require.NoError(t, err)
		assert.Empty(t, fs, code)
	}
	pos["99"] = "changed"
	assert.NotContains(t, PlacesOfService(), "99", "PlacesOfService returns a copy")
}
