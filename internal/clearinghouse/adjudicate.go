package clearinghouse

import (
	"strings"

	"github.com/clinicflow/rcm/internal/x12"
	"github.com/shopspring/decimal"
)

var hundred, eighty = decimal.NewFromInt(100), decimal.NewFromInt(80)

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
//
// A claim that carries a prior payer's adjudication (a 2320 loop with
// AMT*D, CAS or 2430 lines, of a payer whose SBR01 does not come after the
// claim's own: P before S before T) is paid as secondary. The remaining
// amount R is the prior payer's patient responsibility: the PR adjustments
// of its 2320 and 2430 loops or, when it has none, the charge minus its
// paid amount (AMT*D, else the sum of SVD02) minus its other adjustments
// (CO, OA, PI, CR). This payer pays SecondaryPercent (80 when zero) of R,
// rounded to cents; the rest of R is PR-2 and the part the prior payer
// settled (charge - R) is OA-23. CLP02 is 2 (3 for a tertiary claim).
// When every line has a 2430 loop of the prior payer and its 2320 has no
// claim-level CAS, R is taken line by line; otherwise R is computed for
// the claim and spread over the lines in proportion to their charges. The
// payment is spread over the lines in proportion to their share of R, so
// the claim pays exactly SecondaryPercent of R and every line balances.
func Adjudicate(c *x12.Claim837, o Outcome, payerClaimNumber string, received x12.Date) x12.ClaimPayment {
	p := x12.ClaimPayment{
		PatientControlNumber:    c.PatientControlNumber,
		StatusCode:              statusFor(c),
		TotalCharge:             c.TotalCharge,
		FilingIndicator:         filingIndicator835(c.Subscriber.ClaimFilingIndicator),
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
	} else if prior := priorPayer(c); prior != nil {
		adjudicateSecondary(&p, c, prior, o)
		return p
	}
	pct := o.AllowedPercent
	if pct.IsZero() {
		pct = hundred
	}
	copayLeft, dedLeft := o.Copay, o.Deductible
	for _, l := range c.Lines {
		sp := newServicePayment(l)
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

// newServicePayment starts the SVC loop answering an 837 line.
func newServicePayment(l x12.ServiceLine837) x12.ServicePayment {
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
	return sp
}

// responsibilityOrder ranks SBR01 payer responsibility codes: primary,
// secondary, tertiary, then payers 4 to 11.
const responsibilityOrder = "PSTABCDEFGH"

// rank returns the position of an SBR01 code; unknown codes (U) come last.
func rank(code string) int {
	if len(code) == 1 {
		if i := strings.Index(responsibilityOrder, code); i >= 0 {
			return i
		}
	}
	return len(responsibilityOrder)
}

// priorPayer returns the other payer whose adjudication the claim carries
// and that does not come after the claim's payer (the latest such payer
// when there are several), or nil when the claim is not a secondary claim.
// Other payers that come later (a primary claim listing the secondary
// coverage) or carry no adjudication are information only.
func priorPayer(c *x12.Claim837) *x12.OtherPayer {
	own := rank(c.Subscriber.PayerResponsibility)
	var prior *x12.OtherPayer
	for i := range c.OtherPayers {
		o := &c.OtherPayers[i]
		r := rank(o.PayerResponsibility)
		if r > own || !adjudicated(c, o) {
			continue
		}
		if prior == nil || r > rank(prior.PayerResponsibility) {
			prior = o
		}
	}
	return prior
}

// adjudicated reports whether the claim carries o's adjudication.
func adjudicated(c *x12.Claim837, o *x12.OtherPayer) bool {
	if o.PaidAmount != nil || len(o.Adjustments) > 0 {
		return true
	}
	for _, l := range c.Lines {
		for _, a := range l.Adjudications {
			if a.PayerID == o.Payer.ID {
				return true
			}
		}
	}
	return false
}

// priorTotals sums the amounts of adjustments by patient responsibility
// (PR) and everything else.
type priorTotals struct {
	pr, other decimal.Decimal
	hasPR     bool
}

func (t *priorTotals) add(adj []x12.Adjustment) {
	for _, a := range adj {
		if a.Group == "PR" {
			t.pr, t.hasPR = t.pr.Add(a.Amount), true
		} else {
			t.other = t.other.Add(a.Amount)
		}
	}
}

// clamp bounds v to [0, max].
func clamp(v, upper decimal.Decimal) decimal.Decimal {
	if v.IsNegative() {
		return decimal.Zero
	}
	return decimal.Min(v, upper)
}

// remaining returns what the prior payer left to the patient on each line
// (see Adjudicate).
func remaining(c *x12.Claim837, prior *x12.OtherPayer) []decimal.Decimal {
	claim := priorTotals{}
	claim.add(prior.Adjustments)
	lines := make([]priorTotals, len(c.Lines))
	linePaid := make([]decimal.Decimal, len(c.Lines))
	lineLevel := len(prior.Adjustments) == 0
	for i, l := range c.Lines {
		found := false
		for _, a := range l.Adjudications {
			if a.PayerID != prior.Payer.ID {
				continue
			}
			found = true
			lines[i].add(a.Adjustments)
			linePaid[i] = linePaid[i].Add(a.PaidAmount)
		}
		lineLevel = lineLevel && found
	}
	out := make([]decimal.Decimal, len(c.Lines))
	if lineLevel {
		for i, l := range c.Lines {
			if lines[i].hasPR {
				out[i] = clamp(lines[i].pr, l.Charge)
			} else {
				out[i] = clamp(l.Charge.Sub(linePaid[i]).Sub(lines[i].other), l.Charge)
			}
		}
		return out
	}
	total, paid := claim, decimal.Zero
	for i := range lines {
		total.pr, total.other = total.pr.Add(lines[i].pr), total.other.Add(lines[i].other)
		total.hasPR = total.hasPR || lines[i].hasPR
		paid = paid.Add(linePaid[i])
	}
	if prior.PaidAmount != nil {
		paid = *prior.PaidAmount
	}
	r := total.pr
	if !total.hasPR {
		r = c.TotalCharge.Sub(paid).Sub(total.other)
	}
	charges := make([]decimal.Decimal, len(c.Lines))
	for i, l := range c.Lines {
		charges[i] = l.Charge
	}
	return allocate(clamp(r, c.TotalCharge), charges)
}

// allocate spreads total (in cents, 0 <= total <= sum of caps) over the
// caps in proportion to them: every share is rounded down to the cent and
// the cents left go to the first shares with room, so shares never exceed
// their cap and add up to total.
func allocate(total decimal.Decimal, caps []decimal.Decimal) []decimal.Decimal {
	out := make([]decimal.Decimal, len(caps))
	sum := decimal.Zero
	for _, c := range caps {
		sum = sum.Add(c)
	}
	if !sum.IsPositive() {
		return out
	}
	left := total
	for i, c := range caps {
		out[i] = total.Mul(c).Div(sum).Truncate(2)
		left = left.Sub(out[i])
	}
	for i := range out {
		if !left.IsPositive() {
			break
		}
		add := decimal.Min(left, caps[i].Sub(out[i]))
		out[i], left = out[i].Add(add), left.Sub(add)
	}
	return out
}

// adjudicateSecondary fills the lines of a secondary payment (see
// Adjudicate).
func adjudicateSecondary(p *x12.ClaimPayment, c *x12.Claim837, prior *x12.OtherPayer, o Outcome) {
	if p.StatusCode == "1" {
		p.StatusCode = "2"
	}
	pct := o.SecondaryPercent
	if pct.IsZero() {
		pct = eighty
	}
	rem := remaining(c, prior)
	r := decimal.Zero
	for _, v := range rem {
		r = r.Add(v)
	}
	pay := clamp(r.Mul(pct).Div(hundred).Round(2), r)
	paid := allocate(pay, rem)
	for i, l := range c.Lines {
		sp := newServicePayment(l)
		sp.PaidAmount = paid[i]
		if oa := l.Charge.Sub(rem[i]); oa.IsPositive() {
			sp.Adjustments = append(sp.Adjustments, x12.Adjustment{Group: "OA", Reason: "23", Amount: oa})
		}
		if pr := rem[i].Sub(paid[i]); pr.IsPositive() {
			sp.Adjustments = append(sp.Adjustments, x12.Adjustment{Group: "PR", Reason: "2", Amount: pr})
			p.PatientResponsibility = p.PatientResponsibility.Add(pr)
		}
		p.Payment = p.Payment.Add(sp.PaidAmount)
		p.ServiceLines = append(p.ServiceLines, sp)
	}
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
// filingIndicator835 is CLP06 for the 837's SBR09. X221A1 dropped four of
// the 837's codes from CLP06: commercial (CI) and Blue Cross/Blue Shield (BL)
// plans are answered as the simulated payer's plan type, a PPO (12); the
// Federal Employees Program (FI) as another federal program (OF); other
// non-federal programs (11) as mutually defined (ZZ).
func filingIndicator835(sbr09 string) string {
	switch sbr09 {
	case "CI", "BL", "":
		return "12"
	case "FI":
		return "OF"
	case "11":
		return "ZZ"
	}
	return sbr09
}

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
