package legal_test

import (
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
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/legal"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/x12"
)

// money is a world of held cases: the owner's handle sets up, the legal
// service runs as the application's role (rcm_app), as in production.
type money struct {
	owner, app *gorm.DB
	svc        *legal.Service
	billing    *billing.Service
	patient    string
	provider   string
	location   string
	insurer    string
	now        time.Time
}

func newMoney(t *testing.T) *money {
	owner, app := pgtest.NewPair(t)
	rec := &records.Service{DB: owner}
	p, err := rec.CreatePatient(ctx, records.NewPatient{FirstName: "Jane", LastName: "Roe", DateOfBirth: "1980-02-03",
		Address: records.Address{Address1: "5 Elm St", City: "Springfield", State: "IL", Zip: "62704"}}, audit.System)
	require.NoError(t, err)
	pr, err := rec.CreateProvider(ctx, records.NewProvider{FirstName: "Ada", LastName: "Lovelace", NPI: "1234567893"}, audit.System)
	require.NoError(t, err)
	loc, err := rec.CreateLocation(ctx, records.NewLocation{Name: "Main", TaxID: "37-1234567", Taxonomy: "207Q00000X",
		Address: records.Address{Address1: "1 Main St", City: "Springfield", State: "IL", Zip: "62701-1234"}}, audit.System)
	require.NoError(t, err)
	_, err = rec.CreateFeeSchedule(ctx, records.NewFeeSchedule{Name: "S", IsDefault: true, Items: []records.NewFeeItem{
		{ProcedureCode: "99213", Description: "Office visit, established patient", Price: decimal.RequireFromString("100.00")},
		{ProcedureCode: "97110", Description: "Therapeutic exercise", Price: decimal.RequireFromString("150.00")}}}, audit.System)
	require.NoError(t, err)
	ins, err := rec.CreatePayer(ctx, records.NewPayer{Name: "Acme Auto", PayerID: "ACMEAUTO", Type: "auto"}, audit.System)
	require.NoError(t, err)
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	return &money{owner: owner, app: app, svc: &legal.Service{DB: app, Now: func() time.Time { return now }},
		billing: &billing.Service{DB: owner}, patient: p.ID, provider: pr.ID, location: loc.ID, insurer: ins.ID, now: now}
}

// heldCase opens a legal case of kind with its details and one visit per
// code, charges captured and complete; it returns the case and charge ids.
func (m *money) heldCase(t *testing.T, kind cases.Kind, codes ...string) (cases.Case, []string) {
	cs, err := (&cases.Service{DB: m.owner}).Create(ctx, cases.New{PatientID: m.patient, Kind: kind}, audit.System)
	require.NoError(t, err)
	var ids []string
	for i, code := range codes {
		enc := uuid.NewString()
		require.NoError(t, m.billing.RecordEncounter(ctx, billing.EncounterInput{EncounterID: enc, CaseID: cs.ID,
			ProviderID: m.provider, LocationID: m.location, ServiceDate: m.now.AddDate(0, 0, -30+i).Format(time.DateOnly),
			CheckedInAt: m.now}))
		id := uuid.NewString()
		_, err := m.billing.CaptureCharge(ctx, billing.ChargeInput{ChargeID: id, CaseID: cs.ID, EncounterID: enc,
			ProcedureCode: code, Units: 1, Diagnoses: []string{"S13.4XXA"}, DiagnosisPointers: []int{1}})
		require.NoError(t, err)
		require.NoError(t, m.billing.CompleteCharges(ctx, billing.CompleteInput{CaseID: cs.ID, EncounterID: enc, CompletedAt: m.now}))
		ids = append(ids, id)
	}
	accident := ""
	if kind == cases.PersonalInjury {
		accident = legal.AccidentSlipAndFall
	}
	_, err = m.svc.PutDetails(ctx, cs, legal.DetailsInput{DateOfInjury: m.now.AddDate(0, 0, -40).Format(time.DateOnly),
		AccidentState: "IL", AccidentKind: accident, InsurerID: m.insurer, InsurerClaimNumber: "ACM-77-1234"}, audit.System)
	require.NoError(t, err)
	return cs, ids
}

// balances checks every journal balances and returns the case's accounts.
func (m *money) balances(t *testing.T, caseID string) ledger.Balances {
	bad, err := ledger.CheckAll(m.owner)
	require.NoError(t, err)
	require.Empty(t, bad, "every journal balances")
	b, err := ledger.CaseBalances(m.owner, caseID)
	require.NoError(t, err)
	return b
}

func (m *money) journals(t *testing.T, caseID string) int64 {
	var n int64
	require.NoError(t, m.owner.Table("journals").Where("case_id = ?", caseID).Count(&n).Error)
	return n
}

func amt(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func fixed(d decimal.Decimal) string { return d.StringFixed(2) }

func TestSettlementWithApprovedReductionReleasedToAttorneyAndPaid(t *testing.T) {
	m := newMoney(t)
	cs, ids := m.heldCase(t, cases.MVA, "99213", "97110")
	assert.Equal(t, "250.00", fixed(m.balances(t, cs.ID).Get(ledger.ARHeld)))

	// 30 % asked off the 250.00 held: above 15 %, a manager decides.
	st, err := m.svc.RecordSettlement(ctx, legal.SettlementInput{ID: uuid.NewString(), CaseID: cs.ID, Amount: amt("25000"),
		ReductionPercent: ptr(amt("30")), PayVia: legal.PayAttorney, At: m.now}, legal.ReductionApprovalPercent())
	require.NoError(t, err)
	assert.Equal(t, legal.SettlementPending, st.Status)
	assert.Equal(t, "75.00", fixed(st.RequestedReduction))
	assert.Nil(t, st.ApprovedReduction)
	again, err := m.svc.RecordSettlement(ctx, legal.SettlementInput{ID: st.ID, CaseID: cs.ID, Amount: amt("25000"),
		ReductionPercent: ptr(amt("30")), PayVia: legal.PayAttorney, At: m.now}, legal.ReductionApprovalPercent())
	require.NoError(t, err)
	assert.Equal(t, st.ID, again.ID, "a retried settlement is the same")

	_, err = m.svc.Release(ctx, legal.ReleaseInput{ID: uuid.NewString(), CaseID: cs.ID, To: legal.PayAttorney, At: m.now})
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err), "no release while the reduction awaits approval")

	// The manager counters with 50.00.
	st, err = m.svc.DecideReduction(ctx, st.ID, "counter", ptr(amt("50")), "half of it", audit.System)
	require.NoError(t, err)
	assert.Equal(t, legal.SettlementCountered, st.Status)
	assert.Equal(t, "50.00", fixed(*st.ApprovedReduction))
	_, err = m.svc.DecideReduction(ctx, st.ID, "approve", nil, "", audit.System)
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err), "decided once")

	// Part of the charges first: the 100.00 visit; the reduction goes with it.
	relID := uuid.NewString()
	r, err := m.svc.Release(ctx, legal.ReleaseInput{ID: relID, CaseID: cs.ID, To: legal.PayAttorney, ChargeIDs: ids[:1], At: m.now})
	require.NoError(t, err)
	assert.Equal(t, "100.00", fixed(r.Amount))
	assert.Equal(t, "50.00", fixed(r.Reduction))
	assert.Equal(t, "150.00", fixed(r.Owed.Held))
	assert.Equal(t, "50.00", fixed(r.Owed.Attorney))
	n := m.journals(t, cs.ID)
	r2, err := m.svc.Release(ctx, legal.ReleaseInput{ID: relID, CaseID: cs.ID, To: legal.PayAttorney, ChargeIDs: ids[:1], At: m.now})
	require.NoError(t, err)
	assert.Equal(t, r.Amount, r2.Amount)
	assert.Equal(t, n, m.journals(t, cs.ID), "a retried release posts nothing")

	_, err = m.svc.Release(ctx, legal.ReleaseInput{ID: uuid.NewString(), CaseID: cs.ID, To: legal.PayAttorney, ChargeIDs: ids[:1], At: m.now})
	assert.Equal(t, []string{"charge_ids[0]"}, fields(err), "a released charge is no longer held")
	assert.Equal(t, n, m.journals(t, cs.ID))

	// A released charge has left held A/R: voiding it would take it off a
	// balance that no longer carries it, so it is refused and nothing moves.
	err = m.billing.VoidCharge(ctx, billing.VoidInput{CaseID: cs.ID, ChargeID: ids[0], Reason: "entered in error"})
	assert.ErrorIs(t, err, billing.ErrChargeSettled)
	assert.Equal(t, n, m.journals(t, cs.ID))
	assert.Equal(t, "150.00", fixed(m.balances(t, cs.ID).Get(ledger.ARHeld)))

	r, err = m.svc.Release(ctx, legal.ReleaseInput{ID: uuid.NewString(), CaseID: cs.ID, To: legal.PayAttorney, At: m.now})
	require.NoError(t, err)
	assert.Equal(t, "150.00", fixed(r.Amount))
	assert.True(t, r.Reduction.IsZero(), "the reduction was written off once")
	assert.Equal(t, "200.00", fixed(r.Owed.Attorney))
	b := m.balances(t, cs.ID)
	assert.True(t, b.Get(ledger.ARHeld).IsZero())
	assert.Equal(t, "50.00", fixed(b.Get(ledger.LegalReduction)))

	// The attorney pays in two checks; more than owed is refused.
	pay := func(key, amount string) (legal.LegalPaymentResult, error) {
		return m.svc.RecordLegalPayment(ctx, legal.LegalPaymentInput{ID: uuid.NewString(), CaseID: cs.ID, Payer: legal.PayAttorney,
			Amount: amt(amount), Method: "check", ReceivedAt: m.now, IdempotencyKey: key})
	}
	_, err = pay("k0", "200.01")
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err))
	p, err := pay("k1", "120")
	require.NoError(t, err)
	assert.Equal(t, "80.00", fixed(p.Owed.Attorney))
	p, err = pay("k1", "120")
	require.NoError(t, err)
	assert.True(t, p.Replayed)
	assert.Equal(t, "80.00", fixed(p.Owed.Attorney), "a retried payment posts once")
	_, err = pay("k1", "121")
	assert.Error(t, err, "the same key for another payment")
	p, err = pay("k2", "80")
	require.NoError(t, err)
	assert.True(t, p.Owed.Attorney.IsZero())

	// Attorney A/R = released - reductions - payments; the case owes nothing.
	b = m.balances(t, cs.ID)
	assert.True(t, b.Get(ledger.ARAttorney).IsZero())
	assert.Equal(t, "200.00", fixed(b.Get(ledger.Cash)))
	assert.True(t, b.Net().IsZero())

	// Money moved is a record: the application may not rewrite or erase it.
	assert.Error(t, m.app.Exec(`UPDATE legal_payments SET amount = 1`).Error, "payments are append-only")
	assert.Error(t, m.app.Exec(`DELETE FROM legal_releases`).Error, "releases are append-only")

	s, err := m.svc.Statement(ctx, cs.ID)
	require.NoError(t, err)
	require.Len(t, s.Lines, 2)
	assert.Equal(t, "Office visit, established patient", s.Lines[0].Description)
	assert.Equal(t, "50.00", fixed(s.Lines[0].Reduction))
	assert.Equal(t, "50.00", fixed(s.Lines[0].Payments))
	assert.Equal(t, "150.00", fixed(s.Lines[1].Payments))
	assert.Equal(t, "250.00", fixed(s.Charges))
	assert.True(t, s.BalanceDue.IsZero())
}

func TestSmallReductionIsApprovedByItself(t *testing.T) {
	m := newMoney(t)
	cs, _ := m.heldCase(t, cases.PersonalInjury, "99213")
	st, err := m.svc.RecordSettlement(ctx, legal.SettlementInput{ID: uuid.NewString(), CaseID: cs.ID, Amount: amt("5000"),
		ReductionAmount: ptr(amt("15")), PayVia: legal.PayAttorney, At: m.now}, legal.ReductionApprovalPercent())
	require.NoError(t, err)
	assert.Equal(t, legal.SettlementAutoApproved, st.Status)
	assert.Equal(t, "15.00", fixed(st.RequestedPercent))
	r, err := m.svc.Release(ctx, legal.ReleaseInput{ID: uuid.NewString(), CaseID: cs.ID, To: legal.PayAttorney, At: m.now})
	require.NoError(t, err)
	assert.Equal(t, "15.00", fixed(r.Reduction))
	assert.Equal(t, "85.00", fixed(r.Owed.Attorney))
}

func TestReleaseToTheAutoInsurerBillsAClaimWithTheAccident(t *testing.T) {
	m := newMoney(t)
	cs, _ := m.heldCase(t, cases.MVA, "99213", "97110")
	r, err := m.svc.Release(ctx, legal.ReleaseInput{ID: uuid.NewString(), CaseID: cs.ID, To: legal.PayInsurer, At: m.now})
	require.NoError(t, err)
	require.Len(t, r.ClaimIDs, 2, "a claim per visit")
	b := m.balances(t, cs.ID)
	assert.True(t, b.Get(ledger.ARHeld).IsZero())
	assert.Equal(t, "250.00", fixed(b.Get(ledger.ARInsuranceUnbilled)), "held A/R became the insurer's")

	var cov records.Coverage
	require.NoError(t, m.owner.Where("case_id = ?", cs.ID).First(&cov).Error)
	assert.Equal(t, m.insurer, cov.PayerID, "the insurer became the case's coverage")

	rendered, err := (&claims.Service{DB: m.owner}).Render837(ctx, r.ClaimIDs[0], claims.Submitter{Name: "Main St Clinic",
		ID: "CLINIC01", SenderID: "CLINICFLOW", ReceiverID: "SIMCH", ReceiverName: "Sim", ContactName: "Billing", Phone: "217-555-0100"})
	require.NoError(t, err)
	batches, err := x12.Parse837(rendered.Data)
	require.NoError(t, err)
	c := batches[0].Claims[0]
	require.NotNil(t, c.Accident, "CLM11 is present")
	assert.Equal(t, x12.CauseAutoAccident, c.Accident.Cause)
	assert.Equal(t, "IL", c.Accident.State)
	assert.Equal(t, x12.NewDate(2026, 5, 6), c.Accident.Date, "DTP*439 is the date of injury")
	assert.Equal(t, "ACM-77-1234", c.Subscriber.PropertyCasualtyClaimNumber)
	assert.Equal(t, "AM", c.Subscriber.ClaimFilingIndicator)

	_, err = m.svc.Release(ctx, legal.ReleaseInput{ID: uuid.NewString(), CaseID: cs.ID, To: legal.PayInsurer, At: m.now})
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err), "nothing is left to release")
}

func TestDroppedCaseMovesToThePatientOrIsWrittenOff(t *testing.T) {
	m := newMoney(t)
	cs, ids := m.heldCase(t, cases.MVA, "99213", "97110")
	_, err := m.svc.Release(ctx, legal.ReleaseInput{ID: uuid.NewString(), CaseID: cs.ID, To: legal.PayAttorney, ChargeIDs: ids[1:], At: m.now})
	require.NoError(t, err)
	id := uuid.NewString()
	d, err := m.svc.Drop(ctx, legal.DropInput{ID: id, CaseID: cs.ID, Disposition: legal.DropToPatient, Reason: "attorney withdrew", At: m.now})
	require.NoError(t, err)
	assert.Equal(t, "250.00", fixed(d.Amount), "held and attorney balances both")
	b := m.balances(t, cs.ID)
	assert.Equal(t, "250.00", fixed(b.PatientBalance()))
	assert.True(t, b.Get(ledger.ARHeld).IsZero())
	assert.True(t, b.Get(ledger.ARAttorney).IsZero())
	n := m.journals(t, cs.ID)
	_, err = m.svc.Drop(ctx, legal.DropInput{ID: id, CaseID: cs.ID, Disposition: legal.DropToPatient, Reason: "attorney withdrew", At: m.now})
	require.NoError(t, err)
	assert.Equal(t, n, m.journals(t, cs.ID), "a retried drop posts nothing")
	_, err = m.svc.Drop(ctx, legal.DropInput{ID: uuid.NewString(), CaseID: cs.ID, Disposition: legal.DropWriteOff, Reason: "x", At: m.now})
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err), "dropped once")
	_, err = m.svc.RecordSettlement(ctx, legal.SettlementInput{ID: uuid.NewString(), CaseID: cs.ID, Amount: amt("1"),
		PayVia: legal.PayAttorney, At: m.now}, legal.ReductionApprovalPercent())
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err))

	other, _ := m.heldCase(t, cases.PersonalInjury, "99213")
	d, err = m.svc.Drop(ctx, legal.DropInput{ID: uuid.NewString(), CaseID: other.ID, Disposition: legal.DropWriteOff,
		Reason: "no recovery", ApprovedBy: "", At: m.now})
	require.NoError(t, err)
	b = m.balances(t, other.ID)
	assert.Equal(t, "100.00", fixed(b.Get(ledger.LegalWriteOff)))
	assert.True(t, b.Net().IsZero())
}

func TestBadSettlementsAndReleasesChangeNothing(t *testing.T) {
	m := newMoney(t)
	cs, _ := m.heldCase(t, cases.MVA, "99213")
	n := m.journals(t, cs.ID)
	_, err := m.svc.RecordSettlement(ctx, legal.SettlementInput{ID: uuid.NewString(), CaseID: cs.ID, Amount: amt("0"),
		ReductionPercent: ptr(amt("101")), PayVia: "cash", At: m.now}, legal.ReductionApprovalPercent())
	assert.Equal(t, []string{"amount", "pay_via", "reduction_percent"}, fields(err))
	_, err = m.svc.RecordSettlement(ctx, legal.SettlementInput{ID: uuid.NewString(), CaseID: cs.ID, Amount: amt("10"),
		ReductionAmount: ptr(amt("100.01")), PayVia: legal.PayAttorney, At: m.now}, legal.ReductionApprovalPercent())
	assert.Equal(t, []string{"reduction_amount"}, fields(err), "more than is held")
	_, err = m.svc.Release(ctx, legal.ReleaseInput{ID: uuid.NewString(), CaseID: cs.ID, To: legal.PayAttorney,
		ChargeIDs: []string{uuid.NewString()}, At: m.now})
	assert.Equal(t, []string{"charge_ids[0]"}, fields(err), "not a charge of the case")
	_, err = m.svc.Release(ctx, legal.ReleaseInput{ID: uuid.NewString(), CaseID: cs.ID, To: legal.PayAttorney,
		ChargeIDs: []string{"nope"}, At: m.now})
	assert.Equal(t, []string{"charge_ids[0]"}, fields(err), "not an id")
	_, err = m.svc.Release(ctx, legal.ReleaseInput{ID: uuid.NewString(), CaseID: cs.ID, To: "court", At: m.now})
	assert.Equal(t, []string{"to"}, fields(err))

	private, err := (&cases.Service{DB: m.owner}).Create(ctx, cases.New{PatientID: m.patient, Kind: cases.Private}, audit.System)
	require.NoError(t, err)
	_, err = m.svc.RecordSettlement(ctx, legal.SettlementInput{ID: uuid.NewString(), CaseID: private.ID, Amount: amt("10"),
		PayVia: legal.PayAttorney, At: m.now}, legal.ReductionApprovalPercent())
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err), "not a legal case")
	_, err = m.svc.RecordLegalPayment(ctx, legal.LegalPaymentInput{ID: uuid.NewString(), CaseID: cs.ID, Payer: legal.PayAttorney,
		Amount: amt("10"), Method: "check", ReceivedAt: m.now, IdempotencyKey: "k"})
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err), "the attorney owes nothing before a release")

	assert.Equal(t, n, m.journals(t, cs.ID))
	var rows int64
	require.NoError(t, m.owner.Table("legal_settlements").Count(&rows).Error)
	assert.Zero(t, rows)
	assert.Equal(t, "100.00", fixed(m.balances(t, cs.ID).Get(ledger.ARHeld)))
}

func TestExposureByAttorneySumsHeldAndAttorneyAROfTheirCases(t *testing.T) {
	m := newMoney(t)
	atty, err := m.svc.CreateContact(ctx, legal.NewContact{Kind: legal.KindAttorney, Name: "Saul Goodman"}, audit.System)
	require.NoError(t, err)
	cs, ids := m.heldCase(t, cases.MVA, "99213", "97110")
	_, err = m.svc.PutDetails(ctx, cs, legal.DetailsInput{DateOfInjury: m.now.AddDate(0, 0, -40).Format(time.DateOnly),
		AccidentState: "IL", Contacts: []legal.RoleContact{{Role: legal.RolePatientAttorney, ContactID: atty.ID}}}, audit.System)
	require.NoError(t, err)
	_, err = m.svc.Release(ctx, legal.ReleaseInput{ID: uuid.NewString(), CaseID: cs.ID, To: legal.PayAttorney, ChargeIDs: ids[:1], At: m.now})
	require.NoError(t, err)
	m.heldCase(t, cases.PersonalInjury, "99213") // no attorney yet

	rows, err := m.svc.ExposureByAttorney(ctx)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, "Saul Goodman", *rows[0].AttorneyName)
	assert.Equal(t, 1, rows[0].Cases)
	assert.Equal(t, "150.00", fixed(rows[0].Held))
	assert.Equal(t, "100.00", fixed(rows[0].AttorneyOwed))
	assert.Equal(t, "250.00", fixed(rows[0].Age0To90), "visits a month old")
	assert.Nil(t, rows[1].AttorneyID)
	assert.Equal(t, "100.00", fixed(rows[1].Held))
}

func TestInsurerCheckIsRefusedWhileItsClaimIsOpen(t *testing.T) {
	m := newMoney(t)
	cs, _ := m.heldCase(t, cases.MVA, "99213")
	_, err := m.svc.Release(ctx, legal.ReleaseInput{ID: uuid.NewString(), CaseID: cs.ID, To: legal.PayInsurer, At: m.now})
	require.NoError(t, err)
	_, err = m.svc.RecordLegalPayment(ctx, legal.LegalPaymentInput{ID: uuid.NewString(), CaseID: cs.ID, Payer: legal.PayInsurer,
		Amount: amt("50"), Method: "check", ReceivedAt: m.now, IdempotencyKey: "pip-1"})
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err), "its 835 pays an open claim")
	require.NoError(t, m.owner.Exec(`UPDATE claims SET stage = 'written_off' WHERE case_id = ?`, cs.ID).Error)
	p, err := m.svc.RecordLegalPayment(ctx, legal.LegalPaymentInput{ID: uuid.NewString(), CaseID: cs.ID, Payer: legal.PayInsurer,
		Amount: amt("50"), Method: "check", ReceivedAt: m.now, IdempotencyKey: "pip-1"})
	require.NoError(t, err)
	assert.Equal(t, "50.00", fixed(p.Owed.Insurer))
}
