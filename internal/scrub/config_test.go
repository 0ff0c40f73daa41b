package scrub

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/validate"
)

func TestDefaultConfigIsTheDefaultRules(t *testing.T) {
	c := DefaultConfig()
	require.Len(t, c.Rules, len(Catalogue()))
	var names []string
	for _, r := range c.Build() {
		names = append(names, r.Name)
	}
	var want []string
	for _, r := range DefaultRules() {
		want = append(want, r.Name)
	}
	assert.Equal(t, want, names, "the shipped rule set runs exactly the default rules, in order")
}

func TestConfigWithEveryRuleOffRunsNone(t *testing.T) {
	var off []RuleSetting
	for _, r := range Catalogue() {
		off = append(off, RuleSetting{Name: r.Name})
	}
	c, err := Config{Rules: off}.Normalize()
	require.NoError(t, err)
	rules := c.Build()
	require.NotNil(t, rules, "not nil: nil would mean the defaults to claims.Scrub")
	assert.Empty(t, rules)
}

func TestNormalizeNamesEveryBadField(t *testing.T) {
	_, err := Config{
		Rules: []RuleSetting{{Name: RuleMaxUnits, Enabled: true, Threshold: -1}, {Name: RuleNPICheckDigit, Threshold: 3},
			{Name: RuleMaxUnits}},
		PayerRules: []PayerRule{
			{PayerID: "ACME 1", ProcedureCode: "97140", Kind: PayerRequiresModifier, Modifier: "5"},
			{ProcedureCode: "nope", Kind: PayerNotCovered},
			{ProcedureCode: "97110", Kind: PayerMaxUnits},
			{ProcedureCode: "97110", Kind: "whatever"},
		}}.Normalize()
	var errs validate.Errors
	require.ErrorAs(t, err, &errs)
	got := map[string]bool{}
	for _, e := range errs {
		got[e.Field] = true
	}
	for _, f := range []string{"rules[0].threshold", "rules[1].threshold", "rules[2].name", "payer_rules[0].payer_id",
		"payer_rules[0].modifier", "payer_rules[1].procedure_code", "payer_rules[2].max_units", "payer_rules[3].kind"} {
		assert.True(t, got[f], "%s in %v", f, errs)
	}
}

func TestThresholdAndPayerRules(t *testing.T) {
	c, err := Config{
		Rules: []RuleSetting{{Name: RuleMaxUnits, Enabled: true, Threshold: 4}, {Name: RuleMaxDaysToBill, Enabled: true, Threshold: 30}},
		PayerRules: []PayerRule{
			{PayerID: "ACME1", ProcedureCode: "97140", Kind: PayerRequiresModifier, Modifier: "59"},
			{ProcedureCode: "97039", Kind: PayerNotCovered},
			{PayerID: "ACME1", ProcedureCode: "97110", Kind: PayerMaxUnits, MaxUnits: 2},
		}}.Normalize()
	require.NoError(t, err)
	assert.Equal(t, "payer-any-payer-97039-not-covered", c.PayerRules[1].Name)
	rules := c.Build()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	claim := Claim{Payer: Payer{PayerID: "ACME1"}, Lines: []Line{
		{ProcedureCode: "97140", Modifiers: []string{"GP"}, Units: 1, Charge: decimal.NewFromInt(45), ServiceDate: now.AddDate(0, 0, -40)},
		{ProcedureCode: "97140", Modifiers: []string{"59"}, Units: 1, Charge: decimal.NewFromInt(45), ServiceDate: now.AddDate(0, 0, -2)},
		{ProcedureCode: "97110", Units: 3, Charge: decimal.NewFromInt(65), ServiceDate: now.AddDate(0, 0, -2)},
		{ProcedureCode: "97039", Units: 5, Charge: decimal.NewFromInt(20), ServiceDate: now.AddDate(0, 0, -2)},
	}}
	var only []Rule
	for _, r := range rules {
		if r.Name == RuleMaxUnits || r.Name == RuleMaxDaysToBill || r.Name[:6] == "payer-" {
			only = append(only, r)
		}
	}
	fs, err := Run(claim, Env{Now: now}, only)
	require.NoError(t, err)
	type rf struct{ rule, field string }
	var got []rf
	for _, f := range fs {
		got = append(got, rf{f.Rule, f.Field})
	}
	assert.Equal(t, []rf{
		{RuleMaxUnits, "lines[3].units"},
		{RuleMaxDaysToBill, "lines[0].service_date"},
		{"payer-acme1-97140-requires-59", "lines[0].modifiers"},
		{"payer-any-payer-97039-not-covered", "lines[3].procedure_code"},
		{"payer-acme1-97110-max-2-units", "lines[2].units"},
	}, got)

	// Another payer: only the every-payer rule applies.
	claim.Payer.PayerID = "OTHER"
	fs, err = Run(claim, Env{Now: now}, c.Build()[len(c.Build())-3:])
	require.NoError(t, err)
	require.Len(t, fs, 1)
	assert.Equal(t, "payer-any-payer-97039-not-covered", fs[0].Rule)
}
