package packages

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/ledger"
)

// Capture is a charge as captured, for the discounts its patient may get.
type Capture struct {
	ChargeID      string
	PatientID     string
	BillsPatient  bool // the case is billed to the patient (cases.Kind.BillsPatient)
	ProcedureCode string
	Units         int
	UnitPrice     decimal.Decimal // the fee-schedule (or overridden) price
	Amount        decimal.Decimal
	ServiceDate   time.Time
}

// Poster posts a journal on the charge's case (billing's post: the case is locked
// and its patient side settled).
type Poster func(ledger.Journal) error

// discount is a charge_discounts row.
type discount struct {
	ID          string          `gorm:"primaryKey;type:uuid"`
	ChargeID    string          `gorm:"type:uuid"`
	Kind        string          //
	PackageID   *string         `gorm:"type:uuid"`
	PromotionID *string         `gorm:"type:uuid"`
	Sessions    int             //
	Drawn       decimal.Decimal `gorm:"type:numeric(14,2)"`
	Discount    decimal.Decimal `gorm:"type:numeric(14,2)"`
	CreatedAt   time.Time
	VoidedAt    *time.Time
}

func (discount) TableName() string { return "charge_discounts" }

// ApplyAtCapture runs inside the charge's transaction. On a case billed to the
// patient it draws package sessions for the charge's units (the package that
// expires first), then applies the best matching promotion to what the package did
// not cover. Each is its own journal against patient A/R; the charge is unchanged.
// It returns what the patient no longer owes on the charge.
func ApplyAtCapture(tx *gorm.DB, c Capture, post Poster, actor audit.Actor) (decimal.Decimal, error) {
	if !c.BillsPatient || !c.Amount.IsPositive() {
		return decimal.Zero, nil
	}
	covered, err := drawPackage(tx, c, post, actor)
	if err == nil && covered < c.Units {
		err = applyPromotion(tx, c, c.Units-covered, post, actor)
	}
	if err != nil {
		return decimal.Zero, err
	}
	return ChargeDiscount(tx, c.ChargeID)
}

// ChargeDiscount is what package sessions and promotions took off a charge
// (package draws and discounts), zero when none or voided.
func ChargeDiscount(tx *gorm.DB, chargeID string) (decimal.Decimal, error) {
	var v decimal.Decimal
	err := tx.Raw(`SELECT coalesce(sum(drawn + discount), 0) FROM charge_discounts WHERE charge_id = ? AND voided_at IS NULL`, chargeID).Scan(&v).Error
	return v, err
}

func drawPackage(tx *gorm.DB, c Capture, post Poster, actor audit.Actor) (int, error) {
	var p Package
	res := tx.Raw(`SELECT * FROM patient_packages WHERE patient_id = ? AND procedure_code = ? AND status = 'active'
		AND expires_on >= ? ORDER BY expires_on, sold_at LIMIT 1 FOR UPDATE`, c.PatientID, c.ProcedureCode, c.ServiceDate).Scan(&p)
	if res.Error != nil || res.RowsAffected == 0 {
		return 0, res.Error
	}
	if err := fill(tx, &p); err != nil {
		return 0, err
	}
	left := p.Sessions - p.SessionsUsed
	n := min(left, c.Units)
	if n <= 0 {
		return 0, nil
	}
	portion := c.UnitPrice.Mul(decimal.NewFromInt(int64(n))).Round(2)
	drawn := p.UnitPrice.Mul(decimal.NewFromInt(int64(n)))
	if n == left {
		drawn = p.CreditLeft // the last session takes what rounding left
	}
	drawn = decimal.Min(drawn, portion) // a package never pays more than the fee
	d := discount{ID: uuid.NewString(), ChargeID: c.ChargeID, Kind: "package", PackageID: &p.ID, Sessions: n,
		Drawn: drawn, Discount: portion.Sub(drawn), CreatedAt: time.Now().UTC()}
	if err := tx.Create(&d).Error; err != nil {
		return 0, err
	}
	if err := post(ledger.Journal{IdempotencyKey: "package-use:" + c.ChargeID, Kind: "package_use", SourceType: "charge_discount",
		SourceID: d.ID, Memo: "package session " + c.ProcedureCode,
		Lines: []ledger.Line{ledger.Debit(ledger.PackageCredit, d.Drawn), ledger.Debit(ledger.PackageDiscount, d.Discount),
			ledger.Credit(ledger.ARPatient, portion)}}); err != nil {
		return 0, err
	}
	if n == left {
		if err := tx.Model(&Package{}).Where("id = ?", p.ID).Update("status", Used).Error; err != nil {
			return 0, err
		}
	}
	return n, audit.Record(tx, actor, "package.use", "patient_package", p.ID, map[string]any{"charge_id": c.ChargeID,
		"sessions": n, "drawn": d.Drawn.StringFixed(2), "discount": d.Discount.StringFixed(2)})
}

func applyPromotion(tx *gorm.DB, c Capture, units int, post Poster, actor audit.Actor) error {
	var ps []Promotion
	if err := tx.Raw(`SELECT * FROM promotions p WHERE active AND ? BETWEEN starts_on AND ends_on
		AND (procedure_code IS NULL OR procedure_code = ?)
		AND (patient_group IS NULL OR EXISTS (SELECT 1 FROM patient_group_members g WHERE g.group_name = p.patient_group AND g.patient_id = ?))
		ORDER BY created_at, id`, c.ServiceDate, c.ProcedureCode, c.PatientID).Scan(&ps).Error; err != nil {
		return err
	}
	base := c.UnitPrice.Mul(decimal.NewFromInt(int64(units))).Round(2)
	if units == c.Units {
		base = c.Amount
	}
	var best *Promotion
	off := decimal.Zero
	for i, p := range ps {
		v := p.Value.Mul(decimal.NewFromInt(int64(units)))
		if p.Kind == Percent {
			v = base.Mul(p.Value).Div(decimal.NewFromInt(100)).Round(2)
		}
		v = decimal.Min(v, base)
		if v.GreaterThan(off) {
			best, off = &ps[i], v
		}
	}
	if best == nil || !off.IsPositive() {
		return nil
	}
	d := discount{ID: uuid.NewString(), ChargeID: c.ChargeID, Kind: "promotion", PromotionID: &best.ID, Drawn: decimal.Zero,
		Discount: off, CreatedAt: time.Now().UTC()}
	if err := tx.Create(&d).Error; err != nil {
		return err
	}
	if err := post(ledger.Journal{IdempotencyKey: "promotion:" + c.ChargeID, Kind: "promotion", SourceType: "charge_discount",
		SourceID: d.ID, Memo: "promotion " + best.Name + " on " + c.ProcedureCode,
		Lines: []ledger.Line{ledger.Debit(ledger.PromotionDiscount, off), ledger.Credit(ledger.ARPatient, off)}}); err != nil {
		return err
	}
	return audit.Record(tx, actor, "promotion.apply", "charge", c.ChargeID, map[string]any{"promotion_id": best.ID, "discount": off.StringFixed(2)})
}

// ReverseAtVoid reverses a voided charge's package draw (the sessions and credit
// come back) and promotion, each with its own journal, inside the void's
// transaction and before the charge's own reversal.
func ReverseAtVoid(tx *gorm.DB, chargeID string, post Poster, actor audit.Actor) error {
	var ds []discount
	if err := tx.Where("charge_id = ? AND voided_at IS NULL", chargeID).Order("kind").Find(&ds).Error; err != nil {
		return err
	}
	now := time.Now().UTC()
	for _, d := range ds {
		if err := tx.Model(&discount{}).Where("id = ?", d.ID).Update("voided_at", now).Error; err != nil {
			return err
		}
		total := d.Drawn.Add(d.Discount)
		lines := []ledger.Line{ledger.Debit(ledger.ARPatient, total), ledger.Credit(ledger.PromotionDiscount, d.Discount)}
		if d.Kind == "package" {
			lines = []ledger.Line{ledger.Debit(ledger.ARPatient, total), ledger.Credit(ledger.PackageCredit, d.Drawn),
				ledger.Credit(ledger.PackageDiscount, d.Discount)}
			if err := tx.Model(&Package{}).Where("id = ? AND status = ?", *d.PackageID, Used).Update("status", Active).Error; err != nil {
				return err
			}
		}
		if err := post(ledger.Journal{IdempotencyKey: "discount-void:" + d.ID, Kind: d.Kind + "_void", SourceType: "charge_discount",
			SourceID: d.ID, Memo: "void " + d.Kind + " on voided charge", Lines: lines}); err != nil {
			return err
		}
		if err := audit.Record(tx, actor, d.Kind+".reverse", "charge", chargeID, map[string]any{"discount_id": d.ID}); err != nil {
			return err
		}
	}
	return nil
}
