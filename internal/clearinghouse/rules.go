package clearinghouse

import (
	"strings"

	"github.com/clinicflow/rcm/internal/x12"
	"github.com/shopspring/decimal"
)

// OutcomeKind is what the simulated payer does with a claim.
type OutcomeKind string

// Outcome kinds.
const (
	// OutcomePay adjudicates the claim and pays it (possibly partially:
	// allowed percentage, deductible, coinsurance, copay; or, for a claim
	// carrying a prior payer's adjudication, SecondaryPercent of what the
	// prior payer left to the patient).
	OutcomePay OutcomeKind = "pay"
	// OutcomeDeny adjudicates the claim to zero with a CARC on every line.
	OutcomeDeny OutcomeKind = "deny"
	// OutcomeReject rejects the claim at the 277CA: no 835 follows.
	OutcomeReject OutcomeKind = "reject"
)

// Outcome is the result a rule assigns to a claim.
type Outcome struct {
	Kind OutcomeKind `json:"kind"`
	// AllowedPercent is the allowed amount as a percentage of the charge
	// (e.g. 90); the rest is a CO-45 contractual adjustment. Zero means 100.
	AllowedPercent decimal.Decimal `json:"allowed_percent"`
	// Copay is a per-claim PR-3 amount, applied first.
	Copay decimal.Decimal `json:"copay"`
	// Deductible is a per-claim PR-1 amount, applied after the copay.
	Deductible decimal.Decimal `json:"deductible"`
	// CoinsurancePercent is a PR-2 percentage of what is left of the
	// allowed amount after copay and deductible.
	CoinsurancePercent decimal.Decimal `json:"coinsurance_percent"`
	// SecondaryPercent is, for a claim processed as secondary (see
	// Adjudicate), the percentage of the prior payer's patient
	// responsibility this payer pays; the rest is PR-2. Zero means 80.
	// AllowedPercent, Copay, Deductible and CoinsurancePercent do not apply
	// to such claims.
	SecondaryPercent decimal.Decimal `json:"secondary_percent"`
	// DenyGroup and DenyReason are the CAS group ("CO" when empty) and
	// CARC of a denial; Remarks are RARCs written as LQ*HE on every line.
	DenyGroup  string   `json:"deny_group,omitempty"`
	DenyReason string   `json:"deny_reason,omitempty"`
	Remarks    []string `json:"remarks,omitempty"`
	// RejectCategory, RejectStatus and RejectEntity are the 277CA STC01
	// composite of a rejection ("A7" when the category is empty);
	// RejectMessage is STC12.
	RejectCategory string `json:"reject_category,omitempty"`
	RejectStatus   string `json:"reject_status,omitempty"`
	RejectEntity   string `json:"reject_entity,omitempty"`
	RejectMessage  string `json:"reject_message,omitempty"`
}

// Match selects claims. Every non-empty field must match; the zero Match
// matches every claim.
type Match struct {
	// MemberIDPrefix matches the subscriber member ID (NM1*IL NM109).
	MemberIDPrefix string `json:"member_id_prefix,omitempty"`
	// ProcedureCode matches when any service line has this code.
	ProcedureCode string `json:"procedure_code,omitempty"`
	// PayerID matches the payer ID (NM1*PR NM109).
	PayerID string `json:"payer_id,omitempty"`
	// FrequencyCode matches CLM05-3 (1 original, 7 replacement, 8 void).
	FrequencyCode string `json:"frequency_code,omitempty"`
}

// Matches reports whether c satisfies m.
func (m Match) Matches(c *x12.Claim837) bool {
	if m.MemberIDPrefix != "" && !strings.HasPrefix(c.Subscriber.MemberID, m.MemberIDPrefix) {
		return false
	}
	if m.PayerID != "" && c.Payer.ID != m.PayerID {
		return false
	}
	if m.FrequencyCode != "" && frequency(c) != m.FrequencyCode {
		return false
	}
	if m.ProcedureCode != "" {
		found := false
		for _, l := range c.Lines {
			if l.Procedure.Code == m.ProcedureCode {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Rule is a named match and outcome.
type Rule struct {
	Name    string  `json:"name"`
	Match   Match   `json:"match"`
	Outcome Outcome `json:"outcome"`
	// AppealOutcome decides an accepted appeal of a claim this rule denied:
	// nil pays it with the Rules' Default outcome; a pay outcome pays it;
	// any other kind upholds the denial (CLP02 4) with the denial's CARC,
	// or with DenyGroup/DenyReason/Remarks when DenyReason is set.
	AppealOutcome *Outcome `json:"appeal_outcome,omitempty"`
}

// EligibilityRule decides a 271 for member IDs with a prefix.
type EligibilityRule struct {
	// MemberIDPrefix selects members ("" matches every member).
	MemberIDPrefix string `json:"member_id_prefix"`
	Active         bool   `json:"active"`
	PlanName       string `json:"plan_name,omitempty"`
	// Copay is the office-visit co-payment (EB*B), Deductible the annual
	// deductible and DeductibleRemaining what is left of it (EB*C).
	Copay               decimal.Decimal `json:"copay"`
	Deductible          decimal.Decimal `json:"deductible"`
	DeductibleRemaining decimal.Decimal `json:"deductible_remaining"`
	// CoinsurancePercent is EB*A (e.g. 20).
	CoinsurancePercent decimal.Decimal `json:"coinsurance_percent"`
}

// Rules configure the simulated payer. The first matching rule wins.
type Rules struct {
	// Claims are tried in order; Default applies when none matches.
	Claims  []Rule  `json:"claims"`
	Default Outcome `json:"default"`
	// Eligibility rules are tried in order; DefaultEligibility applies when
	// none matches.
	Eligibility        []EligibilityRule `json:"eligibility"`
	DefaultEligibility EligibilityRule   `json:"default_eligibility"`
}

// ClaimRule returns the first rule matching c, or a rule named "default"
// with the Default outcome.
func (r *Rules) ClaimRule(c *x12.Claim837) Rule {
	for _, rule := range r.Claims {
		if rule.Match.Matches(c) {
			return rule
		}
	}
	return Rule{Name: "default", Outcome: r.Default}
}

// EligibilityFor returns the eligibility rule for a member ID.
func (r *Rules) EligibilityFor(memberID string) EligibilityRule {
	for _, e := range r.Eligibility {
		if strings.HasPrefix(memberID, e.MemberIDPrefix) {
			return e
		}
	}
	return r.DefaultEligibility
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// DefaultRules is the development payer. Claims are decided by the
// subscriber member ID prefix:
//
//	DENY50    denied CO-50 (not medically necessary), RARC N115
//	DENY16    denied CO-16 (missing information), RARCs M76 and N290
//	DENY29    denied CO-29 (timely filing limit expired)
//	DENY197   denied CO-197 (precertification absent)
//	DENY18    denied CO-18 (duplicate claim)
//	REJECT    rejected at the 277CA: A7:164:IL (invalid member number)
//	PAYFULL   paid in full (allowed 100%)
//	PARTIAL   allowed 80%, CO-45 for the rest, PR-3 copay 25.00
//	DEDUCT    allowed 90%, CO-45, PR-1 deductible 100.00
//	COINS     allowed 90%, CO-45, PR-2 coinsurance 20%
//	otherwise allowed 90%, CO-45 for the rest, paid.
//
// Appeals of DENY50, DENY16 and DENY197 denials are paid with the Default
// outcome (allowed 90%); appeals of DENY29 (timely filing) and DENY18
// (duplicate) denials are upheld: denied again with the same CARC. A claim
// carrying a prior payer's adjudication (secondary) matching a pay rule,
// or none, is paid 80% of the prior payer's patient responsibility (see
// Adjudicate); the deny and reject rules apply to it unchanged.
//
// Eligibility: member IDs starting with INACTIVE are inactive; every other
// member is active on "SIMULATED PPO" with a 25.00 copay, a 1500.00 annual
// deductible of which 500.00 remains, and 20% coinsurance.
func DefaultRules() Rules {
	deny := func(prefix, reason string, remarks ...string) Rule {
		return Rule{Name: strings.ToLower(prefix), Match: Match{MemberIDPrefix: prefix},
			Outcome: Outcome{Kind: OutcomeDeny, DenyGroup: "CO", DenyReason: reason, Remarks: remarks}}
	}
	upheld := func(r Rule) Rule {
		o := r.Outcome
		r.AppealOutcome = &o
		return r
	}
	return Rules{
		Claims: []Rule{
			deny("DENY50", "50", "N115"),
			deny("DENY16", "16", "M76", "N290"),
			upheld(deny("DENY29", "29")),
			deny("DENY197", "197"),
			upheld(deny("DENY18", "18")),
			{Name: "reject", Match: Match{MemberIDPrefix: "REJECT"}, Outcome: Outcome{Kind: OutcomeReject,
				RejectCategory: "A7", RejectStatus: "164", RejectEntity: "IL", RejectMessage: "SUBSCRIBER ID NOT FOUND"}},
			{Name: "payfull", Match: Match{MemberIDPrefix: "PAYFULL"}, Outcome: Outcome{Kind: OutcomePay, AllowedPercent: d("100")}},
			{Name: "partial", Match: Match{MemberIDPrefix: "PARTIAL"}, Outcome: Outcome{Kind: OutcomePay, AllowedPercent: d("80"), Copay: d("25")}},
			{Name: "deductible", Match: Match{MemberIDPrefix: "DEDUCT"}, Outcome: Outcome{Kind: OutcomePay, AllowedPercent: d("90"), Deductible: d("100")}},
			{Name: "coinsurance", Match: Match{MemberIDPrefix: "COINS"}, Outcome: Outcome{Kind: OutcomePay, AllowedPercent: d("90"), CoinsurancePercent: d("20")}},
		},
		Default: Outcome{Kind: OutcomePay, AllowedPercent: d("90")},
		Eligibility: []EligibilityRule{
			{MemberIDPrefix: "INACTIVE", Active: false},
		},
		DefaultEligibility: EligibilityRule{Active: true, PlanName: "SIMULATED PPO", Copay: d("25"),
			Deductible: d("1500"), DeductibleRemaining: d("500"), CoinsurancePercent: d("20")},
	}
}

func frequency(c *x12.Claim837) string {
	if c.FrequencyCode == "" {
		return "1"
	}
	return c.FrequencyCode
}
