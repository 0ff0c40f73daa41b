package scale_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/api"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/reports"
	"github.com/clinicflow/rcm/internal/reports/scale"
	"github.com/clinicflow/rcm/migrations"
)

// TestLoadAddsUp loads a small book the way the benchmark loads a million
// claims, and checks what the views see against the loaded rows.
func TestLoadAddsUp(t *testing.T) {
	ctx := context.Background()
	g := pgtest.New(t)
	sz := scale.Sizes{Claims: 2000, LinesPerClaim: 5, OtherVisits: 200, Days: 730, Payers: 4, Locations: 2, Providers: 3}
	st, err := scale.Load(ctx, g, sz)
	require.NoError(t, err)
	assert.EqualValues(t, 2000, st.Rows["claims"])
	assert.EqualValues(t, 2200*5, st.Rows["charges"])

	rs := &reports.Service{DB: g}
	ag, err := rs.Aging(ctx, "")
	require.NoError(t, err)
	assert.True(t, ag.Ledger.InAgreement, "%+v", ag.Ledger)
	assert.True(t, ag.Total.Total.IsPositive())
	for _, grp := range reports.Groupings {
		sum := ag.Total.Total.Sub(ag.Total.Total)
		for _, r := range ag.Groups[grp] {
			sum = sum.Add(r.Total)
		}
		assert.True(t, sum.Equal(ag.Total.Total), "%s sums to %s, total %s", grp, sum, ag.Total.Total)
	}
	var inFlight int64
	require.NoError(t, g.Raw(`SELECT count(*) FROM claims WHERE stage NOT IN ?`, []string{"paid", "written_off",
		"transferred_to_patient", "voided", "replaced"}).Scan(&inFlight).Error)
	d, err := rs.Dashboard(ctx)
	require.NoError(t, err)
	var n int64
	for _, s := range d.ClaimsByStage {
		n += s.Claims
	}
	assert.Equal(t, inFlight, n)
	assert.Positive(t, d.StuckClaims)
	var stuck int64
	require.NoError(t, g.Raw(`SELECT count(*) FROM claims WHERE stage NOT IN ? AND stage_changed_at < ?`, []string{"paid", "written_off",
		"transferred_to_patient", "voided", "replaced"}, d.AsOf.Add(-reports.DefaultStuckDays*24*time.Hour)).Scan(&stuck).Error)
	assert.Equal(t, stuck, d.StuckClaims, "the loader fills report_counts as the triggers would")
	var deniedThisWeek, counted int64
	monday := d.AsOf.Truncate(24*time.Hour).AddDate(0, 0, -((int(d.AsOf.Weekday()) + 6) % 7))
	require.NoError(t, g.Raw(`SELECT count(*) FROM claim_events WHERE to_stage = 'denied' AND cause = '835' AND at >= ?`, monday).
		Scan(&deniedThisWeek).Error)
	for _, c := range d.DenialsThisWeek {
		counted += c.Count
		assert.NotEqual(t, "other", c.Key, "every loaded denial reason has a category")
	}
	assert.Equal(t, deniedThisWeek, counted)
	// This week may hold none (early on a Monday the loader's latest events
	// fall in last week); the twelve weeks of the trend always hold some.
	var deniedInTrend, trended int64
	first, err := time.Parse(time.DateOnly, d.Trend[0].Week)
	require.NoError(t, err)
	require.NoError(t, g.Raw(`SELECT count(*) FROM claim_events WHERE to_stage = 'denied' AND at >= ?`, first).
		Scan(&deniedInTrend).Error)
	for _, w := range d.Trend {
		trended += w.Denials
	}
	assert.Equal(t, deniedInTrend, trended)
	assert.Positive(t, trended)
	assert.True(t, d.Receivables.Total.Equal(ag.Total.Total))
}

// BenchmarkScale loads Default (a million claims, five million charges, their
// events, remittances and journals) into a fresh database and measures the
// manager views through the HTTP API, reporting p50 and p99 per view. It runs
// only when asked (make bench-scale sets RCM_BENCH_SCALE=1); then a missing
// PostgreSQL fails it, saying what to start. RCM_SCALE_CLAIMS changes the size.
func BenchmarkScale(b *testing.B) {
	if os.Getenv("RCM_BENCH_SCALE") == "" {
		b.Skip("the scale benchmark loads a million claims: run it with `make bench-scale` (RCM_BENCH_SCALE=1)")
	}
	ctx := context.Background()
	sz := scale.Default
	if v := os.Getenv("RCM_SCALE_CLAIMS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err, "RCM_SCALE_CLAIMS")
		sz.Claims, sz.OtherVisits = n, n/10
	}
	g := scaleDB(b)
	var loaded int64
	require.NoError(b, g.Raw(`SELECT count(*) FROM claims`).Scan(&loaded).Error)
	if loaded > 0 {
		b.Logf("RCM_SCALE_DSN holds %d claims already: measuring them", loaded)
		measure(b, g)
		return
	}
	b.Logf("loading %d claims with %d charges each and %d other visits on %d CPUs...", sz.Claims, sz.LinesPerClaim, sz.OtherVisits, runtime.NumCPU())
	st, err := scale.Load(ctx, g, sz)
	require.NoError(b, err)
	b.Logf("loaded in %s", st.Duration.Round(time.Second))
	for _, s := range st.Steps {
		b.Logf("  %-18s %s", s.Name, s.Duration.Round(10*time.Millisecond))
	}
	b.Logf("rows: %v", st.Rows)
	measure(b, g)
}

// scaleDB is a fresh database, or the one RCM_SCALE_DSN names (kept, so a loaded
// book can be measured again or explained without loading it again).
func scaleDB(b *testing.B) *gorm.DB {
	dsn := os.Getenv("RCM_SCALE_DSN")
	if dsn == "" {
		return pgtest.New(b)
	}
	g, err := db.Open(context.Background(), dsn)
	require.NoError(b, err, "RCM_SCALE_DSN")
	require.NoError(b, migrations.Up(context.Background(), db.SQL(g)))
	return g
}

func measure(b *testing.B, g *gorm.DB) {
	h, token := server(b, g)
	var stuck reports.StuckSummary
	getJSON(b, h, token, "/api/v1/reports/stuck-claims", &stuck)
	require.NotEmpty(b, stuck.Groups)
	b.Logf("stuck claims: %d in %d groups", stuck.Claims, len(stuck.Groups))
	big := stuck.Groups[0]
	views := []struct{ name, path string }{
		{"stuck-claims", "/api/v1/reports/stuck-claims"},
		{"stuck-claims-page", fmt.Sprintf("/api/v1/reports/stuck-claims?stage=%s&payer_id=%s", big.Stage, big.PayerID)},
		{"ar-aging", "/api/v1/reports/ar-aging"},
		{"ar-aging-drill", "/api/v1/reports/ar-aging?bucket=120%2B&payer=" + big.PayerID},
		{"dashboard", "/api/v1/dashboard"},
	}
	for _, v := range views {
		b.Run(v.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				w := get(h, token, v.path)
				took = append(took, time.Since(t0))
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", v.path, w.Code, w.Body.String())
				}
			}
			slices.Sort(took)
			ms := func(q float64) float64 {
				return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}

func server(b *testing.B, g *gorm.DB) (http.Handler, string) {
	ctx := context.Background()
	as := &auth.Service{DB: g}
	// A unique manager per run, so a database loaded before (RCM_SCALE_DSN) can
	// be measured again.
	email := fmt.Sprintf("bench-manager-%d@example.test", time.Now().UnixNano())
	u, err := as.CreateUser(ctx, auth.NewUser{Email: email, Name: "Bench Manager", Role: auth.RoleManager}, audit.System)
	require.NoError(b, err)
	tok, err := as.IssueToken(ctx, u.ID, "bench", audit.System)
	require.NoError(b, err)
	return api.New(g, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), 0).Router(), tok
}

func get(h http.Handler, token, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func getJSON(b *testing.B, h http.Handler, token, path string, out any) {
	w := get(h, token, path)
	require.Equal(b, http.StatusOK, w.Code, w.Body.String())
	require.NoError(b, json.Unmarshal(w.Body.Bytes(), out))
}
