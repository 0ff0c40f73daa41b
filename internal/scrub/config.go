package scrub

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clinicflow/rcm/internal/codes"
	"github.com/clinicflow/rcm/internal/validate"
)

// Names of the optional rules a rule set can turn on, each with a threshold.
const (
	// RuleMaxUnits names the max-units-per-line rule.
	RuleMaxUnits = "max-units-per-line"
	// RuleMaxDaysToBill names the max-days-to-bill rule.
	RuleMaxDaysToBill = "max-days-to-bill"
)

// Kinds of payer-specific rules.
const (
	// PayerRequiresModifier: a line with the procedure code must carry the
	// modifier ("payer X requires modifier 59 with 97140").
	PayerRequiresModifier = "require-modifier"
	// PayerNotCovered: the payer does not pay for the procedure code at all.
	PayerNotCovered = "not-covered"
	// PayerMaxUnits: a line with the procedure code has at most MaxUnits units.
	PayerMaxUnits = "max-units"
)

// PayerRuleKinds are the kinds a payer rule may have.
var PayerRuleKinds = []string{PayerRequiresModifier, PayerNotCovered, PayerMaxUnits}

// RuleInfo describes one rule a rule set can switch on or off.
type RuleInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// DefaultEnabled is whether the rule runs when a rule set does not say.
	DefaultEnabled bool `json:"default_enabled"`
	// Threshold, when not empty, says what the rule's threshold means; the
	// rule then takes one (DefaultThreshold when a rule set gives none).
	Threshold        string `json:"threshold,omitempty"`
	DefaultThreshold int    `json:"default_threshold,omitempty"`
	MaxThreshold     int    `json:"max_threshold,omitempty"`
}

// Catalogue lists every configurable rule in the order a rule set runs them:
// the default rules (on unless turned off), then the optional rules with a
// threshold (off unless turned on).
func Catalogue() []RuleInfo {
	var out []RuleInfo
	for _, r := range DefaultRules() {
		out = append(out, RuleInfo{Name: r.Name, Description: r.Description, DefaultEnabled: true})
	}
	return append(out,
		RuleInfo{Name: RuleMaxUnits, Description: "each line has at most the threshold's number of units",
			Threshold: "units per line", DefaultThreshold: 10, MaxThreshold: 9999},
		RuleInfo{Name: RuleMaxDaysToBill, Description: "a claim is billed within the threshold's number of days after its earliest service date (the practice's own limit, tighter than the payer's timely filing)",
			Threshold: "days after the service date", DefaultThreshold: 90, MaxThreshold: 3650},
	)
}

// RuleSetting is one rule of a rule set: on or off, and its threshold.
type RuleSetting struct {
	Name      string `json:"name"`
	Enabled   bool   `json:"enabled"`
	Threshold int    `json:"threshold,omitempty"`
}

// PayerRule is a rule for one payer (or every payer) and one procedure code.
type PayerRule struct {
	// Name identifies the rule in failures (kebab-case); made from the other
	// fields when empty.
	Name string `json:"name"`
	// PayerID is the payer's X12 payer ID; empty means every payer.
	PayerID       string `json:"payer_id"`
	ProcedureCode string `json:"procedure_code"`
	Kind          string `json:"kind"`
	Modifier      string `json:"modifier,omitempty"`
	MaxUnits      int    `json:"max_units,omitempty"`
}

// Config is a rule set as data: which rules run, their thresholds, and the
// payer-specific rules. It is what a rule-set version stores.
type Config struct {
	Rules      []RuleSetting `json:"rules"`
	PayerRules []PayerRule   `json:"payer_rules"`
}

// DefaultConfig is the rule set the product ships: the default rules on, the
// optional ones off, no payer rules.
func DefaultConfig() Config {
	c, _ := Config{}.Normalize()
	return c
}

// Normalize checks c and returns it complete: every catalogue rule once, in
// catalogue order (a rule c leaves out takes its default), thresholds filled
// in, codes upper-cased, payer rules named. Bad settings are field errors
// (rules[2].threshold, payer_rules[0].modifier).
func (c Config) Normalize() (Config, error) {
	var errs validate.Errors
	given := map[string]RuleSetting{}
	at := map[string]int{} // where each rule was given, for field names
	for i, s := range c.Rules {
		f := fmt.Sprintf("rules[%d]", i)
		name := strings.TrimSpace(s.Name)
		switch {
		case name == "":
			errs.Add(f+".name", "is required")
		case !slices.ContainsFunc(Catalogue(), func(r RuleInfo) bool { return r.Name == name }):
			errs.Add(f+".name", "is not a rule (see the catalogue)")
		default:
			if _, dup := given[name]; dup {
				errs.Add(f+".name", "is given twice")
				continue
			}
			s.Name = name
			given[name], at[name] = s, i
		}
	}
	out := Config{Rules: []RuleSetting{}, PayerRules: []PayerRule{}}
	for _, info := range Catalogue() {
		s, ok := given[info.Name]
		if !ok {
			s = RuleSetting{Name: info.Name, Enabled: info.DefaultEnabled}
		}
		if info.Threshold == "" {
			if s.Threshold != 0 {
				errs.Add(fmt.Sprintf("rules[%d].threshold", at[info.Name]), "%s takes no threshold", info.Name)
			}
		} else {
			if s.Threshold == 0 {
				s.Threshold = info.DefaultThreshold
			}
			if s.Threshold < 1 || s.Threshold > info.MaxThreshold {
				errs.Add(fmt.Sprintf("rules[%d].threshold", at[info.Name]), "must be between 1 and %d (%s)", info.MaxThreshold, info.Threshold)
			}
		}
		out.Rules = append(out.Rules, s)
	}
	names := map[string]bool{}
	for i, p := range c.PayerRules {
		f := fmt.Sprintf("payer_rules[%d]", i)
		p.PayerID = strings.TrimSpace(p.PayerID)
		p.ProcedureCode = codes.NormalizeProcedure(p.ProcedureCode)
		p.Modifier = codes.NormalizeProcedure(p.Modifier)
		p.Name = strings.ToLower(strings.TrimSpace(p.Name))
		errs.Check(len(p.PayerID) <= 80 && !strings.ContainsAny(p.PayerID, " \t\n"), f+".payer_id", "must be an X12 payer ID (at most 80 characters, no spaces), or empty for every payer")
		errs.Check(codes.ValidProcedureCode(p.ProcedureCode), f+".procedure_code", "must be a CPT or HCPCS code")
		switch p.Kind {
		case PayerRequiresModifier:
			errs.Check(codes.ValidModifier(p.Modifier), f+".modifier", "must be a two-character modifier")
			errs.Check(p.MaxUnits == 0, f+".max_units", "only for kind %s", PayerMaxUnits)
		case PayerNotCovered:
			errs.Check(p.Modifier == "", f+".modifier", "only for kind %s", PayerRequiresModifier)
			errs.Check(p.MaxUnits == 0, f+".max_units", "only for kind %s", PayerMaxUnits)
		case PayerMaxUnits:
			errs.Check(p.MaxUnits >= 1 && p.MaxUnits <= 9999, f+".max_units", "must be between 1 and 9999")
			errs.Check(p.Modifier == "", f+".modifier", "only for kind %s", PayerRequiresModifier)
		default:
			errs.Add(f+".kind", "must be one of %s", strings.Join(PayerRuleKinds, ", "))
		}
		if p.Name == "" {
			p.Name = defaultPayerRuleName(p) // from fields checked above
		} else {
			errs.Check(len(p.Name) <= 80 && !strings.ContainsAny(p.Name, " \t\n"), f+".name", "must be at most 80 characters without spaces")
		}
		if names[p.Name] {
			errs.Add(f+".name", "is given twice (name the rules apart)")
		}
		names[p.Name] = true
		out.PayerRules = append(out.PayerRules, p)
	}
	errs.Check(len(c.PayerRules) <= 500, "payer_rules", "at most 500 payer rules")
	if err := errs.Err(); err != nil {
		return Config{}, err
	}
	return out, nil
}

func defaultPayerRuleName(p PayerRule) string {
	payer := strings.ToLower(p.PayerID)
	if payer == "" {
		payer = "any-payer"
	}
	switch p.Kind {
	case PayerRequiresModifier:
		return fmt.Sprintf("payer-%s-%s-requires-%s", payer, strings.ToLower(p.ProcedureCode), strings.ToLower(p.Modifier))
	case PayerMaxUnits:
		return fmt.Sprintf("payer-%s-%s-max-%d-units", payer, strings.ToLower(p.ProcedureCode), p.MaxUnits)
	default:
		return fmt.Sprintf("payer-%s-%s-%s", payer, strings.ToLower(p.ProcedureCode), p.Kind)
	}
}

// Build returns the runnable rules of a normalized config, in catalogue order,
// then the payer rules in their order.
func (c Config) Build() []Rule {
	defaults := map[string]Rule{}
	for _, r := range DefaultRules() {
		defaults[r.Name] = r
	}
	out := []Rule{} // never nil: a set with every rule off runs none, not the defaults
	for _, s := range c.Rules {
		if !s.Enabled {
			continue
		}
		switch s.Name {
		case RuleMaxUnits:
			out = append(out, maxUnitsRule(s.Threshold))
		case RuleMaxDaysToBill:
			out = append(out, maxDaysToBillRule(s.Threshold))
		default:
			if r, ok := defaults[s.Name]; ok {
				out = append(out, r)
			}
		}
	}
	for _, p := range c.PayerRules {
		out = append(out, payerRule(p))
	}
	return out
}

func maxUnitsRule(n int) Rule {
	return Rule{Name: RuleMaxUnits, Description: fmt.Sprintf("each line has at most %d units", n),
		Check: func(c Claim, _ Env) []Failure {
			var f failures
			for i, l := range c.Lines {
				if l.Units > n {
					f.add(lineField(i, "units"), "%d units of %s is more than the practice's limit of %d per line", l.Units, l.ProcedureCode, n)
				}
			}
			return f
		}}
}

func maxDaysToBillRule(days int) Rule {
	return Rule{Name: RuleMaxDaysToBill, Description: fmt.Sprintf("billed within %d days of the service date", days),
		Check: func(c Claim, env Env) []Failure {
			var f failures
			today := civilDate(env.Now)
			for i, l := range c.Lines {
				if l.ServiceDate.IsZero() {
					continue
				}
				if age := int(today.Sub(civilDate(l.ServiceDate)) / (24 * time.Hour)); age > days {
					f.add(lineField(i, "service_date"), "service on %s is billed %d days later, past the practice's limit of %d", ymd(l.ServiceDate), age, days)
				}
			}
			return f
		}}
}

func payerRule(p PayerRule) Rule {
	who := "every payer"
	if p.PayerID != "" {
		who = "payer " + p.PayerID
	}
	var desc string
	switch p.Kind {
	case PayerRequiresModifier:
		desc = fmt.Sprintf("%s requires modifier %s with %s", who, p.Modifier, p.ProcedureCode)
	case PayerNotCovered:
		desc = fmt.Sprintf("%s does not cover %s", who, p.ProcedureCode)
	default:
		desc = fmt.Sprintf("%s pays at most %d units of %s per line", who, p.MaxUnits, p.ProcedureCode)
	}
	return Rule{Name: p.Name, Description: desc, Check: func(c Claim, _ Env) []Failure {
		if p.PayerID != "" && !strings.EqualFold(c.Payer.PayerID, p.PayerID) {
			return nil
		}
		var f failures
		for i, l := range c.Lines {
			if codes.NormalizeProcedure(l.ProcedureCode) != p.ProcedureCode {
				continue
			}
			switch p.Kind {
			case PayerRequiresModifier:
				if !slices.ContainsFunc(l.Modifiers, func(m string) bool { return codes.NormalizeProcedure(m) == p.Modifier }) {
					f.add(lineField(i, "modifiers"), "%s: add modifier %s to %s", desc, p.Modifier, p.ProcedureCode)
				}
			case PayerNotCovered:
				f.add(lineField(i, "procedure_code"), "%s: bill the patient or another payer", desc)
			case PayerMaxUnits:
				if l.Units > p.MaxUnits {
					f.add(lineField(i, "units"), "%s: %d units billed", desc, l.Units)
				}
			}
		}
		return f
	}}
}
