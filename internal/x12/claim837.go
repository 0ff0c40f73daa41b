package x12

import (
	"time"

	"github.com/shopspring/decimal"
)

// Implementation837P is the ST03/GS08 implementation reference of the 5010
// professional claim (837P).
const Implementation837P = "005010X222A1"

// Batch837 is one 837P transaction set (ST/SE) inside its own interchange:
// the unit Write837 writes and Parse837 returns.
type Batch837 struct {
	// Envelope holds the ISA/GS/ST identifiers and control numbers (the
	// caller chooses ISA13, GS06 and ST02).
	Envelope Envelope `json:"envelope"`
	// PurposeCode is BHT02: "00" original, "18" reissue. Write837 writes "00"
	// when empty.
	PurposeCode string `json:"purpose_code"`
	// ReferenceID is BHT03, the originator's batch identifier.
	ReferenceID string `json:"reference_id"`
	// CreatedAt is BHT04/BHT05.
	CreatedAt time.Time `json:"created_at"`
	// TransactionType is BHT06: "CH" chargeable, "RP" reporting. Write837
	// writes "CH" when empty.
	TransactionType string `json:"transaction_type"`
	// Submitter is loop 1000A.
	Submitter Submitter `json:"submitter"`
	// Receiver is loop 1000B.
	Receiver Receiver `json:"receiver"`
	// Claims are the claims of the batch. Write837 groups consecutive claims
	// that share billing provider, subscriber/payer and patient under the
	// same HL levels; Parse837 copies the levels into every claim.
	Claims []Claim837 `json:"claims"`
}

// Submitter is loop 1000A (NM1*41 and PER).
type Submitter struct {
	// EntityType is NM102: "1" person, "2" organization ("2" when empty).
	EntityType string `json:"entity_type"`
	// Name is NM103 (organization or last name); FirstName is NM104.
	Name      string `json:"name"`
	FirstName string `json:"first_name,omitempty"`
	// ID is NM109 (qualifier 46, electronic transmitter ID).
	ID string `json:"id"`
	// Contact is the PER*IC segment.
	Contact Contact `json:"contact"`
}

// Receiver is loop 1000B (NM1*40).
type Receiver struct {
	Name string `json:"name"`
	// ID is NM109 (qualifier 46).
	ID string `json:"id"`
}

// Provider is a billing (2010AA), rendering (2310B) or similar provider.
type Provider struct {
	// EntityType is NM102: "1" person, "2" organization.
	EntityType string `json:"entity_type"`
	// LastName is NM103: the organization name or the person's last name.
	LastName   string `json:"last_name"`
	FirstName  string `json:"first_name,omitempty"`
	MiddleName string `json:"middle_name,omitempty"`
	Suffix     string `json:"suffix,omitempty"`
	// NPI is NM109 (qualifier XX).
	NPI string `json:"npi"`
	// TaxonomyCode is PRV03 (PRV*BI in 2000A, PRV*PE in 2310B).
	TaxonomyCode string `json:"taxonomy_code,omitempty"`
	// TaxIDQualifier and TaxID are REF*EI (EIN) or REF*SY (SSN), billing
	// provider only.
	TaxIDQualifier string `json:"tax_id_qualifier,omitempty"`
	TaxID          string `json:"tax_id,omitempty"`
	// Address is N3/N4 (required for the billing provider).
	Address *Address `json:"address,omitempty"`
	// Contact is the PER*IC of the billing provider.
	Contact *Contact `json:"contact,omitempty"`
	// SecondaryIDs are other REF segments (e.g. G2 commercial number).
	SecondaryIDs []Reference `json:"secondary_ids,omitempty"`
}

// Subscriber is loops 2000B/2010BA: SBR and NM1*IL.
type Subscriber struct {
	// PayerResponsibility is SBR01: P primary, S secondary, T tertiary (or
	// A-H, U).
	PayerResponsibility string `json:"payer_responsibility"`
	// GroupNumber and GroupName are SBR03 and SBR04.
	GroupNumber string `json:"group_number,omitempty"`
	GroupName   string `json:"group_name,omitempty"`
	// InsuranceTypeCode is SBR05 (e.g. 12 for Medicare secondary payer).
	InsuranceTypeCode string `json:"insurance_type_code,omitempty"`
	// ClaimFilingIndicator is SBR09 (e.g. CI commercial, MB Medicare B).
	ClaimFilingIndicator string `json:"claim_filing_indicator"`
	// EntityType is NM102 ("1" person when empty).
	EntityType string `json:"entity_type"`
	LastName   string `json:"last_name"`
	FirstName  string `json:"first_name,omitempty"`
	MiddleName string `json:"middle_name,omitempty"`
	Suffix     string `json:"suffix,omitempty"`
	// MemberID is NM109 (qualifier MI).
	MemberID string `json:"member_id"`
	// PropertyCasualtyClaimNumber is REF*Y4 in 2010BA: the auto insurer's
	// or workers' comp carrier's claim number.
	PropertyCasualtyClaimNumber string `json:"property_casualty_claim_number,omitempty"`
	// Address is N3/N4 (required when the subscriber is the patient).
	Address *Address `json:"address,omitempty"`
	// BirthDate and Gender are DMG02/DMG03 (F, M or U).
	BirthDate Date   `json:"birth_date,omitzero"`
	Gender    string `json:"gender,omitempty"`
}

// Payer is loop 2010BB (NM1*PR).
type Payer struct {
	Name string `json:"name"`
	// ID is NM109 (qualifier PI payer ID).
	ID      string   `json:"id"`
	Address *Address `json:"address,omitempty"`
	// SecondaryIDs are REF segments (e.g. 2U, G2).
	SecondaryIDs []Reference `json:"secondary_ids,omitempty"`
}

// Patient is loops 2000C/2010CA, used only when the patient is not the
// subscriber.
type Patient struct {
	// Relationship is PAT01, the patient's relationship to the insured
	// (01 spouse, 19 child, 20 employee, 21 unknown, 39 organ donor,
	// 40 cadaver donor, 53 life partner, G8 other).
	Relationship string   `json:"relationship"`
	LastName     string   `json:"last_name"`
	FirstName    string   `json:"first_name,omitempty"`
	MiddleName   string   `json:"middle_name,omitempty"`
	Suffix       string   `json:"suffix,omitempty"`
	Address      *Address `json:"address,omitempty"`
	BirthDate    Date     `json:"birth_date"`
	Gender       string   `json:"gender"`
}

// Facility is the service facility location (loop 2310C, NM1*77).
type Facility struct {
	Name    string   `json:"name"`
	NPI     string   `json:"npi,omitempty"`
	Address *Address `json:"address,omitempty"`
}

// Accident causes (CLM11-1, related-causes codes).
const (
	CauseAutoAccident  = "AA"
	CauseEmployment    = "EM"
	CauseOtherAccident = "OA"
)

// Accident is the related-causes information of a claim for an injury.
type Accident struct {
	// Cause is CLM11-1: AA auto accident, EM employment, OA other accident.
	Cause string `json:"cause"`
	// State is CLM11-4, the two-letter state of an auto accident (required
	// for AA).
	State string `json:"state,omitempty"`
	// Date is DTP*439, the accident date (required for AA and OA).
	Date Date `json:"date,omitzero"`
}

// Claim837 is one professional claim (loop 2300) with the hierarchy above
// it and its service lines.
type Claim837 struct {
	// BillingProvider is 2000A/2010AA.
	BillingProvider Provider `json:"billing_provider"`
	// PayToAddress is 2010AB (NM1*87), when payments go elsewhere.
	PayToAddress *Address `json:"pay_to_address,omitempty"`
	// Subscriber is 2000B/2010BA.
	Subscriber Subscriber `json:"subscriber"`
	// Payer is 2010BB.
	Payer Payer `json:"payer"`
	// Patient is 2000C/2010CA; nil when the patient is the subscriber
	// (SBR02 = 18).
	Patient *Patient `json:"patient,omitempty"`

	// PatientControlNumber is CLM01, the provider's claim identifier.
	PatientControlNumber string `json:"patient_control_number"`
	// TotalCharge is CLM02; it must equal the sum of the line charges.
	TotalCharge decimal.Decimal `json:"total_charge"`
	// PlaceOfService is CLM05-1 (e.g. "11" office).
	PlaceOfService string `json:"place_of_service"`
	// FrequencyCode is CLM05-3: 1 original, 7 replacement, 8 void.
	FrequencyCode string `json:"frequency_code"`
	// ProviderSignature is CLM06 (Y/N).
	ProviderSignature bool `json:"provider_signature"`
	// AssignmentCode is CLM07: A assigned, B lab services only, C not
	// assigned.
	AssignmentCode string `json:"assignment_code"`
	// BenefitsAssignment is CLM08: Y, N or W.
	BenefitsAssignment string `json:"benefits_assignment"`
	// ReleaseOfInformation is CLM09: I informed consent or Y signed.
	ReleaseOfInformation string `json:"release_of_information"`
	// PatientSignatureSource is CLM10 (P), when present.
	PatientSignatureSource string `json:"patient_signature_source,omitempty"`
	// Accident is what an accident or employment-related claim adds (CLM11
	// and DTP*439); nil for other claims, which are written as before.
	Accident *Accident `json:"accident,omitempty"`
	// PriorAuthorization is REF*G1.
	PriorAuthorization string `json:"prior_authorization,omitempty"`
	// OriginalClaimNumber is REF*F8, the payer claim control number of the
	// claim being replaced (7) or voided (8).
	OriginalClaimNumber string `json:"original_claim_number,omitempty"`
	// MedicalRecordNumber is REF*EA.
	MedicalRecordNumber string `json:"medical_record_number,omitempty"`
	// ClearinghouseTraceNumber is REF*D9.
	ClearinghouseTraceNumber string `json:"clearinghouse_trace_number,omitempty"`
	// Diagnoses are the HI codes; the first is the principal diagnosis. At
	// most 12. X12 carries them without the dot: Parse837 returns them so
	// ("E119"), and Write837 takes them with or without it, dropping a dot in
	// its place ("E11.9" is written "E119"; see hiCode).
	Diagnoses []string `json:"diagnoses"`
	// ICD9 selects the ICD-9 qualifiers BK/BF instead of ICD-10 ABK/ABF
	// (found in pre-2015 files).
	ICD9 bool `json:"icd9,omitempty"`
	// RenderingProvider is 2310B; written only when it differs from the
	// billing provider.
	RenderingProvider *Provider `json:"rendering_provider,omitempty"`
	// ServiceFacility is 2310C.
	ServiceFacility *Facility `json:"service_facility,omitempty"`
	// OtherPayers are the 2320 loops (coordination of benefits).
	OtherPayers []OtherPayer `json:"other_payers,omitempty"`
	// Lines are the 2400 service lines (at most 50).
	Lines []ServiceLine837 `json:"lines"`
}

// OtherPayer is one 2320 loop with its 2330A subscriber and 2330B payer:
// another payer's adjudication of the claim.
type OtherPayer struct {
	// PayerResponsibility is SBR01 of the other payer (P, S, T...).
	PayerResponsibility string `json:"payer_responsibility"`
	// Relationship is SBR02, the patient's relationship to the other
	// subscriber (18 self, 01 spouse, 19 child...).
	Relationship      string `json:"relationship"`
	GroupNumber       string `json:"group_number,omitempty"`
	GroupName         string `json:"group_name,omitempty"`
	InsuranceTypeCode string `json:"insurance_type_code,omitempty"`
	// ClaimFilingIndicator is SBR09.
	ClaimFilingIndicator string `json:"claim_filing_indicator"`
	// Adjustments are the claim-level CAS of the other payer.
	Adjustments []Adjustment `json:"adjustments,omitempty"`
	// PaidAmount is AMT*D, the other payer's paid amount.
	PaidAmount *decimal.Decimal `json:"paid_amount,omitempty"`
	// RemainingPatientLiability is AMT*EAF.
	RemainingPatientLiability *decimal.Decimal `json:"remaining_patient_liability,omitempty"`
	// BenefitsAssignment is OI03 (Y, N, W), PatientSignatureSource OI04,
	// ReleaseOfInformation OI06 (I, Y).
	BenefitsAssignment     string `json:"benefits_assignment"`
	PatientSignatureSource string `json:"patient_signature_source,omitempty"`
	ReleaseOfInformation   string `json:"release_of_information"`
	// Subscriber is loop 2330A.
	Subscriber OtherSubscriber `json:"subscriber"`
	// Payer is loop 2330B.
	Payer OtherPayerName `json:"payer"`
}

// OtherSubscriber is loop 2330A (NM1*IL).
type OtherSubscriber struct {
	EntityType string `json:"entity_type"`
	LastName   string `json:"last_name"`
	FirstName  string `json:"first_name,omitempty"`
	MiddleName string `json:"middle_name,omitempty"`
	Suffix     string `json:"suffix,omitempty"`
	// IDQualifier is NM108 ("MI" member ID when empty, or "II").
	IDQualifier string   `json:"id_qualifier"`
	ID          string   `json:"id"`
	Address     *Address `json:"address,omitempty"`
}

// OtherPayerName is loop 2330B (NM1*PR).
type OtherPayerName struct {
	Name string `json:"name"`
	// IDQualifier is NM108 ("PI" when empty, or "XV").
	IDQualifier string   `json:"id_qualifier"`
	ID          string   `json:"id"`
	Address     *Address `json:"address,omitempty"`
	// AdjudicationDate is DTP*573 (claim check or remittance date).
	AdjudicationDate Date `json:"adjudication_date,omitzero"`
	// SecondaryIDs are REF segments (e.g. F8 other payer claim number).
	SecondaryIDs []Reference `json:"secondary_ids,omitempty"`
}

// ServiceLine837 is one 2400 loop (LX/SV1/DTP*472) with its 2430 line
// adjudications.
type ServiceLine837 struct {
	// Procedure is SV101 (qualifier HC, code, up to four modifiers).
	Procedure Procedure `json:"procedure"`
	// Charge is SV102.
	Charge decimal.Decimal `json:"charge"`
	// UnitType is SV103: UN units or MJ minutes ("UN" when empty).
	UnitType string `json:"unit_type"`
	// Units is SV104.
	Units decimal.Decimal `json:"units"`
	// PlaceOfService is SV105, only when it differs from the claim's.
	PlaceOfService string `json:"place_of_service,omitempty"`
	// DiagnosisPointers is SV107: 1-based indexes into Claim837.Diagnoses
	// (1 to 4 of them).
	DiagnosisPointers []int `json:"diagnosis_pointers"`
	// ServiceDate is DTP*472; ServiceDateEnd is set for a date range (RD8).
	ServiceDate    Date `json:"service_date"`
	ServiceDateEnd Date `json:"service_date_end,omitzero"`
	// LineItemControlNumber is REF*6R.
	LineItemControlNumber string `json:"line_item_control_number,omitempty"`
	// Adjudications are the 2430 loops (other payers' line adjudication).
	Adjudications []LineAdjudication `json:"adjudications,omitempty"`
}

// LineAdjudication is one 2430 loop (SVD/CAS/DTP*573).
type LineAdjudication struct {
	// PayerID is SVD01; it must match an OtherPayer's Payer.ID.
	PayerID string `json:"payer_id"`
	// PaidAmount is SVD02.
	PaidAmount decimal.Decimal `json:"paid_amount"`
	// Procedure is SVD03.
	Procedure Procedure `json:"procedure"`
	// PaidUnits is SVD05.
	PaidUnits decimal.Decimal `json:"paid_units"`
	// BundledLineNumber is SVD06, when present.
	BundledLineNumber string `json:"bundled_line_number,omitempty"`
	// Adjustments are the line CAS of the other payer.
	Adjustments []Adjustment `json:"adjustments,omitempty"`
	// AdjudicationDate is DTP*573.
	AdjudicationDate Date `json:"adjudication_date"`
	// RemainingPatientLiability is AMT*EAF.
	RemainingPatientLiability *decimal.Decimal `json:"remaining_patient_liability,omitempty"`
}
