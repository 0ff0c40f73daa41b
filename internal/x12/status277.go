package x12

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ClaimStatusReport is one 277 transaction set: either a 277CA claim
// acknowledgment (005010X214) or a 277 claim status response (005010X212).
// Both are read through the same HL walk.
type ClaimStatusReport struct {
	// Envelope identifies the ISA/GS/ST around the report.
	Envelope Envelope `json:"envelope"`
	// ImplementationRef is ST03 (or GS08), e.g. "005010X214".
	ImplementationRef string `json:"implementation_ref"`
	// ReferenceID is BHT03.
	ReferenceID string `json:"reference_id,omitempty"`
	// CreatedAt is BHT04/BHT05.
	CreatedAt time.Time `json:"created_at"`
	// Entities are the information source (HL 20), information receiver
	// (HL 21) and provider (HL 19) levels, in file order.
	Entities []StatusEntity `json:"entities"`
	// Claims are the claim status loops (2200D/2200E), in file order.
	Claims []ClaimStatus `json:"claims"`
	// Warnings are the envelope and optional-element slips read past
	// (see ReadInterchanges); nil for a clean file.
	Warnings []string `json:"warnings,omitempty"`
}

// StatusEntity is one non-claim HL level of a 277.
type StatusEntity struct {
	// HLID and ParentID are HL01 and HL02.
	HLID     string `json:"hl_id"`
	ParentID string `json:"parent_id,omitempty"`
	// Level is HL03: "20" information source, "21" information receiver,
	// "19" provider of service.
	Level string `json:"level"`
	// EntityCode is NM101 of the level (PR, 41, 85...).
	EntityCode string `json:"entity_code,omitempty"`
	// Name is the NM1 of the level.
	Name Person `json:"name"`
	// TraceNumber is TRN02 of the level, when present.
	TraceNumber string `json:"trace_number,omitempty"`
	// ReceivedDate is DTP*050, ProcessDate is DTP*009.
	ReceivedDate Date `json:"received_date,omitzero"`
	ProcessDate  Date `json:"process_date,omitzero"`
	// Statuses are the STC segments of the level.
	Statuses []StatusInfo `json:"statuses,omitempty"`
	// AcceptedQuantity and RejectedQuantity are QTY*90/QTY*AA (receiver
	// level) or QTY*QA/QTY*QC (provider level).
	AcceptedQuantity *decimal.Decimal `json:"accepted_quantity,omitempty"`
	RejectedQuantity *decimal.Decimal `json:"rejected_quantity,omitempty"`
	// AcceptedAmount and RejectedAmount are AMT*YU and AMT*YY.
	AcceptedAmount *decimal.Decimal `json:"accepted_amount,omitempty"`
	RejectedAmount *decimal.Decimal `json:"rejected_amount,omitempty"`
}

// Claim dispositions derived from STC category codes.
const (
	// DispositionAccepted: an A0, A1, A2 or A5 (or DR01/DR02/DR08) category
	// and no rejecting category.
	DispositionAccepted = "accepted"
	// DispositionRejected: any A3, A4, A6, A7, A8 (or DR03-DR07) category.
	DispositionRejected = "rejected"
	// DispositionPending: P0-P5 categories (claim status responses).
	DispositionPending = "pending"
	// DispositionFinalized: F0-F4 categories (claim status responses).
	DispositionFinalized = "finalized"
	// DispositionUnknown: no category decides (E, R, D or unknown codes).
	DispositionUnknown = "unknown"
)

// ClaimStatus is the status of one claim (loop 2200D, or 2200E for a
// dependent in a 277 claim status response).
type ClaimStatus struct {
	// HLID is the HL01 of the patient/subscriber level holding the claim.
	HLID string `json:"hl_id"`
	// ProviderName and ProviderID come from the parent HL 19 level.
	ProviderName string `json:"provider_name,omitempty"`
	ProviderID   string `json:"provider_id,omitempty"`
	// Patient is the NM1*QC (or NM1*IL when the subscriber is the patient).
	Patient Person `json:"patient"`
	// Subscriber is the NM1*IL of the HL 22 parent, for dependents (HL 23).
	Subscriber *Person `json:"subscriber,omitempty"`
	// PatientControlNumber is TRN02 (TRN01 = 2), the provider's claim ID.
	PatientControlNumber string `json:"patient_control_number"`
	// PayerClaimControlNumber is REF*1K.
	PayerClaimControlNumber string `json:"payer_claim_control_number,omitempty"`
	// ClearinghouseTraceNumber is REF*D9.
	ClearinghouseTraceNumber string `json:"clearinghouse_trace_number,omitempty"`
	// BillType is REF*BLT (institutional claims).
	BillType string `json:"bill_type,omitempty"`
	// References are all REF segments of the claim.
	References []Reference `json:"references,omitempty"`
	// ServiceFrom and ServiceTo are DTP*472 (D8 sets only ServiceFrom).
	ServiceFrom Date `json:"service_from,omitzero"`
	ServiceTo   Date `json:"service_to,omitzero"`
	// Statuses are the claim-level STC segments.
	Statuses []StatusInfo `json:"statuses"`
	// TotalCharge is STC04 of the first claim-level STC carrying it.
	TotalCharge decimal.Decimal `json:"total_charge"`
	// PaidAmount is STC05 of the first claim-level STC carrying it.
	PaidAmount *decimal.Decimal `json:"paid_amount,omitempty"`
	// Lines are the service line loops (SVC).
	Lines []LineStatus `json:"lines,omitempty"`
	// Disposition is one of the Disposition constants.
	Disposition string `json:"disposition"`
	// RejectionReason explains a rejected claim from its STC codes.
	RejectionReason string `json:"rejection_reason,omitempty"`
}

// LineStatus is one service line status loop (2220D/2220E).
type LineStatus struct {
	// Procedure is SVC01.
	Procedure Procedure `json:"procedure"`
	// ChargeAmount and PaidAmount are SVC02 and SVC03.
	ChargeAmount decimal.Decimal  `json:"charge_amount"`
	PaidAmount   *decimal.Decimal `json:"paid_amount,omitempty"`
	// RevenueCode is SVC04, Units is SVC07.
	RevenueCode string           `json:"revenue_code,omitempty"`
	Units       *decimal.Decimal `json:"units,omitempty"`
	// Statuses are the line STC segments.
	Statuses []StatusInfo `json:"statuses,omitempty"`
	// LineItemControlNumber is REF*FJ.
	LineItemControlNumber string `json:"line_item_control_number,omitempty"`
	// ServiceFrom and ServiceTo are DTP*472.
	ServiceFrom Date `json:"service_from,omitzero"`
	ServiceTo   Date `json:"service_to,omitzero"`
}

// StatusInfo is an STC segment.
type StatusInfo struct {
	// Codes are STC01, STC10 and STC11 (the ones present).
	Codes []StatusCode `json:"codes"`
	// Date is STC02, the status information effective date.
	Date Date `json:"date,omitzero"`
	// ActionCode is STC03 (277CA: WQ accept, U reject).
	ActionCode string `json:"action_code,omitempty"`
	// Amount is STC04 (total claim charge).
	Amount *decimal.Decimal `json:"amount,omitempty"`
	// PaymentAmount is STC05 (claim payment amount).
	PaymentAmount *decimal.Decimal `json:"payment_amount,omitempty"`
	// AdjudicationDate is STC06, PaymentMethod STC07, CheckDate STC08,
	// CheckNumber STC09.
	AdjudicationDate Date   `json:"adjudication_date,omitzero"`
	PaymentMethod    string `json:"payment_method,omitempty"`
	CheckDate        Date   `json:"check_date,omitzero"`
	CheckNumber      string `json:"check_number,omitempty"`
	// Message is STC12, free-form text.
	Message string `json:"message,omitempty"`
}

// StatusCode is one C043 health care claim status composite.
type StatusCode struct {
	// Category is the claim status category code (e.g. A1, A7, F1).
	Category string `json:"category"`
	// Status is the claim status code (e.g. 20, 562).
	Status string `json:"status,omitempty"`
	// Entity is the entity identifier code (e.g. 85 billing provider).
	Entity string `json:"entity,omitempty"`
	// CodeListQualifier is the 4th component, when present.
	CodeListQualifier string `json:"code_list_qualifier,omitempty"`
}

// Accepted reports whether the claim's disposition is accepted.
func (c *ClaimStatus) Accepted() bool { return c.Disposition == DispositionAccepted }

// Rejected reports whether the claim's disposition is rejected.
func (c *ClaimStatus) Rejected() bool { return c.Disposition == DispositionRejected }

// CategoryDisposition classifies one claim status category code. The rule:
// A3 (returned as unprocessable), A4 (not found), A6 (rejected for missing
// information), A7 (rejected for invalid information), A8 (rejected for
// relational field in error) and the data-reporting DR03-DR07 are rejections;
// A0 (forwarded), A1 (receipt), A2 (accepted into adjudication), A5 (split
// claim), DR01, DR02 and DR08 are acceptances; P* pending, F* finalized;
// anything else is unknown.
func CategoryDisposition(category string) string {
	switch category {
	case "A3", "A4", "A6", "A7", "A8", "DR03", "DR04", "DR05", "DR06", "DR07":
		return DispositionRejected
	case "A0", "A1", "A2", "A5", "DR01", "DR02", "DR08":
		return DispositionAccepted
	}
	switch {
	case strings.HasPrefix(category, "P"):
		return DispositionPending
	case strings.HasPrefix(category, "F"):
		return DispositionFinalized
	}
	return DispositionUnknown
}

// categoryNames describes claim status category codes (code source 507).
var categoryNames = map[string]string{
	"A0": "Acknowledgement/Forwarded",
	"A1": "Acknowledgement/Receipt",
	"A2": "Acknowledgement/Acceptance into adjudication system",
	"A3": "Acknowledgement/Returned as unprocessable claim",
	"A4": "Acknowledgement/Not Found",
	"A5": "Acknowledgement/Split Claim",
	"A6": "Acknowledgement/Rejected for Missing Information",
	"A7": "Acknowledgement/Rejected for Invalid Information",
	"A8": "Acknowledgement/Rejected for relational field in error",
	"E0": "Response not possible - error on submitted request data",
	"E1": "Response not possible - System Status",
	"E2": "Information Holder is not responding; resubmit at a later time",
	"F0": "Finalized",
	"F1": "Finalized/Payment",
	"F2": "Finalized/Denial",
	"F3": "Finalized/Revised",
	"F4": "Finalized/Adjudication Complete - No payment forthcoming",
	"P0": "Pending: Adjudication/Details",
	"P1": "Pending/In Process",
	"P2": "Pending/Payer Review",
	"P3": "Pending/Provider Requested Information",
	"P4": "Pending/Patient Requested Information",
	"P5": "Pending/Payer Administrative/System hold",
}

// statusNames describes a few common claim status codes (code source 508).
// Codes not listed are shown by number only.
var statusNames = map[string]string{
	"0":   "Cannot provide further status electronically",
	"1":   "For more detailed information, see remittance advice",
	"3":   "Claim has been adjudicated and is awaiting payment cycle",
	"16":  "Claim/encounter has been forwarded to entity",
	"19":  "Entity acknowledges receipt of claim/encounter",
	"20":  "Accepted for processing",
	"21":  "Missing or invalid information",
	"35":  "Claim/encounter not found",
	"65":  "Claim/line has been paid",
	"164": "Entity's contract/member number",
	"187": "Date(s) of service",
	"254": "Principal diagnosis code",
	"255": "Diagnosis code",
	"400": "Claim is out of balance",
	"454": "Procedure code for services rendered",
	"562": "Entity's National Provider Identifier (NPI)",
}

// entityNames describes common entity identifier codes (data element 98).
var entityNames = map[string]string{
	"03": "Dependent",
	"1P": "Provider",
	"40": "Receiver",
	"41": "Submitter",
	"71": "Attending Physician",
	"77": "Service Location",
	"82": "Rendering Provider",
	"85": "Billing Provider",
	"87": "Pay-to Provider",
	"DK": "Ordering Physician",
	"DN": "Referring Provider",
	"FA": "Facility",
	"IL": "Insured or Subscriber",
	"PR": "Payer",
	"QC": "Patient",
}

// Describe renders the composite as readable text, e.g.
// "A7 (Acknowledgement/Rejected for Invalid Information): status 562
// (Entity's National Provider Identifier (NPI)), entity 85 (Billing Provider)".
func (s StatusCode) Describe() string {
	var b strings.Builder
	b.WriteString(s.Category)
	if n, ok := categoryNames[s.Category]; ok {
		fmt.Fprintf(&b, " (%s)", n)
	}
	if s.Status != "" {
		fmt.Fprintf(&b, ": status %s", s.Status)
		if n, ok := statusNames[s.Status]; ok {
			fmt.Fprintf(&b, " (%s)", n)
		}
	}
	if s.Entity != "" {
		fmt.Fprintf(&b, ", entity %s", s.Entity)
		if n, ok := entityNames[s.Entity]; ok {
			fmt.Fprintf(&b, " (%s)", n)
		}
	}
	return b.String()
}

// Parse277 parses every 277 transaction set (277CA or claim status response)
// in data.
func Parse277(data []byte) ([]ClaimStatusReport, error) {
	var out []ClaimStatusReport
	err := forEachTransaction(data, []string{"277"}, func(ic *Interchange, g *Group, tx *Transaction) error {
		r, err := parse277Transaction(tx)
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

// hl277 remembers an HL level while walking the hierarchy.
type hl277 struct {
	level  string
	parent string
	entity int     // index into Entities, -1 for patient levels
	person *Person // NM1 of a patient/subscriber level
}

// allowedParent maps an HL level code to the level its parent must have.
var allowedParent = map[string][]string{
	"20": {""},
	"21": {"20"},
	"19": {"21"},
	"PT": {"19"},
	"22": {"19"},
	"23": {"22"},
}

func parse277Transaction(tx *Transaction) (ClaimStatusReport, error) {
	var (
		r      ClaimStatusReport
		levels = map[string]*hl277{}
		curHL  *hl277
		curID  string
		claim  *ClaimStatus
		line   *LineStatus
	)
	if len(tx.Segments) == 0 || tx.Segments[0].ID != "BHT" {
		return r, segErr(tx.Header, 0, "277 must start with BHT")
	}
	finishClaim := func() {
		if claim != nil {
			if line != nil {
				claim.Lines = append(claim.Lines, *line)
				line = nil
			}
			classifyClaim(claim)
			r.Claims = append(r.Claims, *claim)
			claim = nil
		}
	}
	entity := func() *StatusEntity {
		if curHL == nil || curHL.entity < 0 {
			return nil
		}
		return &r.Entities[curHL.entity]
	}
	for _, seg := range tx.Segments {
		var err error
		switch seg.ID {
		case "BHT":
			if seg.Position != tx.Segments[0].Position {
				return r, segErr(seg, 0, "duplicate BHT")
			}
			r.ReferenceID = seg.El(3)
			// BHT04/BHT05 date the report, nothing of value depends on them:
			// a masked or invalid time (e.g. "9999") is a warning and the date
			// alone is kept; an invalid date a warning too.
			if r.CreatedAt, err = dateTimeEls(seg, 4, 5); err != nil {
				r.Warnings = append(r.Warnings, err.Error())
				if d, derr := dateEl(seg, 4); derr == nil {
					r.CreatedAt = d.t
				}
				err = nil
			}
		case "HL":
			finishClaim()
			id, parent, level := seg.El(1), seg.El(2), seg.El(3)
			if id == "" {
				return r, segErr(seg, 1, "missing hierarchical ID")
			}
			if _, dup := levels[id]; dup {
				return r, segErr(seg, 1, "duplicate hierarchical ID %q", id)
			}
			allowed, known := allowedParent[level]
			if !known {
				return r, segErr(seg, 3, "unsupported hierarchical level code %q", level)
			}
			parentLevel := ""
			if parent != "" {
				p, ok := levels[parent]
				if !ok {
					return r, segErr(seg, 2, "parent HL %q not found", parent)
				}
				parentLevel = p.level
			}
			okParent := false
			for _, a := range allowed {
				if a == parentLevel {
					okParent = true
				}
			}
			if !okParent {
				return r, segErr(seg, 2, "HL level %s cannot have a parent of level %q", level, parentLevel)
			}
			curHL = &hl277{level: level, parent: parent, entity: -1}
			curID = id
			levels[id] = curHL
			if level == "20" || level == "21" || level == "19" {
				r.Entities = append(r.Entities, StatusEntity{HLID: id, ParentID: parent, Level: level})
				curHL.entity = len(r.Entities) - 1
			}
		case "NM1":
			if curHL == nil {
				return r, segErr(seg, 0, "NM1 before the first HL")
			}
			p := personFromNM1(seg)
			if e := entity(); e != nil {
				e.EntityCode, e.Name = seg.El(1), p
			} else if claim == nil {
				curHL.person = &p
			}
		case "TRN":
			if curHL == nil {
				return r, segErr(seg, 0, "TRN before the first HL")
			}
			if e := entity(); e != nil {
				e.TraceNumber = seg.El(2)
				break
			}
			// TRN starts a claim status loop at the patient levels.
			finishClaim()
			if seg.El(2) == "" {
				return r, segErr(seg, 2, "missing patient control number")
			}
			claim = newClaimStatus(curID, curHL, levels, &r)
			claim.PatientControlNumber = seg.El(2)
		case "STC":
			var st StatusInfo
			st, err = parseSTC(seg)
			if err != nil {
				break
			}
			switch {
			case line != nil:
				line.Statuses = append(line.Statuses, st)
			case claim != nil:
				claim.Statuses = append(claim.Statuses, st)
				if claim.TotalCharge.IsZero() && st.Amount != nil {
					claim.TotalCharge = *st.Amount
				}
				// X212 requires STC05 on every claim status, zero while
				// nothing is paid: a zero payment counts as paid only on a
				// finalized (F) status.
				if claim.PaidAmount == nil && st.PaymentAmount != nil &&
					(!st.PaymentAmount.IsZero() || len(st.Codes) > 0 && strings.HasPrefix(st.Codes[0].Category, "F")) {
					claim.PaidAmount = st.PaymentAmount
				}
			case entity() != nil:
				e := entity()
				e.Statuses = append(e.Statuses, st)
			default:
				err = segErr(seg, 0, "STC outside a claim or HL level")
			}
		case "REF":
			ref := Reference{Qualifier: seg.El(1), Value: seg.El(2)}
			switch {
			case line != nil:
				if ref.Qualifier == "FJ" {
					line.LineItemControlNumber = ref.Value
				}
			case claim != nil:
				claim.References = append(claim.References, ref)
				switch ref.Qualifier {
				case "1K":
					claim.PayerClaimControlNumber = ref.Value
				case "D9":
					claim.ClearinghouseTraceNumber = ref.Value
				case "BLT":
					claim.BillType = ref.Value
				}
			}
		case "DTP":
			var from, to Date
			from, to, err = periodEl(seg, seg.El(2), 3)
			if err != nil {
				break
			}
			switch {
			case line != nil && seg.El(1) == "472":
				line.ServiceFrom, line.ServiceTo = from, to
			case claim != nil && seg.El(1) == "472":
				claim.ServiceFrom, claim.ServiceTo = from, to
			case entity() != nil && seg.El(1) == "050":
				entity().ReceivedDate = from
			case entity() != nil && seg.El(1) == "009":
				entity().ProcessDate = from
			}
		case "QTY":
			e := entity()
			if e == nil {
				break
			}
			var q *decimal.Decimal
			if q, err = optAmountEl(seg, 2); err != nil {
				break
			}
			switch seg.El(1) {
			case "90", "QA":
				e.AcceptedQuantity = q
			case "AA", "QC":
				e.RejectedQuantity = q
			}
		case "AMT":
			e := entity()
			if e == nil {
				break
			}
			var a AmountInfo
			if a, err = parseAMT(seg); err != nil {
				break
			}
			v := a.Amount
			switch a.Qualifier {
			case "YU":
				e.AcceptedAmount = &v
			case "YY":
				e.RejectedAmount = &v
			}
		case "SVC":
			if claim == nil {
				return r, segErr(seg, 0, "SVC outside a claim")
			}
			if line != nil {
				claim.Lines = append(claim.Lines, *line)
			}
			line = &LineStatus{}
			err = parseSVC277(line, seg)
		}
		if err != nil {
			return r, err
		}
	}
	finishClaim()
	return r, nil
}

// newClaimStatus starts a claim under the patient level hl, copying the
// patient, subscriber and provider from the hierarchy.
func newClaimStatus(id string, hl *hl277, levels map[string]*hl277, r *ClaimStatusReport) *ClaimStatus {
	c := &ClaimStatus{HLID: id}
	if hl.person != nil {
		c.Patient = *hl.person
	}
	// Walk up to the subscriber (for HL 23) and the provider (HL 19).
	seen := 0
	for p := levels[hl.parent]; p != nil && seen < len(levels); p = levels[p.parent] {
		seen++
		switch p.level {
		case "22":
			if p.person != nil {
				s := *p.person
				c.Subscriber = &s
			}
		case "19":
			if p.entity >= 0 {
				e := r.Entities[p.entity]
				c.ProviderName = strings.TrimSpace(strings.Join([]string{e.Name.FirstName, e.Name.LastName}, " "))
				c.ProviderID = e.Name.ID
			}
		}
	}
	return c
}

func parseSTC(seg Segment) (StatusInfo, error) {
	var st StatusInfo
	for _, n := range []int{1, 10, 11} {
		parts := seg.Components(n)
		if len(parts) == 0 {
			continue
		}
		if parts[0] == "" {
			return st, segErr(seg, n, "missing claim status category code")
		}
		sc := StatusCode{Category: parts[0]}
		if len(parts) > 1 {
			sc.Status = parts[1]
		}
		if len(parts) > 2 {
			sc.Entity = parts[2]
		}
		if len(parts) > 3 {
			sc.CodeListQualifier = parts[3]
		}
		st.Codes = append(st.Codes, sc)
	}
	if seg.El(1) == "" {
		return st, segErr(seg, 1, "missing health care claim status")
	}
	var err error
	if st.Date, err = optDateEl(seg, 2); err != nil {
		return st, err
	}
	st.ActionCode = seg.El(3)
	if st.Amount, err = optAmountEl(seg, 4); err != nil {
		return st, err
	}
	if st.PaymentAmount, err = optAmountEl(seg, 5); err != nil {
		return st, err
	}
	if st.AdjudicationDate, err = optDateEl(seg, 6); err != nil {
		return st, err
	}
	st.PaymentMethod = seg.El(7)
	if st.CheckDate, err = optDateEl(seg, 8); err != nil {
		return st, err
	}
	st.CheckNumber = seg.El(9)
	st.Message = seg.El(12)
	return st, nil
}

func parseSVC277(l *LineStatus, seg Segment) error {
	p, err := procedureFromComposite(seg, 1)
	if err != nil {
		return err
	}
	l.Procedure = p
	if l.ChargeAmount, err = amountEl(seg, 2); err != nil {
		return err
	}
	if l.PaidAmount, err = optAmountEl(seg, 3); err != nil {
		return err
	}
	l.RevenueCode = seg.El(4)
	if l.Units, err = optAmountEl(seg, 7); err != nil {
		return err
	}
	return nil
}

// classifyClaim sets Disposition and RejectionReason from the claim and line
// STC category codes (see CategoryDisposition).
func classifyClaim(c *ClaimStatus) {
	all := append([]StatusInfo{}, c.Statuses...)
	for _, l := range c.Lines {
		all = append(all, l.Statuses...)
	}
	seen := map[string]bool{}
	for _, st := range all {
		for _, code := range st.Codes {
			seen[CategoryDisposition(code.Category)] = true
		}
	}
	switch {
	case seen[DispositionRejected]:
		c.Disposition = DispositionRejected
	case seen[DispositionAccepted]:
		c.Disposition = DispositionAccepted
	case seen[DispositionFinalized]:
		c.Disposition = DispositionFinalized
	case seen[DispositionPending]:
		c.Disposition = DispositionPending
	default:
		c.Disposition = DispositionUnknown
	}
	if c.Disposition != DispositionRejected {
		return
	}
	var reasons []string
	for _, st := range all {
		rejecting := false
		for _, code := range st.Codes {
			if CategoryDisposition(code.Category) == DispositionRejected {
				rejecting = true
			}
		}
		if !rejecting {
			continue
		}
		for _, code := range st.Codes {
			reasons = append(reasons, code.Describe())
		}
		if st.Message != "" {
			reasons = append(reasons, st.Message)
		}
	}
	c.RejectionReason = strings.Join(reasons, "; ")
}
