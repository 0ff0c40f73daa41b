package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/reports"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/workflows/contract"
)

// TestStuckClaimsSayWhatTheirWorkflowWaitsFor reads the stuck-claims drill-down
// of claims held by real workflows: one accepted and waiting for the payer's 835
// (whose remittance never comes), one rejected by the 277CA and waiting for a
// biller's fix. Each says what it waits for, live from its workflow.
func TestStuckClaimsSayWhatTheirWorkflowWaitsFor(t *testing.T) {
	e := testenv.New(t, testenv.Options{
		Simulator:    clearinghouse.Config{AckDelay: 200 * time.Millisecond, RemitDelay: time.Hour},
		PollInterval: 100 * time.Millisecond,
	})
	f := &claimFlow{t: t, e: e, payers: map[string]string{}, biller: e.NewUserToken("biller@test.local", auth.RoleBiller)}
	f.p.location = e.MustDo(201, "POST", "/api/v1/locations", e.AdminToken, map[string]any{
		"name": "Main St Clinic", "address1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701-1234",
		"npi": "1245319599", "tax_id": "12-3456789"}).Map(t)["id"].(string)
	f.p.provider = e.MustDo(201, "POST", "/api/v1/providers", e.AdminToken, map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "npi": "1234567893"}).Map(t)["id"].(string)
	e.MustDo(201, "POST", "/api/v1/fee-schedules", e.AdminToken, map[string]any{
		"name": "Standard", "is_default": true, "items": []map[string]any{
			{"procedure_code": "99213", "price": "125.00"}, {"procedure_code": "36415", "price": "15.00"}}})
	f.payers["ACME1"] = e.MustDo(201, "POST", "/api/v1/payers", e.AdminToken, map[string]any{
		"name": "Acme Health", "payer_id": "ACME1", "type": "commercial", "payment_wait_days": 30}).Map(t)["id"].(string)

	_, paying := f.visit(map[string]string{"primary": "PAYFULL900"})
	_, rejected := f.visit(map[string]string{"primary": "REJECT100"})
	waiting := f.waitStage(paying, claims.StageAccepted, contract.PhaseAwaitingPayment)
	f.waitStage(rejected, claims.StageRejected, contract.PhaseNeedsFix)
	f.openTask(rejected, tasks.QueueRejections)

	var sum reports.StuckSummary
	e.MustDo(200, "GET", "/api/v1/reports/stuck-claims?days=0", f.biller, nil).JSON(t, &sum)
	stages := map[string]int64{}
	for _, g := range sum.Groups {
		assert.Equal(t, "Acme Health", g.PayerName)
		stages[g.Stage] = g.Claims
	}
	assert.Equal(t, map[string]int64{claims.StageAccepted: 1, claims.StageRejected: 1}, stages)

	var page reports.StuckPage
	e.MustDo(200, "GET", "/api/v1/reports/stuck-claims?days=0&payer_id="+f.payers["ACME1"], f.biller, nil).JSON(t, &page)
	require.Len(t, page.Claims, 2)
	byID := map[string]reports.StuckClaim{}
	for _, c := range page.Claims {
		require.Empty(t, c.WaitingError, c.ClaimID)
		require.NotNil(t, c.WaitingFor, c.ClaimID)
		byID[c.ClaimID] = c
	}

	p := byID[paying]
	assert.Equal(t, contract.PhaseAwaitingPayment, p.WaitingFor.Phase)
	assert.Equal(t, contract.AwaitFile835, p.WaitingFor.File)
	assert.Empty(t, p.WaitingFor.Update)
	require.NotNil(t, p.WaitingFor.Timer)
	assert.Equal(t, "status_inquiry", p.WaitingFor.Timer.Name)
	// The status inquiry fires payment_wait_days (30 days of 24h) after acceptance.
	require.NotNil(t, waiting.Workflow)
	assert.WithinDuration(t, waiting.Workflow.WaitingSince.Add(30*24*time.Hour), p.WaitingFor.Timer.FiresAt, time.Second)
	var path []string
	for _, ev := range p.Timeline {
		path = append(path, ev.ToStage+"/"+ev.Cause)
	}
	assert.Contains(t, path, "accepted/277ca")
	assert.Equal(t, "payer 277CA file", p.Timeline[len(p.Timeline)-1].By)

	r := byID[rejected]
	assert.Equal(t, contract.PhaseNeedsFix, r.WaitingFor.Phase)
	assert.Equal(t, contract.UpdateFixClaim, r.WaitingFor.Update)
	assert.Empty(t, r.WaitingFor.File)
	require.Len(t, r.OpenTasks, 1)
	assert.Equal(t, tasks.QueueRejections, r.OpenTasks[0].Queue)
	if r.WaitingFor.Timer != nil {
		assert.Equal(t, "filing_escalation", r.WaitingFor.Timer.Name)
	}
}
