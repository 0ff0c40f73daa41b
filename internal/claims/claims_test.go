package claims_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/validate"
)

type world struct {
	db                 *gorm.DB
	billing            *billing.Service
	records            *records.Service
	claims             *claims.Service
	patient, loc, prov string
	payer              string
}

func newWorld(t *testing.T) *world {
	g := pgtest.New(t)
	ctx := context.Background()
	w := &world{db: g, billing: &billing.Service{DB: g}, records: &records.Service{DB: g}, claims: &claims.Service{DB: g}}
	loc, err := w.records.CreateLocation(ctx, records.NewLocation{Name: "L", TaxID: "37-1234567", Taxonomy: "207Q00000X", Address: records.Address{Address1: "1 A St", City: "C", State: "IL", Zip: "62701-1234"}}, audit.System)
	require.NoError(t, err)
	prov, err := w.records.CreateProvider(ctx, records.NewProvider{FirstName: "A", LastName: "B", NPI: "1234567893"}, audit.System)
	require.NoError(t, err)
	_, err = w.records.CreateFeeSchedule(ctx, records.NewFeeSchedule{Name: "S", IsDefault: true, Items: []records.NewFeeItem{
		{ProcedureCode: "99213", Price: decimal.RequireFromString("125.00")},
		{ProcedureCode: "36415", Price: decimal.RequireFromString("15.50")},
		{ProcedureCode: "81002", Price: decimal.RequireFromString("9.99")}}}, audit.System)
	require.NoError(t, err)
	pat, err := w.records.CreatePatient(ctx, records.NewPatient{FirstName: "J", LastName: "R", DateOfBirth: "1980-01-01",
		Address: records.Address{Address1: "5 Elm St", City: "C", State: "IL", Zip: "62704"}}, audit.System)
	require.NoError(t, err)
	payer, err := w.records.CreatePayer(ctx, records.NewPayer{Name: "Acme", PayerID: "ACME1", Type: "commercial"}, audit.System)
	require.NoError(t, err)
	w.patient, w.loc, w.prov, w.payer = pat.ID, loc.ID, prov.ID, payer.ID
	return w
}

// visit opens a case of kind with a primary coverage (unless private), checks in
// on 2026-11-02 and captures the given charges; complete marks capture complete.
func (w *world) visit(t *testing.T, kind cases.Kind, complete bool, charges ...billing.ChargeInput) (caseID, encID string) {
	ctx := context.Background()
	cs, err := (&cases.Service{DB: w.records.DB}).Create(ctx, cases.New{PatientID: w.patient, Kind: kind}, audit.System)
	require.NoError(t, err)
	if kind != cases.Private {
		_, err = w.records.AddCoverage(ctx, cs.ID, records.NewCoverage{PayerID: w.payer, Priority: "primary",
			MemberID: "XJ123456", EffectiveFrom: "2026-01-01"}, audit.System)
		require.NoError(t, err)
	}
	encID = uuid.NewString()
	require.NoError(t, w.billing.RecordEncounter(ctx, billing.EncounterInput{EncounterID: encID, CaseID: cs.ID,
		ProviderID: w.prov, LocationID: w.loc, ServiceDate: "2026-11-02", CheckedInAt: time.Now()}))
	for _, ch := range charges {
		ch.ChargeID, ch.CaseID, ch.EncounterID = uuid.NewString(), cs.ID, encID
		_, err := w.billing.CaptureCharge(ctx, ch)
		require.NoError(t, err)
	}
	if complete {
		require.NoError(t, w.billing.CompleteCharges(ctx, billing.CompleteInput{CaseID: cs.ID, EncounterID: encID, CompletedAt: time.Now()}))
	}
	return cs.ID, encID
}

func (w *world) complete(t *testing.T, caseID, encID string) {
	require.NoError(t, w.billing.CompleteCharges(context.Background(), billing.CompleteInput{CaseID: caseID, EncounterID: encID, CompletedAt: time.Now()}))
}

func ch(code string, units int, dx []string, ptrs ...int) billing.ChargeInput {
	return billing.ChargeInput{ProcedureCode: code, Units: units, Diagnoses: dx, DiagnosisPointers: ptrs}
}

func TestBuildGroupsChargesAndRenumbersPointers(t *testing.T) {
	w := newWorld(t)
	caseID, encID := w.visit(t, "insurance", true,
		ch("99213", 1, []string{"E11.9", "I10"}, 1, 2),
		ch("36415", 2, []string{"I10"}, 1),
		ch("81002", 1, []string{"R30.0", "E11.9"}, 1, 2))
	b, err := w.claims.Build(context.Background(), claims.BuildInput{CaseID: caseID, EncounterID: encID})
	require.NoError(t, err)
	c := b.Claim
	assert.Equal(t, []string{"E11.9", "I10", "R30.0"}, []string(c.Diagnoses), "one claim-level list, first-seen order, dotted")
	require.Len(t, b.Lines, 3)
	assert.Equal(t, []int64{1, 2}, []int64(b.Lines[0].DiagnosisPointers))
	assert.Equal(t, []int64{2}, []int64(b.Lines[1].DiagnosisPointers), "I10 is the claim's second diagnosis")
	assert.Equal(t, []int64{3, 1}, []int64(b.Lines[2].DiagnosisPointers))
	assert.Equal(t, "165.99", c.TotalCharge.StringFixed(2), "125 + 2 x 15.50 + 9.99")
	assert.Equal(t, "1", c.Frequency)
	assert.Equal(t, claims.StageCreated, c.Stage)
	assert.Len(t, c.PatientControlNumber, 16)
	assert.Equal(t, w.payer, c.PayerID)

	again, err := w.claims.Build(context.Background(), claims.BuildInput{CaseID: caseID, EncounterID: encID})
	require.NoError(t, err)
	assert.Equal(t, c.ID, again.Claim.ID, "building twice returns the same claim")
	assert.Len(t, again.Lines, 3)
	var n int64
	require.NoError(t, w.db.Table("claims").Count(&n).Error)
	assert.EqualValues(t, 1, n)

	tl, err := w.claims.Timeline(context.Background(), c.ID)
	require.NoError(t, err)
	require.Len(t, tl, 1)
	assert.Equal(t, claims.StageCreated, tl[0].ToStage)
}

func TestBuildRefusals(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var fe validate.Errors

	privateCase, privateEnc := w.visit(t, "private", true, ch("99213", 1, []string{"E11.9"}, 1))
	_, err := w.claims.Build(ctx, claims.BuildInput{CaseID: privateCase, EncounterID: privateEnc})
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "case_id", fe[0].Field)

	openCase, openEnc := w.visit(t, "insurance", false, ch("99213", 1, []string{"E11.9"}, 1))
	_, err = w.claims.Build(ctx, claims.BuildInput{CaseID: openCase, EncounterID: openEnc})
	assert.ErrorIs(t, err, claims.ErrNotReady)

	_, err = w.claims.Build(ctx, claims.BuildInput{CaseID: openCase, EncounterID: uuid.NewString()})
	assert.ErrorIs(t, err, claims.ErrNotFound)

	caseID, encID := w.visit(t, "insurance", true, ch("99213", 1, []string{"E11.9"}, 1))
	_, err = w.claims.Build(ctx, claims.BuildInput{CaseID: caseID, EncounterID: encID, Priority: "secondary"})
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "priority", fe[0].Field, "no secondary coverage")

	noCharges, noChargesEnc := w.visit(t, "workers_comp", true)
	_, err = w.claims.Build(ctx, claims.BuildInput{CaseID: noCharges, EncounterID: noChargesEnc})
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "encounter_id", fe[0].Field)
}

func TestTransitionsTimelineAndStuckClaims(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	build := func() string {
		caseID, encID := w.visit(t, "insurance", true, ch("99213", 1, []string{"E11.9"}, 1))
		b, err := w.claims.Build(ctx, claims.BuildInput{CaseID: caseID, EncounterID: encID})
		require.NoError(t, err)
		return b.Claim.ID
	}
	waiting, paid, fresh := build(), build(), build()
	require.NoError(t, w.claims.Transition(ctx, waiting, claims.StageSubmitted, claims.CauseSystem, map[string]any{"isa13": "000000001"}, audit.System))
	require.NoError(t, w.claims.Transition(ctx, waiting, claims.StageSubmitted, claims.CauseSystem, nil, audit.System)) // retried: no event
	require.NoError(t, w.claims.Transition(ctx, waiting, claims.StageAccepted, claims.Cause277CA, nil, audit.System))
	require.NoError(t, w.claims.Transition(ctx, paid, claims.StagePaid, claims.Cause835, nil, audit.System))
	assert.ErrorIs(t, w.claims.Transition(ctx, uuid.NewString(), claims.StagePaid, claims.Cause835, nil, audit.System), claims.ErrNotFound)

	tl, err := w.claims.Timeline(ctx, waiting)
	require.NoError(t, err)
	require.Len(t, tl, 3)
	assert.Equal(t, []string{"created", "submitted", "accepted"}, []string{tl[0].ToStage, tl[1].ToStage, tl[2].ToStage})
	assert.Equal(t, "submitted", tl[2].FromStage)
	assert.Equal(t, claims.Cause277CA, tl[2].Cause)

	// Age the claims: waiting and paid moved 40 days ago, fresh 2 days ago.
	require.NoError(t, w.db.Exec(`UPDATE claims SET stage_changed_at = now() - interval '40 days' WHERE id IN (?, ?)`, waiting, paid).Error)
	require.NoError(t, w.db.Exec(`UPDATE claims SET stage_changed_at = now() - interval '2 days' WHERE id = ?`, fresh).Error)
	stuck, err := w.claims.StuckSince(ctx, time.Now(), 30*24*time.Hour)
	require.NoError(t, err)
	require.Len(t, stuck, 1, "paid claims are never stuck; fresh ones are not yet")
	assert.Equal(t, waiting, stuck[0].ClaimID)
	assert.Equal(t, claims.StageAccepted, stuck[0].Stage)
	assert.Equal(t, 40, stuck[0].DaysInStage)
	assert.Equal(t, claims.Cause277CA, stuck[0].LastCause)

	assert.Error(t, w.db.Exec(`DELETE FROM claim_events`).Error, "the timeline is append-only")
}

func TestControlNumberIsStableAndOpaque(t *testing.T) {
	id := uuid.NewString()
	assert.Equal(t, claims.ControlNumber(id), claims.ControlNumber(id))
	assert.NotEqual(t, claims.ControlNumber(id), claims.ControlNumber(uuid.NewString()))
	assert.Regexp(t, `^[A-Z2-7]{16}$`, claims.ControlNumber(id))
	assert.Empty(t, claims.ControlNumber("not-a-uuid"))
}
