package x12

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse835Totals(t *testing.T) {
	tests := []struct {
		file     string
		bpr      []string // BPR02 of each transaction set
		claims   []int
		plbTotal []string
	}{
		{"835/stupidedi_tr3_dollars-and-data-sent-separate.835", []string{"945"}, []int{2}, []string{"0"}},
		{"835/pyx12_835_denied-claim-rarc.835", []string{"0"}, []int{1}, []string{"0"}},
		{"835/era_reversal_plb.835", []string{"127.50"}, []int{3}, []string{"22.50"}},
		{"835/era_multi_group_denial.835", []string{"305.60", "0", "70"}, []int{1, 1, 2}, []string{"0", "0", "5"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rs, err := Parse835(readTestdata(t, tt.file))
			require.NoError(t, err)
			require.Len(t, rs, len(tt.bpr))
			for i, r := range rs {
				assert.True(t, dec(tt.bpr[i]).Equal(r.Payment.Amount), "BPR02 of #%d: %s", i, r.Payment.Amount)
				assert.Len(t, r.Claims, tt.claims[i])
				tot := r.Totals()
				assert.True(t, dec(tt.plbTotal[i]).Equal(tot.ProviderAdjustments), "PLB total of #%d: %s", i, tot.ProviderAdjustments)
				assert.True(t, tot.Balanced)
			}
		})
	}
}

// TestEvery835Balances checks sum(CLP04) - sum(PLB) == BPR02 for every 835
// in testdata, and that every claim and line balances against its CAS.
func TestEvery835Balances(t *testing.T) {
	for _, f := range testdataFiles(t, "835") {
		t.Run(f, func(t *testing.T) {
			rs, err := Parse835(readTestdata(t, f[len("testdata/"):]))
			require.NoError(t, err)
			require.NotEmpty(t, rs)
			for _, r := range rs {
				tot := r.Totals()
				assert.True(t, tot.Expected.Equal(r.Payment.Amount), "claims %s - PLB %s != BPR02 %s", tot.ClaimPayments, tot.ProviderAdjustments, r.Payment.Amount)
				assert.NoError(t, r.CheckBalance())
				for i := range r.Claims {
					assert.NoError(t, r.Claims[i].CheckBalance())
				}
			}
		})
	}
}

func TestParse835TR3Example(t *testing.T) {
	rs, err := Parse835(readTestdata(t, "835/stupidedi_tr3_dollars-and-data-sent-separate.835"))
	require.NoError(t, err)
	require.Len(t, rs, 1)
	r := rs[0]
	assert.Equal(t, "112233", r.Envelope.TransactionControlNumber)
	assert.Equal(t, 10216, r.Envelope.InterchangeControlNumber)
	assert.Equal(t, 20213, r.Envelope.GroupControlNumber)
	assert.Equal(t, "005010X221A1", r.ImplementationRef)
	assert.Equal(t, "I", r.Payment.HandlingCode)
	assert.Equal(t, "C", r.Payment.CreditDebit)
	assert.Equal(t, "ACH", r.Payment.Method)
	assert.Equal(t, "CCP", r.Payment.Format)
	assert.Equal(t, "2002-03-16", r.Payment.Date.String())
	assert.Equal(t, Trace{TypeCode: "1", Number: "71700666555", OriginatorID: "1935665544"}, r.Trace)
	assert.Equal(t, "2002-03-14", r.ProductionDate.String())
	assert.Equal(t, "RUSHMORE LIFE", r.Payer.Name)
	assert.Equal(t, &Address{Line1: "10 SOUTH AVENUE", City: "RAPID CITY", State: "SD", PostalCode: "55111"}, r.Payer.Address)
	assert.Equal(t, []Contact{{Function: "BL", Name: "JOHN WAYNE", Phone: "8005551212", Extension: "123"}}, r.Payer.Contacts)
	assert.Equal(t, "ACME MEDICAL CENTER", r.Payee.Name)
	assert.Equal(t, "5544667733", r.Payee.NPI)
	assert.Equal(t, "777667755", r.Payee.TaxID)

	c := r.Claims[0]
	assert.Equal(t, "5554555444", c.PatientControlNumber)
	assert.Equal(t, "1", c.StatusCode)
	assert.True(t, dec("800").Equal(c.TotalCharge))
	assert.True(t, dec("450").Equal(c.Payment))
	assert.True(t, dec("300").Equal(c.PatientResponsibility))
	assert.Equal(t, "12", c.FilingIndicator)
	assert.Equal(t, "94060555410000", c.PayerClaimControlNumber)
	assert.False(t, c.IsDenial)
	assert.False(t, c.IsReversal)
	require.Len(t, c.Adjustments, 1)
	assert.Equal(t, "CO", c.Adjustments[0].Group)
	assert.Equal(t, "A2", c.Adjustments[0].Reason)
	assert.True(t, dec("50").Equal(c.Adjustments[0].Amount))
	require.NotNil(t, c.Patient)
	assert.Equal(t, Person{EntityType: "1", LastName: "BUDD", FirstName: "WILLIAM", IDQualifier: "MI", ID: "33344555510"}, *c.Patient)
	require.Len(t, c.ServiceLines, 1)
	l := c.ServiceLines[0]
	assert.Equal(t, Procedure{Qualifier: "HC", Code: "99211"}, l.Procedure)
	assert.True(t, dec("800").Equal(l.ChargeAmount))
	assert.True(t, dec("500").Equal(l.PaidAmount))
	assert.True(t, dec("1").Equal(l.UnitsPaid), "SVC05 absent means one unit")
	assert.Equal(t, "2002-03-01", l.ServiceStart.String())
	assert.Equal(t, "2002-03-04", l.ServiceEnd.String())
	require.Len(t, l.Adjustments, 1)
	assert.Equal(t, "PR", l.Adjustments[0].Group)

	c2 := r.Claims[1]
	assert.Equal(t, "8765432112", c2.PatientControlNumber)
	require.Len(t, c2.ServiceLines[0].Adjustments, 2)
	assert.Equal(t, "CO", c2.ServiceLines[0].Adjustments[1].Group)
	assert.Equal(t, "45", c2.ServiceLines[0].Adjustments[1].Reason)
}

func TestParse835Denial(t *testing.T) {
	t.Run("public pyx12 sample", func(t *testing.T) {
		rs, err := Parse835(readTestdata(t, "835/pyx12_835_denied-claim-rarc.835"))
		require.NoError(t, err)
		r := rs[0]
		assert.Equal(t, "H", r.Payment.HandlingCode)
		assert.Equal(t, "NON", r.Payment.Method)
		assert.Equal(t, "444313000", r.Payee.TaxID)
		c := r.Claims[0]
		assert.True(t, c.IsDenial)
		assert.Equal(t, "2005555A", c.PatientControlNumber)
		assert.True(t, dec("915.39").Equal(c.TotalCharge))
		assert.True(t, c.Payment.IsZero())
		require.NotNil(t, c.RenderingProvider)
		assert.Equal(t, "44452736", c.RenderingProvider.ID)
		require.Len(t, c.ServiceLines, 3)
		assert.Equal(t, []Adjustment{{Group: "CO", Reason: "16", Amount: dec("500.04")}}, c.ServiceLines[0].Adjustments)
		assert.Equal(t, "OA", c.ServiceLines[1].Adjustments[0].Group)
		assert.Equal(t, "A7", c.ServiceLines[1].Adjustments[0].Reason)
		for _, l := range c.ServiceLines {
			assert.Equal(t, []RemarkCode{{Qualifier: "HE", Code: "N14"}}, l.RemarkCodes)
		}
		assert.True(t, dec("68").Equal(c.ServiceLines[0].UnitsPaid))
	})
	t.Run("own CO-16 with LQ*HE", func(t *testing.T) {
		rs, err := Parse835(readTestdata(t, "835/era_multi_group_denial.835"))
		require.NoError(t, err)
		r := rs[1]
		assert.Equal(t, "0002", r.Envelope.TransactionControlNumber)
		assert.Equal(t, "ACME01", r.Payer.ID, "payer ID from REF*2U")
		assert.Equal(t, "2U", r.Payer.IDQualifier)
		c := r.Claims[0]
		assert.True(t, c.IsDenial)
		assert.Equal(t, "PCN2002", c.PatientControlNumber)
		assert.Equal(t, "2024-03-22", c.ReceivedDate.String())
		l := c.ServiceLines[0]
		assert.Equal(t, Procedure{Qualifier: "HC", Code: "97110", Modifiers: []string{"GP"}}, l.Procedure)
		assert.True(t, dec("3").Equal(l.UnitsPaid))
		assert.Equal(t, "2024-03-18", l.ServiceDate.String())
		assert.Equal(t, []Adjustment{{Group: "CO", Reason: "16", Amount: dec("180")}}, l.Adjustments)
		assert.Equal(t, []RemarkCode{{Qualifier: "HE", Code: "N290"}, {Qualifier: "HE", Code: "MA130"}}, l.RemarkCodes)
	})
}

func TestParse835ReversalAndPLB(t *testing.T) {
	rs, err := Parse835(readTestdata(t, "835/era_reversal_plb.835"))
	require.NoError(t, err)
	require.Len(t, rs, 1)
	r := rs[0]
	assert.Equal(t, "CLINICFLOW", r.ReceiverID)
	assert.Equal(t, "ACME01", r.Payer.ID)
	assert.Equal(t, "1234567893", r.Payee.NPI)
	assert.Equal(t, "123456789", r.Payee.TaxID)
	assert.Equal(t, "123456789", r.Payment.SenderAccount)
	assert.Equal(t, "987654321", r.Payment.ReceiverAccount)

	rev := r.Claims[0]
	assert.True(t, rev.IsReversal)
	assert.False(t, rev.IsDenial)
	assert.Equal(t, "22", rev.StatusCode)
	assert.True(t, dec("-150").Equal(rev.TotalCharge))
	assert.True(t, dec("-120").Equal(rev.Payment))
	assert.True(t, dec("-30").Equal(rev.PatientResponsibility))
	assert.Equal(t, "11", rev.FacilityCode)
	assert.Equal(t, "1", rev.FrequencyCode)
	assert.Equal(t, "2024-02-05", rev.ReceivedDate.String())

	corr := r.Claims[1]
	assert.Equal(t, "PCN1001", corr.PatientControlNumber)
	assert.Equal(t, "PAYER0002", corr.PayerClaimControlNumber)
	assert.Equal(t, []RemarkCode{{Qualifier: "HE", Code: "MA01"}}, corr.RemarkCodes)
	assert.Equal(t, "2024-02-01", corr.StatementFrom.String())
	assert.Equal(t, "2024-02-01", corr.StatementTo.String())
	l := corr.ServiceLines[0]
	assert.Equal(t, []string{"25"}, l.Procedure.Modifiers)
	assert.Equal(t, "LN0001", l.LineItemControlNumber)
	require.NotNil(t, l.AllowedAmount)
	assert.True(t, dec("140").Equal(*l.AllowedAmount))

	c := r.Claims[2]
	require.NotNil(t, c.Subscriber)
	assert.Equal(t, "W987654300", c.Subscriber.ID)
	assert.Equal(t, "A", c.Patient.MiddleName)
	require.Len(t, c.ServiceLines, 2)
	assert.True(t, decp("1").Equal(*c.ServiceLines[0].Adjustments[0].Quantity))
	assert.Equal(t, []RemarkCode{{Qualifier: "HE", Code: "N130"}}, c.ServiceLines[0].RemarkCodes)
	bundled := c.ServiceLines[1]
	require.NotNil(t, bundled.OriginalProcedure)
	assert.Equal(t, Procedure{Qualifier: "HC", Code: "81000"}, *bundled.OriginalProcedure)
	require.Len(t, bundled.Adjustments, 3, "two triplets in one CAS plus one more CAS")
	assert.Equal(t, "253", bundled.Adjustments[1].Reason)
	assert.Equal(t, "CO", bundled.Adjustments[1].Group)
	assert.True(t, dec("4").Equal(bundled.Adjustments[1].Amount))
	assert.Nil(t, bundled.Adjustments[0].Quantity)

	require.Len(t, r.ProviderAdjustments, 1)
	plb := r.ProviderAdjustments[0]
	assert.Equal(t, "1234567893", plb.ProviderID)
	assert.Equal(t, "2024-12-31", plb.FiscalPeriodDate.String())
	require.Len(t, plb.Items, 2)
	assert.Equal(t, "WO", plb.Items[0].ReasonCode)
	assert.Equal(t, "PAYER0000123", plb.Items[0].ReferenceID)
	assert.True(t, dec("25").Equal(plb.Items[0].Amount))
	assert.Equal(t, "L6", plb.Items[1].ReasonCode)
	assert.True(t, dec("-2.5").Equal(plb.Items[1].Amount))

	tot := r.Totals()
	assert.True(t, dec("150").Equal(tot.ClaimPayments))
	assert.True(t, dec("22.5").Equal(tot.ProviderAdjustments))
	assert.True(t, dec("127.5").Equal(tot.Expected))
}

func TestParse835MultipleGroups(t *testing.T) {
	rs, err := Parse835(readTestdata(t, "835/era_multi_group_denial.835"))
	require.NoError(t, err)
	require.Len(t, rs, 3)
	assert.Equal(t, []string{"0001", "0002", "0003"}, []string{rs[0].Envelope.TransactionControlNumber, rs[1].Envelope.TransactionControlNumber, rs[2].Envelope.TransactionControlNumber})
	assert.Equal(t, 2001, rs[0].Envelope.GroupControlNumber)
	assert.Equal(t, 2002, rs[2].Envelope.GroupControlNumber)
	assert.Equal(t, "SUNRISE", rs[2].Envelope.ApplicationSenderCode)
	assert.Equal(t, "ACME01", rs[0].Payer.ID, "payer ID from N104")
	assert.Equal(t, "XV", rs[0].Payer.IDQualifier)
	assert.Equal(t, []RemarkCode{{"HE", "MA01"}, {"HE", "M15"}}, rs[0].Claims[0].RemarkCodes)
	assert.Equal(t, "CHK", rs[2].Payment.Method)
	assert.Equal(t, "123456789", rs[2].Payee.TaxID)
	noLines := rs[2].Claims[1]
	assert.Empty(t, noLines.ServiceLines)
	assert.Equal(t, []Adjustment{{Group: "CO", Reason: "29", Amount: dec("60")}}, noLines.Adjustments)
	assert.Equal(t, "2023-01-01", noLines.StatementFrom.String())
	assert.Equal(t, "FB", rs[2].ProviderAdjustments[0].Items[0].ReasonCode)
}

func TestRemittanceUnbalanced(t *testing.T) {
	data := mutate(t, readTestdata(t, "835/stupidedi_tr3_dollars-and-data-sent-separate.835"), "BPR*I*945*", "BPR*I*946*")
	rs, err := Parse835(data)
	require.NoError(t, err, "balancing is a separate check, not a parse error")
	tot := rs[0].Totals()
	assert.False(t, tot.Balanced)
	err = rs[0].CheckBalance()
	assert.True(t, errors.Is(err, ErrUnbalanced))
	assert.Contains(t, err.Error(), "BPR02 is 946")

	c := rs[0].Claims[0]
	c.Payment = dec("451")
	assert.ErrorIs(t, c.CheckBalance(), ErrUnbalanced)
}

func TestRemittanceDebitBalances(t *testing.T) {
	// Recovering 175 against 150 of claim payments: the provider owes 22.50.
	data := mutate(t, readTestdata(t, "835/era_reversal_plb.835"), "WO:PAYER0000123*25*", "WO:PAYER0000123*175*")
	data = mutate(t, data, "BPR*I*127.50*C*", "BPR*I*22.50*D*")
	rs, err := Parse835(data)
	require.NoError(t, err)
	tot := rs[0].Totals()
	assert.True(t, dec("-22.5").Equal(tot.Expected), tot.Expected.String())
	assert.True(t, dec("-22.5").Equal(tot.Reported), tot.Reported.String())
	assert.True(t, tot.Balanced)
	assert.NoError(t, rs[0].CheckBalance())
}

// Strict on the money, liberal on the rest: an invalid BPR16 (the check or
// EFT date) is a warning, not a refusal.
func TestParse835BadBPR16IsAWarning(t *testing.T) {
	base := readTestdata(t, "835/stupidedi_tr3_dollars-and-data-sent-separate.835")
	rs, err := Parse835(mutate(t, base, "*20020316~", "*20020230~"))
	require.NoError(t, err)
	assert.Equal(t, []string{`x12: segment BPR at position 4, element 16: invalid date "20020230"`}, rs[0].Warnings)
	assert.True(t, rs[0].Payment.Date.IsZero())
	require.NoError(t, rs[0].CheckBalance())
}

func TestParse835Errors(t *testing.T) {
	base := readTestdata(t, "835/stupidedi_tr3_dollars-and-data-sent-separate.835")
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"bad CLP03", mutate(t, base, "CLP*5554555444*1*800*", "CLP*5554555444*1*12x*"), `x12: segment CLP at position 14, element 3: invalid amount "12x"`},
		{"exponent amount", mutate(t, base, "CLP*5554555444*1*800*", "CLP*5554555444*1*8e2*"), `x12: segment CLP at position 14, element 3: invalid amount "8e2"`},
		{"missing CLP04", mutate(t, base, "*800*450*300*", "*800**300*"), `x12: segment CLP at position 14, element 4: missing required amount`},
		{"bad credit flag", mutate(t, base, "BPR*I*945*C*", "BPR*I*945*X*"), `x12: segment BPR at position 4, element 3: invalid credit/debit flag "X"`},
		{"bad CAS group", mutate(t, base, "CAS*CO*A2*50", "CAS*XX*A2*50"), `x12: segment CAS at position 15, element 1: invalid claim adjustment group code "XX"`},
		{"CAS amount missing", mutate(t, base, "CAS*CO*A2*50", "CAS*CO*A2"), `x12: segment CAS at position 15, element 3: missing required amount`},
		{"bad DTM", mutate(t, base, "DTM*150*20020301", "DTM*150*2002031"), `x12: segment DTM at position 18, element 2: invalid date "2002031"`},
		{"bad SVC", mutate(t, base, "SVC*HC:99211*800*500", "SVC*99211*800*500"), `x12: segment SVC at position 17, element 1: invalid procedure identifier "99211"`},
		{"BPR not first", mutate(t, base, "BPR*I*945*C*ACH*CCP*01*888999777*DA*24681012*1935665544**01*111333555*DA*144444*20020316~TRN*1*71700666555*1935665544~", "TRN*1*71700666555*1935665544~BPR*I*945*C*ACH*CCP*01*888999777*DA*24681012*1935665544**01*111333555*DA*144444*20020316~"), `x12: segment ST at position 3: 835 must start with BPR`},
		{"not an 835", readTestdata(t, "999/999_accepted.999"), `x12: segment ST at position 3, element 1: transaction set "999" is not a 835`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Parse835(tt.data)
			require.Error(t, err)
			assert.Nil(t, rs)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

func TestParse835PLBErrors(t *testing.T) {
	base := readTestdata(t, "835/era_reversal_plb.835")
	tests := map[string]struct {
		plb  string
		want string
	}{
		"no date":      {"PLB*1234567893**WO:X*25*L6:INTEREST*-2.50", "element 2: missing required date"},
		"no reason":    {"PLB*1234567893*20241231*:REF*25*L6:INTEREST*-2.50", "element 3: missing adjustment reason code"},
		"bad amount":   {"PLB*1234567893*20241231*WO:X*2,5*L6:INTEREST*-2.50", `element 4: invalid amount "2,5"`},
		"no provider":  {"PLB**20241231*WO:X*25*L6:INTEREST*-2.50", "element 1: missing provider identifier"},
		"no amount":    {"PLB*1234567893*20241231*WO:X**L6:INTEREST*-2.50", "element 4: missing required amount"},
		"empty pairs":  {"PLB*1234567893*20241231", "element 3: PLB without any adjustment"},
		"lonely value": {"PLB*1234567893*20241231**25", "element 3: adjustment amount without reason"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			data := mutate(t, base, "PLB*1234567893*20241231*WO:PAYER0000123*25*L6:INTEREST*-2.50", tt.plb)
			_, err := Parse835(data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "segment PLB at position 51, "+tt.want)
		})
	}
}
