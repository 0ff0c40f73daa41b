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

func TestInventoryRoutesReceiveAdjustAndStock(t *testing.T) {
	m := newMoneyAPI(t, auth.RoleManager)
	loc, err := m.s.records.CreateLocation(context.Background(), records.NewLocation{Name: "North",
		Address: records.Address{Address1: "1 A St", City: "C", State: "IL", Zip: "62701"}}, audit.System)
	require.NoError(t, err)

	w := m.do("POST", "/api/v1/inventory/items", map[string]any{"code": "A4550", "name": "Gauze", "unit": "pack", "cost": "1.2.3", "price": "6"}, nil)
	require.Equal(t, http.StatusBadRequest, w.Code)
	assert.Equal(t, []string{"cost"}, problemFields(t, w))

	var it itemJSON
	w = m.do("POST", "/api/v1/inventory/items", map[string]any{"code": "a4550", "name": "Gauze", "unit": "pack", "cost": "2.50", "price": 6, "reorder_level": 3}, &it)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, "A4550", it.Code)
	assert.Equal(t, "hcpcs", it.CodeKind)

	var moved struct{ Items []movementJSON }
	w = m.do("POST", "/api/v1/inventory/items/"+it.ID+"/movements", map[string]any{"kind": "received", "location_id": loc.ID, "quantity": 8}, &moved)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	require.Len(t, moved.Items, 1)
	assert.Equal(t, "20", moved.Items[0].Value.String())

	w = m.do("POST", "/api/v1/inventory/items/"+it.ID+"/movements", map[string]any{"kind": "adjusted", "location_id": loc.ID, "quantity": -9, "reason": "count"}, nil)
	require.Equal(t, http.StatusConflict, w.Code, w.Body.String())
	assert.Equal(t, []string{"quantity"}, problemFields(t, w))

	w = m.do("POST", "/api/v1/inventory/items/"+it.ID+"/movements", map[string]any{"kind": "adjusted", "location_id": loc.ID, "quantity": -6, "reason": "expired"}, nil)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())

	var stock struct {
		Rows []struct {
			Quantity     int  `json:"quantity"`
			BelowReorder bool `json:"below_reorder"`
		} `json:"rows"`
		Total       string `json:"total"`
		InAgreement bool   `json:"in_agreement"`
	}
	w = m.do("GET", "/api/v1/inventory/stock?location_id="+loc.ID, nil, &stock)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Len(t, stock.Rows, 1)
	assert.Equal(t, 2, stock.Rows[0].Quantity)
	assert.True(t, stock.Rows[0].BelowReorder)
	assert.Equal(t, "5", stock.Total)
	assert.True(t, stock.InAgreement)

	var tasks struct {
		Items []struct{ Queue, Kind string }
	}
	w = m.do("GET", "/api/v1/tasks?queue=inventory", nil, &tasks)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Len(t, tasks.Items, 1)
	assert.Equal(t, "reorder", tasks.Items[0].Kind)

	var list struct{ Items []movementJSON }
	w = m.do("GET", "/api/v1/inventory/items/"+it.ID+"/movements?location_id="+loc.ID, nil, &list)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Len(t, list.Items, 2)
	w = m.do("GET", "/api/v1/inventory/items/"+it.ID+"/movements?where=north", nil, nil)
	assert.Equal(t, http.StatusBadRequest, w.Code)

	desk := newMoneyAPI(t, auth.RoleFrontDesk)
	w = desk.do("POST", "/api/v1/inventory/items/"+it.ID+"/movements", map[string]any{"kind": "adjusted", "location_id": loc.ID, "quantity": 1, "reason": "x"}, nil)
	assert.Equal(t, http.StatusForbidden, w.Code, "adjustments are for managers")
}
