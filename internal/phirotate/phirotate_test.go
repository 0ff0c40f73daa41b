package phirotate_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/phicrypt"
	"github.com/clinicflow/rcm/internal/phirotate"
	"github.com/clinicflow/rcm/internal/records"
)

func keyring(t *testing.T, current phicrypt.Key, old ...phicrypt.Key) *phicrypt.Keyring {
	t.Helper()
	k, err := phicrypt.NewKeyring(current, old, bytes.Repeat([]byte{0x77}, 32))
	require.NoError(t, err)
	return k
}

func raw(t *testing.T, g *gorm.DB, q string, args ...any) string {
	t.Helper()
	var s string
	require.NoError(t, g.Raw(q, args...).Row().Scan(&s))
	return s
}

// TestRotateMovesOldKeyAndLegacyRowsToTheCurrentKey: a row sealed under the
// old key k1 still reads once k2 is current; rotate rewrites it, and the
// legacy plain rows, under k2 (in batches), a second run finds nothing to do,
// and afterwards k1 can be dropped.
func TestRotateMovesOldKeyAndLegacyRowsToTheCurrentKey(t *testing.T) {
	g := pgtest.New(t)
	ctx := context.Background()
	prev := phicrypt.Active()
	t.Cleanup(func() { phicrypt.Install(prev) })
	k1 := phicrypt.Key{ID: "k1", Key: bytes.Repeat([]byte{1}, 32)}
	k2 := phicrypt.Key{ID: "k2", Key: bytes.Repeat([]byte{2}, 32)}

	// Written under k1.
	phicrypt.Install(keyring(t, k1))
	rs := &records.Service{DB: g}
	pat, err := rs.CreatePatient(ctx, records.NewPatient{FirstName: "Jane", LastName: "Roe", DateOfBirth: "1980-02-03"}, audit.System)
	require.NoError(t, err)
	payer, err := rs.CreatePayer(ctx, records.NewPayer{Name: "Acme Health", PayerID: "ACME1", Type: "commercial"}, audit.System)
	require.NoError(t, err)
	cs := &cases.Service{DB: g}
	insured, err := cs.Create(ctx, cases.New{PatientID: pat.ID, Kind: cases.Insurance}, audit.System)
	require.NoError(t, err)
	old, err := rs.AddCoverage(ctx, insured.ID, records.NewCoverage{PayerID: payer.ID, Priority: "primary",
		MemberID: "XJ123456", GroupNumber: "G-1", EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)
	require.Contains(t, raw(t, g, `SELECT member_id FROM coverages WHERE id = ?`, old.ID), "phi1:k1:")
	mva, err := cs.Create(ctx, cases.New{PatientID: pat.ID, Kind: cases.MVA}, audit.System)
	require.NoError(t, err)
	require.NoError(t, g.Exec(`INSERT INTO legal_cases (case_id, date_of_injury, accident_state, accident_kind, insurer_claim_number, sol_date)
		VALUES (?, '2026-01-05', 'NY', 'auto', ?, '2029-01-05')`, mva.ID, phicrypt.Text("CLM-778899")).Error)

	// Written before encryption: plain text, no lookup hash.
	second, err := cs.Create(ctx, cases.New{PatientID: pat.ID, Kind: cases.Insurance}, audit.System)
	require.NoError(t, err)
	require.NoError(t, g.Exec(`INSERT INTO coverages (id, case_id, payer_id, priority, member_id, group_number, effective_from)
		VALUES (gen_random_uuid(), ?, ?, 'primary', 'LEGACY-77', 'G-2', '2026-01-01')`, second.ID, payer.ID).Error)
	require.NoError(t, g.Exec(`INSERT INTO remittances (id, payer_key, trace_number, payment_amount, file_sha256)
		VALUES ('00000000-0000-0000-0000-0000000000a1', 'ACME1', 'T1', 10, 'x')`).Error)
	require.NoError(t, g.Exec(`INSERT INTO remittance_claims (id, remittance_id, seq, patient_control_number, status_code, charge, paid, detail)
		VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000a1', 1, 'PCN1', '1', 10, 10,
		'{"status_code": "1", "payment": "10", "patient": {"last_name": "ROE", "first_name": "JANE", "id_qualifier": "MI", "id": "XJ123456"}}')`).Error)

	// Whole EDI files from before encryption: an inbound 835 and a simulator request.
	require.NoError(t, g.Exec(`INSERT INTO edi_contents (sha256, kind, data) VALUES ('abc', '835', ?)`,
		[]byte("ISA*00*...~NM1*QC*1*ROE*JANE****MI*XJ123456~")).Error)
	require.NoError(t, g.Exec(`INSERT INTO clearinghouse_sims (clearinghouse, sequence_base) VALUES ('SIM', 1)`).Error)
	require.NoError(t, g.Exec(`INSERT INTO clearinghouse_requests (clearinghouse, seq, kind, request_id, body, received_at, envelope_seq)
		VALUES ('SIM', 1, 'submit', 'r1', ?, now(), 1), ('SIM', 2, 'submit', 'r2', ?, now(), 2)`,
		[]byte("ISA*...~NM1*IL*1*ROE*JANE****MI*XJ123456~"), phicrypt.Bytes("ISA*...~NM1*IL*1*ROE*JANE****MI*XJ999~")).Error)

	// k2 is current; k1 is an old key.
	phicrypt.Install(keyring(t, k2, k1))
	list, err := rs.ListCoverages(ctx, insured.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, phicrypt.Text("XJ123456"), list[0].MemberID, "an old-key row still reads")
	pending, err := phirotate.Pending(ctx, g)
	require.NoError(t, err)
	assert.Equal(t, 2, pending["coverages"])
	assert.Equal(t, 1, pending["legal_cases"])
	assert.Equal(t, 1, pending["remittance_claims"])
	assert.Equal(t, 1, pending["edi_contents"])
	assert.Equal(t, 2, pending["clearinghouse_requests"], "one legacy, one under k1")

	res, err := phirotate.Rotate(ctx, g, phirotate.Options{Batch: 1})
	require.NoError(t, err)
	assert.Equal(t, 2, res["coverages"])
	assert.Equal(t, 1, res["legal_cases"])
	assert.Equal(t, 1, res["remittance_claims"])

	for _, q := range []string{
		`SELECT member_id FROM coverages WHERE case_id = '` + insured.ID + `'`,
		`SELECT group_number FROM coverages WHERE case_id = '` + insured.ID + `'`,
		`SELECT member_id FROM coverages WHERE case_id = '` + second.ID + `'`,
		`SELECT group_number FROM coverages WHERE case_id = '` + second.ID + `'`,
		`SELECT insurer_claim_number FROM legal_cases`,
		`SELECT detail->>'phi' FROM remittance_claims`,
		`SELECT convert_from(data, 'UTF8') FROM edi_contents`,
		`SELECT convert_from(body, 'UTF8') FROM clearinghouse_requests WHERE seq = 1`,
		`SELECT convert_from(body, 'UTF8') FROM clearinghouse_requests WHERE seq = 2`,
	} {
		assert.Regexp(t, `^phi1:k2:`, raw(t, g, q), q)
	}
	assert.NotContains(t, raw(t, g, `SELECT detail::text FROM remittance_claims`), "XJ123456")
	assert.NotContains(t, raw(t, g, `SELECT detail::text FROM remittance_claims`), "ROE")
	assert.Regexp(t, `^[0-9a-f]{64}$`, raw(t, g, `SELECT member_id_hash FROM coverages WHERE case_id = ?`, second.ID),
		"the legacy row got its lookup hash")
	found, err := rs.ListPatients(ctx, records.PatientFilter{MemberID: "legacy-77", Limit: 5})
	require.NoError(t, err)
	assert.Len(t, found, 1, "a legacy member ID is found by hash once rotated")

	again, err := phirotate.Rotate(ctx, g, phirotate.Options{})
	require.NoError(t, err)
	for table, n := range again {
		assert.Zero(t, n, "second run rewrites nothing in %s", table)
	}
	pending, err = phirotate.Pending(ctx, g)
	require.NoError(t, err)
	for table, n := range pending {
		assert.Zero(t, n, table)
	}
	var audits int64
	require.NoError(t, g.Raw(`SELECT count(*) FROM audit_log WHERE action = 'phi.rotate' AND entity_id = 'k2'`).Scan(&audits).Error)
	assert.Positive(t, audits, "each rewriting batch is audited (table and count only)")
	var leaked int64
	require.NoError(t, g.Raw(`SELECT count(*) FROM audit_log WHERE changes::text LIKE '%XJ123456%' OR changes::text LIKE '%phi1:%'`).
		Scan(&leaked).Error)
	assert.Zero(t, leaked, "neither plain text nor ciphertext lands in the audit log")

	// k1 retired: everything still reads.
	phicrypt.Install(keyring(t, k2))
	list, err = rs.ListCoverages(ctx, second.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, phicrypt.Text("LEGACY-77"), list[0].MemberID)
	assert.Equal(t, phicrypt.Text("G-2"), list[0].GroupNumber)
	var detail []byte
	require.NoError(t, g.Raw(`SELECT detail FROM remittance_claims`).Row().Scan(&detail))
	d, err := claims.OpenRemittanceDetail(detail)
	require.NoError(t, err)
	require.NotNil(t, d.Patient)
	assert.Equal(t, "XJ123456", d.Patient.ID)
	assert.Equal(t, "ROE", d.Patient.LastName)
	assert.Equal(t, "10", d.Payment.String(), "amounts stay readable")
	var files []phicrypt.Bytes
	require.NoError(t, g.Raw(`SELECT body FROM clearinghouse_requests ORDER BY seq`).Scan(&files).Error)
	require.Len(t, files, 2)
	assert.Contains(t, string(files[0]), "MI*XJ123456~")
	assert.Contains(t, string(files[1]), "MI*XJ999~")
}

// TestRotateWithoutTheOldKeyStops: a value under a key the keyring lacks is
// an error naming the row, never skipped or overwritten.
func TestRotateWithoutTheOldKeyStops(t *testing.T) {
	g := pgtest.New(t)
	ctx := context.Background()
	prev := phicrypt.Active()
	t.Cleanup(func() { phicrypt.Install(prev) })
	phicrypt.Install(keyring(t, phicrypt.Key{ID: "k1", Key: bytes.Repeat([]byte{1}, 32)}))
	rs := &records.Service{DB: g}
	pat, err := rs.CreatePatient(ctx, records.NewPatient{FirstName: "Jane", LastName: "Roe", DateOfBirth: "1980-02-03"}, audit.System)
	require.NoError(t, err)
	payer, err := rs.CreatePayer(ctx, records.NewPayer{Name: "Acme Health", PayerID: "ACME1", Type: "commercial"}, audit.System)
	require.NoError(t, err)
	cs, err := (&cases.Service{DB: g}).Create(ctx, cases.New{PatientID: pat.ID, Kind: cases.Insurance}, audit.System)
	require.NoError(t, err)
	_, err = rs.AddCoverage(ctx, cs.ID, records.NewCoverage{PayerID: payer.ID, Priority: "primary",
		MemberID: "XJ123456", EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)
	before := raw(t, g, `SELECT member_id FROM coverages`)

	phicrypt.Install(keyring(t, phicrypt.Key{ID: "k2", Key: bytes.Repeat([]byte{2}, 32)}))
	_, err = phirotate.Rotate(ctx, g, phirotate.Options{})
	assert.ErrorIs(t, err, phicrypt.ErrUnknownKey)
	assert.Equal(t, before, raw(t, g, `SELECT member_id FROM coverages`), "nothing overwritten")
}
