package claims

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/codes"
	"github.com/clinicflow/rcm/internal/phicrypt"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/x12"
)

// Submitter identifies the practice to the clearinghouse in the 837P envelope and
// loop 1000A.
type Submitter struct {
	Name         string // 1000A NM103
	ID           string // 1000A NM109, assigned by the clearinghouse
	SenderID     string // ISA06 / GS02
	ReceiverID   string // ISA08 / GS03: the clearinghouse
	ReceiverName string // 1000B NM103
	ContactName  string
	Phone        string
	Email        string
	Production   bool // ISA15 P, otherwise T (test)
}

// Rendered is a claim as an 837P interchange.
type Rendered struct {
	ControlNumber int    `json:"control_number"` // ISA13 and GS06
	Data          []byte `json:"-"`
}

// filingIndicator maps a payer type to the SBR09 claim filing indicator code.
var filingIndicator = map[string]string{
	"commercial": "CI", "medicare": "MB", "medicaid": "MC", "auto": "AM",
	"workers_comp": "WC", "attorney": "ZZ", "other": "ZZ",
}

// relationshipCode maps a coverage relationship to PAT01 (patient to subscriber).
var relationshipCode = map[string]string{"spouse": "01", "child": "19", "other": "G8"}

var responsibility = map[string]string{"primary": "P", "secondary": "S", "tertiary": "T"}

// Render837 writes the claim as a 005010X222A1 interchange. Each call takes a new
// interchange control number from a database sequence, so control numbers are
// unique and survive restarts.
func (s *Service) Render837(ctx context.Context, claimID string, sub Submitter) (Rendered, error) {
	var out Rendered
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cb, err := load(tx, claimID)
		if err != nil {
			return err
		}
		var ctrl int
		if err := tx.Raw(`SELECT nextval('x12_interchange_control')`).Scan(&ctrl).Error; err != nil {
			return fmt.Errorf("next control number: %w", err)
		}
		cob, err := claimCOB(cb.claim)
		if err != nil {
			return err
		}
		b := batch837(sub, ctrl, time.Now().UTC(), cb)
		if cob != nil {
			addCOB(&b.Claims[0], cob)
		}
		data, err := x12.Write837(&b)
		if err != nil {
			return fmt.Errorf("write 837P for claim %s: %w", cb.claim.ID, err)
		}
		out = Rendered{ControlNumber: ctrl, Data: data}
		return nil
	})
	return out, err
}

// bundle is a claim with everything needed to bill it.
type bundle struct {
	claim    Claim
	lines    []ClaimLine
	coverage records.Coverage
	payer    records.Payer
	kase     cases.Case
	patient  records.Patient
	enc      billing.Encounter
	provider records.Provider
	location records.Location
	// injury is a legal case's accident facts (CLM11, DTP*439, REF*Y4).
	injury *injury
}

// injury is what an accident or employment-related claim tells the payer,
// read from the case's legal details (internal/legal owns the table).
type injury struct {
	DateOfInjury       time.Time
	AccidentState      string
	AccidentKind       string
	InsurerID          *string
	InsurerClaimNumber phicrypt.Text
}

// loadInjury reads a case's accident facts, nil when it has none recorded.
func loadInjury(tx *gorm.DB, caseID string) (*injury, error) {
	var in injury
	res := tx.Raw(`SELECT date_of_injury, accident_state, accident_kind, insurer_id, insurer_claim_number
		FROM legal_cases WHERE case_id = ?`, caseID).Scan(&in)
	if res.Error != nil {
		return nil, fmt.Errorf("accident facts of case %s: %w", caseID, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, nil
	}
	return &in, nil
}

// accident is the related-causes information of a legal case's claim: AA with
// the state for an auto accident, EM for work (and any workers' comp case), OA
// for another accident, each with the accident date.
func (in *injury) accident(kind cases.Kind) *x12.Accident {
	if in == nil {
		return nil
	}
	a := &x12.Accident{Cause: x12.CauseOtherAccident, Date: date(in.DateOfInjury)}
	switch {
	case kind == cases.WorkersComp || in.AccidentKind == "work":
		a.Cause = x12.CauseEmployment
	case in.AccidentKind == "auto":
		a.Cause, a.State = x12.CauseAutoAccident, in.AccidentState
	}
	return a
}

func load(tx *gorm.DB, claimID string) (bundle, error) {
	var b bundle
	if err := first(tx, &b.claim, claimID); err != nil {
		return b, err
	}
	if err := tx.Where("claim_id = ?", b.claim.ID).Order("line_number").Find(&b.lines).Error; err != nil {
		return b, err
	}
	steps := []struct {
		dst any
		id  func() string
	}{
		{&b.coverage, func() string { return b.claim.CoverageID }},
		{&b.payer, func() string { return b.claim.PayerID }},
		{&b.kase, func() string { return b.claim.CaseID }},
		{&b.enc, func() string { return b.claim.EncounterID }},
		{&b.patient, func() string { return b.kase.PatientID }},
		{&b.provider, func() string { return b.enc.ProviderID }},
		{&b.location, func() string { return b.enc.LocationID }},
	}
	for _, st := range steps {
		if err := first(tx, st.dst, st.id()); err != nil {
			return b, err
		}
	}
	var err error
	b.injury, err = loadInjury(tx, b.kase.ID)
	return b, err
}

func first(tx *gorm.DB, dst any, id string) error {
	res := tx.Where("id = ?", id).Limit(1).Find(dst)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%T %s: %w", dst, id, ErrNotFound)
	}
	return nil
}

func batch837(sub Submitter, ctrl int, now time.Time, b bundle) x12.Batch837 {
	cl, lines, cov, payer, pat, prov, loc := b.claim, b.lines, b.coverage, b.payer, b.patient, b.provider, b.location
	usage := "T"
	if sub.Production {
		usage = "P"
	}
	billing := x12.Provider{EntityType: "2", LastName: upper(loc.Name), TaxonomyCode: loc.Taxonomy,
		TaxIDQualifier: "EI", TaxID: loc.TaxID,
		Address: &x12.Address{Line1: upper(loc.Address1), Line2: upper(loc.Address2), City: upper(loc.City),
			State: loc.State, PostalCode: digits(loc.Zip)}}
	if loc.NPI != nil && *loc.NPI != "" {
		billing.NPI = *loc.NPI
	} else { // a solo practitioner bills under the individual NPI
		billing.EntityType, billing.LastName, billing.FirstName, billing.NPI = "1", upper(prov.LastName), upper(prov.FirstName), prov.NPI
	}
	if billing.TaxonomyCode == "" {
		billing.TaxonomyCode = prov.Taxonomy
	}
	if billing.TaxID == "" {
		billing.TaxID = prov.TaxID
	}
	subscriber := x12.Subscriber{PayerResponsibility: responsibility[cov.Priority], GroupNumber: string(cov.GroupNumber),
		ClaimFilingIndicator: filingIndicator[payer.Type], EntityType: "1", MemberID: string(cov.MemberID)}
	var patient *x12.Patient
	if cov.Relationship == "self" || cov.Relationship == "" {
		subscriber.LastName, subscriber.FirstName = upper(pat.LastName), upper(pat.FirstName)
		subscriber.BirthDate = date(pat.DateOfBirth)
		subscriber.Gender = sex(pat.Sex)
		subscriber.Address = address(pat.Address1, pat.Address2, pat.City, pat.State, pat.Zip)
	} else {
		subscriber.LastName, subscriber.FirstName = upper(cov.SubscriberLastName), upper(cov.SubscriberFirstName)
		if cov.SubscriberDateOfBirth != nil {
			subscriber.BirthDate = date(*cov.SubscriberDateOfBirth)
		}
		subscriber.Gender = cov.SubscriberSex
		subscriber.Address = address(cov.SubscriberAddress1, cov.SubscriberAddress2, cov.SubscriberCity, cov.SubscriberState, cov.SubscriberZip)
		patient = &x12.Patient{Relationship: relationshipCode[cov.Relationship], LastName: upper(pat.LastName),
			FirstName: upper(pat.FirstName), BirthDate: date(pat.DateOfBirth), Gender: sex(pat.Sex),
			Address: address(pat.Address1, pat.Address2, pat.City, pat.State, pat.Zip)}
	}
	claim := x12.Claim837{
		BillingProvider: billing, Subscriber: subscriber, Patient: patient,
		Payer:                x12.Payer{Name: upper(payer.Name), ID: payer.PayerID},
		PatientControlNumber: cl.PatientControlNumber, TotalCharge: cl.TotalCharge,
		PlaceOfService: "11", FrequencyCode: cl.Frequency, ProviderSignature: true,
		AssignmentCode: "A", BenefitsAssignment: "Y", ReleaseOfInformation: "Y",
		OriginalClaimNumber: cl.PayerClaimNumber, Diagnoses: x12Diagnoses(cl.Diagnoses),
		RenderingProvider: &x12.Provider{EntityType: "1", LastName: upper(prov.LastName), FirstName: upper(prov.FirstName),
			NPI: prov.NPI, TaxonomyCode: prov.Taxonomy},
	}
	if cl.Frequency == "1" {
		claim.OriginalClaimNumber = ""
	}
	if in := b.injury; in != nil {
		claim.Accident = in.accident(b.kase.Kind)
		// The auto insurer's or carrier's own claim number, when it is billed.
		if in.InsurerID != nil && *in.InsurerID == payer.ID && in.InsurerClaimNumber != "" {
			claim.Subscriber.PropertyCasualtyClaimNumber = string(in.InsurerClaimNumber)
		}
	}
	for _, l := range lines {
		ptrs := make([]int, len(l.DiagnosisPointers))
		for i, p := range l.DiagnosisPointers {
			ptrs[i] = int(p)
		}
		claim.Lines = append(claim.Lines, x12.ServiceLine837{
			Procedure: x12.Procedure{Qualifier: "HC", Code: l.ProcedureCode, Modifiers: []string(l.Modifiers)},
			Charge:    l.Charge, UnitType: "UN", Units: decimal.NewFromInt(int64(l.Units)),
			DiagnosisPointers: ptrs, ServiceDate: date(l.ServiceDate), LineItemControlNumber: l.ID,
		})
	}
	return x12.Batch837{
		Envelope: x12.Envelope{SenderIDQualifier: "ZZ", SenderID: sub.SenderID, ReceiverIDQualifier: "ZZ",
			ReceiverID: sub.ReceiverID, InterchangeControlNumber: ctrl, AckRequested: true, UsageIndicator: usage,
			ApplicationSenderCode: sub.SenderID, ApplicationReceiverCode: sub.ReceiverID, GroupControlNumber: ctrl,
			Date: now, TransactionControlNumber: "0001"},
		PurposeCode: "00", ReferenceID: cl.PatientControlNumber, CreatedAt: now, TransactionType: "CH",
		Submitter: x12.Submitter{EntityType: "2", Name: upper(sub.Name), ID: sub.ID,
			Contact: x12.Contact{Function: "IC", Name: upper(sub.ContactName), Phone: digits(sub.Phone), Email: sub.Email}},
		Receiver: x12.Receiver{Name: upper(sub.ReceiverName), ID: sub.ReceiverID},
		Claims:   []x12.Claim837{claim},
	}
}

// addCOB makes c a claim billed after the payer in cob: SBR01 S, the prior
// payer's claim adjudication as loop 2320 with its subscriber (2330A) and payer
// (2330B), and each line's adjudication as loop 2430.
func addCOB(c *x12.Claim837, cob *COB) {
	if c.Subscriber.PayerResponsibility == "P" || c.Subscriber.PayerResponsibility == "" {
		c.Subscriber.PayerResponsibility = "S"
	}
	rel := "18"
	if cob.Subscriber.Relationship != "self" && cob.Subscriber.Relationship != "" {
		rel = relationshipCode[cob.Subscriber.Relationship]
	}
	filing := filingIndicator[cob.Payer.Type]
	if filing == "" {
		filing = "ZZ"
	}
	paid := cob.Paid
	op := x12.OtherPayer{PayerResponsibility: "P", Relationship: rel, GroupNumber: cob.Subscriber.GroupNumber,
		ClaimFilingIndicator: filing, Adjustments: cob.Adjustments, PaidAmount: &paid,
		BenefitsAssignment: c.BenefitsAssignment, ReleaseOfInformation: c.ReleaseOfInformation,
		Subscriber: x12.OtherSubscriber{EntityType: "1", LastName: upper(cob.Subscriber.LastName),
			FirstName: upper(cob.Subscriber.FirstName), IDQualifier: "MI", ID: cob.Subscriber.MemberID},
		Payer: x12.OtherPayerName{Name: upper(cob.Payer.Name), IDQualifier: "PI", ID: cob.Payer.PayerID,
			AdjudicationDate: cob.AdjudicationDate}}
	if cob.PatientResponsibility.IsPositive() {
		pr := cob.PatientResponsibility
		op.RemainingPatientLiability = &pr
	}
	if cob.PayerClaimNumber != "" {
		op.Payer.SecondaryIDs = []x12.Reference{{Qualifier: "F8", Value: cob.PayerClaimNumber}}
	}
	c.OtherPayers = append(c.OtherPayers, op)
	for _, l := range cob.Lines {
		for i := range c.Lines {
			if c.Lines[i].LineItemControlNumber != l.ClaimLineID {
				continue
			}
			c.Lines[i].Adjudications = append(c.Lines[i].Adjudications, x12.LineAdjudication{
				PayerID: cob.Payer.PayerID, PaidAmount: l.Paid, Procedure: l.Procedure, PaidUnits: l.Units,
				Adjustments: l.Adjustments, AdjudicationDate: l.AdjudicationDate})
		}
	}
}

// x12Diagnoses returns a claim's diagnoses as an 837P HI segment carries
// them, without the dot (X12 5010): "E11.9" and an older row's "E119" both
// become "E119".
func x12Diagnoses(dx []string) []string {
	out := make([]string, len(dx))
	for i, d := range dx {
		out[i] = codes.NormalizeICD10(d)
	}
	return out
}

func upper(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// sex is DMG03: the recorded sex, or U (unknown) when none is recorded; the
// 837P requires DMG03 for the patient.
func sex(s string) string {
	if s == "" {
		return "U"
	}
	return s
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func date(t time.Time) x12.Date { return x12.NewDate(t.Year(), t.Month(), t.Day()) }

func address(l1, l2, city, state, zip string) *x12.Address {
	if l1 == "" || city == "" {
		return nil
	}
	return &x12.Address{Line1: upper(l1), Line2: upper(l2), City: upper(city), State: state, PostalCode: digits(zip)}
}
