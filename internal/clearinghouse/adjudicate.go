package clearinghouse

import (
	"github.com/clinicflow/rcm/internal/x12"
	"github.com/shopspring/decimal"
)

var hundred = decimal.NewFromInt(100)

// Adjudicate applies a pay or deny outcome to a claim and returns its 835
// claim payment loop. Every line balances (SVC02 - SVC03 = sum of its CAS)
// and so does the claim (CLP03 - CLP04 = sum of all CAS); all adjustments
// are at line level.
//
// For a payment: allowed = charge x AllowedPercent / 100 (rounded to
// cents), CO-45 = charge - allowed; then, from the allowed amount, PR-3
// (Copay) and PR-1 (Deductible) are taken line after line until used up,
// and PR-2 = CoinsurancePercent of what remains on the line. For a denial,
// every line gets one CAS for its full charge with the outcome's group and
// CARC, plus LQ*HE remarks, and CLP02 is 4.
func Adjudicate(c *x12.Claim837, o Outcome, payerClaimNumber string, received x12.Date) x12.ClaimPayment {
	p := x12.ClaimPayment{
		PatientControlNumber:    c.PatientControlNumber,
		StatusCode:              statusFor(c),
		TotalCharge:             c.TotalCharge,
		FilingIndicator:         c.Subscriber.ClaimFilingIndicator,
		PayerClaimControlNumber: payerClaimNumber,
		FacilityCode:            c.PlaceOfService,
		FrequencyCode:           frequency(c),
		ReceivedDate:            received,
	}
	sub := x12.Person{EntityType: "1", LastName: c.Subscriber.LastName, FirstName: c.Subscriber.FirstName,
		MiddleName: c.Subscriber.MiddleName, Suffix: c.Subscriber.Suffix, IDQualifier: "MI", ID: c.Subscriber.MemberID}
	if c.Patient == nil {
		p.Patient = &sub
	} else {
		p.Patient = &x12.Person{EntityType: "1", LastName: c.Patient.LastName, FirstName: c.Patient.FirstName,
			MiddleName: c.Patient.MiddleName, Suffix: c.Patient.Suffix, IDQualifier: "MI", ID: c.Subscriber.MemberID}
		p.Subscriber = &sub
	}
	if r := c.RenderingProvider; r != nil {
		p.RenderingProvider = &x12.Person{EntityType: r.EntityType, LastName: r.LastName, FirstName: r.FirstName, IDQualifier: "XX", ID: r.NPI}
	}
	p.StatementFrom, p.StatementTo = serviceSpan(c)

	denied := o.Kind == OutcomeDeny
	if denied {
		p.StatusCode, p.IsDenial = "4", true
	}
	pct := o.AllowedPercent
	if pct.IsZero() {
		pct = hundred
	}
	copayLeft, dedLeft := o.Copay, o.Deductible
	for _, l := range c.Lines {
		sp := x12.ServicePayment{
			Procedure:             l.Procedure,
			ChargeAmount:          l.Charge,
			UnitsPaid:             l.Units,
			LineItemControlNumber: l.LineItemControlNumber,
		}
		if l.ServiceDateEnd.IsZero() {
			sp.ServiceDate = l.ServiceDate
		} else {
			sp.ServiceStart, sp.ServiceEnd = l.ServiceDate, l.ServiceDateEnd
		}
		if denied {
			group := o.DenyGroup
			if group == "" {
				group = "CO"
			}
			sp.PaidAmount = decimal.Zero
			sp.Adjustments = []x12.Adjustment{{Group: group, Reason: o.DenyReason, Amount: l.Charge}}
			for _, rm := range o.Remarks {
				sp.RemarkCodes = append(sp.RemarkCodes, x12.RemarkCode{Qualifier: "HE", Code: rm})
			}
			if group == "PR" {
				p.PatientResponsibility = p.PatientResponsibility.Add(l.Charge)
			}
		} else {
			allowed := l.Charge.Mul(pct).Div(hundred).Round(2)
			if allowed.GreaterThan(l.Charge) {
				allowed = l.Charge
			}
			sp.AllowedAmount = &allowed
			if co := l.Charge.Sub(allowed); co.IsPositive() {
				sp.Adjustments = append(sp.Adjustments, x12.Adjustment{Group: "CO", Reason: "45", Amount: co})
			}
			left := allowed
			pr3 := decimal.Min(copayLeft, left)
			copayLeft, left = copayLeft.Sub(pr3), left.Sub(pr3)
			pr1 := decimal.Min(dedLeft, left)
			dedLeft, left = dedLeft.Sub(pr1), left.Sub(pr1)
			pr2 := left.Mul(o.CoinsurancePercent).Div(hundred).Round(2)
			left = left.Sub(pr2)
			for _, a := range []struct {
				reason string
				amt    decimal.Decimal
			}{{"1", pr1}, {"2", pr2}, {"3", pr3}} {
				if a.amt.IsPositive() {
					sp.Adjustments = append(sp.Adjustments, x12.Adjustment{Group: "PR", Reason: a.reason, Amount: a.amt})
					p.PatientResponsibility = p.PatientResponsibility.Add(a.amt)
				}
			}
			sp.PaidAmount = left
		}
		p.Payment = p.Payment.Add(sp.PaidAmount)
		p.ServiceLines = append(p.ServiceLines, sp)
	}
	return p
}

// Reversal returns the CLP02 = 22 loop that takes back a previous payment:
// every amount negated, so the loop still balances.
func Reversal(p x12.ClaimPayment) x12.ClaimPayment {
	r := p
	r.StatusCode, r.IsReversal, r.IsDenial = "22", true, false
	r.TotalCharge, r.Payment, r.PatientResponsibility = p.TotalCharge.Neg(), p.Payment.Neg(), p.PatientResponsibility.Neg()
	r.Adjustments = negate(p.Adjustments)
	r.ServiceLines = make([]x12.ServicePayment, len(p.ServiceLines))
	for i, l := range p.ServiceLines {
		nl := l
		nl.ChargeAmount, nl.PaidAmount = l.ChargeAmount.Neg(), l.PaidAmount.Neg()
		nl.Adjustments = negate(l.Adjustments)
		nl.AllowedAmount = nil
		nl.RemarkCodes = append([]x12.RemarkCode(nil), l.RemarkCodes...)
		r.ServiceLines[i] = nl
	}
	return r
}

func negate(adj []x12.Adjustment) []x12.Adjustment {
	if adj == nil {
		return nil
	}
	out := make([]x12.Adjustment, len(adj))
	for i, a := range adj {
		a.Amount = a.Amount.Neg()
		out[i] = a
	}
	return out
}

// statusFor is CLP02 for a processed claim: 1 primary, 2 secondary, 3
// tertiary.
func statusFor(c *x12.Claim837) string {
	switch c.Subscriber.PayerResponsibility {
	case "S":
		return "2"
	case "T":
		return "3"
	}
	return "1"
}

// serviceSpan returns the first and last date of service of a claim.
func serviceSpan(c *x12.Claim837) (x12.Date, x12.Date) {
	var from, to x12.Date
	for _, l := range c.Lines {
		end := l.ServiceDateEnd
		if end.IsZero() {
			end = l.ServiceDate
		}
		if from.IsZero() || l.ServiceDate.Time().Before(from.Time()) {
			from = l.ServiceDate
		}
		if to.IsZero() || end.Time().After(to.Time()) {
			to = end
		}
	}
	return from, to
}
