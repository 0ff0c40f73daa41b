package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/testenv"
)

// TestBadTextIsAFieldLevel400 covers issue 8's "Bad input": NUL bytes and
// control characters in a text field or a query parameter, and strings of about
// 1 MB, used to reach PostgreSQL and answer 500; unknown query parameters were
// silently ignored (GET /cases?location_id=… listed every case) and an unknown
// task queue answered 204 like an empty one. Each is a 400 naming the field, and
// nothing is written.
func TestBadTextIsAFieldLevel400(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := setupPractice(t, e)
	tok := e.AdminToken
	_, caseID := newPatientCase(t, e, tok, "private")
	encID := checkIn(t, e, tok, p, caseID)
	charges := "/api/v1/cases/" + caseID + "/encounters/" + encID + "/charges"
	var payer string
	{
		payer = e.MustDo(201, "POST", "/api/v1/payers", tok, map[string]any{"name": "Acme Health", "payer_id": "ACME1",
			"type": "commercial"}).Map(t)["id"].(string)
	}
	nul, huge := "Ann\x00e", strings.Repeat("x", 1<<20-100)
	long := strings.Repeat("é", 201)

	cases := []struct {
		name, method, path string
		body               any
		want               []string
	}{
		{"NUL in a patient name", "POST", "/api/v1/patients", map[string]any{"first_name": nul, "last_name": "Roe",
			"date_of_birth": "1980-02-03"}, []string{"first_name"}},
		{"control character in an address", "POST", "/api/v1/patients", map[string]any{"first_name": "A", "last_name": "Roe",
			"date_of_birth": "1980-02-03", "address1": "1 Main\x1bSt", "city": "X", "state": "IL", "zip": "62701"}, []string{"address1"}},
		{"201 characters", "POST", "/api/v1/patients", map[string]any{"first_name": long, "last_name": "Roe",
			"date_of_birth": "1980-02-03"}, []string{"first_name"}},
		{"1 MB case title", "POST", "/api/v1/cases", map[string]any{"patient_id": "00000000-0000-0000-0000-000000000000",
			"kind": "private", "title": huge[:1<<19]}, []string{"title"}},
		{"NUL in a location", "POST", "/api/v1/locations", map[string]any{"name": nul, "address1": "1 Main St",
			"city": "Springfield", "state": "IL", "zip": "62701"}, []string{"name"}},
		{"NUL in a provider", "POST", "/api/v1/providers", map[string]any{"first_name": "Ada", "last_name": nul,
			"npi": "1234567893"}, []string{"last_name"}},
		{"NUL in a payer", "POST", "/api/v1/payers", map[string]any{"name": nul, "payer_id": "ACME2", "type": "commercial"}, []string{"name"}},
		{"NUL in a fee schedule item", "POST", "/api/v1/fee-schedules", map[string]any{"name": "B", "items": []map[string]any{
			{"procedure_code": "99213", "price": "1", "description": nul}}}, []string{"items[0].description"}},
		{"NUL in a user", "POST", "/api/v1/users", map[string]any{"email": "a@b.c", "name": nul, "role": "biller"}, []string{"name"}},
		{"NUL in a coverage", "POST", "/api/v1/cases/" + caseID + "/coverages", map[string]any{"payer_id": payer,
			"priority": "primary", "member_id": nul, "relationship": "self"}, []string{"member_id"}},
		{"NUL in a diagnosis", "POST", charges, map[string]any{"procedure_code": "99213", "diagnoses": []string{"E11.9", nul}},
			[]string{"diagnoses[1]"}},
		{"NUL in a payment reference", "POST", "/api/v1/cases/" + caseID + "/payments", map[string]any{"amount": "5",
			"method": "cash", "reference": nul}, []string{"reference"}},
		{"a long note is fine, a too long one is not", "POST", "/api/v1/cases/" + caseID + "/adjustments",
			map[string]any{"amount": "5", "reason": strings.Repeat("r", 2001)}, []string{"reason"}},
		{"NUL in a query", "GET", "/api/v1/patients?q=" + url.QueryEscape(nul), nil, []string{"q"}},
		{"long query", "GET", "/api/v1/claims?stage=" + strings.Repeat("s", 201), nil, []string{"stage"}},
		{"NUL in a query of a detail route", "GET", "/api/v1/cases/" + caseID + "?x=%00", nil, []string{"x"}},
		{"unknown filter on cases", "GET", "/api/v1/cases?location_id=" + p.location, nil, []string{"location_id"}},
		{"unknown filter on tasks", "GET", "/api/v1/tasks?queue=charges&colour=red", nil, []string{"colour"}},
		{"unknown filter on a plain list", "GET", "/api/v1/payers?name=acme", nil, []string{"name"}},
		{"unknown queue", "POST", "/api/v1/tasks/claim-next", map[string]any{"queue": "nonsense"}, []string{"queue"}},
		{"unknown queue filter", "GET", "/api/v1/tasks?queue=nonsense", nil, []string{"queue"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(tc.method, tc.path, tok, tc.body)
			require.Equal(t, http.StatusBadRequest, r.Status, "%.300s", r.Body)
			got := problemFields(t, r)
			for _, f := range tc.want {
				assert.Contains(t, got, f, "%.300s", r.Body)
			}
		})
	}

	// Known filters still work; a note up to its limit is taken.
	e.MustDo(200, "GET", "/api/v1/cases?kind=private&limit=5", tok, nil)
	e.MustDo(200, "GET", "/api/v1/tasks?queue=charges&status=open", tok, nil)
	e.MustDo(204, "POST", "/api/v1/tasks/claim-next", tok, map[string]any{"queue": "charges"})
	e.MustDo(201, "POST", "/api/v1/patients", tok, map[string]any{"first_name": "Zoë\tAnn", "last_name": strings.Repeat("é", 200),
		"date_of_birth": "1980-02-03"})

	for _, table := range []string{"payments", "adjustments", "charges", "locations", "providers"} {
		var n int64
		require.NoError(t, e.DB.Table(table).Count(&n).Error)
		if table == "locations" || table == "providers" {
			assert.EqualValues(t, 1, n, "%s: only the practice's own", table)
		} else {
			assert.Zero(t, n, table)
		}
	}
}
