package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/testenv"
)

// problemFields returns the field names of a problem+json response.
func problemFields(t *testing.T, r testenv.Response) []string {
	t.Helper()
	var prob struct {
		Status int `json:"status"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	r.JSON(t, &prob)
	assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	assert.Equal(t, r.Status, prob.Status)
	var out []string
	for _, f := range prob.Errors {
		out = append(out, f.Field)
	}
	return out
}

func TestPayersAndCoverages(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	setupPractice(t, e)
	manager := e.NewUserToken("manager@test.local", auth.RoleManager)
	desk := e.NewUserToken("desk@test.local", auth.RoleFrontDesk)
	doc := e.NewUserToken("doc@test.local", auth.RoleProvider)

	// A manager creates payers; defaults fill the day limits.
	acme := e.MustDo(201, "POST", "/api/v1/payers", manager, map[string]any{
		"name": "Acme Health", "payer_id": "acme1", "type": "commercial",
		"address1": "PO Box 1", "city": "Chicago", "state": "il", "zip": "60601",
	}).Map(t)
	assert.Equal(t, "ACME1", acme["payer_id"])
	assert.EqualValues(t, 365, acme["timely_filing_days"])
	assert.EqualValues(t, 180, acme["appeal_window_days"])
	assert.Equal(t, "IL", acme["state"])
	medicare := e.MustDo(201, "POST", "/api/v1/payers", manager, map[string]any{
		"name": "Medicare IL", "payer_id": "00621", "type": "medicare", "timely_filing_days": 365, "appeal_window_days": 120,
	}).Map(t)
	got := e.MustDo(200, "GET", "/api/v1/payers/"+acme["id"].(string), doc, nil).Map(t)
	assert.Equal(t, "Acme Health", got["name"])
	e.MustDo(404, "GET", "/api/v1/payers/00000000-0000-0000-0000-000000000000", doc, nil)
	var payers struct {
		Items []map[string]any `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/payers?limit=10", desk, nil).JSON(t, &payers)
	require.Len(t, payers.Items, 2)
	assert.Equal(t, "Acme Health", payers.Items[0]["name"], "ordered by name")

	// Front desk may not create payers; bad payers name their fields.
	e.MustDo(403, "POST", "/api/v1/payers", desk, map[string]any{"name": "X", "payer_id": "XX1", "type": "other"})
	bad := e.MustDo(400, "POST", "/api/v1/payers", manager, map[string]any{
		"payer_id": "A", "type": "dental", "timely_filing_days": 0, "appeal_window_days": 4000, "state": "Illinois"})
	assert.Subset(t, problemFields(t, bad), []string{"name", "payer_id", "type", "timely_filing_days", "appeal_window_days", "state"})
	dup := e.MustDo(400, "POST", "/api/v1/payers", manager, map[string]any{"name": "Again", "payer_id": "ACME1", "type": "other"})
	assert.Equal(t, []string{"payer_id"}, problemFields(t, dup))

	// Front desk adds primary then secondary (added in reverse order) to an insurance case.
	_, caseID := newPatientCase(t, e, desk, "insurance")
	covs := "/api/v1/cases/" + caseID + "/coverages"
	secondary := e.MustDo(201, "POST", covs, desk, map[string]any{
		"payer_id": medicare["id"], "priority": "secondary", "member_id": "1EG4-TE5-MK72", "relationship": "spouse",
		"subscriber_first_name": "John", "subscriber_last_name": "Roe", "subscriber_date_of_birth": "1978-04-05",
		"subscriber_sex": "M", "effective_from": "2026-01-01",
	}).Map(t)
	assert.Equal(t, "1978-04-05", secondary["subscriber_date_of_birth"])
	assert.Nil(t, secondary["effective_to"])
	primary := e.MustDo(201, "POST", covs, desk, map[string]any{
		"payer_id": acme["id"], "priority": "primary", "member_id": "XYZ123456789", "group_number": "G-100",
		"effective_from": "2026-01-01", "effective_to": "2026-12-31",
	}).Map(t)
	assert.Equal(t, "self", primary["relationship"])
	assert.Equal(t, "active", primary["status"])
	assert.Equal(t, "2026-01-01", primary["effective_from"])
	assert.Equal(t, "2026-12-31", primary["effective_to"])
	assert.Nil(t, primary["subscriber_date_of_birth"])

	var list struct {
		Items []map[string]any `json:"items"`
	}
	e.MustDo(200, "GET", covs, doc, nil).JSON(t, &list)
	require.Len(t, list.Items, 2)
	assert.Equal(t, []any{"primary", "secondary"}, []any{list.Items[0]["priority"], list.Items[1]["priority"]})
	assert.Equal(t, primary["id"], list.Items[0]["id"])

	// PHI at rest: the API answers the member ID and group number as entered,
	// the database holds them sealed, and the patient is found by member ID.
	assert.Equal(t, "XYZ123456789", list.Items[0]["member_id"])
	assert.Equal(t, "G-100", list.Items[0]["group_number"])
	assert.Equal(t, "1EG4-TE5-MK72", list.Items[1]["member_id"])
	var stored []string
	require.NoError(t, e.DB.Raw(`SELECT c::text FROM coverages c WHERE case_id = ?`, caseID).Scan(&stored).Error)
	require.Len(t, stored, 2)
	for _, row := range stored {
		for _, secret := range []string{"XYZ123456789", "G-100", "1EG4-TE5-MK72"} {
			assert.NotContains(t, row, secret, "the stored coverage row holds %s in plain text", secret)
		}
		assert.Contains(t, row, "phi1:")
	}
	var found struct {
		Items []map[string]any `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/patients?member_id=1eg4te5mk72", desk, nil).JSON(t, &found)
	require.Len(t, found.Items, 1, "found by member ID, whatever its case and dashes")
	var patientID string
	require.NoError(t, e.DB.Raw(`SELECT patient_id FROM cases WHERE id = ?`, caseID).Row().Scan(&patientID))
	assert.Equal(t, patientID, found.Items[0]["id"])
	e.MustDo(200, "GET", "/api/v1/patients?member_id=NOPE-1", desk, nil).JSON(t, &found)
	assert.Empty(t, found.Items)

	// A duplicate active primary is a 400 naming priority.
	dupCov := e.MustDo(400, "POST", covs, desk, map[string]any{
		"payer_id": medicare["id"], "priority": "primary", "member_id": "OTHER-1", "effective_from": "2026-02-01"})
	assert.Equal(t, []string{"priority"}, problemFields(t, dupCov))

	// Bad coverages name their fields; a provider may not add one.
	badCov := e.MustDo(400, "POST", covs, desk, map[string]any{
		"payer_id": "nope", "priority": "first", "member_id": "!", "relationship": "child", "effective_from": "2026-05-01", "effective_to": "2026-04-01"})
	assert.Subset(t, problemFields(t, badCov), []string{"payer_id", "priority", "member_id", "subscriber_first_name",
		"subscriber_last_name", "subscriber_date_of_birth", "effective_to"})
	e.MustDo(403, "POST", covs, doc, map[string]any{"payer_id": acme["id"], "priority": "tertiary", "member_id": "T-1", "effective_from": "2026-01-01"})

	// Deactivating the primary (twice: idempotent) lets a new primary in.
	deact := covs + "/" + primary["id"].(string) + "/deactivate"
	assert.Equal(t, "inactive", e.MustDo(200, "POST", deact, desk, nil).Map(t)["status"])
	assert.Equal(t, "inactive", e.MustDo(200, "POST", deact, desk, nil).Map(t)["status"])
	e.MustDo(201, "POST", covs, desk, map[string]any{
		"payer_id": medicare["id"], "priority": "primary", "member_id": "OTHER-1", "effective_from": "2026-02-01"})
	e.MustDo(404, "POST", covs+"/00000000-0000-0000-0000-000000000000/deactivate", desk, nil)

	// A private-pay case refuses coverages on case_id; an unknown case is a 404.
	_, privateCase := newPatientCase(t, e, desk, "private")
	priv := e.MustDo(400, "POST", "/api/v1/cases/"+privateCase+"/coverages", desk, map[string]any{
		"payer_id": acme["id"], "priority": "primary", "member_id": "XYZ123456789", "effective_from": "2026-01-01"})
	assert.Equal(t, []string{"case_id"}, problemFields(t, priv))
	e.MustDo(404, "GET", "/api/v1/cases/00000000-0000-0000-0000-000000000000/coverages", desk, nil)

	// The audit log names coverages by id only: no member IDs or subscriber names.
	var changes []string
	require.NoError(t, e.DB.Raw(`SELECT coalesce(changes::text, '') FROM audit_log WHERE entity_type IN ('coverage', 'payer')`).Scan(&changes).Error)
	require.NotEmpty(t, changes)
	for _, c := range changes {
		for _, secret := range []string{"XYZ123456789", "1EG4-TE5-MK72", "OTHER-1", "John", "Roe", "1978-04-05"} {
			assert.False(t, strings.Contains(c, secret), "audit changes %s leak %s", c, secret)
		}
	}
}

func TestLocationAndProviderTaxIDsOverHTTP(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	loc := e.MustDo(201, "POST", "/api/v1/locations", e.AdminToken, map[string]any{
		"name": "Billing Office", "address1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701",
		"tax_id": "12-3456789", "taxonomy": "261QM1300X",
	}).Map(t)
	assert.Equal(t, "123456789", loc["tax_id"])
	assert.Equal(t, "261QM1300X", loc["taxonomy"])
	prov := e.MustDo(201, "POST", "/api/v1/providers", e.AdminToken, map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "npi": "1234567893", "tax_id": "987654321",
	}).Map(t)
	assert.Equal(t, "987654321", prov["tax_id"])
	bad := e.MustDo(400, "POST", "/api/v1/locations", e.AdminToken, map[string]any{
		"name": "Bad", "address1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701", "tax_id": "1234", "taxonomy": "x"})
	assert.ElementsMatch(t, []string{"tax_id", "taxonomy"}, problemFields(t, bad))
}
