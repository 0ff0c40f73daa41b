// Package inventory is the practice's stock of supplies, medications and DME:
// items known by a HCPCS Level II or an internal code, and stock per location as
// movements (received, consumed by a charge, returned by its void, adjusted with a
// reason, transferred). A quantity is never overwritten: stock is the sum of
// movements. Each movement that changes what the stock is worth posts its value to
// the ledger (inventory asset against payables, supplies expense or inventory
// adjustments) in the same transaction, so the stock's value, summed over
// locations, equals the inventory account to the cent.
//
// Costing is the moving average per item and location: a unit leaving a location
// is worth that location's stock value divided by its quantity; the last unit out
// takes what is left, so a location with no stock has no value. Stock below zero
// (allowed per item by a manager) is costed at the item's cost.
package inventory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/codes"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/validate"
)

// Service runs inventory operations against the database.
type Service struct {
	DB *gorm.DB
}

// ErrNotFound is returned for an unknown item or location.
var ErrNotFound = apperr.New(apperr.NotFound, "not found")

// ErrOutOfStock is returned when a movement would take stock below zero at a
// location and the item does not allow negative stock.
var ErrOutOfStock = apperr.New(apperr.Conflict, "not enough stock")

// Code kinds and categories.
const (
	CodeHCPCS    = "hcpcs"
	CodeInternal = "internal"
)

// Categories of items.
var Categories = []string{"supply", "medication", "dme"}

// Item is a stocked supply, medication or DME.
type Item struct {
	ID            string          `gorm:"primaryKey;type:uuid"`
	Code          string          // HCPCS (A4550) or internal (SUP-GAUZE)
	CodeKind      string          //
	Name          string          //
	Category      string          //
	Unit          string          // each, box, ml
	Cost          decimal.Decimal `gorm:"type:numeric(14,2)"` // what a unit costs the practice
	Price         decimal.Decimal `gorm:"type:numeric(14,2)"` // its price when the fee schedule has none
	ReorderLevel  int             // a reorder task appears when stock falls below it (0: never)
	AllowNegative bool            // a manager allows charging it with no stock recorded
	Active        bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// TableName is the table of items.
func (Item) TableName() string { return "inventory_items" }

// NewItem is an item to create.
type NewItem struct {
	Code          string          `json:"code"`
	Name          string          `json:"name"`
	Category      string          `json:"category"`
	Unit          string          `json:"unit"`
	Cost          decimal.Decimal `json:"cost"`
	Price         decimal.Decimal `json:"price"`
	ReorderLevel  int             `json:"reorder_level"`
	AllowNegative bool            `json:"allow_negative"`
}

// CodeKindOf is hcpcs for a HCPCS Level II code (a letter and four digits, the
// form a claim line can carry), internal otherwise.
func CodeKindOf(code string) string {
	if len(code) == 5 && code[0] >= 'A' && code[0] <= 'Z' && codes.ValidProcedureCode(code) {
		return CodeHCPCS
	}
	return CodeInternal
}

func checkMoney(errs *validate.Errors, field string, v decimal.Decimal) {
	switch {
	case v.IsNegative():
		errs.Add(field, "must not be negative")
	case !v.Equal(v.Round(2)):
		errs.Add(field, "must have at most two decimals")
	case v.GreaterThanOrEqual(decimal.New(1, 12)):
		errs.Add(field, "is too large")
	}
}

// CreateItem adds an item. Its code is upper-cased; a code that a charge line can
// carry (CPT/HCPCS form) is consumed by charges with that procedure code.
func (s *Service) CreateItem(ctx context.Context, in NewItem, actor audit.Actor) (Item, error) {
	var errs validate.Errors
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Name, in.Unit = strings.TrimSpace(in.Name), strings.TrimSpace(in.Unit)
	if errs.Required("code", in.Code) {
		errs.Check(len(in.Code) <= 30 && !strings.ContainsAny(in.Code, " \t"), "code", "must be at most 30 characters without spaces")
	}
	errs.Required("name", in.Name)
	errs.Required("unit", in.Unit)
	if in.Category == "" {
		in.Category = "supply"
	}
	errs.Check(slices.Contains(Categories, in.Category), "category", "must be one of %s", strings.Join(Categories, ", "))
	checkMoney(&errs, "cost", in.Cost)
	checkMoney(&errs, "price", in.Price)
	errs.Check(in.ReorderLevel >= 0 && in.ReorderLevel <= 1_000_000, "reorder_level", "must be between 0 and 1000000")
	if err := errs.Err(); err != nil {
		return Item{}, err
	}
	it := Item{ID: uuid.NewString(), Code: in.Code, CodeKind: CodeKindOf(in.Code), Name: in.Name, Category: in.Category,
		Unit: in.Unit, Cost: in.Cost, Price: in.Price, ReorderLevel: in.ReorderLevel, AllowNegative: in.AllowNegative,
		Active: true, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Item{}).Where("code = ?", it.Code).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return validate.Errors{{Field: "code", Message: "an item with this code exists"}}
		}
		if err := tx.Create(&it).Error; err != nil {
			return fmt.Errorf("create item %s: %w", it.Code, err)
		}
		return audit.Record(tx, actor, "inventory.item.create", "inventory_item", it.ID, map[string]any{
			"code": it.Code, "cost": it.Cost.StringFixed(2), "price": it.Price.StringFixed(2), "reorder_level": it.ReorderLevel})
	})
	return it, err
}

// ItemChange changes an item's settings; nil fields stay.
type ItemChange struct {
	Name          *string          `json:"name"`
	Cost          *decimal.Decimal `json:"cost"`
	Price         *decimal.Decimal `json:"price"`
	ReorderLevel  *int             `json:"reorder_level"`
	AllowNegative *bool            `json:"allow_negative"`
	Active        *bool            `json:"active"`
}

// UpdateItem changes an item's settings. A new cost applies to stock received
// later; stock on hand keeps its value.
func (s *Service) UpdateItem(ctx context.Context, id string, in ItemChange, actor audit.Actor) (Item, error) {
	var errs validate.Errors
	changes := map[string]any{}
	if in.Name != nil {
		if errs.Required("name", *in.Name) {
			changes["name"] = strings.TrimSpace(*in.Name)
		}
	}
	if in.Cost != nil {
		checkMoney(&errs, "cost", *in.Cost)
		changes["cost"] = *in.Cost
	}
	if in.Price != nil {
		checkMoney(&errs, "price", *in.Price)
		changes["price"] = *in.Price
	}
	if in.ReorderLevel != nil {
		errs.Check(*in.ReorderLevel >= 0 && *in.ReorderLevel <= 1_000_000, "reorder_level", "must be between 0 and 1000000")
		changes["reorder_level"] = *in.ReorderLevel
	}
	if in.AllowNegative != nil {
		changes["allow_negative"] = *in.AllowNegative
	}
	if in.Active != nil {
		changes["active"] = *in.Active
	}
	if err := errs.Err(); err != nil {
		return Item{}, err
	}
	var it Item
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if it, err = lockItem(tx, id); err != nil {
			return err
		}
		if len(changes) == 0 {
			return nil
		}
		changes["updated_at"] = time.Now().UTC()
		if err := tx.Model(&Item{}).Where("id = ?", id).Updates(changes).Error; err != nil {
			return fmt.Errorf("update item %s: %w", id, err)
		}
		logged := map[string]any{}
		for k, v := range changes {
			if d, ok := v.(decimal.Decimal); ok {
				v = d.StringFixed(2)
			}
			logged[k] = v
		}
		if err := audit.Record(tx, actor, "inventory.item.update", "inventory_item", id, logged); err != nil {
			return err
		}
		return tx.Where("id = ?", id).First(&it).Error
	})
	return it, err
}

// lockItem reads an item and locks it: every movement of an item is serialized.
func lockItem(tx *gorm.DB, id string) (Item, error) {
	var it Item
	if uuid.Validate(id) != nil {
		return it, fmt.Errorf("item %s: %w", id, ErrNotFound)
	}
	res := tx.Raw(`SELECT * FROM inventory_items WHERE id = ? FOR UPDATE`, id).Scan(&it)
	if res.Error != nil {
		return it, fmt.Errorf("lock item %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return it, fmt.Errorf("item %s: %w", id, ErrNotFound)
	}
	return it, nil
}

// ListItems lists items by code.
func (s *Service) ListItems(ctx context.Context, limit int) ([]Item, error) {
	var out []Item
	err := s.DB.WithContext(ctx).Order("code").Limit(db.Page(limit)).Find(&out).Error
	return out, err
}

// GetItem returns one item.
func (s *Service) GetItem(ctx context.Context, id string) (Item, error) {
	var it Item
	if found, err := db.FindByID(s.DB.WithContext(ctx), &it, id); err != nil {
		return it, err
	} else if !found {
		return it, fmt.Errorf("item %s: %w", id, ErrNotFound)
	}
	return it, nil
}
