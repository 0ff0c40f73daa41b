package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/records"
)

func TestPackageAndPromotionRoutes(t *testing.T) {
	m := newMoneyAPI(t, auth.RoleManager)
	pat, err := m.s.records.CreatePatient(context.Background(), records.NewPatient{FirstName: "J", LastName: "R", DateOfBirth: "1990-01-01"}, audit.System)
	require.NoError(t, err)

	w := m.do("POST", "/api/v1/packages", map[string]any{"name": "10 physio", "procedure_code": "97110", "sessions": 0, "price": "500", "expiry_rule": "keep"}, nil)
	require.Equal(t, http.StatusBadRequest, w.Code)
	assert.ElementsMatch(t, []string{"sessions", "expiry_rule"}, problemFields(t, w))
	var plan struct{ ID string }
	w = m.do("POST", "/api/v1/packages", map[string]any{"name": "10 physio", "procedure_code": "97110", "sessions": 10, "price": "500", "expiry_rule": "refund"}, &plan)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())

	var sold packageJSON
	w = m.do("POST", "/api/v1/patients/"+pat.ID+"/packages", map[string]any{"plan_id": plan.ID, "method": "card"}, &sold)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, "50", sold.UnitPrice.String())
	assert.Equal(t, "500", sold.CreditLeft.String())
	var list struct{ Items []packageJSON }
	w = m.do("GET", "/api/v1/patients/"+pat.ID+"/packages", nil, &list)
	require.Equal(t, http.StatusOK, w.Code)
	require.Len(t, list.Items, 1)
	assert.Equal(t, "active", list.Items[0].Status)
	w = m.do("GET", "/api/v1/patients/6f1c3f0e-0000-4000-8000-000000000000/packages", nil, nil)
	assert.Equal(t, http.StatusNotFound, w.Code)

	var exp struct{ Expired int }
	w = m.do("POST", "/api/v1/packages/expire", nil, &exp)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, 0, exp.Expired)

	w = m.do("POST", "/api/v1/promotions", map[string]any{"name": "Seniors", "kind": "percent", "value": 10, "patient_group": "seniors", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}, nil)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	w = m.do("POST", "/api/v1/promotions", map[string]any{"name": "Bad", "kind": "percent", "value": 110, "starts_on": "2026-01-01", "ends_on": "2025-12-31"}, nil)
	require.Equal(t, http.StatusBadRequest, w.Code)
	assert.ElementsMatch(t, []string{"value", "ends_on"}, problemFields(t, w))
	w = m.do("POST", "/api/v1/promotions/groups/seniors/members", map[string]any{"patient_id": pat.ID}, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = m.do("POST", "/api/v1/promotions/groups/seniors/members", map[string]any{"patient_id": "nobody"}, nil)
	require.Equal(t, http.StatusBadRequest, w.Code)
	assert.Equal(t, []string{"patient_id"}, problemFields(t, w))
}
