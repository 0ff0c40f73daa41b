package workflows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/workflows/contract"
)

const tPatient = "p1"

// dunCall is one recorded activity call and the day (since the start) it ran.
type dunCall struct {
	Name string
	Arg  any
	At   time.Duration
}

// dunningSuite runs the dunning workflow on the test clock (real 24h days, time
// skipping) against activities that keep a fake balance.
type dunningSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env   *testsuite.TestWorkflowEnvironment
	start time.Time
	cfg   dunning.Config

	mu       sync.Mutex
	due      decimal.Decimal
	channels []string
	tz       string
	calls    []dunCall
	prepared map[string][]dunning.Pending
}

func TestDunningWorkflow(t *testing.T) { suite.Run(t, new(dunningSuite)) }

func (s *dunningSuite) SetupTest() {
	// A Wednesday, 15:00 UTC: 09:00 in Chicago.
	s.start = time.Date(2026, 1, 7, 15, 0, 0, 0, time.UTC)
	s.cfg = dunning.DefaultConfig()
	s.due = decimal.RequireFromString("120.00")
	s.channels = []string{dunning.ChannelEmail}
	s.tz = "America/Chicago"
	s.calls = nil
	s.prepared = map[string][]dunning.Pending{}
	s.env = s.NewTestWorkflowEnvironment()
	s.env.SetStartTime(s.start)
	s.env.RegisterActivity(a) // SMSWindow runs for real: it is pure
	rec := func(name string, arg any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.calls = append(s.calls, dunCall{Name: name, Arg: arg, At: s.env.Now().Sub(s.start)})
	}
	s.env.OnActivity(a.DunningBalance, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ string) (dunning.Balance, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return dunning.Balance{Owed: s.due, Due: s.due}, nil
		}).Maybe()
	s.env.OnActivity(a.PrepareDunningStep, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in dunning.PrepareInput) (dunning.Prepared, error) {
			rec("Prepare", in.Step)
			s.mu.Lock()
			defer s.mu.Unlock()
			if p, ok := s.prepared[in.Step]; ok {
				return dunning.Prepared{Messages: p}, nil // the outbox returns the rows it has
			}
			var p []dunning.Pending
			for _, ch := range s.channels {
				p = append(p, dunning.Pending{ID: in.Step + "/" + ch, Channel: ch, TimeZone: s.tz})
			}
			s.prepared[in.Step] = p
			return dunning.Prepared{Messages: p, Amount: s.due}, nil
		}).Maybe()
	s.env.OnActivity(a.SendDunningMessage, mock.Anything, mock.Anything).Return(
		func(_ context.Context, id string) (string, error) {
			rec("Send", id)
			return dunning.StatusSent, nil
		}).Maybe()
	s.env.OnActivity(a.DunningHandOff, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.HandOffInput) (dunning.HandOffResult, error) {
			rec("HandOff", in.Key)
			return dunning.HandOffResult{Placed: s.due, Cases: 1}, nil
		}).Maybe()
	s.env.OnActivity(a.DunningAdjust, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AdjustInput) (decimal.Decimal, error) {
			rec("Adjust", in)
			s.mu.Lock()
			defer s.mu.Unlock()
			amt := in.Amount
			if !amt.IsPositive() {
				amt = s.due
			}
			s.due = s.due.Sub(amt)
			return amt, nil
		}).Maybe()
	s.env.OnActivity(a.OpenDisputeTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.DisputeTaskInput) (string, error) {
			rec("OpenDispute", in.Key)
			return "task-1", nil
		}).Maybe()
	s.env.OnActivity(a.CloseDunningTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CloseTaskInput) error {
			rec("CloseTask", in.Resolution)
			return nil
		}).Maybe()
	s.env.OnActivity(a.PublishDunning, mock.Anything, mock.Anything).Return(nil).Maybe()
}

func day(n float64) time.Duration { return time.Duration(n * float64(24*time.Hour)) }

func (s *dunningSuite) at(d time.Duration, f func()) { s.env.RegisterDelayedCallback(f, d) }

// pay changes the fake balance and signals the workflow, as the payment
// activity does.
func (s *dunningSuite) setDue(d time.Duration, amount string) {
	s.at(d, func() {
		s.mu.Lock()
		s.due = decimal.RequireFromString(amount)
		s.mu.Unlock()
		s.env.SignalWorkflow(contract.SignalDunningBalance, contract.BalanceSignal{Cause: "test"})
	})
}

func (s *dunningSuite) update(d time.Duration, name string, arg any) *updateOutcome {
	o := &updateOutcome{}
	s.at(d, func() {
		s.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnAccept:   func() { o.accepted = true },
			OnReject:   func(err error) { o.rejected = err },
			OnComplete: func(v any, err error) { o.done, o.value, o.err = true, v, err },
		}, arg)
	})
	return o
}

func (s *dunningSuite) run(in contract.DunningInput) {
	if in.PatientID == "" {
		in.PatientID = tPatient
	}
	if len(in.Config.Steps) == 0 {
		in.Config = s.cfg
	}
	s.env.ExecuteWorkflow(DunningWorkflow, in)
	s.Require().True(s.env.IsWorkflowCompleted())
}

// steps lists "name@day" for every call of the named activity.
func (s *dunningSuite) steps(name string) []string {
	var out []string
	for _, c := range s.calls {
		if c.Name == name {
			out = append(out, fmt.Sprintf("%v@%.2f", c.Arg, c.At.Hours()/24))
		}
	}
	return out
}

func (s *dunningSuite) state() contract.DunningView {
	v, err := s.env.QueryWorkflow(contract.QueryDunningState)
	s.Require().NoError(err)
	var out contract.DunningView
	s.Require().NoError(v.Get(&out))
	return out
}

func (s *dunningSuite) TestFullCadenceEndsWithTheCollectionsHandOffOnDay90() {
	s.run(contract.DunningInput{})
	s.Require().NoError(s.env.GetWorkflowError())
	s.Equal([]string{"statement@0.00", "reminder@21.00", "second-notice@45.00", "final-notice@75.00"}, s.steps("Prepare"))
	s.Equal([]string{"p1/default-@90.00"}, s.steps("HandOff"))
	s.Empty(s.steps("Adjust"))
	v := s.state()
	s.Equal(contract.DunningCollections, v.Status)
	s.Equal("collections", v.Outcome)
}

func (s *dunningSuite) TestSmallBalanceIsWrittenOffNotSentToCollections() {
	s.due = decimal.RequireFromString("9.99")
	s.run(contract.DunningInput{})
	s.Require().NoError(s.env.GetWorkflowError())
	s.Empty(s.steps("HandOff"))
	s.Require().Len(s.steps("Adjust"), 1)
	adj := s.calls[len(s.calls)-1].Arg.(activities.AdjustInput)
	s.Equal(billing.AdjustSmallBalance, adj.Category)
	s.Equal(day(90), s.calls[len(s.calls)-1].At)
	s.Equal("written_off", s.state().Outcome)
}

func (s *dunningSuite) TestPaymentInFullEndsWithThanks() {
	s.setDue(day(30), "0")
	s.run(contract.DunningInput{})
	s.Require().NoError(s.env.GetWorkflowError())
	s.Equal([]string{"statement@0.00", "reminder@21.00", "thanks@30.00"}, s.steps("Prepare"))
	s.Empty(s.steps("HandOff"))
	s.Equal("paid", s.state().Outcome)
}

func (s *dunningSuite) TestPartialPaymentAndNewChargeMoveTheCadenceOnNotBack() {
	s.setDue(day(10), "60.00")  // a partial payment
	s.setDue(day(50), "160.00") // a new visit's charges
	s.run(contract.DunningInput{})
	s.Require().NoError(s.env.GetWorkflowError())
	s.Equal([]string{"statement@0.00", "reminder@21.00", "second-notice@45.00", "final-notice@75.00"}, s.steps("Prepare"),
		"no step repeats and day 0 does not come back")
	s.Equal([]string{"p1/default-@90.00"}, s.steps("HandOff"))
	s.Equal("160.00", s.state().Due.StringFixed(2))
}

func (s *dunningSuite) TestTextMessagesWaitForThePatientsWakingHours() {
	s.channels = []string{dunning.ChannelEmail, dunning.ChannelSMS}
	for _, tc := range []struct {
		name  string
		tz    string
		start time.Time
		// sms is when the day-0 text goes, in UTC.
		sms time.Time
	}{
		// 21:30 Friday in New York: the next morning, 08:00 EST.
		{"after hours", "America/New_York", time.Date(2026, 3, 7, 2, 30, 0, 0, time.UTC), time.Date(2026, 3, 7, 13, 0, 0, 0, time.UTC)},
		// 22:00 Saturday in New York the night clocks spring forward: Sunday is
		// skipped, Monday 08:00 is EDT (UTC-4).
		{"spring forward over a Sunday", "America/New_York", time.Date(2026, 3, 8, 3, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)},
		// 06:00 in Tokyo (no daylight saving): 08:00 the same day.
		{"early morning elsewhere", "Asia/Tokyo", time.Date(2026, 6, 2, 21, 0, 0, 0, time.UTC), time.Date(2026, 6, 2, 23, 0, 0, 0, time.UTC)},
		// 14:00 in Los Angeles: at once.
		{"in the window", "America/Los_Angeles", time.Date(2026, 6, 3, 21, 0, 0, 0, time.UTC), time.Date(2026, 6, 3, 21, 0, 0, 0, time.UTC)},
	} {
		s.Run(tc.name, func() {
			s.SetupTest()
			s.channels = []string{dunning.ChannelEmail, dunning.ChannelSMS}
			s.tz, s.start = tc.tz, tc.start
			s.env.SetStartTime(tc.start)
			s.setDue(day(3), "0") // stop after day 0's messages
			s.run(contract.DunningInput{})
			s.Require().NoError(s.env.GetWorkflowError())
			var email, sms time.Duration = -1, -1
			for _, c := range s.calls {
				switch c.Arg {
				case "statement/email":
					email = c.At
				case "statement/sms":
					sms = c.At
				}
			}
			s.Equal(time.Duration(0), email, "email goes at once")
			s.Equal(tc.sms, tc.start.Add(sms), "the text waits for %s", tc.tz)
		})
	}
}

func (s *dunningSuite) TestPaymentPlanKeptReplacesTheCadenceAndEnds() {
	s.due = decimal.RequireFromString("150.00")
	plan := s.update(day(5), contract.UpdatePaymentPlan, contract.PaymentPlanRequest{Instalments: []dunning.Instalment{
		{DueDate: "2026-02-11", Amount: decimal.RequireFromString("50.00")}, // day 35
		{DueDate: "2026-03-13", Amount: decimal.RequireFromString("50.00")}, // day 65
		{DueDate: "2026-04-12", Amount: decimal.RequireFromString("50.00")}, // day 95
	}})
	s.setDue(day(34), "100.00")
	s.setDue(day(64), "50.00")
	s.setDue(day(94), "0")
	s.run(contract.DunningInput{})
	s.Require().NoError(s.env.GetWorkflowError())
	s.Require().True(plan.accepted, "%v", plan.rejected)
	s.NoError(plan.err)
	s.Equal([]string{"statement@0.00", "plan-1-instalment-1@32.00", "plan-1-instalment-2@62.00",
		"plan-1-instalment-3@92.00", "thanks@94.00"}, s.steps("Prepare"), "reminders 3 days before each due date; no cadence")
	s.Empty(s.steps("HandOff"))
}

func (s *dunningSuite) TestPaymentPlanDefaultedResumesTheCadenceAfterGrace() {
	s.due = decimal.RequireFromString("100.00")
	s.update(day(5), contract.UpdatePaymentPlan, contract.PaymentPlanRequest{Instalments: []dunning.Instalment{
		{DueDate: "2026-01-22", Amount: decimal.RequireFromString("50.00")}, // day 15
		{DueDate: "2026-02-21", Amount: decimal.RequireFromString("50.00")},
	}})
	s.run(contract.DunningInput{})
	s.Require().NoError(s.env.GetWorkflowError())
	// Paused from day 5 to day 25 (due day 15 + 10 days' grace): 20 days later
	// the reminder (day 21) goes on day 41, and so on.
	s.Equal([]string{"statement@0.00", "plan-1-instalment-1@12.00", "plan-1-missed-1@16.00", "reminder@41.00",
		"second-notice@65.00", "final-notice@95.00"}, s.steps("Prepare"), "the missed instalment is noticed the day after")
	s.Equal([]string{"p1/default-@110.00"}, s.steps("HandOff"))
}

func (s *dunningSuite) TestMissedInstalmentIsNoticedAndPayingInTheGraceKeepsThePlan() {
	s.due = decimal.RequireFromString("100.00")
	s.update(day(5), contract.UpdatePaymentPlan, contract.PaymentPlanRequest{Instalments: []dunning.Instalment{
		{DueDate: "2026-01-22", Amount: decimal.RequireFromString("50.00")}, // day 15
		{DueDate: "2026-02-21", Amount: decimal.RequireFromString("50.00")}, // day 45
	}})
	s.setDue(day(19), "50.00") // the missed instalment, paid inside the grace
	s.at(day(20), func() {
		v := s.state()
		s.Equal(contract.DunningPlan, v.Status, "caught up: still on the plan")
		s.Equal(1, v.Plan.Next)
	})
	s.setDue(day(44), "0")
	s.run(contract.DunningInput{})
	s.Require().NoError(s.env.GetWorkflowError())
	s.Equal([]string{"statement@0.00", "plan-1-instalment-1@12.00", "plan-1-missed-1@16.00", "plan-1-instalment-2@42.00",
		"thanks@44.00"}, s.steps("Prepare"), "no cadence step: the plan was rescued")
	s.Empty(s.steps("HandOff"))
}

func (s *dunningSuite) TestPlansAgreedBeforeTheMissedNoticeSendNone() {
	s.due = decimal.RequireFromString("100.00")
	// As a workflow that took the plan before the notice existed.
	s.env.OnGetVersion("plan-missed-notice", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	s.update(day(5), contract.UpdatePaymentPlan, contract.PaymentPlanRequest{Instalments: []dunning.Instalment{
		{DueDate: "2026-01-22", Amount: decimal.RequireFromString("50.00")},
		{DueDate: "2026-02-21", Amount: decimal.RequireFromString("50.00")},
	}})
	s.setDue(day(30), "0")
	s.run(contract.DunningInput{})
	s.Equal([]string{"statement@0.00", "plan-1-instalment-1@12.00", "thanks@30.00"}, s.steps("Prepare"))
}

func (s *dunningSuite) TestPaymentPlanMustSumToTheBalance() {
	o := s.update(day(1), contract.UpdatePaymentPlan, contract.PaymentPlanRequest{Instalments: []dunning.Instalment{
		{DueDate: "2026-02-01", Amount: decimal.RequireFromString("50.00")},
		{DueDate: "2026-01-01", Amount: decimal.RequireFromString("5.00")},
	}})
	s.setDue(day(2), "0")
	s.run(contract.DunningInput{})
	s.Require().Error(o.rejected)
	s.Contains(o.rejected.Error(), "instalments[1].due_date")
}

func (s *dunningSuite) TestDisputePausesAndResolutionResumes() {
	d := s.update(day(10), contract.UpdateDispute, contract.DisputeRequest{Reason: "I was never seen that day"})
	r := s.update(day(40), contract.UpdateResolveDispute, contract.ResolveDisputeRequest{Outcome: contract.DisputeResume})
	s.run(contract.DunningInput{})
	s.Require().NoError(s.env.GetWorkflowError())
	s.Require().True(d.accepted, "%v", d.rejected)
	s.Require().True(r.accepted, "%v", r.rejected)
	s.Equal([]string{"dispute:p1/default-:1@10.00"}, s.steps("OpenDispute"))
	// Paused 30 days: the day-21 reminder goes on day 51.
	s.Equal([]string{"statement@0.00", "reminder@51.00", "second-notice@75.00", "final-notice@105.00"}, s.steps("Prepare"))
	s.Equal([]string{"p1/default-@120.00"}, s.steps("HandOff"))
	s.Equal([]string{"dispute resolved: resume@40.00"}, s.steps("CloseTask"))
}

func (s *dunningSuite) TestDisputeResolvedByWriteOffEndsDunning() {
	s.update(day(3), contract.UpdateDispute, contract.DisputeRequest{Reason: "billed twice"})
	bad := s.update(day(4), contract.UpdateResolveDispute, contract.ResolveDisputeRequest{Outcome: "forgive"})
	s.update(day(5), contract.UpdateResolveDispute, contract.ResolveDisputeRequest{Outcome: contract.DisputeWriteOff})
	s.run(contract.DunningInput{})
	s.Require().NoError(s.env.GetWorkflowError())
	s.Require().Error(bad.rejected)
	s.Contains(bad.rejected.Error(), "outcome")
	s.Len(s.steps("Adjust"), 1)
	s.Empty(s.steps("HandOff"))
	s.Equal("paid", s.state().Outcome)
}

func (s *dunningSuite) TestContinuesAsNewAndCarriesOnWhereItWas() {
	s.at(day(30), func() { s.env.SetContinueAsNewSuggested(true) })
	s.run(contract.DunningInput{})
	err := s.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	s.Require().True(errors.As(err, &can), "continue-as-new, got %v", err)
	var in contract.DunningInput
	s.Require().NoError(converter.GetDefaultDataConverter().FromPayloads(can.Input, &in))
	s.Require().NotNil(in.State)
	s.Positive(in.State.NextStep, "it continued after at least one step")
	first := s.steps("Prepare")

	// The next run takes the state and does not repeat the steps already done.
	next := in.State.NextStep
	s.SetupTest()
	s.env.SetStartTime(s.start.Add(s.cfg.Day(s.cfg.Steps[next-1].Day)))
	s.run(contract.DunningInput{State: in.State})
	s.Require().NoError(s.env.GetWorkflowError())
	for _, st := range s.steps("Prepare") {
		s.NotContains(first, st[:len(st)-len("@0.00")]+"@0.00", "step %s ran twice", st)
	}
	s.Len(s.steps("HandOff"), 1)
}

func (s *dunningSuite) TestAWaitingTextHoldsNothingUpAndIsDroppedOncePaid() {
	s.cfg.DayLength = time.Hour
	s.channels = []string{dunning.ChannelEmail, dunning.ChannelSMS}
	// Friday 21:00 in Chicago: the text may go Saturday 08:00, 11 hours later.
	s.start = time.Date(2026, 1, 10, 3, 0, 0, 0, time.UTC)
	s.env.SetStartTime(s.start)
	var disputedAt time.Duration = -1
	s.at(time.Hour, func() {
		s.env.UpdateWorkflow(contract.UpdateDispute, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { s.Fail("rejected", "%v", err) },
			OnComplete: func(any, error) { disputedAt = s.env.Now().Sub(s.start) },
		}, contract.DisputeRequest{Reason: "wrong amount"})
	})
	s.update(2*time.Hour, contract.UpdateResolveDispute, contract.ResolveDisputeRequest{Outcome: contract.DisputeResume})
	s.setDue(5*time.Hour, "0")
	s.run(contract.DunningInput{})
	s.Require().NoError(s.env.GetWorkflowError())
	s.Equal(time.Hour, disputedAt, "the dispute is taken at once, not after the text's wait")
	s.Equal([]string{"statement/email@0.00", "thanks/email@0.21"}, s.steps("Send"), "the text was dropped: the balance was paid first")
}
