package remit_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/remit"
	"github.com/clinicflow/rcm/internal/x12"
)

var submitter = claims.Submitter{Name: "Main St Clinic", ID: "CLINIC01", SenderID: "CLINICFLOW",
	ReceiverID: "SIMCH", ReceiverName: "Simulated Clearinghouse", ContactName: "Billing", Phone: "2175550100"}

type world struct {
	db                        *gorm.DB
	billing                   *billing.Service
	records                   *records.Service
	claims                    *claims.Service
	remit                     *remit.Service
	sim                       *clearinghouse.Simulator
	now                       time.Time
	patient, loc, prov, payer string
}

func newWorld(t *testing.T) *world {
	g := pgtest.New(t)
	ctx := context.Background()
	w := &world{db: g, billing: &billing.Service{DB: g}, records: &records.Service{DB: g},
		claims: &claims.Service{DB: g}, remit: &remit.Service{DB: g}, now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	w.sim = clearinghouse.NewSimulator(clearinghouse.Config{Now: func() time.Time { return w.now },
		AckDelay: time.Second, RemitDelay: time.Minute})
	npi := "1245319599"
	loc, err := w.records.CreateLocation(ctx, records.NewLocation{Name: "Main St Clinic", NPI: &npi, TaxID: "37-1234567",
		Taxonomy: "207Q00000X", Address: records.Address{Address1: "1 Main St", City: "Springfield", State: "IL", Zip: "62701-1234"}}, audit.System)
	require.NoError(t, err)
	prov, err := w.records.CreateProvider(ctx, records.NewProvider{FirstName: "Ada", LastName: "Lovelace", NPI: "1234567893", Taxonomy: "207Q00000X"}, audit.System)
	require.NoError(t, err)
	_, err = w.records.CreateFeeSchedule(ctx, records.NewFeeSchedule{Name: "S", IsDefault: true, Items: []records.NewFeeItem{
		{ProcedureCode: "99213", Price: decimal.RequireFromString("200.00")},
		{ProcedureCode: "36415", Price: decimal.RequireFromString("20.00")}}}, audit.System)
	require.NoError(t, err)
	pat, err := w.records.CreatePatient(ctx, records.NewPatient{FirstName: "Jane", LastName: "Roe", DateOfBirth: "1980-02-03",
		Address: records.Address{Address1: "5 Elm St", City: "Springfield", State: "IL", Zip: "62704"}}, audit.System)
	require.NoError(t, err)
	payer, err := w.records.CreatePayer(ctx, records.NewPayer{Name: "Acme Health", PayerID: "ACME1", Type: "commercial"}, audit.System)
	require.NoError(t, err)
	w.patient, w.loc, w.prov, w.payer = pat.ID, loc.ID, prov.ID, payer.ID
	return w
}

// claim runs an insurance visit (99213 + 36415) under memberID through claim
// building, 837P rendering and the simulator, and returns the claim and its 835.
func (w *world) claim(t *testing.T, memberID string) (claims.Built, []byte) {
	ctx := context.Background()
	cs, err := w.records.CreateCase(ctx, records.NewCase{PatientID: w.patient, Kind: "insurance"}, audit.System)
	require.NoError(t, err)
	_, err = w.records.AddCoverage(ctx, cs.ID, records.NewCoverage{PayerID: w.payer, Priority: "primary",
		MemberID: memberID, EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)
	enc := uuid.NewString()
	require.NoError(t, w.billing.RecordEncounter(ctx, billing.EncounterInput{EncounterID: enc, CaseID: cs.ID,
		ProviderID: w.prov, LocationID: w.loc, ServiceDate: "2026-11-02", CheckedInAt: w.now}))
	for _, code := range []string{"99213", "36415"} {
		_, err := w.billing.CaptureCharge(ctx, billing.ChargeInput{ChargeID: uuid.NewString(), CaseID: cs.ID, EncounterID: enc,
			ProcedureCode: code, Units: 1, Diagnoses: []string{"E11.9"}})
		require.NoError(t, err)
	}
	require.NoError(t, w.billing.CompleteCharges(ctx, billing.CompleteInput{CaseID: cs.ID, EncounterID: enc, CompletedAt: w.now}))
	b, err := w.claims.Build(ctx, claims.BuildInput{CaseID: cs.ID, EncounterID: enc})
	require.NoError(t, err)
	r, err := w.claims.Render837(ctx, b.Claim.ID, submitter)
	require.NoError(t, err)
	_, err = w.sim.Submit(ctx, b.Claim.ID, r.Data)
	require.NoError(t, err)
	w.now = w.now.Add(2 * time.Minute)
	in, err := w.sim.Poll(ctx)
	require.NoError(t, err)
	for _, f := range in {
		if f.Kind == clearinghouse.Kind835 {
			return b, f.Data
		}
	}
	t.Fatalf("no 835 for member %s; got %d files", memberID, len(in))
	return b, nil
}

func (w *world) balances(t *testing.T, caseID string) ledger.Balances {
	b, err := ledger.CaseBalances(w.db, caseID)
	require.NoError(t, err)
	return b
}

func (w *world) invariant(t *testing.T) {
	bad, err := ledger.CheckAll(w.db)
	require.NoError(t, err)
	require.Empty(t, bad)
}

func TestPaidClaimPostsPaymentAndContractual(t *testing.T) {
	w := newWorld(t)
	b, era := w.claim(t, "XJ123456") // default rule: 90% allowed, CO-45 for the rest
	res, err := w.remit.Ingest(context.Background(), era, audit.System)
	require.NoError(t, err)
	require.Len(t, res.Remittances, 1)
	rr := res.Remittances[0]
	require.False(t, rr.AlreadyPosted)
	require.Len(t, rr.Claims, 1)
	c := rr.Claims[0]
	require.True(t, c.Matched)
	assert.Equal(t, b.Claim.ID, c.ClaimID)
	assert.Equal(t, "198.00", c.Paid.StringFixed(2), "90% of 220.00")
	assert.Equal(t, "22.00", c.Contractual.StringFixed(2))
	assert.Equal(t, "paid", c.Stage)

	bal := w.balances(t, b.Claim.CaseID)
	assert.True(t, bal.Get(ledger.ARInsuranceUnbilled).IsZero(), "insurance A/R cleared: %s", bal.Get(ledger.ARInsuranceUnbilled))
	assert.True(t, bal.PatientBalance().IsZero())
	assert.Equal(t, "198.00", bal.Get(ledger.Cash).StringFixed(2))
	assert.Equal(t, "22.00", bal.Get(ledger.Contractual).StringFixed(2))
	w.invariant(t)

	tl, err := w.claims.Timeline(context.Background(), b.Claim.ID)
	require.NoError(t, err)
	assert.Equal(t, "835", tl[len(tl)-1].Cause)

	// The same file again is a no-op that says so.
	again, err := w.remit.Ingest(context.Background(), era, audit.System)
	require.NoError(t, err)
	assert.True(t, again.Remittances[0].AlreadyPosted)
	assert.Equal(t, rr.RemittanceID, again.Remittances[0].RemittanceID)
	assert.Equal(t, "198.00", w.balances(t, b.Claim.CaseID).Get(ledger.Cash).StringFixed(2), "posted once")
}

func TestPatientShareMovesToPatientBalance(t *testing.T) {
	w := newWorld(t)
	b, era := w.claim(t, "PARTIAL01") // 80% allowed, CO-45, PR-3 copay 25.00
	res, err := w.remit.Ingest(context.Background(), era, audit.System)
	require.NoError(t, err)
	c := res.Remittances[0].Claims[0]
	assert.Equal(t, "25.00", c.PatientResponsibility.StringFixed(2))
	bal := w.balances(t, b.Claim.CaseID)
	assert.Equal(t, "25.00", bal.PatientBalance().StringFixed(2), "the copay is now the patient's")
	assert.True(t, bal.Get(ledger.ARInsuranceUnbilled).IsZero())
	var stage string
	require.NoError(t, w.db.Table("claims").Where("id = ?", b.Claim.ID).Pluck("stage", &stage).Error)
	assert.Equal(t, "paid", stage)
	w.invariant(t)
}

func TestDeniedClaimStaysOpenWithThePayer(t *testing.T) {
	w := newWorld(t)
	b, era := w.claim(t, "DENY50X")
	res, err := w.remit.Ingest(context.Background(), era, audit.System)
	require.NoError(t, err)
	c := res.Remittances[0].Claims[0]
	assert.Equal(t, "denied", c.Stage)
	assert.True(t, c.Paid.IsZero())
	bal := w.balances(t, b.Claim.CaseID)
	assert.Equal(t, "220.00", bal.Get(ledger.ARInsuranceUnbilled).StringFixed(2), "a denial writes nothing off: it waits for a decision")
	w.invariant(t)
}

func TestUnmatchedClaimGoesToAQueue(t *testing.T) {
	w := newWorld(t)
	_, era := w.claim(t, "XJ123456")
	// Forget the claim's control number so the 835 matches nothing.
	require.NoError(t, w.db.Exec(`UPDATE claims SET patient_control_number = 'OTHER'`).Error)
	res, err := w.remit.Ingest(context.Background(), era, audit.System)
	require.NoError(t, err)
	assert.False(t, res.Remittances[0].Claims[0].Matched)
	var queue string
	require.NoError(t, w.db.Table("tasks").Where("kind = ?", remit.KindUnmatched).Pluck("queue", &queue).Error)
	assert.Equal(t, remit.QueueUnmatched, queue)
	var journals int64
	require.NoError(t, w.db.Table("journals").Where("kind = 'insurance_payment'").Count(&journals).Error)
	assert.Zero(t, journals, "nothing is posted for an unmatched claim")
}

func TestBrokenFilePostsNothing(t *testing.T) {
	w := newWorld(t)
	_, era := w.claim(t, "XJ123456")
	// Corrupt the claim payment amount (CLP04).
	segs := strings.Split(string(era), "~")
	for i, sg := range segs {
		if el := strings.Split(strings.TrimSpace(sg), "*"); el[0] == "CLP" {
			el[4] = "12x"
			segs[i] = strings.Join(el, "*")
		}
	}
	_, err := w.remit.Ingest(context.Background(), []byte(strings.Join(segs, "~")), audit.System)
	var pe *x12.ParseError
	require.ErrorAs(t, err, &pe, "the error names the segment and position")
	assert.Equal(t, "CLP", pe.Segment)
	assert.Positive(t, pe.Position)
	assert.Equal(t, 4, pe.Element)
	var n int64
	require.NoError(t, w.db.Table("remittances").Count(&n).Error)
	assert.Zero(t, n)
}

func TestPublicSampleFilesPostOrQueueEveryClaim(t *testing.T) {
	w := newWorld(t)
	files, err := filepath.Glob(filepath.Join("..", "x12", "testdata", "835", "*.835"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		res, err := w.remit.Ingest(context.Background(), data, audit.System)
		require.NoError(t, err, f)
		for _, rr := range res.Remittances {
			for _, c := range rr.Claims {
				assert.False(t, c.Matched, "%s: no local claims exist", f)
			}
		}
	}
	w.invariant(t)
}
