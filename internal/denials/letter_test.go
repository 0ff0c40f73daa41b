package denials

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/codes"
)

// denialOf builds a one-reason denial of the given code.
func denialOf(group, code, amount string, line int) Denial {
	cat := codes.CARCCategory(code)
	r := Reason{Group: group, Code: code, Amount: dec(amount), Category: cat, LineNumber: line, SuggestedAction: cat.SuggestedAction()}
	if c, ok := codes.LookupCARC(code); ok {
		r.Description = c.Description
	}
	if line > 0 {
		r.ProcedureCode = "97110"
		r.Modifiers = []string{"GP"}
	}
	return Denial{Denied: true, ClaimDenied: true, Reasons: []Reason{r}, PrimaryCategory: cat, SuggestedAction: cat.SuggestedAction()}
}

func baseInput(d Denial) LetterInput {
	return LetterInput{
		Level: 1,
		Date:  day(2024, 4, 10),
		Payer: Payer{Name: "ACME HEALTH PLAN", Address: []string{"Appeals Department", "PO Box 30479", "Lansing, MI 48909"}},
		Practice: Practice{
			Name: "ClinicFlow Family Practice", NPI: "1234567893", TaxID: "123456789",
			Address: []string{"1 Main St", "Springfield, IL 62701"}, Phone: "555-0100", ContactName: "Pat Biller",
		},
		Patient: Patient{Name: "Leo Brown", DateOfBirth: day(1980, 2, 3), MemberID: "M444555666"},
		Claim: Claim{
			PatientControlNumber: "PCN2002",
			PayerClaimNumber:     "PAYER1002",
			ServiceDates:         []time.Time{day(2024, 3, 18), day(2024, 3, 15), day(2024, 3, 18)},
			TotalCharge:          dec("1185.50"),
			Lines: []ClaimLine{
				{Code: "97110", Modifiers: []string{"GP"}, Charge: dec("185.50")},
				{Code: "99215", Charge: dec("1000")},
			},
			Diagnoses: []string{"M54.50", "E119", "I10"},
		},
		Denial:     d,
		Enclosures: []string{"Clearinghouse acceptance report", "Copy of the claim"},
	}
}

func TestLetterPerCategory(t *testing.T) {
	tests := []struct {
		code      string
		category  codes.DenialCategory
		paragraph string
	}{
		{"29", codes.DenialTimelyFiling, "proof of timely submission (clearinghouse acceptance report)"},
		{"50", codes.DenialMedicalNecessity, "medical records and the provider's statement of medical necessity"},
		{"16", codes.DenialCoding, "coded correctly"},
		{"27", codes.DenialEligibility, "coverage was active on the date of service. Enclosed is the eligibility response"},
		{"197", codes.DenialAuthorization, "Enclosed is the authorization"},
		{"18", codes.DenialDuplicate, "This claim is not a duplicate"},
		{"97", codes.DenialBundling, "Modifier 59/XS documents a distinct procedural service"},
		{"A7", codes.DenialOther, "not adjudicated correctly"},
	}
	for _, tt := range tests {
		t.Run(string(tt.category), func(t *testing.T) {
			d := denialOf("CO", tt.code, "185.50", 1)
			require.Equal(t, tt.category, d.PrimaryCategory)
			got, err := Letter(baseInput(d))
			require.NoError(t, err)
			for _, want := range []string{
				"ACME HEALTH PLAN", "Appeals Department", "RE: Request for reconsideration",
				"Member ID: M444555666", "PAYER1002", "PCN2002", "Leo Brown", "02/03/1980",
				"Date(s) of service: 03/15/2024, 03/18/2024",
				"CO-" + tt.code + " (line 1, 97110-GP)", "$185.50", "Total charge: $1,185.50",
				"97110-GP  $185.50", "99215  $1,000.00",
				tt.paragraph,
				"Enclosures:", "- Clearinghouse acceptance report",
				"Sincerely,", "Pat Biller", "NPI: 1234567893", "Tax ID: 123456789",
				"April 10, 2024",
			} {
				assert.Contains(t, got, want)
			}
			for _, other := range tests {
				if other.category != tt.category {
					assert.NotContains(t, got, other.paragraph)
				}
			}
			if c, ok := codes.LookupCARC(tt.code); ok {
				desc, _, _ := strings.Cut(c.Description, " Usage:")
				assert.Contains(t, got, strings.TrimSpace(desc))
				assert.NotContains(t, got, "Usage:")
			}
		})
	}
}

func TestLetterFromClassifiedFixture(t *testing.T) {
	claims := parseFixture(t, "era_multi_group_denial.835")
	d := Classify(claims["PCN2002"])
	in := baseInput(d)
	in.Claim.TotalCharge = dec("180")
	got, err := Letter(in)
	require.NoError(t, err)
	for _, want := range []string{
		"CO-16 (line 1, 97110-GP)", "lacks information", "Amount: $180.00",
		"Remark code(s): N290, MA130", CategoryParagraph(codes.DenialCoding),
	} {
		assert.Contains(t, got, want)
	}
}

func TestLetterSeveralCategories(t *testing.T) {
	d := Denial{Denied: true, PrimaryCategory: codes.DenialMedicalNecessity, Reasons: []Reason{
		{Group: "CO", Code: "97", Amount: dec("90"), Category: codes.DenialBundling, LineNumber: 2},
		{Group: "CO", Code: "50", Amount: dec("200"), Category: codes.DenialMedicalNecessity, LineNumber: 3},
		{Group: "PI", Code: "197", Amount: dec("60"), Category: codes.DenialAuthorization},
	}}
	got, err := Letter(baseInput(d))
	require.NoError(t, err)
	med := strings.Index(got, CategoryParagraph(codes.DenialMedicalNecessity))
	auth := strings.Index(got, CategoryParagraph(codes.DenialAuthorization))
	bund := strings.Index(got, CategoryParagraph(codes.DenialBundling))
	require.True(t, med > 0 && auth > 0 && bund > 0, got)
	assert.Less(t, med, auth, "primary first")
	assert.Less(t, auth, bund, "then priority order")
	assert.Contains(t, got, "PI-197 (claim level)")
	assert.Contains(t, got, "CO-97 (line 2)")
}

func TestLetterLevel2AndArgument(t *testing.T) {
	in := baseInput(denialOf("CO", "50", "185.5", 0))
	in.Level = 2
	in.Argument = "  Dr. Lovelace documented failed conservative therapy over six weeks.  "
	in.Enclosures = nil
	got, err := Letter(in)
	require.NoError(t, err)
	assert.Contains(t, got, "RE: Second-level appeal")
	assert.Contains(t, got, "second-level review")
	assert.Contains(t, got, "\nDr. Lovelace documented failed conservative therapy over six weeks.\n")
	assert.Contains(t, got, "CO-50 (claim level)")
	assert.NotContains(t, got, "Enclosures:")
}

func TestLetterOmitsDiagnosisCodes(t *testing.T) {
	in := baseInput(denialOf("CO", "50", "185.50", 1))
	in.Argument = "The patient's M54.50 and E11.9 (also coded e119, M5450) justify the visit; see also I10."
	got, err := Letter(in)
	require.NoError(t, err)
	for _, dx := range []string{"M54.50", "M5450", "E11.9", "E119", "e119", "I10"} {
		assert.NotContains(t, got, dx)
	}
	assert.Contains(t, got, "The patient's "+redactedDiagnosis+" and "+redactedDiagnosis)
	assert.Contains(t, got, "justify the visit")
}

func TestLetterMissingFields(t *testing.T) {
	all := []string{
		"Level", "Date", "Payer.Name", "Practice.Name", "Patient.Name", "Patient.MemberID",
		"Claim.PatientControlNumber", "Claim.PayerClaimNumber", "Denial.Reasons",
	}
	tests := []struct {
		name   string
		modify func(*LetterInput)
		want   []string
	}{
		{"empty input", func(in *LetterInput) { *in = LetterInput{} }, all},
		{"payer name", func(in *LetterInput) { in.Payer.Name = " " }, []string{"Payer.Name"}},
		{"patient and member", func(in *LetterInput) { in.Patient.Name, in.Patient.MemberID = "", "" }, []string{"Patient.Name", "Patient.MemberID"}},
		{"claim numbers", func(in *LetterInput) { in.Claim.PatientControlNumber, in.Claim.PayerClaimNumber = "", "" },
			[]string{"Claim.PatientControlNumber", "Claim.PayerClaimNumber"}},
		{"no reason", func(in *LetterInput) { in.Denial = Denial{Denied: true} }, []string{"Denial.Reasons"}},
		{"level 3", func(in *LetterInput) { in.Level = 3 }, []string{"Level"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(denialOf("CO", "16", "10", 0))
			tt.modify(&in)
			got, err := Letter(in)
			require.Error(t, err)
			assert.Empty(t, got)
			var mf *MissingFieldsError
			require.True(t, errors.As(err, &mf))
			assert.Equal(t, tt.want, mf.Fields)
			for _, f := range tt.want {
				assert.Contains(t, err.Error(), f)
			}
		})
	}
}

func TestMoney(t *testing.T) {
	tests := map[string]string{
		"0":          "$0.00",
		"185.5":      "$185.50",
		"185.505":    "$185.51",
		"999.99":     "$999.99",
		"1000":       "$1,000.00",
		"1234567.8":  "$1,234,567.80",
		"-12":        "-$12.00",
		"-0.001":     "$0.00",
		"100000":     "$100,000.00",
		"-1234.5600": "-$1,234.56",
	}
	for in, want := range tests {
		assert.Equal(t, want, Money(dec(in)), in)
	}
}

func TestSuggestedEnclosures(t *testing.T) {
	for _, c := range codes.DenialCategories() {
		assert.NotEmpty(t, SuggestedEnclosures(c), c)
	}
}
