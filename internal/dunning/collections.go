package dunning

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/statements"
)

// CollectionsHeader is the documented layout of the collection-agency file, one
// row per placed case: the guarantor account number, the guarantor's name and
// mailing address, the balance placed, the first and last date of service, the
// date and amount of the last patient payment (empty when none), the last
// statement's number and date.
var CollectionsHeader = []string{"account", "guarantor_name", "address", "city", "state", "zip", "case_ref",
	"balance", "first_service_date", "last_service_date", "last_payment_date", "last_payment_amount",
	"last_statement_number", "last_statement_date", "placed_date"}

// Export is one collections file.
type Export struct {
	ID        string          `gorm:"primaryKey;type:uuid" json:"id"`
	FileName  string          `json:"file_name"`
	CSV       string          `gorm:"column:csv" json:"-"`
	Accounts  int             `json:"accounts"`
	Total     decimal.Decimal `gorm:"type:numeric(14,2)" json:"total"`
	CreatedAt time.Time       `json:"created_at"`
}

// TableName is collection_exports.
func (Export) TableName() string { return "collection_exports" }

// HandOffResult is a placement's outcome.
type HandOffResult struct {
	ExportID string          `json:"export_id"`
	Placed   decimal.Decimal `json:"placed"`
	Cases    int             `json:"cases"`
}

// HandOff places a patient's open balance with the collection agency: each
// case's patient A/R moves to collections A/R (one journal per case), each case
// is recorded as placed, and the agency file (CSV, CollectionsHeader) is
// written. The key (the dunning account) makes it happen once.
func (s *Service) HandOff(ctx context.Context, patientID, key string, at time.Time) (HandOffResult, error) {
	var out HandOffResult
	fileName := "collections-" + strings.ReplaceAll(key, "/", "-") + ".csv"
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var prior Export
		if res := tx.Where("file_name = ?", fileName).Limit(1).Find(&prior); res.Error != nil {
			return res.Error
		} else if res.RowsAffected > 0 {
			out = HandOffResult{ExportID: prior.ID, Placed: prior.Total, Cases: prior.Accounts}
			return nil
		}
		var p struct{ FirstName, LastName, Address1, City, State, Zip string }
		if err := tx.Raw(`SELECT first_name, last_name, address1, city, state, zip FROM patients WHERE id = ? FOR UPDATE`, patientID).
			Scan(&p).Error; err != nil {
			return err
		}
		bal, err := patientBalance(tx, patientID)
		if err != nil {
			return err
		}
		exp := Export{ID: uuid.NewString(), FileName: fileName, CreatedAt: at.UTC()}
		if err := tx.Create(&exp).Error; err != nil {
			return fmt.Errorf("store collections file: %w", err)
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(CollectionsHeader)
		var lastStmt struct {
			Number   string
			IssuedAt time.Time
		}
		if err := tx.Raw(`SELECT number, issued_at FROM statements WHERE patient_id = ? ORDER BY issued_at DESC LIMIT 1`, patientID).
			Scan(&lastStmt).Error; err != nil {
			return err
		}
		for i, c := range bal.Cases {
			if err := tx.Exec(`SELECT id FROM cases WHERE id = ? FOR UPDATE`, c.CaseID).Error; err != nil {
				return err
			}
			if _, err := ledger.Post(tx, ledger.Journal{IdempotencyKey: "collections:" + key + ":" + c.CaseID, Kind: "collections_placement",
				CaseID: c.CaseID, PatientID: patientID, SourceType: "collection_export", SourceID: exp.ID,
				Memo:  "placed with collection agency",
				Lines: []ledger.Line{ledger.Debit(ledger.ARCollections, c.Owed), ledger.Credit(ledger.ARPatient, c.Owed)}}); err != nil {
				return err
			}
			if err := tx.Exec(`INSERT INTO collection_placements (id, patient_id, case_id, export_id, amount, status, placed_at)
				VALUES (?, ?, ?, ?, ?, 'placed', ?)`, uuid.NewString(), patientID, c.CaseID, exp.ID, c.Owed, at.UTC()).Error; err != nil {
				return err
			}
			var d struct {
				First, Last time.Time
				PayAt       *time.Time
				PayAmount   *decimal.Decimal
			}
			if err := tx.Raw(`SELECT (SELECT min(service_date) FROM encounters WHERE case_id = @c) AS first,
				(SELECT max(service_date) FROM encounters WHERE case_id = @c) AS last,
				(SELECT received_at FROM payments WHERE case_id = @c ORDER BY received_at DESC LIMIT 1) AS pay_at,
				(SELECT amount FROM payments WHERE case_id = @c ORDER BY received_at DESC LIMIT 1) AS pay_amount`,
				map[string]any{"c": c.CaseID}).Scan(&d).Error; err != nil {
				return err
			}
			row := []string{statements.AccountNumber(patientID), p.FirstName + " " + p.LastName, p.Address1, p.City, p.State, p.Zip,
				fmt.Sprintf("%d", i+1), c.Owed.StringFixed(2), date(d.First), date(d.Last), "", "", lastStmt.Number, date(lastStmt.IssuedAt),
				at.UTC().Format(time.DateOnly)}
			if d.PayAt != nil {
				row[10], row[11] = d.PayAt.Format(time.DateOnly), d.PayAmount.StringFixed(2)
			}
			_ = w.Write(row)
			exp.Total = exp.Total.Add(c.Owed)
			exp.Accounts++
		}
		w.Flush()
		exp.CSV = buf.String()
		if err := tx.Model(&Export{}).Where("id = ?", exp.ID).Updates(map[string]any{"csv": exp.CSV,
			"accounts": exp.Accounts, "total": exp.Total}).Error; err != nil {
			return fmt.Errorf("store collections file: %w", err)
		}
		out = HandOffResult{ExportID: exp.ID, Placed: exp.Total, Cases: exp.Accounts}
		return audit.Record(tx, audit.System, "collections.place", "patient", patientID, map[string]any{
			"export_id": exp.ID, "amount": exp.Total.StringFixed(2), "cases": exp.Accounts})
	})
	return out, err
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// ErrNotPlaced is returned when recalling a patient with nothing placed.
var ErrNotPlaced = apperr.New(apperr.Conflict, "the patient has no balance placed with the collection agency")

// Recall takes a patient's placed balances back from the agency: collections
// A/R returns to patient A/R.
func (s *Service) Recall(ctx context.Context, patientID string, actor audit.Actor) (decimal.Decimal, error) {
	total := decimal.Zero
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []struct {
			ID, CaseID string
		}
		if err := tx.Raw(`SELECT id, case_id FROM collection_placements WHERE patient_id = ? AND status = 'placed'
			ORDER BY placed_at, id FOR UPDATE`, patientID).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return ErrNotPlaced
		}
		for _, r := range rows {
			bal, err := ledger.CaseBalances(tx, r.CaseID)
			if err != nil {
				return err
			}
			amt := bal.Get(ledger.ARCollections)
			if amt.IsPositive() {
				if _, err := ledger.Post(tx, ledger.Journal{IdempotencyKey: "collections-recall:" + r.ID, Kind: "collections_recall",
					CaseID: r.CaseID, PatientID: patientID, SourceType: "collection_placement", SourceID: r.ID,
					Memo:  "recalled from collection agency",
					Lines: []ledger.Line{ledger.Debit(ledger.ARPatient, amt), ledger.Credit(ledger.ARCollections, amt)}}); err != nil {
					return err
				}
				total = total.Add(amt)
			}
			if err := tx.Exec(`UPDATE collection_placements SET status = 'recalled', recalled_at = now() WHERE id = ?`, r.ID).Error; err != nil {
				return err
			}
		}
		return audit.Record(tx, actor, "collections.recall", "patient", patientID, map[string]any{"amount": total.StringFixed(2)})
	})
	return total, err
}

// Exports lists the collections files, newest first.
func (s *Service) Exports(ctx context.Context, limit int) ([]Export, error) {
	var out []Export
	err := s.DB.WithContext(ctx).Select("id, file_name, accounts, total, created_at").Order("created_at DESC, id").Limit(limit).Find(&out).Error
	return out, err
}

// ExportFile reads one collections file.
func (s *Service) ExportFile(ctx context.Context, id string) (Export, error) {
	var e Export
	if found, err := db.FindByID(s.DB.WithContext(ctx), &e, id); err != nil {
		return e, err
	} else if !found {
		return e, fmt.Errorf("collections file %s: %w", id, ErrNotFound)
	}
	return e, nil
}
