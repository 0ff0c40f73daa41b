package denials

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/codes"
)

// LetterInput is everything an appeal letter says.
type LetterInput struct {
	// Level is the appeal level, 1 to [MaxLevel].
	Level int
	// Date is the date of the letter.
	Date time.Time
	// Payer is the addressee.
	Payer Payer
	// Practice is the sender, named in the signature block.
	Practice Practice
	// Patient identifies the member.
	Patient Patient
	// Claim identifies the claim appealed.
	Claim Claim
	// Denial is the classified denial (see [Classify]); it must have at
	// least one reason.
	Denial Denial
	// Argument is the biller's own argument, optional free text. Any of the
	// claim's diagnosis codes it contains are redacted.
	Argument string
	// Enclosures are the documents enclosed, one item each.
	Enclosures []string
}

// Payer is the payer an appeal is addressed to.
type Payer struct {
	// Name is the payer's name (or its appeals department).
	Name string
	// Address is the postal address, one line each.
	Address []string
}

// Practice is the provider or group appealing.
type Practice struct {
	// Name is the practice's name, printed in the letterhead and signature.
	Name string
	// NPI is the billing provider's National Provider Identifier.
	NPI string
	// TaxID is the billing provider's tax identification number.
	TaxID string
	// Address is the postal address, one line each.
	Address []string
	// Phone is the contact telephone number.
	Phone string
	// ContactName is the person signing the letter.
	ContactName string
}

// Patient identifies the patient and member.
type Patient struct {
	// Name is the patient's name as the payer has it.
	Name string
	// DateOfBirth is printed when not zero.
	DateOfBirth time.Time
	// MemberID is the member (subscriber) identifier on the payer's card.
	MemberID string
}

// Claim identifies the appealed claim.
type Claim struct {
	// PatientControlNumber is the provider's claim number (CLM01/CLP01).
	PatientControlNumber string
	// PayerClaimNumber is the payer's claim control number (CLP07).
	PayerClaimNumber string
	// ServiceDates are the dates of service; they are printed sorted and
	// without duplicates.
	ServiceDates []time.Time
	// TotalCharge is the total billed amount.
	TotalCharge decimal.Decimal
	// Lines are the billed service lines.
	Lines []ClaimLine
	// Diagnoses are the claim's diagnosis codes. They are never printed:
	// the letter keeps protected health information to what an appeal
	// needs, and the medical records enclosed carry the diagnoses. They are
	// used to redact the codes from [LetterInput.Argument].
	Diagnoses []string
}

// ClaimLine is one billed service line.
type ClaimLine struct {
	// Code is the CPT/HCPCS procedure code.
	Code string
	// Modifiers are the procedure modifiers.
	Modifiers []string
	// Charge is the billed amount.
	Charge decimal.Decimal
}

// MissingFieldsError is returned by [Letter] when required inputs are
// missing or invalid; Fields names each one, e.g. "Payer.Name".
type MissingFieldsError struct {
	// Fields are the Go paths of the missing fields, in a fixed order.
	Fields []string
}

// Error lists the missing fields.
func (e *MissingFieldsError) Error() string {
	return "denials: appeal letter: missing or invalid " + strings.Join(e.Fields, ", ")
}

// CategoryParagraph returns the paragraph of an appeal letter that argues
// against a denial in category c; DenialOther's for an unknown category.
func CategoryParagraph(c codes.DenialCategory) string {
	if p, ok := categoryParagraphs[c]; ok {
		return p
	}
	return categoryParagraphs[codes.DenialOther]
}

var categoryParagraphs = map[codes.DenialCategory]string{
	codes.DenialTimelyFiling: "The claim was filed within the timely filing limit. Enclosed is proof of timely " +
		"submission (clearinghouse acceptance report) showing the date the claim was first submitted and " +
		"accepted. We ask that the timely filing denial be reversed and the claim processed for payment.",
	codes.DenialEligibility: "The patient's coverage was active on the date of service. Enclosed is the " +
		"eligibility response confirming active coverage under the member ID above. We ask that the claim " +
		"be processed under that coverage.",
	codes.DenialAuthorization: "The services were authorized, or authorization was not required for them. " +
		"Enclosed is the authorization (or the payer's confirmation that none was required) covering the " +
		"services and dates of service of this claim. We ask that the claim be processed under it.",
	codes.DenialDuplicate: "This claim is not a duplicate. It reports services distinct from any claim " +
		"previously submitted or paid (a different date of service, procedure, units or modifier), as the " +
		"enclosed documentation shows. We ask that it be processed as a separate claim.",
	codes.DenialCoding: "The claim was coded correctly and in accordance with current CPT/HCPCS coding " +
		"guidelines; where information was missing or invalid, a corrected claim is enclosed. We ask that " +
		"the claim be reprocessed with the information provided.",
	codes.DenialMedicalNecessity: "The services were medically necessary. Enclosed are the medical records " +
		"and the provider's statement of medical necessity, which document the patient's condition and why " +
		"the services were required. We ask that the claim be reconsidered on the basis of this documentation.",
	codes.DenialBundling: "The service was distinct and separately identifiable. Modifier 59/XS documents a " +
		"distinct procedural service (a separate structure, session or encounter), and the enclosed records " +
		"support separate reporting under the National Correct Coding Initiative (NCCI) guidelines. We ask " +
		"that the service be paid separately.",
	codes.DenialOther: "We believe this claim was not adjudicated correctly and ask that it be reviewed and " +
		"reprocessed for payment. Supporting documentation is enclosed.",
}

// letterReason is a Reason as printed.
type letterReason struct {
	Label       string // "CO-16"
	Where       string // "claim level" or "line 1, 97110-GP"
	Description string
	Amount      decimal.Decimal
}

type letterData struct {
	LetterInput
	Title        string
	ServiceDates string
	Reasons      []letterReason
	Paragraphs   []string
	Argument     string
}

var letterTemplate = template.Must(template.New("letter").Funcs(template.FuncMap{
	"money":    Money,
	"longDate": func(t time.Time) string { return t.Format("January 2, 2006") },
	"date":     func(t time.Time) string { return t.Format("01/02/2006") },
	"join":     strings.Join,
	"mods": func(m []string) string {
		if len(m) == 0 {
			return ""
		}
		return "-" + strings.Join(m, "-")
	},
}).Parse(`{{.Practice.Name}}
{{- range .Practice.Address}}
{{.}}
{{- end}}
{{- if .Practice.Phone}}
Phone: {{.Practice.Phone}}
{{- end}}

{{longDate .Date}}

{{.Payer.Name}}
{{- range .Payer.Address}}
{{.}}
{{- end}}

RE: {{.Title}}
    Patient: {{.Patient.Name}}
{{- if not .Patient.DateOfBirth.IsZero}}
    Date of birth: {{date .Patient.DateOfBirth}}
{{- end}}
    Member ID: {{.Patient.MemberID}}
    Claim number (payer): {{.Claim.PayerClaimNumber}}
    Patient control number: {{.Claim.PatientControlNumber}}
{{- if .ServiceDates}}
    Date(s) of service: {{.ServiceDates}}
{{- end}}
{{- if not .Claim.TotalCharge.IsZero}}
    Total charge: {{money .Claim.TotalCharge}}
{{- end}}

To whom it may concern:

{{if eq .Level 1 -}}
We are writing to request reconsideration of the above claim, which was denied in whole or in part.
{{- else -}}
We are writing to request a second-level review of the above claim. Our first-level appeal did not resolve the denial, and we ask that the claim be reviewed again.
{{- end}}
{{- if .Claim.Lines}}

Services billed:
{{- range .Claim.Lines}}
    {{.Code}}{{mods .Modifiers}}  {{money .Charge}}
{{- end}}
{{- end}}

Denial reason(s):
{{- range .Reasons}}
    {{.Label}} ({{.Where}}): {{if .Description}}{{.Description}}{{else}}(no description available){{end}} Amount: {{money .Amount}}
{{- end}}
{{- if .Denial.RemarkCodes}}
    Remark code(s): {{join .Denial.RemarkCodes ", "}}
{{- end}}
{{- range .Paragraphs}}

{{.}}
{{- end}}
{{- if .Argument}}

{{.Argument}}
{{- end}}

Please reprocess the claim and contact us with any questions{{if .Practice.Phone}} at {{.Practice.Phone}}{{end}}.
{{- if .Enclosures}}

Enclosures:
{{- range .Enclosures}}
    - {{.}}
{{- end}}
{{- end}}

Sincerely,


{{if .Practice.ContactName}}{{.Practice.ContactName}}
{{end}}{{.Practice.Name}}
{{- if .Practice.NPI}}
NPI: {{.Practice.NPI}}
{{- end}}
{{- if .Practice.TaxID}}
Tax ID: {{.Practice.TaxID}}
{{- end}}
`))

// Letter writes the text of an appeal letter: the practice's letterhead, the
// date, the payer's address, a "RE:" block (patient, date of birth, member
// ID, payer claim number, patient control number, dates of service, total
// charge), the services billed, each denial reason with its group, code,
// description and amount, the remark codes, one paragraph for each denial
// category among the reasons (the primary category first, then in
// [CategoryPriority] order; see [CategoryParagraph]), the biller's argument,
// the enclosures and the signature block. Amounts are printed as "$1,234.50".
//
// Diagnosis codes are never printed, and those listed in Claim.Diagnoses are
// redacted from the argument.
//
// It returns a *[MissingFieldsError] naming every missing input among
// Level (1 to [MaxLevel]), Date, Payer.Name, Practice.Name, Patient.Name,
// Patient.MemberID, Claim.PatientControlNumber, Claim.PayerClaimNumber and
// Denial.Reasons (at least one).
func Letter(in LetterInput) (string, error) {
	if err := validate(in); err != nil {
		return "", err
	}
	data := letterData{
		LetterInput:  in,
		Title:        "Request for reconsideration (first-level appeal)",
		ServiceDates: serviceDates(in.Claim.ServiceDates),
		Paragraphs:   paragraphs(in.Denial),
		Argument:     redact(strings.TrimSpace(in.Argument), in.Claim.Diagnoses),
	}
	if in.Level == 2 {
		data.Title = "Second-level appeal"
	}
	for _, r := range in.Denial.Reasons {
		data.Reasons = append(data.Reasons, printable(r))
	}
	var b strings.Builder
	if err := letterTemplate.Execute(&b, data); err != nil {
		return "", fmt.Errorf("denials: appeal letter: %w", err)
	}
	return b.String(), nil
}

func validate(in LetterInput) error {
	var missing []string
	check := func(ok bool, name string) {
		if !ok {
			missing = append(missing, name)
		}
	}
	blank := func(s string) bool { return strings.TrimSpace(s) == "" }
	check(in.Level >= 1 && in.Level <= MaxLevel, "Level")
	check(!in.Date.IsZero(), "Date")
	check(!blank(in.Payer.Name), "Payer.Name")
	check(!blank(in.Practice.Name), "Practice.Name")
	check(!blank(in.Patient.Name), "Patient.Name")
	check(!blank(in.Patient.MemberID), "Patient.MemberID")
	check(!blank(in.Claim.PatientControlNumber), "Claim.PatientControlNumber")
	check(!blank(in.Claim.PayerClaimNumber), "Claim.PayerClaimNumber")
	check(len(in.Denial.Reasons) > 0, "Denial.Reasons")
	if len(missing) > 0 {
		return &MissingFieldsError{Fields: missing}
	}
	return nil
}

// printable turns a Reason into what the letter prints. The X12 usage notes
// that follow some descriptions are dropped.
func printable(r Reason) letterReason {
	lr := letterReason{Label: r.Code, Amount: r.Amount, Where: "claim level"}
	if r.Group != "" {
		lr.Label = r.Group + "-" + r.Code
	}
	if r.LineNumber > 0 {
		lr.Where = fmt.Sprintf("line %d", r.LineNumber)
		if r.ProcedureCode != "" {
			lr.Where += ", " + strings.Join(append([]string{r.ProcedureCode}, r.Modifiers...), "-")
		}
	}
	desc, _, _ := strings.Cut(r.Description, " Usage:")
	lr.Description = strings.TrimSpace(desc)
	if lr.Description != "" && !strings.HasSuffix(lr.Description, ".") {
		lr.Description += "."
	}
	return lr
}

// paragraphs returns the category paragraphs for the distinct categories of
// d's reasons, primary first.
func paragraphs(d Denial) []string {
	present := map[codes.DenialCategory]bool{}
	for _, r := range d.Reasons {
		present[r.Category] = true
	}
	var order []codes.DenialCategory
	if d.PrimaryCategory != "" {
		order = append(order, d.PrimaryCategory)
		present[d.PrimaryCategory] = true
	}
	order = append(order, CategoryPriority()...)
	var out []string
	done := map[string]bool{}
	for _, c := range order {
		p := CategoryParagraph(c)
		if !present[c] || done[p] {
			continue
		}
		done[p] = true
		out = append(out, p)
	}
	// Categories outside CategoryPriority share DenialOther's paragraph.
	for c := range present {
		if p := CategoryParagraph(c); !done[p] {
			done[p] = true
			out = append(out, p)
		}
	}
	return out
}

// serviceDates prints the distinct calendar dates, sorted.
func serviceDates(ds []time.Time) string {
	var days []time.Time
	for _, d := range ds {
		if !d.IsZero() {
			days = append(days, Day(d))
		}
	}
	slices.SortFunc(days, func(a, b time.Time) int { return a.Compare(b) })
	var out []string
	for _, d := range days {
		s := d.Format("01/02/2006")
		if len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

// redactedDiagnosis replaces a diagnosis code found in free text.
const redactedDiagnosis = "[diagnosis code omitted]"

// redact removes the diagnosis codes dx, with or without their dot, from s.
func redact(s string, dx []string) string {
	for _, d := range dx {
		n := codes.NormalizeICD10(d)
		if n == "" {
			continue
		}
		forms := []string{regexp.QuoteMeta(n)}
		if f := codes.FormatICD10(n); f != n {
			forms = append(forms, regexp.QuoteMeta(f))
		}
		re := regexp.MustCompile(`(?i)\b(?:` + strings.Join(forms, "|") + `)\b`)
		s = re.ReplaceAllString(s, redactedDiagnosis)
	}
	return s
}

// Money formats an amount as dollars with two decimals and thousands
// separators: "$1,234.50", "-$12.00".
func Money(d decimal.Decimal) string {
	s := d.Abs().StringFixed(2)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if d.Sign() < 0 && s != "0.00" {
		b.WriteByte('-')
	}
	b.WriteByte('$')
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	b.WriteByte('.')
	b.WriteString(frac)
	return b.String()
}

// SuggestedEnclosures returns the documents usually enclosed with an appeal
// of a denial in category c, as a starting point for
// [LetterInput.Enclosures].
func SuggestedEnclosures(c codes.DenialCategory) []string {
	switch c {
	case codes.DenialTimelyFiling:
		return []string{"Clearinghouse acceptance report (proof of timely filing)", "Copy of the original claim"}
	case codes.DenialEligibility:
		return []string{"Eligibility response (271) for the date of service", "Copy of the member's insurance card"}
	case codes.DenialAuthorization:
		return []string{"Prior authorization approval", "Copy of the claim"}
	case codes.DenialDuplicate:
		return []string{"Copy of the claim", "Remittance advice of the related claim"}
	case codes.DenialCoding:
		return []string{"Corrected claim", "Medical records supporting the codes billed"}
	case codes.DenialMedicalNecessity:
		return []string{"Medical records", "Provider's statement of medical necessity"}
	case codes.DenialBundling:
		return []string{"Medical records (procedure notes)", "Copy of the claim showing modifier 59/XS"}
	default:
		return []string{"Copy of the claim", "Remittance advice"}
	}
}
