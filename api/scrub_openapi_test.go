package api

import "github.com/clinicflow/rcm/internal/scrub"

// The request bodies of the scrub area (api/openapi/scrub.json), so that
// TestOpenAPIDocumentsTextLimits checks their documented text limits.
func init() {
	requestTypes["NewScrubRuleSet"] = ruleSetRequest{}
	requestTypes["ScrubRuleSetting"] = scrub.RuleSetting{}
	requestTypes["ScrubPayerRule"] = scrub.PayerRule{}
	requestTypes["WhatIfRequest"] = whatIfRequest{}
}
