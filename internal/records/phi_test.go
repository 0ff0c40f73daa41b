package records_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/phicrypt"
	"github.com/clinicflow/rcm/internal/records"
)

// TestCoverageMemberIDIsSealedAtRest reads the stored row as a dump would:
// the member ID and group number are not there in plain text, while the
// service (which the API and web pages read) returns them as entered, and the
// keyed hash finds the patient by member ID.
func TestCoverageMemberIDIsSealedAtRest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	payer := e.newPayer(t, "ACME1")
	caseID := e.newCase(t, cases.Insurance)
	cv, err := e.rs.AddCoverage(ctx, caseID, records.NewCoverage{PayerID: payer.ID, Priority: "primary",
		MemberID: "XJ123456", GroupNumber: "GRP-778", EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)
	assert.Equal(t, phicrypt.Text("XJ123456"), cv.MemberID)

	var raw struct{ MemberID, GroupNumber, MemberIDHash string }
	require.NoError(t, e.rs.DB.Raw(`SELECT member_id, group_number, member_id_hash FROM coverages WHERE id = ?`, cv.ID).
		Scan(&raw).Error)
	assert.NotContains(t, raw.MemberID, "XJ123456")
	assert.NotContains(t, raw.GroupNumber, "GRP-778")
	assert.Regexp(t, `^phi1:`+phicrypt.Active().CurrentID()+`:`, raw.MemberID)
	assert.Regexp(t, `^phi1:`, raw.GroupNumber)
	assert.Regexp(t, `^[0-9a-f]{64}$`, raw.MemberIDHash)
	var dump int64
	require.NoError(t, e.rs.DB.Raw(`SELECT count(*) FROM coverages c WHERE c::text LIKE '%XJ123456%' OR c::text LIKE '%GRP-778%'`).
		Scan(&dump).Error)
	assert.Zero(t, dump, "no column of the row holds the member ID or group number")

	list, err := e.rs.ListCoverages(ctx, caseID)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, phicrypt.Text("XJ123456"), list[0].MemberID)
	assert.Equal(t, phicrypt.Text("GRP-778"), list[0].GroupNumber)

	for _, typed := range []string{"XJ123456", "xj-123 456"} {
		found, err := e.rs.ListPatients(ctx, records.PatientFilter{MemberID: typed, Limit: 10})
		require.NoError(t, err)
		require.Len(t, found, 1, typed)
		assert.Equal(t, e.patient, found[0].ID)
	}
	none, err := e.rs.ListPatients(ctx, records.PatientFilter{MemberID: "XJ12345", Limit: 10})
	require.NoError(t, err)
	assert.Empty(t, none, "exact match only")

	// An update of another column leaves the sealed value and its hash alone.
	_, err = e.rs.DeactivateCoverage(ctx, caseID, cv.ID, audit.System)
	require.NoError(t, err)
	var after struct{ MemberID, MemberIDHash string }
	require.NoError(t, e.rs.DB.Raw(`SELECT member_id, member_id_hash FROM coverages WHERE id = ?`, cv.ID).Scan(&after).Error)
	assert.Equal(t, raw.MemberID, after.MemberID)
	assert.Equal(t, raw.MemberIDHash, after.MemberIDHash)
}

// TestLegacyPlainCoverageStillReads: rows written before encryption (plain
// text, no hash) read as they are until `rcm phi rotate` seals them.
func TestLegacyPlainCoverageStillReads(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	payer := e.newPayer(t, "ACME1")
	caseID := e.newCase(t, cases.Insurance)
	require.NoError(t, e.rs.DB.Exec(`INSERT INTO coverages (id, case_id, payer_id, priority, member_id, group_number, effective_from)
		VALUES (gen_random_uuid(), ?, ?, 'primary', 'LEGACY-1', 'G1', '2026-01-01')`, caseID, payer.ID).Error)
	list, err := e.rs.ListCoverages(ctx, caseID)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, phicrypt.Text("LEGACY-1"), list[0].MemberID)
	assert.Equal(t, phicrypt.Text("G1"), list[0].GroupNumber)
}
