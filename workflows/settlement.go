package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/legal"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// The settlement of a hold, in the order a case lives it:
//
//  1. settle records the settlement amount, the attorney's requested
//     reduction and who pays. A reduction above the threshold (15 % by
//     default) opens an approvals task and the hold waits for a manager's
//     decide-approval (approve, counter with another amount, refuse); an
//     unanswered approval is escalated after a few of the hold's days.
//  2. release moves held charges (all, or some: the rest stay held and
//     watched) to the attorney's A/R with the approved reduction written off,
//     or to the auto insurer / WC carrier through a claim per visit, each
//     claim run by its own claim workflow.
//  3. legal-payment posts the attorney's (or insurer's) money against what
//     they owe; when nothing is held or owed the hold closes and ends.
//
// drop ends a case with no recovery: the balance becomes the patient's, or is
// written off once a manager approves. Each money move is one activity (one
// transaction, balanced journals) and is told to the case workflow as an
// insurance event, so the case's totals and the ledger agree.

// settlementVersion guards the settlement updates: holds started before them
// never saw these handlers, and their histories replay unchanged.
const settlementVersion = "legal-settlement"

func (w *holdWorkflow) settlementUpdates() []update {
	return []update{
		{contract.UpdateSettle, w.settle, w.validateSettle},
		{contract.UpdateDecideApproval, w.decideApproval, w.validateDecision},
		{contract.UpdateRelease, w.release, w.validateRelease},
		{contract.UpdateDrop, w.drop, w.validateDrop},
		{contract.UpdateLegalPayment, w.legalPayment, w.validateLegalPayment},
	}
}

func (w *holdWorkflow) view() contract.HoldView {
	return contract.HoldView{HoldState: w.s, Timers: w.timers()}
}

// open reports whether charges are still held (with or without a settlement).
func (w *holdWorkflow) open() bool {
	return w.s.Status == contract.HoldStatusHeld || w.s.Status == contract.HoldStatusSettling
}

// ended reports whether the hold has nothing left to do.
func (w *holdWorkflow) ended() bool {
	switch w.s.Status {
	case contract.HoldStatusDropped, contract.HoldStatusClosed:
		return true
	case contract.HoldStatusReleased:
		return w.s.Owed != nil && w.s.Owed.Settled()
	}
	return false
}

func (w *holdWorkflow) awaitingApproval() error {
	if ap := w.s.Approval; ap != nil {
		return conflict("a manager's approval of a %s is pending (task %s): decide it first", strings.ReplaceAll(ap.Kind, "_", "-"), ap.TaskID)
	}
	return nil
}

func (w *holdWorkflow) validateSettle(ctx workflow.Context, r contract.SettlementRequest) error {
	if errs := legal.ValidateSettlement(r.Amount, r.ReductionAmount, r.ReductionPercent, r.PayVia); len(errs) > 0 {
		return invalid(errs)
	}
	if !w.open() {
		return conflict("the case's charges are no longer held (%s)", w.s.Status)
	}
	return w.awaitingApproval()
}

// settle records a settlement; a reduction above the threshold waits for a
// manager.
func (w *holdWorkflow) settle(ctx workflow.Context, r contract.SettlementRequest) (contract.HoldView, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return contract.HoldView{}, err
	}
	defer w.mu.Unlock()
	workflow.GetVersion(ctx, settlementVersion, workflow.DefaultVersion, 1)
	if err := w.validateSettle(ctx, r); err != nil {
		return contract.HoldView{}, err // a release or drop got the lock first
	}
	now := workflow.Now(ctx)
	var st contract.Settlement
	err := workflow.ExecuteActivity(activityCtx(ctx), a.RecordSettlement, activities.SettleInput{CaseID: w.s.CaseID,
		UpdateID: workflow.GetCurrentUpdateInfo(ctx).ID, Request: r, At: now}).Get(ctx, &st)
	if err != nil {
		return contract.HoldView{}, activityFailure("record settlement", err)
	}
	w.s.Settlement = &st
	w.s.Status = contract.HoldStatusSettling
	if st.Status == contract.SettlementPending {
		title := fmt.Sprintf("Approve a lien reduction of %s%% (%s off %s)", st.RequestedPercent.StringFixed(2),
			st.RequestedReduction.StringFixed(2), st.HeldTotal.StringFixed(2))
		err := w.ask(ctx, contract.ApprovalReduction, tasks.KindReductionApproval, "legal:reduction:"+st.ID, title,
			map[string]any{"settlement_id": st.ID, "settlement_amount": st.Amount, "held_total": st.HeldTotal,
				"requested_reduction": st.RequestedReduction, "requested_percent": st.RequestedPercent,
				"decisions": []string{contract.DecisionApprove, contract.DecisionCounter, contract.DecisionRefuse}}, nil)
		if err != nil {
			return contract.HoldView{}, err
		}
	}
	w.dirty = true
	return w.view(), nil
}

// ask raises an approvals task answered by decide-approval and remembers it.
func (w *holdWorkflow) ask(ctx workflow.Context, kind, taskKind, key, title string, details map[string]any,
	drop *contract.DropRequest) error {
	now := workflow.Now(ctx)
	var taskID string
	err := workflow.ExecuteActivity(activityCtx(ctx), a.RaiseHoldTask, activities.HoldTaskInput{CaseID: w.s.CaseID,
		Queue: tasks.QueueApprovals, Kind: taskKind, BusinessKey: key, Title: title, Details: details, Priority: 5,
		DueAt: now.Add(w.days(w.approvalDays())), Answered: true, AnswerUpdate: contract.UpdateDecideApproval}).Get(ctx, &taskID)
	if err != nil {
		return activityFailure("raise approval task", err)
	}
	w.s.Approval = &contract.Approval{Kind: kind, TaskID: taskID, BusinessKey: key, RequestedAt: now, Drop: drop}
	return nil
}

func (w *holdWorkflow) approvalDays() int {
	if d := w.s.Settings.ApprovalDays; d > 0 {
		return d
	}
	return contract.DefaultApprovalDays
}

// approvalTimer is when an unanswered approval is escalated.
func (w *holdWorkflow) approvalTimer() []contract.HoldTimer {
	ap := w.s.Approval
	if ap == nil || ap.Escalated || w.s.Settings.DayLength <= 0 {
		return nil
	}
	return []contract.HoldTimer{{Kind: contract.TimerApproval, DueAt: ap.RequestedAt.Add(w.days(w.approvalDays()))}}
}

// escalateApproval raises the overdue approval for a manager, once.
func (w *holdWorkflow) escalateApproval(ctx workflow.Context) error {
	ap := w.s.Approval
	var taskID string
	err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.RaiseHoldTask, activities.HoldTaskInput{CaseID: w.s.CaseID,
		Queue: tasks.QueueApprovals, Kind: tasks.KindApprovalOverdue, BusinessKey: ap.BusinessKey + ":overdue",
		Title: "Overdue: a " + strings.ReplaceAll(ap.Kind, "_", "-") + " approval nobody answered", Priority: 9,
		Details: map[string]any{"approval_task_id": ap.TaskID, "requested_at": ap.RequestedAt, "escalated_to": "manager"},
		DueAt:   workflow.Now(ctx), Answered: true, AnswerUpdate: contract.UpdateDecideApproval}).Get(ctx, &taskID)
	if err != nil {
		return fmt.Errorf("escalate approval: %w", err)
	}
	if w.s.Approval != nil {
		w.s.Approval.Escalated = true
	}
	return nil
}

func (w *holdWorkflow) validateDecision(ctx workflow.Context, d contract.ApprovalDecision) error {
	ap := w.s.Approval
	if ap == nil {
		return conflict("no approval is pending on this case")
	}
	var errs validate.Errors
	choices := []string{contract.DecisionApprove, contract.DecisionRefuse}
	if ap.Kind == contract.ApprovalReduction {
		choices = append(choices, contract.DecisionCounter)
	}
	errs.Check(slices.Contains(choices, d.Decision), "decision", "must be one of %s", strings.Join(choices, ", "))
	if d.Decision == contract.DecisionCounter {
		if d.CounterReduction == nil {
			errs.Add("counter_reduction", "is required to counter")
		} else {
			errs.Check(!d.CounterReduction.IsNegative() && d.CounterReduction.Equal(d.CounterReduction.Round(2)),
				"counter_reduction", "must be an amount of at least 0.00")
		}
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

// decideApproval applies a manager's decision: on a reduction it fixes what
// may be written off at release; on a dropped case's write-off it writes the
// balance off, or leaves the case held when refused.
func (w *holdWorkflow) decideApproval(ctx workflow.Context, d contract.ApprovalDecision) (contract.HoldView, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return contract.HoldView{}, err
	}
	defer w.mu.Unlock()
	if err := w.validateDecision(ctx, d); err != nil {
		return contract.HoldView{}, err
	}
	ap := *w.s.Approval
	switch ap.Kind {
	case contract.ApprovalReduction:
		var st contract.Settlement
		err := workflow.ExecuteActivity(activityCtx(ctx), a.DecideReduction, activities.DecideReductionInput{
			SettlementID: w.s.Settlement.ID, Decision: d.Decision, Counter: d.CounterReduction, Note: d.Note,
			Actor: d.Actor}).Get(ctx, &st)
		if err != nil {
			return contract.HoldView{}, activityFailure("decide reduction", err)
		}
		w.s.Settlement = &st
	case contract.ApprovalWriteOff:
		if d.Decision == contract.DecisionApprove {
			if err := w.dropNow(ctx, *ap.Drop, ap.BusinessKey, d.Actor.UserID); err != nil {
				return contract.HoldView{}, err
			}
		}
	}
	keys := []string{ap.BusinessKey}
	if ap.Escalated {
		keys = append(keys, ap.BusinessKey+":overdue")
	}
	err := workflow.ExecuteActivity(activityCtx(ctx), a.ResolveHoldTasks, activities.ResolveHoldTasksInput{
		BusinessKeys: keys, Resolution: "decided: " + d.Decision}).Get(ctx, nil)
	if err != nil {
		return contract.HoldView{}, activityFailure("close approval tasks", err)
	}
	w.s.Approval = nil
	w.dirty = true
	return w.view(), nil
}

func (w *holdWorkflow) validateRelease(ctx workflow.Context, r contract.ReleaseRequest) error {
	var errs validate.Errors
	errs.Check(r.To == contract.PayAttorney || r.To == contract.PayInsurer, "to", "must be %s or %s",
		contract.PayAttorney, contract.PayInsurer)
	if len(errs) > 0 {
		return invalid(errs)
	}
	if !w.open() {
		return conflict("the case's charges are no longer held (%s)", w.s.Status)
	}
	return w.awaitingApproval()
}

// release moves held charges to the attorney or to the insurer (starting a
// claim workflow per claim built) and tells the case of the reduction.
func (w *holdWorkflow) release(ctx workflow.Context, r contract.ReleaseRequest) (contract.HoldView, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return contract.HoldView{}, err
	}
	defer w.mu.Unlock()
	workflow.GetVersion(ctx, settlementVersion, workflow.DefaultVersion, 1)
	if err := w.validateRelease(ctx, r); err != nil {
		return contract.HoldView{}, err
	}
	var out activities.ReleaseOutcome
	err := workflow.ExecuteActivity(activityCtx(ctx), a.ReleaseHeld, activities.ReleaseInput{CaseID: w.s.CaseID,
		UpdateID: workflow.GetCurrentUpdateInfo(ctx).ID, Request: r, At: workflow.Now(ctx)}).Get(ctx, &out)
	if err != nil {
		return contract.HoldView{}, activityFailure("release held charges", err)
	}
	if slices.ContainsFunc(w.s.Releases, func(x contract.Release) bool { return x.ID == out.Release.ID }) {
		return w.view(), nil // a retried request
	}
	w.s.Releases = append(w.s.Releases, out.Release)
	for _, id := range out.Release.ClaimIDs {
		if err := startClaimWorkflow(ctx, id, w.s.CaseID, r.ClaimDayLength); err != nil {
			return contract.HoldView{}, err
		}
	}
	if out.Release.Reduction.IsPositive() {
		w.tellCase(ctx, contract.InsuranceEvent{ID: "legal-reduction:" + out.Release.ID, WrittenOff: out.Release.Reduction})
	}
	w.moved(ctx, out.Owed)
	return w.view(), nil
}

// awaitingAttorney reports whether charges were released to the attorney and
// the attorney has not paid them all: the follow-up goes on, about the check.
func (w *holdWorkflow) awaitingAttorney() bool {
	return w.s.Status == contract.HoldStatusReleased && w.s.Owed != nil && w.s.Owed.Attorney.IsPositive()
}

// followUpTitle is what the attorney follow-up task asks.
func (w *holdWorkflow) followUpTitle() string {
	if w.awaitingAttorney() {
		return "Call the attorney: " + w.s.Owed.Attorney.StringFixed(2) + " of the settlement is unpaid"
	}
	return "Call the attorney for a case update"
}

// moved records what is owed after a money move and where the hold stands:
// still held while charges are; released once none are (the attorney may
// still owe); closed when nothing is owed.
func (w *holdWorkflow) moved(ctx workflow.Context, owed contract.LegalMoney) {
	was := w.s.Status
	w.s.Owed = &owed
	switch {
	case w.s.Status == contract.HoldStatusDropped:
	case owed.Held.IsPositive():
	case owed.Attorney.IsPositive() || !w.paidByAttorney():
		w.s.Status = contract.HoldStatusReleased
	default:
		w.s.Status = contract.HoldStatusClosed
	}
	if !w.open() {
		w.closeTasks(ctx) // a payment answers the follow-up, too
	}
	if w.awaitingAttorney() && was != w.s.Status {
		// A fresh follow-up cadence, now about the attorney's check.
		w.s.NextFollowUpAt = workflow.Now(ctx).Add(w.days(w.s.Facts.FollowUpDays))
	}
	w.dirty = true
}

// paidByAttorney reports whether any charge was released to the attorney.
func (w *holdWorkflow) paidByAttorney() bool {
	return slices.ContainsFunc(w.s.Releases, func(r contract.Release) bool { return r.To == contract.PayAttorney })
}

// closeTasks closes the hold's open follow-up tasks once nothing is held.
func (w *holdWorkflow) closeTasks(ctx workflow.Context) {
	var keys []string
	for _, t := range w.s.Tasks {
		keys = append(keys, t.BusinessKey)
	}
	if len(keys) == 0 {
		return
	}
	err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.ResolveHoldTasks, activities.ResolveHoldTasksInput{
		BusinessKeys: keys, Resolution: "the case's charges are no longer held (" + w.s.Status + ")"}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("close hold tasks failed", "case_id", w.s.CaseID, "error", err)
		return
	}
	w.forget(keys)
}

// tellCase sends a money move to the case workflow, which keeps the case's
// totals; a case that no longer runs is logged, not fatal.
func (w *holdWorkflow) tellCase(ctx workflow.Context, ev contract.InsuranceEvent) {
	ev.CaseID = w.s.CaseID
	err := workflow.SignalExternalWorkflow(ctx, contract.CaseWorkflowID(w.s.CaseID), "", contract.SignalInsurance, ev).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("tell the case of a legal money move failed", "case_id", w.s.CaseID, "event", ev.ID, "error", err)
	}
}

func (w *holdWorkflow) validateDrop(ctx workflow.Context, r contract.DropRequest) error {
	if errs := legal.ValidateDrop(r.Disposition, r.Reason); len(errs) > 0 {
		return invalid(errs)
	}
	if w.s.Status == contract.HoldStatusDropped || w.s.Status == contract.HoldStatusClosed {
		return conflict("the case is already %s", w.s.Status)
	}
	return w.awaitingApproval()
}

// drop moves the balance to the patient now, or asks a manager to approve its
// write-off first.
func (w *holdWorkflow) drop(ctx workflow.Context, r contract.DropRequest) (contract.HoldView, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return contract.HoldView{}, err
	}
	defer w.mu.Unlock()
	workflow.GetVersion(ctx, settlementVersion, workflow.DefaultVersion, 1)
	if err := w.validateDrop(ctx, r); err != nil {
		return contract.HoldView{}, err
	}
	id := workflow.GetCurrentUpdateInfo(ctx).ID
	if r.Disposition == contract.DropWriteOff {
		err := w.ask(ctx, contract.ApprovalWriteOff, tasks.KindLegalWriteOff, "legal:write-off:"+w.s.CaseID+":"+id,
			"Approve writing off a dropped legal case", map[string]any{"reason": r.Reason,
				"decisions": []string{contract.DecisionApprove, contract.DecisionRefuse}}, &r)
		if err != nil {
			return contract.HoldView{}, err
		}
		w.dirty = true
		return w.view(), nil
	}
	if err := w.dropNow(ctx, r, id, ""); err != nil {
		return contract.HoldView{}, err
	}
	return w.view(), nil
}

// dropNow moves the balance and ends the hold as dropped.
func (w *holdWorkflow) dropNow(ctx workflow.Context, r contract.DropRequest, key, approvedBy string) error {
	var out activities.DropOutcome
	err := workflow.ExecuteActivity(activityCtx(ctx), a.DropCase, activities.DropInput{CaseID: w.s.CaseID, UpdateID: key,
		Request: r, ApprovedBy: approvedBy, At: workflow.Now(ctx)}).Get(ctx, &out)
	if err != nil {
		return activityFailure("drop case", err)
	}
	ev := contract.InsuranceEvent{ID: "legal-drop:" + w.s.CaseID}
	if r.Disposition == contract.DropToPatient {
		ev.ToPatient = out.Amount
	} else {
		ev.WrittenOff = out.Amount
	}
	if out.Amount.IsPositive() {
		w.tellCase(ctx, ev)
	}
	w.s.Dropped = &r
	w.s.Status = contract.HoldStatusDropped
	w.moved(ctx, out.Owed)
	return nil
}

func (w *holdWorkflow) validateLegalPayment(ctx workflow.Context, r contract.LegalPaymentRequest) error {
	errs := legal.ValidateLegalPayment(r.Payer, r.Amount, r.Method)
	errs.Required("idempotency_key", r.IdempotencyKey)
	if len(errs) > 0 {
		return invalid(errs)
	}
	if r.Payer == contract.PayAttorney && !w.paidByAttorney() {
		return conflict("nothing was released to the attorney yet: release the charges to the attorney first")
	}
	return nil
}

// legalPayment posts the payer's money and tells the case; the hold closes
// when nothing is held or owed any more.
func (w *holdWorkflow) legalPayment(ctx workflow.Context, r contract.LegalPaymentRequest) (activities.LegalPaymentOutcome, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return activities.LegalPaymentOutcome{}, err
	}
	defer w.mu.Unlock()
	workflow.GetVersion(ctx, settlementVersion, workflow.DefaultVersion, 1)
	var out activities.LegalPaymentOutcome
	err := workflow.ExecuteActivity(activityCtx(ctx), a.RecordLegalPayment, activities.LegalPaymentInput{CaseID: w.s.CaseID,
		UpdateID: workflow.GetCurrentUpdateInfo(ctx).ID, Request: r}).Get(ctx, &out)
	if err != nil {
		return out, activityFailure("record legal payment", err)
	}
	// The event id is the payment's, so a replayed payment is counted once.
	w.tellCase(ctx, contract.InsuranceEvent{ID: "legal-payment:" + out.PaymentID, Paid: out.Amount})
	w.moved(ctx, out.Owed)
	return out, nil
}
