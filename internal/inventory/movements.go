package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
)

// Movement kinds.
const (
	Received    = "received"
	Consumed    = "consumed"
	Returned    = "returned"
	Adjusted    = "adjusted"
	TransferOut = "transfer_out"
	TransferIn  = "transfer_in"
)

// Movement is one change of an item's stock at a location. Quantity is signed
// (in positive, out negative) and Value is what the stock's worth moved by.
type Movement struct {
	ID             string          `gorm:"primaryKey;type:uuid"`
	ItemID         string          `gorm:"type:uuid"`
	LocationID     string          `gorm:"type:uuid"`
	Kind           string          //
	Quantity       int             //
	Value          decimal.Decimal `gorm:"type:numeric(14,2)"`
	Reason         string          //
	ChargeID       *string         `gorm:"type:uuid"`
	TransferID     *string         `gorm:"type:uuid"`
	IdempotencyKey string          //
	CreatedBy      *string         `gorm:"type:uuid"`
	CreatedAt      time.Time
}

// TableName is the table of movements.
func (Movement) TableName() string { return "inventory_movements" }

// Stock is an item's quantity and value at a location.
type Stock struct {
	Quantity int
	Value    decimal.Decimal
}

func stockAt(tx *gorm.DB, itemID, locationID string) (Stock, error) {
	var st Stock
	err := tx.Raw(`SELECT coalesce(sum(quantity), 0) AS quantity, coalesce(sum(value), 0) AS value
		FROM inventory_movements WHERE item_id = ? AND location_id = ?`, itemID, locationID).Scan(&st).Error
	return st, err
}

// outValue is what qty units leaving stock st are worth: the moving average, the
// last unit taking what is left, units beyond the stock at the item's cost.
func outValue(st Stock, qty int, cost decimal.Decimal) decimal.Decimal {
	q := decimal.NewFromInt(int64(qty))
	switch {
	case st.Quantity <= 0:
		return cost.Mul(q).Round(2)
	case qty >= st.Quantity:
		return st.Value.Add(cost.Mul(decimal.NewFromInt(int64(qty - st.Quantity)))).Round(2)
	default:
		return st.Value.Mul(q).Div(decimal.NewFromInt(int64(st.Quantity))).Round(2)
	}
}

// move is one movement to write for a locked item.
type move struct {
	kind, location, reason, key string
	qty                         int // signed
	value                       decimal.Decimal
	chargeID, transferID        string
	debit, credit               ledger.Account // the journal; none when both are empty
}

// write inserts a movement and its journal, then raises or resolves the reorder
// task. It reports false when a movement with the key exists (a retry).
func write(tx *gorm.DB, it Item, before Stock, m move, actor audit.Actor) (Movement, bool, error) {
	row := Movement{ID: uuid.NewString(), ItemID: it.ID, LocationID: m.location, Kind: m.kind, Quantity: m.qty,
		Value: m.value, Reason: m.reason, IdempotencyKey: m.key, CreatedAt: time.Now().UTC()}
	if m.chargeID != "" {
		row.ChargeID = &m.chargeID
	}
	if m.transferID != "" {
		row.TransferID = &m.transferID
	}
	if actor.UserID != "" {
		row.CreatedBy = &actor.UserID
	}
	res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "idempotency_key"}}, DoNothing: true}).Create(&row)
	if res.Error != nil {
		return row, false, fmt.Errorf("inventory movement %s: %w", m.key, res.Error)
	}
	if res.RowsAffected == 0 {
		var prev Movement
		err := tx.Where("idempotency_key = ?", m.key).First(&prev).Error
		return prev, false, err
	}
	amount := m.value.Abs()
	if m.debit != "" && amount.IsPositive() {
		// The inventory side carries the movement's location, so the inventory
		// account has a balance per location equal to that location's stock value.
		debit, credit := ledger.Debit(m.debit, amount), ledger.Credit(m.credit, amount)
		if m.debit == ledger.Inventory {
			debit = debit.At(m.location)
		}
		if m.credit == ledger.Inventory {
			credit = credit.At(m.location)
		}
		if _, err := ledger.Post(tx, ledger.Journal{IdempotencyKey: "inventory:" + m.key, Kind: "inventory_" + m.kind,
			SourceType: "inventory_movement", SourceID: row.ID, Memo: m.kind + " " + it.Code,
			Lines: []ledger.Line{debit, credit}}); err != nil {
			return row, false, err
		}
	}
	after := before.Quantity + m.qty
	if err := reorder(tx, it, m.location, row.ID, before.Quantity, after, actor); err != nil {
		return row, false, err
	}
	changes := map[string]any{"item_id": it.ID, "location_id": m.location, "kind": m.kind, "quantity": m.qty,
		"value": m.value.StringFixed(2)}
	if m.chargeID != "" {
		changes["charge_id"] = m.chargeID
	}
	return row, true, audit.Record(tx, actor, "inventory.move", "inventory_movement", row.ID, changes)
}

// reorderKey is the business key of the reorder task of one crossing below the
// reorder level: the movement that crossed.
func reorderKey(itemID, locationID string) string {
	return "reorder:" + itemID + ":" + locationID + ":"
}

// reorder raises a reorder task when stock crosses below the item's reorder level
// (once per crossing: while one is open no other is raised), and closes the open
// one when stock is back at or above the level.
func reorder(tx *gorm.DB, it Item, locationID, movementID string, before, after int, actor audit.Actor) error {
	if it.ReorderLevel <= 0 {
		return nil
	}
	prefix := reorderKey(it.ID, locationID)
	open := tx.Model(&tasks.Task{}).Where("business_key LIKE ? AND status IN ?", prefix+"%", []string{tasks.StatusOpen, tasks.StatusClaimed})
	switch {
	case before >= it.ReorderLevel && after < it.ReorderLevel:
		var n int64
		if err := open.Count(&n).Error; err != nil || n > 0 {
			return err
		}
		var loc string
		if err := tx.Raw(`SELECT name FROM locations WHERE id = ?`, locationID).Scan(&loc).Error; err != nil {
			return err
		}
		details, _ := json.Marshal(map[string]any{"item_id": it.ID, "code": it.Code, "location_id": locationID,
			"quantity": after, "reorder_level": it.ReorderLevel, "unit": it.Unit})
		// The task names its location, so that users limited to it see it.
		t := tasks.Task{ID: uuid.NewString(), Queue: tasks.QueueInventory, Kind: tasks.KindReorder, Status: tasks.StatusOpen,
			BusinessKey: prefix + movementID, Details: details, CreatedAt: time.Now().UTC(), LocationID: &locationID,
			Title: fmt.Sprintf("Reorder %s (%s) at %s: %d %s left, reorder level %d", it.Code, it.Name, loc, after, it.Unit, it.ReorderLevel)}
		res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "business_key"}}, DoNothing: true}).Create(&t)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return audit.Record(tx, audit.System, "task.create", "task", t.ID, map[string]any{"queue": t.Queue, "kind": t.Kind})
	case after >= it.ReorderLevel:
		var ids []string
		if err := open.Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
			return err
		}
		if err := tx.Model(&tasks.Task{}).Where("id IN ?", ids).Updates(map[string]any{"status": tasks.StatusDone,
			"completed_at": time.Now().UTC(), "resolution": "stock back at or above the reorder level"}).Error; err != nil {
			return err
		}
		for _, id := range ids {
			if err := audit.Record(tx, actor, "task.resolve", "task", id, map[string]any{"resolution": "stock replenished"}); err != nil {
				return err
			}
		}
	}
	return nil
}

// refuseBelowZero is ErrOutOfStock on field when taking qty from st leaves less
// than zero and the item does not allow it.
func refuseBelowZero(it Item, st Stock, qty int, field, where string) error {
	if it.AllowNegative || st.Quantity-qty >= 0 {
		return nil
	}
	msg := fmt.Sprintf("only %d %s of %s in stock at %s, %d asked; receive stock first, or a manager can allow negative stock for this item",
		max(st.Quantity, 0), it.Unit, it.Code, where, qty)
	return &apperr.Error{Code: apperr.Conflict, Message: msg, Err: ErrOutOfStock, Fields: []validate.FieldError{{Field: field, Message: msg}}}
}

// MoveInput is a stock movement a person records. Quantity is positive except for
// adjustments, which are signed.
type MoveInput struct {
	Kind           string           `json:"kind"` // received, adjusted, transferred
	LocationID     string           `json:"location_id"`
	ToLocationID   string           `json:"to_location_id"` // transferred
	Quantity       int              `json:"quantity"`
	UnitCost       *decimal.Decimal `json:"unit_cost"` // received; default the item's cost
	Reason         string           `json:"reason"`    // required for adjusted
	IdempotencyKey string           `json:"-"`
}

// Move records stock received (inventory against payables), an adjustment with a
// reason (a count correction, against inventory adjustments) or a transfer
// between locations (value moves with the stock: a journal moves it from the
// inventory account at one location to the inventory account at the other, so
// the account's total is unchanged and each location's balance follows its
// stock). It returns the movements written; the same idempotency key records
// once.
func (s *Service) Move(ctx context.Context, itemID string, in MoveInput, actor audit.Actor) ([]Movement, error) {
	var errs validate.Errors
	in.Reason = strings.TrimSpace(in.Reason)
	switch in.Kind {
	case Received:
		errs.Check(in.Quantity > 0, "quantity", "must be positive")
		if in.UnitCost != nil {
			checkMoney(&errs, "unit_cost", *in.UnitCost)
		}
	case Adjusted:
		errs.Check(in.Quantity != 0, "quantity", "must not be zero (positive adds, negative removes)")
		errs.Required("reason", in.Reason)
	case "transferred":
		errs.Check(in.Quantity > 0, "quantity", "must be positive")
		if errs.Required("to_location_id", in.ToLocationID) {
			errs.Check(in.ToLocationID != in.LocationID, "to_location_id", "must differ from location_id")
		}
	default:
		errs.Add("kind", "must be received, adjusted or transferred (consumption comes from charges)")
	}
	errs.Check(in.Quantity >= -1_000_000 && in.Quantity <= 1_000_000, "quantity", "must be at most 1000000 units")
	errs.Required("location_id", in.LocationID)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if in.IdempotencyKey == "" {
		in.IdempotencyKey = uuid.NewString()
	}
	var out []Movement
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		it, err := lockItem(tx, itemID)
		if err != nil {
			return err
		}
		locName, err := locationName(tx, "location_id", in.LocationID)
		if err != nil {
			return err
		}
		st, err := stockAt(tx, it.ID, in.LocationID)
		if err != nil {
			return err
		}
		key := "move:" + it.ID + ":" + in.IdempotencyKey
		if prior, err := movementsByKey(tx, key, key+":out", key+":in"); err != nil || len(prior) > 0 {
			out = prior // a retry: what was recorded, whatever the stock is now
			return err
		}
		var m move
		switch in.Kind {
		case Received:
			unit := it.Cost
			if in.UnitCost != nil {
				unit = *in.UnitCost
			}
			v := unit.Mul(decimal.NewFromInt(int64(in.Quantity))).Round(2)
			m = move{kind: Received, location: in.LocationID, qty: in.Quantity, value: v, reason: in.Reason, key: key,
				debit: ledger.Inventory, credit: ledger.AccountsPayable}
		case Adjusted:
			if in.Quantity > 0 {
				v := it.Cost.Mul(decimal.NewFromInt(int64(in.Quantity))).Round(2)
				m = move{kind: Adjusted, location: in.LocationID, qty: in.Quantity, value: v, reason: in.Reason, key: key,
					debit: ledger.Inventory, credit: ledger.InventoryAdjustments}
			} else {
				if err := refuseBelowZero(it, st, -in.Quantity, "quantity", locName); err != nil {
					return err
				}
				v := outValue(st, -in.Quantity, it.Cost)
				m = move{kind: Adjusted, location: in.LocationID, qty: in.Quantity, value: v.Neg(), reason: in.Reason, key: key,
					debit: ledger.InventoryAdjustments, credit: ledger.Inventory}
			}
		default: // transferred
			if _, err := locationName(tx, "to_location_id", in.ToLocationID); err != nil {
				return err
			}
			if err := refuseBelowZero(it, st, in.Quantity, "quantity", locName); err != nil {
				return err
			}
			v := outValue(st, in.Quantity, it.Cost)
			transfer := uuid.NewString()
			mv, fresh, err := write(tx, it, st, move{kind: TransferOut, location: in.LocationID, qty: -in.Quantity, value: v.Neg(),
				reason: in.Reason, key: key + ":out", transferID: transfer}, actor)
			if err != nil || !fresh {
				if err == nil {
					out, err = movementsByKey(tx, key+":out", key+":in")
				}
				return err
			}
			out = append(out, mv)
			dst, err := stockAt(tx, it.ID, in.ToLocationID)
			if err != nil {
				return err
			}
			mv, _, err = write(tx, it, dst, move{kind: TransferIn, location: in.ToLocationID, qty: in.Quantity, value: v,
				reason: in.Reason, key: key + ":in", transferID: transfer}, actor)
			out = append(out, mv)
			if err != nil {
				return err
			}
			return postTransfer(tx, it, transfer, mv.ID, in.LocationID, in.ToLocationID, v)
		}
		mv, _, err := write(tx, it, st, m, actor)
		out = []Movement{mv}
		return err
	})
	return out, err
}

// postTransfer moves a transfer's value between the two locations' inventory
// balances: one journal, both lines on the inventory account.
func postTransfer(tx *gorm.DB, it Item, transferID, inMovementID, from, to string, v decimal.Decimal) error {
	if v.IsZero() {
		return nil
	}
	if v.IsNegative() { // stock worth less than nothing moved: the value goes the other way
		from, to, v = to, from, v.Neg()
	}
	_, err := ledger.Post(tx, ledger.Journal{IdempotencyKey: "inventory:transfer:" + transferID, Kind: "inventory_transfer",
		SourceType: "inventory_movement", SourceID: inMovementID, Memo: "transfer " + it.Code,
		Lines: []ledger.Line{ledger.Debit(ledger.Inventory, v).At(to), ledger.Credit(ledger.Inventory, v).At(from)}})
	return err
}

func movementsByKey(tx *gorm.DB, keys ...string) ([]Movement, error) {
	var out []Movement
	err := tx.Where("idempotency_key IN ?", keys).Order("quantity").Find(&out).Error
	return out, err
}

func locationName(tx *gorm.DB, field, id string) (string, error) {
	var name string
	if uuid.Validate(id) != nil {
		return "", validate.Errors{{Field: field, Message: "is not a location id"}}
	}
	// A user limited to some locations moves stock at theirs only (package
	// access): another location is answered as one that does not exist.
	scope, args := access.FromContext(tx.Statement.Context).Location("id")
	res := tx.Raw(`SELECT name FROM locations WHERE id = ? AND `+scope, append([]any{id}, args...)...).Scan(&name)
	if res.Error != nil {
		return "", res.Error
	}
	if res.RowsAffected == 0 {
		return "", validate.Errors{{Field: field, Message: "no such location"}}
	}
	return name, nil
}

// ChargeUse is a captured charge that may use stock: its procedure code, units
// and the location of its visit.
type ChargeUse struct {
	ChargeID   string
	LocationID string
	Code       string
	Units      int
}

// PriceOf is the price of the active item with code, for a charge whose fee
// schedule has none.
func PriceOf(tx *gorm.DB, code string) (decimal.Decimal, bool, error) {
	var it Item
	res := tx.Where("code = ? AND active", code).Limit(1).Find(&it)
	return it.Price, res.RowsAffected > 0, res.Error
}

// ConsumeForCharge takes a charge's units of the item with its procedure code
// from the visit location's stock, inside the charge's transaction, and posts
// their cost (supplies expense against inventory). A code that is no active item
// consumes nothing. Stock below zero is ErrOutOfStock on units unless the item
// allows it.
func ConsumeForCharge(tx *gorm.DB, u ChargeUse, actor audit.Actor) error {
	var id string
	if err := tx.Raw(`SELECT id FROM inventory_items WHERE code = ? AND active`, u.Code).Scan(&id).Error; err != nil || id == "" {
		return err
	}
	it, err := lockItem(tx, id)
	if err != nil {
		return err
	}
	st, err := stockAt(tx, it.ID, u.LocationID)
	if err != nil {
		return err
	}
	var loc string
	if err := tx.Raw(`SELECT name FROM locations WHERE id = ?`, u.LocationID).Scan(&loc).Error; err != nil {
		return err
	}
	if err := refuseBelowZero(it, st, u.Units, "units", loc); err != nil {
		return err
	}
	v := outValue(st, u.Units, it.Cost)
	_, _, err = write(tx, it, st, move{kind: Consumed, location: u.LocationID, qty: -u.Units, value: v.Neg(),
		key: "consume:" + u.ChargeID, chargeID: u.ChargeID, debit: ledger.SuppliesExpense, credit: ledger.Inventory}, actor)
	return err
}

// ReturnForCharge puts back what a voided charge consumed, at the value it left
// with, reversing its cost. A charge that consumed nothing returns nothing.
func ReturnForCharge(tx *gorm.DB, chargeID string, actor audit.Actor) error {
	var used Movement
	res := tx.Where("idempotency_key = ?", "consume:"+chargeID).Limit(1).Find(&used)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	it, err := lockItem(tx, used.ItemID)
	if err != nil {
		return err
	}
	st, err := stockAt(tx, it.ID, used.LocationID)
	if err != nil {
		return err
	}
	_, _, err = write(tx, it, st, move{kind: Returned, location: used.LocationID, qty: -used.Quantity, value: used.Value.Neg(),
		reason: "charge voided", key: "return:" + chargeID, chargeID: chargeID, debit: ledger.Inventory, credit: ledger.SuppliesExpense}, actor)
	return err
}

// MovementFilter selects an item's movements.
type MovementFilter struct {
	ItemID     string
	LocationID string
	Limit      int
}

// Movements lists an item's movements, newest first.
func (s *Service) Movements(ctx context.Context, f MovementFilter) ([]Movement, error) {
	if _, err := s.GetItem(ctx, f.ItemID); err != nil {
		return nil, err
	}
	q := s.DB.WithContext(ctx).Where("item_id = ?", f.ItemID)
	if f.LocationID != "" {
		if uuid.Validate(f.LocationID) != nil {
			return nil, validate.Errors{{Field: "location_id", Message: "is not a location id"}}
		}
		q = q.Where("location_id = ?", f.LocationID)
	}
	var out []Movement
	err := q.Order("created_at DESC, id").Limit(db.Page(f.Limit)).Find(&out).Error
	return out, err
}

// StockRow is one item's stock at one location.
type StockRow struct {
	ItemID       string          `json:"item_id"`
	Code         string          `json:"code"`
	Name         string          `json:"name"`
	LocationID   string          `json:"location_id"`
	Location     string          `json:"location"`
	Quantity     int             `json:"quantity"`
	Value        decimal.Decimal `json:"value"`
	ReorderLevel int             `json:"reorder_level"`
	BelowReorder bool            `json:"below_reorder"`
}

// StockReport is stock per item and location and its value per location (within
// the filter), and the ledger's inventory account, in total and per location.
// InAgreement says the ledger and the stock agree to the cent everywhere,
// whatever the filter: the value of all stock equals the inventory account, and
// each location's stock value equals that location's inventory balance.
type StockReport struct {
	Rows              []StockRow                 `json:"rows"`
	ValueByLocation   map[string]decimal.Decimal `json:"value_by_location"`
	AccountByLocation map[string]decimal.Decimal `json:"account_by_location"`
	Total             decimal.Decimal            `json:"total"`
	InventoryAccount  decimal.Decimal            `json:"inventory_account"`
	InAgreement       bool                       `json:"in_agreement"`
}

// StockFilter narrows the report to a location or an item.
type StockFilter struct {
	LocationID string
	ItemID     string
}

// Stock reports stock and its value, and whether it agrees with the ledger's
// inventory account (in total and per location, to the cent).
func (s *Service) Stock(ctx context.Context, f StockFilter) (StockReport, error) {
	var errs validate.Errors
	for _, p := range []struct{ field, v string }{{"location_id", f.LocationID}, {"item_id", f.ItemID}} {
		if p.v != "" && uuid.Validate(p.v) != nil {
			errs.Add(p.field, "is not an id")
		}
	}
	if err := errs.Err(); err != nil {
		return StockReport{}, err
	}
	out := StockReport{Rows: []StockRow{}, ValueByLocation: map[string]decimal.Decimal{},
		AccountByLocation: map[string]decimal.Decimal{}, Total: decimal.Zero}
	q := `SELECT i.id AS item_id, i.code, i.name, l.id AS location_id, l.name AS location,
		sum(m.quantity) AS quantity, sum(m.value) AS value, i.reorder_level
		FROM inventory_movements m JOIN inventory_items i ON i.id = m.item_id JOIN locations l ON l.id = m.location_id
		WHERE (? = '' OR m.location_id::text = ?) AND (? = '' OR m.item_id::text = ?)
		GROUP BY i.id, i.code, i.name, l.id, l.name, i.reorder_level ORDER BY i.code, l.name`
	db := s.DB.WithContext(ctx)
	if err := db.Raw(q, f.LocationID, f.LocationID, f.ItemID, f.ItemID).Scan(&out.Rows).Error; err != nil {
		return out, fmt.Errorf("stock: %w", err)
	}
	for i, r := range out.Rows {
		out.Rows[i].BelowReorder = r.ReorderLevel > 0 && r.Quantity < r.ReorderLevel
		out.ValueByLocation[r.LocationID] = out.ValueByLocation[r.LocationID].Add(r.Value)
		out.Total = out.Total.Add(r.Value)
	}
	val, err := s.Valuation(ctx)
	if err != nil {
		return out, err
	}
	out.InventoryAccount = val.InventoryAccount
	for _, l := range val.Locations {
		if f.LocationID == "" || l.LocationID == f.LocationID {
			out.AccountByLocation[l.LocationID] = l.InventoryAccount
		}
	}
	out.InAgreement = val.InAgreement
	return out, nil
}

// LocationValue is one location's stock value beside its inventory balance.
type LocationValue struct {
	LocationID       string          `json:"location_id"`
	Location         string          `json:"location"`
	StockValue       decimal.Decimal `json:"stock_value"`       // the sum of its movements' values
	InventoryAccount decimal.Decimal `json:"inventory_account"` // the ledger's 1500 lines at the location
	Difference       decimal.Decimal `json:"difference"`        // stock value less the account
	InAgreement      bool            `json:"in_agreement"`
}

// Valuation is the inventory account per location beside the stock value there.
type Valuation struct {
	Locations []LocationValue `json:"locations"`
	// StockValue and InventoryAccount are the totals over every location.
	StockValue       decimal.Decimal `json:"stock_value"`
	InventoryAccount decimal.Decimal `json:"inventory_account"`
	// Unlocated is the part of the inventory account on lines with no location
	// (adjusting journals a person posted to 1500); it must be zero for every
	// location to agree.
	Unlocated   decimal.Decimal `json:"unlocated"`
	InAgreement bool            `json:"in_agreement"`
}

// Valuation compares, for every location with stock movements or inventory
// journal lines, the value of its stock (the sum of its movements) with the
// ledger's inventory balance there (the inventory account's lines carrying the
// location), to the cent.
func (s *Service) Valuation(ctx context.Context) (Valuation, error) {
	out := Valuation{Locations: []LocationValue{}, StockValue: decimal.Zero, InventoryAccount: decimal.Zero, Unlocated: decimal.Zero}
	var rows []LocationValue
	err := s.DB.WithContext(ctx).Raw(`
		WITH stock AS (SELECT location_id, sum(value) AS v FROM inventory_movements GROUP BY location_id),
		     books AS (SELECT location_id, sum(amount) AS v FROM journal_lines
		               WHERE account_code = ? AND location_id IS NOT NULL GROUP BY location_id)
		SELECT l.id AS location_id, l.name AS location, coalesce(stock.v, 0) AS stock_value, coalesce(books.v, 0) AS inventory_account
		FROM stock FULL JOIN books ON books.location_id = stock.location_id
		JOIN locations l ON l.id = coalesce(stock.location_id, books.location_id)
		ORDER BY l.name, l.id`, ledger.Inventory).Scan(&rows).Error
	if err != nil {
		return out, fmt.Errorf("inventory valuation: %w", err)
	}
	out.InAgreement = true
	for _, r := range rows {
		r.Difference = r.StockValue.Sub(r.InventoryAccount)
		r.InAgreement = r.Difference.IsZero()
		out.InAgreement = out.InAgreement && r.InAgreement
		out.StockValue = out.StockValue.Add(r.StockValue)
		out.Locations = append(out.Locations, r)
	}
	if err := s.DB.WithContext(ctx).Raw(`SELECT coalesce(sum(amount), 0) FROM journal_lines
		WHERE account_code = ? AND location_id IS NULL`, ledger.Inventory).Scan(&out.Unlocated).Error; err != nil {
		return out, fmt.Errorf("inventory valuation: %w", err)
	}
	total := decimal.Zero
	for _, r := range out.Locations {
		total = total.Add(r.InventoryAccount)
	}
	out.InventoryAccount = total.Add(out.Unlocated)
	out.InAgreement = out.InAgreement && out.Unlocated.IsZero() && out.StockValue.Equal(out.InventoryAccount)
	return out, nil
}

// IsOutOfStock reports whether err is a refusal for lack of stock.
func IsOutOfStock(err error) bool { return errors.Is(err, ErrOutOfStock) }
