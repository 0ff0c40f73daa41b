package e2e

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/workflows/contract"
)

// claimFlow is an insurance practice on a running system whose clearinghouse
// simulator answers within a second and whose poller applies the answers.
type claimFlow struct {
	t       *testing.T
	e       *testenv.Env
	p       practice
	biller  string
	manager string
	payers  map[string]string
}

func newClaimFlow(t *testing.T) *claimFlow {
	return newClaimFlowWith(t, testenv.Options{
		Simulator:    clearinghouse.Config{AckDelay: 200 * time.Millisecond, RemitDelay: 600 * time.Millisecond},
		PollInterval: 100 * time.Millisecond,
	})
}

// newClaimFlowWith is newClaimFlow on an environment made with o.
func newClaimFlowWith(t *testing.T, o testenv.Options) *claimFlow {
	return claimFlowOn(t, testenv.New(t, o))
}

// claimFlowOn sets the insurance practice up on a running system (the browser
// tests' too).
func claimFlowOn(t *testing.T, e *testenv.Env) *claimFlow {
	tok := e.AdminToken
	f := &claimFlow{t: t, e: e, payers: map[string]string{},
		biller:  e.NewUserToken("biller@test.local", auth.RoleBiller),
		manager: e.NewUserToken("manager@test.local", auth.RoleManager)}
	f.p.location = e.MustDo(201, "POST", "/api/v1/locations", tok, map[string]any{
		"name": "Main St Clinic", "address1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701-1234",
		"npi": "1245319599", "tax_id": "12-3456789", "taxonomy": "261QM1300X",
	}).Map(t)["id"].(string)
	f.p.provider = e.MustDo(201, "POST", "/api/v1/providers", tok, map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "npi": "1234567893", "taxonomy": "207Q00000X",
	}).Map(t)["id"].(string)
	e.MustDo(201, "POST", "/api/v1/fee-schedules", tok, map[string]any{
		"name": "Standard", "is_default": true, "items": []map[string]any{
			{"procedure_code": "99213", "price": "125.00"}, {"procedure_code": "36415", "price": "15.00"}},
	})
	for _, p := range []struct{ name, id string }{{"Acme Health", "ACME1"}, {"Second Mutual", "SECOND1"}} {
		f.payers[p.id] = e.MustDo(201, "POST", "/api/v1/payers", tok, map[string]any{
			"name": p.name, "payer_id": p.id, "type": "commercial", "address1": "PO Box 1", "city": "Chicago",
			"state": "IL", "zip": "60601"}).Map(t)["id"].(string)
	}
	return f
}

// visit opens an insurance case with coverages (member IDs by priority), bills a
// visit with a 99213 and a 36415 (140.00) and returns the case and primary claim.
func (f *claimFlow) visit(members map[string]string) (caseID, claimID string) {
	t, e, tok := f.t, f.e, f.e.AdminToken
	_, caseID = newPatientCase(t, e, tok, "insurance")
	for _, prio := range records.CoveragePriorities {
		member, ok := members[prio]
		if !ok {
			continue
		}
		payer := f.payers["ACME1"]
		if prio != records.PriorityPrimary {
			payer = f.payers["SECOND1"]
		}
		e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/coverages", tok, map[string]any{
			"payer_id": payer, "priority": prio, "member_id": member, "effective_from": "2026-01-01"})
	}
	enc := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/check-ins", tok, map[string]any{
		"provider_id": f.p.provider, "location_id": f.p.location, "service_date": "2026-11-02"}).Map(t)["id"].(string)
	for _, code := range []string{"99213", "36415"} {
		e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/encounters/"+enc+"/charges", tok,
			map[string]any{"procedure_code": code, "diagnoses": []string{"E11.9"}, "diagnosis_pointers": []int{1}})
	}
	e.MustDo(200, "POST", "/api/v1/cases/"+caseID+"/encounters/"+enc+"/complete-charges", tok, nil)
	require.Eventually(t, func() bool {
		var list struct {
			Items []claims.Claim `json:"items"`
		}
		e.MustDo(200, "GET", "/api/v1/claims?case_id="+caseID, tok, nil).JSON(t, &list)
		if len(list.Items) > 0 {
			claimID = list.Items[0].ID
		}
		return claimID != ""
	}, settle, 50*time.Millisecond, "the case workflow builds a claim when charges complete")
	return caseID, claimID
}

type claimView struct {
	claims.Claim
	Open     decimal.Decimal      `json:"open"`
	Timeline []claims.ClaimEvent  `json:"timeline"`
	Tasks    []tasks.Task         `json:"tasks"`
	Workflow *contract.ClaimState `json:"workflow"`
}

func (f *claimFlow) claim(id string) claimView {
	var v claimView
	f.e.MustDo(200, "GET", "/api/v1/claims/"+id, f.biller, nil).JSON(f.t, &v)
	return v
}

// waitStage waits until the claim reaches stage (and, when phase is set, its
// workflow that phase, or finishes for PhaseDone).
func (f *claimFlow) waitStage(id, stage, phase string) claimView {
	f.t.Helper()
	var v claimView
	ok := assert.Eventually(f.t, func() bool {
		v = f.claim(id)
		if v.Stage != stage {
			return false
		}
		switch phase {
		case "":
			return true
		case contract.PhaseDone:
			return v.Workflow != nil && v.Workflow.Phase == contract.PhaseDone
		default:
			return v.Workflow != nil && v.Workflow.Phase == phase
		}
	}, settle, 100*time.Millisecond)
	if !ok {
		f.t.Fatalf("claim %s: stage %s (workflow %+v), want %s/%s; timeline %+v", id, v.Stage, v.Workflow, stage, phase, v.Timeline)
	}
	return v
}

// agrees checks the case's workflow totals against the ledger and the claims'
// open balances against insurance A/R, to the cent.
func (f *claimFlow) agrees(caseID string) caseDetail {
	f.t.Helper()
	var d caseDetail
	require.Eventually(f.t, func() bool {
		d = getCase(f.t, f.e, f.e.AdminToken, caseID)
		return d.InAgreement
	}, settle, 50*time.Millisecond, "case totals agree with the ledger")
	bad, err := ledger.CheckAll(f.e.DB)
	require.NoError(f.t, err)
	require.Empty(f.t, bad, "unbalanced journals")
	bal, err := ledger.CaseBalances(f.e.DB, caseID)
	require.NoError(f.t, err)
	var cls []claims.Claim
	require.NoError(f.t, f.e.DB.Where("case_id = ? AND stage <> ?", caseID, claims.StageReplaced).Find(&cls).Error)
	open := decimal.Zero
	for _, c := range cls {
		open = open.Add(claims.Open(c))
	}
	require.True(f.t, open.Equal(bal.Get(ledger.ARInsuranceUnbilled)),
		"claims' open balances %s != insurance A/R %s", open, bal.Get(ledger.ARInsuranceUnbilled))
	return d
}

func (f *claimFlow) openTask(claimID, queue string) tasks.Task {
	f.t.Helper()
	var ts []tasks.Task
	require.Eventually(f.t, func() bool {
		require.NoError(f.t, f.e.DB.Where("claim_id = ? AND queue = ? AND status = ?", claimID, queue, tasks.StatusOpen).Find(&ts).Error)
		return len(ts) == 1
	}, settle, 50*time.Millisecond, "one open %s task for the claim", queue)
	return ts[0]
}

// TestInsuranceClaimsEndToEnd runs the revenue cycle of insurance claims through
// the API, the real workflows, Postgres and the clearinghouse simulator.
func TestInsuranceClaimsEndToEnd(t *testing.T) {
	f := newClaimFlow(t)
	e := f.e

	t.Run("clean claim paid", func(t *testing.T) {
		f.t = t
		caseID, claimID := f.visit(map[string]string{"primary": "PAYFULL100"})
		v := f.waitStage(claimID, claims.StagePaid, contract.PhaseDone)
		assert.Equal(t, "140", v.Paid.String())
		var stages []string
		for _, ev := range v.Timeline {
			stages = append(stages, ev.ToStage+"/"+ev.Cause)
		}
		assert.Subset(t, stages, []string{"created/system", "scrubbing/scrub", "submitted/system", "accepted/277ca", "paid/835"})
		d := f.agrees(caseID)
		assert.Equal(t, cases.StagePaid, d.Stage)
		assert.Equal(t, "140", d.Totals.InsurancePaid.String())
		var subs int64
		require.NoError(t, e.DB.Table("claim_submissions").Where("claim_id = ?", claimID).Count(&subs).Error)
		assert.EqualValues(t, 1, subs)

		// PHI at rest: after the whole cycle no stored row or file holds the
		// member ID in plain text, though each of them carried it.
		for table, q := range map[string]string{
			"coverages":              `SELECT count(*) FROM coverages c WHERE c::text LIKE '%PAYFULL100%'`,
			"remittance_claims":      `SELECT count(*) FROM remittance_claims WHERE detail::text LIKE '%PAYFULL100%'`,
			"claim_submissions":      `SELECT count(*) FROM claim_submissions WHERE position('PAYFULL100'::bytea IN edi) > 0`,
			"edi_contents":           `SELECT count(*) FROM edi_contents WHERE position('PAYFULL100'::bytea IN data) > 0`,
			"clearinghouse_requests": `SELECT count(*) FROM clearinghouse_requests WHERE position('PAYFULL100'::bytea IN body) > 0`,
			"clearinghouse_mailbox":  `SELECT count(*) FROM clearinghouse_mailbox WHERE position('PAYFULL100'::bytea IN data) > 0`,
		} {
			var n int64
			require.NoError(t, e.DB.Raw(q).Scan(&n).Error, table)
			assert.Zero(t, n, "%s holds the member ID in plain text", table)
		}
		var sealed int64
		require.NoError(t, e.DB.Raw(`SELECT count(*) FROM claim_submissions WHERE claim_id = ? AND position('phi1:'::bytea IN edi) = 1`,
			claimID).Scan(&sealed).Error)
		assert.EqualValues(t, 1, sealed, "the 837P sent is kept, sealed")
		recordHistory(t, e, contract.ClaimWorkflowID(claimID), "claim_clean_paid")
	})

	t.Run("partial payment puts the patient share on the patient", func(t *testing.T) {
		f.t = t
		caseID, claimID := f.visit(map[string]string{"primary": "PARTIAL100"})
		v := f.waitStage(claimID, claims.StagePaid, contract.PhaseDone)
		// allowed 80% of 140 = 112, copay 25 → paid 87, PR-3 25, CO-45 28
		assert.Equal(t, "87", v.Paid.String())
		assert.Equal(t, "25", v.PatientResponsibility.String())
		assert.Equal(t, "28", v.Contractual.String())
		d := f.agrees(caseID)
		assert.Equal(t, cases.StagePatientBalance, d.Stage)
		assert.Equal(t, "25", d.Totals.PatientBalance.String())
		e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/payments", e.AdminToken,
			map[string]any{"amount": "25.00", "method": "card"}, "Idempotency-Key", "copay-"+caseID[:8])
		assert.Eventually(t, func() bool { return getCase(t, e, e.AdminToken, caseID).Stage == cases.StagePaid },
			settle, 50*time.Millisecond)
		f.agrees(caseID)
		recordHistory(t, e, contract.CaseWorkflowID(caseID), "insurance_case_partial_paid")
	})

	t.Run("277CA rejection fixed and accepted", func(t *testing.T) {
		f.t = t
		caseID, claimID := f.visit(map[string]string{"primary": "REJECT100"})
		v := f.waitStage(claimID, claims.StageRejected, contract.PhaseNeedsFix)
		task := f.openTask(claimID, "rejections")
		assert.Contains(t, string(task.Details), "A7")
		require.Len(t, v.Workflow.Problems, 1)

		// The biller corrects the member ID: a new coverage, and the claim re-pointed.
		var covs []records.Coverage
		e.MustDo(200, "GET", "/api/v1/cases/"+caseID+"/coverages", f.biller, nil).JSON(t, &struct {
			Items *[]records.Coverage `json:"items"`
		}{&covs})
		require.Len(t, covs, 1)
		e.MustDo(200, "POST", "/api/v1/cases/"+caseID+"/coverages/"+covs[0].ID+"/deactivate", e.AdminToken, nil)
		newCov := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/coverages", e.AdminToken, map[string]any{
			"payer_id": f.payers["ACME1"], "priority": "primary", "member_id": "PAYFULL200", "effective_from": "2026-01-01",
		}).Map(t)["id"].(string)
		bad := e.Do("POST", "/api/v1/claims/"+claimID+"/fix", f.biller, map[string]any{"coverage_id": newCov})
		require.Equal(t, 400, bad.Status, "%s", bad.Body)
		assert.Contains(t, problemFields(t, bad), "note")
		e.MustDo(200, "POST", "/api/v1/claims/"+claimID+"/fix", f.biller, map[string]any{
			"coverage_id": newCov, "note": "member ID corrected from the card"})
		v = f.waitStage(claimID, claims.StagePaid, contract.PhaseDone)
		assert.Equal(t, newCov, v.CoverageID)
		var subs int64
		require.NoError(t, e.DB.Table("claim_submissions").Where("claim_id = ?", claimID).Count(&subs).Error)
		assert.EqualValues(t, 2, subs, "rejected once, resubmitted once")
		f.agrees(caseID)
		// The rejection task was closed when the fix arrived.
		var open int64
		require.NoError(t, e.DB.Model(&tasks.Task{}).Where("claim_id = ? AND status = 'open'", claimID).Count(&open).Error)
		assert.Zero(t, open)
		recordHistory(t, e, contract.ClaimWorkflowID(claimID), "claim_rejected_fixed_paid")
	})

	t.Run("denied, appealed and paid", func(t *testing.T) {
		f.t = t
		caseID, claimID := f.visit(map[string]string{"primary": "DENY50100"})
		v := f.waitStage(claimID, claims.StageDenied, contract.PhaseDenied)
		require.NotNil(t, v.Workflow.Denial)
		assert.Equal(t, "medical_necessity", v.Workflow.Denial.Category)
		assert.Contains(t, v.Workflow.Denial.Codes, "CO-50")
		task := f.openTask(claimID, "denials")
		require.NotNil(t, task.DueAt, "the denial task carries the appeal deadline")
		d := f.agrees(caseID)
		assert.Equal(t, "140", d.Totals.OtherReceivable.String(), "a denial leaves the charge with the payer")

		r := e.Do("POST", "/api/v1/claims/"+claimID+"/decision", f.biller, map[string]any{"action": "shrug", "note": "x"})
		require.Equal(t, 400, r.Status)
		assert.Contains(t, problemFields(t, r), "action")
		var res contract.DecisionResult
		e.MustDo(200, "POST", "/api/v1/claims/"+claimID+"/decision", f.biller, map[string]any{
			"action": "appeal", "note": "records support necessity", "argument": "The visit was medically necessary."}).JSON(t, &res)
		assert.Equal(t, 1, res.AppealLevel)
		v = f.waitStage(claimID, claims.StagePaid, contract.PhaseDone)
		assert.Equal(t, 1, v.AppealLevel)
		var stages []string
		for _, ev := range v.Timeline {
			stages = append(stages, ev.ToStage)
		}
		assert.Subset(t, stages, []string{"denied", "appealed", "paid"})
		d = f.agrees(caseID)
		assert.True(t, d.Totals.OtherReceivable.IsZero())
		recordHistory(t, e, contract.ClaimWorkflowID(claimID), "claim_denied_appealed_paid")

		// The appeal's activity run again, as after a crash that swallowed its
		// first completion, once the payer's answer is posted (make chaos: the
		// retry failed "the last remittance is not a denial", the decision
		// answered 409 for good and the workflow stayed denied): it answers as
		// the first attempt did, and the paid claim stays paid.
		acts := activities.New(e.DB, e.Clearinghouse, claims.Submitter{ContactName: "BILLING OFFICE"})
		sent, err := acts.SendAppeal(t.Context(), activities.AppealInput{ClaimID: claimID, Level: 1,
			Argument: "The visit was medically necessary."})
		require.NoError(t, err)
		assert.True(t, sent.Accepted)
		assert.Equal(t, 1, sent.Level)
		assert.Contains(t, sent.Letter, "CO-50", "the letter argues the denial appealed")
		var after claims.Claim
		require.NoError(t, e.DB.Where("id = ?", claimID).Take(&after).Error)
		assert.Equal(t, claims.StagePaid, after.Stage)
		assert.Equal(t, 1, after.AppealLevel)
		var events int64
		require.NoError(t, e.DB.Table("claim_events").Where("claim_id = ? AND to_stage = 'appealed'", claimID).Count(&events).Error)
		assert.EqualValues(t, 1, events, "appealed once")
	})

	t.Run("a billed charge is not voided and front desk cannot pull a claim's coverage", func(t *testing.T) {
		f.t = t
		caseID, claimID := f.visit(map[string]string{"primary": "DENY50100"})
		f.waitStage(claimID, claims.StageDenied, contract.PhaseDenied)
		var chargeIDs []string
		require.NoError(t, e.DB.Table("charges").Where("case_id = ?", caseID).Order("created_at").Pluck("id", &chargeIDs).Error)
		require.Len(t, chargeIDs, 2)
		before := f.agrees(caseID)

		// The payer has the claim: voiding one of its charges is a 409 that points
		// at the corrected-claim path, and nothing changes.
		r := e.Do("POST", "/api/v1/cases/"+caseID+"/charges/"+chargeIDs[0]+"/void", f.biller, map[string]any{"reason": "wrong code"})
		require.Equal(t, 409, r.Status, string(r.Body))
		assert.Contains(t, string(r.Body), claimID)
		assert.Contains(t, string(r.Body), "/decision")
		var status string
		require.NoError(t, e.DB.Table("charges").Where("id = ?", chargeIDs[0]).Pluck("status", &status).Error)
		assert.NotEqual(t, "voided", status)
		assert.Equal(t, before.Totals, f.agrees(caseID).Totals)

		// The denied claim is in flight: front desk may not deactivate its
		// coverage (403 naming the claim); a biller may, and the audit says so.
		var covs []records.Coverage
		e.MustDo(200, "GET", "/api/v1/cases/"+caseID+"/coverages", f.biller, nil).JSON(t, &struct {
			Items *[]records.Coverage `json:"items"`
		}{&covs})
		require.Len(t, covs, 1)
		desk := e.NewUserToken("desk-cov@test.local", auth.RoleFrontDesk)
		deactivate := "/api/v1/cases/" + caseID + "/coverages/" + covs[0].ID + "/deactivate"
		r = e.Do("POST", deactivate, desk, nil)
		require.Equal(t, 403, r.Status, string(r.Body))
		assert.Contains(t, string(r.Body), claimID)
		var covStatus string
		require.NoError(t, e.DB.Table("coverages").Where("id = ?", covs[0].ID).Pluck("status", &covStatus).Error)
		assert.Equal(t, records.CoverageActive, covStatus)
		e.MustDo(200, "POST", deactivate, f.biller, nil)
		var n int64
		require.NoError(t, e.DB.Table("audit_log").Where("action = 'coverage.deactivate' AND entity_id = ? AND changes->>'claim_in_flight' = ?",
			covs[0].ID, claimID).Count(&n).Error)
		assert.EqualValues(t, 1, n)
	})

	t.Run("denied and resubmitted as a corrected claim", func(t *testing.T) {
		f.t = t
		caseID, claimID := f.visit(map[string]string{"primary": "DENY16100"})
		v := f.waitStage(claimID, claims.StageDenied, contract.PhaseDenied)
		assert.Equal(t, "coding", v.Workflow.Denial.Category)
		var res contract.DecisionResult
		e.MustDo(200, "POST", "/api/v1/claims/"+claimID+"/decision", f.biller, map[string]any{
			"action": "resubmit", "note": "modifier added",
			"fix": map[string]any{"note": "modifier 25 on the visit", "lines": []map[string]any{{"line_number": 1, "modifiers": []string{"25"}}}},
		}).JSON(t, &res)
		require.NotEmpty(t, res.ClaimID)
		f.waitStage(claimID, claims.StageReplaced, contract.PhaseDone)
		var repl claims.Claim
		require.NoError(t, e.DB.Where("id = ?", res.ClaimID).Take(&repl).Error)
		assert.Equal(t, "7", repl.Frequency)
		assert.Equal(t, claimID, *repl.OriginalClaimID)
		var line claims.ClaimLine
		require.NoError(t, e.DB.Where("claim_id = ? AND line_number = 1", repl.ID).Take(&line).Error)
		assert.Equal(t, []string{"25"}, []string(line.Modifiers))
		// The simulated payer still denies this member: the corrected claim went all
		// the way to an answer through its own workflow.
		f.waitStage(repl.ID, claims.StageDenied, contract.PhaseDenied)
		f.agrees(caseID)
	})

	t.Run("denied and written off with a manager's approval", func(t *testing.T) {
		f.t = t
		caseID, claimID := f.visit(map[string]string{"primary": "DENY29100"})
		f.waitStage(claimID, claims.StageDenied, contract.PhaseDenied)
		denial := f.openTask(claimID, "denials")
		r := e.Do("POST", "/api/v1/tasks/"+denial.ID+"/complete", f.biller, map[string]any{"resolution": "done"})
		assert.Equal(t, http.StatusConflict, r.Status, "the workflow waits for a decision, not a closed task: %s", r.Body)
		e.MustDo(200, "POST", "/api/v1/claims/"+claimID+"/decision", f.biller, map[string]any{
			"action": "write_off", "note": "filed too late"})
		f.waitStage(claimID, claims.StageDenied, contract.PhaseAwaitingApproval)
		f.openTask(claimID, "approvals")
		e.MustDo(403, "POST", "/api/v1/claims/"+claimID+"/write-off-approval", f.biller, map[string]any{"approve": true, "note": "ok"})
		var res contract.DecisionResult
		e.MustDo(200, "POST", "/api/v1/claims/"+claimID+"/write-off-approval", f.manager,
			map[string]any{"approve": true, "note": "agreed"}).JSON(t, &res)
		assert.Equal(t, "140", res.Amount.String())
		v := f.waitStage(claimID, claims.StageWrittenOff, contract.PhaseDone)
		assert.Equal(t, "140", v.WrittenOff.String())
		d := f.agrees(caseID)
		assert.Equal(t, cases.StagePaid, d.Stage, "nothing left to collect")
		assert.Equal(t, "140", d.Totals.WrittenOff.String())
		recordHistory(t, e, contract.ClaimWorkflowID(claimID), "claim_denied_written_off")
	})

	t.Run("a task names the workflow and update that answer it, and completing it sends that update", func(t *testing.T) {
		f.t = t
		caseID, claimID := f.visit(map[string]string{"primary": "DENY29100"})
		f.waitStage(claimID, claims.StageDenied, contract.PhaseDenied)
		denial := f.openTask(claimID, "denials")
		assert.Equal(t, contract.ClaimWorkflowID(claimID), denial.WorkflowID)
		assert.Equal(t, contract.UpdateDecideDenial, denial.UpdateName)
		complete := func(tok, taskID string, outcome map[string]any) testenv.Response {
			return e.Do("POST", "/api/v1/tasks/"+taskID+"/complete", tok, map[string]any{"outcome": outcome})
		}
		r := complete(f.biller, denial.ID, map[string]any{"action": "write_off", "note": "filed too late"})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Equal(t, "write_off", r.Map(t)["answer"].(map[string]any)["action"])
		f.waitStage(claimID, claims.StageDenied, contract.PhaseAwaitingApproval)
		// The denial stays open beside the approval: a refusal sends it back.
		r = complete(f.biller, denial.ID, map[string]any{"action": "transfer_to_patient", "note": "again"})
		assert.Equal(t, http.StatusConflict, r.Status, "the workflow no longer waits for a decision: %s", r.Body)

		approval := f.openTask(claimID, "approvals")
		assert.Equal(t, contract.UpdateApproveWriteOff, approval.UpdateName)
		assert.Equal(t, http.StatusForbidden, complete(f.biller, approval.ID, map[string]any{"approve": true, "note": "ok"}).Status,
			"a biller may not approve a write-off through its task either")
		r = complete(f.manager, approval.ID, map[string]any{"note": "agreed"})
		require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
		assert.Contains(t, problemFields(t, r), "outcome.approve")
		r = complete(f.manager, approval.ID, map[string]any{"approve": true, "note": "agreed"})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		v := f.waitStage(claimID, claims.StageWrittenOff, contract.PhaseDone)
		assert.Equal(t, "140", v.WrittenOff.String())
		for _, id := range []string{denial.ID, approval.ID} {
			var closed tasks.Task
			require.NoError(t, e.DB.Where("id = ?", id).Take(&closed).Error)
			assert.Equal(t, tasks.StatusDone, closed.Status, "the workflow closed the tasks it took the answers of")
		}
		f.agrees(caseID)
	})

	t.Run("secondary claim after the primary pays", func(t *testing.T) {
		f.t = t
		caseID, primary := f.visit(map[string]string{"primary": "PARTIAL300", "secondary": "PAYFULL300"})
		p := f.waitStage(primary, claims.StagePaid, contract.PhaseDone)
		assert.Equal(t, "25", p.PatientResponsibility.String())
		var secondary claims.Claim
		require.Eventually(t, func() bool {
			return e.DB.Where("prior_claim_id = ?", primary).Limit(1).Find(&secondary).RowsAffected == 1
		}, settle, 100*time.Millisecond, "the paid primary builds the secondary claim")
		assert.Equal(t, records.PrioritySecondary, secondary.Priority)
		s := f.waitStage(secondary.ID, claims.StagePaid, contract.PhaseDone)
		// The primary left 25.00 patient responsibility; the secondary pays 80% of it.
		assert.Equal(t, "20", s.Paid.String())
		assert.Equal(t, "5", s.PatientResponsibility.String())
		d := f.agrees(caseID)
		assert.Equal(t, "5", d.Totals.PatientBalance.String())
		assert.Equal(t, "107", d.Totals.InsurancePaid.String())
		recordHistory(t, e, contract.ClaimWorkflowID(primary), "claim_primary_then_secondary")
	})

	t.Run("uploads", func(t *testing.T) {
		f.t = t
		r := e.Do("POST", "/api/v1/edi/files", f.biller, "ISA*00*garbage~")
		require.Equal(t, 422, r.Status, "%s", r.Body)
		assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
		assert.Contains(t, problemFields(t, r), "file")
		assert.Equal(t, http.StatusRequestEntityTooLarge, e.Do("POST", "/api/v1/edi/files", f.biller, bytes.Repeat([]byte("A"), 5<<20)).Status)

		// The public sample the README tour uploads (shipped in the repository).
		data, err := os.ReadFile("../x12/testdata/835/pyx12_835_denied-claim-rarc.835")
		require.NoError(t, err)
		var first map[string]any
		e.MustDo(200, "POST", "/api/v1/edi/files", f.biller, data).JSON(t, &first)
		rem := first["remittance"].(map[string]any)["remittances"].([]any)[0].(map[string]any)
		assert.Equal(t, false, rem["already_posted"])
		for _, c := range rem["claims"].([]any) {
			assert.Equal(t, false, c.(map[string]any)["matched"], "no claim of ours is in a public sample")
		}
		// The same file again, as a multipart upload: a no-op that says so.
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		part, err := mw.CreateFormFile("file", "era.835")
		require.NoError(t, err)
		_, _ = part.Write(data)
		require.NoError(t, mw.Close())
		var again map[string]any
		e.MustDo(200, "POST", "/api/v1/edi/files", f.biller, body.Bytes(), "Content-Type", mw.FormDataContentType()).JSON(t, &again)
		rem = again["remittance"].(map[string]any)["remittances"].([]any)[0].(map[string]any)
		assert.Equal(t, true, rem["already_posted"])
		var unmatched int64
		require.NoError(t, e.DB.Model(&tasks.Task{}).Where("queue = 'unmatched-era'").Count(&unmatched).Error)
		assert.Positive(t, unmatched)
		assert.Equal(t, http.StatusForbidden, e.Do("POST", "/api/v1/edi/files", e.NewUserToken("desk2@test.local", auth.RoleFrontDesk), data).Status)
	})
}

// TestSilentPayerTimers runs the claim timers on a real server with one-second payer
// days: the payer acknowledges but never remits, so the claim sends a 276 status
// inquiry (answered with a 277 by the simulator) and raises a follow-up task.
func TestSilentPayerTimers(t *testing.T) {
	e := testenv.New(t, testenv.Options{
		ClaimDayLength: time.Second,
		Simulator:      clearinghouse.Config{AckDelay: 100 * time.Millisecond, RemitDelay: time.Hour},
		PollInterval:   100 * time.Millisecond,
	})
	f := &claimFlow{t: t, e: e, payers: map[string]string{}, biller: e.NewUserToken("biller@test.local", auth.RoleBiller)}
	f.p.location = e.MustDo(201, "POST", "/api/v1/locations", e.AdminToken, map[string]any{
		"name": "Main St Clinic", "address1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701-1234",
		"npi": "1245319599", "tax_id": "12-3456789"}).Map(t)["id"].(string)
	f.p.provider = e.MustDo(201, "POST", "/api/v1/providers", e.AdminToken, map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "npi": "1234567893"}).Map(t)["id"].(string)
	e.MustDo(201, "POST", "/api/v1/fee-schedules", e.AdminToken, map[string]any{
		"name": "Standard", "is_default": true, "items": []map[string]any{
			{"procedure_code": "99213", "price": "125.00"}, {"procedure_code": "36415", "price": "15.00"}}})
	f.payers["ACME1"] = e.MustDo(201, "POST", "/api/v1/payers", e.AdminToken, map[string]any{
		"name": "Slow Payer", "payer_id": "ACME1", "type": "commercial", "payment_wait_days": 2}).Map(t)["id"].(string)

	_, claimID := f.visit(map[string]string{"primary": "PAYFULL900"})
	f.waitStage(claimID, claims.StageAccepted, contract.PhaseAwaitingPayment)
	followUp := func(kind string) bool {
		var n int64
		require.NoError(t, e.DB.Model(&tasks.Task{}).Where("claim_id = ? AND queue = 'follow-up' AND kind = ?", claimID, kind).Count(&n).Error)
		return n > 0
	}
	require.Eventually(t, func() bool { return followUp("no_835") }, settle, 100*time.Millisecond,
		"no 835 within the payment window: a follow-up task")
	v := f.claim(claimID)
	var inquiries int
	for _, ev := range v.Timeline {
		if ev.Cause == claims.Cause277 {
			inquiries++
		}
	}
	assert.Positive(t, inquiries, "a 276 status inquiry was answered and recorded")
	assert.Equal(t, claims.StageAccepted, v.Stage, "an inquiry does not move the claim")
}
