package x12

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testEnvelope(cn int) Envelope {
	return Envelope{
		SenderIDQualifier: "ZZ", SenderID: "ACMEHEALTH", ReceiverIDQualifier: "ZZ", ReceiverID: "CLINICFLOW",
		InterchangeControlNumber: cn, UsageIndicator: "T",
		ApplicationSenderCode: "ACMEHEALTH", ApplicationReceiverCode: "CLINICFLOW",
		GroupControlNumber: cn, Date: time.Date(2024, 3, 5, 14, 7, 0, 0, time.UTC),
		TransactionControlNumber: fmt.Sprintf("%04d", cn),
	}
}

// requireEnvelopeCounts checks SE01/GE01/IEA01 through ReadInterchanges.
func requireEnvelopeCounts(t *testing.T, data []byte) {
	t.Helper()
	ics, err := ReadInterchanges(data)
	require.NoError(t, err)
	require.Len(t, ics, 1)
	require.Len(t, ics[0].Groups, 1)
	require.Len(t, ics[0].Groups[0].Transactions, 1)
}

func TestWrite999RoundTrip(t *testing.T) {
	tests := []struct {
		name string
		ack  Ack999
	}{
		{"accepted", Ack999{
			Envelope: testEnvelope(11), ImplementationRef: Implementation999, FunctionalID: "HC", GroupControlNumber: "7",
			GroupVersion: Implementation837P,
			Transactions: []TransactionAck{{TransactionSetID: "837", ControlNumber: "0001", ImplementationRef: Implementation837P, Status: "A", Accepted: true}},
			GroupStatus:  "A", TransactionsIncluded: 1, TransactionsReceived: 1, TransactionsAccepted: 1,
		}},
		{"rejected with IK3/IK4/CTX", Ack999{
			Envelope: testEnvelope(12), ImplementationRef: Implementation999, FunctionalID: "HC", GroupControlNumber: "8",
			GroupVersion: Implementation837P,
			Transactions: []TransactionAck{
				{TransactionSetID: "837", ControlNumber: "0001", ImplementationRef: Implementation837P, Status: "R", ErrorCodes: []string{"5"},
					SegmentErrors: []SegmentError{{SegmentID: "CLM", Position: 22, LoopID: "2300", ErrorCode: "8",
						Context: []ErrorContext{{Name: "CLM01", Reference: "PCN1"}},
						ElementErrors: []ElementError{{Position: 5, ComponentPosition: 3, ElementRef: "1325", ErrorCode: "7", BadData: "9",
							Context: []ErrorContext{{Name: "SITUATIONAL TRIGGER", SegmentID: "CLM", SegmentPosition: 22, LoopID: "2300", ElementPosition: "5:3"}}}}}}},
				{TransactionSetID: "837", ControlNumber: "0002", Status: "A", Accepted: true},
			},
			GroupStatus: "P", TransactionsIncluded: 2, TransactionsReceived: 2, TransactionsAccepted: 1, GroupErrorCodes: []string{"5"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := Write999(&tt.ack)
			require.NoError(t, err)
			requireEnvelopeCounts(t, data)
			got, err := Parse999(data)
			require.NoError(t, err)
			require.Len(t, got, 1)
			requireSameJSON(t, tt.ack, got[0])
		})
	}
}

func TestWrite999Invalid(t *testing.T) {
	_, err := Write999(&Ack999{Envelope: testEnvelope(1), GroupStatus: "A"})
	require.ErrorIs(t, err, ErrInvalidTransaction)
	a := Ack999{Envelope: testEnvelope(1), FunctionalID: "HC", GroupControlNumber: "1", GroupStatus: "A",
		Transactions: []TransactionAck{{TransactionSetID: "837", ControlNumber: "00*1", Status: "A"}}}
	_, err = Write999(&a)
	require.ErrorIs(t, err, ErrInvalidTransaction)
}

func testStatusReport(impl string) ClaimStatusReport {
	accepted := []StatusInfo{{Codes: []StatusCode{{Category: "A1", Status: "19", Entity: "PR"}}, Date: NewDate(2024, 3, 5), ActionCode: "WQ", Amount: decp("235.5")},
		{Codes: []StatusCode{{Category: "A2", Status: "20", Entity: "PR"}}, Date: NewDate(2024, 3, 5), ActionCode: "WQ", Amount: decp("235.5")}}
	r := ClaimStatusReport{
		Envelope: testEnvelope(21), ImplementationRef: impl, ReferenceID: "ACK0001",
		CreatedAt: time.Date(2024, 3, 5, 14, 7, 0, 0, time.UTC),
		Entities: []StatusEntity{
			{HLID: "1", Level: "20", EntityCode: "PR", Name: Person{EntityType: "2", LastName: "ACME HEALTH PLAN", IDQualifier: "PI", ID: "ACME01"},
				TraceNumber: "SRC0001", ReceivedDate: NewDate(2024, 3, 5), ProcessDate: NewDate(2024, 3, 5)},
			{HLID: "2", ParentID: "1", Level: "21", EntityCode: "41", Name: Person{EntityType: "2", LastName: "CLINICFLOW BILLING", IDQualifier: "46", ID: "CFB123"},
				TraceNumber:      "BATCH0001",
				Statuses:         []StatusInfo{{Codes: []StatusCode{{Category: "A1", Status: "19", Entity: "PR"}}, Date: NewDate(2024, 3, 5), ActionCode: "WQ", Amount: decp("400.5")}},
				AcceptedQuantity: decp("1"), RejectedQuantity: decp("1"), AcceptedAmount: decp("235.5"), RejectedAmount: decp("165")},
			{HLID: "3", ParentID: "2", Level: "19", EntityCode: "85", Name: Person{EntityType: "2", LastName: "CLINICFLOW FAMILY PRACTICE", IDQualifier: "XX", ID: "1234567893"},
				TraceNumber: "0001", AcceptedQuantity: decp("1"), RejectedQuantity: decp("1"), AcceptedAmount: decp("235.5"), RejectedAmount: decp("165")},
		},
		Claims: []ClaimStatus{
			{HLID: "4", ProviderName: "CLINICFLOW FAMILY PRACTICE", ProviderID: "1234567893",
				Patient:              Person{EntityType: "1", LastName: "DOE", FirstName: "JOHN", IDQualifier: "MI", ID: "W123456789"},
				PatientControlNumber: "PCN1001", PayerClaimControlNumber: "PAYER0001", ClearinghouseTraceNumber: "CH0001",
				References:  []Reference{{Qualifier: "1K", Value: "PAYER0001"}, {Qualifier: "D9", Value: "CH0001"}},
				ServiceFrom: NewDate(2024, 2, 20), ServiceTo: NewDate(2024, 2, 21),
				Statuses: accepted, TotalCharge: dec("235.5"),
				Lines: []LineStatus{{Procedure: Procedure{Qualifier: "HC", Code: "99214", Modifiers: []string{"25"}}, ChargeAmount: dec("185.5"),
					Units: decp("1"), Statuses: []StatusInfo{{Codes: []StatusCode{{Category: "A2", Status: "20"}}, Date: NewDate(2024, 3, 5)}},
					LineItemControlNumber: "LN0001", ServiceFrom: NewDate(2024, 2, 20)}}},
			{HLID: "5", ProviderName: "CLINICFLOW FAMILY PRACTICE", ProviderID: "1234567893",
				Patient:              Person{EntityType: "1", LastName: "ROE", FirstName: "JANE", IDQualifier: "MI", ID: "REJECT001"},
				PatientControlNumber: "PCN1002", ServiceFrom: NewDate(2024, 2, 20),
				Statuses: []StatusInfo{{Codes: []StatusCode{{Category: "A7", Status: "164", Entity: "IL"}, {Category: "A7", Status: "21"}},
					Date: NewDate(2024, 3, 5), ActionCode: "U", Amount: decp("165"), Message: "MEMBER ID NOT FOUND"}},
				TotalCharge: dec("165")},
		},
	}
	if impl == Implementation277 {
		r.Entities[2].Statuses = nil
		paid := decp("150")
		r.Claims[0].Statuses = []StatusInfo{{Codes: []StatusCode{{Category: "F1", Status: "65"}}, Date: NewDate(2024, 3, 20),
			Amount: decp("235.5"), PaymentAmount: paid, AdjudicationDate: NewDate(2024, 3, 19), // STC07 is not used in X212
			CheckDate: NewDate(2024, 3, 20), CheckNumber: "CHK000123"}}
		r.Claims[0].PaidAmount = paid
		r.Claims[0].Lines = nil
		r.Claims[1].Subscriber = &Person{EntityType: "1", LastName: "ROE", FirstName: "RICHARD", IDQualifier: "MI", ID: "REJECT001"}
		r.Claims[1].Patient = Person{EntityType: "1", LastName: "ROE", FirstName: "JANE"}
		// X212 requires STC05: zero while pending (and not a paid amount).
		r.Claims[1].Statuses = []StatusInfo{{Codes: []StatusCode{{Category: "P1", Status: "20"}}, Date: NewDate(2024, 3, 20), Amount: decp("165"), PaymentAmount: decp("0")}}
	}
	for i := range r.Claims {
		classifyClaim(&r.Claims[i])
	}
	return r
}

func TestWrite277RoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name  string
		impl  string
		write func(*ClaimStatusReport) ([]byte, error)
		disp  []string
	}{
		{"277CA", Implementation277CA, Write277CA, []string{DispositionAccepted, DispositionRejected}},
		{"277 status", Implementation277, Write277, []string{DispositionFinalized, DispositionPending}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := testStatusReport(tt.impl)
			data, err := tt.write(&r)
			require.NoError(t, err)
			requireEnvelopeCounts(t, data)
			got, err := Parse277(data)
			require.NoError(t, err)
			require.Len(t, got, 1)
			requireSameJSON(t, r, got[0])
			for i, d := range tt.disp {
				assert.Equal(t, d, got[0].Claims[i].Disposition)
			}
			if tt.impl == Implementation277CA {
				assert.Contains(t, got[0].Claims[1].RejectionReason, "MEMBER ID NOT FOUND")
				assert.Contains(t, string(data), "BHT*0085*08*ACK0001")
			} else {
				assert.Contains(t, string(data), "*23~NM1*QC")
			}
		})
	}
}

func TestWrite277TotalChargeIntoSTC(t *testing.T) {
	r := testStatusReport(Implementation277CA)
	r.Claims[0].Statuses[0].Amount = nil // only TotalCharge carries the amount
	data, err := Write277CA(&r)
	require.NoError(t, err)
	got, err := Parse277(data)
	require.NoError(t, err)
	assert.True(t, got[0].Claims[0].TotalCharge.Equal(dec("235.5")))
}

func TestWrite277NeedsProvider(t *testing.T) {
	r := testStatusReport(Implementation277CA)
	r.Entities = r.Entities[:2]
	_, err := Write277CA(&r)
	require.ErrorIs(t, err, ErrInvalidTransaction)
}

func testRemittance() Remittance {
	return Remittance{
		Envelope: testEnvelope(31), ImplementationRef: Implementation835,
		Payment:        PaymentInfo{HandlingCode: "I", Amount: dec("135.6"), CreditDebit: "C", Method: "CHK", Date: NewDate(2024, 3, 20)},
		Trace:          Trace{TypeCode: "1", Number: "CHK000123", OriginatorID: "1123456789"},
		ProductionDate: NewDate(2024, 3, 19), ReceiverID: "CLINICFLOW",
		Payer: Party{Name: "ACME HEALTH PLAN", IDQualifier: "XV", ID: "ACME01",
			Address:    &Address{Line1: "1 INSURANCE WAY", City: "CHICAGO", State: "IL", PostalCode: "60601"},
			References: []Reference{{Qualifier: "2U", Value: "ACME01"}},
			Contacts:   []Contact{{Function: "BL", Name: "PROVIDER SERVICES", Phone: "8005550100", URL: "WWW.ACME.EXAMPLE"}}},
		Payee: Party{Name: "CLINICFLOW FAMILY PRACTICE", IDQualifier: "XX", ID: "1234567893", NPI: "1234567893", TaxID: "371234567",
			References: []Reference{{Qualifier: "TJ", Value: "371234567"}}},
		Claims: []ClaimPayment{
			{PatientControlNumber: "PCN1001", StatusCode: "1", TotalCharge: dec("235.5"), Payment: dec("145.6"), PatientResponsibility: dec("25"),
				FilingIndicator: "12", PayerClaimControlNumber: "PAYER0001", FacilityCode: "11", FrequencyCode: "1",
				Patient:           &Person{EntityType: "1", LastName: "DOE", FirstName: "JOHN", IDQualifier: "MI", ID: "PARTIAL01"},
				RenderingProvider: &Person{EntityType: "1", LastName: "HOUSE", FirstName: "GREGORY", IDQualifier: "XX", ID: "1497758544"},
				RemarkCodes:       []RemarkCode{{Qualifier: "HE", Code: "MA01"}},
				ReceivedDate:      NewDate(2024, 3, 5), StatementFrom: NewDate(2024, 2, 20), StatementTo: NewDate(2024, 2, 20),
				References: []Reference{{Qualifier: "EA", Value: "MRN77"}},
				Amounts:    []AmountInfo{{Qualifier: "AU", Amount: dec("188.4")}},
				ServiceLines: []ServicePayment{
					{Procedure: Procedure{Qualifier: "HC", Code: "99214", Modifiers: []string{"25"}}, ChargeAmount: dec("185.5"), PaidAmount: dec("123.4"),
						UnitsPaid: dec("1"), ServiceDate: NewDate(2024, 2, 20),
						Adjustments:           []Adjustment{{Group: "CO", Reason: "45", Amount: dec("37.1")}, {Group: "PR", Reason: "3", Amount: dec("25")}},
						LineItemControlNumber: "LN0001", AllowedAmount: decp("148.4")},
					{Procedure: Procedure{Qualifier: "HC", Code: "82947"}, ChargeAmount: dec("50"), PaidAmount: dec("22.2"),
						UnitsPaid: dec("1"), OriginalProcedure: &Procedure{Qualifier: "HC", Code: "82948"}, OriginalUnits: decp("2"),
						ServiceStart: NewDate(2024, 2, 20), ServiceEnd: NewDate(2024, 2, 21),
						Adjustments: []Adjustment{{Group: "CO", Reason: "45", Amount: dec("10")}, {Group: "PR", Reason: "1", Amount: dec("7.8")},
							{Group: "PR", Reason: "2", Amount: dec("10"), Quantity: decp("1")}},
						AllowedAmount: decp("40"), RemarkCodes: []RemarkCode{{Qualifier: "HE", Code: "N130"}}},
				}},
			{PatientControlNumber: "PCN1002", StatusCode: "4", TotalCharge: dec("100"), Payment: dec("0"),
				FilingIndicator: "CI", PayerClaimControlNumber: "PAYER0002", FacilityCode: "11", FrequencyCode: "1", IsDenial: true,
				Patient: &Person{EntityType: "1", LastName: "ROE", FirstName: "JANE", IDQualifier: "MI", ID: "DENY16"},
				ServiceLines: []ServicePayment{{Procedure: Procedure{Qualifier: "HC", Code: "99213"}, ChargeAmount: dec("100"), PaidAmount: dec("0"),
					UnitsPaid: dec("1"), ServiceDate: NewDate(2024, 2, 20), Adjustments: []Adjustment{{Group: "CO", Reason: "16", Amount: dec("100")}},
					RemarkCodes: []RemarkCode{{Qualifier: "HE", Code: "M76"}, {Qualifier: "HE", Code: "N290"}}}}},
			{PatientControlNumber: "PCN0999", StatusCode: "22", TotalCharge: dec("-40"), Payment: dec("-30"), PatientResponsibility: dec("0"),
				FilingIndicator: "CI", PayerClaimControlNumber: "PAYER0000", FrequencyCode: "8", IsReversal: true,
				Adjustments: []Adjustment{{Group: "OA", Reason: "23", Amount: dec("-4")}, {Group: "CR", Reason: "45", Amount: dec("-6")}}},
		},
		ProviderAdjustments: []ProviderAdjustment{{ProviderID: "1234567893", FiscalPeriodDate: NewDate(2024, 12, 31),
			Items: []ProviderAdjustmentItem{{ReasonCode: "L6", Amount: dec("-5")}, {ReasonCode: "WO", ReferenceID: "PAYER0000", Amount: dec("-15")}}}},
	}
}

func TestWrite835RoundTrip(t *testing.T) {
	r := testRemittance()
	data, err := Write835(&r)
	require.NoError(t, err)
	requireEnvelopeCounts(t, data)
	got, err := Parse835(data)
	require.NoError(t, err)
	require.Len(t, got, 1)
	requireSameJSON(t, r, got[0])
	require.NoError(t, got[0].CheckBalance())
	for i := range got[0].Claims {
		require.NoError(t, got[0].Claims[i].CheckBalance(), "claim %d", i)
	}
	// Every CAS group code is accepted by the reader.
	for _, g := range []string{"CO", "CR", "OA", "PI", "PR"} {
		r := testRemittance()
		r.Claims = r.Claims[1:2]
		r.Claims[0].ServiceLines[0].Adjustments[0].Group = g
		r.Payment.Amount = dec("20")
		data, err := Write835(&r)
		require.NoError(t, err, g)
		got, err := Parse835(data)
		require.NoError(t, err, g)
		assert.Equal(t, g, got[0].Claims[0].ServiceLines[0].Adjustments[0].Group)
	}
}

func TestWrite835Invalid(t *testing.T) {
	r := testRemittance()
	r.Payment.CreditDebit = "X"
	_, err := Write835(&r)
	require.ErrorIs(t, err, ErrInvalidTransaction)
	r = testRemittance()
	r.Claims[0].PatientControlNumber = "PCN~1"
	_, err = Write835(&r)
	require.ErrorIs(t, err, ErrInvalidTransaction)
	r = testRemittance()
	r.Envelope.TransactionControlNumber = ""
	_, err = Write835(&r)
	require.ErrorIs(t, err, ErrInvalidTransaction)
	// X221A1 requires N3/N4 for the payer (1000A).
	r = testRemittance()
	r.Payer.Address = nil
	_, err = Write835(&r)
	require.ErrorIs(t, err, ErrInvalidTransaction)
	require.ErrorContains(t, err, "payer (1000A) needs an address")
}

// X221A1 does not use ST03; the reader takes the implementation from GS08.
func TestWrite835WithoutST03(t *testing.T) {
	r := testRemittance()
	data, err := Write835(&r)
	require.NoError(t, err)
	assert.Contains(t, string(data), "~ST*835*"+r.Envelope.TransactionControlNumber+"~")
	got, err := Parse835(data)
	require.NoError(t, err)
	assert.Equal(t, Implementation835, got[0].ImplementationRef)
}

// NM108 and NM109 go together: a qualifier without an ID is not written.
func TestNM108NeedsNM109(t *testing.T) {
	q := EligibilityInquiry{Envelope: testEnvelope(3), ReferenceID: "E1", CreatedAt: time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC),
		Payer:    Person{EntityType: "2", LastName: "ACME", IDQualifier: "PI", ID: "ACME01"},
		Provider: Person{EntityType: "2", LastName: "CLINIC", IDQualifier: "XX", ID: "1234567893"}, TraceNumber: "T1",
		Subscriber: Person{EntityType: "1", LastName: "DOE", FirstName: "JOHN", IDQualifier: "MI"}, ServiceTypes: []string{"30"}}
	data, err := Write270(&q)
	require.NoError(t, err)
	assert.Contains(t, string(data), "~NM1*IL*1*DOE*JOHN~")
}

func TestWrite270And271RoundTrip(t *testing.T) {
	q := EligibilityInquiry{
		Envelope: testEnvelope(41), ImplementationRef: Implementation270, ReferenceID: "ELIG0001",
		CreatedAt:   time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC),
		Payer:       Person{EntityType: "2", LastName: "ACME HEALTH PLAN", IDQualifier: "PI", ID: "ACME01"},
		Provider:    Person{EntityType: "2", LastName: "CLINICFLOW FAMILY PRACTICE", IDQualifier: "XX", ID: "1234567893"},
		TraceNumber: "TRACE0001", TraceOriginator: "9CLINICFLW",
		Subscriber: Person{EntityType: "1", LastName: "DOE", FirstName: "JOHN", IDQualifier: "MI", ID: "W123456789"},
		BirthDate:  NewDate(1980, 5, 17), Gender: "M", ServiceDate: NewDate(2024, 3, 5), ServiceTypes: []string{"30", "98"},
	}
	data, err := Write270(&q)
	require.NoError(t, err)
	requireEnvelopeCounts(t, data)
	got, err := Parse270(data)
	require.NoError(t, err)
	require.Len(t, got, 1)
	requireSameJSON(t, q, got[0])

	for _, tt := range []struct {
		name       string
		resp       EligibilityResponse
		active     bool
		copay      string
		deductible string
	}{
		{"active", EligibilityResponse{
			Benefits: []Benefit{
				{Code: "1", CoverageLevel: "IND", ServiceTypes: []string{"30"}, InsuranceType: "C1", PlanName: "GOLD PPO"},
				{Code: "B", CoverageLevel: "IND", ServiceTypes: []string{"98", "UC"}, TimePeriod: "27", Amount: decp("25"), InNetwork: "Y", Message: "OFFICE VISIT"},
				{Code: "C", CoverageLevel: "IND", ServiceTypes: []string{"30"}, TimePeriod: "23", Amount: decp("1500"), InNetwork: "Y"},
				{Code: "C", CoverageLevel: "IND", ServiceTypes: []string{"30"}, TimePeriod: "29", Amount: decp("640.25"), InNetwork: "Y"},
				{Code: "A", CoverageLevel: "IND", ServiceTypes: []string{"30"}, Percent: decp("0.2"), InNetwork: "Y"},
			}}, true, "25", "640.25"},
		{"inactive", EligibilityResponse{Benefits: []Benefit{{Code: "6", CoverageLevel: "IND", ServiceTypes: []string{"30"}}}}, false, "", ""},
		{"rejected", EligibilityResponse{Rejections: []RequestRejection{{Valid: false, Reason: "72", FollowUp: "C"}}}, false, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.resp
			r.Envelope, r.ImplementationRef, r.ReferenceID, r.CreatedAt = testEnvelope(42), Implementation271, "ELIG0001", q.CreatedAt
			r.Payer, r.Provider, r.Subscriber = q.Payer, q.Provider, q.Subscriber
			r.TraceNumber, r.TraceOriginator, r.BirthDate, r.Gender, r.ServiceDate = q.TraceNumber, q.TraceOriginator, q.BirthDate, q.Gender, q.ServiceDate
			data, err := Write271(&r)
			require.NoError(t, err)
			requireEnvelopeCounts(t, data)
			got, err := Parse271(data)
			require.NoError(t, err)
			require.Len(t, got, 1)
			requireSameJSON(t, r, got[0])
			assert.Equal(t, tt.active, got[0].Active())
			c, ok := got[0].Copay()
			assert.Equal(t, tt.copay != "", ok)
			if ok {
				assert.True(t, c.Equal(dec(tt.copay)))
			}
			d, ok := got[0].DeductibleRemaining()
			assert.Equal(t, tt.deductible != "", ok)
			if ok {
				assert.True(t, d.Equal(dec(tt.deductible)))
			}
		})
	}
}

func TestWrite276RoundTrip(t *testing.T) {
	q := ClaimStatusInquiry{
		Envelope: testEnvelope(51), ImplementationRef: Implementation276, ReferenceID: "STAT0001",
		CreatedAt:  time.Date(2024, 3, 25, 9, 0, 0, 0, time.UTC),
		Payer:      Person{EntityType: "2", LastName: "ACME HEALTH PLAN", IDQualifier: "PI", ID: "ACME01"},
		Receiver:   Person{EntityType: "2", LastName: "CLINICFLOW BILLING", IDQualifier: "46", ID: "CFB123"},
		Provider:   Person{EntityType: "2", LastName: "CLINICFLOW FAMILY PRACTICE", IDQualifier: "XX", ID: "1234567893"},
		Subscriber: Person{EntityType: "1", LastName: "DOE", FirstName: "JOHN", IDQualifier: "MI", ID: "W123456789"},
		Claims: []ClaimStatusQuery{
			{TraceNumber: "T1", PayerClaimControlNumber: "PAYER0001", PatientControlNumber: "PCN1001", TotalCharge: decp("235.5"),
				ServiceFrom: NewDate(2024, 2, 20), ServiceTo: NewDate(2024, 2, 21)},
			{TraceNumber: "T2", PatientControlNumber: "PCN1002", ServiceFrom: NewDate(2024, 2, 22)},
		},
	}
	data, err := Write276(&q)
	require.NoError(t, err)
	requireEnvelopeCounts(t, data)
	got, err := Parse276(data)
	require.NoError(t, err)
	require.Len(t, got, 1)
	requireSameJSON(t, q, got[0])

	q.Claims = nil
	_, err = Write276(&q)
	require.ErrorIs(t, err, ErrInvalidTransaction)
}

func TestWritersRefuseBadEnvelope(t *testing.T) {
	env := testEnvelope(1)
	env.SenderID = strings.Repeat("X", 16)
	_, err := Write999(&Ack999{Envelope: env, FunctionalID: "HC", GroupControlNumber: "1", GroupStatus: "A"})
	require.ErrorIs(t, err, ErrInvalidTransaction)
	env = testEnvelope(1)
	env.UsageIndicator = "Q"
	_, err = Write999(&Ack999{Envelope: env, FunctionalID: "HC", GroupControlNumber: "1", GroupStatus: "A"})
	require.ErrorIs(t, err, ErrInvalidTransaction)
}

func TestWritersParseAny(t *testing.T) {
	r := testRemittance()
	data, err := Write835(&r)
	require.NoError(t, err)
	v, err := ParseAny(data)
	require.NoError(t, err)
	require.IsType(t, []Remittance{}, v)
	assert.True(t, bytes.HasPrefix(data, []byte("ISA*00*")))
}

func TestParseAnyKnowsEligibilityAndStatusInquiries(t *testing.T) {
	subscriber := Person{EntityType: "1", LastName: "DOE", FirstName: "JOHN", IDQualifier: "MI", ID: "W123456789"}
	payer := Person{EntityType: "2", LastName: "ACME HEALTH PLAN", IDQualifier: "PI", ID: "ACME01"}
	provider := Person{EntityType: "2", LastName: "CLINICFLOW FAMILY PRACTICE", IDQualifier: "XX", ID: "1234567893"}
	at := time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)
	d270, err := Write270(&EligibilityInquiry{Envelope: testEnvelope(61), ImplementationRef: Implementation270,
		ReferenceID: "E1", CreatedAt: at, Payer: payer, Provider: provider, TraceNumber: "T1",
		TraceOriginator: "9CLINICFLW", Subscriber: subscriber, ServiceTypes: []string{"30"}})
	require.NoError(t, err)
	d276, err := Write276(&ClaimStatusInquiry{Envelope: testEnvelope(62), ImplementationRef: Implementation276,
		ReferenceID: "S1", CreatedAt: at, Payer: payer, Provider: provider, Subscriber: subscriber,
		Receiver: Person{EntityType: "2", LastName: "CLINICFLOW BILLING", IDQualifier: "46", ID: "CFB123"},
		Claims:   []ClaimStatusQuery{{TraceNumber: "T2", PatientControlNumber: "PCN1", ServiceFrom: NewDate(2024, 2, 22)}}})
	require.NoError(t, err)
	for typ, data := range map[string][]byte{TypeEligibility270: d270, TypeStatusInquiry276: d276} {
		got, err := DetectType(data)
		require.NoError(t, err)
		require.Equal(t, typ, got)
		v, err := ParseAny(data)
		require.NoError(t, err, typ)
		require.NotNil(t, v)
	}
}
