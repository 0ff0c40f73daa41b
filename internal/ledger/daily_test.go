package ledger_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/pgtest"
)

func sale(key string, amount string) ledger.Journal {
	a := decimal.RequireFromString(amount)
	return ledger.Journal{IdempotencyKey: key, Kind: "test", SourceType: "test", SourceID: uuid.NewString(), Memo: "daily totals test",
		Lines: []ledger.Line{{Account: ledger.Cash, Amount: a}, {Account: ledger.Revenue, Amount: a.Neg()}}}
}

// TestPostingsOfOneDayDoNotWaitForEachOther: two postings to the same accounts
// on the same day run side by side. The ledger's daily totals were one row per
// day and account, updated by every posting and locked until it committed, so
// the second posting waited for the first (here: its lock timeout); the
// trigger appends deltas now, and the totals read the same before and after
// they are folded.
func TestPostingsOfOneDayDoNotWaitForEachOther(t *testing.T) {
	_, app := pgtest.NewPair(t)
	first := app.Begin()
	defer first.Rollback()
	_, err := ledger.Post(first, sale("daily-1", "10.00"))
	require.NoError(t, err)

	second := app.Begin()
	defer second.Rollback()
	require.NoError(t, second.Exec(`SET LOCAL lock_timeout = '2s'`).Error)
	start := time.Now()
	_, err = ledger.Post(second, sale("daily-2", "15.50"))
	require.NoError(t, err, "the second posting waited for the first one's daily row")
	require.NoError(t, second.Commit().Error)
	require.NoError(t, first.Commit().Error)
	t.Logf("second posting took %s beside an open first one", time.Since(start))

	type total struct {
		AccountCode string
		Debits      decimal.Decimal
		Credits     decimal.Decimal
	}
	read := func() []total {
		var out []total
		require.NoError(t, app.Raw(`SELECT account_code, sum(debits) AS debits, sum(credits) AS credits
			FROM ledger_daily_all GROUP BY account_code ORDER BY account_code`).Scan(&out).Error)
		return out
	}
	before := read()
	require.Len(t, before, 2)
	require.Equal(t, "25.5", before[0].Debits.String(), "cash")
	require.Equal(t, "25.5", before[1].Credits.String(), "revenue")

	var moved int64
	require.NoError(t, app.Raw(`SELECT ledger_daily_fold()`).Scan(&moved).Error)
	require.EqualValues(t, 4, moved, "two journals of two lines folded")
	require.Equal(t, before, read(), "folding changes no total")
	var rows, deltas int64
	require.NoError(t, app.Raw(`SELECT count(*) FROM ledger_daily`).Scan(&rows).Error)
	require.NoError(t, app.Raw(`SELECT count(*) FROM ledger_daily_deltas`).Scan(&deltas).Error)
	require.EqualValues(t, 2, rows, "one row a day and account")
	require.Zero(t, deltas)
}
