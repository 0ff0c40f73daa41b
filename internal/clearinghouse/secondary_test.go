package clearinghouse

import (
	"context"
	"testing"

	"github.com/clinicflow/rcm/internal/x12"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// asSecondary returns c billed to BETA02 as secondary, carrying the primary
// payer's 835 claim payment p in 2320/2330 (claim level) and, when lines is
// set, in 2430 (line level).
func asSecondary(c x12.Claim837, p x12.ClaimPayment, adjudicated x12.Date, lines bool) x12.Claim837 {
	paid := p.Payment
	op := x12.OtherPayer{PayerResponsibility: "P", Relationship: "18", ClaimFilingIndicator: c.Subscriber.ClaimFilingIndicator,
		Adjustments: p.Adjustments, PaidAmount: &paid, BenefitsAssignment: "Y", ReleaseOfInformation: "Y",
		Subscriber: x12.OtherSubscriber{EntityType: "1", LastName: c.Subscriber.LastName, FirstName: c.Subscriber.FirstName, ID: c.Subscriber.MemberID},
		Payer: x12.OtherPayerName{Name: c.Payer.Name, ID: c.Payer.ID, AdjudicationDate: adjudicated,
			SecondaryIDs: []x12.Reference{{Qualifier: "F8", Value: p.PayerClaimControlNumber}}}}
	c.OtherPayers = []x12.OtherPayer{op}
	c.Subscriber.PayerResponsibility = "S"
	c.Payer = x12.Payer{Name: "BETA MUTUAL", ID: "BETA02"}
	c.Lines = append([]x12.ServiceLine837(nil), c.Lines...)
	if lines {
		for i := range c.Lines {
			sp := p.ServiceLines[i]
			c.Lines[i].Adjudications = []x12.LineAdjudication{{PayerID: op.Payer.ID, PaidAmount: sp.PaidAmount,
				Procedure: sp.Procedure, PaidUnits: sp.UnitsPaid, Adjustments: sp.Adjustments, AdjudicationDate: adjudicated}}
		}
	}
	return c
}

func sumAdj(c x12.ClaimPayment, group, reason string) decimal.Decimal {
	sum := decimal.Zero
	for _, l := range c.ServiceLines {
		for _, a := range l.Adjustments {
			if a.Group == group && a.Reason == reason {
				sum = sum.Add(a.Amount)
			}
		}
	}
	return sum
}

// TestSecondaryFromPrimary835 pays a claim as primary, bills the same claim
// to a second payer with the primary's 835 as COB data, and checks the
// secondary 835.
func TestSecondaryFromPrimary835(t *testing.T) {
	for _, lines := range []bool{true, false} {
		name := map[bool]string{true: "line level", false: "claim level"}[lines]
		t.Run(name, func(t *testing.T) {
			s, clk := newSim()
			ctx := context.Background()
			prim := claim("PCNCOB", "PARTIAL7", "100", "50")
			_, err := s.Submit(ctx, "prim", batch(t, 1, prim))
			require.NoError(t, err)
			rs := parse835(t, deliver(t, s, clk)[Kind835])
			require.Len(t, rs, 1)
			p := rs[0].Claims[0]
			require.Equal(t, "1", p.StatusCode)
			require.True(t, p.PatientResponsibility.IsPositive(), "the primary leaves something to the patient")

			sec := asSecondary(prim, p, rs[0].Payment.Date, lines)
			if !lines {
				// Claim-level COB: the primary's line CAS moved to 2320.
				for _, l := range p.ServiceLines {
					sec.OtherPayers[0].Adjustments = append(sec.OtherPayers[0].Adjustments, l.Adjustments...)
				}
			}
			_, err = s.Submit(ctx, "sec", batch(t, 2, sec))
			require.NoError(t, err)
			files := deliver(t, s, clk)
			rep, err := x12.Parse277(files[Kind277CA][0].Data)
			require.NoError(t, err)
			require.True(t, rep[0].Claims[0].Accepted())
			rs = parse835(t, files[Kind835]) // checks every CLP and the BPR balance
			require.Len(t, rs, 1)
			require.NoError(t, rs[0].CheckBalance())
			assert.Equal(t, "BETA02", rs[0].Payer.References[0].Value)
			require.Len(t, rs[0].Claims, 1)
			c := rs[0].Claims[0]
			assert.Equal(t, "2", c.StatusCode, "processed as secondary, not a CO-18 duplicate")
			assert.Equal(t, "PCNCOB", c.PatientControlNumber)
			assert.NotEqual(t, p.PayerClaimControlNumber, c.PayerClaimControlNumber)

			pr := p.PatientResponsibility // 25.00 copay
			wantPaid := pr.Mul(dec("0.8")).Round(2)
			assert.True(t, wantPaid.Equal(c.Payment), "paid %s, want 80%% of %s", c.Payment, pr)
			assert.True(t, rs[0].Payment.Amount.Equal(c.Payment))
			assert.True(t, pr.Sub(wantPaid).Equal(sumAdj(c, "PR", "2")), "PR-2 %s", sumAdj(c, "PR", "2"))
			assert.True(t, pr.Sub(wantPaid).Equal(c.PatientResponsibility))
			assert.True(t, p.TotalCharge.Sub(pr).Equal(sumAdj(c, "OA", "23")), "OA-23 %s", sumAdj(c, "OA", "23"))
			assert.True(t, c.TotalCharge.Equal(c.Payment.Add(sumAdj(c, "PR", "2")).Add(sumAdj(c, "OA", "23"))))
			for _, l := range c.ServiceLines {
				for _, a := range l.Adjustments {
					assert.Contains(t, []string{"OA23", "PR2"}, a.Group+a.Reason)
				}
			}
			if lines {
				// The copay was on line 1: line 2 was settled by the primary.
				require.Len(t, c.ServiceLines, 2)
				assert.True(t, c.ServiceLines[0].PaidAmount.Equal(wantPaid))
				assert.True(t, c.ServiceLines[1].PaidAmount.IsZero())
				assert.Equal(t, []x12.Adjustment{{Group: "OA", Reason: "23", Amount: dec("50")}}, c.ServiceLines[1].Adjustments)
			}
		})
	}
}

func TestSecondarySplit(t *testing.T) {
	rules := DefaultRules()
	rules.Claims = append([]Rule{{Name: "half", Match: Match{MemberIDPrefix: "HALF"},
		Outcome: Outcome{Kind: OutcomePay, SecondaryPercent: dec("50")}}}, rules.Claims...)
	amt := func(s string) *decimal.Decimal { v := dec(s); return &v }
	cas := func(group, reason, amount string) x12.Adjustment {
		return x12.Adjustment{Group: group, Reason: reason, Amount: dec(amount)}
	}
	day := x12.NewDate(2024, 3, 1)
	tests := []struct {
		name        string
		member      string
		responsible string // SBR01 of the claim
		other       x12.OtherPayer
		lineAdj     [][]x12.Adjustment // 2430 CAS per line (nil: no 2430)
		linePaid    []string
		status      string
		paid        []string // per line
		pr2         []string
		oa23        []string
	}{
		{name: "claim PR spread by charge", member: "W1", responsible: "S",
			other:  x12.OtherPayer{PaidAmount: amt("95"), Adjustments: []x12.Adjustment{cas("CO", "45", "30"), cas("PR", "3", "25")}},
			status: "2", paid: []string{"13.34", "6.66"}, pr2: []string{"3.33", "1.67"}, oa23: []string{"83.33", "41.67"}},
		{name: "no PR: charge - paid - CO", member: "W1", responsible: "S",
			other:  x12.OtherPayer{PaidAmount: amt("100"), Adjustments: []x12.Adjustment{cas("CO", "45", "20")}},
			status: "2", paid: []string{"16.00", "8.00"}, pr2: []string{"4.00", "2.00"}, oa23: []string{"80.00", "40.00"}},
		{name: "line PR with claim CAS", member: "W1", responsible: "S",
			other:   x12.OtherPayer{PaidAmount: amt("60"), Adjustments: []x12.Adjustment{cas("PR", "1", "30")}},
			lineAdj: [][]x12.Adjustment{{cas("CO", "45", "10")}, {cas("CO", "45", "20"), cas("PR", "2", "30")}}, linePaid: []string{"90", "0"},
			status: "2", paid: []string{"32.00", "16.00"}, pr2: []string{"8.00", "4.00"}, oa23: []string{"60.00", "30.00"}},
		{name: "line level, fallback per line", member: "HALF1", responsible: "S",
			other:   x12.OtherPayer{},
			lineAdj: [][]x12.Adjustment{{cas("CO", "45", "10")}, {cas("CO", "45", "5")}}, linePaid: []string{"70", "45"},
			status: "2", paid: []string{"10.00", "0.00"}, pr2: []string{"10.00", "0.00"}, oa23: []string{"80.00", "50.00"}},
		{name: "tertiary", member: "W1", responsible: "T",
			other:  x12.OtherPayer{PaidAmount: amt("0"), Adjustments: []x12.Adjustment{cas("PR", "1", "150")}},
			status: "3", paid: []string{"80.00", "40.00"}, pr2: []string{"20.00", "10.00"}, oa23: []string{"0", "0"}},
		{name: "deny rule wins", member: "DENY50", responsible: "S",
			other:  x12.OtherPayer{PaidAmount: amt("95"), Adjustments: []x12.Adjustment{cas("PR", "3", "25")}},
			status: "4", paid: []string{"0", "0"}, pr2: []string{"0", "0"}, oa23: []string{"0", "0"}},
		{name: "primary listing a later payer", member: "W1", responsible: "P",
			other:  x12.OtherPayer{PayerResponsibility: "S", PaidAmount: amt("0")},
			status: "1", paid: []string{"90", "45"}, pr2: []string{"0", "0"}, oa23: []string{"0", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clk := newSimWith(Config{Rules: &rules})
			c := claim("PCNS", tt.member, "100", "50")
			c.Subscriber.PayerResponsibility = tt.responsible
			o := tt.other
			if o.PayerResponsibility == "" {
				o.PayerResponsibility = "P"
			}
			o.Relationship, o.ClaimFilingIndicator, o.BenefitsAssignment, o.ReleaseOfInformation = "18", "CI", "Y", "Y"
			o.Subscriber = x12.OtherSubscriber{LastName: "DOE", ID: "OTHER1"}
			o.Payer = x12.OtherPayerName{Name: "OTHER PLAN", ID: "OTH01"}
			c.OtherPayers = []x12.OtherPayer{o}
			for i := range tt.lineAdj {
				c.Lines[i].Adjudications = []x12.LineAdjudication{{PayerID: "OTH01", PaidAmount: dec(tt.linePaid[i]),
					Procedure: c.Lines[i].Procedure, PaidUnits: dec("1"), Adjustments: tt.lineAdj[i], AdjudicationDate: day}}
			}
			_, err := s.Submit(context.Background(), "s", batch(t, 1, c))
			require.NoError(t, err)
			rs := parse835(t, deliver(t, s, clk)[Kind835])
			require.Len(t, rs, 1)
			p := rs[0].Claims[0]
			assert.Equal(t, tt.status, p.StatusCode)
			for i, l := range p.ServiceLines {
				one := x12.ClaimPayment{ServiceLines: []x12.ServicePayment{l}}
				assert.True(t, dec(tt.paid[i]).Equal(l.PaidAmount), "line %d paid %s", i+1, l.PaidAmount)
				if tt.status == "4" {
					assert.Equal(t, []x12.Adjustment{cas("CO", "50", l.ChargeAmount.String())}, l.Adjustments)
					continue
				}
				if tt.status == "1" {
					continue
				}
				assert.True(t, dec(tt.pr2[i]).Equal(sumAdj(one, "PR", "2")), "line %d PR-2 %s", i+1, sumAdj(one, "PR", "2"))
				assert.True(t, dec(tt.oa23[i]).Equal(sumAdj(one, "OA", "23")), "line %d OA-23 %s", i+1, sumAdj(one, "OA", "23"))
			}
		})
	}
}

func TestAllocate(t *testing.T) {
	tests := []struct {
		total string
		caps  []string
		want  []string
	}{
		{"25", []string{"100", "50"}, []string{"16.67", "8.33"}},
		{"0.02", []string{"1", "1", "1"}, []string{"0.02", "0", "0"}},
		{"3.02", []string{"0.01", "0.02", "3"}, []string{"0.01", "0.02", "2.99"}},
		{"149.99", []string{"100", "50"}, []string{"100", "49.99"}},
		{"10", []string{"0", "10"}, []string{"0", "10"}},
		{"0", []string{"0", "0"}, []string{"0", "0"}},
	}
	for _, tt := range tests {
		var caps []decimal.Decimal
		for _, c := range tt.caps {
			caps = append(caps, dec(c))
		}
		got := allocate(dec(tt.total), caps)
		sum := decimal.Zero
		for i, g := range got {
			assert.True(t, dec(tt.want[i]).Equal(g), "allocate(%s, %v)[%d] = %s", tt.total, tt.caps, i, g)
			assert.True(t, g.LessThanOrEqual(caps[i]))
			sum = sum.Add(g)
		}
		assert.True(t, sum.Equal(dec(tt.total)))
	}
}
