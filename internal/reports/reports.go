// Package reports holds the manager views: stuck claims, A/R aging, KPIs and the
// dashboard. Each is a function over Postgres that takes a filter and returns
// rows; their definitions (and each KPI's formula) are written beside them and
// in the README's "Manager views". Aging and the money figures read the ledger's
// read model (ar_items, ledger_daily: migrations/00011), kept current by a
// trigger in the same transaction as every journal, so they equal the ledger to
// the cent without scanning it.
package reports

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/ledger"
)

// Service runs the reports against the database.
type Service struct {
	DB *gorm.DB
	// Now is the clock (time.Now when nil); tests fix it.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// day truncates t to its UTC calendar day.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Aging buckets, by days since the date of service.
const (
	Bucket0to30    = "0-30"
	Bucket31to60   = "31-60"
	Bucket61to90   = "61-90"
	Bucket91to120  = "91-120"
	BucketOver120  = "120+"
	bucketSQLCases = `CASE WHEN %[1]s <= 30 THEN '0-30' WHEN %[1]s <= 60 THEN '31-60'
		WHEN %[1]s <= 90 THEN '61-90' WHEN %[1]s <= 120 THEN '91-120' ELSE '120+' END`
)

// Buckets lists the aging buckets, youngest first.
var Buckets = []string{Bucket0to30, Bucket31to60, Bucket61to90, Bucket91to120, BucketOver120}

// bucketSQL is the SQL expression naming the bucket of an age in days.
func bucketSQL(ageExpr string) string { return fmt.Sprintf(bucketSQLCases, ageExpr) }

// BucketOf names the bucket of an age in days.
func BucketOf(age int) string {
	switch {
	case age <= 30:
		return Bucket0to30
	case age <= 60:
		return Bucket31to60
	case age <= 90:
		return Bucket61to90
	case age <= 120:
		return Bucket91to120
	}
	return BucketOver120
}

// receivables are the account codes aging reports, as strings for SQL.
func receivables() []string {
	out := make([]string, len(ledger.ReceivableAccounts))
	for i, a := range ledger.ReceivableAccounts {
		out[i] = string(a)
	}
	return out
}

// ratio is num/den rounded to places, zero (and false) when den is zero.
func ratio(num, den decimal.Decimal, places int32) *decimal.Decimal {
	if den.IsZero() {
		return nil
	}
	r := num.DivRound(den, places+4).Round(places)
	return &r
}

// percent is 100*num/den rounded to two places; nil when den is zero.
func percent(num, den int64) *decimal.Decimal {
	if den == 0 {
		return nil
	}
	r := decimal.NewFromInt(num*100).DivRound(decimal.NewFromInt(den), 6).Round(2)
	return &r
}

// terminal are the claim stages a claim never leaves, so it is never stuck.
var terminal = claims.Terminal
