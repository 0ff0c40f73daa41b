package packages_test

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
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/packages"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/records"
)

type clinic struct {
	db              *gorm.DB
	pk              *packages.Service
	bill            *billing.Service
	rs              *records.Service
	patient, other  string
	loc, prov, payr string
}

func newClinic(t *testing.T) clinic {
	g := pgtest.New(t)
	ctx := context.Background()
	c := clinic{db: g, pk: &packages.Service{DB: g}, bill: &billing.Service{DB: g}, rs: &records.Service{DB: g}}
	loc, err := c.rs.CreateLocation(ctx, records.NewLocation{Name: "L", TaxID: "37-1234567", Taxonomy: "207Q00000X",
		Address: records.Address{Address1: "1 A St", City: "C", State: "IL", Zip: "62701-1234"}}, audit.System)
	require.NoError(t, err)
	prov, err := c.rs.CreateProvider(ctx, records.NewProvider{FirstName: "A", LastName: "B", NPI: "1234567893"}, audit.System)
	require.NoError(t, err)
	_, err = c.rs.CreateFeeSchedule(ctx, records.NewFeeSchedule{Name: "S", IsDefault: true, Items: []records.NewFeeItem{
		{ProcedureCode: "97110", Price: d("65.00")}, {ProcedureCode: "97140", Price: d("45.00")}}}, audit.System)
	require.NoError(t, err)
	for i, name := range []string{"R", "S"} {
		pat, err := c.rs.CreatePatient(ctx, records.NewPatient{FirstName: "J", LastName: name, DateOfBirth: "1980-01-01",
			Address: records.Address{Address1: "5 Elm St", City: "C", State: "IL", Zip: "62704"}}, audit.System)
		require.NoError(t, err)
		if i == 0 {
			c.patient = pat.ID
		} else {
			c.other = pat.ID
		}
	}
	payer, err := c.rs.CreatePayer(ctx, records.NewPayer{Name: "Acme", PayerID: "ACME1", Type: "commercial"}, audit.System)
	require.NoError(t, err)
	c.loc, c.prov, c.payr = loc.ID, prov.ID, payer.ID
	return c
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// visit opens a case for patient (with a primary coverage unless private) and a
// visit on today's date.
func (c clinic) visit(t *testing.T, patient string, kind cases.Kind) (caseID, encID string) {
	ctx := context.Background()
	cs, err := (&cases.Service{DB: c.db}).Create(ctx, cases.New{PatientID: patient, Kind: kind}, audit.System)
	require.NoError(t, err)
	if kind != cases.Private {
		_, err = c.rs.AddCoverage(ctx, cs.ID, records.NewCoverage{PayerID: c.payr, Priority: "primary", MemberID: "XJ123456", EffectiveFrom: "2026-01-01"}, audit.System)
		require.NoError(t, err)
	}
	encID = uuid.NewString()
	require.NoError(t, c.bill.RecordEncounter(ctx, billing.EncounterInput{EncounterID: encID, CaseID: cs.ID, ProviderID: c.prov,
		LocationID: c.loc, ServiceDate: time.Now().UTC().Format(time.DateOnly), CheckedInAt: time.Now()}))
	return cs.ID, encID
}

func (c clinic) charge(t *testing.T, caseID, encID, code string, units int) billing.ChargeResult {
	r, err := c.bill.CaptureCharge(context.Background(), billing.ChargeInput{ChargeID: uuid.NewString(), CaseID: caseID,
		EncounterID: encID, ProcedureCode: code, Units: units, Diagnoses: []string{"M54.50"}})
	require.NoError(t, err)
	return r
}

func (c clinic) account(t *testing.T, a ledger.Account) string {
	var v decimal.Decimal
	require.NoError(t, c.db.Raw(`SELECT coalesce(sum(amount), 0) FROM journal_lines WHERE account_code = ?`, a).Scan(&v).Error)
	return v.StringFixed(2)
}

func (c clinic) pkg(t *testing.T, id string) packages.Package {
	ps, err := c.pk.PatientPackages(context.Background(), c.patient)
	require.NoError(t, err)
	for _, p := range ps {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("package %s not found", id)
	return packages.Package{}
}

func (c clinic) invariant(t *testing.T, caseID string) {
	bad, err := ledger.CheckAll(c.db)
	require.NoError(t, err)
	require.Empty(t, bad)
	s, err := billing.CaseSummary(c.db, caseID)
	require.NoError(t, err)
	b, err := ledger.CaseBalances(c.db, caseID)
	require.NoError(t, err)
	require.Equal(t, s.Net().StringFixed(2), b.Net().StringFixed(2), "business rows and ledger agree")
}

func TestPackageSaleDrawDownAndExpiryWithRefund(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	plan, err := c.pk.CreatePlan(ctx, packages.NewPlan{Name: "10 physio", ProcedureCode: "97110", Sessions: 10, Price: d("500"), ValidDays: 30, ExpiryRule: packages.Refund}, audit.System)
	require.NoError(t, err)
	sale := packages.Sale{PatientID: c.patient, PlanID: plan.ID, Method: "card", IdempotencyKey: "front-desk-1"}
	p, err := c.pk.Sell(ctx, sale, audit.System)
	require.NoError(t, err)
	again, err := c.pk.Sell(ctx, sale, audit.System)
	require.NoError(t, err)
	assert.Equal(t, p.ID, again.ID, "the same key sells once")
	assert.Equal(t, "50.00", p.UnitPrice.StringFixed(2))
	assert.Equal(t, "500.00", c.account(t, ledger.Cash))
	assert.Equal(t, "-500.00", c.account(t, ledger.PackageCredit))

	caseID, enc := c.visit(t, c.patient, cases.Private)
	r := c.charge(t, caseID, enc, "97110", 1)
	assert.Equal(t, "65.00", r.Amount.StringFixed(2), "the charge keeps its fee-schedule price")
	assert.Equal(t, "65.00", r.Discount.StringFixed(2))
	r2 := c.charge(t, caseID, enc, "97110", 2)
	assert.Equal(t, "130.00", r2.Amount.StringFixed(2))
	b, err := ledger.CaseBalances(c.db, caseID)
	require.NoError(t, err)
	assert.True(t, b.PatientBalance().IsZero(), "package sessions: the patient owes nothing, %s", b.PatientBalance())
	assert.Equal(t, "45.00", b.Get(ledger.PackageDiscount).StringFixed(2), "3 x (65 - 50) as package discount")
	got := c.pkg(t, p.ID)
	assert.Equal(t, 3, got.SessionsUsed)
	assert.Equal(t, "350.00", got.CreditLeft.StringFixed(2))
	assert.Equal(t, "-350.00", c.account(t, ledger.PackageCredit))
	c.invariant(t, caseID)

	// A void gives the sessions and the credit back.
	require.NoError(t, c.bill.VoidCharge(ctx, billing.VoidInput{CaseID: caseID, ChargeID: r2.ChargeID, Reason: "entered twice"}))
	got = c.pkg(t, p.ID)
	assert.Equal(t, 1, got.SessionsUsed)
	assert.Equal(t, "450.00", got.CreditLeft.StringFixed(2))
	c.invariant(t, caseID)

	// Another procedure is not covered.
	r3 := c.charge(t, caseID, enc, "97140", 1)
	assert.True(t, r3.Discount.IsZero())

	// Not yet expired: nothing happens; after its last day the rest is refunded.
	res, err := c.pk.Expire(ctx, time.Now().AddDate(0, 0, 30), audit.System)
	require.NoError(t, err)
	assert.Equal(t, 0, res.Expired)
	res, err = c.pk.Expire(ctx, time.Now().AddDate(0, 0, 32), audit.System)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Expired)
	assert.Equal(t, "450.00", res.Refunded.StringFixed(2))
	got = c.pkg(t, p.ID)
	assert.Equal(t, packages.Expired, got.Status)
	assert.Equal(t, "refunded", *got.ExpiryOutcome)
	assert.True(t, got.CreditLeft.IsZero())
	assert.Equal(t, "0.00", c.account(t, ledger.PackageCredit))
	assert.Equal(t, "50.00", c.account(t, ledger.Cash), "500 in, 450 refunded")
	var kinds []string
	require.NoError(t, c.db.Raw(`SELECT kind FROM journals WHERE source_id = ? ORDER BY posted_at`, p.ID).Scan(&kinds).Error)
	assert.Equal(t, []string{"package_sale", "package_refunded"}, kinds, "the ledger shows which")
	res, err = c.pk.Expire(ctx, time.Now().AddDate(0, 0, 40), audit.System)
	require.NoError(t, err)
	assert.Equal(t, 0, res.Expired, "expired once")

	// An expired package covers nothing.
	r4 := c.charge(t, caseID, enc, "97110", 1)
	assert.True(t, r4.Discount.IsZero())
	c.invariant(t, caseID)
}

func TestPackageExpiryWithForfeitAndTheLastSessionTakesTheRounding(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	plan, err := c.pk.CreatePlan(ctx, packages.NewPlan{Name: "3 sessions", ProcedureCode: "97110", Sessions: 3, Price: d("100"), ValidDays: 10, ExpiryRule: packages.Forfeit}, audit.System)
	require.NoError(t, err)
	used, err := c.pk.Sell(ctx, packages.Sale{PatientID: c.patient, PlanID: plan.ID}, audit.System)
	require.NoError(t, err)
	caseID, enc := c.visit(t, c.patient, cases.Private)
	c.charge(t, caseID, enc, "97110", 2)
	r := c.charge(t, caseID, enc, "97110", 2) // one session left: the other unit is billed
	assert.Equal(t, "65.00", r.Discount.StringFixed(2))
	got := c.pkg(t, used.ID)
	assert.Equal(t, packages.Used, got.Status)
	assert.True(t, got.CreditLeft.IsZero(), "33.33 + 33.33 + 33.34")
	b, err := ledger.CaseBalances(c.db, caseID)
	require.NoError(t, err)
	assert.Equal(t, "65.00", b.PatientBalance().StringFixed(2))

	left, err := c.pk.Sell(ctx, packages.Sale{PatientID: c.patient, PlanID: plan.ID}, audit.System)
	require.NoError(t, err)
	c.charge(t, caseID, enc, "97110", 1)
	res, err := c.pk.Expire(ctx, time.Now().AddDate(0, 0, 11), audit.System)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Expired)
	assert.Equal(t, "66.67", res.Forfeited.StringFixed(2))
	got = c.pkg(t, left.ID)
	assert.Equal(t, "forfeited", *got.ExpiryOutcome)
	assert.Equal(t, "-66.67", c.account(t, ledger.PackageForfeit))
	assert.Equal(t, "0.00", c.account(t, ledger.PackageCredit))
	c.invariant(t, caseID)
}

func TestPromotionIsItsOwnLineAndTheClaimBillsFullPrice(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	today := time.Now().UTC().Format(time.DateOnly)
	_, err := c.pk.CreatePromotion(ctx, packages.NewPromotion{Name: "Staff 20%", Kind: packages.Percent, Value: d("20"),
		ProcedureCode: "97140", PatientGroup: "staff", StartsOn: today, EndsOn: today}, audit.System)
	require.NoError(t, err)
	_, err = c.pk.CreatePromotion(ctx, packages.NewPromotion{Name: "$5 off", Kind: packages.Fixed, Value: d("5"),
		StartsOn: "2026-01-01", EndsOn: "2099-12-31"}, audit.System)
	require.NoError(t, err)
	_, err = c.pk.CreatePromotion(ctx, packages.NewPromotion{Name: "Last year", Kind: packages.Percent, Value: d("90"),
		StartsOn: "2020-01-01", EndsOn: "2020-12-31"}, audit.System)
	require.NoError(t, err)
	require.NoError(t, c.pk.AddToGroup(ctx, "staff", c.patient, audit.System))

	caseID, enc := c.visit(t, c.patient, cases.Private)
	r := c.charge(t, caseID, enc, "97140", 1)
	assert.Equal(t, "45.00", r.Amount.StringFixed(2))
	assert.Equal(t, "9.00", r.Discount.StringFixed(2), "the best promotion: 20% of 45 beats 5 off")
	r2 := c.charge(t, caseID, enc, "97110", 2)
	assert.Equal(t, "10.00", r2.Discount.StringFixed(2), "5 off per unit")
	journals, err := ledger.CaseJournals(c.db, caseID)
	require.NoError(t, err)
	var promo []ledger.Posted
	for _, j := range journals {
		if j.Kind == "promotion" {
			promo = append(promo, j)
		}
	}
	require.Len(t, promo, 2, "each promotion is its own line on the statement")
	assert.Equal(t, "promotion Staff 20% on 97140", promo[0].Memo)
	assert.Equal(t, []ledger.Line{ledger.Debit(ledger.PromotionDiscount, d("9.00")), ledger.Credit(ledger.ARPatient, d("9.00"))}, promo[0].Lines)
	b, err := ledger.CaseBalances(c.db, caseID)
	require.NoError(t, err)
	assert.Equal(t, "156.00", b.PatientBalance().StringFixed(2), "45 + 130 - 9 - 10")
	c.invariant(t, caseID)

	// Someone outside the group gets only the general promotion.
	otherCase, otherEnc := c.visit(t, c.other, cases.Private)
	assert.Equal(t, "5.00", c.charge(t, otherCase, otherEnc, "97140", 1).Discount.StringFixed(2))

	// On an insurance case nothing is taken off at capture, and the claim bills the
	// full fee-schedule price.
	insCase, insEnc := c.visit(t, c.patient, cases.Insurance)
	ri := c.charge(t, insCase, insEnc, "97140", 1)
	assert.True(t, ri.Discount.IsZero())
	require.NoError(t, c.bill.CompleteCharges(ctx, billing.CompleteInput{CaseID: insCase, EncounterID: insEnc, CompletedAt: time.Now()}))
	built, err := (&claims.Service{DB: c.db}).Build(ctx, claims.BuildInput{CaseID: insCase, EncounterID: insEnc})
	require.NoError(t, err)
	assert.Equal(t, "45.00", built.Claim.TotalCharge.StringFixed(2))
	require.Len(t, built.Lines, 1)
	ib, err := ledger.CaseBalances(c.db, insCase)
	require.NoError(t, err)
	assert.Equal(t, "45.00", ib.Get(ledger.ARInsuranceUnbilled).StringFixed(2))

	// A self-pay charge with a promotion, voided: the promotion is reversed too.
	require.NoError(t, c.bill.VoidCharge(ctx, billing.VoidInput{CaseID: caseID, ChargeID: r.ChargeID, Reason: "x"}))
	b, err = ledger.CaseBalances(c.db, caseID)
	require.NoError(t, err)
	assert.Equal(t, "120.00", b.PatientBalance().StringFixed(2))
	c.invariant(t, caseID)

	_, err = c.pk.CreatePromotion(ctx, packages.NewPromotion{Name: "bad", Kind: packages.Percent, Value: d("150"), StartsOn: today, EndsOn: "x"}, audit.System)
	require.Error(t, err)
}
