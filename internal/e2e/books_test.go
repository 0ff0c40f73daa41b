package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/inventory"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/packages"
	"github.com/clinicflow/rcm/internal/scrubrules"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/worker"
	"github.com/clinicflow/rcm/workflows/contract"
)

// TestScrubRulesTriedOnPastClaimsEndToEnd bills claims through the real claim
// workflows and the simulator, then tries a payer rule on them with a what-if
// run (its own workflow) before publishing it for new claims.
func TestScrubRulesTriedOnPastClaimsEndToEnd(t *testing.T) {
	f := newClaimFlow(t)
	e := f.e

	// History: one claim denied (CO-50), one paid; both scrubbed by version 1.
	_, denied := f.visit(map[string]string{"primary": "DENY50X1"})
	_, paid := f.visit(map[string]string{"primary": "PAYFULL200"})
	f.waitStage(denied, claims.StageDenied, "")
	f.waitStage(paid, claims.StagePaid, "")
	v := f.claim(paid)
	require.NotNil(t, v.ScrubRuleVersion)
	assert.Equal(t, 1, *v.ScrubRuleVersion, "every claim records the rule version that scrubbed it")

	var rules struct {
		Published scrubrules.RuleSet `json:"published"`
		Catalogue []map[string]any   `json:"catalogue"`
	}
	e.MustDo(200, "GET", "/api/v1/scrub/rules", f.biller, nil).JSON(t, &rules)
	assert.Equal(t, 1, rules.Published.Version)
	assert.NotEmpty(t, rules.Catalogue)

	// Bad rules are a 400 naming the field, and save nothing.
	bad := e.MustDo(400, "POST", "/api/v1/scrub/rules/versions", f.biller, map[string]any{
		"payer_rules": []map[string]any{{"payer_id": "ACME1", "procedure_code": "36415", "kind": "needs-59"}}})
	assert.Contains(t, string(bad.Body), "payer_rules[0].kind")

	// The change: ACME1 requires modifier 59 with 36415 (a draft, version 2).
	var v2 scrubrules.RuleSet
	e.MustDo(201, "POST", "/api/v1/scrub/rules/versions", f.biller, map[string]any{"note": "ACME wants 59",
		"payer_rules": []map[string]any{{"payer_id": "ACME1", "procedure_code": "36415", "kind": "require-modifier", "modifier": "59"}}}).JSON(t, &v2)
	assert.Equal(t, 2, v2.Version)
	assert.Equal(t, scrubrules.Draft, v2.Status)

	// Tried on the last month of claims, one claim per batch.
	var run scrubrules.Run
	e.MustDo(202, "POST", "/api/v1/scrub/what-if", f.biller, map[string]any{"rule_version": 2, "months": 1, "batch_size": 1}).JSON(t, &run)
	assert.Equal(t, contract.WhatIfWorkflowID(run.ID), run.WorkflowID)
	assert.Equal(t, 2, run.ClaimsTotal)
	var rep scrubrules.Report
	require.Eventually(t, func() bool {
		e.MustDo(200, "GET", "/api/v1/scrub/what-if/"+run.ID, f.biller, nil).JSON(t, &rep)
		return rep.Run.Status != scrubrules.RunRunning
	}, settle, 100*time.Millisecond, "the what-if workflow finishes")
	assert.Equal(t, scrubrules.RunCompleted, rep.Run.Status, rep.Run.Error)
	assert.Equal(t, 2, rep.Run.ClaimsDone)
	assert.Equal(t, 2, rep.Run.NewlyStopped)
	assert.Equal(t, 1, rep.Run.NewlyStoppedDenied, "the denied claim: a denial the rule would have prevented")
	assert.Equal(t, 1, rep.Run.NewlyStoppedPaid, "the paid one: work the rule would have added")
	assert.Equal(t, []scrubrules.ReasonCount{{Reason: "CO-50", Claims: 1}}, rep.PreventedReasons)
	assert.Equal(t, float64(100), rep.Percent)
	desc, err := e.Temporal.DescribeWorkflowExecution(context.Background(), run.WorkflowID, "")
	require.NoError(t, err)
	assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, desc.WorkflowExecutionInfo.Status)

	var stopped struct {
		Items []scrubrules.ClaimResult `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/scrub/what-if/"+run.ID+"/claims?outcome=newly_stopped&denied=true", f.biller, nil).JSON(t, &stopped)
	require.Len(t, stopped.Items, 1)
	assert.Equal(t, denied, stopped.Items[0].ClaimID)
	e.MustDo(400, "GET", "/api/v1/scrub/what-if/"+run.ID+"/claims?outcome=maybe", f.biller, nil)
	e.MustDo(400, "GET", "/api/v1/scrub/what-if/"+run.ID+"/claims?colour=red", f.biller, nil)
	e.MustDo(404, "GET", "/api/v1/scrub/what-if/"+run.ID[:8], f.biller, nil)

	// Nothing changed for the claims; then publishing makes version 2 the
	// rules new claims are scrubbed with.
	assert.Equal(t, claims.StagePaid, f.claim(paid).Stage)
	e.MustDo(200, "POST", "/api/v1/scrub/rules/versions/2/publish", f.biller, nil)
	_, fresh := f.visit(map[string]string{"primary": "PAYFULL300"})
	nv := f.waitStage(fresh, claims.StageNeedsFix, "")
	require.NotNil(t, nv.ScrubRuleVersion)
	assert.Equal(t, 2, *nv.ScrubRuleVersion)
	require.NotNil(t, nv.Workflow)
	require.NotEmpty(t, nv.Workflow.Problems)
	assert.Equal(t, "payer-acme1-36415-requires-59", nv.Workflow.Problems[0].Rule)
}

// TestPackagesExpireByThemselvesEndToEnd starts the package expiry workflow as
// a worker does and watches it expire a package past its last day, posting the
// refund as a balanced journal once.
func TestPackagesExpireByThemselvesEndToEnd(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	tok := e.AdminToken
	ctx := context.Background()
	patient, _ := newPatientCase(t, e, tok, "private")
	plan := e.MustDo(201, "POST", "/api/v1/packages", tok, map[string]any{"name": "10 physio", "procedure_code": "97110",
		"sessions": 10, "price": "500.00", "valid_days": 30, "expiry_rule": "refund"}).Map(t)["id"].(string)
	pkg := e.MustDo(201, "POST", "/api/v1/patients/"+patient+"/packages", tok, map[string]any{"plan_id": plan, "method": "card"},
		"Idempotency-Key", "pkg-e2e-1").Map(t)["id"].(string)
	// Sold long enough ago that its last day was yesterday (the test's owner
	// connection stands in for the passing month).
	require.NoError(t, e.DB.Exec(`UPDATE patient_packages SET expires_on = current_date - 1 WHERE id = ?`, pkg).Error)

	require.NoError(t, worker.EnsurePackageExpiry(ctx, e.Temporal))
	require.NoError(t, worker.EnsurePackageExpiry(ctx, e.Temporal), "a second worker finds it running")
	var list struct {
		Items []map[string]any `json:"items"`
	}
	require.Eventually(t, func() bool {
		e.MustDo(200, "GET", "/api/v1/patients/"+patient+"/packages", tok, nil).JSON(t, &list)
		return len(list.Items) == 1 && list.Items[0]["status"] == packages.Expired
	}, settle, 100*time.Millisecond, "the package expires without anyone asking")
	assert.Equal(t, "refunded", list.Items[0]["expiry_outcome"])
	assert.Equal(t, "500", list.Items[0]["expired_amount"])

	desc, err := e.Temporal.DescribeWorkflowExecution(ctx, contract.PackageExpiryWorkflowID, "")
	require.NoError(t, err)
	assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.WorkflowExecutionInfo.Status, "it sleeps until the next midnight")

	var lines []struct {
		AccountCode string
		Amount      string
	}
	require.NoError(t, e.DB.Raw(`SELECT l.account_code, l.amount::text FROM journals j JOIN journal_lines l ON l.journal_id = j.id
		WHERE j.idempotency_key = ? ORDER BY l.account_code`, "package-expiry:"+pkg).Scan(&lines).Error)
	require.Len(t, lines, 2)
	assert.Equal(t, string(ledger.Cash), lines[0].AccountCode)
	assert.Equal(t, "-500.00", lines[0].Amount)
	assert.Equal(t, string(ledger.PackageCredit), lines[1].AccountCode)
	assert.Equal(t, "500.00", lines[1].Amount)
	bad, err := ledger.CheckAll(e.DB)
	require.NoError(t, err)
	require.Empty(t, bad)

	// Running it by hand now expires nothing twice.
	again := e.MustDo(200, "POST", "/api/v1/packages/expire", tok, nil).Map(t)
	assert.EqualValues(t, 0, again["expired"])
}

// TestInventoryValuationPerLocationEndToEnd checks the valuation route after
// receipts and a transfer between two locations.
func TestInventoryValuationPerLocationEndToEnd(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	tok := e.AdminToken
	var locs []string
	for _, name := range []string{"North", "South"} {
		locs = append(locs, e.MustDo(201, "POST", "/api/v1/locations", tok, map[string]any{
			"name": name, "address1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701-1234"}).Map(t)["id"].(string))
	}
	item := e.MustDo(201, "POST", "/api/v1/inventory/items", tok, map[string]any{"code": "A4550", "name": "Surgical tray",
		"unit": "each", "cost": "4.00", "price": "12.00"}).Map(t)["id"].(string)
	e.MustDo(201, "POST", "/api/v1/inventory/items/"+item+"/movements", tok, map[string]any{"kind": "received", "location_id": locs[0], "quantity": 3})
	e.MustDo(201, "POST", "/api/v1/inventory/items/"+item+"/movements", tok, map[string]any{"kind": "received", "location_id": locs[0], "quantity": 4, "unit_cost": "4.30"})
	e.MustDo(201, "POST", "/api/v1/inventory/items/"+item+"/movements", tok, map[string]any{"kind": "transferred", "location_id": locs[0],
		"to_location_id": locs[1], "quantity": 3})
	var val inventory.Valuation
	e.MustDo(200, "GET", "/api/v1/inventory/valuation", tok, nil).JSON(t, &val)
	assert.True(t, val.InAgreement)
	require.Len(t, val.Locations, 2)
	by := map[string]inventory.LocationValue{}
	for _, l := range val.Locations {
		by[l.LocationID] = l
		assert.True(t, l.InAgreement, "%s: stock %s, account %s", l.Location, l.StockValue, l.InventoryAccount)
	}
	// 12.00 + 17.20 = 29.20 for 7; 3 leave at 29.20 * 3 / 7 = 12.51.
	assert.Equal(t, "16.69", by[locs[0]].InventoryAccount.StringFixed(2))
	assert.Equal(t, "12.51", by[locs[1]].InventoryAccount.StringFixed(2))
	assert.Equal(t, "29.20", val.InventoryAccount.StringFixed(2))
	e.MustDo(400, "GET", "/api/v1/inventory/valuation?location=x", tok, nil)
}
