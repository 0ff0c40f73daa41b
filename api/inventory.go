package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/inventory"
)

func (s *Server) inventory() *inventory.Service { return &inventory.Service{DB: s.DB} }

// itemJSON is an inventory item as the API shows it.
type itemJSON struct {
	ID            string          `json:"id"`
	Code          string          `json:"code"`
	CodeKind      string          `json:"code_kind"`
	Name          string          `json:"name"`
	Category      string          `json:"category"`
	Unit          string          `json:"unit"`
	Cost          decimal.Decimal `json:"cost"`
	Price         decimal.Decimal `json:"price"`
	ReorderLevel  int             `json:"reorder_level"`
	AllowNegative bool            `json:"allow_negative"`
	Active        bool            `json:"active"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

func showItem(r inventory.Item) itemJSON {
	return itemJSON{ID: r.ID, Code: r.Code, CodeKind: r.CodeKind, Name: r.Name, Category: r.Category, Unit: r.Unit,
		Cost: r.Cost, Price: r.Price, ReorderLevel: r.ReorderLevel, AllowNegative: r.AllowNegative, Active: r.Active,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// itemRequest is a new inventory item.
type itemRequest struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	Category      string `json:"category"`
	Unit          string `json:"unit"`
	Cost          Amount `json:"cost"`
	Price         Amount `json:"price"`
	ReorderLevel  int    `json:"reorder_level"`
	AllowNegative bool   `json:"allow_negative"`
}

// itemChangeRequest changes an item; absent fields stay.
type itemChangeRequest struct {
	Name          *string `json:"name"`
	Cost          *Amount `json:"cost"`
	Price         *Amount `json:"price"`
	ReorderLevel  *int    `json:"reorder_level"`
	AllowNegative *bool   `json:"allow_negative"`
	Active        *bool   `json:"active"`
}

func (s *Server) listItems(c *gin.Context) {
	listed(c, s, s.inventory().ListItems, showItem)
}

func (s *Server) createItem(c *gin.Context) {
	var in itemRequest
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusCreated)(shown(showItem)(s.inventory().CreateItem(c.Request.Context(), inventory.NewItem{
		Code: in.Code, Name: in.Name, Category: in.Category, Unit: in.Unit, Cost: in.Cost.Decimal, Price: in.Price.Decimal,
		ReorderLevel: in.ReorderLevel, AllowNegative: in.AllowNegative}, actor(c))))
}

func (s *Server) getItem(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	respond(c, s, http.StatusOK)(shown(showItem)(s.inventory().GetItem(c.Request.Context(), c.Param("id"))))
}

func (s *Server) updateItem(c *gin.Context) {
	var in itemChangeRequest
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusOK)(shown(showItem)(s.inventory().UpdateItem(c.Request.Context(), c.Param("id"), inventory.ItemChange{
		Name: in.Name, Cost: ptrDecimal(in.Cost), Price: ptrDecimal(in.Price), ReorderLevel: in.ReorderLevel,
		AllowNegative: in.AllowNegative, Active: in.Active}, actor(c))))
}

// movementJSON is a stock movement as the API shows it.
type movementJSON struct {
	ID         string          `json:"id"`
	ItemID     string          `json:"item_id"`
	LocationID string          `json:"location_id"`
	Kind       string          `json:"kind"`
	Quantity   int             `json:"quantity"`
	Value      decimal.Decimal `json:"value"`
	Reason     string          `json:"reason"`
	ChargeID   *string         `json:"charge_id"`
	TransferID *string         `json:"transfer_id"`
	CreatedBy  *string         `json:"created_by"`
	CreatedAt  time.Time       `json:"created_at"`
}

func showMovement(m inventory.Movement) movementJSON {
	return movementJSON{ID: m.ID, ItemID: m.ItemID, LocationID: m.LocationID, Kind: m.Kind, Quantity: m.Quantity, Value: m.Value,
		Reason: m.Reason, ChargeID: m.ChargeID, TransferID: m.TransferID, CreatedBy: m.CreatedBy, CreatedAt: m.CreatedAt}
}

// movementRequest records stock received, adjusted or transferred.
type movementRequest struct {
	Kind         string  `json:"kind"`
	LocationID   string  `json:"location_id"`
	ToLocationID string  `json:"to_location_id"`
	Quantity     int     `json:"quantity"`
	UnitCost     *Amount `json:"unit_cost"`
	Reason       string  `json:"reason" maxlen:"2000"`
}

func (s *Server) listMovements(c *gin.Context) {
	if !onlyQuery(c, "location_id") {
		return
	}
	limit, ok := limitParam(c)
	if !ok {
		return
	}
	ms, err := s.inventory().Movements(c.Request.Context(), inventory.MovementFilter{ItemID: c.Param("id"),
		LocationID: c.Query("location_id"), Limit: limit})
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]movementJSON, len(ms))
	for i, m := range ms {
		out[i] = showMovement(m)
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

func (s *Server) recordMovement(c *gin.Context) {
	var in movementRequest
	if !bind(c, &in) {
		return
	}
	if in.Kind == inventory.Adjusted && !slices.Contains(managers, user(c).Role) {
		problem(c, http.StatusForbidden, ProblemForbidden, "Forbidden", "stock adjustments are for managers and admins")
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	ms, err := s.inventory().Move(c.Request.Context(), c.Param("id"), inventory.MoveInput{Kind: in.Kind, LocationID: in.LocationID,
		ToLocationID: in.ToLocationID, Quantity: in.Quantity, UnitCost: ptrDecimal(in.UnitCost), Reason: in.Reason,
		IdempotencyKey: key}, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]movementJSON, len(ms))
	for i, m := range ms {
		out[i] = showMovement(m)
	}
	c.JSON(http.StatusCreated, gin.H{"items": out})
}

func (s *Server) stockReport(c *gin.Context) {
	if !checkQuery(c, []string{"location_id", "item_id"}) {
		return
	}
	respond(c, s, http.StatusOK)(s.inventory().Stock(c.Request.Context(), inventory.StockFilter{
		LocationID: c.Query("location_id"), ItemID: c.Query("item_id")}))
}

// inventoryValuation compares each location's stock value with its inventory
// balance in the ledger, to the cent.
func (s *Server) inventoryValuation(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	respond(c, s, http.StatusOK)(s.inventory().Valuation(c.Request.Context()))
}
