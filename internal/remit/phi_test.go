package remit_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
)

// TestPostedRemittanceDetailHoldsNoPlainPatientIdentifiers posts an 835 and
// reads remittance_claims.detail and the file as stored: the patient's name
// and member ID (NM1*QC) are sealed, the amounts and codes are not, and the
// secondary claim
// built from it carries the primary's member ID sealed in claims.cob, while
// its 837P (what the payer needs) has it in plain text.
func TestPostedRemittanceDetailHoldsNoPlainPatientIdentifiers(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	b, era := w.claim(t, "PARTIAL01")
	require.Contains(t, string(era), "PARTIAL01", "the 835 names the member")
	w.addSecondary(t, b.Claim.CaseID, "2026-01-01")
	_, err := w.remit.Ingest(ctx, era, audit.System)
	require.NoError(t, err)

	var stored string
	require.NoError(t, w.db.Raw(`SELECT detail::text FROM remittance_claims WHERE claim_id = ?`, b.Claim.ID).Row().Scan(&stored))
	assert.NotContains(t, stored, "PARTIAL01")
	assert.NotContains(t, stored, "ROE")
	assert.Contains(t, stored, `"phi": "phi1:`)
	assert.Contains(t, stored, `"payment": "151"`, "amounts stay readable for reports")

	var file []byte
	require.NoError(t, w.db.Raw(`SELECT data FROM edi_contents`).Row().Scan(&file))
	assert.NotContains(t, string(file), "PARTIAL01", "the 835 file kept whole is sealed too")
	assert.NotContains(t, string(file), "ROE")
	_, sent, err := w.claims.Files(ctx, b.Claim.ID)
	require.NoError(t, err)
	require.Len(t, sent, 1)
	assert.Contains(t, string(sent[0].Data), "PARTIAL01", "the claim page shows the file opened")

	d, err := claims.OpenRemittanceDetail([]byte(stored))
	require.NoError(t, err)
	require.NotNil(t, d.Patient)
	assert.Equal(t, "PARTIAL01", d.Patient.ID)
	assert.Equal(t, "ROE", d.Patient.LastName)

	sec, ok, err := w.claims.BuildSecondary(ctx, b.Claim.ID, audit.System)
	require.NoError(t, err)
	require.True(t, ok)
	var cob string
	require.NoError(t, w.db.Raw(`SELECT cob::text FROM claims WHERE id = ?`, sec.Claim.ID).Row().Scan(&cob))
	assert.NotContains(t, cob, "PARTIAL01", "the prior coverage's member ID is sealed in claims.cob")
	r, err := w.claims.Render837(ctx, sec.Claim.ID, submitter)
	require.NoError(t, err)
	assert.Contains(t, string(r.Data), "PARTIAL01", "the 837P (2330A) still names the prior member")
	assert.Contains(t, string(r.Data), "SEC778899", "the 837P names the secondary member")
	opened, err := claims.OpenCOB(w.claimRow(t, sec.Claim.ID))
	require.NoError(t, err)
	assert.Contains(t, string(opened), `"member_id":"PARTIAL01"`, "as the API shows it")
}
