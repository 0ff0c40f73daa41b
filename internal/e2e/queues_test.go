package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/testenv"
)

// TestRaisedTaskLinksItsVisitAndKeepsItsAnswer: a task a workflow raises (the
// missing-charges task, through its activity) links the patient and location of
// its visit and has an SLA due time; answering it through the task records the
// outcome, note and who answered in its history; answering it again is a 409,
// not a wait on a workflow that no longer waits.
func TestRaisedTaskLinksItsVisitAndKeepsItsAnswer(t *testing.T) {
	e := testenv.New(t, testenv.Options{MissingChargesAfter: time.Second})
	p := setupPractice(t, e)
	patient, caseID := newPatientCase(t, e, e.AdminToken, "private")
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/check-ins", e.AdminToken, map[string]any{
		"provider_id": p.provider, "location_id": p.location})
	var task map[string]any
	require.Eventually(t, func() bool {
		var body struct {
			Items []map[string]any `json:"items"`
			Total int              `json:"total"`
		}
		e.MustDo(200, "GET", "/api/v1/tasks?queue=charges&location_id="+p.location+"&patient_id="+patient, e.AdminToken, nil).JSON(t, &body)
		if len(body.Items) == 1 && body.Total == 1 {
			task = body.Items[0]
		}
		return task != nil
	}, settle, 200*time.Millisecond, "the missing-charges task appears, found by its visit's location and patient")
	assert.Equal(t, patient, task["patient_id"])
	assert.Equal(t, p.location, task["location_id"])
	assert.NotEmpty(t, task["due_at"], "due by the charges queue's SLA")

	biller := e.NewUserToken("q@test.local", auth.RoleBiller)
	id := task["id"].(string)
	claimed := e.MustDo(200, "POST", "/api/v1/tasks/claim-next", biller, map[string]any{"queue": "charges"}).Map(t)
	require.Equal(t, id, claimed["id"])
	e.MustDo(200, "POST", "/api/v1/tasks/"+id+"/complete", biller, map[string]any{
		"outcome": map[string]any{"no_charge_reason": "left before being seen"}, "note": "patient left"})

	got := e.MustDo(200, "GET", "/api/v1/tasks/"+id, biller, nil).Map(t)
	assert.Equal(t, "done", got["status"])
	assert.Equal(t, "patient left", got["note"])
	assert.Equal(t, map[string]any{"no_charge_reason": "left before being seen"}, got["outcome"])
	var evs struct {
		Items []struct {
			Kind    string  `json:"kind"`
			ActorID *string `json:"actor_id"`
		} `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/tasks/"+id+"/events", biller, nil).JSON(t, &evs)
	var kinds []string
	for _, ev := range evs.Items {
		kinds = append(kinds, ev.Kind)
	}
	assert.Equal(t, []string{"created", "claimed", "completed"}, kinds)

	r := e.Do("POST", "/api/v1/tasks/"+id+"/complete", biller, map[string]any{
		"outcome": map[string]any{"no_charge_reason": "again"}})
	assert.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
}
