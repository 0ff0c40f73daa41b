package workflows

import (
	"cmp"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// DunningWorkflow collects one patient's balance, politely and by itself. It
// starts when a balance becomes due (signal-with-start from whatever made the
// balance: a private visit's charges, an 835's patient responsibility, a denial
// transferred to the patient) and follows the configured cadence (by default a
// statement on day 0, reminders on days 21 and 45, a final notice on day 75 and
// the collections step on day 90). Every step's messages go through the outbox,
// each once; text messages wait for the patient's waking hours on a durable
// timer. A balance-changed signal (a new charge, a payment) makes it read the
// balance again: at zero it thanks the patient and ends; a partial payment
// changes nothing in the cadence. A payment plan (update) replaces the cadence
// with instalment reminders; a missed instalment is noticed to the patient the
// day after it fell due and gets a grace period (paying it then keeps the
// plan), then the cadence resumes where it was. A dispute (update) pauses everything and opens a
// task in the disputes queue whose answer resumes, adjusts or writes off. On
// day 90 a balance under the small-balance threshold is written off; a larger
// one goes to the collection agency and the workflow ends. It continues as new
// before its history grows large.
func DunningWorkflow(ctx workflow.Context, in contract.DunningInput) error {
	w := newDunningWorkflow(ctx, in)
	if err := w.setup(ctx); err != nil {
		return err
	}
	return w.run(ctx)
}

type dunningWorkflow struct {
	s       contract.DunningState
	cfg     dunning.Config
	mu      workflow.Mutex
	signals workflow.ReceiveChannel
	// stale is set when the balance must be read again; changed when a handler
	// changed the state the main loop waits on.
	stale, changed bool
	published      string
}

func newDunningWorkflow(ctx workflow.Context, in contract.DunningInput) *dunningWorkflow {
	w := &dunningWorkflow{cfg: in.Config, stale: true}
	if len(w.cfg.Steps) == 0 {
		w.cfg = dunning.DefaultConfig()
	}
	if in.State != nil {
		w.s = *in.State
		return w
	}
	info := workflow.GetInfo(ctx)
	cycle := cmp.Or(info.FirstRunID, info.WorkflowExecution.RunID, "1")
	if len(cycle) > 8 {
		cycle = cycle[:8]
	}
	w.s = contract.DunningState{PatientID: in.PatientID, Cycle: cycle, Status: contract.DunningActive,
		StartedAt: workflow.Now(ctx), Sent: []string{}}
	return w
}

func (w *dunningWorkflow) setup(ctx workflow.Context) error {
	w.mu = workflow.NewMutex(ctx)
	if err := workflow.SetQueryHandler(ctx, contract.QueryDunningState, func() (contract.DunningView, error) {
		return w.view(), nil
	}); err != nil {
		return err
	}
	if err := registerUpdates(ctx, []update{
		{contract.UpdatePaymentPlan, w.paymentPlan, w.validatePaymentPlan},
		{contract.UpdateDispute, w.dispute, w.validateDispute},
		{contract.UpdateResolveDispute, w.resolveDispute, w.validateResolveDispute},
	}); err != nil {
		return err
	}
	w.signals = workflow.GetSignalChannel(ctx, contract.SignalDunningBalance)
	listen(ctx, w.signals, func(contract.BalanceSignal) { w.stale = true })
	return nil
}

func (w *dunningWorkflow) account() string { return w.s.PatientID + "/" + w.s.Cycle }

func (w *dunningWorkflow) run(ctx workflow.Context) error {
	for {
		if err := w.mu.Lock(ctx); err != nil {
			return err
		}
		done, err := w.tick(ctx)
		w.mu.Unlock()
		if err != nil || done {
			if err == nil {
				err = w.publish(ctx)
			}
			return err
		}
		if err := w.publish(ctx); err != nil {
			return err
		}
		info := workflow.GetInfo(ctx)
		if info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > continueAsNewAfter {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			drain(w.signals, func(contract.BalanceSignal) { w.stale = true })
			st := w.s
			return workflow.NewContinueAsNewError(ctx, DunningWorkflow, contract.DunningInput{
				PatientID: st.PatientID, Config: w.cfg, State: &st})
		}
		if err := w.wait(ctx); err != nil {
			return err
		}
	}
}

// wait sleeps until the next thing to do: a step, an instalment, or a change.
func (w *dunningWorkflow) wait(ctx workflow.Context) error {
	w.changed = false
	wake := func() bool { return w.stale || w.changed || workflow.GetInfo(ctx).GetContinueAsNewSuggested() }
	if wake() {
		return nil
	}
	if at, ok := w.nextAt(); ok {
		d := at.Sub(workflow.Now(ctx))
		if d <= 0 {
			return nil
		}
		_, err := workflow.AwaitWithTimeout(ctx, d, wake)
		return err
	}
	return workflow.Await(ctx, wake)
}

// sendDueTexts sends the waiting text messages whose window opened, unless the
// account is no longer dunned (paid, disputed): then they are dropped.
func (w *dunningWorkflow) sendDueTexts(ctx workflow.Context, now time.Time) error {
	var keep []contract.PendingText
	for _, t := range w.s.Texts {
		switch {
		case t.At.After(now):
			keep = append(keep, t)
		case w.open():
			if err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.SendDunningMessage, t.ID).Get(ctx, nil); err != nil {
				return fmt.Errorf("send text: %w", err)
			}
		}
	}
	w.s.Texts = keep
	return nil
}

// nextAt is when the main loop has work without being woken: the next step or
// instalment, or the next waiting text message.
func (w *dunningWorkflow) nextAt() (time.Time, bool) {
	at, ok := w.nextStepAt()
	for _, t := range w.s.Texts {
		if !ok || t.At.Before(at) {
			at, ok = t.At, true
		}
	}
	return at, ok
}

func (w *dunningWorkflow) nextStepAt() (time.Time, bool) {
	switch w.s.Status {
	case contract.DunningActive:
		if w.s.NextStep < len(w.cfg.Steps) {
			return w.stepAt(w.s.NextStep), true
		}
	case contract.DunningPlan:
		p := w.s.Plan
		if p.Next < len(p.Instalments) {
			if p.Reminded <= p.Next {
				return w.planDay(p.Instalments[p.Next], -w.cfg.RemindDaysBefore), true
			}
			if w.missedNoticeDue(p) {
				return w.planDay(p.Instalments[p.Next], 1), true
			}
			return w.planDay(p.Instalments[p.Next], w.cfg.GraceDays), true
		}
	}
	return time.Time{}, false
}

func (w *dunningWorkflow) stepAt(i int) time.Time {
	return w.s.StartedAt.Add(w.s.Shift).Add(w.cfg.Day(w.cfg.Steps[i].Day))
}

// planDay is an instalment's due date, plus offset days, on the workflow's
// clock: cadence days counted from the day the plan was agreed.
func (w *dunningWorkflow) planDay(in dunning.Instalment, offset int) time.Time {
	p := w.s.Plan
	start, _ := time.Parse(time.DateOnly, p.StartDate)
	due, _ := time.Parse(time.DateOnly, in.DueDate)
	days := int(due.Sub(start).Hours()/24) + offset
	return p.StartedAt.Add(w.cfg.Day(days))
}

// tick does whatever is due now and reports whether the workflow is done.
func (w *dunningWorkflow) tick(ctx workflow.Context) (bool, error) {
	if w.stale {
		w.stale = false
		var b dunning.Balance
		if err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.DunningBalance, w.s.PatientID).Get(ctx, &b); err != nil {
			return false, fmt.Errorf("read balance: %w", err)
		}
		w.s.Due = b.Due
	}
	if !w.s.Due.IsPositive() && w.s.Status != contract.DunningDisputed {
		if len(w.s.Sent) > 0 {
			if err := w.send(ctx, "thanks", "thanks", false, decimal.Zero); err != nil {
				return false, err
			}
		}
		if w.s.Dispute != nil {
			w.closeDisputeTask(ctx, "balance paid")
		}
		w.s.Status, w.s.Outcome, w.s.Plan = contract.DunningClosed, "paid", nil
		return true, nil
	}
	now := workflow.Now(ctx)
	if err := w.sendDueTexts(ctx, now); err != nil {
		return false, err
	}
	switch w.s.Status {
	case contract.DunningActive:
		if w.s.NextStep >= len(w.cfg.Steps) || now.Before(w.stepAt(w.s.NextStep)) {
			return false, nil
		}
		step := w.cfg.Steps[w.s.NextStep]
		if step.Kind == dunning.KindCollections {
			return true, w.collections(ctx, step)
		}
		if err := w.send(ctx, step.Name, step.Kind, step.Kind != dunning.KindReminder || w.s.NextStep == 0, decimal.Zero); err != nil {
			return false, err
		}
		w.s.NextStep++
	case contract.DunningPlan:
		return false, w.planTick(ctx, now)
	}
	return false, nil
}

// collections writes a small balance off, or places the balance with the agency.
func (w *dunningWorkflow) collections(ctx workflow.Context, step dunning.Step) error {
	if w.s.Due.LessThan(w.cfg.SmallBalance) {
		var done decimal.Decimal
		err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.DunningAdjust, activities.AdjustInput{PatientID: w.s.PatientID,
			Category: billing.AdjustSmallBalance, Reason: "small-balance write-off", Key: "small-balance:" + w.account()}).Get(ctx, &done)
		if err != nil {
			return fmt.Errorf("small-balance write-off: %w", err)
		}
		w.s.Status, w.s.Outcome, w.s.Due = contract.DunningClosed, "written_off", decimal.Zero
		w.s.Sent = append(w.s.Sent, step.Name)
		return nil
	}
	var r dunning.HandOffResult
	err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.DunningHandOff, activities.HandOffInput{PatientID: w.s.PatientID,
		Key: w.account(), At: workflow.Now(ctx)}).Get(ctx, &r)
	if err != nil {
		return fmt.Errorf("collections hand-off: %w", err)
	}
	w.s.Status, w.s.Outcome = contract.DunningCollections, "collections"
	w.s.Sent = append(w.s.Sent, step.Name)
	return nil
}

// send prepares a step's messages (once, in the outbox) and sends them: email
// and letters now, text messages when the patient's quiet hours are over.
func (w *dunningWorkflow) send(ctx workflow.Context, step, kind string, statement bool, amount decimal.Decimal) error {
	var p dunning.Prepared
	err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.PrepareDunningStep, dunning.PrepareInput{PatientID: w.s.PatientID,
		Account: w.account(), Step: step, Kind: kind, Statement: statement, Amount: amount, At: workflow.Now(ctx)}).Get(ctx, &p)
	if err != nil {
		return fmt.Errorf("prepare %s: %w", step, err)
	}
	var texts []dunning.Pending
	for _, m := range p.Messages {
		if m.Channel == dunning.ChannelSMS {
			texts = append(texts, m)
			continue
		}
		if err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.SendDunningMessage, m.ID).Get(ctx, nil); err != nil {
			return fmt.Errorf("send %s by %s: %w", step, m.Channel, err)
		}
	}
	for _, m := range texts {
		var at time.Time
		err := workflow.ExecuteActivity(activityCtx(ctx), a.SMSWindow, activities.SMSWindowInput{At: workflow.Now(ctx),
			TimeZone: m.TimeZone, QuietStart: w.cfg.QuietStart, QuietEnd: w.cfg.QuietEnd, SMSOnSunday: w.cfg.SMSOnSunday}).Get(ctx, &at)
		if err != nil {
			return fmt.Errorf("quiet hours: %w", err)
		}
		if at.After(workflow.Now(ctx)) {
			// The text waits for the patient's morning on the workflow's durable
			// timers (nextAt), while the cadence and its handlers go on.
			w.s.Texts = append(w.s.Texts, contract.PendingText{ID: m.ID, At: at})
			continue
		}
		if err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.SendDunningMessage, m.ID).Get(ctx, nil); err != nil {
			return fmt.Errorf("send %s by sms: %w", step, err)
		}
	}
	w.s.Sent = append(w.s.Sent, step)
	return nil
}

// planTick reminds of the next instalment, moves past paid ones and defaults a
// plan whose instalment is past due and its grace.
func (w *dunningWorkflow) planTick(ctx workflow.Context, now time.Time) error {
	p := w.s.Plan
	paid := p.Balance.Sub(w.s.Due)
	for p.Next < len(p.Instalments) && paid.GreaterThanOrEqual(w.cumulative(p.Next)) {
		p.Next++
	}
	if p.Reminded < p.Next {
		p.Reminded = p.Next
	}
	if p.Missed < p.Next {
		p.Missed = p.Next
	}
	if p.Next >= len(p.Instalments) {
		return nil // all paid; the zero balance ends the workflow on the next read
	}
	in := p.Instalments[p.Next]
	if p.Reminded <= p.Next && !now.Before(w.planDay(in, -w.cfg.RemindDaysBefore)) {
		due := w.cumulative(p.Next).Sub(paid)
		if err := w.send(ctx, fmt.Sprintf("plan-%d-instalment-%d", w.s.Plans, p.Next+1), "instalment", false, due); err != nil {
			return err
		}
		p.Reminded = p.Next + 1
		return nil
	}
	if w.missedNoticeDue(p) && !now.Before(w.planDay(in, 1)) {
		// Due yesterday and unpaid: tell the patient while the grace runs.
		due := w.cumulative(p.Next).Sub(paid)
		if err := w.send(ctx, fmt.Sprintf("plan-%d-missed-%d", w.s.Plans, p.Next+1), dunning.KindPlanMissed, false, due); err != nil {
			return err
		}
		p.Missed = p.Next + 1
		return nil
	}
	if !now.Before(w.planDay(in, w.cfg.GraceDays)) {
		// Missed, and the grace is over: the cadence resumes where it stopped.
		w.resume(now)
		w.s.Plan = nil
		w.s.Sent = append(w.s.Sent, fmt.Sprintf("plan-%d-defaulted", w.s.Plans))
	}
	return nil
}

// missedNoticeDue reports whether the current instalment's missed notice is
// still to go: plans agreed before the notice existed never send one, and
// a grace of a day or less leaves no time for it.
func (w *dunningWorkflow) missedNoticeDue(p *contract.PlanState) bool {
	return p.MissedNotices && p.Missed <= p.Next && w.cfg.GraceDays > 1
}

// cumulative is what the plan expects paid through instalment i.
func (w *dunningWorkflow) cumulative(i int) decimal.Decimal {
	t := decimal.Zero
	for _, in := range w.s.Plan.Instalments[:i+1] {
		t = t.Add(in.Amount)
	}
	return t
}

// pause stops the cadence clock; resume restarts it, pushing the remaining
// steps out by the time paused.
func (w *dunningWorkflow) pause(now time.Time) {
	if w.s.PausedAt == nil {
		w.s.PausedAt = &now
	}
}

func (w *dunningWorkflow) resume(now time.Time) {
	if w.s.PausedAt != nil {
		w.s.Shift += now.Sub(*w.s.PausedAt)
		w.s.PausedAt = nil
	}
	w.s.Status = contract.DunningActive
	w.changed = true
}

func (w *dunningWorkflow) open() bool {
	return w.s.Status == contract.DunningActive || w.s.Status == contract.DunningPlan
}

func (w *dunningWorkflow) validatePaymentPlan(ctx workflow.Context, r contract.PaymentPlanRequest) error {
	if !w.open() {
		return conflict("dunning is %s; a payment plan needs an active account", w.s.Status)
	}
	if errs := w.cfg.ValidatePlan(w.s.Due, r.Instalments, workflow.Now(ctx)); len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

func (w *dunningWorkflow) paymentPlan(ctx workflow.Context, r contract.PaymentPlanRequest) (contract.DunningView, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return contract.DunningView{}, err
	}
	defer w.mu.Unlock()
	if !w.open() {
		return contract.DunningView{}, conflict("dunning is %s; a payment plan needs an active account", w.s.Status)
	}
	now := workflow.Now(ctx)
	// Plans agreed before the missed-instalment notice keep their behaviour.
	notices := workflow.GetVersion(ctx, "plan-missed-notice", workflow.DefaultVersion, 1) >= 1
	w.pause(now)
	w.s.Plans++
	w.s.Plan = &contract.PlanState{Instalments: r.Instalments, StartDate: now.UTC().Format(time.DateOnly), StartedAt: now,
		Balance: w.s.Due, MissedNotices: notices}
	w.s.Status = contract.DunningPlan
	w.changed = true
	return w.view(), nil
}

func (w *dunningWorkflow) validateDispute(ctx workflow.Context, r contract.DisputeRequest) error {
	if !w.open() {
		return conflict("dunning is %s; only an active account can be disputed", w.s.Status)
	}
	var errs validate.Errors
	errs.Required("reason", r.Reason)
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

func (w *dunningWorkflow) dispute(ctx workflow.Context, r contract.DisputeRequest) (contract.DunningView, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return contract.DunningView{}, err
	}
	defer w.mu.Unlock()
	if !w.open() {
		return contract.DunningView{}, conflict("dunning is %s; only an active account can be disputed", w.s.Status)
	}
	now := workflow.Now(ctx)
	w.s.Disputes++
	key := fmt.Sprintf("dispute:%s:%d", w.account(), w.s.Disputes)
	var taskID string
	err := workflow.ExecuteActivity(activityCtx(ctx), a.OpenDisputeTask, activities.DisputeTaskInput{PatientID: w.s.PatientID,
		Key: key, Reason: r.Reason}).Get(ctx, &taskID)
	if err != nil {
		return contract.DunningView{}, activityFailure("open dispute task", err)
	}
	resume := w.s.Status
	if w.s.Status == contract.DunningActive {
		w.pause(now)
	}
	w.s.Dispute = &contract.DisputeState{TaskID: key, Reason: r.Reason, OpenedAt: now, Resume: resume}
	w.s.Status = contract.DunningDisputed
	w.changed = true
	return w.view(), nil
}

func (w *dunningWorkflow) validateResolveDispute(ctx workflow.Context, r contract.ResolveDisputeRequest) error {
	if w.s.Status != contract.DunningDisputed {
		return conflict("there is no open dispute")
	}
	var errs validate.Errors
	switch r.Outcome {
	case contract.DisputeResume, contract.DisputeWriteOff:
	case contract.DisputeAdjust:
		billing.ValidateMoney(&errs, "amount", r.Amount, false)
		errs.Check(r.Amount.LessThanOrEqual(w.s.Due), "amount", "must not exceed the balance due of %s", w.s.Due.StringFixed(2))
	default:
		errs.Add("outcome", "must be one of %s, %s, %s", contract.DisputeResume, contract.DisputeAdjust, contract.DisputeWriteOff)
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

func (w *dunningWorkflow) resolveDispute(ctx workflow.Context, r contract.ResolveDisputeRequest) (contract.DunningView, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return contract.DunningView{}, err
	}
	defer w.mu.Unlock()
	if w.s.Status != contract.DunningDisputed {
		return w.view(), nil // answered already
	}
	d := w.s.Dispute
	if r.Outcome != contract.DisputeResume {
		amount := r.Amount
		if r.Outcome == contract.DisputeWriteOff {
			amount = decimal.Zero // everything
		}
		var done decimal.Decimal
		err := workflow.ExecuteActivity(activityCtx(ctx), a.DunningAdjust, activities.AdjustInput{PatientID: w.s.PatientID,
			Amount: amount, Reason: "dispute resolved: " + r.Outcome, Key: d.TaskID + ":" + r.Outcome, Actor: r.Actor}).Get(ctx, &done)
		if err != nil {
			return contract.DunningView{}, activityFailure("adjust disputed balance", err)
		}
		w.s.Due = decimal.Max(w.s.Due.Sub(done), decimal.Zero)
		w.stale = true
	}
	w.closeDisputeTask(ctx, "dispute resolved: "+r.Outcome)
	now := workflow.Now(ctx)
	if d.Resume == contract.DunningPlan && w.s.Plan != nil {
		w.s.Status = contract.DunningPlan
	} else {
		w.resume(now)
	}
	w.s.Dispute = nil
	w.changed = true
	return w.view(), nil
}

func (w *dunningWorkflow) closeDisputeTask(ctx workflow.Context, resolution string) {
	if w.s.Dispute == nil {
		return
	}
	// Best effort: the task is closed by key; a failure leaves it for a person.
	_ = workflow.ExecuteActivity(activityCtx(ctx), a.CloseDunningTask, activities.CloseTaskInput{Key: w.s.Dispute.TaskID,
		Resolution: resolution}).Get(ctx, nil)
}

func (w *dunningWorkflow) view() contract.DunningView {
	v := contract.DunningView{DunningState: w.s}
	v.Sent = append([]string{}, w.s.Sent...)
	if at, ok := w.nextStepAt(); ok {
		v.NextStepAt = &at
		switch w.s.Status {
		case contract.DunningActive:
			v.NextStepName = w.cfg.Steps[w.s.NextStep].Name
		case contract.DunningPlan:
			v.NextStepName = fmt.Sprintf("instalment-%d", w.s.Plan.Next+1)
		}
	}
	return v
}

// publish mirrors the state into the read model when it changed.
func (w *dunningWorkflow) publish(ctx workflow.Context) error {
	v := w.view()
	key := fmt.Sprintf("%s|%d|%s|%s|%d", v.Status, len(v.Sent), v.Due.StringFixed(2), v.NextStepName, v.Plans)
	if key == w.published {
		return nil
	}
	if err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.PublishDunning, v).Get(ctx, nil); err != nil {
		return fmt.Errorf("publish dunning state: %w", err)
	}
	w.published = key
	return nil
}
