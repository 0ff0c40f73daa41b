package inventory_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/inventory"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/tasks"
)

type clinic struct {
	db           *gorm.DB
	inv          *inventory.Service
	bill         *billing.Service
	north, south string
	caseID       string
	visit        string // at north
}

func newClinic(t *testing.T) clinic {
	g := pgtest.New(t)
	ctx := context.Background()
	rs := &records.Service{DB: g}
	c := clinic{db: g, inv: &inventory.Service{DB: g}, bill: &billing.Service{DB: g}}
	for _, name := range []string{"North", "South"} {
		loc, err := rs.CreateLocation(ctx, records.NewLocation{Name: name, Address: records.Address{Address1: "1 A St", City: "C", State: "IL", Zip: "62701"}}, audit.System)
		require.NoError(t, err)
		if name == "North" {
			c.north = loc.ID
		} else {
			c.south = loc.ID
		}
	}
	prov, err := rs.CreateProvider(ctx, records.NewProvider{FirstName: "A", LastName: "B", NPI: "1234567893"}, audit.System)
	require.NoError(t, err)
	_, err = rs.CreateFeeSchedule(ctx, records.NewFeeSchedule{Name: "S", IsDefault: true, Items: []records.NewFeeItem{
		{ProcedureCode: "99213", Price: decimal.RequireFromString("100.00")}}}, audit.System)
	require.NoError(t, err)
	pat, err := rs.CreatePatient(ctx, records.NewPatient{FirstName: "J", LastName: "R", DateOfBirth: "1990-01-01"}, audit.System)
	require.NoError(t, err)
	cs, err := (&cases.Service{DB: g}).Create(ctx, cases.New{PatientID: pat.ID, Kind: cases.Private}, audit.System)
	require.NoError(t, err)
	c.caseID, c.visit = cs.ID, uuid.NewString()
	require.NoError(t, c.bill.RecordEncounter(ctx, billing.EncounterInput{EncounterID: c.visit, CaseID: cs.ID, ProviderID: prov.ID,
		LocationID: c.north, ServiceDate: "2026-11-02", CheckedInAt: time.Now()}))
	return c
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func (c clinic) item(t *testing.T, code string, reorder int) inventory.Item {
	it, err := c.inv.CreateItem(context.Background(), inventory.NewItem{Code: code, Name: "Gauze 4x4", Unit: "pack",
		Cost: d("2.50"), Price: d("6.00"), ReorderLevel: reorder}, audit.System)
	require.NoError(t, err)
	return it
}

func (c clinic) move(t *testing.T, it inventory.Item, in inventory.MoveInput) []inventory.Movement {
	ms, err := c.inv.Move(context.Background(), it.ID, in, audit.System)
	require.NoError(t, err)
	return ms
}

func (c clinic) charge(t *testing.T, code string, units int) (string, error) {
	id := uuid.NewString()
	_, err := c.bill.CaptureCharge(context.Background(), billing.ChargeInput{ChargeID: id, CaseID: c.caseID, EncounterID: c.visit,
		ProcedureCode: code, Units: units, Diagnoses: []string{"S61.411A"}})
	return id, err
}

func (c clinic) balance(t *testing.T, a ledger.Account) string {
	var v decimal.Decimal
	require.NoError(t, c.db.Raw(`SELECT coalesce(sum(amount), 0) FROM journal_lines WHERE account_code = ?`, a).Scan(&v).Error)
	return v.StringFixed(2)
}

func (c clinic) stock(t *testing.T) inventory.StockReport {
	r, err := c.inv.Stock(context.Background(), inventory.StockFilter{})
	require.NoError(t, err)
	require.True(t, r.InAgreement, "stock value %s, inventory account %s", r.Total, r.InventoryAccount)
	bad, err := ledger.CheckAll(c.db)
	require.NoError(t, err)
	require.Empty(t, bad)
	return r
}

func (c clinic) at(t *testing.T, r inventory.StockReport, loc string) (int, string) {
	for _, row := range r.Rows {
		if row.LocationID == loc {
			return row.Quantity, row.Value.StringFixed(2)
		}
	}
	return 0, "0.00"
}

func TestStockMovesAndTheInventoryAccount(t *testing.T) {
	c := newClinic(t)
	it := c.item(t, "a4550", 0)
	assert.Equal(t, "A4550", it.Code)
	assert.Equal(t, inventory.CodeHCPCS, it.CodeKind)
	c.move(t, it, inventory.MoveInput{Kind: inventory.Received, LocationID: c.north, Quantity: 10})
	cost := d("3.10")
	c.move(t, it, inventory.MoveInput{Kind: inventory.Received, LocationID: c.north, Quantity: 5, UnitCost: &cost})
	r := c.stock(t)
	q, v := c.at(t, r, c.north)
	assert.Equal(t, 15, q)
	assert.Equal(t, "40.50", v)

	// Transfer: the average cost goes with the units; the account does not move.
	ms := c.move(t, it, inventory.MoveInput{Kind: "transferred", LocationID: c.north, ToLocationID: c.south, Quantity: 4})
	require.Len(t, ms, 2)
	assert.Equal(t, "-10.80", ms[0].Value.StringFixed(2))
	assert.Equal(t, "10.80", ms[1].Value.StringFixed(2))
	c.move(t, it, inventory.MoveInput{Kind: inventory.Adjusted, LocationID: c.south, Quantity: -1, Reason: "damaged"})
	c.move(t, it, inventory.MoveInput{Kind: inventory.Adjusted, LocationID: c.north, Quantity: 2, Reason: "count found two more"})

	r = c.stock(t)
	q, v = c.at(t, r, c.north)
	assert.Equal(t, 13, q)
	assert.Equal(t, "34.70", v) // 29.70 + 2 x 2.50
	q, v = c.at(t, r, c.south)
	assert.Equal(t, 3, q)
	assert.Equal(t, "8.10", v) // 10.80 - 2.70
	assert.Equal(t, "42.80", r.Total.StringFixed(2))
	assert.Equal(t, "42.80", c.balance(t, ledger.Inventory))
	assert.Equal(t, "-40.50", c.balance(t, ledger.AccountsPayable))
	assert.Equal(t, "-2.30", c.balance(t, ledger.InventoryAdjustments))
	assert.Equal(t, "8.10", r.ValueByLocation[c.south].StringFixed(2))

	// Bad input names the fields and writes nothing.
	var before int64
	require.NoError(t, c.db.Table("inventory_movements").Count(&before).Error)
	_, err := c.inv.Move(context.Background(), it.ID, inventory.MoveInput{Kind: inventory.Adjusted, LocationID: c.north, Quantity: -1}, audit.System)
	assert.Equal(t, "reason", apperr.Fields(err)[0].Field)
	_, err = c.inv.Move(context.Background(), it.ID, inventory.MoveInput{Kind: inventory.Consumed, LocationID: c.north, Quantity: 1}, audit.System)
	assert.Equal(t, "kind", apperr.Fields(err)[0].Field)
	_, err = c.inv.Move(context.Background(), it.ID, inventory.MoveInput{Kind: "transferred", LocationID: c.south, ToLocationID: c.north, Quantity: 4}, audit.System)
	require.ErrorIs(t, err, inventory.ErrOutOfStock)
	assert.Equal(t, "quantity", apperr.Fields(err)[0].Field)
	var after int64
	require.NoError(t, c.db.Table("inventory_movements").Count(&after).Error)
	assert.Equal(t, before, after)

	// The same idempotency key records once.
	in := inventory.MoveInput{Kind: inventory.Received, LocationID: c.south, Quantity: 1, IdempotencyKey: "delivery-17"}
	a := c.move(t, it, in)
	b := c.move(t, it, in)
	assert.Equal(t, a[0].ID, b[0].ID)
	assert.Equal(t, "45.30", c.stock(t).Total.StringFixed(2))
}

func TestChargeConsumesStockAndVoidReturnsIt(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	it := c.item(t, "A4550", 0)
	c.move(t, it, inventory.MoveInput{Kind: inventory.Received, LocationID: c.north, Quantity: 10})

	id, err := c.charge(t, "A4550", 3)
	require.NoError(t, err)
	var ch billing.Charge
	require.NoError(t, c.db.Where("id = ?", id).First(&ch).Error)
	assert.Equal(t, "18.00", ch.Amount.StringFixed(2), "priced by the item when the fee schedule has no price")
	q, v := c.at(t, c.stock(t), c.north)
	assert.Equal(t, 7, q)
	assert.Equal(t, "17.50", v)
	assert.Equal(t, "7.50", c.balance(t, ledger.SuppliesExpense))
	ms, err := c.inv.Movements(ctx, inventory.MovementFilter{ItemID: it.ID})
	require.NoError(t, err)
	require.Len(t, ms, 2)
	assert.Equal(t, inventory.Consumed, ms[0].Kind)
	assert.Equal(t, id, *ms[0].ChargeID)

	// A retried capture consumes nothing more.
	_, err = c.bill.CaptureCharge(ctx, billing.ChargeInput{ChargeID: id, CaseID: c.caseID, EncounterID: c.visit,
		ProcedureCode: "A4550", Units: 3, Diagnoses: []string{"S61.411A"}})
	require.NoError(t, err)
	q, _ = c.at(t, c.stock(t), c.north)
	assert.Equal(t, 7, q)

	// A code that is no item consumes nothing.
	_, err = c.charge(t, "99213", 1)
	require.NoError(t, err)

	require.NoError(t, c.bill.VoidCharge(ctx, billing.VoidInput{CaseID: c.caseID, ChargeID: id, Reason: "not used"}))
	require.NoError(t, c.bill.VoidCharge(ctx, billing.VoidInput{CaseID: c.caseID, ChargeID: id, Reason: "not used"}))
	q, v = c.at(t, c.stock(t), c.north)
	assert.Equal(t, 10, q)
	assert.Equal(t, "25.00", v)
	assert.Equal(t, "0.00", c.balance(t, ledger.SuppliesExpense))
}

func TestStockBelowZeroIsRefusedUnlessAllowed(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	it := c.item(t, "A4550", 0)
	c.move(t, it, inventory.MoveInput{Kind: inventory.Received, LocationID: c.north, Quantity: 2})
	var charges, journals int64
	require.NoError(t, c.db.Table("charges").Count(&charges).Error)
	require.NoError(t, c.db.Table("journals").Count(&journals).Error)

	_, err := c.charge(t, "A4550", 3)
	require.ErrorIs(t, err, inventory.ErrOutOfStock)
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err))
	assert.Equal(t, "units", apperr.Fields(err)[0].Field)
	assert.Contains(t, err.Error(), "only 2 pack of A4550 in stock at North")
	var n int64
	require.NoError(t, c.db.Table("charges").Count(&n).Error)
	assert.Equal(t, charges, n, "the charge is refused with its stock: nothing half-written")
	require.NoError(t, c.db.Table("journals").Count(&n).Error)
	assert.Equal(t, journals, n)

	yes := true
	_, err = c.inv.UpdateItem(ctx, it.ID, inventory.ItemChange{AllowNegative: &yes}, audit.System)
	require.NoError(t, err)
	_, err = c.charge(t, "A4550", 3)
	require.NoError(t, err)
	q, v := c.at(t, c.stock(t), c.north)
	assert.Equal(t, -1, q)
	assert.Equal(t, "-2.50", v, "the unit beyond the stock is costed at the item's cost")
}

func TestReorderTaskOncePerCrossing(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	it := c.item(t, "A4550", 5)
	c.move(t, it, inventory.MoveInput{Kind: inventory.Received, LocationID: c.north, Quantity: 6})
	c.move(t, it, inventory.MoveInput{Kind: inventory.Received, LocationID: c.south, Quantity: 6})
	reorders := func() []tasks.Task {
		var ts []tasks.Task
		require.NoError(t, c.db.Where("queue = ? AND kind = ?", tasks.QueueInventory, tasks.KindReorder).Order("created_at").Find(&ts).Error)
		return ts
	}
	first, err := c.charge(t, "A4550", 2) // 6 -> 4: below 5
	require.NoError(t, err)
	ts := reorders()
	require.Len(t, ts, 1)
	assert.Equal(t, tasks.StatusOpen, ts[0].Status)
	assert.Contains(t, ts[0].Title, "Reorder A4550 (Gauze 4x4) at North: 4 pack left, reorder level 5")
	_, err = c.charge(t, "A4550", 1) // 4 -> 3: still below, same crossing
	require.NoError(t, err)
	assert.Len(t, reorders(), 1)

	require.NoError(t, c.bill.VoidCharge(ctx, billing.VoidInput{CaseID: c.caseID, ChargeID: first, Reason: "x"})) // 3 -> 5
	ts = reorders()
	require.Len(t, ts, 1)
	assert.Equal(t, tasks.StatusDone, ts[0].Status, "back at the level: the task closes")

	_, err = c.charge(t, "A4550", 1) // 5 -> 4: a new crossing
	require.NoError(t, err)
	ts = reorders()
	require.Len(t, ts, 2)
	assert.Equal(t, tasks.StatusOpen, ts[1].Status)
	_, err = (&tasks.Service{DB: c.db}).List(ctx, tasks.Filter{Queues: []string{tasks.QueueInventory}})
	require.NoError(t, err, "the queue is a known queue")
}
