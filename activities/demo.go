package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/demo"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/workflows/contract"
)

// The demo clinic's activities (workflows/clinicday.go) act as the clinic's
// staff would through the API: every write is an update of the case workflow,
// sent the way the API sends it (Update-With-Start, an update id derived from
// the visit, so a retried activity is the same request), never a row written
// behind the workflow's back.

// LoadClinicRoster reads the open cases the clinic day works through.
func (a *Activities) LoadClinicRoster(ctx context.Context) ([]contract.ClinicSlot, error) {
	r, err := demo.Roster(ctx, a.DB)
	return r, classify(err)
}

// DemoCheckIn checks the visit's patient in (the check-in update) and returns
// the encounter id.
func (a *Activities) DemoCheckIn(ctx context.Context, v contract.ClinicVisit) (string, error) {
	encID := demoID(v, "encounter")
	var e contract.Encounter
	err := a.demoCaseUpdate(ctx, v, contract.UpdateCheckIn, "check-in-"+encID, contract.CheckInRequest{
		EncounterID: encID, ProviderID: v.Slot.ProviderID, LocationID: v.Slot.LocationID, ServiceDate: v.ServiceDate,
		Actor: demoActor(v.Slot.DeskUserID, v)}, &e)
	return e.ID, err
}

// DemoCaptureCharges adds the visit's charges (demo.VisitFor, priced from the
// case's fee schedule) and completes charge capture, unless the visit is one
// whose charges are forgotten; it returns how many charges the visit has.
func (a *Activities) DemoCaptureCharges(ctx context.Context, v contract.ClinicVisit) (int, error) {
	encID := demoID(v, "encounter")
	plan := demo.VisitFor(v.Slot.Kind, v.Slot.CaseID, v.Round)
	actor := demoActor(v.Slot.ClinicianUserID, v)
	for i, l := range plan.Lines {
		chargeID := demoID(v, fmt.Sprintf("charge-%d", i))
		in := billing.ChargeInput{ChargeID: chargeID, CaseID: v.Slot.CaseID, EncounterID: encID,
			ProcedureCode: l.ProcedureCode, Modifiers: l.Modifiers, Units: l.Units, Diagnoses: plan.Diagnoses,
			DiagnosisPointers: plan.Pointers(), Actor: actor}
		if err := a.demoCaseUpdate(ctx, v, contract.UpdateAddCharge, "charge-"+chargeID, in, &contract.Charge{}); err != nil {
			return i, err
		}
	}
	if v.Forget {
		return len(plan.Lines), nil
	}
	err := a.demoCaseUpdate(ctx, v, contract.UpdateCompleteCharges, "complete-"+encID,
		contract.CompleteChargesRequest{EncounterID: encID, Actor: actor}, &contract.Encounter{})
	return len(plan.Lines), err
}

// DemoPayAtDesk takes a payment at the desk on a self-pay case: half of what
// the patient owes (all of it under 20.00), by the record-payment update. It
// returns the amount paid, zero when nothing is owed. A retry finds the
// payment it already made (by its idempotency key) and pays nothing more.
func (a *Activities) DemoPayAtDesk(ctx context.Context, v contract.ClinicVisit) (decimal.Decimal, error) {
	key := "demo-desk-" + demoID(v, "payment")
	var paid []decimal.Decimal
	if err := a.DB.WithContext(ctx).Table("payments").Where("case_id = ? AND idempotency_key = ?", v.Slot.CaseID, key).
		Pluck("amount", &paid).Error; err != nil {
		return decimal.Zero, classify(fmt.Errorf("look up the desk payment: %w", err))
	}
	if len(paid) > 0 {
		return paid[0], nil
	}
	bal, err := ledger.CaseBalances(a.DB.WithContext(ctx), v.Slot.CaseID)
	if err != nil {
		return decimal.Zero, classify(err)
	}
	owed := bal.PatientBalance()
	if !owed.IsPositive() {
		return decimal.Zero, nil
	}
	amount := owed
	if owed.GreaterThanOrEqual(decimal.NewFromInt(20)) {
		amount = owed.Div(decimal.NewFromInt(2)).RoundDown(2)
	}
	var r billing.PaymentResult
	err = a.demoCaseUpdate(ctx, v, contract.UpdateRecordPayment, "payment-"+key, billing.PaymentInput{
		PaymentID: demoID(v, "payment"), CaseID: v.Slot.CaseID, Amount: amount, Method: "card", Reference: "paid at the desk",
		ReceivedAt: time.Now().UTC(), IdempotencyKey: key, Actor: demoActor(v.Slot.DeskUserID, v)}, &r)
	return r.Amount, err
}

// DemoDispute has the visit's patient dispute the balance (the dunning
// workflow's dispute update, as POST /patients/{id}/dispute does): dunning
// pauses and a task opens in the disputes queue. It answers false, changing
// nothing, when the patient has no active dunning to dispute (nothing owed, or
// a dispute already open).
func (a *Activities) DemoDispute(ctx context.Context, v contract.ClinicVisit) (bool, error) {
	if a.Temporal == nil {
		return false, temporal.NewNonRetryableApplicationError("the demo clinic needs the worker's Temporal client", "DemoNotWired", nil)
	}
	h, err := a.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: contract.DunningWorkflowID(v.Slot.PatientID), UpdateID: "demo-dispute-" + demoID(v, "dispute"),
		UpdateName: contract.UpdateDispute, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{contract.DisputeRequest{Reason: "The patient says the visit was billed twice and asks for an itemised statement",
			Actor: demoActor(v.Slot.DeskUserID, v)}},
	})
	if err == nil {
		err = h.Get(ctx, &contract.DunningView{})
	}
	var nf *serviceerror.NotFound
	var appErr *temporal.ApplicationError
	if errors.As(err, &nf) || (errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeConflict) {
		return false, nil
	}
	return err == nil, demoUpdateError(contract.UpdateDispute+" for patient "+v.Slot.PatientID, err)
}

// DemoNextDenial finds the oldest denied claim waiting for a biller's decision
// (its open task in the denials queue) and the biller who takes it; it reads
// only, and answers an empty ClinicDenial when there is none.
func (a *Activities) DemoNextDenial(ctx context.Context) (contract.ClinicDenial, error) {
	g := a.DB.WithContext(ctx)
	var d contract.ClinicDenial
	err := g.Table("tasks t").Select("t.id AS task_id, t.claim_id, c.appeal_level").
		Joins("JOIN claims c ON c.id = t.claim_id").
		Where("t.queue = ? AND t.kind = ? AND t.status = ? AND c.stage = ?", tasks.QueueDenials, tasks.KindDenied,
			tasks.StatusOpen, claims.StageDenied).
		Order("t.created_at, t.id").Limit(1).Scan(&d).Error
	if err != nil {
		return d, classify(fmt.Errorf("find a denial to decide: %w", err))
	}
	if d.ClaimID == "" {
		return contract.ClinicDenial{}, nil
	}
	var billers []string
	if err := g.Table("users").Where("role = ? AND NOT disabled", auth.RoleBiller).Order("email").Limit(1).
		Pluck("id", &billers).Error; err != nil {
		return d, classify(fmt.Errorf("find a biller: %w", err))
	}
	if len(billers) > 0 {
		d.BillerUserID = billers[0]
	}
	return d, nil
}

// DemoDecideDenial sends the billing office's decision to the claim's workflow
// (the decide update, as POST /claims/{id}/decision does), once per denial task.
func (a *Activities) DemoDecideDenial(ctx context.Context, d contract.ClinicDecision) error {
	if a.Temporal == nil {
		return temporal.NewNonRetryableApplicationError("the demo clinic needs the worker's Temporal client", "DemoNotWired", nil)
	}
	dec := contract.DenialDecision{Action: d.Action, Note: "Decided by the demo clinic's billing office",
		Actor: audit.Actor{UserID: d.BillerUserID, RequestID: "demo-decide-" + d.TaskID}}
	if d.Action == contract.DecisionAppeal {
		dec.Argument = "The service was medically necessary and documented; the visit notes are attached."
	}
	h, err := a.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: contract.ClaimWorkflowID(d.ClaimID), UpdateID: "demo-decide-" + d.TaskID,
		UpdateName: contract.UpdateDecideDenial, Args: []any{dec}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, &contract.DecisionResult{})
	}
	return demoUpdateError(contract.UpdateDecideDenial+" on claim "+d.ClaimID, err)
}

// demoCaseUpdate sends an update to the visit's case workflow, starting it if
// this is the case's first event, as the API does (api/cases.go caseUpdate). An
// update the workflow refuses (invalid, conflict) is not retried.
func (a *Activities) demoCaseUpdate(ctx context.Context, v contract.ClinicVisit, name, updateID string, arg, out any) error {
	if a.Temporal == nil {
		return temporal.NewNonRetryableApplicationError("the demo clinic needs the worker's Temporal client", "DemoNotWired", nil)
	}
	kind := v.Slot.Kind
	start := a.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       contract.CaseWorkflowID(v.Slot.CaseID),
		TaskQueue:                contract.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			contract.SearchCaseStage.ValueSet(cases.StageOpen),
			contract.SearchCaseKind.ValueSet(string(kind))),
	}, contract.CaseWorkflowName, contract.CaseInput{
		CaseID: v.Slot.CaseID, PatientID: v.Slot.PatientID, Kind: kind,
		MissingChargesAfter: v.Settings.MissingChargesAfter, ClaimDayLength: v.Settings.ClaimDayLength,
	})
	h, err := a.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateID: updateID, UpdateName: name, Args: []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err == nil {
		err = h.Get(ctx, out)
	}
	return demoUpdateError(name+" on case "+v.Slot.CaseID, err)
}

// demoUpdateError is how a demo update fails: refused by the workflow
// (invalid, conflict) or sent to a workflow that has finished, it is not
// retried; anything else (the server busy) is.
func demoUpdateError(what string, err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: %s", what, appErr.Error()), appErr.Type(), nil)
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: the workflow has finished", what), "NotFound", nil)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// demoID is the stable id of one thing of a visit (its encounter, a charge, a
// payment), from the case and the visit's key.
func demoID(v contract.ClinicVisit, what string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("rcm:demo:"+v.Slot.CaseID+":"+v.Key+":"+what)).String()
}

// demoActor is the staff member acting, with the visit as the request.
func demoActor(userID string, v contract.ClinicVisit) audit.Actor {
	return audit.Actor{UserID: userID, RequestID: "demo-" + v.Key}
}
