package clearinghouse

import (
	"context"
	"fmt"
	"time"

	"github.com/clinicflow/rcm/internal/x12"
	"github.com/shopspring/decimal"
)

// CheckEligibility writes a 270 for req, answers it with a 271 from the
// eligibility rules and returns the parsed 271. A request without a member
// ID is answered with AAA*N**72 (invalid member ID).
func (s *Simulator) CheckEligibility(ctx context.Context, req EligibilityRequest) (EligibilityResult, error) {
	if err := ctx.Err(); err != nil {
		return EligibilityResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.catchUp(ctx); err != nil {
		return EligibilityResult{}, err
	}
	now := s.cfg.Now()
	svc := req.ServiceDate
	if svc.IsZero() {
		svc = x12.NewDate(now.Year(), now.Month(), now.Day())
	}
	types := req.ServiceTypes
	if len(types) == 0 {
		types = []string{"30"}
	}
	env := s.envelope("CLINICFLOW", s.id, now)
	q := x12.EligibilityInquiry{
		Envelope: env, ReferenceID: fmt.Sprintf("ELIG%06d", env.InterchangeControlNumber), CreatedAt: env.Date,
		Payer:       x12.Person{EntityType: "2", LastName: req.PayerName, IDQualifier: "PI", ID: req.PayerID},
		Provider:    x12.Person{EntityType: "2", LastName: req.ProviderName, IDQualifier: "XX", ID: req.ProviderNPI},
		TraceNumber: fmt.Sprintf("TRN%09d", env.InterchangeControlNumber), TraceOriginator: "9CLINICFLW",
		Subscriber: x12.Person{EntityType: "1", LastName: req.LastName, FirstName: req.FirstName, IDQualifier: "MI", ID: req.MemberID},
		BirthDate:  req.BirthDate, ServiceDate: svc, ServiceTypes: types,
	}
	raw270, err := x12.Write270(&q)
	if err != nil {
		return EligibilityResult{}, err
	}
	if s.wrote != nil {
		s.wrote("270", raw270)
	}
	raw271, err := s.answer270(raw270, now)
	if err != nil {
		return EligibilityResult{}, err
	}
	rs, err := x12.Parse271(raw271)
	if err != nil {
		return EligibilityResult{}, err
	}
	r := rs[0]
	out := EligibilityResult{Active: r.Active(), Raw271: raw271}
	out.Copay, _ = r.Copay()
	out.DeductibleRemaining, _ = r.DeductibleRemaining()
	for _, b := range r.Benefits {
		if b.Code == x12.BenefitActive && b.PlanName != "" {
			out.PlanName = b.PlanName
		}
	}
	for _, a := range r.Rejections {
		out.RejectReasons = append(out.RejectReasons, a.Reason)
	}
	return out, nil
}

// answer270 is the payer side: parse the 270 and write the 271.
func (s *Simulator) answer270(raw []byte, now time.Time) ([]byte, error) {
	qs, err := x12.Parse270(raw)
	if err != nil {
		return nil, err
	}
	q := qs[0]
	r := x12.EligibilityResponse{
		Envelope: s.envelope(orDefault(q.Payer.ID, s.id), q.Envelope.SenderID, now), ReferenceID: q.ReferenceID,
		CreatedAt: now.UTC().Truncate(time.Minute), Payer: q.Payer, Provider: q.Provider,
		TraceNumber: q.TraceNumber, TraceOriginator: q.TraceOriginator, Subscriber: q.Subscriber,
		BirthDate: q.BirthDate, ServiceDate: q.ServiceDate,
	}
	pct := func(v decimal.Decimal) *decimal.Decimal { f := v.Div(hundred); return &f }
	amt := func(v decimal.Decimal) *decimal.Decimal { return &v }
	switch rule := s.cfg.Rules.EligibilityFor(q.Subscriber.ID); {
	case q.Subscriber.ID == "":
		r.Rejections = []x12.RequestRejection{{Valid: false, Reason: "72", FollowUp: "C"}}
	case !rule.Active:
		r.Benefits = []x12.Benefit{{Code: x12.BenefitInactive, CoverageLevel: "IND", ServiceTypes: []string{"30"}, Message: "COVERAGE TERMINATED"}}
	default:
		r.Benefits = []x12.Benefit{{Code: x12.BenefitActive, CoverageLevel: "IND", ServiceTypes: []string{"30"}, InsuranceType: "C1", PlanName: rule.PlanName}}
		if rule.Copay.IsPositive() {
			r.Benefits = append(r.Benefits, x12.Benefit{Code: x12.BenefitCopay, CoverageLevel: "IND", ServiceTypes: []string{"98"},
				TimePeriod: "27", Amount: amt(rule.Copay), InNetwork: "Y", Message: "OFFICE VISIT"})
		}
		if rule.Deductible.IsPositive() {
			r.Benefits = append(r.Benefits, x12.Benefit{Code: x12.BenefitDeductible, CoverageLevel: "IND", ServiceTypes: []string{"30"},
				TimePeriod: "23", Amount: amt(rule.Deductible), InNetwork: "Y"})
		}
		r.Benefits = append(r.Benefits, x12.Benefit{Code: x12.BenefitDeductible, CoverageLevel: "IND", ServiceTypes: []string{"30"},
			TimePeriod: "29", Amount: amt(rule.DeductibleRemaining), InNetwork: "Y"})
		if rule.CoinsurancePercent.IsPositive() {
			r.Benefits = append(r.Benefits, x12.Benefit{Code: x12.BenefitCoinsurance, CoverageLevel: "IND", ServiceTypes: []string{"30"},
				Percent: pct(rule.CoinsurancePercent), InNetwork: "Y"})
		}
	}
	return x12.Write271(&r)
}

// ClaimStatus writes a 276 for req and answers it with a 277 (005010X212):
// A4:35 for an unknown claim, the 277CA rejection codes for a rejected one,
// P1:20 while the 835 is not yet due, F1:65 (paid, with amounts and check),
// F2:1 (denied) or F3:1 (voided or reversed) afterwards.
func (s *Simulator) ClaimStatus(ctx context.Context, req StatusRequest) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	env := s.envelope("CLINICFLOW", s.id, now)
	q := x12.ClaimStatusInquiry{
		Envelope: env, ReferenceID: fmt.Sprintf("STAT%06d", env.InterchangeControlNumber), CreatedAt: env.Date,
		Payer:      x12.Person{EntityType: "2", LastName: req.PayerName, IDQualifier: "PI", ID: req.PayerID},
		Receiver:   x12.Person{EntityType: "2", LastName: "CLINICFLOW", IDQualifier: "46", ID: "CLINICFLOW"},
		Provider:   x12.Person{EntityType: "2", LastName: req.ProviderName, IDQualifier: "XX", ID: req.ProviderNPI},
		Subscriber: x12.Person{EntityType: "1", LastName: req.LastName, FirstName: req.FirstName, IDQualifier: "MI", ID: req.MemberID},
		Claims: []x12.ClaimStatusQuery{{TraceNumber: fmt.Sprintf("TRN%09d", env.InterchangeControlNumber),
			PayerClaimControlNumber: req.PayerClaimControlNumber, PatientControlNumber: req.PatientControlNumber,
			TotalCharge: req.TotalCharge, ServiceFrom: req.ServiceFrom, ServiceTo: req.ServiceTo}},
	}
	raw276, err := x12.Write276(&q)
	if err != nil {
		return nil, err
	}
	if s.wrote != nil {
		s.wrote("276", raw276)
	}
	return s.answer276(raw276, now)
}

func (s *Simulator) answer276(raw []byte, now time.Time) ([]byte, error) {
	qs, err := x12.Parse276(raw)
	if err != nil {
		return nil, err
	}
	q := qs[0]
	today := x12.NewDate(now.Year(), now.Month(), now.Day())
	r := x12.ClaimStatusReport{
		Envelope: s.envelope(orDefault(q.Payer.ID, s.id), q.Envelope.SenderID, now), ReferenceID: q.ReferenceID,
		CreatedAt: now.UTC().Truncate(time.Minute),
		Entities: []x12.StatusEntity{
			{HLID: "1", Level: "20", EntityCode: "PR", Name: q.Payer},
			{HLID: "2", ParentID: "1", Level: "21", EntityCode: "41", Name: q.Receiver},
			{HLID: "3", ParentID: "2", Level: "19", EntityCode: "1P", Name: q.Provider},
		},
	}
	for i, cq := range q.Claims {
		cs := x12.ClaimStatus{HLID: fmt.Sprint(4 + i), ProviderID: q.Provider.ID, Patient: q.Subscriber,
			PatientControlNumber: orDefault(cq.PatientControlNumber, cq.TraceNumber), ServiceFrom: cq.ServiceFrom, ServiceTo: cq.ServiceTo}
		var rec *claimRecord
		if cq.PayerClaimControlNumber != "" {
			rec = s.byPayerCN[cq.PayerClaimControlNumber]
		}
		if rec == nil && cq.PatientControlNumber != "" {
			rec = s.claims[claimKey(q.Payer.ID, cq.PatientControlNumber)]
		}
		st := x12.StatusInfo{Date: today}
		switch {
		case rec == nil:
			st.Codes = []x12.StatusCode{{Category: "A4", Status: "35"}}
			st.Amount = cq.TotalCharge
		default:
			charge := rec.claim.TotalCharge
			st.Amount = &charge
			cs.PayerClaimControlNumber = rec.payerCN
			if rec.payerCN != "" {
				cs.References = []x12.Reference{{Qualifier: "1K", Value: rec.payerCN}}
			}
			cs.ServiceFrom, cs.ServiceTo = serviceSpan(&rec.claim)
			if cs.ServiceTo.Time().Equal(cs.ServiceFrom.Time()) {
				cs.ServiceTo = x12.Date{}
			}
			switch {
			case rec.state == stateRejected:
				st.Codes = []x12.StatusCode{rec.reject}
			case rec.payment == nil && rec.state == stateVoided:
				st.Codes = []x12.StatusCode{{Category: "F3", Status: "1"}}
			case now.Before(rec.remitAt):
				st.Codes = []x12.StatusCode{{Category: "P1", Status: "20"}}
			default:
				p := rec.payment
				paid := p.Payment
				st.PaymentAmount = &paid
				st.AdjudicationDate, st.CheckDate, st.CheckNumber, st.PaymentMethod = rec.checkDate, rec.checkDate, rec.checkNumber, "CHK"
				switch {
				case p.IsReversal || rec.state == stateVoided:
					st.Codes = []x12.StatusCode{{Category: "F3", Status: "1"}}
				case p.IsDenial:
					st.Codes = []x12.StatusCode{{Category: "F2", Status: "1"}}
				default:
					st.Codes = []x12.StatusCode{{Category: "F1", Status: "65"}}
				}
			}
		}
		cs.Statuses = []x12.StatusInfo{st}
		if st.Amount != nil {
			cs.TotalCharge = *st.Amount
		}
		r.Claims = append(r.Claims, cs)
	}
	return x12.Write277(&r)
}
