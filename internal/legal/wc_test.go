package legal_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/legal"
	"github.com/clinicflow/rcm/internal/records"
)

func TestWorkersCompDeniedMovesToHealthPlanOrPatient(t *testing.T) {
	m := newMoney(t)
	rec := &records.Service{DB: m.owner}
	carrier, err := rec.CreatePayer(ctx, records.NewPayer{Name: "State Fund", PayerID: "STATEFUND", Type: "workers_comp"}, audit.System)
	require.NoError(t, err)
	health, err := rec.CreatePayer(ctx, records.NewPayer{Name: "Acme Health", PayerID: "ACME1", Type: "commercial"}, audit.System)
	require.NoError(t, err)

	// Denied to the health coverage: the carrier's coverage retires, the health plan becomes primary.
	cs, _ := m.heldCase(t, cases.WorkersComp, "99213")
	_, err = rec.AddCoverage(ctx, cs.ID, records.NewCoverage{PayerID: carrier.ID, Priority: "primary", MemberID: "WC123",
		EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)
	hc, err := rec.AddCoverage(ctx, cs.ID, records.NewCoverage{PayerID: health.ID, Priority: "secondary", MemberID: "H123",
		EffectiveFrom: "2026-01-01"}, audit.System)
	require.NoError(t, err)
	err = m.svc.RecordWCDecision(ctx, legal.WCDecisionInput{CaseID: cs.ID, Decision: "deny", DeniedTo: legal.WCToHealthPlan, At: m.now})
	require.NoError(t, err)
	var active []records.Coverage
	require.NoError(t, m.owner.Where("case_id = ? AND status = 'active'", cs.ID).Find(&active).Error)
	require.Len(t, active, 1)
	assert.Equal(t, hc.ID, active[0].ID)
	assert.Equal(t, "primary", active[0].Priority)
	require.NoError(t, m.svc.RecordWCDecision(ctx, legal.WCDecisionInput{CaseID: cs.ID, Decision: "deny",
		DeniedTo: legal.WCToHealthPlan, At: m.now}), "a retried decision")
	err = m.svc.RecordWCDecision(ctx, legal.WCDecisionInput{CaseID: cs.ID, Decision: "accept", ClaimNumber: "C1", At: m.now})
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err), "decided once")

	// Denied to the patient: each visit moves from insurance A/R to the patient, once.
	other, _ := m.heldCase(t, cases.WorkersComp, "99213", "97110")
	var encs []string
	require.NoError(t, m.owner.Table("encounters").Where("case_id = ?", other.ID).Order("service_date").Pluck("id", &encs).Error)
	_, err = m.svc.WCVisitToPatient(ctx, other.ID, encs[0], audit.System)
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err), "not before the denial")
	require.NoError(t, m.svc.RecordWCDecision(ctx, legal.WCDecisionInput{CaseID: other.ID, Decision: "deny",
		DeniedTo: legal.WCToPatient, At: m.now}))
	moved, err := m.svc.WCVisitToPatient(ctx, other.ID, encs[0], audit.System)
	require.NoError(t, err)
	assert.Equal(t, "100.00", fixed(moved))
	n := m.journals(t, other.ID)
	_, err = m.svc.WCVisitToPatient(ctx, other.ID, encs[0], audit.System)
	require.NoError(t, err)
	assert.Equal(t, n, m.journals(t, other.ID), "moved once")
	b := m.balances(t, other.ID)
	assert.Equal(t, "100.00", fixed(b.PatientBalance()))
	assert.Equal(t, "150.00", fixed(b.Get(ledger.ARInsuranceUnbilled)), "the other visit is moved when the case reaches it")

	// Accepted: the carrier's claim number goes on the legal details (REF*Y4).
	third, _ := m.heldCase(t, cases.WorkersComp, "99213")
	require.NoError(t, m.svc.RecordWCDecision(ctx, legal.WCDecisionInput{CaseID: third.ID, Decision: "accept", ClaimNumber: "WC-889", At: m.now}))
	l, err := m.svc.GetDetails(ctx, third.ID)
	require.NoError(t, err)
	assert.Equal(t, "WC-889", string(l.InsurerClaimNumber))
	var stored []string
	require.NoError(t, m.svc.DB.Raw(`SELECT claim_number FROM legal_wc_decisions WHERE case_id = ?
		UNION ALL SELECT insurer_claim_number FROM legal_cases WHERE case_id = ?`, third.ID, third.ID).Scan(&stored).Error)
	require.Len(t, stored, 2)
	for _, s := range stored {
		assert.NotContains(t, s, "WC-889", "the carrier's claim number is sealed at rest")
	}

	err = m.svc.RecordWCDecision(ctx, legal.WCDecisionInput{CaseID: third.ID, Decision: "maybe", At: m.now})
	assert.Equal(t, []string{"decision"}, fields(err))
	mva, _ := m.heldCase(t, cases.MVA, "99213")
	err = m.svc.RecordWCDecision(ctx, legal.WCDecisionInput{CaseID: mva.ID, Decision: "accept", ClaimNumber: "X", At: m.now})
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err))
}
