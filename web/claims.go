package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/workflows/contract"
)

// claimPages: the claim page (timeline with causes, what it waits for now,
// lines, payments, the 837P it was sent as and the 835 that answered it, its
// tasks and its workflow) and the raw files. Roles as GET /claims/{id}.
func (a *App) claimPages(r *Routes) {
	rs := r.Roles()
	r.GET("/claims/:id", rs.Billers, a.claimPage)
	r.GET("/claims/:id/files/837/:submission_id", rs.Billers, a.claimFile837)
	r.GET("/claims/:id/files/835/:payment_id", rs.Billers, a.claimFile835)
}

type claimData struct {
	Claim     claims.Claim
	Lines     []claims.ClaimLine
	Payer     records.Payer
	Patient   records.Patient
	Timeline  []claims.ClaimEvent
	Tasks     []tasks.Task
	Sent      []ediView
	Payments  []paymentView
	State     *contract.ClaimState
	Waiting   string
	Since     time.Time
	StateNote string
	// WorkflowURL opens the claim workflow in the Temporal Web UI.
	WorkflowURL string
}

type ediView struct {
	claims.SentFile
	Segments []string
}

type paymentView struct {
	claims.Payment
	Segments []string
}

// segments splits an X12 file into its segments, one per line for reading.
func segments(data []byte) []string {
	var out []string
	for _, s := range strings.Split(string(data), "~") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s+"~")
		}
	}
	return out
}

// claimLoad reads the claim named by :id and records the read of its patient.
func (a *App) claimLoad(q *Req) (claimData, bool) {
	var d claimData
	ctx := q.Ctx()
	cl, lines, err := a.claims.Get(ctx, q.Param("id"))
	if err != nil {
		q.Fail(err)
		return d, false
	}
	d.Claim, d.Lines = cl, lines
	cs, err := a.cases.Get(ctx, cl.CaseID)
	if err != nil {
		q.Fail(err)
		return d, false
	}
	if err := a.records.Get(ctx, &d.Patient, cs.PatientID); err != nil {
		q.Fail(err)
		return d, false
	}
	return d, q.readPatients(cs.PatientID)
}

func (a *App) claimPage(q *Req) {
	d, ok := a.claimLoad(q)
	if !ok {
		return
	}
	ctx := q.Ctx()
	var err error
	if err = a.records.Get(ctx, &d.Payer, d.Claim.PayerID); err != nil {
		q.Fail(err)
		return
	}
	if d.Timeline, err = a.claims.Timeline(ctx, d.Claim.ID); err != nil {
		q.Fail(err)
		return
	}
	if d.Tasks, err = a.tasks.List(ctx, tasks.Filter{ClaimID: d.Claim.ID, Limit: 100}); err != nil {
		q.Fail(err)
		return
	}
	sent, paid, err := a.claims.Files(ctx, d.Claim.ID)
	if err != nil {
		q.Fail(err)
		return
	}
	for _, s := range sent {
		d.Sent = append(d.Sent, ediView{SentFile: s, Segments: segments(s.Data)})
	}
	for _, p := range paid {
		d.Payments = append(d.Payments, paymentView{Payment: p, Segments: segments(p.Data)})
	}
	d.WorkflowURL = a.WorkflowURL(contract.ClaimWorkflowID(d.Claim.ID))
	if d.State, err = a.Ops.ClaimState(ctx, d.Claim.ID); err != nil {
		// The record stands on its own; the live state waits for the workflow service.
		a.Logger.Warn("claim workflow state unavailable", "claim_id", d.Claim.ID, "request_id", q.GetString("request_id"), "error", err)
		d.StateNote = "The claim's workflow could not be asked what it waits for; the workflow service may be busy. Reload to try again."
	}
	d.Waiting, d.Since = waitingFor(d.Claim, d.State)
	q.Render(http.StatusOK, "claim.html", "Claim "+d.Claim.PatientControlNumber, d)
}

// waitingFor says, for a person, what the claim waits for now and since when.
func waitingFor(cl claims.Claim, st *contract.ClaimState) (string, time.Time) {
	if st == nil {
		return "Stage " + label(cl.Stage) + " (no workflow state).", cl.StageChangedAt
	}
	since := cl.StageChangedAt
	switch st.Phase {
	case contract.PhaseScrub, contract.PhaseStart:
		return "Scrubbing: the claim is being checked before it is sent.", since
	case contract.PhaseEligibility:
		return "Eligibility: the payer is asked whether the coverage is active.", since
	case contract.PhaseNeedsFix:
		var probs []string
		for _, p := range st.Problems {
			probs = append(probs, p.Message)
		}
		return "A biller's fix (claim-fix task): " + strings.Join(probs, "; "), since
	case contract.PhaseSubmit:
		return "Sending the 837P to the clearinghouse.", since
	case contract.PhaseAwaitingAck:
		return "The clearinghouse's acknowledgement (999 and 277CA).", st.SubmittedAt
	case contract.PhaseAwaitingPayment:
		msg := "The payer's 835 (payment or denial)"
		if st.Inquiries > 0 {
			msg += fmt.Sprintf("; %d status inquiries sent", st.Inquiries)
		}
		if !st.WaitingSince.IsZero() {
			since = st.WaitingSince
		}
		return msg + ".", since
	case contract.PhaseDenied:
		msg := "A biller's decision on the denial (resubmit, appeal, write off or bill the patient)"
		if st.Denial != nil {
			msg += ": " + label(st.Denial.Category) + " " + strings.Join(st.Denial.Codes, ", ")
		}
		if !st.AppealDeadline.IsZero() {
			msg += "; appeal by " + st.AppealDeadline.Format("Jan 2, 2006")
		}
		return msg + ".", since
	case contract.PhaseAwaitingApproval:
		return "A manager's approval of the write-off.", since
	case contract.PhaseDone:
		return "Nothing: the claim is settled.", since
	}
	return "Stage " + label(st.Stage) + ".", since
}

func (a *App) claimFile837(q *Req) {
	d, ok := a.claimLoad(q)
	if !ok {
		return
	}
	sent, _, err := a.claims.Files(q.Ctx(), d.Claim.ID)
	if err != nil {
		q.Fail(err)
		return
	}
	for _, s := range sent {
		if s.SubmissionID == q.Param("submission_id") && s.Data != nil {
			sendEDI(q, fmt.Sprintf("claim-%s-%d.837", d.Claim.PatientControlNumber, s.ControlNumber), s.Data)
			return
		}
	}
	q.NotFound("That 837P file")
}

func (a *App) claimFile835(q *Req) {
	d, ok := a.claimLoad(q)
	if !ok {
		return
	}
	_, paid, err := a.claims.Files(q.Ctx(), d.Claim.ID)
	if err != nil {
		q.Fail(err)
		return
	}
	for _, p := range paid {
		if p.ID == q.Param("payment_id") && p.Data != nil {
			sendEDI(q, fmt.Sprintf("era-%s.835", p.TraceNumber), p.Data)
			return
		}
	}
	q.NotFound("That 835 file")
}

// sendEDI answers a raw X12 file as a download.
func sendEDI(q *Req, name string, data []byte) {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, name)
	q.Header("Content-Disposition", `attachment; filename="`+safe+`"`)
	q.Data(http.StatusOK, "application/edi-x12", data)
}
