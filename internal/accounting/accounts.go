package accounting

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/validate"
)

// Account is a ledger account with the practice's account it exports to (empty
// when not mapped yet).
type Account struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	ExternalCode string `json:"external_code"`
	ExternalName string `json:"external_name"`
}

// Accounts lists the ledger's chart of accounts with each account's mapping.
func (s *Service) Accounts(ctx context.Context) ([]Account, error) {
	var out []Account
	err := s.DB.WithContext(ctx).Raw(`SELECT a.code, a.name, a.type,
		coalesce(m.external_code, '') AS external_code, coalesce(m.external_name, '') AS external_name
		FROM ledger_accounts a LEFT JOIN gl_account_map m ON m.ledger_account = a.code ORDER BY a.code`).Scan(&out).Error
	return out, err
}

// Mapping maps a ledger account to the practice's account: its number (or code)
// and its name as the accounting system knows it (QuickBooks imports by name).
type Mapping struct {
	ExternalCode string `json:"external_code"`
	ExternalName string `json:"external_name"`
}

// MapAccount sets where ledger account code exports to.
func (s *Service) MapAccount(ctx context.Context, code string, m Mapping, actor audit.Actor) (Account, error) {
	var errs validate.Errors
	m.ExternalCode, m.ExternalName = strings.TrimSpace(m.ExternalCode), strings.TrimSpace(m.ExternalName)
	errs.Required("external_code", m.ExternalCode)
	errs.Required("external_name", m.ExternalName)
	for _, f := range []struct{ name, v string }{{"external_code", m.ExternalCode}, {"external_name", m.ExternalName}} {
		errs.Check(!strings.ContainsAny(f.v, "\t\r\n\""), f.name, "must not contain tabs, line breaks or double quotes (the IIF format cannot carry them)")
	}
	if err := errs.Err(); err != nil {
		return Account{}, err
	}
	var out Account
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Table("ledger_accounts").Where("code = ?", code).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("ledger account %s: %w", code, ErrNotFound)
		}
		row := map[string]any{"ledger_account": code, "external_code": m.ExternalCode,
			"external_name": m.ExternalName, "updated_at": time.Now().UTC()}
		if err := tx.Table("gl_account_map").Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "ledger_account"}},
			DoUpdates: clause.AssignmentColumns([]string{"external_code", "external_name", "updated_at"}),
		}).Create(row).Error; err != nil {
			return fmt.Errorf("map account %s: %w", code, err)
		}
		if err := audit.Record(tx, actor, "accounting.account.map", "ledger_account", code,
			map[string]any{"external_code": m.ExternalCode}); err != nil {
			return err
		}
		return tx.Raw(`SELECT a.code, a.name, a.type, m.external_code, m.external_name
			FROM ledger_accounts a JOIN gl_account_map m ON m.ledger_account = a.code WHERE a.code = ?`, code).Scan(&out).Error
	})
	return out, err
}
