package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/legal"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

const holdDay = 24 * time.Hour

// holdStart is when every hold test starts: 09:00 UTC on 2026-01-10.
var holdStart = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)

type holdTaskRaised struct {
	activities.HoldTaskInput
	At time.Time // when the activity ran
}

type holdSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env      *testsuite.TestWorkflowEnvironment
	facts    contract.HoldFacts
	raised   []holdTaskRaised
	resolved []string
	follow   []activities.FollowUpInput
	publish  []legal.Hold
}

func TestHoldWorkflow(t *testing.T) { suite.Run(t, new(holdSuite)) }

func (s *holdSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.SetStartTime(holdStart)
	s.env.RegisterWorkflow(HoldWorkflow)
	s.env.RegisterActivity(a)
	s.facts = contract.HoldFacts{Recorded: true, FollowUpDays: 30, Today: "2026-01-10"}
	s.raised, s.resolved, s.follow, s.publish = nil, nil, nil, nil
	s.env.OnActivity(a.LoadHoldFacts, mock.Anything, mock.Anything).Return(
		func(context.Context, string) (activities.HoldLoad, error) {
			return activities.HoldLoad{Facts: s.facts, Settings: contract.HoldSettings{DayLength: holdDay,
				LienDays: activities.DefaultLienDays, GapDays: activities.DefaultGapDays,
				SOLFirstDays: activities.DefaultSOLFirstDays, SOLFinalDays: activities.DefaultSOLFinalDays}}, nil
		}).Maybe()
	s.env.OnActivity(a.RaiseHoldTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.HoldTaskInput) (string, error) {
			in.DueAt = in.DueAt.UTC()
			s.raised = append(s.raised, holdTaskRaised{HoldTaskInput: in, At: s.env.Now().UTC()})
			s.resolved = append(s.resolved, in.Supersedes...)
			return "task-" + in.BusinessKey, nil
		}).Maybe()
	s.env.OnActivity(a.ResolveHoldTasks, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ResolveHoldTasksInput) error {
			s.resolved = append(s.resolved, in.BusinessKeys...)
			return nil
		}).Maybe()
	s.env.OnActivity(a.RecordFollowUp, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FollowUpInput) (string, error) {
			s.follow = append(s.follow, in)
			return legal.FollowUpID(in.CaseID, in.UpdateID), nil
		}).Maybe()
	s.env.OnActivity(a.PublishHold, mock.Anything, mock.Anything).Return(
		func(_ context.Context, h legal.Hold) error {
			s.publish = append(s.publish, h)
			return nil
		}).Maybe()
}

// run runs a hold started with the visits, cancelled after end.
func (s *holdSuite) run(in contract.HoldInput, end time.Duration) {
	if in.CaseID == "" {
		in.CaseID = "c1"
	}
	s.env.RegisterDelayedCallback(s.env.CancelWorkflow, end)
	s.env.ExecuteWorkflow(HoldWorkflow, in)
	s.Require().True(s.env.IsWorkflowCompleted())
	err := s.env.GetWorkflowError()
	s.True(temporal.IsCanceledError(err), "a hold ends only when cancelled here: %v", err)
}

func (s *holdSuite) update(delay time.Duration, r contract.FollowUpRequest, errOut *error) {
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(contract.UpdateRecordFollowUp, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { *errOut = err }, OnAccept: func() {},
			OnComplete: func(_ any, err error) { *errOut = err },
		}, r)
	}, delay)
}

func (s *holdSuite) query() contract.HoldView {
	v, err := s.env.QueryWorkflow(contract.QueryHoldState)
	s.Require().NoError(err)
	var out contract.HoldView
	s.Require().NoError(v.Get(&out))
	return out
}

// of lists the raised tasks of a kind.
func (s *holdSuite) of(kind string) []holdTaskRaised {
	var out []holdTaskRaised
	for _, r := range s.raised {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

func visitAt(id string, after time.Duration) contract.HoldVisit {
	return contract.HoldVisit{EncounterID: id, At: holdStart.Add(after)}
}

// signalVisit sends the case workflow's visit signal at the visit's time.
func (s *holdSuite) signalVisit(v contract.HoldVisit) {
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(contract.SignalHoldVisit, v) }, v.At.Sub(holdStart))
}

func (s *holdSuite) TestAYearOfAttorneyFollowUpsEveryThirtyDays() {
	s.facts.LienOnFile = true
	s.run(contract.HoldInput{}, 365*holdDay+time.Hour)
	got := s.of(tasks.KindAttorneyFollowUp)
	s.Require().Len(got, 12, "one follow-up every 30 days for a year")
	for i, r := range got {
		due := holdStart.Add(time.Duration(i+1) * 30 * holdDay)
		s.Equal(due, r.At, "follow-up %d raised on time", i+1)
		s.Equal(due, r.DueAt)
		s.True(r.Answered, "the hold's record-follow-up answers it")
		s.Equal(tasks.KindAttorneyFollowUp, r.Kind)
		if i > 0 {
			s.Equal([]string{got[i-1].BusinessKey}, r.Supersedes, "an unanswered follow-up is superseded by the next")
		}
	}
	s.Empty(s.of(tasks.KindNoLien))
	s.Empty(s.of(tasks.KindTreatmentGap), "no visit, no gap")
	s.Empty(s.of(tasks.KindSOLReminder), "no SOL date known")
	s.Require().NotEmpty(s.publish)
	last := s.publish[len(s.publish)-1]
	s.Equal(holdStart.Add(390*holdDay), last.NextFollowUpAt.UTC(), "the read model shows the next follow-up")
}

func (s *holdSuite) TestFollowUpOutcomeSetsTheNextDateAndClosesTheTask() {
	s.facts.LienOnFile = true
	var errs [4]error
	// Day 31: the first task is open; the attorney says demand sent, call on 2026-03-01 (holdDay 50).
	s.update(31*holdDay, contract.FollowUpRequest{Outcome: contract.OutcomeDemandSent, Note: "demand to Acme", NextFollowUp: "2026-03-01"}, &errs[0])
	s.update(32*holdDay, contract.FollowUpRequest{Outcome: "maybe"}, &errs[1])
	s.update(33*holdDay, contract.FollowUpRequest{Outcome: contract.OutcomeNoAnswer, NextFollowUp: "2026-01-02"}, &errs[2])
	var mid contract.HoldView
	s.env.RegisterDelayedCallback(func() { mid = s.query() }, 34*holdDay)
	// Day 50 the task comes; holdDay 51 negotiating, no date: next in 30 days (holdDay 81).
	s.update(51*holdDay, contract.FollowUpRequest{Outcome: contract.OutcomeNegotiating}, &errs[3])
	s.run(contract.HoldInput{}, 85*holdDay)

	s.NoError(errs[0])
	s.Equal([]string{"outcome"}, fieldsOf(errs[1]))
	s.Equal([]string{"next_follow_up"}, fieldsOf(errs[2]), "a date in the past is refused")
	got := s.of(tasks.KindAttorneyFollowUp)
	s.Require().Len(got, 3)
	s.Equal(holdStart.Add(30*holdDay), got[0].At)
	s.Equal(holdStart.Add(50*holdDay), got[1].At, "the date the attorney gave")
	s.Equal(holdStart.Add(81*holdDay), got[2].At, "the case's interval after the last outcome")
	s.Empty(got[1].Supersedes, "the first task was closed by the outcome")
	s.Contains(s.resolved, got[0].BusinessKey)
	s.Contains(s.resolved, got[1].BusinessKey)
	s.Len(s.follow, 2, "refused outcomes are not recorded")
	s.Equal(contract.OutcomeDemandSent, mid.LastOutcome)
	s.Len(mid.FollowUps, 1)
	s.Equal(holdStart.Add(50*holdDay), mid.NextFollowUpAt.UTC())
}

func (s *holdSuite) TestTreatmentGapWhenNoVisitForThirtyDays() {
	s.facts.LienOnFile = true
	s.facts.FollowUpDays = 365
	s.signalVisit(visitAt("e2", 20*holdDay))
	s.env.RegisterDelayedCallback(func() {
		s.Empty(s.of(tasks.KindTreatmentGap), "a visit on holdDay 20 moves the gap to holdDay 50")
	}, 50*holdDay-time.Second)
	s.signalVisit(visitAt("e3", 60*holdDay))
	s.run(contract.HoldInput{Visits: []contract.HoldVisit{visitAt("e1", 0)}}, 70*holdDay)

	got := s.of(tasks.KindTreatmentGap)
	s.Require().Len(got, 1, "one gap task, on time")
	s.Equal(holdStart.Add(50*holdDay), got[0].At)
	s.Equal("legal:gap:c1:e2", got[0].BusinessKey)
	s.Contains(s.resolved, got[0].BusinessKey, "the patient came back: the gap task closes")
}

func (s *holdSuite) TestStatuteOfLimitationsRemindersAtNinetyAndThirtyDays() {
	s.facts.LienOnFile = true
	s.facts.FollowUpDays = 365
	s.facts.SOLDate = "2026-07-29" // 200 days after 2026-01-10
	sol := holdStart.Add(200 * holdDay)
	s.env.RegisterDelayedCallback(func() {
		s.Empty(s.of(tasks.KindSOLReminder), "nothing a second early")
	}, 110*holdDay-time.Second)
	s.env.RegisterDelayedCallback(func() {
		s.Len(s.of(tasks.KindSOLReminder), 1)
		s.Empty(s.of(tasks.KindSOLEscalated), "nothing a second early")
	}, 170*holdDay-time.Second)
	s.run(contract.HoldInput{}, 199*holdDay)

	first := s.of(tasks.KindSOLReminder)
	s.Require().Len(first, 1)
	s.Equal(sol.Add(-90*holdDay), first[0].At)
	final := s.of(tasks.KindSOLEscalated)
	s.Require().Len(final, 1)
	s.Equal(sol.Add(-30*holdDay), final[0].At)
	s.Equal("manager", final[0].Details["escalated_to"])
	s.Greater(final[0].Priority, first[0].Priority)
}

func (s *holdSuite) TestLateSOLDateRaisesOnlyTheEscalatedReminder() {
	s.facts.LienOnFile = true
	s.facts.FollowUpDays = 365
	s.facts.SOLDate = "2026-01-30" // 20 days away when the hold starts
	s.run(contract.HoldInput{}, 25*holdDay)
	s.Empty(s.of(tasks.KindSOLReminder))
	s.Require().Len(s.of(tasks.KindSOLEscalated), 1)
	s.Equal(holdStart, s.of(tasks.KindSOLEscalated)[0].At)
}

func (s *holdSuite) TestNoLienTaskTwoWeeksAfterTheFirstVisitUntilTheLienArrives() {
	s.facts.FollowUpDays = 365
	s.env.RegisterDelayedCallback(func() {
		s.Empty(s.of(tasks.KindNoLien), "nothing a second early")
	}, 16*holdDay-time.Second)
	// Day 20 the lien is recorded: the hold reads the details again.
	s.env.RegisterDelayedCallback(func() {
		s.facts.LienOnFile = true
		s.env.SignalWorkflow(contract.SignalHoldDetails, struct{}{})
	}, 20*holdDay)
	s.run(contract.HoldInput{Visits: []contract.HoldVisit{visitAt("e1", 2*holdDay)}}, 40*holdDay)
	got := s.of(tasks.KindNoLien)
	s.Require().Len(got, 1)
	s.Equal(holdStart.Add(16*holdDay), got[0].At, "14 days after the first visit")
	s.Contains(s.resolved, got[0].BusinessKey, "the lien arrived: the task closes")
}

func (s *holdSuite) TestNoLienTaskWhenTheLienIsOnFile() {
	s.facts.LienOnFile = true
	s.facts.FollowUpDays = 365
	s.run(contract.HoldInput{Visits: []contract.HoldVisit{visitAt("e1", 0)}}, 20*holdDay)
	s.Empty(s.of(tasks.KindNoLien))
}

func (s *holdSuite) TestContinuedHoldKeepsItsTimers() {
	s.facts.LienOnFile = true
	var carried contract.HoldView
	s.env.RegisterDelayedCallback(func() { carried = s.query() }, 45*holdDay)
	s.run(contract.HoldInput{}, 46*holdDay)
	s.Require().Len(s.of(tasks.KindAttorneyFollowUp), 1)

	// A new run from the carried state (what continue-as-new hands over), later.
	s.SetupTest()
	s.env.SetStartTime(holdStart.Add(46 * holdDay))
	st := carried.HoldState
	s.run(contract.HoldInput{CaseID: "c1", State: &st}, 20*holdDay)
	got := s.of(tasks.KindAttorneyFollowUp)
	s.Require().Len(got, 1, "the second follow-up, not a fresh schedule")
	s.Equal(holdStart.Add(60*holdDay), got[0].At)
	s.Equal("legal:follow-up:c1:2", got[0].BusinessKey)
	s.Equal([]string{"legal:follow-up:c1:1"}, got[0].Supersedes, "the open task came along")
}

// fieldsOf names the fields an update's invalid-input error reports.
func fieldsOf(err error) []string {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != contract.ErrTypeInvalid {
		return nil
	}
	var fe []validate.FieldError
	if appErr.Details(&fe) != nil {
		return nil
	}
	var out []string
	for _, f := range fe {
		out = append(out, f.Field)
	}
	return out
}

// holdCalls is what the case tests' stand-in hold saw: its inputs.
var holdCalls struct {
	started []contract.HoldInput
}

// mockHold stands in for the hold workflow in the case tests: it records its
// input and ends at once. (The test environment resolves a mocked child's
// start only when it completes, so a stand-in that waited for the visit
// signals would block the case; their delivery is covered end to end.)
func (s *caseSuite) mockHold() {
	holdCalls.started = nil
	s.env.RegisterWorkflow(HoldWorkflow)
	s.env.OnWorkflow(HoldWorkflow, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, in contract.HoldInput) error {
			holdCalls.started = append(holdCalls.started, in)
			return nil
		}).Maybe()
}

func (s *caseSuite) TestLegalCaseStartsItsHoldAtTheFirstHeldChargeAndTellsItOfVisits() {
	var errs [5]error
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(2*time.Minute, contract.UpdateCheckIn, checkIn("e2"), &errs[1])
	s.env.RegisterDelayedCallback(func() { s.Empty(holdCalls.started, "no hold before a held charge") }, 3*time.Minute)
	s.update(4*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 1), &errs[2])
	s.update(5*time.Minute, contract.UpdateAddCharge, charge("ch2", "e2", 1), &errs[3])
	s.update(holdDay, contract.UpdateCheckIn, checkIn("e3"), &errs[4])
	var view contract.CaseView
	s.env.RegisterDelayedCallback(func() { view = s.query() }, 2*holdDay)

	err := s.run(cases.MVA, 48*time.Hour, 3*holdDay)
	s.True(temporal.IsCanceledError(err), "%v", err)
	for i, e := range errs {
		s.NoError(e, "update %d", i)
	}
	s.Require().Len(holdCalls.started, 1, "one hold, started once")
	s.Equal("c1", holdCalls.started[0].CaseID)
	s.Len(holdCalls.started[0].Visits, 2, "the visits so far")
	s.Require().NotNil(view.Hold)
	s.Equal(3, view.Hold.VisitsSent, "the later visit was sent (to a hold that ended: logged, the case goes on)")
}

func (s *caseSuite) TestPrivateCaseHasNoHold() {
	var errs [2]error
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(2*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 1), &errs[1])
	var view contract.CaseView
	s.env.RegisterDelayedCallback(func() { view = s.query() }, time.Hour)
	err := s.run(cases.Private, 48*time.Hour, 2*time.Hour)
	s.True(temporal.IsCanceledError(err), "%v", err)
	s.Nil(view.Hold)
	s.Empty(holdCalls.started)
}

func (s *caseSuite) TestPatientPaymentOnHeldChargesIsRefused() {
	var errs [3]error
	var refused error
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(2*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 1), &errs[1])
	s.update(3*time.Minute, contract.UpdateRecordPayment, billing.PaymentInput{Amount: decimal.RequireFromString("80.00"),
		Method: "check", IdempotencyKey: "settlement"}, &refused)
	var view contract.CaseView
	s.env.RegisterDelayedCallback(func() { view = s.query() }, time.Hour)
	err := s.run(cases.MVA, 48*time.Hour, 2*time.Hour)
	s.True(temporal.IsCanceledError(err), "%v", err)
	s.NoError(errs[0])
	s.NoError(errs[1])
	var appErr *temporal.ApplicationError
	s.Require().True(errors.As(refused, &appErr), "%v", refused)
	s.Equal(contract.ErrTypeConflict, appErr.Type())
	s.Contains(appErr.Error(), "100.00 of charges are held")
	s.Empty(view.Payments, "nothing was recorded")
	s.True(view.Totals.PatientCredit.IsZero())
}
