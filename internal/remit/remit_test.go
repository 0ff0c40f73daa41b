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
	"github.com/clinicflow/rcm/internal/cases"
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
	cursor                    string // the last simulator file polled
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
	cs, err := (&cases.Service{DB: w.records.DB}).Create(ctx, cases.New{PatientID: w.patient, Kind: "insurance"}, audit.System)
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
	in, err := w.sim.Poll(ctx, w.cursor)
	require.NoError(t, err)
	if len(in) > 0 {
		w.cursor = in[len(in)-1].ID
	}
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

func (w *world) claimRow(t *testing.T, id string) claims.Claim {
	var c claims.Claim
	require.NoError(t, w.db.Where("id = ?", id).First(&c).Error)
	return c
}

// addSecondary gives the case a secondary coverage with another payer.
func (w *world) addSecondary(t *testing.T, caseID, effectiveFrom string) {
	ctx := context.Background()
	var payerID string
	require.NoError(t, w.db.Table("payers").Where("payer_id = 'BETA2'").Pluck("id", &payerID).Error)
	if payerID == "" {
		p, err := w.records.CreatePayer(ctx, records.NewPayer{Name: "Beta Mutual", PayerID: "BETA2", Type: "commercial"}, audit.System)
		require.NoError(t, err)
		payerID = p.ID
	}
	_, err := w.records.AddCoverage(ctx, caseID, records.NewCoverage{PayerID: payerID, Priority: "secondary",
		MemberID: "SEC778899", EffectiveFrom: effectiveFrom}, audit.System)
	require.NoError(t, err)
}

// reissue rewrites an 835 (a simulator file as template) with a new trace
// number and the given claim payments; BPR02 is their sum.
func reissue(t *testing.T, template []byte, trace string, cps ...x12.ClaimPayment) []byte {
	rems, err := x12.Parse835(template)
	require.NoError(t, err)
	r := rems[0]
	r.Trace.Number, r.Claims, r.ProviderAdjustments = trace, cps, nil
	total := decimal.Zero
	for _, cp := range cps {
		total = total.Add(cp.Payment)
	}
	r.Payment.Amount, r.Payment.CreditDebit = total.Abs(), "C"
	if total.IsNegative() {
		r.Payment.CreditDebit = "D"
	}
	if total.IsZero() {
		r.Payment.HandlingCode, r.Payment.Method = "H", "NON"
	}
	require.NoError(t, r.CheckBalance())
	data, err := x12.Write835(&r)
	require.NoError(t, err)
	return data
}

func claimPayment(t *testing.T, era []byte) x12.ClaimPayment {
	rems, err := x12.Parse835(era)
	require.NoError(t, err)
	return rems[0].Claims[0]
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
	assert.NotEmpty(t, c.RemittanceClaimID)
	assert.Equal(t, b.Claim.CaseID, c.CaseID)
	assert.True(t, c.MovedToPatient.IsZero())
	assert.True(t, c.HeldForSecondary.IsZero())
	assert.False(t, c.Reversal)
	assert.False(t, c.Denied)
	assert.Equal(t, "22.00", w.claimRow(t, b.Claim.ID).Contractual.StringFixed(2), "the claim keeps what was contracted away")

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
	assert.Equal(t, "25.00", c.MovedToPatient.StringFixed(2))
	assert.True(t, c.HeldForSecondary.IsZero())
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
	assert.True(t, c.Denied)
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

// Liberal on the envelope, strict on the money: a file whose trailers slip
// (GE01 count, SE02 with a zero more than ST02) posts, and the answer says
// what was read past; a missing CLP04 still refuses it.
func TestEnvelopeSlipsPostWithWarnings(t *testing.T) {
	w := newWorld(t)
	_, era := w.claim(t, "XJ123456")
	segs := strings.Split(string(era), "~")
	for i, sg := range segs {
		el := strings.Split(strings.TrimSpace(sg), "*")
		switch el[0] {
		case "GE":
			el[1] = "7"
		case "SE":
			el[2] = "0" + el[2]
		}
		segs[i] = strings.Join(el, "*")
	}
	res, err := w.remit.Ingest(context.Background(), []byte(strings.Join(segs, "~")), audit.System)
	require.NoError(t, err)
	require.Len(t, res.Remittances, 1)
	assert.False(t, res.Remittances[0].AlreadyPosted)
	require.Len(t, res.Warnings, 2)
	assert.Contains(t, res.Warnings[0], "SE02 control number")
	assert.Contains(t, res.Warnings[1], "GE01 transaction set count is \"7\"")
	w.invariant(t)
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

func TestPrimaryWithSecondaryCoverageKeepsThePatientShareForTheSecondary(t *testing.T) {
	w := newWorld(t)
	b, era := w.claim(t, "PARTIAL01") // 220.00: paid 151.00, CO-45 44.00, PR-3 25.00
	w.addSecondary(t, b.Claim.CaseID, "2026-01-01")
	res, err := w.remit.Ingest(context.Background(), era, audit.System)
	require.NoError(t, err)
	c := res.Remittances[0].Claims[0]
	assert.Equal(t, "25.00", c.PatientResponsibility.StringFixed(2))
	assert.Equal(t, "25.00", c.HeldForSecondary.StringFixed(2))
	assert.True(t, c.MovedToPatient.IsZero(), "nothing reaches the patient before the secondary payer decides")
	assert.Equal(t, "paid", c.Stage)

	bal := w.balances(t, b.Claim.CaseID)
	assert.Equal(t, "25.00", bal.Get(ledger.ARInsuranceUnbilled).StringFixed(2), "the patient share stays in insurance A/R")
	assert.True(t, bal.PatientBalance().IsZero())
	assert.Equal(t, "151.00", bal.Get(ledger.Cash).StringFixed(2))
	assert.Equal(t, "44.00", bal.Get(ledger.Contractual).StringFixed(2))
	cl := w.claimRow(t, b.Claim.ID)
	assert.Equal(t, "151.00", cl.Paid.StringFixed(2))
	assert.Equal(t, "44.00", cl.Contractual.StringFixed(2))
	assert.Equal(t, "25.00", cl.PatientResponsibility.StringFixed(2))
	w.invariant(t)
}

func TestSecondaryCoverageOutsideTheServiceDateDoesNotHoldThePatientShare(t *testing.T) {
	w := newWorld(t)
	b, era := w.claim(t, "PARTIAL01") // service date 2026-11-02
	w.addSecondary(t, b.Claim.CaseID, "2026-12-01")
	res, err := w.remit.Ingest(context.Background(), era, audit.System)
	require.NoError(t, err)
	c := res.Remittances[0].Claims[0]
	assert.Equal(t, "25.00", c.MovedToPatient.StringFixed(2))
	assert.True(t, c.HeldForSecondary.IsZero())
	bal := w.balances(t, b.Claim.CaseID)
	assert.Equal(t, "25.00", bal.PatientBalance().StringFixed(2))
	assert.True(t, bal.Get(ledger.ARInsuranceUnbilled).IsZero())
	w.invariant(t)
}

func TestReversalAndCorrectedPaymentAccumulateOnTheClaim(t *testing.T) {
	w := newWorld(t)
	b, era := w.claim(t, "XJ123456") // 90%: paid 198.00, CO-45 22.00
	_, err := w.remit.Ingest(context.Background(), era, audit.System)
	require.NoError(t, err)
	orig := claimPayment(t, era)

	// The payer takes the payment back and pays again at 80%.
	repriced := orig
	repriced.Payment = decimal.Zero
	repriced.ServiceLines = nil
	for _, l := range orig.ServiceLines {
		allowed := l.ChargeAmount.Mul(decimal.RequireFromString("0.8")).Round(2)
		l.PaidAmount, l.AllowedAmount = allowed, &allowed
		l.Adjustments = []x12.Adjustment{{Group: "CO", Reason: "45", Amount: l.ChargeAmount.Sub(allowed)}}
		repriced.ServiceLines = append(repriced.ServiceLines, l)
		repriced.Payment = repriced.Payment.Add(allowed)
	}
	second := reissue(t, era, "TRN-CORRECTED", clearinghouse.Reversal(orig), repriced)
	res, err := w.remit.Ingest(context.Background(), second, audit.System)
	require.NoError(t, err)
	cs := res.Remittances[0].Claims
	require.Len(t, cs, 2)
	assert.True(t, cs[0].Reversal)
	assert.Equal(t, "accepted", cs[0].Stage)
	assert.Equal(t, "-22.00", cs[0].Contractual.StringFixed(2))
	assert.False(t, cs[1].Reversal)
	assert.Equal(t, "paid", cs[1].Stage)

	cl := w.claimRow(t, b.Claim.ID)
	assert.Equal(t, "176.00", cl.Paid.StringFixed(2), "198 - 198 + 176")
	assert.Equal(t, "44.00", cl.Contractual.StringFixed(2), "22 - 22 + 44")
	bal := w.balances(t, b.Claim.CaseID)
	assert.Equal(t, "176.00", bal.Get(ledger.Cash).StringFixed(2))
	assert.Equal(t, "44.00", bal.Get(ledger.Contractual).StringFixed(2))
	assert.True(t, bal.Get(ledger.ARInsuranceUnbilled).IsZero())
	w.invariant(t)
}

func TestSecondaryClaimPaidAfterThePriorPayer(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	b, era := w.claim(t, "PARTIAL01")
	w.addSecondary(t, b.Claim.CaseID, "2026-01-01")
	_, err := w.remit.Ingest(ctx, era, audit.System)
	require.NoError(t, err)
	sec, ok, err := w.claims.BuildSecondary(ctx, b.Claim.ID, audit.System)
	require.NoError(t, err)
	require.True(t, ok)

	// The secondary pays the 25.00 left; OA-23 is what the primary settled.
	cp := x12.ClaimPayment{PatientControlNumber: sec.Claim.PatientControlNumber, StatusCode: "2",
		TotalCharge: sec.Claim.TotalCharge, Payment: decimal.RequireFromString("25.00"), FilingIndicator: "CI",
		PayerClaimControlNumber: "BETA-1",
		Adjustments:             []x12.Adjustment{{Group: "OA", Reason: "23", Amount: decimal.RequireFromString("195.00")}}}
	res, err := w.remit.Ingest(ctx, reissue(t, era, "TRN-SECONDARY", cp), audit.System)
	require.NoError(t, err)
	c := res.Remittances[0].Claims[0]
	require.True(t, c.Matched)
	assert.Equal(t, sec.Claim.ID, c.ClaimID)
	assert.Equal(t, "paid", c.Stage, "OA-23 counts as settled")
	assert.True(t, c.Contractual.IsZero(), "OA-23 is not written down again")

	bal := w.balances(t, b.Claim.CaseID)
	assert.True(t, bal.Get(ledger.ARInsuranceUnbilled).IsZero(), "%s", bal.Get(ledger.ARInsuranceUnbilled))
	assert.True(t, bal.PatientBalance().IsZero())
	assert.Equal(t, "176.00", bal.Get(ledger.Cash).StringFixed(2))
	assert.True(t, claims.Open(w.claimRow(t, sec.Claim.ID)).IsZero())
	w.invariant(t)
}

func TestSecondaryClaimLeavesTheRestToThePatient(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	b, era := w.claim(t, "PARTIAL01")
	w.addSecondary(t, b.Claim.CaseID, "2026-01-01")
	_, err := w.remit.Ingest(ctx, era, audit.System)
	require.NoError(t, err)
	sec, _, err := w.claims.BuildSecondary(ctx, b.Claim.ID, audit.System)
	require.NoError(t, err)
	cp := x12.ClaimPayment{PatientControlNumber: sec.Claim.PatientControlNumber, StatusCode: "2",
		TotalCharge: sec.Claim.TotalCharge, Payment: decimal.RequireFromString("15.00"), FilingIndicator: "CI",
		Adjustments: []x12.Adjustment{{Group: "OA", Reason: "23", Amount: decimal.RequireFromString("195.00")},
			{Group: "PR", Reason: "2", Amount: decimal.RequireFromString("10.00")}}}
	res, err := w.remit.Ingest(ctx, reissue(t, era, "TRN-SECONDARY", cp), audit.System)
	require.NoError(t, err)
	c := res.Remittances[0].Claims[0]
	assert.Equal(t, "10.00", c.MovedToPatient.StringFixed(2), "a secondary claim's patient share goes to the patient")
	assert.Equal(t, "paid", c.Stage)
	bal := w.balances(t, b.Claim.CaseID)
	assert.True(t, bal.Get(ledger.ARInsuranceUnbilled).IsZero())
	assert.Equal(t, "10.00", bal.PatientBalance().StringFixed(2))
	w.invariant(t)
}

// TestPrimaryThenSecondaryThroughTheSimulator runs the whole coordination of
// benefits: the primary's 835 holds the copay for the secondary, the secondary
// claim carries the primary's adjudication in its 837P, and the secondary's 835
// (OA-23 for what the primary settled) leaves only its own PR to the patient.
func TestPrimaryThenSecondaryThroughTheSimulator(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	b, era := w.claim(t, "PARTIAL01") // 220.00: paid 151.00, CO-45 44.00, PR-3 25.00
	w.addSecondary(t, b.Claim.CaseID, "2026-01-01")
	_, err := w.remit.Ingest(ctx, era, audit.System)
	require.NoError(t, err)
	sec, ok, err := w.claims.BuildSecondary(ctx, b.Claim.ID, audit.System)
	require.NoError(t, err)
	require.True(t, ok)
	r, err := w.claims.Render837(ctx, sec.Claim.ID, submitter)
	require.NoError(t, err)
	_, err = w.sim.Submit(ctx, sec.Claim.ID, r.Data)
	require.NoError(t, err)
	w.now = w.now.Add(2 * time.Minute)
	in, err := w.sim.Poll(ctx, w.cursor)
	require.NoError(t, err)
	var secEra []byte
	for _, f := range in {
		if f.Kind == clearinghouse.Kind835 {
			secEra = f.Data
		}
	}
	require.NotNil(t, secEra, "the simulator pays the secondary claim")

	res, err := w.remit.Ingest(ctx, secEra, audit.System)
	require.NoError(t, err)
	c := res.Remittances[0].Claims[0]
	require.True(t, c.Matched)
	assert.Equal(t, sec.Claim.ID, c.ClaimID)
	assert.Equal(t, "2", c.StatusCode)
	assert.Equal(t, "paid", c.Stage)
	assert.Equal(t, "25.00", c.Paid.Add(c.PatientResponsibility).StringFixed(2), "the secondary decides the 25.00 the primary left")
	assert.True(t, c.Paid.IsPositive())
	assert.True(t, c.MovedToPatient.Equal(c.PatientResponsibility))
	assert.True(t, c.HeldForSecondary.IsZero())

	bal := w.balances(t, b.Claim.CaseID)
	assert.True(t, bal.Get(ledger.ARInsuranceUnbilled).IsZero(), "%s", bal.Get(ledger.ARInsuranceUnbilled))
	assert.Equal(t, c.PatientResponsibility.StringFixed(2), bal.PatientBalance().StringFixed(2))
	assert.Equal(t, decimal.RequireFromString("151.00").Add(c.Paid).StringFixed(2), bal.Get(ledger.Cash).StringFixed(2))
	assert.True(t, claims.Open(w.claimRow(t, sec.Claim.ID)).IsZero())
	assert.True(t, claims.Open(w.claimRow(t, b.Claim.ID)).IsZero())
	w.invariant(t)
}

// Posted rebuilds what the first posting reported, for a caller that must
// announce it again; an unmatched claim is left out.
func TestPostedRebuildsTheFirstResults(t *testing.T) {
	w := newWorld(t)
	_, era := w.claim(t, "PARTIAL02")
	res, err := w.remit.Ingest(context.Background(), era, audit.System)
	require.NoError(t, err)
	first := res.Remittances[0]
	require.NotEmpty(t, first.Claims)

	again, err := w.remit.Ingest(context.Background(), era, audit.System)
	require.NoError(t, err)
	require.True(t, again.Remittances[0].AlreadyPosted)
	rebuilt, err := w.remit.Posted(context.Background(), again.Remittances[0].RemittanceID)
	require.NoError(t, err)
	var matched []remit.ClaimResult
	for _, c := range first.Claims {
		if c.Matched {
			matched = append(matched, c)
		}
	}
	require.Len(t, rebuilt, len(matched))
	for i, want := range matched {
		got := rebuilt[i]
		assert.Equal(t, want.ClaimID, got.ClaimID)
		assert.Equal(t, want.RemittanceClaimID, got.RemittanceClaimID)
		assert.Equal(t, want.CaseID, got.CaseID)
		assert.Equal(t, want.Stage, got.Stage)
		for _, pair := range [][2]decimal.Decimal{{want.Paid, got.Paid}, {want.Contractual, got.Contractual},
			{want.PatientResponsibility, got.PatientResponsibility}, {want.MovedToPatient, got.MovedToPatient},
			{want.HeldForSecondary, got.HeldForSecondary}} {
			assert.True(t, pair[0].Equal(pair[1]), "%s != %s", pair[0], pair[1])
		}
	}
}
