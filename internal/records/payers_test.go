package records_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/validate"
)

func fields(t *testing.T, err error) []string {
	t.Helper()
	var fe validate.Errors
	require.True(t, errors.As(err, &fe), "want validate.Errors, got %v", err)
	out := make([]string, len(fe))
	for i, f := range fe {
		out[i] = f.Field
	}
	return out
}

func intp(n int) *int { return &n }

type env struct {
	rs      *records.Service
	patient string
}

func newEnv(t *testing.T) env {
	g := pgtest.New(t)
	rs := &records.Service{DB: g}
	p, err := rs.CreatePatient(context.Background(), records.NewPatient{FirstName: "Jane", LastName: "Roe", DateOfBirth: "1980-02-03"}, audit.System)
	require.NoError(t, err)
	return env{rs: rs, patient: p.ID}
}

func (e env) newCase(t *testing.T, kind cases.Kind) string {
	cs, err := (&cases.Service{DB: e.rs.DB}).Create(context.Background(), cases.New{PatientID: e.patient, Kind: kind}, audit.System)
	require.NoError(t, err)
	return cs.ID
}

func (e env) newPayer(t *testing.T, payerID string) records.Payer {
	p, err := e.rs.CreatePayer(context.Background(), records.NewPayer{Name: "Acme Health", PayerID: payerID, Type: "commercial"}, audit.System)
	require.NoError(t, err)
	return p
}

func TestCreatePayer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	p := e.newPayer(t, "acme1")
	assert.Equal(t, "ACME1", p.PayerID, "payer IDs are stored upper-case")
	assert.Equal(t, records.DefaultTimelyFilingDays, p.TimelyFilingDays)
	assert.Equal(t, records.DefaultAppealWindowDays, p.AppealWindowDays)
	var got records.Payer
	require.NoError(t, e.rs.Get(ctx, &got, p.ID))
	assert.Equal(t, "Acme Health", got.Name)

	full, err := e.rs.CreatePayer(ctx, records.NewPayer{Name: "Medicare IL", PayerID: "00621", Type: "medicare",
		TimelyFilingDays: intp(365 * 2), AppealWindowDays: intp(120), Phone: "555-0100",
		Address: records.Address{Address1: "PO Box 1", City: "Chicago", State: "il", Zip: "60601"}}, audit.System)
	require.NoError(t, err)
	assert.Equal(t, 730, full.TimelyFilingDays)
	assert.Equal(t, "IL", full.State)

	// A duplicate payer ID (in any case) names payer_id.
	_, err = e.rs.CreatePayer(ctx, records.NewPayer{Name: "Other", PayerID: "ACME1", Type: "other"}, audit.System)
	assert.Equal(t, []string{"payer_id"}, fields(t, err))

	tests := []struct {
		name string
		in   records.NewPayer
		want []string
	}{
		{"empty", records.NewPayer{}, []string{"name", "payer_id", "type"}},
		{"bad values", records.NewPayer{Name: "X", PayerID: "A", Type: "dental", TimelyFilingDays: intp(0), AppealWindowDays: intp(3651)},
			[]string{"payer_id", "type", "timely_filing_days", "appeal_window_days"}},
		{"payer id chars", records.NewPayer{Name: "X", PayerID: "AB-12", Type: "auto"}, []string{"payer_id"}},
		{"address", records.NewPayer{Name: "X", PayerID: "AB12", Type: "auto", Phone: "call me",
			Address: records.Address{Address1: "1 A St", City: "C", State: "Illinois", Zip: "1"}}, []string{"phone", "state", "zip"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.rs.CreatePayer(ctx, tc.in, audit.System)
			assert.ElementsMatch(t, tc.want, fields(t, err))
		})
	}
	var n int64
	require.NoError(t, e.rs.DB.Model(&records.Payer{}).Count(&n).Error)
	assert.EqualValues(t, 2, n, "rejected payers write nothing")
}

func TestCoverageValidation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	caseID := e.newCase(t, cases.Insurance)
	payer := e.newPayer(t, "ACME1")

	tests := []struct {
		name string
		in   records.NewCoverage
		want []string
	}{
		{"empty", records.NewCoverage{}, []string{"payer_id", "priority", "member_id", "effective_from"}},
		{"bad values", records.NewCoverage{PayerID: uuid.NewString(), Priority: "first", MemberID: "A B!", GroupNumber: "G#1",
			Relationship: "cousin", SubscriberSex: "X", EffectiveFrom: "2026-13-01", EffectiveTo: "soon"},
			[]string{"payer_id", "priority", "member_id", "group_number", "relationship", "subscriber_sex", "effective_from", "effective_to"}},
		{"dependent needs subscriber", records.NewCoverage{PayerID: payer.ID, Priority: "primary", MemberID: "M-1",
			Relationship: "child", EffectiveFrom: "2026-01-01"},
			[]string{"subscriber_first_name", "subscriber_last_name", "subscriber_date_of_birth"}},
		{"subscriber dob and address", records.NewCoverage{PayerID: payer.ID, Priority: "primary", MemberID: "M-1",
			Relationship: "spouse", SubscriberFirstName: "John", SubscriberLastName: "Roe", SubscriberDateOfBirth: "3000-01-01",
			SubscriberAddress1: "1 A St", SubscriberCity: "C", SubscriberState: "Illinois", SubscriberZip: "62701", EffectiveFrom: "2026-01-01"},
			[]string{"subscriber_date_of_birth", "subscriber_state"}},
		{"dates out of order", records.NewCoverage{PayerID: payer.ID, Priority: "primary", MemberID: "M-1",
			EffectiveFrom: "2026-06-01", EffectiveTo: "2026-05-31"}, []string{"effective_to"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.rs.AddCoverage(ctx, caseID, tc.in, audit.System)
			assert.ElementsMatch(t, tc.want, fields(t, err))
		})
	}

	// A coverage on a private-pay case is refused on case_id.
	private := e.newCase(t, cases.Private)
	_, err := e.rs.AddCoverage(ctx, private, records.NewCoverage{PayerID: payer.ID, Priority: "primary", MemberID: "M-1",
		EffectiveFrom: "2026-01-01"}, audit.System)
	assert.Equal(t, []string{"case_id"}, fields(t, err))
	assert.Contains(t, err.Error(), "insurance")

	// An unknown case is not found.
	_, err = e.rs.AddCoverage(ctx, uuid.NewString(), records.NewCoverage{}, audit.System)
	assert.ErrorIs(t, err, records.ErrNotFound)

	var n int64
	require.NoError(t, e.rs.DB.Model(&records.Coverage{}).Count(&n).Error)
	assert.Zero(t, n, "rejected coverages write nothing")
}

func TestCoverageOneActivePerPriority(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	caseID := e.newCase(t, cases.Insurance)
	acme := e.newPayer(t, "ACME1")
	other := e.newPayer(t, "OTHER2")

	primary, err := e.rs.AddCoverage(ctx, caseID, records.NewCoverage{PayerID: acme.ID, Priority: "primary", MemberID: "XYZ-123456",
		GroupNumber: "G 100", EffectiveFrom: "2026-01-01", EffectiveTo: "2026-12-31"}, audit.System)
	require.NoError(t, err)
	assert.Equal(t, "self", primary.Relationship)
	assert.Equal(t, "U", primary.SubscriberSex)
	assert.Equal(t, records.CoverageActive, primary.Status)
	require.NotNil(t, primary.EffectiveTo)

	// A dependent's coverage with the subscriber named.
	secondary, err := e.rs.AddCoverage(ctx, caseID, records.NewCoverage{PayerID: other.ID, Priority: "secondary", MemberID: "SPOUSE-77",
		Relationship: "spouse", SubscriberFirstName: "Johnathan", SubscriberLastName: "Roe", SubscriberDateOfBirth: "1979-05-06",
		SubscriberSex: "M", EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)
	require.NotNil(t, secondary.SubscriberDateOfBirth)
	assert.Equal(t, "1979-05-06", secondary.SubscriberDateOfBirth.Format("2006-01-02"))

	// A second active primary is refused on priority.
	_, err = e.rs.AddCoverage(ctx, caseID, records.NewCoverage{PayerID: other.ID, Priority: "primary", MemberID: "NEW-1",
		EffectiveFrom: "2026-02-01"}, audit.System)
	assert.Equal(t, []string{"priority"}, fields(t, err))
	assert.Contains(t, err.Error(), "active primary coverage")

	// Another case may have its own primary.
	_, err = e.rs.AddCoverage(ctx, e.newCase(t, cases.WorkersComp), records.NewCoverage{PayerID: acme.ID, Priority: "primary",
		MemberID: "WC-1", EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)

	// Deactivate (idempotent), then a new primary is accepted.
	d1, err := e.rs.DeactivateCoverage(ctx, caseID, primary.ID, audit.System)
	require.NoError(t, err)
	assert.Equal(t, records.CoverageInactive, d1.Status)
	d2, err := e.rs.DeactivateCoverage(ctx, caseID, primary.ID, audit.System)
	require.NoError(t, err)
	assert.Equal(t, records.CoverageInactive, d2.Status)
	replacement, err := e.rs.AddCoverage(ctx, caseID, records.NewCoverage{PayerID: other.ID, Priority: "primary", MemberID: "NEW-1",
		EffectiveFrom: "2026-02-01"}, audit.System)
	require.NoError(t, err)

	// Unknown coverage, or one from another case, is not found.
	_, err = e.rs.DeactivateCoverage(ctx, caseID, uuid.NewString(), audit.System)
	assert.ErrorIs(t, err, records.ErrNotFound)
	_, err = e.rs.DeactivateCoverage(ctx, e.newCase(t, cases.Insurance), replacement.ID, audit.System)
	assert.ErrorIs(t, err, records.ErrNotFound)
	_, err = e.rs.DeactivateCoverage(ctx, caseID, "not-a-uuid", audit.System)
	assert.ErrorIs(t, err, records.ErrNotFound)

	// Listed by priority, the active primary before the inactive one.
	list, err := e.rs.ListCoverages(ctx, caseID)
	require.NoError(t, err)
	require.Len(t, list, 3)
	assert.Equal(t, []string{replacement.ID, primary.ID, secondary.ID}, []string{list[0].ID, list[1].ID, list[2].ID})
	assert.Equal(t, records.CoverageActive, list[0].Status)
	assert.Equal(t, records.CoverageInactive, list[1].Status)

	// Audit rows: one per write, ids only, no member IDs or subscriber names.
	var audits []audit.Entry
	require.NoError(t, e.rs.DB.Where("entity_type = ?", "coverage").Order("id").Find(&audits).Error)
	actions := map[string]int{}
	for _, a := range audits {
		actions[a.Action]++
		for _, secret := range []string{"XYZ-123456", "SPOUSE-77", "NEW-1", "WC-1", "Johnathan", "Roe", "1979-05-06"} {
			assert.NotContains(t, string(a.Changes), secret, "audit %s leaks %s", a.Action, secret)
		}
	}
	assert.Equal(t, 4, actions["coverage.create"])
	assert.Equal(t, 1, actions["coverage.deactivate"], "deactivating twice records once")
	var payerAudits int64
	require.NoError(t, e.rs.DB.Model(&audit.Entry{}).Where("action = ?", "payer.create").Count(&payerAudits).Error)
	assert.EqualValues(t, 2, payerAudits)
}

func TestLocationAndProviderTaxIDs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	addr := records.Address{Address1: "1 Main St", City: "Springfield", State: "IL", Zip: "62701"}

	l, err := e.rs.CreateLocation(ctx, records.NewLocation{Name: "Main", TaxID: "12-3456789", Taxonomy: "261QM1300X", Address: addr}, audit.System)
	require.NoError(t, err)
	assert.Equal(t, "123456789", l.TaxID, "stored as 9 digits")
	var got records.Location
	require.NoError(t, e.rs.Get(ctx, &got, l.ID))
	assert.Equal(t, "123456789", got.TaxID)
	assert.Equal(t, "261QM1300X", got.Taxonomy)

	_, err = e.rs.CreateLocation(ctx, records.NewLocation{Name: "Bad", TaxID: "12345", Taxonomy: "nope", Address: addr}, audit.System)
	assert.ElementsMatch(t, []string{"tax_id", "taxonomy"}, fields(t, err))

	p, err := e.rs.CreateProvider(ctx, records.NewProvider{FirstName: "Ada", LastName: "Lovelace", NPI: "1234567893", TaxID: "987654321"}, audit.System)
	require.NoError(t, err)
	var gp records.Provider
	require.NoError(t, e.rs.Get(ctx, &gp, p.ID))
	assert.Equal(t, "987654321", gp.TaxID)
	_, err = e.rs.CreateProvider(ctx, records.NewProvider{FirstName: "A", LastName: "B", NPI: "1234567893", TaxID: "98-76543210"}, audit.System)
	assert.Equal(t, []string{"tax_id"}, fields(t, err))
}
