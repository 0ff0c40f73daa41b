package scrubrules_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/remit"
	"github.com/clinicflow/rcm/internal/scrub"
	"github.com/clinicflow/rcm/internal/scrubrules"
	"github.com/clinicflow/rcm/internal/validate"
)

var submitter = claims.Submitter{Name: "Main St Clinic", ID: "CLINIC01", SenderID: "CLINICFLOW",
	ReceiverID: "SIMCH", ReceiverName: "Simulated Clearinghouse", ContactName: "Billing", Phone: "2175550100"}

// history is a practice with claims that went through the simulator and had
// their 835 posted: the past a what-if run looks at.
type history struct {
	db                        *gorm.DB
	billing                   *billing.Service
	records                   *records.Service
	claims                    *claims.Service
	remit                     *remit.Service
	rules                     *scrubrules.Service
	sim                       *clearinghouse.Simulator
	now                       time.Time
	cursor                    string
	patient, loc, prov, payer string
}

func newHistory(t *testing.T) *history {
	g := pgtest.New(t)
	ctx := context.Background()
	h := &history{db: g, billing: &billing.Service{DB: g}, records: &records.Service{DB: g}, claims: &claims.Service{DB: g},
		remit: &remit.Service{DB: g}, rules: &scrubrules.Service{DB: g}, now: time.Now().UTC()}
	h.sim = clearinghouse.NewSimulator(clearinghouse.Config{Now: func() time.Time { return h.now },
		AckDelay: time.Second, RemitDelay: time.Minute})
	npi := "1245319599"
	loc, err := h.records.CreateLocation(ctx, records.NewLocation{Name: "Main St Clinic", NPI: &npi, TaxID: "37-1234567",
		Taxonomy: "207Q00000X", Address: records.Address{Address1: "1 Main St", City: "Springfield", State: "IL", Zip: "62701-1234"}}, audit.System)
	require.NoError(t, err)
	prov, err := h.records.CreateProvider(ctx, records.NewProvider{FirstName: "Ada", LastName: "Lovelace", NPI: "1234567893", Taxonomy: "207Q00000X"}, audit.System)
	require.NoError(t, err)
	_, err = h.records.CreateFeeSchedule(ctx, records.NewFeeSchedule{Name: "S", IsDefault: true, Items: []records.NewFeeItem{
		{ProcedureCode: "99213", Price: decimal.RequireFromString("200.00")},
		{ProcedureCode: "97110", Price: decimal.RequireFromString("65.00")},
		{ProcedureCode: "97140", Price: decimal.RequireFromString("45.00")}}}, audit.System)
	require.NoError(t, err)
	pat, err := h.records.CreatePatient(ctx, records.NewPatient{FirstName: "Jane", LastName: "Roe", DateOfBirth: "1980-02-03",
		Address: records.Address{Address1: "5 Elm St", City: "Springfield", State: "IL", Zip: "62704"}}, audit.System)
	require.NoError(t, err)
	payer, err := h.records.CreatePayer(ctx, records.NewPayer{Name: "Acme Health", PayerID: "ACME1", Type: "commercial"}, audit.System)
	require.NoError(t, err)
	h.patient, h.loc, h.prov, h.payer = pat.ID, loc.ID, prov.ID, payer.ID
	return h
}

type line struct {
	code      string
	modifiers []string
}

// claim bills a visit on serviceDate under memberID (whose prefix tells the
// simulator to pay or deny), sends it and posts the 835 the payer answers.
func (h *history) claim(t *testing.T, memberID, serviceDate string, lines ...line) string {
	ctx := context.Background()
	cs, err := (&cases.Service{DB: h.db}).Create(ctx, cases.New{PatientID: h.patient, Kind: "insurance"}, audit.System)
	require.NoError(t, err)
	_, err = h.records.AddCoverage(ctx, cs.ID, records.NewCoverage{PayerID: h.payer, Priority: "primary",
		MemberID: memberID, EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)
	enc := uuid.NewString()
	require.NoError(t, h.billing.RecordEncounter(ctx, billing.EncounterInput{EncounterID: enc, CaseID: cs.ID,
		ProviderID: h.prov, LocationID: h.loc, ServiceDate: serviceDate, CheckedInAt: h.now}))
	for _, l := range lines {
		_, err := h.billing.CaptureCharge(ctx, billing.ChargeInput{ChargeID: uuid.NewString(), CaseID: cs.ID, EncounterID: enc,
			ProcedureCode: l.code, Modifiers: l.modifiers, Units: 1, Diagnoses: []string{"M54.50"}})
		require.NoError(t, err)
	}
	require.NoError(t, h.billing.CompleteCharges(ctx, billing.CompleteInput{CaseID: cs.ID, EncounterID: enc, CompletedAt: h.now}))
	b, err := h.claims.Build(ctx, claims.BuildInput{CaseID: cs.ID, EncounterID: enc})
	require.NoError(t, err)
	r, err := h.claims.Render837(ctx, b.Claim.ID, submitter)
	require.NoError(t, err)
	_, err = h.sim.Submit(ctx, b.Claim.ID, r.Data)
	require.NoError(t, err)
	h.now = h.now.Add(2 * time.Minute)
	in, err := h.sim.Poll(ctx, h.cursor)
	require.NoError(t, err)
	if len(in) > 0 {
		h.cursor = in[len(in)-1].ID
	}
	for _, f := range in {
		if f.Kind == clearinghouse.Kind835 {
			_, err := h.remit.Ingest(ctx, f.Data, audit.System)
			require.NoError(t, err)
			return b.Claim.ID
		}
	}
	t.Fatalf("no 835 for member %s", memberID)
	return ""
}

func TestRuleSetsAreVersionedAndPublishedOneAtATime(t *testing.T) {
	h := newHistory(t)
	ctx := context.Background()
	cur, err := h.rules.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, cur.Version, "the migration publishes the built-in rules as version 1")
	assert.Len(t, cur.Rules(), len(scrub.DefaultRules()), "version 1 is the default rules")

	// Bad settings name their field; nothing is saved.
	_, err = h.rules.Create(ctx, scrubrules.NewRuleSet{Config: scrub.Config{
		Rules:      []scrub.RuleSetting{{Name: "no-such-rule"}, {Name: scrub.RuleMaxUnits, Enabled: true, Threshold: 100000}},
		PayerRules: []scrub.PayerRule{{PayerID: "ACME1", ProcedureCode: "97140", Kind: scrub.PayerRequiresModifier}}}}, audit.System)
	var verrs validate.Errors
	require.ErrorAs(t, err, &verrs)
	fields := map[string]bool{}
	for _, e := range verrs {
		fields[e.Field] = true
	}
	assert.Equal(t, map[string]bool{"rules[0].name": true, "rules[1].threshold": true, "payer_rules[0].modifier": true}, fields)
	list, err := h.rules.List(ctx, 0)
	require.NoError(t, err)
	assert.Len(t, list, 1)

	v2, err := h.rules.Create(ctx, scrubrules.NewRuleSet{Note: "ACME wants 59 on 97140", Config: scrub.Config{
		PayerRules: []scrub.PayerRule{{PayerID: "ACME1", ProcedureCode: "97140", Kind: scrub.PayerRequiresModifier, Modifier: "59"}}}}, audit.System)
	require.NoError(t, err)
	assert.Equal(t, 2, v2.Version)
	assert.Equal(t, scrubrules.Draft, v2.Status)
	assert.Equal(t, 1, *v2.BasedOn)
	assert.Equal(t, "payer-acme1-97140-requires-59", v2.Config.PayerRules[0].Name)

	// A claim scrubbed now uses the published version and records it.
	id := h.claim(t, "PAYFULL1", "2026-11-02", line{code: "97140"})
	fs, v, err := h.rules.ScrubStored(ctx, h.claims, id, time.Now())
	require.NoError(t, err)
	assert.Empty(t, fs)
	assert.Equal(t, 1, v)
	var c claims.Claim
	require.NoError(t, h.db.Where("id = ?", id).First(&c).Error)
	require.NotNil(t, c.ScrubRuleVersion)
	assert.Equal(t, 1, *c.ScrubRuleVersion)

	// Publishing v2 retires v1; the same claim now fails the payer rule, and
	// records v2.
	_, err = h.rules.Publish(ctx, 2, audit.System)
	require.NoError(t, err)
	v1, err := h.rules.Get(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, scrubrules.Retired, v1.Status)
	fs, v, err = h.rules.ScrubStored(ctx, h.claims, id, time.Now())
	require.NoError(t, err)
	assert.Equal(t, 2, v)
	require.Len(t, fs, 1)
	assert.Equal(t, "payer-acme1-97140-requires-59", fs[0].Rule)
	assert.Equal(t, "lines[0].modifiers", fs[0].Field)
	require.NoError(t, h.db.Where("id = ?", id).First(&c).Error)
	assert.Equal(t, 2, *c.ScrubRuleVersion)

	// Rolling back: publishing v1 again.
	_, err = h.rules.Publish(ctx, 1, audit.System)
	require.NoError(t, err)
	cur, err = h.rules.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, cur.Version)
	var published int64
	require.NoError(t, h.db.Model(&scrubrules.RuleSet{}).Where("status = 'published'").Count(&published).Error)
	assert.EqualValues(t, 1, published)

	_, err = h.rules.Publish(ctx, 99, audit.System)
	assert.Equal(t, apperr.NotFound, apperr.CodeOf(err), "%v", err)
}

func TestWhatIfNamesTheClaimsANewRuleStopsAndTheDenialsItPrevents(t *testing.T) {
	h := newHistory(t)
	ctx := context.Background()
	// The past: ACME denied a 97140 billed without modifier 59 (CO-50), paid
	// one with it and one without; denied a 99213 for another reason (CO-16);
	// and a second 99213 on the same day as that one was a duplicate the
	// current rules stop.
	deniedNo59 := h.claim(t, "DENY50A", "2026-11-02", line{code: "97140"}, line{code: "97110"})
	paid59 := h.claim(t, "PAYFULL1", "2026-11-03", line{code: "97140", modifiers: []string{"59"}})
	paidNo59 := h.claim(t, "PAYFULL2", "2026-11-04", line{code: "97140"})
	denied16 := h.claim(t, "DENY16X", "2026-11-05", line{code: "99213"})
	duplicate := h.claim(t, "PAYFULL3", "2026-11-05", line{code: "99213"})

	// The change: payer ACME1 requires 59 with 97140, and the duplicate-claim
	// rule off.
	v2, err := h.rules.Create(ctx, scrubrules.NewRuleSet{Config: scrub.Config{
		Rules:      []scrub.RuleSetting{{Name: scrub.RuleDuplicateClaim, Enabled: false}},
		PayerRules: []scrub.PayerRule{{PayerID: "ACME1", ProcedureCode: "97140", Kind: scrub.PayerRequiresModifier, Modifier: "59"}}}}, audit.System)
	require.NoError(t, err)
	run, err := h.rules.StartRun(ctx, scrubrules.NewRun{Version: v2.Version, Months: 3}, func(id string) string { return "scrub-what-if/" + id },
		time.Now(), audit.System)
	require.NoError(t, err)
	assert.Equal(t, 1, run.BaselineVersion)
	assert.Equal(t, 5, run.ClaimsTotal)

	// Batches of two: three batches do the five claims, the third completes
	// the run; another batch after that changes nothing.
	var beats []int
	for i := 1; i <= 3; i++ {
		p, err := h.rules.Batch(ctx, run.ID, 2, func(done int) { beats = append(beats, done) })
		require.NoError(t, err)
		assert.Equal(t, min(2*i, 5), p.Done)
		assert.Equal(t, i == 3, p.Finished, "batch %d", i)
	}
	assert.Equal(t, []int{1, 2, 3, 4, 5}, beats)
	p, err := h.rules.Batch(ctx, run.ID, 2, nil)
	require.NoError(t, err)
	assert.True(t, p.Finished)
	assert.Equal(t, 5, p.Done)

	got, err := h.rules.GetRun(ctx, run.ID)
	require.NoError(t, err)
	assert.Equal(t, scrubrules.RunCompleted, got.Status)
	assert.Equal(t, 5, got.ClaimsDone)
	assert.Equal(t, 2, got.NewlyStopped, "the two 97140 claims without 59")
	assert.Equal(t, 1, got.NewlyStoppedDenied, "one of them was denied: a denial prevented")
	assert.Equal(t, 1, got.NewlyStoppedPaid, "the other was paid: work added")
	assert.Equal(t, 1, got.NewlyPassed, "the duplicate, with its rule off")
	assert.Equal(t, 2, got.ProposedStopped)
	assert.Equal(t, 1, got.BaselineStopped)
	assert.Equal(t, 2, got.Denied)
	assert.Equal(t, 1, got.DeniedMissed, "the CO-16 denial no rule catches")

	outcomes := map[string]string{}
	all, err := h.rules.RunClaims(ctx, run.ID, scrubrules.ClaimFilter{})
	require.NoError(t, err)
	for _, c := range all {
		outcomes[c.ClaimID] = c.Outcome
	}
	assert.Equal(t, map[string]string{deniedNo59: scrubrules.NewlyStopped, paidNo59: scrubrules.NewlyStopped,
		duplicate: scrubrules.NewlyPassed, denied16: scrubrules.BothPassed}, outcomes, "paid59 (%s) passes both and was paid: only counted", paid59)

	stopped, err := h.rules.RunClaims(ctx, run.ID, scrubrules.ClaimFilter{Outcome: scrubrules.NewlyStopped})
	require.NoError(t, err)
	require.Len(t, stopped, 2)
	assert.Equal(t, deniedNo59, stopped[0].ClaimID, "denied first")
	assert.True(t, stopped[0].Denied)
	assert.Equal(t, []string{"CO-50"}, []string(stopped[0].DenialReasons))
	assert.Empty(t, stopped[0].BaselineFailures)
	require.Len(t, stopped[0].ProposedFailures, 1)
	assert.Equal(t, "payer-acme1-97140-requires-59", stopped[0].ProposedFailures[0].Rule)

	rep, err := h.rules.RunReport(ctx, run.ID)
	require.NoError(t, err)
	assert.Equal(t, float64(100), rep.Percent)
	assert.Equal(t, []scrubrules.ReasonCount{{Reason: "CO-50", Claims: 1}}, rep.PreventedReasons)
	assert.Equal(t, []scrubrules.ReasonCount{{Reason: "CO-16", Claims: 1}}, rep.MissedReasons)
	assert.Equal(t, []scrubrules.RuleCount{{Rule: "payer-acme1-97140-requires-59", Claims: 2, Denied: 1, Paid: 1}}, rep.NewFailuresByRule)
	assert.ElementsMatch(t, []scrubrules.Change{
		{Rule: scrub.RuleDuplicateClaim, Change: "disabled"},
		{Rule: "payer-acme1-97140-requires-59", Change: "added", Detail: "ACME1: 97140 requires modifier 59"}}, rep.Changes)
	assert.Len(t, rep.Examples[scrubrules.NewlyStopped], 2)

	// Nothing about the claims changed: no version recorded, stages as posted.
	var versioned int64
	require.NoError(t, h.db.Model(&claims.Claim{}).Where("scrub_rule_version IS NOT NULL").Count(&versioned).Error)
	assert.Zero(t, versioned)
	cur, err := h.rules.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, cur.Version, "a what-if run publishes nothing")
}

func TestWhatIfRunEndsOnceAndRefusesBadRanges(t *testing.T) {
	h := newHistory(t)
	ctx := context.Background()
	wf := func(id string) string { return "scrub-what-if/" + id }
	_, err := h.rules.StartRun(ctx, scrubrules.NewRun{Version: 1, From: "2026-11-30", To: "2026-11-01"}, wf, time.Now(), audit.System)
	var verrs validate.Errors
	require.ErrorAs(t, err, &verrs)
	assert.Equal(t, "to", verrs[0].Field)
	_, err = h.rules.StartRun(ctx, scrubrules.NewRun{Version: 7, Months: 1}, wf, time.Now(), audit.System)
	require.ErrorAs(t, err, &verrs)
	assert.Equal(t, "rule_version", verrs[0].Field)
	_, err = h.rules.StartRun(ctx, scrubrules.NewRun{Version: 1, Months: 2, From: "2026-01-01"}, wf, time.Now(), audit.System)
	require.ErrorAs(t, err, &verrs)
	assert.Equal(t, "months", verrs[0].Field)

	run, err := h.rules.StartRun(ctx, scrubrules.NewRun{Version: 1, From: "2026-01-01", To: "2026-01-31"}, wf, time.Now(), audit.System)
	require.NoError(t, err)
	require.NoError(t, h.rules.End(ctx, run.ID, scrubrules.RunCancelled, "cancelled"))
	require.NoError(t, h.rules.End(ctx, run.ID, scrubrules.RunFailed, "late failure"))
	got, err := h.rules.GetRun(ctx, run.ID)
	require.NoError(t, err)
	assert.Equal(t, scrubrules.RunCancelled, got.Status, "a run ends once")
	p, err := h.rules.Batch(ctx, run.ID, 10, nil)
	require.NoError(t, err)
	assert.True(t, p.Finished, "a cancelled run scrubs nothing more")
	assert.Zero(t, p.Done)
}
