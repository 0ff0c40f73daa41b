package workflows

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/workflows/contract"
)

// clinicStart is a Monday morning; the tests' days are UTC days.
var clinicStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// clinicStep is one activity the clinic day ran, on the test clock.
type clinicStep struct {
	Activity string
	Key      string
	CaseID   string
	Round    int
	Forget   bool
	At       time.Time
}

type clinicDaySuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env     *testsuite.TestWorkflowEnvironment
	roster  []contract.ClinicSlot
	loads   []time.Time
	steps   []clinicStep
	failKey string // the check-in of this visit fails (non-retryable)
	denials []contract.ClinicDenial
	decided []contract.ClinicDecision
}

func TestClinicDayWorkflow(t *testing.T) { suite.Run(t, new(clinicDaySuite)) }

func (s *clinicDaySuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.SetStartTime(clinicStart)
	s.env.RegisterWorkflow(ClinicDayWorkflow)
	s.env.RegisterActivity(a)
	s.roster = []contract.ClinicSlot{{CaseID: "ins", Kind: cases.Insurance}, {CaseID: "self", Kind: cases.Private},
		{CaseID: "mva", Kind: cases.MVA}}
	s.loads, s.steps, s.failKey, s.denials, s.decided = nil, nil, "", nil, nil
	s.env.OnActivity(a.LoadClinicRoster, mock.Anything).Return(func(context.Context) ([]contract.ClinicSlot, error) {
		s.loads = append(s.loads, s.env.Now().UTC())
		return s.roster, nil
	}).Maybe()
	record := func(name string, v contract.ClinicVisit) {
		s.steps = append(s.steps, clinicStep{Activity: name, Key: v.Key, CaseID: v.Slot.CaseID, Round: v.Round,
			Forget: v.Forget, At: s.env.Now().UTC()})
	}
	s.env.OnActivity(a.DemoCheckIn, mock.Anything, mock.Anything).Return(
		func(_ context.Context, v contract.ClinicVisit) (string, error) {
			record("check-in", v)
			if v.Key == s.failKey {
				return "", temporal.NewNonRetryableApplicationError("the case is closed", "Conflict", nil)
			}
			return "enc-" + v.Key, nil
		}).Maybe()
	s.env.OnActivity(a.DemoCaptureCharges, mock.Anything, mock.Anything).Return(
		func(_ context.Context, v contract.ClinicVisit) (int, error) {
			record("charges", v)
			return 2, nil
		}).Maybe()
	s.env.OnActivity(a.DemoDispute, mock.Anything, mock.Anything).Return(
		func(_ context.Context, v contract.ClinicVisit) (bool, error) {
			record("dispute", v)
			return true, nil
		}).Maybe()
	s.env.OnActivity(a.DemoNextDenial, mock.Anything).Return(func(context.Context) (contract.ClinicDenial, error) {
		if len(s.denials) == 0 {
			return contract.ClinicDenial{}, nil
		}
		return s.denials[0], nil
	}).Maybe()
	s.env.OnActivity(a.DemoDecideDenial, mock.Anything, mock.Anything).Return(func(_ context.Context, d contract.ClinicDecision) error {
		s.decided = append(s.decided, d)
		s.denials = s.denials[1:]
		return nil
	}).Maybe()
	s.env.OnActivity(a.DemoPayAtDesk, mock.Anything, mock.Anything).Return(
		func(_ context.Context, v contract.ClinicVisit) (decimal.Decimal, error) {
			record("payment", v)
			return decimal.RequireFromString("62.50"), nil
		}).Maybe()
}

// run runs the clinic day until it continues as new and returns the state it
// carries.
func (s *clinicDaySuite) run(in contract.ClinicDayInput) contract.ClinicDayState {
	s.env.ExecuteWorkflow(ClinicDayWorkflow, in)
	s.Require().True(s.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	s.Require().True(errors.As(s.env.GetWorkflowError(), &can), "the day continues as new: %v", s.env.GetWorkflowError())
	var next contract.ClinicDayInput
	s.Require().NoError(converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	s.Equal(clinicDefaults(in.Settings), next.Settings, "the settings are carried")
	s.Require().NotNil(next.State)
	return *next.State
}

func (s *clinicDaySuite) of(activity string) []clinicStep {
	var out []clinicStep
	for _, st := range s.steps {
		if st.Activity == activity {
			out = append(out, st)
		}
	}
	return out
}

func (s *clinicDaySuite) TestVisitsOnTheCadenceThenContinuesAsNewWithItsState() {
	st := s.run(contract.ClinicDayInput{Settings: contract.ClinicDaySettings{VisitEvery: 5 * time.Second,
		ChargeAfter: 2 * time.Second, Rounds: 2, VisitsPerRun: 4}})

	checkIns := s.of("check-in")
	s.Require().Len(checkIns, 4, "four visits, then continue-as-new")
	for i, c := range checkIns {
		s.Equal(clinicStart.Add(time.Duration(i)*5*time.Second), c.At, "visit %d checks in on the cadence", i)
		s.Equal(fmt.Sprintf("2026-03-02.%d", i), c.Key, "visits are keyed by day and number")
	}
	s.Equal([]string{"ins", "self", "mva", "ins"}, []string{checkIns[0].CaseID, checkIns[1].CaseID, checkIns[2].CaseID, checkIns[3].CaseID},
		"the roster in turn")
	s.Equal([]int{0, 0, 0, 1}, []int{checkIns[0].Round, checkIns[1].Round, checkIns[2].Round, checkIns[3].Round},
		"the second time round is round 1 (other codes)")
	charges := s.of("charges")
	s.Require().Len(charges, 4)
	for i, c := range charges {
		s.Equal(checkIns[i].At.Add(2*time.Second), c.At, "charges ChargeAfter the check-in")
		s.Equal(checkIns[i].Key, c.Key)
	}
	s.Len(s.loads, 1, "the roster is read once a day")

	s.Equal(contract.ClinicDayState{Day: "2026-03-02", DayVisits: 4, Roster: s.roster, Visits: 4, SelfPayVisits: 1}, st,
		"one self-pay visit so far: it pays on the third")
}

func (s *clinicDaySuite) TestResumesFromItsStateClosesForTheNightAndOpensTheNextDay() {
	// A continued run: four of the day's six visits (3 cases x 2 rounds) made.
	s.env.SetStartTime(time.Date(2026, 3, 2, 23, 50, 0, 0, time.UTC))
	carried := contract.ClinicDayState{Day: "2026-03-02", DayVisits: 4, Roster: s.roster, Visits: 40, Payments: 3}
	st := s.run(contract.ClinicDayInput{Settings: contract.ClinicDaySettings{VisitEvery: 5 * time.Second, Rounds: 2,
		VisitsPerRun: 3}, State: &carried})

	checkIns := s.of("check-in")
	s.Require().Len(checkIns, 3)
	s.Equal("2026-03-02.4", checkIns[0].Key, "resumes at the next visit, not from scratch")
	s.Equal("self", checkIns[0].CaseID)
	s.Equal("2026-03-02.5", checkIns[1].Key)
	s.Equal("2026-03-03.0", checkIns[2].Key, "after the day's rounds the clinic waits for the next day")
	s.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), checkIns[2].At, "it opens at midnight UTC")
	s.Equal("ins", checkIns[2].CaseID, "a new day starts the roster again")
	s.Len(s.loads, 1, "the roster is read again at the new day (the carried one served the old day)")
	s.Equal(43, st.Visits)
	s.Equal("2026-03-03", st.Day)
	s.Equal(1, st.DayVisits)
	s.False(st.Closed)
}

func (s *clinicDaySuite) TestSomeSelfPayVisitsPayAtTheDeskAndSomeChargesAreForgotten() {
	// Only self-pay cases: every second self-pay visit pays, every third
	// disputes unless it pays; every third visit leaves its charges open (and
	// neither pays nor disputes).
	s.roster = []contract.ClinicSlot{{CaseID: "a", Kind: cases.Private}, {CaseID: "b", Kind: cases.Private}}
	st := s.run(contract.ClinicDayInput{Settings: contract.ClinicDaySettings{VisitEvery: time.Second, Rounds: 4,
		PayEvery: 2, ForgetEvery: 3, DisputeEvery: 3, VisitsPerRun: 8}})

	var forgot []string
	for _, c := range s.of("charges") {
		if c.Forget {
			forgot = append(forgot, c.Key)
		}
	}
	s.Equal([]string{"2026-03-02.2", "2026-03-02.5"}, forgot, "visits 3 and 6 forget to complete charges")
	var paid, disputed []string
	for _, p := range s.of("payment") {
		paid = append(paid, p.Key)
	}
	for _, p := range s.of("dispute") {
		disputed = append(disputed, p.Key)
	}
	// Self-pay visits with charges completed: .0 .1 .3 .4 .6 .7 (the 1st to 6th).
	s.Equal([]string{"2026-03-02.1", "2026-03-02.4", "2026-03-02.7"}, paid, "the 2nd, 4th and 6th pay")
	s.Equal([]string{"2026-03-02.3"}, disputed, "the 3rd disputes (the 6th pays instead)")
	s.Equal(3, st.Payments)
	s.Equal(1, st.Disputes)
	s.Equal(6, st.SelfPayVisits)
}

func (s *clinicDaySuite) TestAFailedVisitIsCountedAndTheDayGoesOn() {
	s.failKey = "2026-03-02.1"
	st := s.run(contract.ClinicDayInput{Settings: contract.ClinicDaySettings{VisitEvery: 5 * time.Second, VisitsPerRun: 3}})

	s.Len(s.of("check-in"), 3, "the visit after the failed one is made")
	for _, c := range s.of("charges") {
		s.NotEqual(s.failKey, c.Key, "no charges for a visit that was not checked in")
	}
	s.Equal(clinicStart.Add(10*time.Second), s.of("check-in")[2].At, "on the cadence")
	s.Equal(1, st.Failed)
	s.Equal(3, st.Visits)
}

func (s *clinicDaySuite) TestAnEmptyClinicWaitsAndLooksAgain() {
	s.roster = nil
	s.env.RegisterDelayedCallback(func() {
		s.roster = []contract.ClinicSlot{{CaseID: "new", Kind: cases.Insurance}}
	}, 90*time.Second)
	s.run(contract.ClinicDayInput{Settings: contract.ClinicDaySettings{VisitsPerRun: 1}})
	s.Require().Len(s.loads, 3, "read at the start, after a minute, after two")
	s.Equal(clinicStart.Add(2*time.Minute), s.loads[2])
	s.Require().Len(s.of("check-in"), 1)
	s.Equal("new", s.of("check-in")[0].CaseID)
}

func (s *clinicDaySuite) TestTheBillingOfficeDecidesTheOldestDenialEveryFewVisits() {
	s.denials = []contract.ClinicDenial{{TaskID: "t1", ClaimID: "c1"}, {TaskID: "t2", ClaimID: "c2"},
		{TaskID: "t3", ClaimID: "c3", AppealLevel: 1}, {TaskID: "t4", ClaimID: "c4"}, {TaskID: "t5", ClaimID: "c5"}}
	st := s.run(contract.ClinicDayInput{Settings: contract.ClinicDaySettings{VisitEvery: time.Second, DecideEvery: 2,
		VisitsPerRun: 11}})

	s.Require().Len(s.decided, 5, "after visits 2, 4, 6, 8 and 10")
	var got []string
	for _, d := range s.decided {
		got = append(got, d.TaskID+":"+d.Action)
	}
	s.Equal([]string{"t1:write_off", "t2:appeal", "t3:transfer_to_patient", "t4:appeal", "t5:write_off"}, got,
		"write-off first, then appeals and a transfer, in turn")
	s.Equal(5, st.Decisions)

	// A claim appealed once already is written off rather than appealed again;
	// with no denial waiting nothing is decided.
	s.SetupTest()
	s.denials = []contract.ClinicDenial{{TaskID: "a", ClaimID: "c1"}, {TaskID: "b", ClaimID: "c2", AppealLevel: 1}}
	st = s.run(contract.ClinicDayInput{Settings: contract.ClinicDaySettings{VisitEvery: time.Second, DecideEvery: 1,
		VisitsPerRun: 4}})
	s.Require().Len(s.decided, 2)
	s.Equal(contract.DecisionWriteOff, s.decided[0].Action)
	s.Equal(contract.DecisionWriteOff, s.decided[1].Action, "its second would be an appeal, but it was appealed already")
	s.Equal(2, st.Decisions)
	s.Zero(st.Failed)
}

func TestUntilTomorrowIsTheNextMidnightUTC(t *testing.T) {
	suite.Run(t, new(untilTomorrowSuite))
}

type untilTomorrowSuite struct{ suite.Suite }

func (s *untilTomorrowSuite) TestUntilTomorrow() {
	s.Equal(10*time.Minute, untilTomorrow(time.Date(2026, 3, 2, 23, 50, 0, 0, time.UTC)))
	s.Equal(24*time.Hour, untilTomorrow(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)))
	chicago := time.FixedZone("CST", -6*3600)
	s.Equal(time.Hour, untilTomorrow(time.Date(2026, 3, 2, 17, 0, 0, 0, chicago)), "UTC days, whatever the zone")
}
