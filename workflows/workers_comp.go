package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/legal"
	"github.com/clinicflow/rcm/workflows/contract"
)

// Workers' comp awaiting acceptance: a workers' comp case's completed visits
// wait unbilled (in insurance A/R) until the carrier answers through the
// wc-decision update. Accepted, the case bills the carrier as any insurance
// case; denied to the health coverage, the patient's health plan became the
// primary coverage and is billed (the 837P still says the injury was work
// related); denied to the patient, each visit becomes the patient's balance.

// wcVersion guards the wait: workers' comp cases started before it bill at
// once, as they did.
const wcVersion = "wc-acceptance"

func (w *caseWorkflow) validateWC(ctx workflow.Context, r contract.WCDecisionRequest) error {
	if w.s.Kind != cases.WorkersComp {
		return conflict("a %s case is not a workers' comp case", w.s.Kind)
	}
	if errs := legal.ValidateWCDecision(r.Decision, r.ClaimNumber, r.DeniedTo); len(errs) > 0 {
		return invalid(errs)
	}
	if wc := w.s.WC; wc != nil {
		return conflict("the carrier's decision is already recorded (%s)", wc.Status)
	}
	return nil
}

// decideWC records the carrier's decision; the main loop then bills (or moves
// to the patient) the visits that waited.
func (w *caseWorkflow) decideWC(ctx workflow.Context, r contract.WCDecisionRequest) (contract.WCStatus, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return contract.WCStatus{}, err
	}
	defer w.mu.Unlock()
	if w.s.WC != nil {
		return *w.s.WC, nil // a retried request
	}
	now := workflow.Now(ctx)
	err := workflow.ExecuteActivity(activityCtx(ctx), a.RecordWCDecision, activities.WCDecisionInput{CaseID: w.s.CaseID,
		Request: r, At: now}).Get(ctx, nil)
	if err != nil {
		return contract.WCStatus{}, activityFailure("record workers' comp decision", err)
	}
	st := contract.WCStatus{Status: contract.WCStatusAccepted, DecidedAt: now}
	if r.Decision == contract.WCDeny {
		st.Status, st.DeniedTo = contract.WCStatusDenied, r.DeniedTo
	}
	w.s.WC = &st
	w.dirty = true
	return st, nil
}

// holdsWC reports whether a completed workers' comp visit must not be billed
// now: the carrier has not answered (cases started before the wait bill at
// once), or the case was denied to the patient, whose visit is moved to the
// patient's balance instead.
func (w *caseWorkflow) holdsWC(ctx workflow.Context, i int) (bool, error) {
	if w.s.Kind != cases.WorkersComp {
		return false, nil
	}
	switch wc := w.s.WC; {
	case wc == nil:
		return workflow.GetVersion(ctx, wcVersion, workflow.DefaultVersion, 1) != workflow.DefaultVersion, nil
	case wc.Status == contract.WCStatusDenied && wc.DeniedTo == contract.WCToPatient:
		return true, w.visitToPatient(ctx, i)
	}
	return false, nil
}

// visitToPatient moves a visit of a case denied to the patient, once.
func (w *caseWorkflow) visitToPatient(ctx workflow.Context, i int) error {
	e := &w.s.Encounters[i]
	if e.ToPatient {
		return nil
	}
	if err := w.mu.Lock(ctx); err != nil {
		return err
	}
	defer w.mu.Unlock()
	var moved contract.Money
	err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.WCVisitToPatient, activities.WCVisitInput{CaseID: w.s.CaseID,
		EncounterID: e.ID}).Get(ctx, &moved.Amount)
	if err != nil {
		return fmt.Errorf("move denied visit to the patient: %w", err)
	}
	e = &w.s.Encounters[i]
	e.ToPatient = true
	w.addInsurance(contract.InsuranceEvent{ID: "wc-denied:" + e.ID, CaseID: w.s.CaseID, ToPatient: moved.Amount})
	return nil
}
