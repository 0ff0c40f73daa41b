package x12

import (
	"time"

	"github.com/shopspring/decimal"
)

// EligibilityInquiry is one 270 eligibility, coverage or benefit inquiry
// (005010X279A1) for one subscriber: HL 20 payer, HL 21 provider, HL 22
// subscriber with TRN, NM1*IL, DMG, DTP*291 and EQ.
type EligibilityInquiry struct {
	// Envelope identifies the ISA/GS/ST around the transaction.
	Envelope Envelope `json:"envelope"`
	// ImplementationRef is ST03; Write270 writes Implementation270 when empty.
	ImplementationRef string `json:"implementation_ref"`
	// ReferenceID is BHT03, CreatedAt BHT04/BHT05.
	ReferenceID string    `json:"reference_id"`
	CreatedAt   time.Time `json:"created_at"`
	// Payer is the NM1*PR of HL 20 (IDQualifier PI), Provider the NM1*1P of
	// HL 21 (IDQualifier XX).
	Payer    Person `json:"payer"`
	Provider Person `json:"provider"`
	// TraceNumber and TraceOriginator are TRN02/TRN03 of HL 22.
	TraceNumber     string `json:"trace_number"`
	TraceOriginator string `json:"trace_originator,omitempty"`
	// Subscriber is NM1*IL (IDQualifier MI, ID = member ID).
	Subscriber Person `json:"subscriber"`
	// BirthDate and Gender are DMG02/DMG03.
	BirthDate Date   `json:"birth_date,omitzero"`
	Gender    string `json:"gender,omitempty"`
	// ServiceDate is DTP*291 (plan date of the inquiry).
	ServiceDate Date `json:"service_date,omitzero"`
	// ServiceTypes are the EQ01 service type codes (e.g. "30" health benefit
	// plan coverage), one EQ segment each.
	ServiceTypes []string `json:"service_types"`
}

// EligibilityResponse is one 271 eligibility response (005010X279A1) for
// one subscriber.
type EligibilityResponse struct {
	Envelope          Envelope  `json:"envelope"`
	ImplementationRef string    `json:"implementation_ref"`
	ReferenceID       string    `json:"reference_id"`
	CreatedAt         time.Time `json:"created_at"`
	Payer             Person    `json:"payer"`
	Provider          Person    `json:"provider"`
	// TraceNumber and TraceOriginator echo the inquiry's TRN (TRN01 = 2).
	TraceNumber     string `json:"trace_number"`
	TraceOriginator string `json:"trace_originator,omitempty"`
	Subscriber      Person `json:"subscriber"`
	BirthDate       Date   `json:"birth_date,omitzero"`
	Gender          string `json:"gender,omitempty"`
	// ServiceDate is DTP*291 of the subscriber.
	ServiceDate Date `json:"service_date,omitzero"`
	// Rejections are the subscriber-level AAA segments (e.g. 72 invalid
	// member ID, 75 subscriber not found).
	Rejections []RequestRejection `json:"rejections,omitempty"`
	// Benefits are the EB segments in file order.
	Benefits []Benefit `json:"benefits,omitempty"`
}

// RequestRejection is an AAA segment.
type RequestRejection struct {
	// Valid is AAA01 (Y/N), Reason AAA03, FollowUp AAA04 (e.g. C, N, R).
	Valid    bool   `json:"valid"`
	Reason   string `json:"reason"`
	FollowUp string `json:"follow_up,omitempty"`
}

// Benefit is one EB segment with an optional MSG.
type Benefit struct {
	// Code is EB01: 1 active coverage, 6 inactive, A co-insurance, B
	// co-payment, C deductible, G out-of-pocket...
	Code string `json:"code"`
	// CoverageLevel is EB02 (IND, FAM...).
	CoverageLevel string `json:"coverage_level,omitempty"`
	// ServiceTypes are EB03 (repeatable; e.g. 30, 98).
	ServiceTypes []string `json:"service_types,omitempty"`
	// InsuranceType is EB04 (e.g. C1 commercial), PlanName EB05.
	InsuranceType string `json:"insurance_type,omitempty"`
	PlanName      string `json:"plan_name,omitempty"`
	// TimePeriod is EB06 (e.g. 23 calendar year, 29 remaining).
	TimePeriod string `json:"time_period,omitempty"`
	// Amount is EB07, Percent EB08 (a fraction, 0.2 = 20%).
	Amount  *decimal.Decimal `json:"amount,omitempty"`
	Percent *decimal.Decimal `json:"percent,omitempty"`
	// InNetwork is EB12 (Y, N, U, W).
	InNetwork string `json:"in_network,omitempty"`
	// Message is the MSG following the EB.
	Message string `json:"message,omitempty"`
}

// Benefit information codes (EB01) used by EligibilityResponse helpers.
const (
	BenefitActive      = "1"
	BenefitInactive    = "6"
	BenefitCoinsurance = "A"
	BenefitCopay       = "B"
	BenefitDeductible  = "C"
)

// Active reports whether the response carries an active coverage EB (EB01
// = 1) and no inactive one or AAA rejection.
func (r *EligibilityResponse) Active() bool {
	if len(r.Rejections) > 0 {
		return false
	}
	active := false
	for _, b := range r.Benefits {
		switch b.Code {
		case BenefitInactive:
			return false
		case BenefitActive:
			active = true
		}
	}
	return active
}

// Copay returns the first co-payment amount (EB*B with EB07).
func (r *EligibilityResponse) Copay() (decimal.Decimal, bool) {
	for _, b := range r.Benefits {
		if b.Code == BenefitCopay && b.Amount != nil {
			return *b.Amount, true
		}
	}
	return decimal.Decimal{}, false
}

// DeductibleRemaining returns the deductible remaining (EB*C with EB06 =
// 29), falling back to the first deductible amount.
func (r *EligibilityResponse) DeductibleRemaining() (decimal.Decimal, bool) {
	var first *decimal.Decimal
	for _, b := range r.Benefits {
		if b.Code != BenefitDeductible || b.Amount == nil {
			continue
		}
		if b.TimePeriod == "29" {
			return *b.Amount, true
		}
		if first == nil {
			first = b.Amount
		}
	}
	if first != nil {
		return *first, true
	}
	return decimal.Decimal{}, false
}

// ClaimStatusInquiry is one 276 claim status request (005010X212) for one
// subscriber: HL 20 payer, HL 21 information receiver, HL 19 provider, HL 22
// subscriber, then one TRN loop per claim.
type ClaimStatusInquiry struct {
	Envelope          Envelope  `json:"envelope"`
	ImplementationRef string    `json:"implementation_ref"`
	ReferenceID       string    `json:"reference_id"`
	CreatedAt         time.Time `json:"created_at"`
	// Payer is NM1*PR, Receiver NM1*41, Provider NM1*1P, Subscriber NM1*IL.
	Payer      Person `json:"payer"`
	Receiver   Person `json:"receiver"`
	Provider   Person `json:"provider"`
	Subscriber Person `json:"subscriber"`
	// Claims are the 2200D loops.
	Claims []ClaimStatusQuery `json:"claims"`
}

// ClaimStatusQuery is one 276 loop 2200D.
type ClaimStatusQuery struct {
	// TraceNumber is TRN02 (TRN01 = 1).
	TraceNumber string `json:"trace_number"`
	// PayerClaimControlNumber is REF*1K, PatientControlNumber REF*EJ.
	PayerClaimControlNumber string `json:"payer_claim_control_number,omitempty"`
	PatientControlNumber    string `json:"patient_control_number,omitempty"`
	// TotalCharge is AMT*T3.
	TotalCharge *decimal.Decimal `json:"total_charge,omitempty"`
	// ServiceFrom and ServiceTo are DTP*472.
	ServiceFrom Date `json:"service_from,omitzero"`
	ServiceTo   Date `json:"service_to,omitzero"`
}

// Write270 writes q as one 270 interchange (GS01 "HS").
func Write270(q *EligibilityInquiry) ([]byte, error) {
	impl := orDefault(q.ImplementationRef, Implementation270)
	return writeInterchange(q.Envelope, "HS", "270", impl, func(w *x12Writer) {
		w.seg("BHT", "0022", "13", q.ReferenceID, q.CreatedAt.Format("20060102"), formatTime(q.CreatedAt))
		writeEligibilityParties(w, q.Payer, q.Provider)
		w.seg("HL", "3", "2", "22", "0")
		if q.TraceNumber == "" {
			w.failf("270: TRN needs a trace number")
		}
		w.seg("TRN", "1", q.TraceNumber, q.TraceOriginator)
		w.person("IL", q.Subscriber)
		if !q.BirthDate.IsZero() || q.Gender != "" {
			w.seg("DMG", "D8", q.BirthDate.X12(), q.Gender)
		}
		w.dtp("291", q.ServiceDate, Date{})
		for _, st := range q.ServiceTypes {
			w.seg("EQ", st)
		}
	})
}

// Write271 writes r as one 271 interchange (GS01 "HB").
func Write271(r *EligibilityResponse) ([]byte, error) {
	impl := orDefault(r.ImplementationRef, Implementation271)
	return writeInterchange(r.Envelope, "HB", "271", impl, func(w *x12Writer) {
		w.seg("BHT", "0022", "11", r.ReferenceID, r.CreatedAt.Format("20060102"), formatTime(r.CreatedAt))
		writeEligibilityParties(w, r.Payer, r.Provider)
		w.seg("HL", "3", "2", "22", "0")
		if r.TraceNumber != "" {
			w.seg("TRN", "2", r.TraceNumber, r.TraceOriginator)
		}
		w.person("IL", r.Subscriber)
		for _, a := range r.Rejections {
			w.seg("AAA", yn(a.Valid), "", a.Reason, a.FollowUp)
		}
		if !r.BirthDate.IsZero() || r.Gender != "" {
			w.seg("DMG", "D8", r.BirthDate.X12(), r.Gender)
		}
		w.dtp("291", r.ServiceDate, Date{})
		for _, b := range r.Benefits {
			if b.Code == "" {
				w.failf("271: EB01 benefit code is required")
			}
			st := ""
			for i, s := range b.ServiceTypes {
				if i > 0 {
					st += string(w.d.Repetition)
				}
				st += w.clean("EB", s)
			}
			els := []string{w.clean("EB", b.Code), w.clean("EB", b.CoverageLevel), st, w.clean("EB", b.InsuranceType),
				w.clean("EB", b.PlanName), w.clean("EB", b.TimePeriod), decStr(b.Amount), decStr(b.Percent), "", "", "",
				w.clean("EB", b.InNetwork)}
			w.rawSeg("EB", els)
			if b.Message != "" {
				w.seg("MSG", b.Message)
			}
		}
	})
}

// Write276 writes q as one 276 interchange (GS01 "HR").
func Write276(q *ClaimStatusInquiry) ([]byte, error) {
	impl := orDefault(q.ImplementationRef, Implementation276)
	return writeInterchange(q.Envelope, "HR", "276", impl, func(w *x12Writer) {
		w.seg("BHT", "0010", "13", q.ReferenceID, q.CreatedAt.Format("20060102"), formatTime(q.CreatedAt))
		w.seg("HL", "1", "", "20", "1")
		w.person("PR", q.Payer)
		w.seg("HL", "2", "1", "21", "1")
		w.person("41", q.Receiver)
		w.seg("HL", "3", "2", "19", "1")
		w.person("1P", q.Provider)
		w.seg("HL", "4", "3", "22", "0")
		w.person("IL", q.Subscriber)
		if len(q.Claims) == 0 {
			w.failf("276: at least one claim is required")
		}
		for _, c := range q.Claims {
			if c.TraceNumber == "" {
				w.failf("276: TRN needs a trace number")
			}
			w.seg("TRN", "1", c.TraceNumber)
			if c.PayerClaimControlNumber != "" {
				w.seg("REF", "1K", c.PayerClaimControlNumber)
			}
			if c.PatientControlNumber != "" {
				w.seg("REF", "EJ", c.PatientControlNumber)
			}
			if c.TotalCharge != nil {
				w.seg("AMT", "T3", formatAmount(*c.TotalCharge))
			}
			w.dtp("472", c.ServiceFrom, c.ServiceTo)
		}
	})
}

func writeEligibilityParties(w *x12Writer, payer, provider Person) {
	w.seg("HL", "1", "", "20", "1")
	w.person("PR", payer)
	w.seg("HL", "2", "1", "21", "1")
	w.person("1P", provider)
}

// Parse270 parses every 270 transaction set in data.
func Parse270(data []byte) ([]EligibilityInquiry, error) {
	var out []EligibilityInquiry
	err := forEachTransaction(data, []string{"270"}, func(ic *Interchange, g *Group, tx *Transaction) error {
		q := EligibilityInquiry{Envelope: envelopeOf(ic, g, tx), ImplementationRef: tx.ImplementationRef}
		var e eligibilityCommon
		if err := e.walk(tx, func(seg Segment) error {
			if seg.ID == "EQ" {
				if seg.El(1) == "" {
					return segErr(seg, 1, "missing service type code")
				}
				q.ServiceTypes = append(q.ServiceTypes, seg.El(1))
			}
			return nil
		}); err != nil {
			return err
		}
		q.ReferenceID, q.CreatedAt, q.Payer, q.Provider = e.ref, e.created, e.payer, e.provider
		q.TraceNumber, q.TraceOriginator, q.Subscriber = e.trace, e.traceOrig, e.subscriber
		q.BirthDate, q.Gender, q.ServiceDate = e.birth, e.gender, e.serviceDate
		out = append(out, q)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Parse271 parses every 271 transaction set in data.
func Parse271(data []byte) ([]EligibilityResponse, error) {
	var out []EligibilityResponse
	err := forEachTransaction(data, []string{"271"}, func(ic *Interchange, g *Group, tx *Transaction) error {
		r := EligibilityResponse{Envelope: envelopeOf(ic, g, tx), ImplementationRef: tx.ImplementationRef}
		var e eligibilityCommon
		if err := e.walk(tx, func(seg Segment) error {
			switch seg.ID {
			case "AAA":
				r.Rejections = append(r.Rejections, RequestRejection{Valid: seg.El(1) == "Y", Reason: seg.El(3), FollowUp: seg.El(4)})
			case "EB":
				b := Benefit{Code: seg.El(1), CoverageLevel: seg.El(2), ServiceTypes: seg.Repeats(3),
					InsuranceType: seg.El(4), PlanName: seg.El(5), TimePeriod: seg.El(6), InNetwork: seg.El(12)}
				if b.Code == "" {
					return segErr(seg, 1, "missing eligibility or benefit information code")
				}
				var err error
				if b.Amount, err = optAmountEl(seg, 7); err != nil {
					return err
				}
				if b.Percent, err = optAmountEl(seg, 8); err != nil {
					return err
				}
				r.Benefits = append(r.Benefits, b)
			case "MSG":
				if len(r.Benefits) == 0 {
					return segErr(seg, 0, "MSG before any EB")
				}
				r.Benefits[len(r.Benefits)-1].Message = seg.El(1)
			}
			return nil
		}); err != nil {
			return err
		}
		r.ReferenceID, r.CreatedAt, r.Payer, r.Provider = e.ref, e.created, e.payer, e.provider
		r.TraceNumber, r.TraceOriginator, r.Subscriber = e.trace, e.traceOrig, e.subscriber
		r.BirthDate, r.Gender, r.ServiceDate = e.birth, e.gender, e.serviceDate
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Parse276 parses every 276 transaction set in data.
func Parse276(data []byte) ([]ClaimStatusInquiry, error) {
	var out []ClaimStatusInquiry
	err := forEachTransaction(data, []string{"276"}, func(ic *Interchange, g *Group, tx *Transaction) error {
		q := ClaimStatusInquiry{Envelope: envelopeOf(ic, g, tx), ImplementationRef: tx.ImplementationRef}
		if len(tx.Segments) == 0 || tx.Segments[0].ID != "BHT" {
			return segErr(tx.Header, 0, "276 must start with BHT")
		}
		var claim *ClaimStatusQuery
		for _, seg := range tx.Segments {
			var err error
			switch seg.ID {
			case "BHT":
				q.ReferenceID = seg.El(3)
				q.CreatedAt, err = dateTimeEls(seg, 4, 5)
			case "NM1":
				p := personFromNM1(seg)
				switch seg.El(1) {
				case "PR":
					q.Payer = p
				case "41":
					q.Receiver = p
				case "1P":
					q.Provider = p
				case "IL":
					q.Subscriber = p
				}
			case "TRN":
				if seg.El(2) == "" {
					return segErr(seg, 2, "missing trace number")
				}
				q.Claims = append(q.Claims, ClaimStatusQuery{TraceNumber: seg.El(2)})
				claim = &q.Claims[len(q.Claims)-1]
			case "REF":
				if claim == nil {
					break
				}
				switch seg.El(1) {
				case "1K":
					claim.PayerClaimControlNumber = seg.El(2)
				case "EJ":
					claim.PatientControlNumber = seg.El(2)
				}
			case "AMT":
				if claim != nil && seg.El(1) == "T3" {
					var a AmountInfo
					if a, err = parseAMT(seg); err == nil {
						v := a.Amount
						claim.TotalCharge = &v
					}
				}
			case "DTP":
				if claim != nil && seg.El(1) == "472" {
					claim.ServiceFrom, claim.ServiceTo, err = periodEl(seg, seg.El(2), 3)
				}
			}
			if err != nil {
				return err
			}
		}
		if len(q.Claims) == 0 {
			return segErr(tx.Trailer, 0, "276 has no claim (TRN)")
		}
		out = append(out, q)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eligibilityCommon holds what 270 and 271 share.
type eligibilityCommon struct {
	ref              string
	created          time.Time
	payer, provider  Person
	subscriber       Person
	trace, traceOrig string
	birth            Date
	gender           string
	serviceDate      Date
}

func (e *eligibilityCommon) walk(tx *Transaction, extra func(Segment) error) error {
	if len(tx.Segments) == 0 || tx.Segments[0].ID != "BHT" {
		return segErr(tx.Header, 0, "%s must start with BHT", tx.ID)
	}
	sawSubscriber := false
	for _, seg := range tx.Segments {
		var err error
		switch seg.ID {
		case "BHT":
			e.ref = seg.El(3)
			e.created, err = dateTimeEls(seg, 4, 5)
		case "NM1":
			p := personFromNM1(seg)
			switch seg.El(1) {
			case "PR":
				e.payer = p
			case "1P", "FA", "80":
				e.provider = p
			case "IL":
				if !sawSubscriber {
					e.subscriber = p
					sawSubscriber = true
				}
			}
		case "TRN":
			if e.trace == "" {
				e.trace, e.traceOrig = seg.El(2), seg.El(3)
			}
		case "DMG":
			if e.birth, err = optDateEl(seg, 2); err == nil {
				e.gender = seg.El(3)
			}
		case "DTP":
			if seg.El(1) == "291" {
				e.serviceDate, _, err = periodEl(seg, seg.El(2), 3)
			}
		default:
			err = extra(seg)
		}
		if err != nil {
			return err
		}
	}
	if !sawSubscriber {
		return segErr(tx.Trailer, 0, "%s has no subscriber (NM1*IL)", tx.ID)
	}
	return nil
}
