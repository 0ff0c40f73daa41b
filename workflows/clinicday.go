package workflows

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/demo"
	"github.com/clinicflow/rcm/workflows/contract"
)

// The clinic day's defaults (contract.ClinicDaySettings).
const (
	clinicVisitEvery   = 5 * time.Second
	clinicRounds       = demo.MaxRounds
	clinicForgetEvery  = 13
	clinicPayEvery     = 3
	clinicDecideEvery  = 4
	clinicDisputeEvery = 5
	clinicVisitsPerRun = 200
	// clinicEmptyWait is how long a day without open cases waits before it
	// reads the roster again.
	clinicEmptyWait = time.Minute
)

// ClinicDayWorkflow keeps the demo clinic (`rcm dev --demo`,
// demo/clinic-day) busy, the way its staff would through the API: every
// VisitEvery it checks the next patient of the day's roster in (the case
// workflow's check-in update, starting the case workflow on a first visit),
// ChargeAfter later the provider captures the visit's charges and completes
// them (add-charge and complete-charges updates), every few self-pay visits
// the patient pays part of the balance at the desk (record-payment), now and
// then a patient disputes the balance (the dunning workflow's dispute update),
// and every
// few visits the billing office decides the oldest denial (the claim
// workflow's decide update: a write-off for a manager to approve, an appeal, a
// transfer to the patient). All the
// rest follows from the product's own workflows: claims through the
// clearinghouse simulator, denials and rejections into the queues, held legal
// cases into follow-ups, patient balances into dunning. Every visit is keyed by
// its day and its number in the day, so a retried or replayed visit is the same
// visit and the case workflows apply it once. The roster (the open cases) is read
// at the start of each UTC day; each case is seen Rounds times a day, each round
// billing other codes, then the clinic is closed until the next day. A visit
// that fails is counted and the day goes on. The loop continues as new every
// VisitsPerRun visits, carrying its state, and never ends by itself.
func ClinicDayWorkflow(ctx workflow.Context, in contract.ClinicDayInput) error {
	w := &clinicDay{set: clinicDefaults(in.Settings)}
	if in.State != nil {
		w.s = *in.State
	}
	if err := workflow.SetQueryHandler(ctx, contract.QueryClinicDay, func() (contract.ClinicDayState, error) {
		return w.s, nil
	}); err != nil {
		return err
	}
	return w.run(ctx)
}

type clinicDay struct {
	set contract.ClinicDaySettings
	s   contract.ClinicDayState
}

// clinicDefaults fills the settings left zero.
func clinicDefaults(s contract.ClinicDaySettings) contract.ClinicDaySettings {
	if s.VisitEvery <= 0 {
		s.VisitEvery = clinicVisitEvery
	}
	if s.ChargeAfter <= 0 || s.ChargeAfter >= s.VisitEvery {
		s.ChargeAfter = s.VisitEvery / 2
	}
	if s.Rounds <= 0 || s.Rounds > demo.MaxRounds {
		s.Rounds = clinicRounds
	}
	if s.ForgetEvery == 0 {
		s.ForgetEvery = clinicForgetEvery
	}
	if s.PayEvery == 0 {
		s.PayEvery = clinicPayEvery
	}
	if s.DisputeEvery == 0 {
		s.DisputeEvery = clinicDisputeEvery
	}
	if s.DecideEvery == 0 {
		s.DecideEvery = clinicDecideEvery
	}
	if s.VisitsPerRun <= 0 {
		s.VisitsPerRun = clinicVisitsPerRun
	}
	return s
}

func (w *clinicDay) run(ctx workflow.Context) error {
	logger := workflow.GetLogger(ctx)
	visits := 0
	for {
		today := workflow.Now(ctx).UTC().Format(time.DateOnly)
		if today != w.s.Day || w.s.Roster == nil {
			var roster []contract.ClinicSlot
			if err := workflow.ExecuteActivity(untilDoneCtx(ctx), a.LoadClinicRoster).Get(ctx, &roster); err != nil {
				return fmt.Errorf("load the clinic roster: %w", err)
			}
			if roster == nil {
				roster = []contract.ClinicSlot{}
			}
			w.s.Day, w.s.DayVisits, w.s.Closed, w.s.Roster = today, 0, false, roster
			logger.Info("clinic day opens", "day", today, "cases", len(roster))
		}
		if len(w.s.Roster) == 0 {
			// Nothing to see yet (an empty database): look again in a while.
			if err := workflow.Sleep(ctx, clinicEmptyWait); err != nil {
				return err
			}
			w.s.Roster = nil
			continue
		}
		if w.s.DayVisits >= len(w.s.Roster)*w.set.Rounds {
			w.s.Closed = true
			logger.Info("clinic closed until tomorrow", "day", w.s.Day, "visits", w.s.DayVisits)
			if err := workflow.Sleep(ctx, untilTomorrow(workflow.Now(ctx))); err != nil {
				return err
			}
			continue
		}
		if visits >= w.set.VisitsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			st := w.s
			return workflow.NewContinueAsNewError(ctx, ClinicDayWorkflow, contract.ClinicDayInput{Settings: w.set, State: &st})
		}
		started := workflow.Now(ctx)
		if err := w.visit(ctx); err != nil {
			if temporal.IsCanceledError(err) {
				return err
			}
			w.s.Failed++
			logger.Warn("demo visit failed; the day goes on", "day", w.s.Day, "visit", w.s.DayVisits, "error", err)
		}
		w.s.DayVisits++
		w.s.Visits++
		visits++
		if every(w.set.DecideEvery, w.s.Visits) {
			if err := w.decideDenial(ctx); err != nil {
				if temporal.IsCanceledError(err) {
					return err
				}
				w.s.Failed++
				logger.Warn("demo denial decision failed; the day goes on", "error", err)
			}
		}
		if rest := w.set.VisitEvery - workflow.Now(ctx).Sub(started); rest > 0 {
			if err := workflow.Sleep(ctx, rest); err != nil {
				return err
			}
		}
	}
}

// visit checks the day's next patient in, captures the charges a little later
// and, on some self-pay visits, takes a payment at the desk or hears the
// patient dispute the balance.
func (w *clinicDay) visit(ctx workflow.Context) error {
	n := w.s.DayVisits
	slot := w.s.Roster[n%len(w.s.Roster)]
	v := contract.ClinicVisit{Slot: slot, ServiceDate: w.s.Day, Key: fmt.Sprintf("%s.%d", w.s.Day, n),
		Round: n / len(w.s.Roster), Settings: w.set,
		Forget: every(w.set.ForgetEvery, w.s.Visits+1)}
	actx := clinicActivityCtx(ctx)
	var encounterID string
	if err := workflow.ExecuteActivity(actx, a.DemoCheckIn, v).Get(ctx, &encounterID); err != nil {
		return fmt.Errorf("check in: %w", err)
	}
	if err := workflow.Sleep(ctx, w.set.ChargeAfter); err != nil {
		return err
	}
	var charges int
	if err := workflow.ExecuteActivity(actx, a.DemoCaptureCharges, v).Get(ctx, &charges); err != nil {
		return fmt.Errorf("capture charges: %w", err)
	}
	if slot.Kind != cases.Private || v.Forget {
		return nil
	}
	w.s.SelfPayVisits++
	switch n := w.s.SelfPayVisits; {
	case every(w.set.PayEvery, n):
		var paid decimal.Decimal
		if err := workflow.ExecuteActivity(actx, a.DemoPayAtDesk, v).Get(ctx, &paid); err != nil {
			return fmt.Errorf("payment at the desk: %w", err)
		}
		if paid.IsPositive() {
			w.s.Payments++
		}
	case every(w.set.DisputeEvery, n):
		var disputed bool
		if err := workflow.ExecuteActivity(actx, a.DemoDispute, v).Get(ctx, &disputed); err != nil {
			return fmt.Errorf("dispute: %w", err)
		}
		if disputed {
			w.s.Disputes++
		}
	}
	return nil
}

// every reports whether the n-th occurrence is one of every k-th (never for k
// of zero or less).
func every(k, n int) bool { return k > 0 && n%k == 0 }

// decisions is the billing office's rotation of denial decisions: a write-off
// first (so the managers' approvals queue fills early), then appeals and a
// transfer to the patient.
var decisions = []string{contract.DecisionWriteOff, contract.DecisionAppeal, contract.DecisionTransfer, contract.DecisionAppeal}

// decideDenial has the billing office decide the oldest denial waiting for a
// decision, by the claim workflow's decide update. A claim appealed once
// already is written off instead of appealed again.
func (w *clinicDay) decideDenial(ctx workflow.Context) error {
	actx := clinicActivityCtx(ctx)
	var d contract.ClinicDenial
	if err := workflow.ExecuteActivity(actx, a.DemoNextDenial).Get(ctx, &d); err != nil {
		return fmt.Errorf("find a denial: %w", err)
	}
	if d.ClaimID == "" {
		return nil
	}
	action := decisions[w.s.Decisions%len(decisions)]
	if action == contract.DecisionAppeal && d.AppealLevel >= 1 {
		action = contract.DecisionWriteOff
	}
	if err := workflow.ExecuteActivity(actx, a.DemoDecideDenial, contract.ClinicDecision{ClinicDenial: d, Action: action}).Get(ctx, nil); err != nil {
		return fmt.Errorf("decide a denial: %w", err)
	}
	w.s.Decisions++
	return nil
}

// untilTomorrow is the wait from now to the next midnight UTC.
func untilTomorrow(now time.Time) time.Duration {
	now = now.UTC()
	y, m, d := now.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Sub(now)
}

// clinicActivityCtx runs a visit's steps with a short, bounded retry: a visit
// that cannot be made is given up, not waited on, so the day goes on.
func clinicActivityCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: 10 * time.Second, MaximumAttempts: 5},
	})
}
