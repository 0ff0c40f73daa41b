package workflows

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/scrub"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// Lead times, in payer days, before a deadline the claim workflow escalates.
const (
	filingEscalationDays = 14
	appealEscalationDays = 7
	maxAppealLevel       = 2
)

// ClaimWorkflow carries one claim from scrubbing to its last cent: scrub (and wait
// for fixes), check eligibility, submit the 837P, wait for the 999/277CA (raising
// a follow-up task when none comes), wait for the 835 (sending 276 status
// inquiries when none comes), and on a denial wait for a person's decision:
// resubmit a corrected claim, appeal (two levels, each with its deadline), write
// off with a manager's approval, or transfer the balance to the patient. A paid
// primary claim starts the secondary claim when the case has a secondary
// coverage. Every wait is a durable timer measured in the payer's days.
func ClaimWorkflow(ctx workflow.Context, in contract.ClaimInput) error {
	w := newClaimWorkflow(in)
	if err := w.setup(ctx); err != nil {
		return err
	}
	// The claim's own steps run as local activities: a clean claim's scrub,
	// eligibility check and submission take one workflow task instead of one
	// round trip through the task queue each. Runs begun before keep activities.
	w.local = workflow.GetVersion(ctx, "claim-local-steps", workflow.DefaultVersion, 1) != workflow.DefaultVersion
	// Scrub and eligibility name the submission that follows them, so that,
	// run again after a crash once it is recorded, they pass and write nothing
	// (a scrub run again moved a sent claim back to scrubbing, where the
	// payer's 277CA took it for a late file). Runs begun before call the steps
	// by claim id.
	w.keyed = workflow.GetVersion(ctx, "claim-steps-keyed-by-submission", workflow.DefaultVersion, 1) != workflow.DefaultVersion
	// A denied claim takes the payer's next remittance without waiting for a
	// decision (the payer reprocessed it, or took an appeal whose update
	// failed after reaching it: make chaos left such a claim denied, paid).
	// Runs begun before keep it for after the decision.
	w.remitsWhileDenied = workflow.GetVersion(ctx, "claim-remit-while-denied", workflow.DefaultVersion, 1) != workflow.DefaultVersion
	for w.s.Phase != contract.PhaseDone {
		if w.shouldContinueAsNew(ctx) {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			drain(w.notices, w.receive)
			// A handler that finished meanwhile may have moved the stage.
			if err := w.publish(ctx); err != nil {
				return err
			}
			st := w.s
			return workflow.NewContinueAsNewError(ctx, ClaimWorkflow, contract.ClaimInput{
				ClaimID: st.ClaimID, CaseID: st.CaseID, DayLength: st.DayLength, State: &st})
		}
		if err := w.step(ctx); err != nil {
			return err
		}
		if err := w.publish(ctx); err != nil {
			return err
		}
	}
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

type claimWorkflow struct {
	s         contract.ClaimState
	mu        workflow.Mutex
	notices   workflow.ReceiveChannel
	published string
	// local runs the claim's own steps as local activities.
	local bool
	// keyed names scrub and eligibility steps by the next submission.
	keyed bool
	// remitsWhileDenied applies remittances that arrive while a denial waits
	// for a decision.
	remitsWhileDenied bool
}

func newClaimWorkflow(in contract.ClaimInput) *claimWorkflow {
	if in.State != nil {
		return &claimWorkflow{s: *in.State, published: in.State.Stage}
	}
	day := in.DayLength
	if day <= 0 {
		day = 24 * time.Hour
	}
	return &claimWorkflow{published: claims.StageCreated, s: contract.ClaimState{
		ClaimID: in.ClaimID, CaseID: in.CaseID, DayLength: day, Stage: claims.StageCreated}}
}

func (w *claimWorkflow) setup(ctx workflow.Context) error {
	w.mu = workflow.NewMutex(ctx)
	if err := workflow.SetQueryHandler(ctx, contract.QueryClaimState, func() (contract.ClaimState, error) {
		st := w.s
		st.Waiting = w.waiting()
		return st, nil
	}); err != nil {
		return err
	}
	if err := registerUpdates(ctx, []update{
		{contract.UpdateFixClaim, w.fix, w.validateFix},
		{contract.UpdateDecideDenial, w.decide, w.validateDecide},
		{contract.UpdateApproveWriteOff, w.approveWriteOff, w.validateApproveWriteOff},
	}); err != nil {
		return err
	}
	w.notices = workflow.GetSignalChannel(ctx, contract.SignalClaimNotice)
	listen(ctx, w.notices, w.receive)
	return nil
}

// receive keeps a notice for the main loop.
func (w *claimWorkflow) receive(n contract.ClaimNotice) { w.s.Inbox = append(w.s.Inbox, n) }

func (w *claimWorkflow) shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > continueAsNewAfter
}

// days is n of the payer's days.
func (w *claimWorkflow) days(n int) time.Duration { return time.Duration(n) * w.s.DayLength }

// answering marks the context of an update handler: someone waits for the answer.
type answeringKey struct{}

func answering(ctx workflow.Context) workflow.Context {
	return workflow.WithValue(ctx, answeringKey{}, true)
}

// act runs an activity. An update's activities give up after a few minutes so the
// caller gets an answer; the claim's own steps retry until the database or the
// clearinghouse is back, so an outage delays a claim but never fails it. Errors a
// retry cannot mend are non-retryable and return at once either way.
func (w *claimWorkflow) act(ctx workflow.Context, activity any, arg any, out any) error {
	if ctx.Value(answeringKey{}) != nil {
		return workflow.ExecuteActivity(activityCtx(ctx), activity, arg).Get(ctx, out)
	}
	if w.local {
		return workflow.ExecuteLocalActivity(untilDoneLocalCtx(ctx), activity, arg).Get(ctx, out)
	}
	return workflow.ExecuteActivity(untilDoneCtx(ctx), activity, arg).Get(ctx, out)
}

// step does one thing the claim's phase calls for, or waits for the next thing
// to happen (a notice, an update, a timer).
func (w *claimWorkflow) step(ctx workflow.Context) error {
	switch w.s.Phase {
	case contract.PhaseStart:
		var f contract.ClaimFacts
		if err := w.act(ctx, a.LoadClaim, w.s.ClaimID, &f); err != nil {
			return fmt.Errorf("load claim: %w", err)
		}
		w.s.Facts = &f
		w.s.Phase = contract.PhaseScrub
	case contract.PhaseScrub:
		return w.scrub(ctx)
	case contract.PhaseEligibility:
		return w.checkEligibility(ctx)
	case contract.PhaseNeedsFix:
		if w.s.Fixed {
			w.s.Fixed = false
			w.s.Problems = nil
			w.s.Phase = contract.PhaseScrub
			return w.resolveTasks(ctx, "claim corrected")
		}
		if w.filingEscalationDue(ctx) {
			return w.escalateFiling(ctx)
		}
		return w.wait(ctx, func() bool { return w.s.Fixed }, w.filingEscalationAt())
	case contract.PhaseSubmit:
		return w.submit(ctx)
	case contract.PhaseAwaitingAck, contract.PhaseAwaitingPayment:
		return w.awaitPayer(ctx)
	case contract.PhaseDenied:
		return w.awaitDecision(ctx)
	case contract.PhaseAwaitingApproval:
		return w.wait(ctx, func() bool { return w.s.Phase != contract.PhaseAwaitingApproval })
	}
	return nil
}

// wait blocks until cond holds, the earliest of the deadlines passes, or the
// server suggests continuing as new. Zero deadlines are ignored.
func (w *claimWorkflow) wait(ctx workflow.Context, cond func() bool, deadlines ...time.Time) error {
	wake := func() bool { return cond() || workflow.GetInfo(ctx).GetContinueAsNewSuggested() }
	var next time.Time
	for _, d := range deadlines {
		if !d.IsZero() && (next.IsZero() || d.Before(next)) {
			next = d
		}
	}
	if next.IsZero() {
		return workflow.Await(ctx, wake)
	}
	d := next.Sub(workflow.Now(ctx))
	if d <= 0 {
		return nil
	}
	_, err := workflow.AwaitWithTimeout(ctx, d, wake)
	return err
}

// submissionID is the id of the claim's nth submission.
func (w *claimWorkflow) submissionID(n int) string { return fmt.Sprintf("%s-%d", w.s.ClaimID, n) }

// nextStep names a step before the claim's next submission.
func (w *claimWorkflow) nextStep() activities.ClaimStepInput {
	return activities.ClaimStepInput{ClaimID: w.s.ClaimID, SubmissionID: w.submissionID(w.s.Submissions + 1)}
}

func (w *claimWorkflow) scrub(ctx workflow.Context) error {
	var failures []scrub.Failure
	var err error
	if w.keyed {
		err = w.act(ctx, a.ScrubClaimFor, w.nextStep(), &failures)
	} else {
		err = w.act(ctx, a.ScrubClaim, w.s.ClaimID, &failures)
	}
	if err != nil {
		return fmt.Errorf("scrub: %w", err)
	}
	if len(failures) == 0 {
		w.s.Stage = claims.StageScrubbing
		if !w.s.EligibilityChecked && w.s.Facts.Frequency == "1" {
			w.s.Phase = contract.PhaseEligibility
		} else {
			w.s.Phase = contract.PhaseSubmit
		}
		return nil
	}
	w.s.Problems, w.s.Stage = failures, claims.StageNeedsFix
	w.s.Round++
	rules := make([]string, 0, len(failures))
	for _, f := range failures {
		rules = append(rules, f.Rule)
	}
	return w.needsFix(ctx, tasks.QueueClaimFix, tasks.KindScrubFailed, "Claim failed scrubbing",
		map[string]any{"failures": failures, "rules": rules}, 1)
}

// needsFix raises the task asking for a correction and waits for the fix update.
func (w *claimWorkflow) needsFix(ctx workflow.Context, queue, kind, title string, details map[string]any, priority int) error {
	if err := w.raiseTask(ctx, contract.UpdateFixClaim, queue, kind, fmt.Sprintf("%s:%s:%d", kind, w.s.ClaimID, w.s.Round), title, details, priority, nil); err != nil {
		return err
	}
	w.s.Phase = contract.PhaseNeedsFix
	return nil
}

// raiseTask raises a task about the claim; answer is the update of this workflow
// that answers it, "" when the workflow does not wait on it.
func (w *claimWorkflow) raiseTask(ctx workflow.Context, answer, queue, kind, key, title string, details map[string]any, priority int, due *time.Time) error {
	var id string
	err := w.act(ctx, a.RaiseClaimTask, activities.ClaimTaskInput{ClaimID: w.s.ClaimID, CaseID: w.s.CaseID,
		Queue: queue, Kind: kind, Key: key, Title: title, Details: details, Priority: priority, DueAt: due,
		Update: answer}, &id)
	if err != nil {
		return fmt.Errorf("raise %s task: %w", kind, err)
	}
	return nil
}

func (w *claimWorkflow) resolveTasks(ctx workflow.Context, resolution string) error {
	if err := w.act(ctx, a.ResolveClaimTasks, activities.ClaimActorInput{ClaimID: w.s.ClaimID, Reason: resolution}, nil); err != nil {
		return fmt.Errorf("resolve claim tasks: %w", err)
	}
	return nil
}

func (w *claimWorkflow) checkEligibility(ctx workflow.Context) error {
	var e activities.Eligibility
	var err error
	if w.keyed {
		err = w.act(ctx, a.CheckEligibilityFor, w.nextStep(), &e)
	} else {
		err = w.act(ctx, a.CheckEligibility, w.s.ClaimID, &e)
	}
	if err != nil {
		return fmt.Errorf("check eligibility: %w", err)
	}
	if e.Active {
		w.s.EligibilityChecked = true
		w.s.Phase = contract.PhaseSubmit
		return nil
	}
	w.s.Stage = claims.StageEligibilityHold
	w.s.Round++
	w.s.Problems = []scrub.Failure{{Rule: "eligibility", Field: "coverage_id",
		Message: "the payer reports the coverage inactive on the service date"}}
	return w.needsFix(ctx, tasks.QueueEligibility, tasks.KindIneligible, "Coverage inactive: claim on hold",
		map[string]any{"reject_reasons": e.RejectReasons}, 2)
}

func (w *claimWorkflow) submit(ctx workflow.Context) error {
	w.s.Submissions++
	w.s.SubmissionID = w.submissionID(w.s.Submissions)
	var r activities.SubmitClaimResult
	if err := w.act(ctx, a.SubmitClaim, activities.SubmitClaimInput{ClaimID: w.s.ClaimID, SubmissionID: w.s.SubmissionID}, &r); err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	w.s.Stage, w.s.Phase = claims.StageSubmitted, contract.PhaseAwaitingAck
	w.s.SubmittedAt, w.s.AckFollowUp = workflow.Now(ctx), false
	return nil
}

// awaitPayer handles the payer's acknowledgements and remittances, and the
// timers of a silent payer.
func (w *claimWorkflow) awaitPayer(ctx workflow.Context) error {
	if len(w.s.Inbox) > 0 {
		n := w.s.Inbox[0]
		w.s.Inbox = w.s.Inbox[1:]
		if n.Kind == contract.NoticeRemit {
			if id := n.RemittanceClaimID; id != "" {
				if slices.Contains(w.s.Remittances, id) {
					return nil // announced again after a retry
				}
				w.s.Remittances = append(w.s.Remittances, id)
			}
			return w.remitted(ctx, n)
		}
		return w.acknowledged(ctx, n)
	}
	now := workflow.Now(ctx)
	if w.s.Phase == contract.PhaseAwaitingAck {
		ackDue := w.ackDue()
		if !w.s.AckFollowUp && !now.Before(ackDue) {
			w.s.AckFollowUp = true
			return w.raiseTask(ctx, "", tasks.QueueFollowUp, tasks.KindNoAck,
				fmt.Sprintf("%s:%s:%d", tasks.KindNoAck, w.s.ClaimID, w.s.Submissions),
				"No 277CA from the payer", map[string]any{"submission_id": w.s.SubmissionID,
					"days": w.s.Facts.AckWaitDays}, 1, nil)
		}
		if w.filingEscalationDue(ctx) {
			return w.escalateFiling(ctx)
		}
		var deadlines []time.Time
		if !w.s.AckFollowUp {
			deadlines = append(deadlines, ackDue)
		}
		return w.wait(ctx, func() bool { return len(w.s.Inbox) > 0 }, append(deadlines, w.filingEscalationAt())...)
	}
	payDue := w.paymentDue()
	if !now.Before(payDue) {
		w.s.Inquiries++
		var st claims.StatusSummary
		if err := w.act(ctx, a.InquireClaimStatus, w.s.ClaimID, &st); err != nil {
			return fmt.Errorf("status inquiry: %w", err)
		}
		return w.raiseTask(ctx, "", tasks.QueueFollowUp, tasks.KindNoPayment,
			fmt.Sprintf("%s:%s:%d", tasks.KindNoPayment, w.s.ClaimID, w.s.Inquiries),
			"No 835 from the payer: follow up", map[string]any{"inquiry": w.s.Inquiries,
				"payer_status": st, "days_waiting": w.s.Facts.PaymentWaitDays * w.s.Inquiries}, 1, nil)
	}
	return w.wait(ctx, func() bool { return len(w.s.Inbox) > 0 }, payDue)
}

// acknowledged applies a 999 or 277CA notice.
func (w *claimWorkflow) acknowledged(ctx workflow.Context, n contract.ClaimNotice) error {
	if n.SubmissionID != "" && n.SubmissionID != w.s.SubmissionID {
		return nil // about an earlier submission
	}
	if w.s.Phase != contract.PhaseAwaitingAck && (n.Accepted || n.Source != contract.FileKind277CA) {
		return nil // late: the payer already accepted the claim
	}
	if !n.Accepted {
		w.s.Stage = claims.StageRejected
		w.s.Round++
		w.s.Problems = []scrub.Failure{{Rule: "payer_rejection", Field: "claim", Message: n.Source + ": " + n.Reason}}
		return w.needsFix(ctx, tasks.QueueRejections, tasks.KindRejected, "Claim rejected by the "+n.Source,
			map[string]any{"source": n.Source, "reason": n.Reason, "submission_id": w.s.SubmissionID}, 2)
	}
	if n.Source == contract.FileKind999 {
		return nil // the batch was accepted; the 277CA decides the claim
	}
	w.s.Stage, w.s.Phase = claims.StageAccepted, contract.PhaseAwaitingPayment
	w.s.WaitingSince, w.s.Inquiries = workflow.Now(ctx), 0
	return w.resolveTasks(ctx, "accepted by the payer")
}

// remitted applies an 835 notice.
func (w *claimWorkflow) remitted(ctx workflow.Context, n contract.ClaimNotice) error {
	if n.Reversal {
		w.s.Stage, w.s.Phase = claims.StageAccepted, contract.PhaseAwaitingPayment
		w.s.WaitingSince, w.s.Inquiries = workflow.Now(ctx), 0
		return nil
	}
	if err := w.resolveTasks(ctx, "the payer remitted"); err != nil {
		return err
	}
	if n.Denial == nil && n.Stage == claims.StagePaid {
		w.s.Stage, w.s.Phase = claims.StagePaid, contract.PhaseDone
		return w.startSecondary(ctx)
	}
	w.s.Denials++
	w.s.Denial = n.Denial
	if w.s.Denial == nil { // paid in part with nothing classified as a denial
		w.s.Denial = &contract.DenialInfo{Category: "other", Partial: true, Codes: []string{},
			SuggestedAction: "review the remittance; appeal, correct, write off or transfer the open balance"}
	}
	w.s.Stage = n.Stage
	if w.s.Stage != claims.StagePartiallyPaid {
		w.s.Stage = claims.StageDenied
	}
	w.s.AppealDeadline = workflow.Now(ctx).Add(w.days(w.s.Facts.AppealWindowDays))
	w.s.AppealEscalated, w.s.AppealMissed = false, false
	if err := w.raiseDenialTask(ctx); err != nil {
		return err
	}
	// Decisions are taken once the task exists.
	w.s.Phase = contract.PhaseDenied
	return nil
}

func (w *claimWorkflow) raiseDenialTask(ctx workflow.Context) error {
	due := w.s.AppealDeadline
	d := w.s.Denial
	return w.raiseTask(ctx, contract.UpdateDecideDenial, tasks.QueueDenials, tasks.KindDenied,
		fmt.Sprintf("%s:%s:%d", tasks.KindDenied, w.s.ClaimID, w.s.Denials), "Claim denied: decide",
		map[string]any{"category": d.Category, "codes": d.Codes, "remark_codes": d.RemarkCodes,
			"suggested_action": d.SuggestedAction, "partial": d.Partial, "appeal_level": w.s.AppealLevel,
			"appeal_deadline": due}, 2, &due)
}

func (w *claimWorkflow) startSecondary(ctx workflow.Context) error {
	if w.s.Facts.Priority != records.PriorityPrimary {
		return nil
	}
	var id string
	if err := w.act(ctx, a.BuildSecondaryClaim, w.s.ClaimID, &id); err != nil {
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || !appErr.NonRetryable() {
			return fmt.Errorf("build secondary claim: %w", err)
		}
		// The patient share waits in insurance A/R for a secondary claim that a
		// person must now bill by hand.
		return w.raiseTask(ctx, "", tasks.QueueClaimFix, tasks.KindScrubFailed,
			fmt.Sprintf("secondary:%s", w.s.ClaimID), "Secondary claim could not be built",
			map[string]any{"problem": appErr.Message()}, 2, nil)
	}
	if id == "" {
		return nil
	}
	return w.startClaim(ctx, id)
}

// startClaim starts another claim's workflow (a secondary or a replacement); it
// outlives this one.
func (w *claimWorkflow) startClaim(ctx workflow.Context, claimID string) error {
	if err := startClaimWorkflow(ctx, claimID, w.s.CaseID, w.s.DayLength); err != nil {
		return err
	}
	w.s.Related = append(w.s.Related, claimID)
	return nil
}

// startClaimWorkflow starts a claim's workflow as an abandoned child and waits
// until it runs. A claim whose workflow already runs is left alone.
func startClaimWorkflow(ctx workflow.Context, claimID, caseID string, day time.Duration) error {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            contract.ClaimWorkflowID(claimID),
		ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(contract.SearchClaimStage.ValueSet(claims.StageCreated)),
	})
	f := workflow.ExecuteChildWorkflow(cctx, ClaimWorkflow, contract.ClaimInput{ClaimID: claimID, CaseID: caseID, DayLength: day})
	err := f.GetChildWorkflowExecution().Get(ctx, nil)
	if err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return fmt.Errorf("start claim workflow %s: %w", claimID, err)
	}
	return nil
}

// awaitDecision waits for the biller's decision on a denial, escalating before
// the appeal deadline and again when it passes.
func (w *claimWorkflow) awaitDecision(ctx workflow.Context) error {
	if w.remitsWhileDenied && len(w.s.Inbox) > 0 {
		return w.remittedWhileDenied(ctx)
	}
	now := workflow.Now(ctx)
	escalateAt := w.appealEscalationAt()
	// A decision taken meanwhile must not be followed by a stale escalation:
	// the decide handlers hold the same lock.
	soon := !w.s.AppealEscalated && !now.Before(escalateAt)
	missed := !w.s.AppealMissed && !now.Before(w.s.AppealDeadline)
	if soon || missed {
		if err := w.mu.Lock(ctx); err != nil {
			return err
		}
		defer w.mu.Unlock()
		if w.s.Phase != contract.PhaseDenied {
			return nil
		}
	}
	switch {
	case soon:
		w.s.AppealEscalated = true
		due := w.s.AppealDeadline
		return w.raiseTask(ctx, contract.UpdateDecideDenial, tasks.QueueDenials, tasks.KindAppealOverdue,
			fmt.Sprintf("%s:%s:%d:soon", tasks.KindAppealOverdue, w.s.ClaimID, w.s.Denials),
			"Appeal deadline approaching", map[string]any{"appeal_deadline": due, "appeal_level": w.s.AppealLevel}, 3, &due)
	case missed:
		w.s.AppealMissed = true
		return w.raiseTask(ctx, contract.UpdateDecideDenial, tasks.QueueApprovals, tasks.KindAppealOverdue,
			fmt.Sprintf("%s:%s:%d:missed", tasks.KindAppealOverdue, w.s.ClaimID, w.s.Denials),
			"Appeal deadline missed: decide write-off or transfer", map[string]any{
				"appeal_deadline": w.s.AppealDeadline, "appeal_level": w.s.AppealLevel}, 4, nil)
	}
	var next []time.Time
	if !w.s.AppealEscalated {
		next = append(next, escalateAt)
	} else if !w.s.AppealMissed {
		next = append(next, w.s.AppealDeadline)
	}
	return w.wait(ctx, func() bool {
		return w.s.Phase != contract.PhaseDenied || (w.remitsWhileDenied && len(w.s.Inbox) > 0)
	}, next...)
}

// remittedWhileDenied applies the next notice that came while a denial waits
// for a decision: the payer's remittance answers the denial as it would after
// an appeal (paid, or denied again with a new decision task); a late
// acknowledgement is dropped. A decision being taken holds the lock; the
// notice waits for it and is applied in the phase it leads to.
func (w *claimWorkflow) remittedWhileDenied(ctx workflow.Context) error {
	if err := w.mu.Lock(ctx); err != nil {
		return err
	}
	defer w.mu.Unlock()
	if w.s.Phase != contract.PhaseDenied || len(w.s.Inbox) == 0 {
		return nil
	}
	n := w.s.Inbox[0]
	w.s.Inbox = w.s.Inbox[1:]
	if n.Kind != contract.NoticeRemit {
		return nil
	}
	if id := n.RemittanceClaimID; id != "" {
		if slices.Contains(w.s.Remittances, id) {
			return nil // announced again after a retry
		}
		w.s.Remittances = append(w.s.Remittances, id)
	}
	if n.Reversal {
		// The payer reopened the claim: no decision is waited for any more.
		if err := w.resolveTasks(ctx, "the payer reversed its remittance"); err != nil {
			return err
		}
	}
	return w.remitted(ctx, n)
}

// filingEscalationAt is when a claim the payer has not accepted yet escalates for
// the timely-filing limit (zero when the payer has none).
func (w *claimWorkflow) filingEscalationAt() time.Time {
	f := w.s.Facts
	if w.s.FilingEscalated || f == nil || f.TimelyFilingDays <= 0 {
		return time.Time{}
	}
	return f.ServiceDate.Add(w.days(f.TimelyFilingDays - filingEscalationDays))
}

func (w *claimWorkflow) filingEscalationDue(ctx workflow.Context) bool {
	at := w.filingEscalationAt()
	return !at.IsZero() && !workflow.Now(ctx).Before(at)
}

func (w *claimWorkflow) escalateFiling(ctx workflow.Context) error {
	w.s.FilingEscalated = true
	deadline := w.s.Facts.ServiceDate.Add(w.days(w.s.Facts.TimelyFilingDays))
	return w.raiseTask(ctx, "", tasks.QueueFollowUp, tasks.KindTimelyFiling,
		fmt.Sprintf("%s:%s", tasks.KindTimelyFiling, w.s.ClaimID),
		"Timely filing deadline approaching: claim not accepted yet",
		map[string]any{"filing_deadline": deadline, "phase": w.s.Phase}, 4, &deadline)
}

// publish mirrors a changed stage into the ClaimStage search attribute.
func (w *claimWorkflow) publish(ctx workflow.Context) error {
	if w.s.Stage == w.published {
		return nil
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, contract.SearchClaimStage.ValueSet(w.s.Stage)); err != nil {
		return err
	}
	w.published = w.s.Stage
	return nil
}

// notifyCase tells the case workflow about money a claim settled.
func (w *claimWorkflow) notifyCase(ctx workflow.Context, ev contract.InsuranceEvent) {
	ev.CaseID, ev.ClaimID = w.s.CaseID, w.s.ClaimID
	err := workflow.SignalExternalWorkflow(ctx, contract.CaseWorkflowID(w.s.CaseID), "", contract.SignalInsurance, ev).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("case workflow did not take the claim's settlement",
			"case_id", w.s.CaseID, "claim_id", w.s.ClaimID, "error", err)
	}
}

func (w *claimWorkflow) validateFix(ctx workflow.Context, r contract.FixRequest) error {
	if w.s.Phase != contract.PhaseNeedsFix {
		return conflict("claim %s is %s: it is not waiting for a fix", w.s.ClaimID, w.s.Phase)
	}
	if r.Fix.Note == "" {
		return invalid(validate.Errors{{Field: "note", Message: "is required: say what was corrected"}})
	}
	return nil
}

func (w *claimWorkflow) fix(ctx workflow.Context, r contract.FixRequest) (claims.Built, error) {
	ctx = answering(ctx)
	if err := w.mu.Lock(ctx); err != nil {
		return claims.Built{}, err
	}
	defer w.mu.Unlock()
	if w.s.Phase != contract.PhaseNeedsFix || w.s.Fixed {
		return claims.Built{}, conflict("claim %s is no longer waiting for a fix", w.s.ClaimID)
	}
	var b claims.Built
	err := w.act(ctx, a.ApplyClaimFix, activities.ClaimFixInput{ClaimID: w.s.ClaimID, Fix: r.Fix, Actor: r.Actor}, &b)
	if err != nil {
		return b, activityFailure("apply fix", err)
	}
	if r.Fix.CoverageID != "" {
		w.s.EligibilityChecked = false // a new coverage is checked again
	}
	w.s.Fixed = true
	return b, nil
}

func (w *claimWorkflow) validateDecide(ctx workflow.Context, d contract.DenialDecision) error {
	if w.s.Phase != contract.PhaseDenied {
		return conflict("claim %s is %s: it has no denial waiting for a decision", w.s.ClaimID, w.s.Phase)
	}
	var errs validate.Errors
	if errs.Required("action", d.Action) {
		errs.Check(slices.Contains(contract.Decisions, d.Action), "action", "must be one of %s", strings.Join(contract.Decisions, ", "))
	}
	if d.Action == contract.DecisionAppeal {
		errs.Check(w.s.AppealLevel < maxAppealLevel, "action",
			"the claim was already appealed %d times; write off, transfer or resubmit", maxAppealLevel)
	}
	errs.Check(d.Fix == nil || d.Action == contract.DecisionResubmit, "fix", "is only for a resubmission")
	errs.Required("note", d.Note)
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

func (w *claimWorkflow) decide(ctx workflow.Context, d contract.DenialDecision) (contract.DecisionResult, error) {
	ctx = answering(ctx)
	if err := w.mu.Lock(ctx); err != nil {
		return contract.DecisionResult{}, err
	}
	defer w.mu.Unlock()
	if w.s.Phase != contract.PhaseDenied {
		return contract.DecisionResult{}, conflict("claim %s no longer waits for a decision", w.s.ClaimID)
	}
	res := contract.DecisionResult{Action: d.Action}
	switch d.Action {
	case contract.DecisionResubmit:
		var b claims.Built
		if err := w.act(ctx, a.ReplaceClaim, activities.ClaimActorInput{ClaimID: w.s.ClaimID, Actor: d.Actor}, &b); err != nil {
			return res, activityFailure("replace claim", err)
		}
		if d.Fix != nil {
			err := w.act(ctx, a.ApplyClaimFix, activities.ClaimFixInput{ClaimID: b.Claim.ID, Fix: *d.Fix, Actor: d.Actor}, nil)
			if err != nil {
				return res, activityFailure("correct replacement claim", err)
			}
		}
		if err := w.startClaim(ctx, b.Claim.ID); err != nil {
			return res, err
		}
		res.ClaimID = b.Claim.ID
		w.s.Stage, w.s.Phase = claims.StageReplaced, contract.PhaseDone
	case contract.DecisionAppeal:
		level := w.s.AppealLevel + 1
		var sent activities.AppealSent
		err := w.act(ctx, a.SendAppeal, activities.AppealInput{ClaimID: w.s.ClaimID, Level: level,
			Argument: d.Argument, Actor: d.Actor}, &sent)
		if err != nil {
			return res, activityFailure("send appeal", err)
		}
		if !sent.Accepted {
			return res, conflict("the payer did not take the appeal: %s", sent.Reason)
		}
		w.s.AppealLevel, res.AppealLevel, res.Letter = level, level, sent.Letter
		w.s.Stage, w.s.Phase = claims.StageAppealed, contract.PhaseAwaitingPayment
		w.s.WaitingSince, w.s.Inquiries = workflow.Now(ctx), 0
	case contract.DecisionWriteOff:
		req := d
		w.s.WriteOff = &req
		w.s.Phase = contract.PhaseAwaitingApproval
		if err := w.raiseTask(ctx, contract.UpdateApproveWriteOff, tasks.QueueApprovals, tasks.KindWriteOff,
			fmt.Sprintf("%s:%s:%d", tasks.KindWriteOff, w.s.ClaimID, w.s.Denials), "Approve claim write-off",
			map[string]any{"requested_by": d.Actor.UserID, "category": w.s.Denial.Category}, 3, nil); err != nil {
			return res, err
		}
	case contract.DecisionTransfer:
		var amt decimal.Decimal
		err := w.act(ctx, a.TransferClaimToPatient, activities.ClaimActorInput{ClaimID: w.s.ClaimID,
			Reason: d.Note, Actor: d.Actor}, &amt)
		if err != nil {
			return res, activityFailure("transfer to patient", err)
		}
		w.notifyCase(ctx, contract.InsuranceEvent{ID: "claim-to-patient:" + w.s.ClaimID, ToPatient: amt})
		res.Amount = amt
		w.s.Stage, w.s.Phase = claims.StageToPatient, contract.PhaseDone
		// A patient share the primary held for a secondary payer is still billed.
		if err := w.startSecondary(ctx); err != nil {
			return res, err
		}
	}
	if d.Action != contract.DecisionWriteOff {
		if err := w.resolveTasks(ctx, "decided: "+d.Action); err != nil {
			return res, err
		}
	}
	res.Phase = w.s.Phase
	return res, nil
}

func (w *claimWorkflow) validateApproveWriteOff(ctx workflow.Context, r contract.WriteOffApproval) error {
	if w.s.Phase != contract.PhaseAwaitingApproval {
		return conflict("claim %s has no write-off waiting for approval", w.s.ClaimID)
	}
	if r.Note == "" {
		return invalid(validate.Errors{{Field: "note", Message: "is required"}})
	}
	if w.s.WriteOff != nil && r.Approve && r.Actor.UserID == w.s.WriteOff.Actor.UserID && r.Actor.UserID != "" {
		return invalid(validate.Errors{{Field: "approve", Message: "the person who asked for a write-off cannot approve it"}})
	}
	return nil
}

func (w *claimWorkflow) approveWriteOff(ctx workflow.Context, r contract.WriteOffApproval) (contract.DecisionResult, error) {
	ctx = answering(ctx)
	if err := w.mu.Lock(ctx); err != nil {
		return contract.DecisionResult{}, err
	}
	defer w.mu.Unlock()
	res := contract.DecisionResult{Action: contract.DecisionWriteOff}
	if w.s.Phase != contract.PhaseAwaitingApproval {
		return res, conflict("claim %s has no write-off waiting for approval", w.s.ClaimID)
	}
	if !r.Approve {
		w.s.WriteOff = nil
		w.s.Phase = contract.PhaseDenied
		w.s.Denials++ // a new decision task
		if err := w.resolveTasks(ctx, "write-off refused"); err != nil {
			return res, err
		}
		if err := w.raiseDenialTask(ctx); err != nil {
			return res, err
		}
		res.Phase = w.s.Phase
		return res, nil
	}
	var amt decimal.Decimal
	reason := w.s.WriteOff.Note + " (approved: " + r.Note + ")"
	err := w.act(ctx, a.WriteOffClaim, activities.ClaimActorInput{ClaimID: w.s.ClaimID, Reason: reason,
		Actor: r.Actor}, &amt)
	if err != nil {
		return res, activityFailure("write off", err)
	}
	w.notifyCase(ctx, contract.InsuranceEvent{ID: "claim-write-off:" + w.s.ClaimID, WrittenOff: amt})
	if err := w.resolveTasks(ctx, "write-off approved"); err != nil {
		return res, err
	}
	w.s.Stage, w.s.Phase = claims.StageWrittenOff, contract.PhaseDone
	if err := w.startSecondary(ctx); err != nil {
		return res, err
	}
	res.Amount, res.Phase = amt, w.s.Phase
	return res, nil
}

// ackDue is when a claim with no 277CA gets a follow-up task.
func (w *claimWorkflow) ackDue() time.Time {
	return w.s.SubmittedAt.Add(w.days(w.s.Facts.AckWaitDays))
}

// paymentDue is when a claim with no 835 gets its next status inquiry.
func (w *claimWorkflow) paymentDue() time.Time {
	return w.s.WaitingSince.Add(w.days(w.s.Facts.PaymentWaitDays * (w.s.Inquiries + 1)))
}

// appealEscalationAt is when an undecided denial escalates before its deadline.
func (w *claimWorkflow) appealEscalationAt() time.Time {
	lead := w.days(min(appealEscalationDays, max(1, w.s.Facts.AppealWindowDays/3)))
	return w.s.AppealDeadline.Add(-lead)
}

// waiting says what the workflow waits for now, from the same deadlines its
// steps wait on (the state query's answer; it changes nothing).
func (w *claimWorkflow) waiting() *contract.ClaimWaiting {
	out := &contract.ClaimWaiting{Phase: w.s.Phase}
	var timers []contract.ClaimTimer
	timer := func(name string, at time.Time) {
		if !at.IsZero() {
			timers = append(timers, contract.ClaimTimer{Name: name, FiresAt: at})
		}
	}
	switch w.s.Phase {
	case contract.PhaseNeedsFix:
		out.For, out.Update = "a biller's fix of the claim (open task)", contract.UpdateFixClaim
		timer("filing_escalation", w.filingEscalationAt())
	case contract.PhaseAwaitingAck:
		out.For, out.File = "the payer's acknowledgement (999/277CA)", contract.AwaitFile999or277CA
		if !w.s.AckFollowUp {
			timer("ack_follow_up", w.ackDue())
		}
		timer("filing_escalation", w.filingEscalationAt())
	case contract.PhaseAwaitingPayment:
		out.For, out.File = "the payer's remittance (835)", contract.AwaitFile835
		timer("status_inquiry", w.paymentDue())
	case contract.PhaseDenied:
		out.For, out.Update = "a biller's decision on the denial (open task)", contract.UpdateDecideDenial
		if !w.s.AppealEscalated {
			timer("appeal_escalation", w.appealEscalationAt())
		} else if !w.s.AppealMissed {
			timer("appeal_deadline", w.s.AppealDeadline)
		}
	case contract.PhaseAwaitingApproval:
		out.For, out.Update = "a manager's approval of the write-off (open task)", contract.UpdateApproveWriteOff
	case contract.PhaseDone:
		out.For = "nothing: the claim's process is finished"
	default:
		out.For = "nothing outside: the workflow is working (" + cmp.Or(w.s.Phase, "start") + "), or retrying a step"
	}
	for i, t := range timers {
		if i == 0 || t.FiresAt.Before(out.Timer.FiresAt) {
			out.Timer = &timers[i]
		}
	}
	return out
}
