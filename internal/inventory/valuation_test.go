package inventory_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/inventory"
	"github.com/clinicflow/rcm/internal/ledger"
)

// valuation reads the per-location valuation and requires every location to
// agree with its inventory balance to the cent.
func (c clinic) valuation(t *testing.T) map[string]inventory.LocationValue {
	t.Helper()
	v, err := c.inv.Valuation(context.Background())
	require.NoError(t, err)
	out := map[string]inventory.LocationValue{}
	for _, l := range v.Locations {
		assert.True(t, l.InAgreement, "%s: stock %s, account %s", l.Location, l.StockValue, l.InventoryAccount)
		out[l.LocationID] = l
	}
	require.True(t, v.InAgreement, "stock %s, account %s, unlocated %s", v.StockValue, v.InventoryAccount, v.Unlocated)
	assert.Equal(t, c.balance(t, ledger.Inventory), v.InventoryAccount.StringFixed(2))
	assert.Equal(t, "0.00", v.Unlocated.StringFixed(2))
	return out
}

// locationBalance is the inventory account's balance at one location, read
// straight from the journal lines.
func (c clinic) locationBalance(t *testing.T, loc string) string {
	var s string
	require.NoError(t, c.db.Raw(`SELECT coalesce(sum(amount), 0)::text FROM journal_lines
		WHERE account_code = ? AND location_id = ?`, ledger.Inventory, loc).Scan(&s).Error)
	return s
}

func TestInventoryAccountPerLocationEqualsStockValue(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	it := c.item(t, "A4550", 0)
	var prov string
	require.NoError(t, c.db.Raw(`SELECT id FROM providers LIMIT 1`).Scan(&prov).Error)
	south := uuid.NewString()
	require.NoError(t, c.bill.RecordEncounter(ctx, billing.EncounterInput{EncounterID: south, CaseID: c.caseID, ProviderID: prov,
		LocationID: c.south, ServiceDate: "2026-11-03", CheckedInAt: time.Now()}))

	// Receipts at two costs: north holds 10 at 2.50 and 3 at 3.10.
	c.move(t, it, inventory.MoveInput{Kind: inventory.Received, LocationID: c.north, Quantity: 10})
	cost := d("3.10")
	c.move(t, it, inventory.MoveInput{Kind: inventory.Received, LocationID: c.north, Quantity: 3, UnitCost: &cost})
	v := c.valuation(t)
	assert.Equal(t, "34.30", v[c.north].StockValue.StringFixed(2))
	assert.Equal(t, "34.30", c.locationBalance(t, c.north))

	// A transfer of 7 to south at the moving average (34.30 * 7 / 13 = 18.47):
	// the inventory account's total stays, each location's balance follows.
	c.move(t, it, inventory.MoveInput{Kind: "transferred", LocationID: c.north, ToLocationID: c.south, Quantity: 7, Reason: "restock"})
	v = c.valuation(t)
	assert.Equal(t, "15.83", v[c.north].StockValue.StringFixed(2))
	assert.Equal(t, "18.47", v[c.south].StockValue.StringFixed(2))
	assert.Equal(t, "18.47", c.locationBalance(t, c.south))
	assert.Equal(t, "34.30", c.balance(t, ledger.Inventory), "a transfer moves value, it adds none")

	// Consumption by a charge at south (a visit there), and its void.
	id := uuid.NewString()
	_, err := c.bill.CaptureCharge(ctx, billing.ChargeInput{ChargeID: id, CaseID: c.caseID, EncounterID: south,
		ProcedureCode: "A4550", Units: 4, Diagnoses: []string{"S61.411A"}})
	require.NoError(t, err)
	v = c.valuation(t)
	assert.Equal(t, "7.92", v[c.south].StockValue.StringFixed(2), "18.47 less 4/7 of it (10.55)")
	_, err = c.charge(t, "A4550", 2) // at north
	require.NoError(t, err)
	v = c.valuation(t)
	assert.Equal(t, "10.55", v[c.north].StockValue.StringFixed(2), "15.83 less 2/6 of it (5.28)")
	require.NoError(t, c.bill.VoidCharge(ctx, billing.VoidInput{CaseID: c.caseID, ChargeID: id, Reason: "not used"}))
	v = c.valuation(t)
	assert.Equal(t, "18.47", v[c.south].StockValue.StringFixed(2), "the void puts back what left")

	// Adjustments both ways, and a transfer back that empties south: the last
	// unit takes what is left, so an empty location is worth nothing on both sides.
	c.move(t, it, inventory.MoveInput{Kind: inventory.Adjusted, LocationID: c.north, Quantity: -1, Reason: "damaged"})
	c.move(t, it, inventory.MoveInput{Kind: inventory.Adjusted, LocationID: c.south, Quantity: 2, Reason: "count"})
	c.move(t, it, inventory.MoveInput{Kind: "transferred", LocationID: c.south, ToLocationID: c.north, Quantity: 9, Reason: "close south"})
	v = c.valuation(t)
	assert.Equal(t, "0.00", v[c.south].StockValue.StringFixed(2))
	assert.Equal(t, "0.00", c.locationBalance(t, c.south))
	r := c.stock(t)
	q, val := c.at(t, r, c.north)
	assert.Equal(t, 12, q)
	assert.Equal(t, val, v[c.north].StockValue.StringFixed(2))
	assert.Equal(t, val, r.AccountByLocation[c.north].StringFixed(2))
	assert.Equal(t, c.balance(t, ledger.Inventory), val)

	// A retried transfer posts nothing twice.
	key := "transfer-retry"
	c.move(t, it, inventory.MoveInput{Kind: "transferred", LocationID: c.north, ToLocationID: c.south, Quantity: 1, IdempotencyKey: key})
	c.move(t, it, inventory.MoveInput{Kind: "transferred", LocationID: c.north, ToLocationID: c.south, Quantity: 1, IdempotencyKey: key})
	v = c.valuation(t)
	assert.Equal(t, 1, c.quantityAt(t, it.ID, c.south))
	assert.Equal(t, c.locationBalance(t, c.south), v[c.south].StockValue.StringFixed(2))

	// A journal posted to the inventory account without a location (a person's
	// adjusting journal) is shown as unlocated and breaks the agreement.
	require.NoError(t, c.db.Transaction(func(tx *gorm.DB) error {
		_, err := ledger.Post(tx, ledger.Journal{IdempotencyKey: "manual-1500", Kind: "adjusting", SourceType: "adjusting_journal",
			SourceID: uuid.NewString(), Lines: []ledger.Line{ledger.Debit(ledger.Inventory, d("1.00")), ledger.Credit(ledger.InventoryAdjustments, d("1.00"))}})
		return err
	}))
	val2, err := c.inv.Valuation(ctx)
	require.NoError(t, err)
	assert.False(t, val2.InAgreement)
	assert.Equal(t, "1.00", val2.Unlocated.StringFixed(2))
}

func (c clinic) quantityAt(t *testing.T, item, loc string) int {
	var n int
	require.NoError(t, c.db.Raw(`SELECT coalesce(sum(quantity), 0) FROM inventory_movements WHERE item_id = ? AND location_id = ?`, item, loc).Scan(&n).Error)
	return n
}

// TestMigrationGivesOldInventoryJournalsTheirLocation replays migration 00050
// over books written before it: an inventory journal without a location and a
// transfer that posted no journal. Afterwards every location agrees.
func TestMigrationGivesOldInventoryJournalsTheirLocation(t *testing.T) {
	c := newClinic(t)
	it := c.item(t, "A4550", 0)
	sql, err := os.ReadFile("../../migrations/00050_inventory_location_ledger.sql")
	require.NoError(t, err)
	up, down, ok := strings.Cut(string(sql), "-- +goose Down")
	require.True(t, ok)
	strip := func(s string) string {
		for _, m := range []string{"-- +goose Up", "-- +goose StatementBegin", "-- +goose StatementEnd"} {
			s = strings.ReplaceAll(s, m, "")
		}
		return s
	}
	require.NoError(t, c.db.Exec(strip(down)).Error, "back to the books before 00050")

	// The books as the code before 00050 wrote them.
	received, out, in, transfer := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	require.NoError(t, c.db.Transaction(func(tx *gorm.DB) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO inventory_movements (id, item_id, location_id, kind, quantity, value, idempotency_key)
				VALUES (?, ?, ?, 'received', 10, 25.00, 'old-receipt')`, []any{received, it.ID, c.north}},
			{`INSERT INTO journals (id, idempotency_key, kind, source_type, source_id, memo)
				VALUES (?, 'inventory:old-receipt', 'inventory_received', 'inventory_movement', ?, 'received A4550')`, []any{received, received}},
			{`INSERT INTO journal_lines (journal_id, account_code, amount) VALUES (?, '1500', 25.00), (?, '2050', -25.00)`, []any{received, received}},
			{`INSERT INTO inventory_movements (id, item_id, location_id, kind, quantity, value, transfer_id, idempotency_key)
				VALUES (?, ?, ?, 'transfer_out', -4, -10.00, ?, 'old-transfer:out'), (?, ?, ?, 'transfer_in', 4, 10.00, ?, 'old-transfer:in')`,
				[]any{out, it.ID, c.north, transfer, in, it.ID, c.south, transfer}},
		} {
			if err := tx.Exec(q.sql, q.args...).Error; err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, c.db.Transaction(func(tx *gorm.DB) error { return tx.Exec(strip(up)).Error }))

	v := c.valuation(t)
	assert.Equal(t, "15.00", v[c.north].InventoryAccount.StringFixed(2))
	assert.Equal(t, "10.00", v[c.south].InventoryAccount.StringFixed(2))
	assert.Equal(t, "25.00", c.balance(t, ledger.Inventory), "the transfer journal moves value, it adds none")
	// The next transfer, by today's code, does not collide with the backfilled one.
	c.move(t, it, inventory.MoveInput{Kind: "transferred", LocationID: c.north, ToLocationID: c.south, Quantity: 2})
	c.valuation(t)
}
