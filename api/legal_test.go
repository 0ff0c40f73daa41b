package api

import "github.com/clinicflow/rcm/internal/legal"

// The legal area's request bodies, for TestOpenAPIDocumentsTextLimits.
func init() {
	requestTypes["NewContact"] = legal.NewContact{}
	requestTypes["RoleContact"] = legal.RoleContact{}
	requestTypes["LegalDetailsRequest"] = legalRequest{}
	requestTypes["SOLYearsRequest"] = solYearsRequest{}
	requestTypes["FollowUpRequest"] = followUpRequest{}
	requestTypes["SettlementRequest"] = settlementRequest{}
	requestTypes["ReleaseRequest"] = releaseRequest{}
	requestTypes["DropRequest"] = dropRequest{}
	requestTypes["LegalPaymentRequest"] = legalPaymentRequest{}
	requestTypes["WCDecisionRequest"] = wcDecisionRequest{}
}
