package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/legal"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// HoldWorkflow watches the held charges of an accident or injury case
// (hold/<case id>) from its first held charge until settlement: the case
// workflow starts it and tells it of every visit. It reads the case's legal
// details (again whenever they change) and keeps one durable timer per
// concern, each raising a task in the legal-follow-up queue when it fires:
// the attorney follow-up every N days (answered by the record-follow-up
// update, which may set the next date), no lien or letter of protection on
// file some days after the first visit, a treatment gap (no visit for a
// month), and the statute of limitations 90 days ahead and again 30 days
// ahead, escalated. It publishes its status and next follow-up to the holds
// read model and continues as new before its history grows large.
func HoldWorkflow(ctx workflow.Context, in contract.HoldInput) error {
	w := newHoldWorkflow(in)
	if err := w.setup(ctx); err != nil {
		return err
	}
	return w.run(ctx)
}

type holdWorkflow struct {
	s       contract.HoldState
	fresh   bool
	mu      workflow.Mutex
	visits  workflow.ReceiveChannel
	details workflow.ReceiveChannel
	dirty   bool
	reload  bool
}

// followUpsKept bounds the follow-ups carried in the workflow's state; the
// holds read model keeps them all.
const followUpsKept = 24

func newHoldWorkflow(in contract.HoldInput) *holdWorkflow {
	if in.State != nil {
		return &holdWorkflow{s: *in.State}
	}
	w := &holdWorkflow{fresh: true, s: contract.HoldState{CaseID: in.CaseID, Status: contract.HoldStatusHeld,
		Visits: []contract.HoldVisit{}, FollowUps: []contract.FollowUp{}, Tasks: []contract.HoldTask{}}}
	for _, v := range in.Visits {
		w.addVisit(v)
	}
	return w
}

func (w *holdWorkflow) setup(ctx workflow.Context) error {
	w.mu = workflow.NewMutex(ctx)
	if err := workflow.SetQueryHandler(ctx, contract.QueryHoldState, func() (contract.HoldView, error) {
		return w.view(), nil
	}); err != nil {
		return err
	}
	if err := registerUpdates(ctx, append([]update{
		{contract.UpdateRecordFollowUp, w.recordFollowUp, w.validateFollowUp},
	}, w.settlementUpdates()...)); err != nil {
		return err
	}
	w.visits = workflow.GetSignalChannel(ctx, contract.SignalHoldVisit)
	listen(ctx, w.visits, w.addVisit)
	w.details = workflow.GetSignalChannel(ctx, contract.SignalHoldDetails)
	listen(ctx, w.details, w.detailsChanged)
	return nil
}

func (w *holdWorkflow) run(ctx workflow.Context) error {
	if w.fresh {
		var load activities.HoldLoad
		if err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.LoadHoldFacts, w.s.CaseID).Get(ctx, &load); err != nil {
			return fmt.Errorf("load hold facts: %w", err)
		}
		now := workflow.Now(ctx)
		w.s.Settings, w.s.Facts = load.Settings, load.Facts
		w.s.StartedAt, w.s.AnchorAt, w.s.AnchorDate = now, now, load.Facts.Today
		w.s.NextFollowUpAt = now.Add(w.days(w.s.Facts.FollowUpDays))
	}
	// As in the case workflow: a visit or details change that arrives while a
	// step waits on its activity wakes the next round (version 1 clears dirty
	// before the steps; earlier runs cleared it after them and could miss it).
	clearFirst := workflow.GetVersion(ctx, "hold-wake-clear-first", workflow.DefaultVersion, 1) == 1
	for {
		if clearFirst {
			w.dirty = false
		}
		if err := w.refresh(ctx); err != nil {
			return err
		}
		if err := w.raiseDue(ctx); err != nil {
			return err
		}
		if err := w.publish(ctx); err != nil {
			return err
		}
		if w.ended() {
			// Settled, released and paid, or dropped: nothing left to watch.
			return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		}
		info := workflow.GetInfo(ctx)
		if info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > continueAsNewAfter {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			drain(w.visits, w.addVisit)
			drain(w.details, w.detailsChanged)
			st := w.s
			return workflow.NewContinueAsNewError(ctx, HoldWorkflow, contract.HoldInput{CaseID: st.CaseID, State: &st})
		}
		if !clearFirst {
			w.dirty = false
		}
		wake := func() bool { return w.dirty || workflow.GetInfo(ctx).GetContinueAsNewSuggested() }
		var err error
		if t := w.timers(); len(t) > 0 {
			_, err = workflow.AwaitWithTimeout(ctx, t[0].DueAt.Sub(workflow.Now(ctx)), wake)
		} else {
			err = workflow.Await(ctx, wake)
		}
		if err != nil {
			return err // cancelled
		}
	}
}

func (w *holdWorkflow) addVisit(v contract.HoldVisit) {
	if slices.ContainsFunc(w.s.Visits, func(x contract.HoldVisit) bool { return x.EncounterID == v.EncounterID }) {
		return
	}
	w.s.Visits = append(w.s.Visits, v)
	w.dirty = true
}

func (w *holdWorkflow) detailsChanged(struct{}) {
	w.reload = true
	w.dirty = true
}

// refresh reads the legal details again after they changed, and closes the
// tasks whose cause went away: a lien arrived, the patient came back.
func (w *holdWorkflow) refresh(ctx workflow.Context) error {
	if w.reload {
		w.reload = false
		var load activities.HoldLoad
		if err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.LoadHoldFacts, w.s.CaseID).Get(ctx, &load); err != nil {
			return fmt.Errorf("load hold facts: %w", err)
		}
		if load.Facts.FollowUpDays != w.s.Facts.FollowUpDays && len(w.s.FollowUps) == 0 {
			// No follow-up recorded yet: the new interval counts from the start.
			w.s.NextFollowUpAt = w.s.StartedAt.Add(w.days(load.Facts.FollowUpDays * (w.s.FollowUpRound + 1)))
		}
		w.s.Facts = load.Facts
	}
	var done []string
	var why []string
	if w.s.Facts.LienOnFile {
		done = append(done, w.openTasks(tasks.KindNoLien)...)
		why = append(why, "lien on file")
	}
	if last, ok := w.lastVisit(); ok && last.At.After(w.s.GapNoticedFor) && !w.s.GapNoticedFor.IsZero() {
		done = append(done, w.openTasks(tasks.KindTreatmentGap)...)
		why = append(why, "the patient came back")
	}
	if len(done) == 0 {
		return nil
	}
	err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.ResolveHoldTasks, activities.ResolveHoldTasksInput{
		BusinessKeys: done, Resolution: strings.Join(why, "; ")}).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("resolve hold tasks: %w", err)
	}
	w.forget(done)
	return nil
}

// timers are the hold's pending timers, soonest first: the held charges'
// while they are held, and an approval's escalation while one is pending.
func (w *holdWorkflow) timers() []contract.HoldTimer {
	out := append(w.heldTimers(), w.approvalTimer()...)
	slices.SortStableFunc(out, func(x, y contract.HoldTimer) int { return x.DueAt.Compare(y.DueAt) })
	return out
}

// heldTimers are the timers that watch held charges.
func (w *holdWorkflow) heldTimers() []contract.HoldTimer {
	if w.awaitingAttorney() && w.s.Settings.DayLength > 0 {
		// Released to the attorney and unpaid: only the follow-up goes on.
		return []contract.HoldTimer{{Kind: contract.TimerFollowUp, DueAt: w.s.NextFollowUpAt}}
	}
	// Held, or settling: a settlement that stalls still has an SOL to watch.
	if !w.open() || w.s.Settings.DayLength <= 0 {
		return []contract.HoldTimer{}
	}
	out := []contract.HoldTimer{{Kind: contract.TimerFollowUp, DueAt: w.s.NextFollowUpAt}}
	if first, ok := w.firstVisit(); ok && !w.s.Facts.LienOnFile && !w.s.LienTaskRaised {
		out = append(out, contract.HoldTimer{Kind: contract.TimerNoLien, DueAt: first.At.Add(w.days(w.s.Settings.LienDays))})
	}
	if last, ok := w.lastVisit(); ok && !last.At.Equal(w.s.GapNoticedFor) {
		out = append(out, contract.HoldTimer{Kind: contract.TimerGap, DueAt: last.At.Add(w.days(w.s.Settings.GapDays))})
	}
	if sol := w.s.Facts.SOLDate; sol != "" {
		at := w.dateAt(sol)
		if w.s.SOLFirstFor != sol && w.s.SOLFinalFor != sol {
			out = append(out, contract.HoldTimer{Kind: contract.TimerSOL90, DueAt: at.Add(-w.days(w.s.Settings.SOLFirstDays))})
		}
		if w.s.SOLFinalFor != sol {
			out = append(out, contract.HoldTimer{Kind: contract.TimerSOL30, DueAt: at.Add(-w.days(w.s.Settings.SOLFinalDays))})
		}
	}
	return out
}

// raiseDue raises the task of every timer that is due. When both statute of
// limitations reminders are due at once (the details arrived late), only the
// escalated one is raised.
func (w *holdWorkflow) raiseDue(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	due := map[string]time.Time{}
	for _, t := range w.timers() {
		if !t.DueAt.After(now) {
			due[t.Kind] = t.DueAt
		}
	}
	if len(due) == 0 {
		return nil
	}
	if err := w.mu.Lock(ctx); err != nil {
		return err
	}
	defer w.mu.Unlock()
	id := w.s.CaseID
	if _, ok := due[contract.TimerApproval]; ok && w.s.Approval != nil && !w.s.Approval.Escalated {
		if err := w.escalateApproval(ctx); err != nil {
			return err
		}
	}
	if at, ok := due[contract.TimerFollowUp]; ok {
		w.s.FollowUpRound++
		in := activities.HoldTaskInput{CaseID: id, Kind: tasks.KindAttorneyFollowUp,
			BusinessKey: fmt.Sprintf("legal:follow-up:%s:%d", id, w.s.FollowUpRound), Title: w.followUpTitle(),
			Details: map[string]any{"round": w.s.FollowUpRound, "outcomes": contract.FollowUpOutcomes}, Priority: 1,
			DueAt: at, Answered: true, Supersedes: w.openTasks(tasks.KindAttorneyFollowUp)}
		if err := w.raise(ctx, in); err != nil {
			return err
		}
		w.forget(in.Supersedes)
		w.s.NextFollowUpAt = now.Add(w.days(w.s.Facts.FollowUpDays))
	}
	if at, ok := due[contract.TimerNoLien]; ok {
		w.s.LienTaskRaised = true
		if err := w.raise(ctx, activities.HoldTaskInput{CaseID: id, Kind: tasks.KindNoLien,
			BusinessKey: "legal:no-lien:" + id, Title: "No lien or letter of protection on file",
			Details: map[string]any{"days_since_first_visit": w.s.Settings.LienDays}, Priority: 2, DueAt: at}); err != nil {
			return err
		}
	}
	if at, ok := due[contract.TimerGap]; ok {
		last, _ := w.lastVisit()
		w.s.GapNoticedFor = last.At
		if err := w.raise(ctx, activities.HoldTaskInput{CaseID: id, Kind: tasks.KindTreatmentGap,
			BusinessKey: "legal:gap:" + id + ":" + last.EncounterID, Title: "Treatment gap: no visit for a while",
			Details: map[string]any{"last_visit_at": last.At, "gap_days": w.s.Settings.GapDays}, Priority: 1, DueAt: at}); err != nil {
			return err
		}
	}
	sol := w.s.Facts.SOLDate
	if at, ok := due[contract.TimerSOL30]; ok {
		w.s.SOLFirstFor, w.s.SOLFinalFor = sol, sol
		if err := w.raise(ctx, activities.HoldTaskInput{CaseID: id, Kind: tasks.KindSOLEscalated,
			BusinessKey: "legal:sol-final:" + id + ":" + sol, Title: "Statute of limitations in 30 days: manager review",
			Details:  map[string]any{"sol_date": sol, "days_left": w.s.Settings.SOLFinalDays, "escalated_to": "manager"},
			Priority: 9, DueAt: at}); err != nil {
			return err
		}
	} else if at, ok := due[contract.TimerSOL90]; ok {
		w.s.SOLFirstFor = sol
		if err := w.raise(ctx, activities.HoldTaskInput{CaseID: id, Kind: tasks.KindSOLReminder,
			BusinessKey: "legal:sol-first:" + id + ":" + sol, Title: "Statute of limitations in 90 days",
			Details: map[string]any{"sol_date": sol, "days_left": w.s.Settings.SOLFirstDays}, Priority: 3, DueAt: at}); err != nil {
			return err
		}
	}
	w.dirty = true
	return nil
}

// raise runs RaiseHoldTask and remembers the task.
func (w *holdWorkflow) raise(ctx workflow.Context, in activities.HoldTaskInput) error {
	var taskID string
	if err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.RaiseHoldTask, in).Get(ctx, &taskID); err != nil {
		return fmt.Errorf("raise %s task: %w", in.Kind, err)
	}
	w.s.Tasks = append(w.s.Tasks, contract.HoldTask{Kind: in.Kind, TaskID: taskID, BusinessKey: in.BusinessKey,
		RaisedAt: workflow.Now(ctx)})
	return nil
}

// openTasks are the business keys of the raised tasks of a kind still
// remembered as open.
func (w *holdWorkflow) openTasks(kind string) []string {
	var keys []string
	for _, t := range w.s.Tasks {
		if t.Kind == kind {
			keys = append(keys, t.BusinessKey)
		}
	}
	return keys
}

// forget drops closed tasks from the state, which keeps only open ones.
func (w *holdWorkflow) forget(keys []string) {
	w.s.Tasks = slices.DeleteFunc(w.s.Tasks, func(t contract.HoldTask) bool { return slices.Contains(keys, t.BusinessKey) })
}

// publish mirrors the hold's status and next follow-up into the read model
// when they changed.
func (w *holdWorkflow) publish(ctx workflow.Context) error {
	p := contract.HoldPublished{Status: w.s.Status, NextFollowUpAt: w.s.NextFollowUpAt, FollowUps: len(w.s.FollowUps)}
	if p == w.s.Published {
		return nil
	}
	h := legal.Hold{CaseID: w.s.CaseID, Status: w.s.Status, StartedAt: w.s.StartedAt, LastOutcome: w.s.LastOutcome}
	if w.open() || w.awaitingAttorney() {
		next := w.s.NextFollowUpAt
		h.NextFollowUpAt = &next
	}
	if n := len(w.s.FollowUps); n > 0 {
		at := w.s.FollowUps[n-1].At
		h.LastFollowUpAt = &at
	}
	if err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.PublishHold, h).Get(ctx, nil); err != nil {
		return fmt.Errorf("publish hold: %w", err)
	}
	w.s.Published = p
	return nil
}

func (w *holdWorkflow) validateFollowUp(ctx workflow.Context, r contract.FollowUpRequest) error {
	var errs validate.Errors
	errs.Check(slices.Contains(contract.FollowUpOutcomes, r.Outcome), "outcome", "must be one of %s",
		strings.Join(contract.FollowUpOutcomes, ", "))
	if r.NextFollowUp != "" {
		d, err := time.Parse(time.DateOnly, r.NextFollowUp)
		switch {
		case err != nil:
			errs.Add("next_follow_up", "must be a date YYYY-MM-DD")
		case !w.dateAt(d.Format(time.DateOnly)).After(workflow.Now(ctx)):
			errs.Add("next_follow_up", "must be a later day")
		}
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	if !w.open() && !w.awaitingAttorney() {
		return conflict("the case's charges are no longer held (%s)", w.s.Status)
	}
	return nil
}

// recordFollowUp records what the attorney's office said, closes the open
// follow-up tasks and sets when to call next.
func (w *holdWorkflow) recordFollowUp(ctx workflow.Context, r contract.FollowUpRequest) (contract.FollowUp, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return contract.FollowUp{}, err
	}
	defer w.mu.Unlock()
	now := workflow.Now(ctx)
	var id string
	err := workflow.ExecuteActivity(activityCtx(ctx), a.RecordFollowUp, activities.FollowUpInput{
		CaseID: w.s.CaseID, UpdateID: workflow.GetCurrentUpdateInfo(ctx).ID, Outcome: r.Outcome, Note: r.Note,
		NextFollowUp: r.NextFollowUp, At: now, Actor: r.Actor}).Get(ctx, &id)
	if err != nil {
		return contract.FollowUp{}, activityFailure("record follow-up", err)
	}
	for _, f := range w.s.FollowUps {
		if f.ID == id {
			return f, nil // a retried request
		}
	}
	open := w.openTasks(tasks.KindAttorneyFollowUp)
	if len(open) > 0 {
		err := workflow.ExecuteActivity(activityCtx(ctx), a.ResolveHoldTasks, activities.ResolveHoldTasksInput{
			BusinessKeys: open, Resolution: "follow-up recorded: " + r.Outcome}).Get(ctx, nil)
		if err != nil {
			return contract.FollowUp{}, activityFailure("close follow-up tasks", err)
		}
		w.forget(open)
	}
	f := contract.FollowUp{ID: id, At: now, Outcome: r.Outcome, Note: r.Note, NextFollowUp: r.NextFollowUp}
	w.s.FollowUps = append(w.s.FollowUps, f)
	if n := len(w.s.FollowUps); n > followUpsKept {
		w.s.FollowUps = slices.Clone(w.s.FollowUps[n-followUpsKept:])
	}
	w.s.LastOutcome = r.Outcome
	if r.NextFollowUp != "" {
		w.s.NextFollowUpAt = w.dateAt(r.NextFollowUp)
	} else {
		w.s.NextFollowUpAt = now.Add(w.days(w.s.Facts.FollowUpDays))
	}
	w.dirty = true
	return f, nil
}

func (w *holdWorkflow) days(n int) time.Duration { return time.Duration(n) * w.s.Settings.DayLength }

// dateAt is when a calendar date (YYYY-MM-DD) begins on the hold's clock:
// AnchorDate begins at AnchorAt, each later date one DayLength on.
func (w *holdWorkflow) dateAt(date string) time.Time {
	d, err1 := time.Parse(time.DateOnly, date)
	anchor, err2 := time.Parse(time.DateOnly, w.s.AnchorDate)
	if err1 != nil || err2 != nil {
		return w.s.AnchorAt
	}
	return w.s.AnchorAt.Add(w.days(int(d.Sub(anchor).Hours() / 24)))
}

func (w *holdWorkflow) firstVisit() (contract.HoldVisit, bool) {
	if len(w.s.Visits) == 0 {
		return contract.HoldVisit{}, false
	}
	first := w.s.Visits[0]
	for _, v := range w.s.Visits[1:] {
		if v.At.Before(first.At) {
			first = v
		}
	}
	return first, true
}

func (w *holdWorkflow) lastVisit() (contract.HoldVisit, bool) {
	if len(w.s.Visits) == 0 {
		return contract.HoldVisit{}, false
	}
	last := w.s.Visits[0]
	for _, v := range w.s.Visits[1:] {
		if v.At.After(last.At) {
			last = v
		}
	}
	return last, true
}

// hasHeldCharge reports whether the case has an active charge (held, for a
// case whose kind holds charges).
func (w *caseWorkflow) hasHeldCharge() bool {
	for i := range w.s.Encounters {
		if hasActiveCharges(&w.s.Encounters[i]) {
			return true
		}
	}
	return false
}

// tellHold starts the case's hold workflow under its stable id, once, with the
// visits so far, then signals it each later visit.
func (w *caseWorkflow) tellHold(ctx workflow.Context) error {
	id := contract.HoldWorkflowID(w.s.CaseID)
	if w.s.Hold == nil {
		visits := make([]contract.HoldVisit, len(w.s.Encounters))
		for i, e := range w.s.Encounters {
			visits[i] = contract.HoldVisit{EncounterID: e.ID, At: e.CheckedInAt}
		}
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            id,
			ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
			WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		})
		f := workflow.ExecuteChildWorkflow(cctx, HoldWorkflow, contract.HoldInput{CaseID: w.s.CaseID, Visits: visits})
		if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			// The case goes on; the next event tries again.
			workflow.GetLogger(ctx).Error("start hold workflow failed", "case_id", w.s.CaseID, "error", err)
			return nil
		}
		w.s.Hold = &contract.HoldLink{Started: true, VisitsSent: len(visits)}
	}
	for w.s.Hold.VisitsSent < len(w.s.Encounters) {
		e := w.s.Encounters[w.s.Hold.VisitsSent]
		err := workflow.SignalExternalWorkflow(ctx, id, "", contract.SignalHoldVisit,
			contract.HoldVisit{EncounterID: e.ID, At: e.CheckedInAt}).Get(ctx, nil)
		if err != nil {
			// A hold that no longer runs (released, or ended by an operator)
			// does not stop the case.
			workflow.GetLogger(ctx).Warn("tell hold of a visit failed", "case_id", w.s.CaseID, "error", err)
		}
		w.s.Hold.VisitsSent++
	}
	return nil
}
