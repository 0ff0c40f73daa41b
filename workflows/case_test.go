package workflows

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

type caseSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
	// tasks raised by the mocked activity, by encounter id
	raised map[string]time.Time
	stages []string
	// claim workflows started, and whether BuildClaim finds no coverage
	claims     []contract.ClaimInput
	noCoverage bool
	// stageFailures fails that many SetCaseStage calls (the database away)
	stageFailures int
}

func TestCaseWorkflow(t *testing.T) { suite.Run(t, new(caseSuite)) }

func (s *caseSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.RegisterWorkflow(CaseWorkflow)
	s.env.RegisterWorkflow(ClaimWorkflow)
	s.env.RegisterActivity(a)
	s.mockHold()
	s.claims = nil
	s.env.OnActivity(a.BuildClaim, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.BuildClaimInput) (activities.BuildClaimResult, error) {
			if s.noCoverage {
				return activities.BuildClaimResult{Problem: "no active primary coverage", TaskID: "task-cov-" + in.EncounterID}, nil
			}
			return activities.BuildClaimResult{ClaimID: "claim-" + in.EncounterID}, nil
		}).Maybe()
	s.env.OnWorkflow(ClaimWorkflow, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, in contract.ClaimInput) error {
			s.claims = append(s.claims, in)
			return nil
		}).Maybe()
	s.raised = map[string]time.Time{}
	s.stages = nil
	s.env.OnActivity(a.RecordEncounter, mock.Anything, mock.Anything).Return(nil).Maybe()
	s.env.OnActivity(a.CompleteCharges, mock.Anything, mock.Anything).Return(nil).Maybe()
	s.env.OnActivity(a.VoidCharge, mock.Anything, mock.Anything).Return(nil).Maybe()
	s.env.OnActivity(a.CaptureCharge, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in billing.ChargeInput) (billing.ChargeResult, error) {
			unit := decimal.RequireFromString("100.00")
			if in.PriceOverride != nil {
				unit = *in.PriceOverride
			}
			return billing.ChargeResult{ChargeID: in.ChargeID, UnitPrice: unit,
				Amount: unit.Mul(decimal.NewFromInt(int64(in.Units)))}, nil
		}).Maybe()
	s.env.OnActivity(a.RecordPayment, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in billing.PaymentInput) (billing.PaymentResult, error) {
			return billing.PaymentResult{PaymentID: "pay-" + in.IdempotencyKey, Amount: in.Amount}, nil
		}).Maybe()
	s.env.OnActivity(a.RecordAdjustment, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in billing.AdjustmentInput) (billing.PaymentResult, error) {
			return billing.PaymentResult{PaymentID: "adj-" + in.IdempotencyKey, Amount: in.Amount}, nil
		}).Maybe()
	s.env.OnActivity(a.RaiseMissingChargesTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.MissingChargesInput) (string, error) {
			s.raised[in.EncounterID] = in.DueAt
			return "task-" + in.EncounterID, nil
		}).Maybe()
	s.stageFailures = 0
	s.env.OnActivity(a.SetCaseStage, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.StageInput) error {
			if s.stageFailures > 0 {
				s.stageFailures--
				return errors.New("database restarting")
			}
			s.stages = append(s.stages, in.Stage)
			return nil
		}).Maybe()
}

func (s *caseSuite) AfterTest(_, _ string) { s.env.AssertExpectations(s.T()) }

// update sends an update at delay and stores its result or error.
func (s *caseSuite) update(delay time.Duration, name string, arg any, errOut *error) {
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { *errOut = err },
			OnAccept: func() {},
			OnComplete: func(_ any, err error) {
				if err != nil {
					*errOut = err
				}
			},
		}, arg)
	}, delay)
}

func (s *caseSuite) query() contract.CaseView {
	v, err := s.env.QueryWorkflow(contract.QueryCaseState)
	s.Require().NoError(err)
	var out contract.CaseView
	s.Require().NoError(v.Get(&out))
	return out
}

func (s *caseSuite) run(kind cases.Kind, after time.Duration, end time.Duration) error {
	s.env.RegisterDelayedCallback(s.env.CancelWorkflow, end)
	s.env.ExecuteWorkflow(CaseWorkflow, contract.CaseInput{CaseID: "c1", PatientID: "p1", Kind: kind, MissingChargesAfter: after})
	s.Require().True(s.env.IsWorkflowCompleted())
	return s.env.GetWorkflowError()
}

func charge(id, enc string, units int) billing.ChargeInput {
	return billing.ChargeInput{ChargeID: id, EncounterID: enc, ProcedureCode: "99213", Units: units,
		Diagnoses: []string{"E11.9"}, DiagnosisPointers: []int{1}}
}

func checkIn(enc string) contract.CheckInRequest {
	return contract.CheckInRequest{EncounterID: enc, ProviderID: "prov", LocationID: "loc", ServiceDate: "2026-11-20"}
}

func (s *caseSuite) TestPrivateCaseFromCheckInToPaid() {
	var errs [6]error
	var mid, end contract.CaseView
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(2*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 2), &errs[1])
	s.update(3*time.Minute, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e1"}, &errs[2])
	s.env.RegisterDelayedCallback(func() { mid = s.query() }, 4*time.Minute)
	pay := billing.PaymentInput{Amount: decimal.RequireFromString("150.00"), Method: "card", IdempotencyKey: "k1"}
	s.update(5*time.Minute, contract.UpdateRecordPayment, pay, &errs[3])
	s.update(6*time.Minute, contract.UpdateRecordPayment, pay, &errs[4]) // retried: counted once
	adj := billing.AdjustmentInput{Amount: decimal.RequireFromString("50.00"), Reason: "courtesy", IdempotencyKey: "a1"}
	s.update(7*time.Minute, contract.UpdateRecordAdjustment, adj, &errs[5])
	s.env.RegisterDelayedCallback(func() { end = s.query() }, 8*time.Minute)

	err := s.run("private", 24*time.Hour, time.Hour)
	s.True(temporal.IsCanceledError(err), "workflow ends only when cancelled: %v", err)
	for i, e := range errs {
		s.NoError(e, "update %d", i)
	}
	s.Equal(cases.StagePatientBalance, mid.Stage)
	s.Equal("200", mid.Totals.PatientBalance.String())
	s.Equal(cases.StagePaid, end.Stage)
	s.Len(end.Payments, 1, "a retried payment is recorded once")
	s.True(end.Totals.Balance.IsZero(), "balance %s", end.Totals.Balance)
	s.Equal([]string{cases.StageChargeCapture, cases.StagePatientBalance, cases.StagePaid}, s.stages)
	s.Empty(s.raised, "charges completed in time: no task")
}

func (s *caseSuite) TestMissingChargesTaskAfterWindow() {
	var errs [2]error
	var view contract.CaseView
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(2*time.Minute, contract.UpdateCheckIn, checkIn("e2"), &errs[1])
	// e2 gets its charges in time; e1 does not.
	s.update(time.Hour, contract.UpdateAddCharge, charge("ch2", "e2", 1), &errs[1])
	s.update(2*time.Hour, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e2"}, &errs[1])
	s.env.RegisterDelayedCallback(func() {
		s.Empty(s.raised, "no task before the window closes")
	}, 47*time.Hour)
	s.env.RegisterDelayedCallback(func() { view = s.query() }, 72*time.Hour)

	err := s.run("private", 48*time.Hour, 96*time.Hour)
	s.True(temporal.IsCanceledError(err), "%v", err)
	s.NoError(errs[0])
	s.NoError(errs[1])
	s.Require().Contains(s.raised, "e1")
	s.NotContains(s.raised, "e2")
	s.Len(s.raised, 1, "the task is raised once, not on every wake-up")
	s.Equal("task-e1", view.Encounters[0].MissingChargesTaskID)
	s.Equal(cases.StageChargeCapture, view.Stage)
}

func (s *caseSuite) TestTimerWaitsForLaterVisitAfterEarlierOneCompletes() {
	var err1 error
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &err1)
	s.update(10*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 1), &err1)
	s.update(11*time.Minute, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e1"}, &err1)
	s.update(5*time.Hour, contract.UpdateCheckIn, checkIn("e2"), &err1)
	s.env.RegisterDelayedCallback(func() { s.Empty(s.raised) }, 28*time.Hour)
	err := s.run("insurance", 24*time.Hour, 30*time.Hour)
	s.True(temporal.IsCanceledError(err), "%v", err)
	s.NoError(err1)
	s.Contains(s.raised, "e2")
}

func (s *caseSuite) TestInvalidChargeRejectedWithFieldErrors() {
	var ok, bad, unknownEnc, noReason error
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &ok)
	in := charge("ch1", "e1", 1)
	in.ProcedureCode = "99X"
	in.Diagnoses = []string{"not-a-code"}
	in.DiagnosisPointers = []int{3}
	s.update(2*time.Minute, contract.UpdateAddCharge, in, &bad)
	s.update(3*time.Minute, contract.UpdateAddCharge, charge("ch2", "nope", 1), &unknownEnc)
	s.update(4*time.Minute, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e1"}, &noReason)
	var view contract.CaseView
	s.env.RegisterDelayedCallback(func() { view = s.query() }, 5*time.Minute)
	err := s.run("private", 24*time.Hour, time.Hour)
	s.True(temporal.IsCanceledError(err))
	s.NoError(ok)

	var appErr *temporal.ApplicationError
	s.Require().True(errors.As(bad, &appErr), "%v", bad)
	s.Equal(contract.ErrTypeInvalid, appErr.Type())
	var fe []validate.FieldError
	s.Require().NoError(appErr.Details(&fe))
	fields := map[string]bool{}
	for _, f := range fe {
		fields[f.Field] = true
	}
	s.True(fields["procedure_code"], "%v", fe)
	s.True(fields["diagnoses[0]"], "%v", fe)
	s.True(fields["diagnosis_pointers[0]"], "%v", fe)

	s.Require().True(errors.As(unknownEnc, &appErr))
	s.Equal(contract.ErrTypeNotFound, appErr.Type())
	s.Require().True(errors.As(noReason, &appErr))
	s.Equal(contract.ErrTypeInvalid, appErr.Type())
	s.Empty(view.Encounters[0].Charges, "a rejected charge changes nothing")
	s.Nil(view.Encounters[0].ChargesCompletedAt)
}

func (s *caseSuite) TestVoidAndLateCharge() {
	var errs [4]error
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(2*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 1), &errs[1])
	s.update(3*time.Minute, contract.UpdateVoidCharge, contract.VoidChargeRequest{ChargeID: "ch1", Reason: "wrong code"}, &errs[2])
	s.update(4*time.Minute, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e1", NoChargeReason: "post-op visit"}, &errs[3])
	var late error
	s.update(5*time.Minute, contract.UpdateAddCharge, charge("ch2", "e1", 1), &late)
	var view contract.CaseView
	s.env.RegisterDelayedCallback(func() { view = s.query() }, 6*time.Minute)
	err := s.run("private", 24*time.Hour, time.Hour)
	s.True(temporal.IsCanceledError(err))
	for _, e := range errs {
		s.NoError(e)
	}
	var appErr *temporal.ApplicationError
	s.Require().True(errors.As(late, &appErr), "%v", late)
	s.Equal(contract.ErrTypeConflict, appErr.Type())
	s.True(view.Encounters[0].Charges[0].Voided)
	s.True(view.Totals.Charges.IsZero())
	s.Equal(cases.StagePaid, view.Stage)
}

func (s *caseSuite) TestOverpaymentBecomesCredit() {
	var errs [4]error
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(2*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 1), &errs[1])
	s.update(3*time.Minute, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e1"}, &errs[2])
	s.update(4*time.Minute, contract.UpdateRecordPayment, billing.PaymentInput{Amount: decimal.RequireFromString("130.25"),
		Method: "cash", IdempotencyKey: "k"}, &errs[3])
	var view contract.CaseView
	s.env.RegisterDelayedCallback(func() { view = s.query() }, 5*time.Minute)
	err := s.run("private", 24*time.Hour, time.Hour)
	s.True(temporal.IsCanceledError(err))
	s.True(view.Totals.PatientBalance.IsZero())
	s.Equal("30.25", view.Totals.PatientCredit.StringFixed(2))
	s.Equal(cases.StagePaid, view.Stage)
}

func (s *caseSuite) TestCreditMovedOffTheCaseIsRecordedOnceAndMovesTheTotals() {
	var errs [7]error
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(2*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 1), &errs[1])
	s.update(3*time.Minute, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e1"}, &errs[2])
	s.update(4*time.Minute, contract.UpdateRecordPayment, billing.PaymentInput{Amount: decimal.RequireFromString("130.25"),
		Method: "cash", IdempotencyKey: "k"}, &errs[3])
	// 30.25 of credit applied to another case, the move retried, then a bad one.
	out := billing.CreditMove{ID: "m1", CaseID: "c1", Amount: decimal.RequireFromString("-30.25"), Kind: "applied_out"}
	s.update(5*time.Minute, contract.UpdateRecordCreditMove, out, &errs[4])
	s.update(6*time.Minute, contract.UpdateRecordCreditMove, out, &errs[5])
	s.update(7*time.Minute, contract.UpdateRecordCreditMove, billing.CreditMove{ID: "m2", CaseID: "other"}, &errs[6])
	var view contract.CaseView
	s.env.RegisterDelayedCallback(func() { view = s.query() }, 8*time.Minute)
	err := s.run("private", 24*time.Hour, time.Hour)
	s.True(temporal.IsCanceledError(err))
	for _, e := range errs[:6] {
		s.NoError(e)
	}
	s.Require().Error(errs[6], "a move without an amount, for another case, is refused")
	s.Contains(errs[6].Error(), "amount")
	s.True(view.Totals.PatientCredit.IsZero(), "the credit left the case")
	s.True(view.Totals.PatientBalance.IsZero())
	s.Equal("100.00", view.Totals.Payments.StringFixed(2), "recorded once")
}

func TestStageByKind(t *testing.T) {
	done := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for kind, want := range map[cases.Kind]string{
		"insurance": cases.StageReadyToBill, "workers_comp": cases.StageReadyToBill,
		"mva": cases.StageHeld, "personal_injury": cases.StageHeld, "private": cases.StagePatientBalance,
	} {
		w := newCaseWorkflow(contract.CaseInput{Kind: kind})
		w.s.Encounters = []contract.Encounter{{ID: "e", ChargesCompletedAt: &done,
			Charges: []contract.Charge{{ID: "c", Amount: decimal.NewFromInt(10)}}}}
		require.Equal(t, want, w.stage(), kind)
	}
}

func (s *caseSuite) TestContinuesAsNewCarryingState() {
	var err1 error
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &err1)
	for i := range 8 {
		s.update(time.Duration(2+i)*time.Minute, contract.UpdateAddCharge, charge(fmt.Sprintf("ch%d", i), "e1", 1), &err1)
	}
	// The server suggests continuing as new (history too long): the main loop drains
	// running handlers and continues with its state.
	s.env.RegisterDelayedCallback(func() { s.env.SetContinueAsNewSuggested(true) }, 15*time.Minute)
	s.env.ExecuteWorkflow(CaseWorkflow, contract.CaseInput{CaseID: "c1", PatientID: "p1", Kind: "private", MissingChargesAfter: 24 * time.Hour})
	s.Require().True(s.env.IsWorkflowCompleted())
	s.NoError(err1)
	var can *workflow.ContinueAsNewError
	s.Require().True(errors.As(s.env.GetWorkflowError(), &can), "%v", s.env.GetWorkflowError())
	var next contract.CaseInput
	s.Require().NoError(converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	s.Require().NotNil(next.State)
	s.Equal("c1", next.State.CaseID)
	s.Require().Len(next.State.Encounters, 1)
	s.Len(next.State.Encounters[0].Charges, 8, "charges carried into the next run")
	// The next run starts from the carried state.
	w := newCaseWorkflow(next)
	s.Equal(len(next.State.Encounters[0].Charges), len(w.s.Encounters[0].Charges))
}

func (s *caseSuite) TestInsuranceCaseBillsCompletedVisitAndLearnsPayerMoney() {
	var errs [4]error
	var billed, afterERA, end contract.CaseView
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(2*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 2), &errs[1])
	s.update(3*time.Minute, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e1"}, &errs[2])
	s.env.RegisterDelayedCallback(func() { billed = s.query() }, 4*time.Minute)
	d := decimal.RequireFromString
	era := contract.InsuranceEvent{ID: "era:rc1", CaseID: "c1", ClaimID: "claim-e1", Paid: d("120.00"), Contractual: d("40.00"), ToPatient: d("40.00")}
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(contract.SignalInsurance, era) }, 5*time.Minute)
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(contract.SignalInsurance, era) }, 6*time.Minute) // a duplicate
	s.env.RegisterDelayedCallback(func() { afterERA = s.query() }, 7*time.Minute)
	pay := billing.PaymentInput{Amount: d("40.00"), Method: "card", IdempotencyKey: "k1"}
	s.update(8*time.Minute, contract.UpdateRecordPayment, pay, &errs[3])
	s.env.RegisterDelayedCallback(func() { end = s.query() }, 9*time.Minute)

	err := s.run("insurance", time.Hour, 10*time.Minute)
	s.True(temporal.IsCanceledError(err), "%v", err)
	for _, e := range errs {
		s.NoError(e)
	}
	s.Require().Len(s.claims, 1, "one claim workflow for the visit")
	s.Equal(contract.ClaimInput{ClaimID: "claim-e1", CaseID: "c1", DayLength: 0}, s.claims[0])
	s.Equal([]string{"claim-e1"}, billed.Encounters[0].ClaimIDs)
	s.Equal(cases.StageBilled, billed.Stage)
	s.Equal("200", billed.Totals.OtherReceivable.String())

	s.Len(afterERA.Insurance, 1, "a repeated event counts once")
	t := afterERA.Totals
	s.Equal(cases.StagePatientBalance, afterERA.Stage)
	s.True(t.OtherReceivable.IsZero(), t.OtherReceivable.String())
	s.Equal("40", t.PatientBalance.String())
	s.Equal("40", t.Balance.String())
	s.Equal("120", t.InsurancePaid.String())

	s.Equal(cases.StagePaid, end.Stage)
	s.True(end.Totals.Balance.IsZero())
	s.Contains(s.stages, cases.StageBilled)
	s.Contains(s.stages, cases.StagePatientBalance)
	s.Equal(cases.StagePaid, s.stages[len(s.stages)-1])
}

// TestVisitCompletedWhileTheStageIsPublishedIsBilled: charges are captured and
// completed while the main loop waits on publishing the stage (SetCaseStage
// retried, as after a crash or with the database away); the visit is billed
// once the stage is out, instead of the loop sleeping on it for good.
func (s *caseSuite) TestVisitCompletedWhileTheStageIsPublishedIsBilled() {
	var errs [3]error
	var view contract.CaseView
	s.stageFailures = 5 // retried after 1+2+4+8+16 s
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(time.Minute+5*time.Second, contract.UpdateAddCharge, charge("ch1", "e1", 1), &errs[1])
	s.update(time.Minute+10*time.Second, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e1"}, &errs[2])
	s.env.RegisterDelayedCallback(func() { view = s.query() }, 9*time.Minute)
	err := s.run("insurance", time.Hour, 10*time.Minute)
	s.True(temporal.IsCanceledError(err), "%v", err)
	for _, e := range errs {
		s.NoError(e)
	}
	s.Zero(s.stageFailures, "the stage was retried while the visit completed")
	s.Require().Len(s.claims, 1, "the visit completed meanwhile is billed")
	s.Equal([]string{"claim-e1"}, view.Encounters[0].ClaimIDs)
	s.Equal(cases.StageBilled, view.Stage)
}

func (s *caseSuite) TestInsuranceVisitWithoutCoverageRaisesTaskOnce() {
	s.noCoverage = true
	var errs [3]error
	var view contract.CaseView
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(2*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 1), &errs[1])
	s.update(3*time.Minute, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e1"}, &errs[2])
	s.env.RegisterDelayedCallback(func() { view = s.query() }, 10*time.Minute)
	err := s.run("insurance", time.Hour, 11*time.Minute)
	s.True(temporal.IsCanceledError(err), "%v", err)
	s.Empty(s.claims)
	s.Require().Len(view.BillingProblems, 1)
	s.Equal(contract.BillingProblem{EncounterID: "e1", TaskID: "task-cov-e1", Problem: "no active primary coverage"}, view.BillingProblems[0])
	s.Equal(cases.StageReadyToBill, view.Stage)
}

func (s *caseSuite) TestRetryBillingAfterCoverageAdded() {
	s.noCoverage = true
	var errs [3]error
	var before, after contract.CaseView
	var retried int
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(2*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 1), &errs[1])
	s.update(3*time.Minute, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e1"}, &errs[2])
	s.env.RegisterDelayedCallback(func() { before = s.query() }, 4*time.Minute)
	s.env.RegisterDelayedCallback(func() {
		s.noCoverage = false // the front desk added the coverage
		s.env.UpdateWorkflow(contract.UpdateRetryBilling, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { s.Fail("rejected", err.Error()) }, OnAccept: func() {},
			OnComplete: func(v any, err error) {
				s.Require().NoError(err)
				retried = v.(int)
			},
		}, contract.RetryBillingRequest{})
	}, 5*time.Minute)
	s.env.RegisterDelayedCallback(func() { after = s.query() }, 6*time.Minute)
	err := s.run("insurance", time.Hour, 7*time.Minute)
	s.True(temporal.IsCanceledError(err), "%v", err)
	s.Len(before.BillingProblems, 1)
	s.Equal(1, retried)
	s.Empty(after.BillingProblems)
	s.Equal([]string{"claim-e1"}, after.Encounters[0].ClaimIDs)
	s.Equal(cases.StageBilled, after.Stage)
	s.Len(s.claims, 1)
}

func (s *caseSuite) TestHeldCaseIsNotBilled() {
	var errs [3]error
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(2*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 1), &errs[1])
	s.update(3*time.Minute, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e1"}, &errs[2])
	err := s.run("mva", time.Hour, 10*time.Minute)
	s.True(temporal.IsCanceledError(err), "%v", err)
	s.Empty(s.claims, "legal cases hold their charges")
}

// A held case reads held while its lien is open, and paid once the settlement
// paid it (an attorney's check, a reduction); runs begun before the change
// keep reading held.
func (s *caseSuite) TestSettledHeldCaseLeavesHeld() {
	for _, version := range []workflow.Version{workflow.DefaultVersion, 1} {
		s.SetupTest()
		s.env.OnGetVersion("held-case-settles", workflow.DefaultVersion, 1).Return(version)
		var errs [3]error
		var held, settled contract.CaseView
		s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
		s.update(2*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 2), &errs[1])
		s.update(3*time.Minute, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e1"}, &errs[2])
		s.env.RegisterDelayedCallback(func() { held = s.query() }, 4*time.Minute)
		owed := func() decimal.Decimal { return held.Totals.OtherReceivable }
		s.env.RegisterDelayedCallback(func() {
			reduction := decimal.RequireFromString("20.00")
			s.env.SignalWorkflow(contract.SignalInsurance, contract.InsuranceEvent{ID: "legal-reduction:r1", CaseID: "c1", WrittenOff: reduction})
			s.env.SignalWorkflow(contract.SignalInsurance, contract.InsuranceEvent{ID: "legal-payment:p1", CaseID: "c1", Paid: owed().Sub(reduction)})
		}, 5*time.Minute)
		s.env.RegisterDelayedCallback(func() { settled = s.query() }, 6*time.Minute)
		err := s.run("mva", time.Hour, 10*time.Minute)
		s.True(temporal.IsCanceledError(err), "%v", err)
		for _, e := range errs {
			s.NoError(e)
		}
		s.Equal(cases.StageHeld, held.Stage, "version %d", version)
		s.True(owed().IsPositive())
		s.True(settled.Totals.OtherReceivable.IsZero(), settled.Totals.OtherReceivable.String())
		if version == workflow.DefaultVersion {
			s.Equal(cases.StageHeld, settled.Stage, "runs begun before read held for good")
			continue
		}
		s.Equal(cases.StagePaid, settled.Stage)
		s.Equal(cases.StagePaid, s.stages[len(s.stages)-1], "published")
	}
}
