package pgtest

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fatalRecorder captures Fatalf instead of failing the real test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper()        {}
func (f *fatalRecorder) Cleanup(func()) {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestUnreachableServerFailsWithWhatToStart(t *testing.T) {
	t.Setenv("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2")
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		NewDSN(rec)
	}()
	<-done
	require.NotEmpty(t, rec.msg, "an unreachable server must fail the test, not skip it")
	assert.Contains(t, rec.msg, "not reachable")
	assert.Contains(t, rec.msg, "pg_ctlcluster")
}

func TestNewGivesAFreshMigratedDatabase(t *testing.T) {
	a, b := New(t), New(t)
	var nameA, nameB string
	require.NoError(t, a.Raw("SELECT current_database()").Scan(&nameA).Error)
	require.NoError(t, b.Raw("SELECT current_database()").Scan(&nameB).Error)
	assert.NotEqual(t, nameA, nameB)
	var n int64
	require.NoError(t, a.Table("ledger_accounts").Count(&n).Error)
	assert.Positive(t, n, "migrations applied (chart of accounts seeded)")
}
