package x12

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse837PublicPatientNotSubscriber(t *testing.T) {
	bs, err := Parse837(readTestdata(t, "837p/stupidedi_tr3_commercial-patient-not-subscriber.837"))
	require.NoError(t, err)
	require.Len(t, bs, 1)
	b := bs[0]
	assert.Equal(t, "0021", b.Envelope.TransactionControlNumber)
	assert.Equal(t, 10216, b.Envelope.InterchangeControlNumber)
	assert.Equal(t, "244579", b.ReferenceID)
	assert.Equal(t, time.Date(2006, 10, 15, 10, 23, 0, 0, time.UTC), b.CreatedAt)
	assert.Equal(t, Submitter{EntityType: "2", Name: "PREMIER BILLING SERVICE", ID: "TGJ23",
		Contact: Contact{Function: "IC", Name: "JERRY", Phone: "3055552222", Extension: "231"}}, b.Submitter)
	assert.Equal(t, Receiver{Name: "KEY INSURANCE COMPANY", ID: "66783JJT"}, b.Receiver)
	require.Len(t, b.Claims, 1)
	c := b.Claims[0]
	assert.Equal(t, "BEN KILDARE SERVICE", c.BillingProvider.LastName)
	assert.Equal(t, "9876543210", c.BillingProvider.NPI)
	assert.Equal(t, "203BF0100Y", c.BillingProvider.TaxonomyCode)
	assert.Equal(t, "587654321", c.BillingProvider.TaxID)
	assert.Equal(t, &Address{Line1: "2345 OCEAN BLVD", City: "MIAMI", State: "FL", PostalCode: "33111"}, c.PayToAddress)
	assert.Equal(t, "P", c.Subscriber.PayerResponsibility)
	assert.Equal(t, "2222-SJ", c.Subscriber.GroupNumber)
	assert.Equal(t, "JS00111223333", c.Subscriber.MemberID)
	assert.Equal(t, "1943-05-01", c.Subscriber.BirthDate.String())
	assert.Equal(t, []Reference{{Qualifier: "G2", Value: "KA6663"}}, c.Payer.SecondaryIDs)
	assert.Equal(t, "999996666", c.Payer.ID)
	require.NotNil(t, c.Patient)
	assert.Equal(t, "19", c.Patient.Relationship)
	assert.Equal(t, "TED", c.Patient.FirstName)
	assert.Equal(t, "236 N MAIN  ST", c.Patient.Address.Line1)
	assert.Equal(t, "1973-05-01", c.Patient.BirthDate.String())
	assert.Equal(t, "26463774", c.PatientControlNumber)
	assert.True(t, dec("100").Equal(c.TotalCharge))
	assert.Equal(t, "11", c.PlaceOfService)
	assert.Equal(t, "1", c.FrequencyCode)
	assert.Equal(t, "17312345600006351", c.ClearinghouseTraceNumber)
	assert.Equal(t, []string{"0340", "V7389"}, c.Diagnoses)
	assert.True(t, c.ICD9, "BK/BF qualifiers")
	require.Len(t, c.Lines, 4)
	assert.Equal(t, "87070", c.Lines[1].Procedure.Code)
	assert.Equal(t, []int{2}, c.Lines[3].DiagnosisPointers)
	assert.Equal(t, "2006-10-10", c.Lines[3].ServiceDate.String())
}

func TestParse837PublicCOB(t *testing.T) {
	bs, err := Parse837(readTestdata(t, "837p/stupidedi_tr3_cob-billing-provider-to-payer-b.837"))
	require.NoError(t, err)
	c := bs[0].Claims[0]
	assert.Equal(t, "1", c.BillingProvider.EntityType)
	assert.Equal(t, "KILDARE", c.BillingProvider.LastName)
	assert.Equal(t, &Contact{Function: "IC", Name: "CONNIE", Phone: "3055551234"}, c.BillingProvider.Contact)
	assert.Equal(t, "S", c.Subscriber.PayerResponsibility)
	assert.Equal(t, []string{"4779", "2724", "2780", "53081"}, c.Diagnoses)
	require.NotNil(t, c.RenderingProvider)
	assert.Equal(t, "204C00000X", c.RenderingProvider.TaxonomyCode)
	assert.Equal(t, []Reference{{Qualifier: "G2", Value: "88877"}}, c.RenderingProvider.SecondaryIDs)
	require.NotNil(t, c.ServiceFacility)
	assert.Equal(t, "1581234567", c.ServiceFacility.NPI)
	require.Len(t, c.OtherPayers, 1)
	o := c.OtherPayers[0]
	assert.Equal(t, "P", o.PayerResponsibility)
	assert.Equal(t, "01", o.Relationship)
	assert.Equal(t, []Adjustment{{Group: "PR", Reason: "1", Amount: dec("21.89")}, {Group: "PR", Reason: "2", Amount: dec("15")}}, o.Adjustments)
	assert.True(t, dec("39.15").Equal(*o.PaidAmount))
	assert.True(t, dec("36.89").Equal(*o.RemainingPatientLiability))
	assert.Equal(t, "Y", o.BenefitsAssignment)
	assert.Equal(t, "P", o.PatientSignatureSource)
	assert.Equal(t, "Y", o.ReleaseOfInformation)
	assert.Equal(t, "JS00111223333", o.Subscriber.ID)
	assert.Equal(t, "236 N MAIN ST", o.Subscriber.Address.Line1)
	assert.Equal(t, OtherPayerName{Name: "KEY INSURANCE COMPANY", IDQualifier: "PI", ID: "999996666"}, o.Payer)
	require.Len(t, c.Lines, 3)
	assert.Equal(t, []int{1, 2, 3, 4}, c.Lines[0].DiagnosisPointers)
	require.Len(t, c.Lines[0].Adjudications, 1)
	a := c.Lines[0].Adjudications[0]
	assert.Equal(t, "999996666", a.PayerID)
	assert.True(t, dec("40").Equal(a.PaidAmount))
	assert.Equal(t, []Adjustment{{Group: "CO", Reason: "42", Amount: dec("3")}}, a.Adjustments)
	assert.Equal(t, "2005-10-15", a.AdjudicationDate.String())
	assert.True(t, dec("21.04").Equal(c.Lines[2].Adjudications[0].PaidAmount))
}

// TestRoundTrip837 writes a claim and reads it back: the result must equal
// the source.
func TestRoundTrip837(t *testing.T) {
	tests := []struct {
		name   string
		claims []Claim837
	}{
		{"original", []Claim837{originalClaim()}},
		{"replacement (7) with REF*F8", []Claim837{replacementClaim()}},
		{"void (8)", []Claim837{voidClaim()}},
		{"patient is not the subscriber", []Claim837{dependentClaim()}},
		{"secondary with COB loops", []Claim837{secondaryClaim()}},
		{"ICD-9 qualifiers", func() []Claim837 {
			c := originalClaim()
			c.ICD9 = true
			c.Diagnoses = []string{"25000", "4019"}
			return []Claim837{c}
		}()},
		{"mixed batch", []Claim837{originalClaim(), replacementClaim(), dependentClaim(), secondaryClaim(), voidClaim()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := testBatch(tt.claims...)
			out, err := Write837(src)
			require.NoError(t, err)
			got, err := Parse837(out)
			require.NoError(t, err)
			require.Len(t, got, 1)
			requireSameJSON(t, *src, got[0])
		})
	}
}

// TestRoundTrip837DottedDiagnoses: a claim whose diagnoses are dotted is
// written without the dot and reads back as the undotted claim.
func TestRoundTrip837DottedDiagnoses(t *testing.T) {
	for _, tt := range []struct {
		name       string
		src, want  Claim837
		wantSource []string
	}{
		{"ICD-10-CM", dottedClaim(), originalClaim(), []string{"E119", "I10", "Z7984"}},
		{"ICD-9-CM", icd9Claim(), func() Claim837 {
			c := icd9Claim()
			c.Diagnoses = []string{"25000", "E8809"}
			return c
		}(), []string{"25000", "E8809"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Write837(testBatch(tt.src))
			require.NoError(t, err)
			got, err := Parse837(out)
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.wantSource, got[0].Claims[0].Diagnoses)
			requireSameJSON(t, *testBatch(tt.want), got[0])
		})
	}
}

// TestRoundTrip837PublicSamples reads the public samples, writes them and
// reads the output again: nothing the model holds may be lost.
func TestRoundTrip837PublicSamples(t *testing.T) {
	for _, f := range testdataFiles(t, "837p") {
		t.Run(f, func(t *testing.T) {
			first, err := Parse837(readTestdata(t, strings.TrimPrefix(f, "testdata/")))
			require.NoError(t, err)
			require.Len(t, first, 1)
			// Some published examples carry what X222A1 forbids and the
			// writer refuses or leaves out: complete or drop it first.
			conformX222A1(&first[0])
			out, err := Write837(&first[0])
			require.NoError(t, err)
			second, err := Parse837(out)
			require.NoError(t, err)
			requireSameJSON(t, first, second)
		})
	}
}

func TestParse837Errors(t *testing.T) {
	base := readTestdata(t, "837p/stupidedi_tr3_commercial-patient-not-subscriber.837")
	tests := []struct {
		name, old, new, want string
	}{
		{"bad CLM02", "CLM*26463774*100*", "CLM*26463774*1OO*", `segment CLM at position 29, element 2: invalid amount "1OO"`},
		{"bad place of service", "*11:B:1*", "*11*", `segment CLM at position 29, element 5: invalid place of service composite "11"`},
		{"bad SV1 charge", "SV1*HC:99213*40*", "SV1*HC:99213*4O*", `segment SV1 at position 33, element 2: invalid amount "4O"`},
		{"bad pointer", "SV1*HC:99213*40*UN*1***1", "SV1*HC:99213*40*UN*1***X", `segment SV1 at position 33, element 7: invalid diagnosis pointer "X"`},
		{"bad service date", "DTP*472*D8*20061003~LX*2", "DTP*472*D8*20061303~LX*2", `segment DTP at position 34, element 3: invalid date "20061303"`},
		{"bad DMG", "DMG*D8*19730501*M", "DMG*D8*1973050*M", `segment DMG at position 28, element 2: invalid date "1973050"`},
		{"HL parent missing", "HL*3*2*23*0", "HL*3*7*23*0", `segment HL at position 23, element 2: parent HL "7" not found`},
		{"HL wrong parent", "HL*3*2*23*0", "HL*3*1*23*0", `segment HL at position 23, element 2: HL level 23 cannot have a parent of level "20"`},
		{"other diagnosis first", "HI*BK:0340*BF:V7389", "HI*BF:0340*BK:V7389", `segment HI at position 31, element 1: other diagnosis before the principal diagnosis`},
		{"CAS outside COB", "LX*4~", "CAS*CO*45*1~LX*4~", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := mutate(t, base, tt.old, tt.new)
			if tt.want == "" {
				data = mutate(t, data, "SE*42*", "SE*43*")
				tt.want = "segment CAS at position 41: CAS outside loops 2320 and 2430"
			}
			_, err := Parse837(data)
			require.Error(t, err)
			assert.Equal(t, "x12: "+tt.want, err.Error())
		})
	}
}

func TestParse837RefusesInstitutional(t *testing.T) {
	base := readTestdata(t, "837p/stupidedi_tr3_commercial-patient-not-subscriber.837")
	// 5010 institutional and dental, and 4010 institutional (X096) and
	// dental (X097): none is read as professional.
	for _, ref := range []string{"005010X223A2", "005010X224A2", "004010X096A1", "004010X097A1", "NOTAGUIDE"} {
		data := mutate(t, base, "ST*837*0021*005010X222A1", "ST*837*0021*"+ref)
		_, err := Parse837(data)
		require.Error(t, err, ref)
		assert.Contains(t, err.Error(), `837 implementation "`+ref+`" is not professional`)
	}
	// 4010 professional (X098) is still read.
	_, err := Parse837(mutate(t, base, "ST*837*0021*005010X222A1", "ST*837*0021*004010X098A1"))
	require.NoError(t, err)
}

// conformX222A1 completes the 5-digit ZIPs of the billing provider and the
// service facility with "0000" (X222A1 requires ZIP+4 there; Write837 refuses
// them) and drops the subscriber's DMG when the patient is someone else
// (X222A1: not sent; Write837 leaves it out).
func conformX222A1(b *Batch837) {
	for i := range b.Claims {
		c := &b.Claims[i]
		if c.Patient != nil {
			c.Subscriber.BirthDate, c.Subscriber.Gender = Date{}, ""
		}
		for _, a := range []*Address{c.BillingProvider.Address, func() *Address {
			if c.ServiceFacility != nil {
				return c.ServiceFacility.Address
			}
			return nil
		}()} {
			if a != nil && len(a.PostalCode) == 5 {
				a.PostalCode += "0000"
			}
		}
	}
}
