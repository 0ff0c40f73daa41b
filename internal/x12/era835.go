package x12

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Remittance is one 835 Health Care Claim Payment/Advice transaction set
// (ST/SE): a payment (or notification) from one payer to one payee.
type Remittance struct {
	// Envelope identifies the ISA/GS/ST around the transaction.
	Envelope Envelope `json:"envelope"`
	// ImplementationRef is ST03 (or GS08), e.g. "005010X221A1".
	ImplementationRef string `json:"implementation_ref"`
	// Payment is the BPR financial information.
	Payment PaymentInfo `json:"payment"`
	// Trace is the TRN reassociation trace number.
	Trace Trace `json:"trace"`
	// ProductionDate is DTM*405, when present.
	ProductionDate Date `json:"production_date,omitzero"`
	// ReceiverID is REF*EV, when present.
	ReceiverID string `json:"receiver_id,omitempty"`
	// Payer is loop 1000A (N1*PR).
	Payer Party `json:"payer"`
	// Payee is loop 1000B (N1*PE).
	Payee Party `json:"payee"`
	// Claims are the 2100 claim payment loops in file order.
	Claims []ClaimPayment `json:"claims"`
	// ProviderAdjustments are the PLB segments.
	ProviderAdjustments []ProviderAdjustment `json:"provider_adjustments,omitempty"`
	// Warnings are the envelope and optional-element slips read past
	// (see ReadInterchanges); nil for a clean file.
	Warnings []string `json:"warnings,omitempty"`
}

// PaymentInfo is the BPR segment.
type PaymentInfo struct {
	// HandlingCode is BPR01: C payment with remittance, H notification only,
	// I remittance information only, P prenotification, U split, X separate.
	HandlingCode string `json:"handling_code"`
	// Amount is BPR02, the total actual provider payment amount.
	Amount decimal.Decimal `json:"amount"`
	// CreditDebit is BPR03: "C" credit or "D" debit.
	CreditDebit string `json:"credit_debit"`
	// Method is BPR04: ACH, BOP, CHK, FWT or NON.
	Method string `json:"method"`
	// Format is BPR05 (e.g. CCP, CTX), when present.
	Format string `json:"format,omitempty"`
	// SenderAccount and ReceiverAccount are BPR09 and BPR15, when present.
	SenderAccount   string `json:"sender_account,omitempty"`
	ReceiverAccount string `json:"receiver_account,omitempty"`
	// Date is BPR16, the check issue or EFT effective date.
	Date Date `json:"date"`
}

// Trace is the TRN reassociation trace segment.
type Trace struct {
	// TypeCode is TRN01 ("1" current transaction trace number).
	TypeCode string `json:"type_code"`
	// Number is TRN02, the check or EFT trace number.
	Number string `json:"number"`
	// OriginatorID is TRN03, the payer's originating company identifier.
	OriginatorID string `json:"originator_id,omitempty"`
	// Supplemental is TRN04, when present.
	Supplemental string `json:"supplemental,omitempty"`
}

// Party is a payer or payee identified by an N1 loop.
type Party struct {
	// Name is N102.
	Name string `json:"name"`
	// IDQualifier and ID are N103/N104 (or REF*2U for a payer without N104).
	IDQualifier string `json:"id_qualifier,omitempty"`
	ID          string `json:"id,omitempty"`
	// NPI is set when the party is identified by N103=XX.
	NPI string `json:"npi,omitempty"`
	// TaxID is set from N103=FI or REF*TJ.
	TaxID string `json:"tax_id,omitempty"`
	// Address is N3/N4, when present.
	Address *Address `json:"address,omitempty"`
	// References are the REF segments of the loop.
	References []Reference `json:"references,omitempty"`
	// Contacts are the PER segments of the loop.
	Contacts []Contact `json:"contacts,omitempty"`
}

// ClaimPayment is one 835 loop 2100 (CLP) with its service lines.
type ClaimPayment struct {
	// PatientControlNumber is CLP01, the provider's claim identifier.
	PatientControlNumber string `json:"patient_control_number"`
	// StatusCode is CLP02 (1 primary, 2 secondary, 3 tertiary, 4 denied,
	// 19-23 forwarded/reversal, 25 predetermination).
	StatusCode string `json:"status_code"`
	// TotalCharge is CLP03.
	TotalCharge decimal.Decimal `json:"total_charge"`
	// Payment is CLP04, the claim payment amount.
	Payment decimal.Decimal `json:"payment"`
	// PatientResponsibility is CLP05 (zero when absent).
	PatientResponsibility decimal.Decimal `json:"patient_responsibility"`
	// FilingIndicator is CLP06, the claim filing indicator code.
	FilingIndicator string `json:"filing_indicator"`
	// PayerClaimControlNumber is CLP07.
	PayerClaimControlNumber string `json:"payer_claim_control_number,omitempty"`
	// FacilityCode is CLP08 (place of service or type of bill code).
	FacilityCode string `json:"facility_code,omitempty"`
	// FrequencyCode is CLP09, the claim frequency type code.
	FrequencyCode string `json:"frequency_code,omitempty"`
	// DRGCode is CLP11, when present.
	DRGCode string `json:"drg_code,omitempty"`
	// IsReversal is true when CLP02 = 22 (reversal of previous payment).
	IsReversal bool `json:"is_reversal"`
	// IsDenial is true when CLP02 = 4 (denied).
	IsDenial bool `json:"is_denial"`
	// Patient is NM1*QC.
	Patient *Person `json:"patient,omitempty"`
	// Subscriber is NM1*IL, when the insured differs from the patient.
	Subscriber *Person `json:"subscriber,omitempty"`
	// CorrectedPatient is NM1*74 (corrected patient/insured name).
	CorrectedPatient *Person `json:"corrected_patient,omitempty"`
	// RenderingProvider is NM1*82.
	RenderingProvider *Person `json:"rendering_provider,omitempty"`
	// CrossoverCarrier is NM1*TT.
	CrossoverCarrier *Person `json:"crossover_carrier,omitempty"`
	// Adjustments are the claim-level CAS triplets.
	Adjustments []Adjustment `json:"adjustments,omitempty"`
	// RemarkCodes are the MIA/MOA remark codes (qualifier "HE").
	RemarkCodes []RemarkCode `json:"remark_codes,omitempty"`
	// ReceivedDate is DTM*050.
	ReceivedDate Date `json:"received_date,omitzero"`
	// StatementFrom and StatementTo are DTM*232 and DTM*233.
	StatementFrom Date `json:"statement_from,omitzero"`
	StatementTo   Date `json:"statement_to,omitzero"`
	// CoverageExpiration is DTM*036.
	CoverageExpiration Date `json:"coverage_expiration,omitzero"`
	// References are the claim-level REF segments.
	References []Reference `json:"references,omitempty"`
	// Amounts are the claim-level AMT segments (e.g. AU coverage amount).
	Amounts []AmountInfo `json:"amounts,omitempty"`
	// ServiceLines are the 2110 loops.
	ServiceLines []ServicePayment `json:"service_lines,omitempty"`
}

// AmountInfo is an AMT segment: a qualifier and an amount.
type AmountInfo struct {
	Qualifier string          `json:"qualifier"`
	Amount    decimal.Decimal `json:"amount"`
}

// ServicePayment is one 835 loop 2110 (SVC).
type ServicePayment struct {
	// Procedure is SVC01, the adjudicated procedure.
	Procedure Procedure `json:"procedure"`
	// ChargeAmount is SVC02.
	ChargeAmount decimal.Decimal `json:"charge_amount"`
	// PaidAmount is SVC03.
	PaidAmount decimal.Decimal `json:"paid_amount"`
	// RevenueCode is SVC04 (NUBC revenue code), when present.
	RevenueCode string `json:"revenue_code,omitempty"`
	// UnitsPaid is SVC05; the TR3 says it is 1 when absent, and so it is here.
	UnitsPaid decimal.Decimal `json:"units_paid"`
	// OriginalProcedure is SVC06, the submitted procedure when it differs.
	OriginalProcedure *Procedure `json:"original_procedure,omitempty"`
	// OriginalUnits is SVC07, when present.
	OriginalUnits *decimal.Decimal `json:"original_units,omitempty"`
	// ServiceDate is DTM*472.
	ServiceDate Date `json:"service_date,omitzero"`
	// ServiceStart and ServiceEnd are DTM*150 and DTM*151.
	ServiceStart Date `json:"service_start,omitzero"`
	ServiceEnd   Date `json:"service_end,omitzero"`
	// Adjustments are the line-level CAS triplets.
	Adjustments []Adjustment `json:"adjustments,omitempty"`
	// LineItemControlNumber is REF*6R, the provider's line identifier.
	LineItemControlNumber string `json:"line_item_control_number,omitempty"`
	// References are the other line REF segments.
	References []Reference `json:"references,omitempty"`
	// AllowedAmount is AMT*B6, when present.
	AllowedAmount *decimal.Decimal `json:"allowed_amount,omitempty"`
	// Amounts are the other line AMT segments.
	Amounts []AmountInfo `json:"amounts,omitempty"`
	// RemarkCodes are the LQ segments (qualifier HE or RX).
	RemarkCodes []RemarkCode `json:"remark_codes,omitempty"`
}

// ProviderAdjustment is a PLB segment: provider-level adjustments not tied
// to one claim. Positive amounts reduce the payment, negative ones increase it.
type ProviderAdjustment struct {
	// ProviderID is PLB01.
	ProviderID string `json:"provider_id"`
	// FiscalPeriodDate is PLB02.
	FiscalPeriodDate Date `json:"fiscal_period_date"`
	// Items are the up to six reason/amount pairs.
	Items []ProviderAdjustmentItem `json:"items"`
}

// ProviderAdjustmentItem is one PLB reason/reference/amount pair.
type ProviderAdjustmentItem struct {
	// ReasonCode is the adjustment reason (e.g. WO, L6, FB, 72).
	ReasonCode string `json:"reason_code"`
	// ReferenceID is the reference identifier of the composite, if any.
	ReferenceID string `json:"reference_id,omitempty"`
	// Amount is the adjustment amount.
	Amount decimal.Decimal `json:"amount"`
}

// RemittanceTotals summarizes the balancing of a Remittance.
type RemittanceTotals struct {
	// ClaimPayments is the sum of CLP04.
	ClaimPayments decimal.Decimal `json:"claim_payments"`
	// ProviderAdjustments is the sum of PLB amounts.
	ProviderAdjustments decimal.Decimal `json:"provider_adjustments"`
	// Expected is ClaimPayments - ProviderAdjustments.
	Expected decimal.Decimal `json:"expected"`
	// Reported is BPR02, negated when BPR03 is "D" (a debit: the provider
	// owes the payer).
	Reported decimal.Decimal `json:"reported"`
	// Balanced reports whether Expected equals Reported.
	Balanced bool `json:"balanced"`
}

// Totals computes sum(CLP04) - sum(PLB amounts) and compares it with BPR02
// (taken as negative for a debit, BPR03 = "D").
func (r *Remittance) Totals() RemittanceTotals {
	var t RemittanceTotals
	for _, c := range r.Claims {
		t.ClaimPayments = t.ClaimPayments.Add(c.Payment)
	}
	for _, p := range r.ProviderAdjustments {
		for _, it := range p.Items {
			t.ProviderAdjustments = t.ProviderAdjustments.Add(it.Amount)
		}
	}
	t.Expected = t.ClaimPayments.Sub(t.ProviderAdjustments)
	t.Reported = r.Payment.Amount
	if r.Payment.CreditDebit == "D" {
		t.Reported = t.Reported.Neg()
	}
	t.Balanced = t.Expected.Equal(t.Reported)
	return t
}

// CheckBalance returns an error wrapping ErrUnbalanced when sum(CLP04) -
// sum(PLB) differs from BPR02.
func (r *Remittance) CheckBalance() error {
	t := r.Totals()
	if !t.Balanced {
		return fmt.Errorf("%w: transaction %s: claims %s - provider adjustments %s = %s, BPR02 is %s",
			ErrUnbalanced, r.Envelope.TransactionControlNumber, t.ClaimPayments, t.ProviderAdjustments, t.Expected, r.Payment.Amount)
	}
	return nil
}

// CheckBalance verifies the claim and its lines balance: for every line
// SVC02 - SVC03 equals the sum of the line CAS, and CLP03 - CLP04 equals the
// sum of the claim-level and line-level CAS. It returns an error wrapping
// ErrUnbalanced otherwise.
func (c *ClaimPayment) CheckBalance() error {
	adj := decimal.Decimal{}
	for _, a := range c.Adjustments {
		adj = adj.Add(a.Amount)
	}
	for i, l := range c.ServiceLines {
		la := decimal.Decimal{}
		for _, a := range l.Adjustments {
			la = la.Add(a.Amount)
		}
		if !l.ChargeAmount.Sub(l.PaidAmount).Equal(la) {
			return fmt.Errorf("%w: claim %s line %d: charge %s - paid %s != adjustments %s",
				ErrUnbalanced, c.PatientControlNumber, i+1, l.ChargeAmount, l.PaidAmount, la)
		}
		adj = adj.Add(la)
	}
	if !c.TotalCharge.Sub(c.Payment).Equal(adj) {
		return fmt.Errorf("%w: claim %s: charge %s - payment %s != adjustments %s",
			ErrUnbalanced, c.PatientControlNumber, c.TotalCharge, c.Payment, adj)
	}
	return nil
}

// Parse835 parses every 835 transaction set in data into a Remittance, one
// per ST/SE (an interchange may hold several groups and transaction sets).
func Parse835(data []byte) ([]Remittance, error) {
	var out []Remittance
	err := forEachTransaction(data, []string{"835"}, func(ic *Interchange, g *Group, tx *Transaction) error {
		r, err := parse835Transaction(tx)
		if err != nil {
			return err
		}
		r.Envelope = envelopeOf(ic, g, tx)
		r.ImplementationRef = tx.ImplementationRef
		r.Warnings = withWarnings(ic.Warnings, r.Warnings)
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type loop835 int

const (
	l835Header loop835 = iota
	l835Payer
	l835Payee
	l835Claim
	l835Line
	l835Other
)

func parse835Transaction(tx *Transaction) (Remittance, error) {
	var (
		r     Remittance
		loop  = l835Header
		party *Party
		claim *ClaimPayment
		line  *ServicePayment
	)
	if len(tx.Segments) == 0 || tx.Segments[0].ID != "BPR" {
		return r, segErr(tx.Header, 0, "835 must start with BPR")
	}
	// finishClaim stores the claim under construction.
	finishClaim := func() {
		if claim != nil {
			if line != nil {
				claim.ServiceLines = append(claim.ServiceLines, *line)
				line = nil
			}
			r.Claims = append(r.Claims, *claim)
			claim = nil
		}
	}
	for _, seg := range tx.Segments {
		var err error
		switch seg.ID {
		case "BPR":
			if seg.Position != tx.Segments[0].Position {
				return r, segErr(seg, 0, "duplicate BPR")
			}
			err = parseBPR(&r.Payment, seg, &r.Warnings)
		case "TRN":
			if loop == l835Header {
				r.Trace = Trace{TypeCode: seg.El(1), Number: seg.El(2), OriginatorID: seg.El(3), Supplemental: seg.El(4)}
				if r.Trace.Number == "" {
					err = segErr(seg, 2, "missing trace number")
				}
			}
		case "DTM":
			err = parse835DTM(seg, loop, &r, claim, line)
		case "N1":
			finishClaim()
			switch seg.El(1) {
			case "PR":
				loop, party = l835Payer, &r.Payer
			case "PE":
				loop, party = l835Payee, &r.Payee
			default:
				loop, party = l835Other, nil
			}
			if party != nil {
				party.Name = seg.El(2)
				party.IDQualifier, party.ID = seg.El(3), seg.El(4)
				switch party.IDQualifier {
				case "XX":
					party.NPI = party.ID
				case "FI":
					party.TaxID = party.ID
				}
			}
		case "N3", "N4":
			if (loop == l835Payer || loop == l835Payee) && party != nil {
				if party.Address == nil {
					party.Address = &Address{}
				}
				if seg.ID == "N3" {
					addressFromN3(party.Address, seg)
				} else {
					addressFromN4(party.Address, seg)
				}
			}
		case "PER":
			if (loop == l835Payer || loop == l835Payee) && party != nil {
				party.Contacts = append(party.Contacts, contactFromPER(seg))
			}
		case "REF":
			err = parse835REF(seg, loop, &r, party, claim, line)
		case "LX":
			finishClaim()
			loop = l835Other
		case "CLP":
			finishClaim()
			claim = &ClaimPayment{}
			loop = l835Claim
			err = parseCLP(claim, seg)
		case "CAS":
			var adj []Adjustment
			adj, err = adjustmentsFromCAS(seg)
			switch {
			case err != nil:
			case loop == l835Line && line != nil:
				line.Adjustments = append(line.Adjustments, adj...)
			case loop == l835Claim && claim != nil:
				claim.Adjustments = append(claim.Adjustments, adj...)
			default:
				err = segErr(seg, 0, "CAS outside a claim or service line")
			}
		case "NM1":
			if loop != l835Claim || claim == nil {
				break // NM1 is only meaningful in loop 2100
			}
			p := personFromNM1(seg)
			switch seg.El(1) {
			case "QC":
				claim.Patient = &p
			case "IL":
				claim.Subscriber = &p
			case "74":
				claim.CorrectedPatient = &p
			case "82":
				claim.RenderingProvider = &p
			case "TT":
				claim.CrossoverCarrier = &p
			}
		case "MIA", "MOA":
			if loop != l835Claim || claim == nil {
				err = segErr(seg, 0, "%s outside a claim", seg.ID)
				break
			}
			claim.RemarkCodes = append(claim.RemarkCodes, remarksFromMIAMOA(seg)...)
		case "AMT":
			var a AmountInfo
			a, err = parseAMT(seg)
			switch {
			case err != nil:
			case loop == l835Line && line != nil:
				if a.Qualifier == "B6" {
					v := a.Amount
					line.AllowedAmount = &v
				} else {
					line.Amounts = append(line.Amounts, a)
				}
			case loop == l835Claim && claim != nil:
				claim.Amounts = append(claim.Amounts, a)
			}
		case "SVC":
			if claim == nil {
				err = segErr(seg, 0, "SVC outside a claim")
				break
			}
			if line != nil {
				claim.ServiceLines = append(claim.ServiceLines, *line)
			}
			line = &ServicePayment{}
			loop = l835Line
			err = parseSVC(line, seg)
		case "LQ":
			if loop != l835Line || line == nil {
				err = segErr(seg, 0, "LQ outside a service line")
				break
			}
			if seg.El(1) == "" || seg.El(2) == "" {
				err = segErr(seg, 2, "LQ needs a qualifier and a code")
				break
			}
			line.RemarkCodes = append(line.RemarkCodes, RemarkCode{Qualifier: seg.El(1), Code: seg.El(2)})
		case "PLB":
			finishClaim()
			loop = l835Other
			var p ProviderAdjustment
			p, err = parsePLB(seg)
			if err == nil {
				r.ProviderAdjustments = append(r.ProviderAdjustments, p)
			}
		}
		if err != nil {
			return r, err
		}
	}
	finishClaim()
	return r, nil
}

func parseBPR(p *PaymentInfo, seg Segment, warnings *[]string) error {
	p.HandlingCode = seg.El(1)
	if p.HandlingCode == "" {
		return segErr(seg, 1, "missing transaction handling code")
	}
	amt, err := amountEl(seg, 2)
	if err != nil {
		return err
	}
	p.Amount = amt
	p.CreditDebit = seg.El(3)
	if p.CreditDebit != "C" && p.CreditDebit != "D" {
		return segErr(seg, 3, "invalid credit/debit flag %q", p.CreditDebit)
	}
	p.Method = seg.El(4)
	if p.Method == "" {
		return segErr(seg, 4, "missing payment method code")
	}
	p.Format = seg.El(5)
	p.SenderAccount = seg.El(9)
	p.ReceiverAccount = seg.El(15)
	// BPR16 (the check or EFT date) is no money: an invalid one is a
	// warning, the date left zero.
	d, err := dateEl(seg, 16)
	if err != nil {
		*warnings = append(*warnings, err.Error())
		return nil
	}
	p.Date = d
	return nil
}

func parseCLP(c *ClaimPayment, seg Segment) error {
	c.PatientControlNumber = seg.El(1)
	if c.PatientControlNumber == "" {
		return segErr(seg, 1, "missing patient control number")
	}
	c.StatusCode = seg.El(2)
	if c.StatusCode == "" {
		return segErr(seg, 2, "missing claim status code")
	}
	var err error
	if c.TotalCharge, err = amountEl(seg, 3); err != nil {
		return err
	}
	if c.Payment, err = amountEl(seg, 4); err != nil {
		return err
	}
	if c.PatientResponsibility, err = amountOrZero(seg, 5); err != nil {
		return err
	}
	c.FilingIndicator = seg.El(6)
	c.PayerClaimControlNumber = seg.El(7)
	c.FacilityCode = seg.El(8)
	c.FrequencyCode = seg.El(9)
	c.DRGCode = seg.El(11)
	c.IsReversal = c.StatusCode == "22"
	c.IsDenial = c.StatusCode == "4"
	return nil
}

func parseSVC(l *ServicePayment, seg Segment) error {
	p, err := procedureFromComposite(seg, 1)
	if err != nil {
		return err
	}
	l.Procedure = p
	if l.ChargeAmount, err = amountEl(seg, 2); err != nil {
		return err
	}
	if l.PaidAmount, err = amountEl(seg, 3); err != nil {
		return err
	}
	l.RevenueCode = seg.El(4)
	l.UnitsPaid = decimal.NewFromInt(1)
	if seg.El(5) != "" {
		if l.UnitsPaid, err = amountEl(seg, 5); err != nil {
			return err
		}
	}
	if seg.El(6) != "" {
		op, err := procedureFromComposite(seg, 6)
		if err != nil {
			return err
		}
		l.OriginalProcedure = &op
	}
	if l.OriginalUnits, err = optAmountEl(seg, 7); err != nil {
		return err
	}
	return nil
}

func parse835DTM(seg Segment, loop loop835, r *Remittance, claim *ClaimPayment, line *ServicePayment) error {
	var target *Date
	switch {
	case loop == l835Header && seg.El(1) == "405":
		target = &r.ProductionDate
	case loop == l835Claim && claim != nil:
		switch seg.El(1) {
		case "050":
			target = &claim.ReceivedDate
		case "232":
			target = &claim.StatementFrom
		case "233":
			target = &claim.StatementTo
		case "036":
			target = &claim.CoverageExpiration
		}
	case loop == l835Line && line != nil:
		switch seg.El(1) {
		case "472":
			target = &line.ServiceDate
		case "150":
			target = &line.ServiceStart
		case "151":
			target = &line.ServiceEnd
		}
	}
	if target == nil {
		// Other qualifiers are accepted but must still carry a valid date.
		_, err := optDateEl(seg, 2)
		return err
	}
	d, err := dateEl(seg, 2)
	if err != nil {
		return err
	}
	*target = d
	return nil
}

func parse835REF(seg Segment, loop loop835, r *Remittance, party *Party, claim *ClaimPayment, line *ServicePayment) error {
	ref := Reference{Qualifier: seg.El(1), Value: seg.El(2)}
	if ref.Qualifier == "" {
		return segErr(seg, 1, "missing reference qualifier")
	}
	switch {
	case loop == l835Header:
		if ref.Qualifier == "EV" {
			r.ReceiverID = ref.Value
		}
	case (loop == l835Payer || loop == l835Payee) && party != nil:
		party.References = append(party.References, ref)
		if ref.Qualifier == "2U" && party.ID == "" {
			party.IDQualifier, party.ID = "2U", ref.Value
		}
		if ref.Qualifier == "TJ" && party.TaxID == "" {
			party.TaxID = ref.Value
		}
	case loop == l835Claim && claim != nil:
		claim.References = append(claim.References, ref)
	case loop == l835Line && line != nil:
		if ref.Qualifier == "6R" {
			line.LineItemControlNumber = ref.Value
		} else {
			line.References = append(line.References, ref)
		}
	}
	return nil
}

func parseAMT(seg Segment) (AmountInfo, error) {
	if seg.El(1) == "" {
		return AmountInfo{}, segErr(seg, 1, "missing amount qualifier")
	}
	amt, err := amountEl(seg, 2)
	if err != nil {
		return AmountInfo{}, err
	}
	return AmountInfo{Qualifier: seg.El(1), Amount: amt}, nil
}

// remarksFromMIAMOA collects the remark code elements of MIA (05, 20-23) or
// MOA (03-07).
func remarksFromMIAMOA(seg Segment) []RemarkCode {
	idx := []int{3, 4, 5, 6, 7}
	if seg.ID == "MIA" {
		idx = []int{5, 20, 21, 22, 23}
	}
	var out []RemarkCode
	for _, i := range idx {
		if v := seg.El(i); v != "" {
			out = append(out, RemarkCode{Qualifier: "HE", Code: v})
		}
	}
	return out
}

func parsePLB(seg Segment) (ProviderAdjustment, error) {
	p := ProviderAdjustment{ProviderID: seg.El(1)}
	if p.ProviderID == "" {
		return p, segErr(seg, 1, "missing provider identifier")
	}
	d, err := dateEl(seg, 2)
	if err != nil {
		return p, err
	}
	p.FiscalPeriodDate = d
	for k := 0; k < 6; k++ {
		cn, an := 3+2*k, 4+2*k
		if seg.El(cn) == "" {
			if seg.El(an) != "" {
				return p, segErr(seg, cn, "adjustment amount without reason")
			}
			continue
		}
		reason, ref := seg.Component(cn, 1), seg.Component(cn, 2)
		if reason == "" {
			return p, segErr(seg, cn, "missing adjustment reason code")
		}
		amt, err := amountEl(seg, an)
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, ProviderAdjustmentItem{ReasonCode: reason, ReferenceID: ref, Amount: amt})
	}
	if len(p.Items) == 0 {
		return p, segErr(seg, 3, "PLB without any adjustment")
	}
	if len(seg.Elements) > 14 {
		return p, segErr(seg, 15, "PLB has more than six adjustments")
	}
	return p, nil
}
