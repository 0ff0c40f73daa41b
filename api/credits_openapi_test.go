package api

// The request bodies of patient credits (api/openapi/dunning.json), so that
// TestOpenAPIDocumentsTextLimits checks their documented text limits.
func init() {
	requestTypes["PrepaymentRequest"] = prepaymentRequest{}
	requestTypes["ApplyCreditRequest"] = applyCreditRequest{}
	requestTypes["RefundRequest"] = refundRequest{}
	requestTypes["RefundDecisionRequest"] = refundDecisionRequest{}
	requestTypes["RecoveryRequest"] = recoveryRequest{}
	requestTypes["BadDebtRequest"] = badDebtRequest{}
}
