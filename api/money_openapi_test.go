package api

import "github.com/clinicflow/rcm/internal/accounting"

// The request bodies of the money area (api/openapi/money.json), so that
// TestOpenAPIDocumentsTextLimits checks their documented text limits.
func init() {
	requestTypes["GLAccountMapping"] = accounting.Mapping{}
	requestTypes["NewPeriod"] = accounting.NewPeriod{}
	requestTypes["AdjustingJournalRequest"] = adjustingRequest{}
	requestTypes["NewGLExport"] = accounting.NewExport{}
	requestTypes["NewInventoryItem"] = itemRequest{}
	requestTypes["InventoryItemChange"] = itemChangeRequest{}
	requestTypes["NewStockMovement"] = movementRequest{}
	requestTypes["NewPackagePlan"] = planRequest{}
	requestTypes["PackageSale"] = saleRequest{}
	requestTypes["NewPromotion"] = promotionRequest{}
	requestTypes["PromotionGroupMember"] = groupMemberRequest{}
}
