package legal_test

import (
	"context"
	"slices"
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
	"github.com/clinicflow/rcm/internal/legal"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/validate"
)

var ctx = context.Background()

// fixture is a database with a patient, a provider and a location.
type fixture struct {
	db       *gorm.DB
	svc      *legal.Service
	patient  string
	provider string
	location string
	now      time.Time
}

func newFixture(t *testing.T) *fixture {
	g := pgtest.New(t)
	rec := &records.Service{DB: g}
	p, err := rec.CreatePatient(ctx, records.NewPatient{FirstName: "Jane", LastName: "Roe", DateOfBirth: "1980-02-03"}, audit.System)
	require.NoError(t, err)
	pr, err := rec.CreateProvider(ctx, records.NewProvider{FirstName: "Ada", LastName: "Lovelace", NPI: "1234567893"}, audit.System)
	require.NoError(t, err)
	loc, err := rec.CreateLocation(ctx, records.NewLocation{Name: "Main", Address: records.Address{Address1: "1 Main St",
		City: "Springfield", State: "IL", Zip: "62701"}}, audit.System)
	require.NoError(t, err)
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	return &fixture{db: g, svc: &legal.Service{DB: g, Now: func() time.Time { return now }}, patient: p.ID,
		provider: pr.ID, location: loc.ID, now: now}
}

func (f *fixture) newCase(t *testing.T, kind cases.Kind) cases.Case {
	cs, err := (&cases.Service{DB: f.db}).Create(ctx, cases.New{PatientID: f.patient, Kind: kind}, audit.System)
	require.NoError(t, err)
	return cs
}

func (f *fixture) visit(t *testing.T, cs cases.Case, day string) {
	require.NoError(t, (&billing.Service{DB: f.db}).RecordEncounter(ctx, billing.EncounterInput{EncounterID: uuid.NewString(),
		CaseID: cs.ID, ProviderID: f.provider, LocationID: f.location, ServiceDate: day, CheckedInAt: f.now}))
}

func (f *fixture) contact(t *testing.T, kind, name, org string) legal.Contact {
	c, err := f.svc.CreateContact(ctx, legal.NewContact{Kind: kind, Name: name, Organization: org}, audit.System)
	require.NoError(t, err)
	return c
}

func fields(err error) []string {
	var out []string
	for _, f := range apperr.Fields(err) {
		out = append(out, f.Field)
	}
	slices.Sort(out)
	return out
}

func TestStatesAreSortedAndComplete(t *testing.T) {
	assert.True(t, slices.IsSorted(legal.States))
	assert.Len(t, legal.States, 51)
	assert.True(t, legal.ValidState("DC"))
	assert.False(t, legal.ValidState("XX"))
}

func TestContactsSearchByNameAndOrganization(t *testing.T) {
	f := newFixture(t)
	f.contact(t, legal.KindAttorney, "Saul Goodman", "Goodman & Partners")
	f.contact(t, legal.KindAdjuster, "Mia Wallace", "Acme Auto Insurance")
	f.contact(t, legal.KindAttorney, "Kim Wexler", "Schweikart and Cokely")

	names := func(fl legal.ContactFilter) []string {
		list, err := f.svc.ListContacts(ctx, fl)
		require.NoError(t, err)
		var out []string
		for _, c := range list {
			out = append(out, c.Name)
		}
		return out
	}
	assert.Equal(t, []string{"Saul Goodman"}, names(legal.ContactFilter{Query: "good"}))
	assert.Equal(t, []string{"Saul Goodman"}, names(legal.ContactFilter{Query: "partners"}))
	assert.Equal(t, []string{"Mia Wallace"}, names(legal.ContactFilter{Query: "ACME"}))
	assert.Equal(t, []string{"Kim Wexler", "Saul Goodman"}, names(legal.ContactFilter{Kind: legal.KindAttorney}))
	assert.Empty(t, names(legal.ContactFilter{Query: "%"}), "a LIKE wildcard is a literal")

	_, err := f.svc.CreateContact(ctx, legal.NewContact{Kind: "lawyer", Email: "nope", State: "ZZ"}, audit.System)
	assert.Equal(t, []string{"email", "kind", "name", "state"}, fields(err))
	_, err = f.svc.ListContacts(ctx, legal.ContactFilter{Kind: "lawyer"})
	assert.Equal(t, []string{"kind"}, fields(err))
}

func TestLegalDetailsComputeTheStatuteOfLimitations(t *testing.T) {
	f := newFixture(t)
	cs := f.newCase(t, cases.MVA)
	f.visit(t, cs, "2026-03-02")
	atty := f.contact(t, legal.KindAttorney, "Saul Goodman", "")
	adj := f.contact(t, legal.KindAdjuster, "Mia Wallace", "Acme Auto")

	l, err := f.svc.PutDetails(ctx, cs, legal.DetailsInput{DateOfInjury: "2026-03-01", AccidentState: "il",
		LienReceivedOn: "2026-03-10", LienDocument: "LOP-1", PIPLimit: ptr(decimal.RequireFromString("10000")),
		Contacts: []legal.RoleContact{{Role: legal.RolePatientAttorney, ContactID: atty.ID}, {Role: legal.RoleAdjuster, ContactID: adj.ID}}},
		audit.System)
	require.NoError(t, err)
	assert.Equal(t, "2028-03-01", l.SOLDate.Format(time.DateOnly), "Illinois: two years")
	assert.False(t, l.SOLOverridden)
	assert.Equal(t, legal.AccidentAuto, l.AccidentKind, "an MVA is an auto accident unless told")
	assert.Equal(t, "IL", l.AccidentState)
	assert.Equal(t, legal.DefaultFollowUpDays, l.FollowUpDays)
	assert.True(t, l.LienOnFile())
	got, ok := l.Contact(legal.RolePatientAttorney)
	require.True(t, ok)
	assert.Equal(t, atty.ID, got.ID)

	// A state's years change: the case's SOL date follows; an overridden one does not.
	other := f.newCase(t, cases.PersonalInjury)
	_, err = f.svc.PutDetails(ctx, other, legal.DetailsInput{DateOfInjury: "2026-01-01", AccidentState: "IL",
		AccidentKind: legal.AccidentSlipAndFall, SOLDate: "2027-06-30"}, audit.System)
	require.NoError(t, err)
	_, moved, err := f.svc.SetSOLYears(ctx, "IL", 3, audit.System)
	require.NoError(t, err)
	assert.EqualValues(t, 1, moved)
	l, err = f.svc.GetDetails(ctx, cs.ID)
	require.NoError(t, err)
	assert.Equal(t, "2029-03-01", l.SOLDate.Format(time.DateOnly))
	o, err := f.svc.GetDetails(ctx, other.ID)
	require.NoError(t, err)
	assert.Equal(t, "2027-06-30", o.SOLDate.Format(time.DateOnly))
	assert.True(t, o.SOLOverridden)

	// Replacing the details replaces the contacts and the lien.
	l, err = f.svc.PutDetails(ctx, cs, legal.DetailsInput{DateOfInjury: "2026-03-01", AccidentState: "CA", FollowUpDays: 14}, audit.System)
	require.NoError(t, err)
	assert.Empty(t, l.Contacts)
	assert.False(t, l.LienOnFile())
	assert.Equal(t, "2028-03-01", l.SOLDate.Format(time.DateOnly))
	assert.Equal(t, 14, l.FollowUpDays)
}

func TestLegalDetailsRefuseBadInputAndStoreNothing(t *testing.T) {
	f := newFixture(t)
	cs := f.newCase(t, cases.MVA)
	f.visit(t, cs, "2026-03-02")
	adj := f.contact(t, legal.KindAdjuster, "Mia Wallace", "Acme Auto")

	_, err := f.svc.PutDetails(ctx, cs, legal.DetailsInput{DateOfInjury: "2026-03-05", AccidentState: "XX",
		AccidentKind: "meteor", LienReceivedOn: "2026-03-10", InsurerClaimNumber: "C-1", FollowUpDays: 400,
		PIPLimit: ptr(decimal.RequireFromString("-1")), InsurerID: uuid.NewString(),
		Contacts: []legal.RoleContact{{Role: legal.RolePatientAttorney, ContactID: adj.ID}, {Role: "judge", ContactID: adj.ID}}},
		audit.System)
	assert.Equal(t, []string{"accident_kind", "accident_state", "contacts[0].contact_id", "contacts[1].role",
		"date_of_injury", "follow_up_days", "insurer_claim_number", "insurer_id", "lien_received_on", "pip_limit"}, fields(err))
	var fe validate.Errors
	assert.ErrorAs(t, err, &fe)
	_, err = f.svc.GetDetails(ctx, cs.ID)
	assert.ErrorIs(t, err, legal.ErrNoDetails, "nothing was stored")

	_, err = f.svc.PutDetails(ctx, cs, legal.DetailsInput{DateOfInjury: "2026-06-16", AccidentState: "IL"}, audit.System)
	assert.Equal(t, []string{"date_of_injury"}, fields(err), "tomorrow is in the future")
	_, err = f.svc.PutDetails(ctx, cs, legal.DetailsInput{DateOfInjury: "2026-03-01", AccidentState: "IL", SOLDate: "2026-02-01",
		LienDocument: "LOP"}, audit.System)
	assert.Equal(t, []string{"lien_document", "sol_date"}, fields(err))

	private := f.newCase(t, cases.Private)
	_, err = f.svc.PutDetails(ctx, private, legal.DetailsInput{DateOfInjury: "2026-03-01", AccidentState: "IL"}, audit.System)
	assert.ErrorIs(t, err, legal.ErrNotLegal)
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err))
}

func ptr[T any](v T) *T { return &v }
