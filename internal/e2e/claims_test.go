package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/workflows/contract"
)

// TestClaimsReadAPI builds a claim from an insurance visit captured over HTTP and
// reads it back through the claims endpoints: list filters, detail with lines and
// timeline, and the stuck-claims view.
func TestClaimsReadAPI(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := setupPractice(t, e)
	tok := e.AdminToken
	_, caseID := newPatientCase(t, e, tok, "insurance")
	payer := e.MustDo(201, "POST", "/api/v1/payers", tok, map[string]any{"name": "Acme", "payer_id": "ACME1", "type": "commercial"}).Map(t)["id"].(string)
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/coverages", tok, map[string]any{
		"payer_id": payer, "priority": "primary", "member_id": "XJ123456", "effective_from": "2026-01-01"})
	encID := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/check-ins", tok, map[string]any{
		"provider_id": p.provider, "location_id": p.location, "service_date": "2026-11-02"}).Map(t)["id"].(string)
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/encounters/"+encID+"/charges", tok,
		map[string]any{"procedure_code": "99213", "diagnoses": []string{"E11.9", "I10"}, "diagnosis_pointers": []int{1, 2}})
	e.MustDo(200, "POST", "/api/v1/cases/"+caseID+"/encounters/"+encID+"/complete-charges", tok, nil)

	// The case workflow builds the claim; its workflow finds the billing provider
	// has no tax ID and waits for a fix.
	svc := &claims.Service{DB: e.DB}
	b, err := svc.Build(context.Background(), claims.BuildInput{CaseID: caseID, EncounterID: encID})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		var v struct {
			Workflow *contract.ClaimState `json:"workflow"`
		}
		e.MustDo(200, "GET", "/api/v1/claims/"+b.Claim.ID, tok, nil).JSON(t, &v)
		return v.Workflow != nil && v.Workflow.Phase == contract.PhaseNeedsFix
	}, settle, 50*time.Millisecond)
	require.NoError(t, svc.Transition(context.Background(), b.Claim.ID, claims.StageSubmitted, claims.CauseSystem, nil, audit.System))

	var list struct {
		Items []map[string]any `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/claims?case_id="+caseID+"&stage=submitted", tok, nil).JSON(t, &list)
	require.Len(t, list.Items, 1)
	assert.Equal(t, "125", list.Items[0]["total_charge"])
	e.MustDo(200, "GET", "/api/v1/claims?stage=paid", tok, nil).JSON(t, &list)
	assert.Empty(t, list.Items)
	e.MustDo(400, "GET", "/api/v1/claims?payer_id=nope&min_age_days=-1", tok, nil)

	var d struct {
		Stage    string           `json:"stage"`
		Lines    []map[string]any `json:"lines"`
		Timeline []map[string]any `json:"timeline"`
	}
	e.MustDo(200, "GET", "/api/v1/claims/"+b.Claim.ID, tok, nil).JSON(t, &d)
	assert.Equal(t, "submitted", d.Stage)
	require.Len(t, d.Lines, 1)
	require.Len(t, d.Timeline, 3)
	assert.Equal(t, "created", d.Timeline[0]["to_stage"])
	assert.Equal(t, "needs_fix", d.Timeline[1]["to_stage"])
	assert.Equal(t, "scrub", d.Timeline[1]["cause"])
	assert.Equal(t, "submitted", d.Timeline[2]["to_stage"])
	e.MustDo(404, "GET", "/api/v1/claims/00000000-0000-0000-0000-000000000000", tok, nil)

	// Nothing is stuck today; with the claim's stage aged 20 days it is.
	var stuck struct {
		Items []map[string]any `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/claims/stuck?days=14", tok, nil).JSON(t, &stuck)
	assert.Empty(t, stuck.Items)
	require.NoError(t, e.DB.Exec(`UPDATE claims SET stage_changed_at = now() - interval '20 days' WHERE id = ?`, b.Claim.ID).Error)
	e.MustDo(200, "GET", "/api/v1/claims/stuck?days=14", tok, nil).JSON(t, &stuck)
	require.Len(t, stuck.Items, 1)
	assert.EqualValues(t, 20, stuck.Items[0]["days_in_stage"])

	desk := e.NewUserToken("desk@test.local", auth.RoleFrontDesk)
	e.MustDo(403, "GET", "/api/v1/claims", desk, nil)
}
