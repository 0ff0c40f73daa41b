package denials

import (
	"strings"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/codes"
	"github.com/clinicflow/rcm/internal/x12"
)

// Reason is one denial reason: a CAS adjustment (claim or line level) that is
// not a routine adjustment.
type Reason struct {
	// Group is the claim adjustment group code (CO, PI or OA; PR only in the
	// fallback described at [Classify]).
	Group string
	// Code is the Claim Adjustment Reason Code (CARC), e.g. "16".
	Code string
	// Amount is the adjusted amount.
	Amount decimal.Decimal
	// Description is the X12 description of Code, or "" when the code is
	// not in the embedded list (retired or unknown codes).
	Description string
	// Category is the denial category of Code (see [codes.CARCCategory]).
	Category codes.DenialCategory
	// SuggestedAction is the follow-up suggested for Category.
	SuggestedAction string
	// LineNumber is the 1-based position of the 835 service line (SVC) the
	// adjustment belongs to, or 0 for a claim-level adjustment.
	LineNumber int
	// ProcedureCode and Modifiers identify the adjudicated procedure of the
	// service line (SVC01); both are empty for a claim-level adjustment.
	ProcedureCode string
	Modifiers     []string
}

// Denial is the classification of one 835 claim payment.
type Denial struct {
	// Denied is true when the payer denied the claim (CLP02 = 4) or denied
	// any part of it (at least one reason). A claim with only routine or
	// patient-responsibility (PR) adjustments is not denied.
	Denied bool
	// ClaimDenied is true when the whole claim was denied (CLP02 = 4); when
	// Denied is true and ClaimDenied false, the denial is partial.
	ClaimDenied bool
	// Reasons are the denial reasons, claim-level adjustments first, then
	// each service line's in file order.
	Reasons []Reason
	// PrimaryCategory is the category of the reason with the largest
	// amount, ties broken by [CategoryPriority]; "" when there is no reason.
	PrimaryCategory codes.DenialCategory
	// RemarkCodes are the remittance advice remark codes (RARCs, qualifier
	// HE) of the claim (MIA/MOA) and its lines (LQ), first occurrence
	// first, without duplicates. NCPDP reject codes (LQ qualifier RX) are
	// not included.
	RemarkCodes []string
	// SuggestedAction is the follow-up suggested for PrimaryCategory, or ""
	// when there is no reason.
	SuggestedAction string
}

// routineReasons are the CARCs treated as routine adjustments rather than
// denials, whatever their group: they reduce the payment as the contract,
// the law or a prior payer requires, and there is nothing to appeal.
//
//	1, 2, 3  deductible, coinsurance, co-payment (normally PR)
//	23       impact of prior payer(s) adjudication (OA, secondary claims)
//	45       charge exceeds fee schedule / contracted amount
//	94       processed in excess of charges
//	131      claim-specific negotiated discount
//	144      incentive adjustment
//	253      sequestration (federal payment reduction)
var routineReasons = map[string]bool{
	"1": true, "2": true, "3": true, "23": true, "45": true,
	"94": true, "131": true, "144": true, "253": true,
}

// RoutineReason reports whether a CARC (surrounding white space and letter
// case ignored) is treated as a routine adjustment and never as a denial
// reason: 1, 2, 3 (deductible, coinsurance, co-payment), 23 (prior payer
// adjudication), 45 (fee schedule), 94 (processed in excess of charges), 131
// (negotiated discount), 144 (incentive adjustment) and 253 (sequestration).
func RoutineReason(code string) bool {
	return routineReasons[strings.ToUpper(strings.TrimSpace(code))]
}

// denialGroups are the adjustment groups whose non-routine adjustments are
// denial reasons. PR (patient responsibility) is the patient's share and CR
// (correction and reversal) is not a denial.
var denialGroups = map[string]bool{"CO": true, "PI": true, "OA": true}

// CategoryPriority returns the denial categories in the order used to break
// ties for [Denial.PrimaryCategory], most important first: timely filing,
// eligibility, authorization, duplicate, coding, medical necessity,
// bundling, other.
func CategoryPriority() []codes.DenialCategory {
	return []codes.DenialCategory{
		codes.DenialTimelyFiling, codes.DenialEligibility, codes.DenialAuthorization,
		codes.DenialDuplicate, codes.DenialCoding, codes.DenialMedicalNecessity,
		codes.DenialBundling, codes.DenialOther,
	}
}

// priorityRank returns the position of c in CategoryPriority; unknown
// categories rank after DenialOther.
func priorityRank(c codes.DenialCategory) int {
	for i, p := range CategoryPriority() {
		if p == c {
			return i
		}
	}
	return len(CategoryPriority())
}

// Classify finds the denial reasons of an 835 claim payment.
//
// A reason is every CAS adjustment, claim level and line level, in group
// CO, PI or OA whose reason code is not routine (see [RoutineReason]).
// Denial.Denied is true when CLP02 = 4 or there is at least one reason, so
// a claim with only PR (patient responsibility) or routine adjustments, such
// as a partially paid claim with CO-45, is not denied.
//
// When CLP02 = 4 but no CO/PI/OA adjustment qualifies (for example a denial
// carried only as PR-27, coverage terminated), every non-routine adjustment
// of any group becomes a reason, so that the denial still says why.
//
// The primary category is the category of the reason with the largest
// amount; equal amounts are decided by [CategoryPriority].
func Classify(cp x12.ClaimPayment) Denial {
	d := Denial{ClaimDenied: cp.IsDenial || cp.StatusCode == "4"}
	d.Reasons = collectReasons(cp, func(a x12.Adjustment) bool {
		return denialGroups[strings.ToUpper(a.Group)]
	})
	if len(d.Reasons) == 0 && d.ClaimDenied {
		d.Reasons = collectReasons(cp, func(x12.Adjustment) bool { return true })
	}
	d.Denied = d.ClaimDenied || len(d.Reasons) > 0
	d.RemarkCodes = remarkCodes(cp)
	if len(d.Reasons) > 0 {
		best := d.Reasons[0]
		for _, r := range d.Reasons[1:] {
			switch cmp := r.Amount.Cmp(best.Amount); {
			case cmp > 0:
				best = r
			case cmp == 0 && priorityRank(r.Category) < priorityRank(best.Category):
				best = r
			}
		}
		d.PrimaryCategory = best.Category
		d.SuggestedAction = best.Category.SuggestedAction()
	}
	return d
}

// CategoryOf is the category a denial of cp is counted under: its primary
// category, or "other" when no reason says more.
func CategoryOf(cp x12.ClaimPayment) string {
	if c := Classify(cp).PrimaryCategory; c != "" {
		return string(c)
	}
	return "other"
}

// collectReasons returns the non-routine adjustments of cp accepted by keep.
func collectReasons(cp x12.ClaimPayment, keep func(x12.Adjustment) bool) []Reason {
	var out []Reason
	add := func(a x12.Adjustment, line int, proc x12.Procedure) {
		if RoutineReason(a.Reason) || !keep(a) {
			return
		}
		out = append(out, newReason(a, line, proc))
	}
	for _, a := range cp.Adjustments {
		add(a, 0, x12.Procedure{})
	}
	for i, l := range cp.ServiceLines {
		for _, a := range l.Adjustments {
			add(a, i+1, l.Procedure)
		}
	}
	return out
}

func newReason(a x12.Adjustment, line int, proc x12.Procedure) Reason {
	code := strings.ToUpper(strings.TrimSpace(a.Reason))
	r := Reason{
		Group:         strings.ToUpper(strings.TrimSpace(a.Group)),
		Code:          code,
		Amount:        a.Amount,
		Category:      codes.CARCCategory(code),
		LineNumber:    line,
		ProcedureCode: proc.Code,
	}
	if len(proc.Modifiers) > 0 {
		r.Modifiers = append([]string(nil), proc.Modifiers...)
	}
	if c, ok := codes.LookupCARC(code); ok {
		r.Description = c.Description
	}
	r.SuggestedAction = r.Category.SuggestedAction()
	return r
}

// remarkCodes returns the HE remark codes of the claim and its lines,
// deduplicated in order of first occurrence.
func remarkCodes(cp x12.ClaimPayment) []string {
	var out []string
	seen := map[string]bool{}
	add := func(rcs []x12.RemarkCode) {
		for _, rc := range rcs {
			q := strings.ToUpper(strings.TrimSpace(rc.Qualifier))
			c := strings.ToUpper(strings.TrimSpace(rc.Code))
			if (q != "HE" && q != "") || c == "" || seen[c] {
				continue
			}
			seen[c] = true
			out = append(out, c)
		}
	}
	add(cp.RemarkCodes)
	for _, l := range cp.ServiceLines {
		add(l.RemarkCodes)
	}
	return out
}
