package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/phicrypt"
)

// counted are the tables a seed writes, with the rows the demo clinic has.
var counted = map[string]string{
	KindLocations: "locations", KindProviders: "providers", KindPayers: "payers", KindFeeSchedules: "fee_schedules",
	KindContacts: "contacts", KindUsers: "users", KindTeams: "teams", KindPatients: "patients", KindCases: "cases",
	KindCoverages: "coverages", KindLegal: "legal_cases",
}

func tableCounts(t *testing.T, g *gorm.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range append([]string{"audit_log", "fee_schedule_items", "team_members", "case_contacts"}, values(counted)...) {
		var n int64
		require.NoError(t, g.Table(table).Count(&n).Error, table)
		out[table] = n
	}
	return out
}

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// expected is what the clinic's data says a full seed creates.
func expected() map[string]int {
	want := map[string]int{KindLocations: 2, KindProviders: 5, KindPayers: 6, KindFeeSchedules: 2, KindContacts: 7,
		KindUsers: 10, KindTeams: 3, KindPatients: 60}
	for _, p := range clinicPatients() {
		want[KindCases] += len(p.cases)
		for _, c := range p.cases {
			want[KindCoverages] += len(c.coverages)
			if c.legal != nil {
				want[KindLegal]++
			}
		}
	}
	return want
}

func TestSeedCreatesTheClinicOnceAndASecondSeedChangesNothing(t *testing.T) {
	owner, app := pgtest.NewPair(t)
	ctx := context.Background()
	var out bytes.Buffer
	res, err := (&Seeder{DB: app, Out: &out}).Seed(ctx)
	require.NoError(t, err)
	want := expected()
	assert.Equal(t, want, res.Created)
	assert.Empty(t, res.Existing)
	assert.True(t, res.Changed())
	assert.Greater(t, want[KindCases], 60, "some patients have two cases")
	for kind, table := range counted {
		var n int64
		require.NoError(t, owner.Table(table).Count(&n).Error)
		assert.EqualValues(t, want[kind], n, "%s in the database", kind)
	}
	assert.Contains(t, out.String(), "seeding patients 20/60 ...")
	assert.Contains(t, out.String(), "seeding patients 60/60 ...")
	for _, p := range clinicPatients() {
		assert.NotContains(t, out.String(), p.in.LastName, "progress carries counts, never names")
	}

	// Cases of every kind, coverages whose member IDs drive every simulator
	// outcome, the workers' comp schedule on WC cases, legal cases with their
	// attorneys, teams with members.
	var kinds []string
	require.NoError(t, owner.Table("cases").Distinct("kind").Order("kind").Pluck("kind", &kinds).Error)
	assert.ElementsMatch(t, []string{"insurance", "mva", "personal_injury", "private", "workers_comp"}, kinds)
	var sealed []phicrypt.Text // sealed at rest: opened as they are read
	require.NoError(t, owner.Table("coverages").Pluck("member_id", &sealed).Error)
	members := make([]string, len(sealed))
	for i, m := range sealed {
		members[i] = string(m)
	}
	for _, prefix := range []string{"PAYFULL", "PARTIAL", "COINS", "DEDUCT", "DENY50", "DENY16", "REJECT", "INACTIVE"} {
		assert.True(t, hasPrefix(members, prefix), "a coverage with member ID %s…", prefix)
	}
	var wcOnSchedule int64
	require.NoError(t, owner.Table("cases").Joins("JOIN fee_schedules f ON f.id = cases.fee_schedule_id").
		Where("cases.kind = ? AND f.name = ?", cases.WorkersComp, "Demo workers' comp fee schedule").Count(&wcOnSchedule).Error)
	assert.EqualValues(t, 6, wcOnSchedule)
	var attorneys int64
	require.NoError(t, owner.Table("case_contacts").Where("role = ?", "patient_attorney").Count(&attorneys).Error)
	assert.EqualValues(t, 12, attorneys, "every MVA and personal-injury case names the patient's attorney")
	var secondary int64
	require.NoError(t, owner.Table("coverages").Where("priority = ?", "secondary").Count(&secondary).Error)
	assert.EqualValues(t, 6, secondary)
	var noAddress int64
	require.NoError(t, owner.Table("patients").Where("address1 = ''").Count(&noAddress).Error)
	assert.EqualValues(t, 3, noAddress, "three patients whose claims the scrubber stops")
	var teamMembers int64
	require.NoError(t, owner.Table("team_members").Count(&teamMembers).Error)
	assert.EqualValues(t, 6, teamMembers, "both billers in each of three teams")
	var roles []string
	require.NoError(t, owner.Table("users").Distinct("role").Pluck("role", &roles).Error)
	assert.Len(t, roles, 5, "every role")

	// Again: nothing is created, the audit log does not grow, and it says so.
	before := tableCounts(t, owner)
	out.Reset()
	again, err := (&Seeder{DB: app, Out: &out}).Seed(ctx)
	require.NoError(t, err)
	assert.False(t, again.Changed(), "created %v", again.Created)
	assert.Equal(t, "nothing created", again.Summary())
	assert.Equal(t, want, again.Existing, "everything is found")
	assert.Equal(t, before, tableCounts(t, owner))
}

// A seed stopped half-way (the process killed while seeding patients) is
// finished by the next one, with nothing twice.
func TestASeedStoppedHalfWayIsFinishedByTheNext(t *testing.T) {
	owner, app := pgtest.NewPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	stop := &cancelAt{line: "seeding patients 30/60", cancel: cancel}
	_, err := (&Seeder{DB: app, Out: stop}).Seed(ctx)
	require.Error(t, err, "the seed stops when its context ends")
	var n int64
	require.NoError(t, owner.Table("patients").Count(&n).Error)
	assert.Less(t, n, int64(60))
	assert.GreaterOrEqual(t, n, int64(30))

	res, err := (&Seeder{DB: app}).Seed(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 60-n, res.Created[KindPatients])
	want := expected()
	for kind, table := range counted {
		var got int64
		require.NoError(t, owner.Table(table).Count(&got).Error)
		assert.EqualValues(t, want[kind], got, "%s", kind)
	}
}

type cancelAt struct {
	line   string
	cancel func()
}

func (c *cancelAt) Write(b []byte) (int, error) {
	if strings.Contains(string(b), c.line) {
		c.cancel()
	}
	return len(b), nil
}

func hasPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestRosterIsTheOpenCasesWithWhoSeesThem(t *testing.T) {
	owner, app := pgtest.NewPair(t)
	ctx := context.Background()
	_, err := (&Seeder{DB: app}).Seed(ctx)
	require.NoError(t, err)
	roster, err := Roster(ctx, app)
	require.NoError(t, err)
	var open int64
	require.NoError(t, owner.Table("cases").Where("status = 'open'").Count(&open).Error)
	require.EqualValues(t, open, len(roster))
	locs := map[string]int{}
	for _, s := range roster {
		assert.NotEmpty(t, s.ProviderID)
		assert.NotEmpty(t, s.DeskUserID)
		assert.NotEmpty(t, s.ClinicianUserID)
		assert.True(t, s.Kind.Valid())
		locs[s.LocationID]++
	}
	assert.Len(t, locs, 2, "both locations see patients")
	again, err := Roster(ctx, app)
	require.NoError(t, err)
	assert.Equal(t, roster, again, "the same order every time")
}

// No two rounds of one case bill the same procedure, so a case seen every
// round of a day never fails the duplicate-claim rule.
func TestVisitRoundsBillDistinctCodes(t *testing.T) {
	for _, kind := range cases.Kinds {
		for _, id := range []string{"0b7c", "9f1e", "a1", "c3d4e5"} {
			seen := map[string]int{}
			for r := range MaxRounds {
				v := VisitFor(kind, id, r)
				require.NotEmpty(t, v.Lines)
				require.NotEmpty(t, v.Diagnoses)
				assert.Len(t, v.Pointers(), min(len(v.Diagnoses), 4))
				for _, l := range v.Lines {
					prev, dup := seen[l.ProcedureCode]
					assert.False(t, dup, "%s %s: %s in rounds %d and %d", kind, id, l.ProcedureCode, prev, r)
					seen[l.ProcedureCode] = r
					assert.True(t, inFees(l.ProcedureCode), "%s has a price", l.ProcedureCode)
				}
			}
		}
	}
}

func inFees(code string) bool {
	for _, f := range fees {
		if f.code == code {
			return true
		}
	}
	return false
}
