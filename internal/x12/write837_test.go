package x12

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden 837 files in testdata/837p")

func testBatch(claims ...Claim837) *Batch837 {
	at := time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)
	return &Batch837{
		Envelope: Envelope{
			SenderIDQualifier: "ZZ", SenderID: "CLINICFLOW", ReceiverIDQualifier: "ZZ", ReceiverID: "ACMEHEALTH",
			InterchangeControlNumber: 42, AckRequested: true, UsageIndicator: "T",
			ApplicationSenderCode: "CLINICFLOW", ApplicationReceiverCode: "ACMEHEALTH",
			GroupControlNumber: 7, Date: at, TransactionControlNumber: "0001",
		},
		PurposeCode: "00", ReferenceID: "BATCH0001", CreatedAt: at, TransactionType: "CH",
		Submitter: Submitter{EntityType: "2", Name: "CLINICFLOW BILLING", ID: "CFB123",
			Contact: Contact{Function: "IC", Name: "BILLING DESK", Phone: "2175550100", Email: "billing@clinicflow.example"}},
		Receiver: Receiver{Name: "ACME HEALTH PLAN", ID: "ACME01"},
		Claims:   claims,
	}
}

func testBillingProvider() Provider {
	return Provider{
		EntityType: "2", LastName: "CLINICFLOW FAMILY PRACTICE", NPI: "1234567893", TaxonomyCode: "207Q00000X",
		TaxIDQualifier: "EI", TaxID: "371234567",
		Address: &Address{Line1: "12 MAIN STREET", Line2: "SUITE 200", City: "SPRINGFIELD", State: "IL", PostalCode: "627011234"},
	}
}

func testSubscriberSelf() Subscriber {
	return Subscriber{
		PayerResponsibility: "P", GroupNumber: "GRP100", ClaimFilingIndicator: "CI",
		EntityType: "1", LastName: "DOE", FirstName: "JOHN", MiddleName: "Q", MemberID: "W123456789",
		Address:   &Address{Line1: "45 ELM ST", City: "SPRINGFIELD", State: "IL", PostalCode: "62704"},
		BirthDate: NewDate(1980, 5, 17), Gender: "M",
	}
}

// originalClaim is a primary claim where the subscriber is the patient.
func originalClaim() Claim837 {
	return Claim837{
		BillingProvider:      testBillingProvider(),
		Subscriber:           testSubscriberSelf(),
		Payer:                Payer{Name: "ACME HEALTH PLAN", ID: "ACME01"},
		PatientControlNumber: "PCN1001",
		TotalCharge:          dec("235.50"),
		PlaceOfService:       "11",
		FrequencyCode:        "1",
		ProviderSignature:    true,
		AssignmentCode:       "A",
		BenefitsAssignment:   "Y",
		ReleaseOfInformation: "Y",
		PriorAuthorization:   "AUTH778",
		Diagnoses:            []string{"E119", "I10", "Z7984"},
		RenderingProvider: &Provider{EntityType: "1", LastName: "HOUSE", FirstName: "GREGORY", NPI: "1497758544",
			TaxonomyCode: "207R00000X"},
		Lines: []ServiceLine837{
			{Procedure: Procedure{Qualifier: "HC", Code: "99214", Modifiers: []string{"25"}}, Charge: dec("185.50"), UnitType: "UN",
				Units: dec("1"), DiagnosisPointers: []int{1, 2}, ServiceDate: NewDate(2024, 2, 20), LineItemControlNumber: "LN0001"},
			{Procedure: Procedure{Qualifier: "HC", Code: "82947"}, Charge: dec("50"), UnitType: "UN",
				Units: dec("1"), DiagnosisPointers: []int{1}, ServiceDate: NewDate(2024, 2, 20), LineItemControlNumber: "LN0002"},
		},
	}
}

// dottedClaim is originalClaim with its diagnoses written as people write
// them; the 837P carries them without the dot all the same.
func dottedClaim() Claim837 {
	c := originalClaim()
	c.Diagnoses = []string{"E11.9", "I10", "Z79.84"}
	return c
}

// icd9Claim is a pre-2015 claim with dotted ICD-9-CM codes, one an E code
// (dot after the fourth character).
func icd9Claim() Claim837 {
	c := originalClaim()
	c.ICD9 = true
	c.Diagnoses = []string{"250.00", "E880.9"}
	return c
}

// replacementClaim replaces a paid claim (frequency 7, REF*F8).
func replacementClaim() Claim837 {
	c := originalClaim()
	c.PatientControlNumber = "PCN1001R"
	c.FrequencyCode = "7"
	c.OriginalClaimNumber = "PAYER0002"
	c.PriorAuthorization = ""
	c.Lines[0].Procedure.Modifiers = []string{"25", "GT"}
	return c
}

// voidClaim voids a claim (frequency 8, REF*F8).
func voidClaim() Claim837 {
	c := originalClaim()
	c.PatientControlNumber = "PCN1001V"
	c.FrequencyCode = "8"
	c.OriginalClaimNumber = "PAYER0003"
	c.PriorAuthorization = ""
	c.RenderingProvider = nil
	return c
}

// dependentClaim is for a child covered under a parent's plan.
func dependentClaim() Claim837 {
	return Claim837{
		BillingProvider: testBillingProvider(),
		PayToAddress:    &Address{Line1: "PO BOX 900", City: "SPRINGFIELD", State: "IL", PostalCode: "62705"},
		Subscriber: Subscriber{PayerResponsibility: "P", GroupNumber: "GRP200", GroupName: "ROE INDUSTRIES", ClaimFilingIndicator: "CI",
			EntityType: "1", LastName: "ROE", FirstName: "RICHARD", MemberID: "W987654300"},
		Payer: Payer{Name: "ACME HEALTH PLAN", ID: "ACME01",
			Address: &Address{Line1: "100 INSURANCE WAY", City: "HARTFORD", State: "CT", PostalCode: "06101"}},
		Patient: &Patient{Relationship: "19", LastName: "ROE", FirstName: "JANE", MiddleName: "A",
			Address:   &Address{Line1: "9 OAK AVE", City: "SPRINGFIELD", State: "IL", PostalCode: "62704"},
			BirthDate: NewDate(2015, 8, 9), Gender: "F"},
		PatientControlNumber:     "PCN1002",
		TotalCharge:              dec("200"),
		PlaceOfService:           "11",
		FrequencyCode:            "1",
		ProviderSignature:        true,
		AssignmentCode:           "A",
		BenefitsAssignment:       "Y",
		ReleaseOfInformation:     "I",
		ClearinghouseTraceNumber: "CH998877",
		Diagnoses:                []string{"J069", "R509"},
		ServiceFacility: &Facility{Name: "CLINICFLOW PEDIATRICS", NPI: "1558394427",
			Address: &Address{Line1: "3 PARK RD", City: "SPRINGFIELD", State: "IL", PostalCode: "627023344"}},
		Lines: []ServiceLine837{
			{Procedure: Procedure{Qualifier: "HC", Code: "99213"}, Charge: dec("120"), UnitType: "UN", Units: dec("1"),
				DiagnosisPointers: []int{1, 2}, ServiceDate: NewDate(2024, 2, 10)},
			{Procedure: Procedure{Qualifier: "HC", Code: "97110", Modifiers: []string{"GP"}}, Charge: dec("80"), UnitType: "UN", Units: dec("2"),
				PlaceOfService: "02", DiagnosisPointers: []int{2}, ServiceDate: NewDate(2024, 2, 10), ServiceDateEnd: NewDate(2024, 2, 12)},
		},
	}
}

// secondaryClaim is sent to the secondary payer with the primary payer's
// adjudication (2320/2330A/2330B and 2430).
func secondaryClaim() Claim837 {
	c := originalClaim()
	c.PatientControlNumber = "PCN1001S"
	c.PriorAuthorization = ""
	c.Subscriber.PayerResponsibility = "S"
	c.Subscriber.GroupNumber = "SUN77"
	c.Payer = Payer{Name: "SUNRISE MUTUAL", ID: "SUN01", SecondaryIDs: []Reference{{Qualifier: "2U", Value: "SUNRISE"}}}
	adjDate := NewDate(2024, 3, 10)
	c.OtherPayers = []OtherPayer{{
		PayerResponsibility: "P", Relationship: "18", GroupNumber: "GRP100", ClaimFilingIndicator: "CI",
		Adjustments: []Adjustment{
			{Group: "CO", Reason: "45", Amount: dec("20.50")},
			{Group: "PR", Reason: "3", Amount: dec("30"), Quantity: decp("1")},
		},
		PaidAmount:                decp("185"),
		RemainingPatientLiability: decp("30"),
		BenefitsAssignment:        "Y", PatientSignatureSource: "P", ReleaseOfInformation: "Y",
		Subscriber: OtherSubscriber{EntityType: "1", LastName: "DOE", FirstName: "JOHN", IDQualifier: "MI", ID: "W123456789",
			Address: &Address{Line1: "45 ELM ST", City: "SPRINGFIELD", State: "IL", PostalCode: "62704"}},
		Payer: OtherPayerName{Name: "ACME HEALTH PLAN", IDQualifier: "PI", ID: "ACME01", AdjudicationDate: adjDate,
			SecondaryIDs: []Reference{{Qualifier: "F8", Value: "PAYER0002"}}},
	}}
	c.Lines[0].Adjudications = []LineAdjudication{{
		PayerID: "ACME01", PaidAmount: dec("150"), Procedure: Procedure{Qualifier: "HC", Code: "99214", Modifiers: []string{"25"}},
		PaidUnits: dec("1"), AdjudicationDate: adjDate,
		Adjustments: []Adjustment{{Group: "CO", Reason: "45", Amount: dec("15.50")}, {Group: "PR", Reason: "3", Amount: dec("20")}},
	}}
	c.Lines[1].Adjudications = []LineAdjudication{{
		PayerID: "ACME01", PaidAmount: dec("35"), Procedure: Procedure{Qualifier: "HC", Code: "82947"},
		PaidUnits: dec("1"), AdjudicationDate: adjDate, RemainingPatientLiability: decp("10"),
		Adjustments: []Adjustment{{Group: "CO", Reason: "45", Amount: dec("5")}, {Group: "PR", Reason: "3", Amount: dec("10")}},
	}}
	return c
}

// segmentsOf tokenizes written output.
func segmentsOf(t *testing.T, data []byte) []Segment {
	t.Helper()
	segs, err := Tokenize(data)
	require.NoError(t, err)
	return segs
}

func findSegments(segs []Segment, id string) []string {
	var out []string
	for _, s := range segs {
		if s.ID == id {
			out = append(out, s.String())
		}
	}
	return out
}

func TestWrite837Golden(t *testing.T) {
	tests := []struct {
		file  string
		batch *Batch837
	}{
		{"837p/clinicflow_original.837", testBatch(originalClaim())},
		{"837p/clinicflow_batch.837", testBatch(originalClaim(), replacementClaim(), dependentClaim(), secondaryClaim(), voidClaim())},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Write837WithOptions(tt.batch, WriteOptions{LineBreaks: true})
			require.NoError(t, err)
			path := filepath.Join("testdata", tt.file)
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
}

func TestWrite837Envelope(t *testing.T) {
	out, err := Write837(testBatch(originalClaim()))
	require.NoError(t, err)
	s := string(out)
	assert.True(t, strings.HasPrefix(s, "ISA*00*          *00*          *ZZ*CLINICFLOW     *ZZ*ACMEHEALTH     *240301*0930*^*00501*000000042*1*T*:~GS*HC*CLINICFLOW*ACMEHEALTH*20240301*0930*7*X*005010X222A1~ST*837*0001*005010X222A1~BHT*0019*00*BATCH0001*20240301*0930*CH~"), s)
	assert.True(t, strings.HasSuffix(s, "~GE*1*7~IEA*1*000000042~"), s)
	assert.NotContains(t, s, "\n")
	// The envelope reader validates SE/GE/IEA counts and control numbers.
	ics, err := ReadInterchanges(out)
	require.NoError(t, err)
	tx := ics[0].Groups[0].Transactions[0]
	assert.Equal(t, "SE*"+strconv.Itoa(len(tx.Segments)+2)+"*0001", tx.Trailer.String())
}

func TestWrite837Segments(t *testing.T) {
	tests := []struct {
		name  string
		claim Claim837
		id    string
		want  []string
	}{
		{"CLM original", originalClaim(), "CLM", []string{"CLM*PCN1001*235.5***11:B:1*Y*A*Y*Y"}},
		{"CLM replacement", replacementClaim(), "CLM", []string{"CLM*PCN1001R*235.5***11:B:7*Y*A*Y*Y"}},
		{"REF replacement", replacementClaim(), "REF", []string{"REF*EI*371234567", "REF*F8*PAYER0002", "REF*6R*LN0001", "REF*6R*LN0002"}},
		{"CLM void", voidClaim(), "CLM", []string{"CLM*PCN1001V*235.5***11:B:8*Y*A*Y*Y"}},
		{"HI ICD-10", originalClaim(), "HI", []string{"HI*ABK:E119*ABF:I10*ABF:Z7984"}},
		{"HI ICD-10 dotted", dottedClaim(), "HI", []string{"HI*ABK:E119*ABF:I10*ABF:Z7984"}},
		{"HI ICD-9 dotted", icd9Claim(), "HI", []string{"HI*BK:25000*BF:E8809"}},
		{"SV1", originalClaim(), "SV1", []string{"SV1*HC:99214:25*185.5*UN*1***1:2", "SV1*HC:82947*50*UN*1***1"}},
		{"SV1 with POS", dependentClaim(), "SV1", []string{"SV1*HC:99213*120*UN*1***1:2", "SV1*HC:97110:GP*80*UN*2*02**2"}},
		{"DTP range", dependentClaim(), "DTP", []string{"DTP*472*D8*20240210", "DTP*472*RD8*20240210-20240212"}},
		{"rendering", originalClaim(), "PRV", []string{"PRV*BI*PXC*207Q00000X", "PRV*PE*PXC*207R00000X"}},
		{"SBR self", originalClaim(), "SBR", []string{"SBR*P*18*GRP100******CI"}},
		{"SBR dependent", dependentClaim(), "SBR", []string{"SBR*P**GRP200*ROE INDUSTRIES*****CI"}},
		{"PAT", dependentClaim(), "PAT", []string{"PAT*19"}},
		{"SBR secondary", secondaryClaim(), "SBR", []string{"SBR*S*18*SUN77******CI", "SBR*P*18*GRP100******CI"}},
		{"CAS secondary", secondaryClaim(), "CAS", []string{"CAS*CO*45*20.5", "CAS*PR*3*30*1", "CAS*CO*45*15.5", "CAS*PR*3*20", "CAS*CO*45*5", "CAS*PR*3*10"}},
		{"AMT secondary", secondaryClaim(), "AMT", []string{"AMT*D*185", "AMT*EAF*30", "AMT*EAF*10"}},
		{"OI", secondaryClaim(), "OI", []string{"OI***Y*P**Y"}},
		{"SVD", secondaryClaim(), "SVD", []string{"SVD*ACME01*150*HC:99214:25**1", "SVD*ACME01*35*HC:82947**1"}},
		{"DTP*573", secondaryClaim(), "DTP", []string{"DTP*573*D8*20240310", "DTP*472*D8*20240220", "DTP*573*D8*20240310", "DTP*472*D8*20240220", "DTP*573*D8*20240310"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Write837(testBatch(tt.claim))
			require.NoError(t, err)
			assert.Equal(t, tt.want, findSegments(segmentsOf(t, out), tt.id))
		})
	}
}

func TestWrite837HierarchyNumbering(t *testing.T) {
	dep := dependentClaim()
	dep.PayToAddress = nil // same billing level as the other claims
	other := dependentClaim()
	other.BillingProvider.NPI = "1003000126"
	other.PatientControlNumber = "PCN9"
	batch := testBatch(originalClaim(), replacementClaim(), dep, secondaryClaim(), other)
	out, err := Write837(batch)
	require.NoError(t, err)
	segs := segmentsOf(t, out)
	assert.Equal(t, []string{
		"HL*1**20*1",  // billing provider
		"HL*2*1*22*0", // DOE, self: original + replacement share it
		"HL*3*1*22*1", // ROE subscriber
		"HL*4*3*23*0", // JANE patient
		"HL*5*1*22*0", // DOE with the secondary payer
		"HL*6**20*1",  // second billing provider
		"HL*7*6*22*1",
		"HL*8*7*23*0",
	}, findSegments(segs, "HL"))
	assert.Len(t, findSegments(segs, "CLM"), 5)
}

func TestWrite837RenderingSameAsBillingIsOmitted(t *testing.T) {
	c := originalClaim()
	bp := c.BillingProvider
	c.RenderingProvider = &Provider{EntityType: bp.EntityType, LastName: bp.LastName, NPI: bp.NPI, TaxonomyCode: bp.TaxonomyCode}
	out, err := Write837(testBatch(c))
	require.NoError(t, err)
	segs := segmentsOf(t, out)
	for _, s := range findSegments(segs, "NM1") {
		assert.False(t, strings.HasPrefix(s, "NM1*82"), s)
	}
}

func TestWrite837Validation(t *testing.T) {
	tests := []struct {
		name   string
		modify func(b *Batch837)
		want   string
	}{
		{"no claims", func(b *Batch837) { b.Claims = nil }, "at least one claim"},
		{"ISA13 range", func(b *Batch837) { b.Envelope.InterchangeControlNumber = 1_000_000_000 }, "interchange control number"},
		{"ST02 length", func(b *Batch837) { b.Envelope.TransactionControlNumber = "1" }, "transaction control number"},
		{"sender too long", func(b *Batch837) { b.Envelope.SenderID = "0123456789ABCDEF" }, "sender and receiver IDs"},
		{"charge mismatch", func(b *Batch837) { b.Claims[0].TotalCharge = dec("235") }, "does not equal the sum of line charges 235.5"},
		{"frequency 7 without F8", func(b *Batch837) { b.Claims[0].FrequencyCode = "7" }, "needs the original payer claim number"},
		{"frequency 1 with F8", func(b *Batch837) { b.Claims[0].OriginalClaimNumber = "X" }, "only for frequency 7 or 8"},
		{"bad frequency", func(b *Batch837) { b.Claims[0].FrequencyCode = "5" }, `frequency code "5"`},
		{"misplaced dot", func(b *Batch837) { b.Claims[0].Diagnoses[0] = "E1.19" }, `diagnosis "E1.19" must be 3-7 letters or digits`},
		{"trailing dot", func(b *Batch837) { b.Claims[0].Diagnoses[0] = "E11." }, `diagnosis "E11."`},
		{"two dots", func(b *Batch837) { b.Claims[0].Diagnoses[0] = "E11.9.1" }, `diagnosis "E11.9.1"`},
		{"E code dot is ICD-9 only", func(b *Batch837) { b.Claims[0].Diagnoses[0] = "E880.9" }, `diagnosis "E880.9"`},
		{"13 diagnoses", func(b *Batch837) {
			b.Claims[0].Diagnoses = strings.Split("A001 A002 A003 A004 A005 A006 A007 A008 A009 A010 A011 A012 A013", " ")
		}, "1 to 12 diagnoses"},
		{"pointer out of range", func(b *Batch837) { b.Claims[0].Lines[0].DiagnosisPointers = []int{4} }, "diagnosis pointer 4 is out of range"},
		{"five pointers", func(b *Batch837) { b.Claims[0].Lines[0].DiagnosisPointers = []int{1, 2, 3, 1, 2} }, "1 to 4 diagnosis pointers"},
		{"bad NPI", func(b *Batch837) { b.Claims[0].BillingProvider.NPI = "123" }, "10-digit NPI"},
		{"patient self relationship", func(b *Batch837) {
			b.Claims[0].Patient = &Patient{Relationship: "18", LastName: "X", BirthDate: NewDate(2000, 1, 1), Gender: "F"}
		}, "not 18"},
		{"delimiter in data", func(b *Batch837) { b.Claims[0].Subscriber.LastName = "O*NEIL" }, `value "O*NEIL" contains the delimiter`},
		{"component in data", func(b *Batch837) { b.Claims[0].Lines[0].Procedure.Code = "99:14" }, `value "99:14" contains the delimiter`},
		{"SVD payer unknown", func(b *Batch837) {
			s := secondaryClaim()
			s.Lines[0].Adjudications[0].PayerID = "NOPE"
			b.Claims[0] = s
		}, `payer ID "NOPE" matches no other payer`},
		{"three decimals", func(b *Batch837) {
			b.Claims[0].Lines[1].Charge = dec("50.001")
			b.Claims[0].TotalCharge = dec("235.501")
		}, "at most 2 decimals"},
		{"rendering with address", func(b *Batch837) {
			b.Claims[0].RenderingProvider.Address = &Address{Line1: "X", City: "Y"}
		}, "carries no address"},
		// X222A1 rules a validator found broken in what we wrote.
		{"billing provider 5-digit ZIP", func(b *Batch837) { b.Claims[0].BillingProvider.Address.PostalCode = "62701" },
			`billing provider (2010AA) postal code "62701" must be the 9-digit ZIP+4`},
		{"service facility 5-digit ZIP", func(b *Batch837) {
			b.Claims[0].ServiceFacility = &Facility{Name: "EAST", Address: &Address{Line1: "1 A ST", City: "B", State: "IL", PostalCode: "62702"}}
		}, `service facility (2310C) postal code "62702" must be the 9-digit ZIP+4`},
		{"self subscriber without address", func(b *Batch837) { b.Claims[0].Subscriber.Address = nil },
			"subscriber (2010BA) address (N3/N4: street, city, state, postal code) is required when the subscriber is the patient"},
		{"self subscriber without DMG", func(b *Batch837) { b.Claims[0].Subscriber.BirthDate = Date{} },
			"subscriber (2010BA) birth date and gender (DMG) are required when the subscriber is the patient"},
		{"patient without address", func(b *Batch837) {
			b.Claims[0].Patient = &Patient{Relationship: "19", LastName: "X", BirthDate: NewDate(2010, 1, 1), Gender: "F"}
		}, "patient (2010CA) address (N3/N4: street, city, state, postal code) is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := testBatch(originalClaim())
			tt.modify(b)
			out, err := Write837(b)
			require.Error(t, err)
			assert.Nil(t, out)
			assert.True(t, errors.Is(err, ErrInvalidClaim))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestWrite837CustomDelimiters(t *testing.T) {
	d := Delimiters{Element: '|', Repetition: '`', Component: '>', Segment: '\n'}
	out, err := Write837WithOptions(testBatch(dependentClaim()), WriteOptions{Delimiters: d})
	require.NoError(t, err)
	assert.Contains(t, string(out), "\nCLM|PCN1002|200|||11>B>1|Y|A|Y|I\n")
	got, err := Parse837(out)
	require.NoError(t, err)
	requireSameJSON(t, []Batch837{*testBatch(dependentClaim())}, got)

	_, err = Write837WithOptions(testBatch(dependentClaim()), WriteOptions{Delimiters: Delimiters{Element: '*', Component: '*', Segment: '~'}})
	assert.ErrorIs(t, err, ErrInvalidClaim)
}

// ISA11 is the repetition separator in 5010: never 4010's "U", even when
// the caller chose delimiters without one.
func TestWrite837ISA11WithoutRepetitionSeparator(t *testing.T) {
	for _, d := range []Delimiters{{Element: '|', Component: '>', Segment: '\n'}, {Element: '^', Component: '{', Segment: '~'}} {
		out, err := Write837WithOptions(testBatch(originalClaim()), WriteOptions{Delimiters: d})
		require.NoError(t, err)
		isa11 := out[82]
		assert.NotEqual(t, byte('U'), isa11)
		assert.NotContains(t, []byte{d.Element, d.Component, d.Segment}, isa11)
		assert.False(t, isAlnum(isa11))
		_, err = Parse837(out)
		require.NoError(t, err)
	}
}

// 2010BA DMG is sent only when the subscriber is the patient.
func TestWrite837NoSubscriberDMGForADependant(t *testing.T) {
	c := dependentClaim()
	c.Subscriber.BirthDate, c.Subscriber.Gender = NewDate(1970, 1, 2), "F"
	out, err := Write837(testBatch(c))
	require.NoError(t, err)
	assert.NotContains(t, string(out), "DMG*D8*19700102")
	assert.Contains(t, string(out), "DMG*D8*"+c.Patient.BirthDate.X12())
}

func TestWrite837ISAPadsBytes(t *testing.T) {
	b := testBatch(originalClaim())
	b.Envelope.SenderID = "CLÍNICA" // 8 bytes, 7 runes
	out, err := Write837(b)
	require.NoError(t, err)
	ics, err := ReadInterchanges(out)
	require.NoError(t, err)
	assert.Equal(t, "CLÍNICA", ics[0].SenderID)
}
