package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/testenv"
)

// auditChange is an audit row's changes: the fields before and after.
type auditChange struct {
	Action  string `json:"action"`
	ActorID string `json:"actor_id"`
	Changes struct {
		Before map[string]any `json:"before"`
		After  map[string]any `json:"after"`
	} `json:"changes"`
}

// lastAudit is the newest audit row of an entity with the action.
func lastAudit(t *testing.T, e *testenv.Env, entityType, id, action string) (auditChange, string) {
	t.Helper()
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/audit?entity_type="+entityType+"&entity_id="+id, e.AdminToken, nil).JSON(t, &list)
	for _, raw := range list.Items {
		var a auditChange
		require.NoError(t, json.Unmarshal(raw, &a))
		if a.Action == action {
			return a, string(raw)
		}
	}
	t.Fatalf("no %s audit row for %s %s", action, entityType, id)
	return auditChange{}, ""
}

// TestUpdatesAreAuditedWithValuesBeforeAndAfter is issue 8's "audit rows for
// updates carry the values before and after (PHI masked)": a patient edit, a
// coverage deactivation, a user's locations and disabling, task assignment,
// release and snooze, legal details, contact preferences, a team and a
// state's statute-of-limitations years.
func TestUpdatesAreAuditedWithValuesBeforeAndAfter(t *testing.T) {
	sink, err := dunning.StartMailSink("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sink.Close() })
	e := testenv.New(t, testenv.Options{Dunning: &testenv.DunningOptions{SMTPAddr: sink.Addr()}})
	p := setupPractice(t, e)
	tok := e.AdminToken
	desk := e.NewUserToken("desk@test.local", auth.RoleFrontDesk)
	manager := e.NewUserToken("manager@test.local", auth.RoleManager)
	patient, caseID := newPatientCase(t, e, desk, "mva")

	t.Run("patient edit: changed fields only, PHI masked", func(t *testing.T) {
		before := e.MustDo(200, "GET", "/api/v1/patients/"+patient, desk, nil).Map(t)
		got := e.MustDo(200, "PATCH", "/api/v1/patients/"+patient, desk, map[string]any{
			"last_name": "Doe-Smith", "phone": "555-0199", "sex": "F", "location_id": p.location}).Map(t)
		assert.Equal(t, "Doe-Smith", got["last_name"])
		assert.Equal(t, before["first_name"], got["first_name"], "absent fields keep their value")
		a, raw := lastAudit(t, e, "patient", patient, "patient.update")
		assert.Equal(t, map[string]any{"last_name": "[masked]", "phone": nil, "sex": "U", "location_id": nil}, a.Changes.Before,
			"an empty value shows as null, a PHI value as [masked]")
		assert.Equal(t, map[string]any{"last_name": "[masked]", "phone": "[masked]", "sex": "F", "location_id": p.location}, a.Changes.After)
		for _, phi := range []string{"Roe", "Doe-Smith", "555-0199", "555-0100"} {
			assert.NotContains(t, raw, phi, "the audit row holds no PHI value")
		}
		// Bad input changes nothing; the same values again write no row.
		e.MustDo(400, "PATCH", "/api/v1/patients/"+patient, desk, map[string]any{"date_of_birth": "2999-01-01", "email": "nope"})
		e.MustDo(200, "PATCH", "/api/v1/patients/"+patient, desk, map[string]any{"last_name": "Doe-Smith"})
		var n int64
		require.NoError(t, e.DB.Table("audit_log").Where("entity_id = ? AND action = 'patient.update'", patient).Count(&n).Error)
		assert.EqualValues(t, 1, n)
	})

	t.Run("coverage deactivation", func(t *testing.T) {
		payer := e.MustDo(201, "POST", "/api/v1/payers", tok, map[string]any{"name": "Auto Ins", "payer_id": "AUTO1", "type": "auto"}).Map(t)["id"].(string)
		cov := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/coverages", desk, map[string]any{
			"payer_id": payer, "priority": "primary", "member_id": "SECRET99", "effective_from": "2026-01-01"}).Map(t)["id"].(string)
		e.MustDo(200, "POST", "/api/v1/cases/"+caseID+"/coverages/"+cov+"/deactivate", desk, nil)
		a, raw := lastAudit(t, e, "coverage", cov, "coverage.deactivate")
		assert.Equal(t, map[string]any{"status": "active"}, a.Changes.Before)
		assert.Equal(t, map[string]any{"status": "inactive"}, a.Changes.After)
		assert.NotContains(t, raw, "SECRET99")
	})

	t.Run("legal details", func(t *testing.T) {
		atty := e.MustDo(201, "POST", "/api/v1/contacts", desk, map[string]any{"kind": "attorney", "name": "Saul"}).Map(t)["id"].(string)
		insurer := e.MustDo(201, "POST", "/api/v1/payers", tok, map[string]any{"name": "Auto Mutual", "payer_id": "AUTO2", "type": "auto"}).Map(t)["id"].(string)
		injury := time.Now().UTC().AddDate(0, 0, -3).Format(time.DateOnly)
		e.MustDo(200, "PUT", "/api/v1/cases/"+caseID+"/legal", desk, map[string]any{"date_of_injury": injury, "accident_state": "IL", "insurer_id": insurer,
			"insurer_claim_number": "CLM-778899", "contacts": []map[string]any{{"role": "patient_attorney", "contact_id": atty}}})
		first, _ := lastAudit(t, e, "case", caseID, "case.legal")
		require.NotEmpty(t, first.Changes.After)
		for k, v := range first.Changes.Before {
			assert.Nil(t, v, "nothing was there before: %s", k)
		}
		assert.Equal(t, "[masked]", first.Changes.After["date_of_injury"])
		assert.Equal(t, "IL", first.Changes.After["accident_state"])

		e.MustDo(200, "PUT", "/api/v1/cases/"+caseID+"/legal", desk, map[string]any{"date_of_injury": injury, "accident_state": "WI", "insurer_id": insurer,
			"insurer_claim_number": "CLM-112233", "contacts": []map[string]any{{"role": "patient_attorney", "contact_id": atty}}})
		a, raw := lastAudit(t, e, "case", caseID, "case.legal")
		assert.Equal(t, "IL", a.Changes.Before["accident_state"])
		assert.Equal(t, "WI", a.Changes.After["accident_state"])
		assert.Equal(t, "[masked]", a.Changes.Before["insurer_claim_number"])
		assert.Equal(t, "[masked]", a.Changes.After["insurer_claim_number"])
		assert.Contains(t, a.Changes.After, "sol_date", "the SOL date moved with the state")
		assert.NotContains(t, a.Changes.After, "date_of_injury", "an unchanged field is not listed")
		assert.NotContains(t, a.Changes.After, "contacts")
		for _, phi := range []string{"CLM-778899", "CLM-112233", injury} {
			assert.NotContains(t, raw, phi)
		}
		// The claim number is sealed at rest; what the audit keeps is the
		// mask, never the sealed value either.
		var sealedInAudit int64
		require.NoError(t, e.DB.Raw(`SELECT count(*) FROM audit_log WHERE changes::text LIKE '%phi1:%'`).Scan(&sealedInAudit).Error)
		assert.Zero(t, sealedInAudit)
		var stored string
		require.NoError(t, e.DB.Raw(`SELECT insurer_claim_number FROM legal_cases WHERE case_id = ?`, caseID).Row().Scan(&stored))
		assert.Regexp(t, `^phi1:`, stored)
	})

	t.Run("contact preferences", func(t *testing.T) {
		e.MustDo(200, "PUT", "/api/v1/patients/"+patient+"/contact-preferences", desk, map[string]any{"sms_ok": false})
		e.MustDo(200, "PUT", "/api/v1/patients/"+patient+"/contact-preferences", desk, map[string]any{"sms_ok": true, "time_zone": "America/Denver"})
		a, _ := lastAudit(t, e, "patient", patient, "contact_prefs.set")
		assert.Equal(t, false, a.Changes.Before["sms_ok"])
		assert.Equal(t, true, a.Changes.After["sms_ok"])
		assert.Equal(t, "America/Denver", a.Changes.After["time_zone"])
	})

	t.Run("users: locations and disabling", func(t *testing.T) {
		biller := e.MustDo(201, "POST", "/api/v1/users", tok, map[string]any{"email": "b@test.local", "name": "B", "role": "biller"}).Map(t)["id"].(string)
		u := e.MustDo(200, "PUT", "/api/v1/users/"+biller+"/locations", tok, map[string]any{"location_ids": []string{p.location}}).Map(t)
		assert.Equal(t, []any{p.location}, u["location_ids"])
		assert.Equal(t, false, u["all_locations"])
		a, _ := lastAudit(t, e, "user", biller, "user.locations")
		assert.Equal(t, map[string]any{"all_locations": true, "location_ids": nil}, a.Changes.Before)
		assert.Equal(t, map[string]any{"all_locations": false, "location_ids": []any{p.location}}, a.Changes.After)

		e.MustDo(200, "POST", "/api/v1/users/"+biller+"/disable", tok, nil)
		a, _ = lastAudit(t, e, "user", biller, "user.disable")
		assert.Equal(t, map[string]any{"disabled": false}, a.Changes.Before)
		assert.Equal(t, map[string]any{"disabled": true}, a.Changes.After)
	})

	t.Run("task assignment, release and snooze", func(t *testing.T) {
		biller := e.MustDo(201, "POST", "/api/v1/users", tok, map[string]any{"email": "worker@test.local", "name": "W", "role": "biller"}).Map(t)["id"].(string)
		id, err := (&tasks.Service{DB: e.DB}).Ensure(context.Background(), tasks.NewTask{Queue: "follow-up", Kind: "manual",
			BusinessKey: "audit-test", CaseID: caseID, Title: "call the insurer"})
		require.NoError(t, err)
		e.MustDo(200, "POST", "/api/v1/tasks/"+id+"/assign", manager, map[string]any{"user_id": biller})
		a, _ := lastAudit(t, e, "task", id, "task.assign")
		assert.Equal(t, map[string]any{"status": "open", "assignee_id": nil}, a.Changes.Before)
		assert.Equal(t, map[string]any{"status": "claimed", "assignee_id": biller}, a.Changes.After)

		until := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)
		e.MustDo(200, "POST", "/api/v1/tasks/"+id+"/snooze", manager, map[string]any{"until": until.Format(time.RFC3339)})
		a, _ = lastAudit(t, e, "task", id, "task.snooze")
		assert.Equal(t, "claimed", a.Changes.Before["status"])
		assert.Equal(t, "snoozed", a.Changes.After["status"])
		assert.Nil(t, a.Changes.Before["snoozed_until"])
		assert.NotNil(t, a.Changes.After["snoozed_until"])
		assert.NotContains(t, a.Changes.After, "assignee_id", "the holder did not change")
	})

	t.Run("team and SOL years", func(t *testing.T) {
		team := e.MustDo(201, "POST", "/api/v1/teams", manager, map[string]any{"name": "Denials", "queues": []string{"denials"}}).Map(t)["id"].(string)
		e.MustDo(200, "PATCH", "/api/v1/teams/"+team, manager, map[string]any{"name": "Denials and appeals"})
		a, _ := lastAudit(t, e, "team", team, "team.update")
		assert.Equal(t, map[string]any{"name": "Denials"}, a.Changes.Before)
		assert.Equal(t, map[string]any{"name": "Denials and appeals"}, a.Changes.After)

		years := e.MustDo(200, "GET", "/api/v1/legal/sol-years", desk, nil).Body
		require.True(t, strings.Contains(string(years), `"NY"`), "the SOL table has NY")
		e.MustDo(200, "PUT", "/api/v1/legal/sol-years/NY", manager, map[string]any{"years": 4})
		a, _ = lastAudit(t, e, "sol_years", "NY", "sol_years.update")
		assert.NotNil(t, a.Changes.Before["years"])
		assert.EqualValues(t, 4, a.Changes.After["years"])
	})
}
