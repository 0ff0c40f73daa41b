package scrubrules

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clinicflow/rcm/internal/scrub"
	"github.com/clinicflow/rcm/internal/validate"
)

// Report is a run with what it found: the rule changes it tried, which rules
// stop claims the baseline let through (and how many of those the payer
// denied), which denial reasons the proposed rules would have prevented and
// which they still miss, and examples of each outcome.
type Report struct {
	Run     Run     `json:"run"`
	Percent float64 `json:"percent"`
	// Changes are the differences between the baseline and the proposed rules.
	Changes []Change `json:"changes"`
	// NewFailuresByRule counts, per rule, the claims it fails under the
	// proposed rules and not under the baseline, and how many of those the
	// payer denied (would it catch real denials, or only add work?).
	NewFailuresByRule []RuleCount `json:"new_failures_by_rule"`
	// PreventedReasons are the denial reasons of the claims the proposed rules
	// newly stop; MissedReasons those of denied claims they let through.
	PreventedReasons []ReasonCount `json:"prevented_reasons"`
	MissedReasons    []ReasonCount `json:"missed_reasons"`
	// Examples are a few claims of each outcome, denied first.
	Examples map[string][]ClaimResult `json:"examples"`
}

// Change is one difference between two rule sets.
type Change struct {
	Rule   string `json:"rule"`
	Change string `json:"change"` // enabled, disabled, threshold, added, removed, changed
	Detail string `json:"detail"`
}

// RuleCount is a rule and the claims it newly fails.
type RuleCount struct {
	Rule   string `json:"rule"`
	Claims int    `json:"claims"`
	Denied int    `json:"denied"`
	Paid   int    `json:"paid"`
}

// ReasonCount is a denial reason (group-CARC) and its claims.
type ReasonCount struct {
	Reason string `json:"reason"`
	Claims int    `json:"claims"`
}

// examplesPer is how many claims of each outcome a report shows.
const examplesPer = 5

// RunReport reads a run and what it found so far (a running run's report is
// partial; Percent says how far it is).
func (s *Service) RunReport(ctx context.Context, id string) (Report, error) {
	run, err := s.GetRun(ctx, id)
	if err != nil {
		return Report{}, err
	}
	out := Report{Run: run, Changes: []Change{}, NewFailuresByRule: []RuleCount{}, PreventedReasons: []ReasonCount{},
		MissedReasons: []ReasonCount{}, Examples: map[string][]ClaimResult{}}
	switch {
	case run.Status == RunCompleted:
		out.Percent = 100
	case run.ClaimsTotal > 0:
		out.Percent = float64(run.ClaimsDone*1000/run.ClaimsTotal) / 10
	}
	proposed, err := s.Get(ctx, run.RuleVersion)
	if err != nil {
		return out, err
	}
	baseline, err := s.Get(ctx, run.BaselineVersion)
	if err != nil {
		return out, err
	}
	out.Changes = Diff(baseline.Config, proposed.Config)
	g := s.DB.WithContext(ctx)
	if err := g.Raw(`SELECT p->>'rule' AS rule, count(DISTINCT c.claim_id) AS claims,
			count(DISTINCT c.claim_id) FILTER (WHERE c.denied) AS denied,
			count(DISTINCT c.claim_id) FILTER (WHERE NOT c.denied) AS paid
		FROM scrub_what_if_claims c, jsonb_array_elements(c.proposed_failures) p
		WHERE c.run_id = ? AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(c.baseline_failures) b WHERE b->>'rule' = p->>'rule')
		GROUP BY 1 ORDER BY 2 DESC, 1`, id).Scan(&out.NewFailuresByRule).Error; err != nil {
		return out, fmt.Errorf("what-if report %s: %w", id, err)
	}
	for _, q := range []struct {
		dst      *[]ReasonCount
		outcomes []string
	}{{&out.PreventedReasons, []string{NewlyStopped}}, {&out.MissedReasons, []string{NewlyPassed, BothPassed}}} {
		if err := g.Raw(`SELECT r AS reason, count(*) AS claims FROM scrub_what_if_claims c, unnest(c.denial_reasons) r
			WHERE c.run_id = ? AND c.denied AND c.outcome IN ? GROUP BY 1 ORDER BY 2 DESC, 1`, id, q.outcomes).Scan(q.dst).Error; err != nil {
			return out, fmt.Errorf("what-if report %s: %w", id, err)
		}
	}
	for _, o := range Outcomes {
		ex, err := s.RunClaims(ctx, id, ClaimFilter{Outcome: o, Limit: examplesPer})
		if err != nil {
			return out, err
		}
		if len(ex) > 0 {
			out.Examples[o] = ex
		}
	}
	return out, nil
}

// Diff lists what changes from rule set a to rule set b.
func Diff(a, b scrub.Config) []Change {
	out := []Change{}
	old := map[string]scrub.RuleSetting{}
	for _, r := range a.Rules {
		old[r.Name] = r
	}
	for _, r := range b.Rules {
		o, ok := old[r.Name]
		switch {
		case !ok && r.Enabled, ok && !o.Enabled && r.Enabled:
			out = append(out, Change{Rule: r.Name, Change: "enabled", Detail: threshold(r)})
		case ok && o.Enabled && !r.Enabled:
			out = append(out, Change{Rule: r.Name, Change: "disabled"})
		case ok && r.Enabled && o.Threshold != r.Threshold:
			out = append(out, Change{Rule: r.Name, Change: "threshold", Detail: fmt.Sprintf("%d -> %d", o.Threshold, r.Threshold)})
		}
	}
	prev := map[string]scrub.PayerRule{}
	for _, p := range a.PayerRules {
		prev[p.Name] = p
	}
	seen := map[string]bool{}
	for _, p := range b.PayerRules {
		seen[p.Name] = true
		o, ok := prev[p.Name]
		switch {
		case !ok:
			out = append(out, Change{Rule: p.Name, Change: "added", Detail: payerRuleText(p)})
		case o != p:
			out = append(out, Change{Rule: p.Name, Change: "changed", Detail: payerRuleText(o) + " -> " + payerRuleText(p)})
		}
	}
	for _, p := range a.PayerRules {
		if !seen[p.Name] {
			out = append(out, Change{Rule: p.Name, Change: "removed", Detail: payerRuleText(p)})
		}
	}
	return out
}

func threshold(r scrub.RuleSetting) string {
	if r.Threshold == 0 {
		return ""
	}
	return fmt.Sprintf("threshold %d", r.Threshold)
}

func payerRuleText(p scrub.PayerRule) string {
	payer := p.PayerID
	if payer == "" {
		payer = "any payer"
	}
	switch p.Kind {
	case scrub.PayerRequiresModifier:
		return fmt.Sprintf("%s: %s requires modifier %s", payer, p.ProcedureCode, p.Modifier)
	case scrub.PayerMaxUnits:
		return fmt.Sprintf("%s: %s at most %d units", payer, p.ProcedureCode, p.MaxUnits)
	default:
		return fmt.Sprintf("%s: %s not covered", payer, p.ProcedureCode)
	}
}

// parseDay reads a YYYY-MM-DD day, or records a field error.
func parseDay(errs *validate.Errors, field, v string) time.Time {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
	if err != nil {
		errs.Add(field, "must be a date (YYYY-MM-DD)")
	}
	return t
}

func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
