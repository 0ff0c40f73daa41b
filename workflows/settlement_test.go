package workflows

import (
	"context"
	"errors"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/workflows/contract"
)

// book is the test's stand-in for the ledger of one held case: two charges,
// ch1 100.00 and ch2 150.00, held until released.
type book struct {
	charges    map[string]decimal.Decimal
	released   map[string]bool
	attorney   decimal.Decimal
	insurer    decimal.Decimal
	settlement contract.Settlement
	reduced    decimal.Decimal
	dropped    string
	toCase     []contract.InsuranceEvent
	claims     []string
	payments   map[string]decimal.Decimal
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func (b *book) held() decimal.Decimal {
	t := decimal.Zero
	for id, amt := range b.charges {
		if !b.released[id] && b.dropped == "" {
			t = t.Add(amt)
		}
	}
	return t
}

func (b *book) owed() contract.LegalMoney {
	return contract.LegalMoney{Held: b.held(), Attorney: b.attorney, Insurer: b.insurer}
}

// settling mocks the settlement activities over a book and the case and
// claim workflows the hold talks to.
func (s *holdSuite) settling() *book {
	b := &book{charges: map[string]decimal.Decimal{"ch1": d("100"), "ch2": d("150")}, released: map[string]bool{},
		payments: map[string]decimal.Decimal{}}
	s.facts.LienOnFile = true
	s.env.OnActivity(a.RecordSettlement, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SettleInput) (contract.Settlement, error) {
			held := b.held()
			st := contract.Settlement{ID: "st-" + in.UpdateID, Amount: in.Request.Amount, HeldTotal: held,
				PayVia: in.Request.PayVia, RecordedAt: in.At}
			if p := in.Request.ReductionPercent; p != nil {
				st.RequestedPercent, st.RequestedReduction = *p, held.Mul(*p).Div(d("100")).Round(2)
			}
			st.Status = contract.SettlementAutoApproved
			st.ApprovedReduction = st.RequestedReduction
			if st.RequestedPercent.GreaterThan(d("15")) {
				st.Status, st.ApprovedReduction = contract.SettlementPending, decimal.Zero
			}
			b.settlement = st
			return st, nil
		}).Maybe()
	s.env.OnActivity(a.DecideReduction, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.DecideReductionInput) (contract.Settlement, error) {
			st := b.settlement
			switch in.Decision {
			case contract.DecisionApprove:
				st.Status, st.ApprovedReduction = contract.SettlementApproved, st.RequestedReduction
			case contract.DecisionCounter:
				st.Status, st.ApprovedReduction = contract.SettlementCountered, *in.Counter
			default:
				st.Status, st.ApprovedReduction = contract.SettlementRefused, decimal.Zero
			}
			b.settlement = st
			return st, nil
		}).Maybe()
	s.env.OnActivity(a.ReleaseHeld, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ReleaseInput) (activities.ReleaseOutcome, error) {
			r := contract.Release{ID: "rel-" + in.UpdateID, To: in.Request.To, At: in.At}
			ids := in.Request.ChargeIDs
			if len(ids) == 0 {
				ids = []string{"ch1", "ch2"}
			}
			for _, id := range ids {
				if !b.released[id] {
					b.released[id] = true
					r.Amount, r.Charges = r.Amount.Add(b.charges[id]), r.Charges+1
				}
			}
			if in.Request.To == contract.PayAttorney {
				r.Reduction = decimal.Min(b.settlement.ApprovedReduction.Sub(b.reduced), r.Amount)
				b.reduced = b.reduced.Add(r.Reduction)
				b.attorney = b.attorney.Add(r.Amount).Sub(r.Reduction)
			} else {
				b.insurer = b.insurer.Add(r.Amount)
				r.ClaimIDs = []string{"claim-" + ids[0]}
			}
			return activities.ReleaseOutcome{Release: r, Owed: b.owed()}, nil
		}).Maybe()
	s.env.OnActivity(a.DropCase, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.DropInput) (activities.DropOutcome, error) {
			amt := b.held().Add(b.attorney)
			b.dropped, b.attorney = in.Request.Disposition, decimal.Zero
			return activities.DropOutcome{Amount: amt, Owed: b.owed()}, nil
		}).Maybe()
	s.env.OnActivity(a.RecordLegalPayment, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.LegalPaymentInput) (activities.LegalPaymentOutcome, error) {
			if _, ok := b.payments[in.Request.IdempotencyKey]; !ok {
				b.payments[in.Request.IdempotencyKey] = in.Request.Amount
				b.attorney = b.attorney.Sub(in.Request.Amount)
			}
			return activities.LegalPaymentOutcome{PaymentID: "pay-" + in.Request.IdempotencyKey, Amount: in.Request.Amount,
				Owed: b.owed()}, nil
		}).Maybe()
	s.env.OnSignalExternalWorkflow(mock.Anything, contract.CaseWorkflowID("c1"), "", contract.SignalInsurance, mock.Anything).Return(
		func(_, _, _, _ string, arg any) error {
			b.toCase = append(b.toCase, arg.(contract.InsuranceEvent))
			return nil
		}).Maybe()
	s.env.RegisterWorkflow(ClaimWorkflow)
	s.env.OnWorkflow(ClaimWorkflow, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, in contract.ClaimInput) error {
			b.claims = append(b.claims, in.ClaimID)
			return nil
		}).Maybe()
	return b
}

// send sends a settlement update at delay; its error lands in errOut.
func (s *holdSuite) send(delay time.Duration, name string, arg any, errOut *error) {
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { *errOut = err }, OnAccept: func() {},
			OnComplete: func(_ any, err error) { *errOut = err },
		}, arg)
	}, delay)
}

// runToEnd runs a hold that ends by itself (settled and paid, or dropped)
// before end.
func (s *holdSuite) runToEnd(end time.Duration) {
	s.env.SetTestTimeout(time.Minute)
	s.env.RegisterDelayedCallback(func() { s.Fail("the hold did not end") }, end)
	s.env.ExecuteWorkflow(HoldWorkflow, contract.HoldInput{CaseID: "c1", Visits: []contract.HoldVisit{visitAt("e1", 0)}})
	s.Require().True(s.env.IsWorkflowCompleted())
	s.NoError(s.env.GetWorkflowError())
}

func isConflict(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeConflict
}

func pct(s string) *decimal.Decimal { v := d(s); return &v }

func (s *holdSuite) TestLargeReductionWaitsForApprovalThenReleasesToAttorneyAndCloses() {
	b := s.settling()
	var errs [6]error
	var pending, released contract.HoldView
	s.send(holdDay, contract.UpdateSettle, contract.SettlementRequest{Amount: d("25000"), ReductionPercent: pct("30"),
		PayVia: contract.PayAttorney}, &errs[0])
	s.env.RegisterDelayedCallback(func() { pending = s.query() }, holdDay+time.Hour)
	s.send(holdDay+2*time.Hour, contract.UpdateRelease, contract.ReleaseRequest{To: contract.PayAttorney}, &errs[1])
	s.send(holdDay+3*time.Hour, contract.UpdateRecordFollowUp, contract.FollowUpRequest{Outcome: contract.OutcomeSettled}, &errs[2])
	s.send(2*holdDay, contract.UpdateDecideApproval, contract.ApprovalDecision{Decision: contract.DecisionApprove}, &errs[3])
	s.send(2*holdDay+time.Hour, contract.UpdateRelease, contract.ReleaseRequest{To: contract.PayAttorney}, &errs[4])
	s.env.RegisterDelayedCallback(func() { released = s.query() }, 2*holdDay+2*time.Hour)
	s.send(3*holdDay, contract.UpdateLegalPayment, contract.LegalPaymentRequest{Payer: contract.PayAttorney,
		Amount: d("175"), Method: "check", IdempotencyKey: "chk-1"}, &errs[5])
	s.runToEnd(30 * holdDay)

	s.NoError(errs[0])
	s.True(isConflict(errs[1]), "no release while the reduction waits for a manager: %v", errs[1])
	s.NoError(errs[2], "a follow-up may still be recorded while settling")
	s.NoError(errs[3])
	s.NoError(errs[4])
	s.NoError(errs[5])
	s.Equal(contract.HoldStatusSettling, pending.Status)
	s.Require().NotNil(pending.Approval)
	s.Equal(contract.ApprovalReduction, pending.Approval.Kind)
	approvals := s.of(tasks.KindReductionApproval)
	s.Require().Len(approvals, 1)
	s.Equal(tasks.QueueApprovals, approvals[0].Queue)
	s.Equal(contract.UpdateDecideApproval, approvals[0].AnswerUpdate)
	s.Equal(holdStart.Add(holdDay), approvals[0].At)
	s.Contains(s.resolved, approvals[0].BusinessKey, "the decision closes the approval task")
	s.Empty(s.of(tasks.KindApprovalOverdue), "answered in time: no escalation")

	s.Equal(contract.HoldStatusReleased, released.Status, "the attorney still owes")
	s.Require().Len(released.Releases, 1)
	s.Equal("75.00", released.Releases[0].Reduction.StringFixed(2))
	s.Require().Len(b.toCase, 2)
	s.Equal("75.00", b.toCase[0].WrittenOff.StringFixed(2), "the case learns the reduction")
	s.Equal("175.00", b.toCase[1].Paid.StringFixed(2), "and the attorney's payment")
	s.True(b.attorney.IsZero())
	last := s.publish[len(s.publish)-1]
	s.Equal(contract.HoldStatusClosed, last.Status, "the holds list shows the case closed")
}

func (s *holdSuite) TestUnansweredApprovalIsEscalatedOnceThenCountered() {
	b := s.settling()
	var errs [3]error
	s.send(holdDay, contract.UpdateSettle, contract.SettlementRequest{Amount: d("25000"), ReductionPercent: pct("40"),
		PayVia: contract.PayAttorney}, &errs[0])
	s.send(6*holdDay, contract.UpdateDecideApproval, contract.ApprovalDecision{Decision: contract.DecisionCounter}, &errs[1])
	s.send(7*holdDay, contract.UpdateDecideApproval, contract.ApprovalDecision{Decision: contract.DecisionCounter,
		CounterReduction: pct("50")}, &errs[2])
	var after contract.HoldView
	s.env.RegisterDelayedCallback(func() { after = s.query() }, 8*holdDay)
	s.run(contract.HoldInput{Visits: []contract.HoldVisit{visitAt("e1", 0)}}, 9*holdDay)

	s.NoError(errs[0])
	s.Equal([]string{"counter_reduction"}, fieldsOf(errs[1]), "a counter names its amount")
	s.NoError(errs[2])
	overdue := s.of(tasks.KindApprovalOverdue)
	s.Require().Len(overdue, 1, "escalated once")
	s.Equal(holdStart.Add(3*holdDay), overdue[0].At, "two of the hold's days after the request")
	s.Equal(9, overdue[0].Priority)
	s.Contains(s.resolved, overdue[0].BusinessKey, "the decision closes the escalation too")
	s.Nil(after.Approval)
	s.Equal(contract.SettlementCountered, b.settlement.Status)
	s.Equal("50.00", after.Settlement.ApprovedReduction.StringFixed(2))
}

func (s *holdSuite) TestRefusedReductionReleasesAtFullBalance() {
	b := s.settling()
	var errs [3]error
	s.send(holdDay, contract.UpdateSettle, contract.SettlementRequest{Amount: d("9000"), ReductionPercent: pct("50"),
		PayVia: contract.PayAttorney}, &errs[0])
	s.send(2*holdDay, contract.UpdateDecideApproval, contract.ApprovalDecision{Decision: contract.DecisionRefuse}, &errs[1])
	s.send(2*holdDay+time.Hour, contract.UpdateRelease, contract.ReleaseRequest{To: contract.PayAttorney}, &errs[2])
	s.run(contract.HoldInput{Visits: []contract.HoldVisit{visitAt("e1", 0)}}, 3*holdDay)
	for i, e := range errs {
		s.NoError(e, "update %d", i)
	}
	s.Equal(contract.SettlementRefused, b.settlement.Status)
	s.Equal("250.00", b.attorney.StringFixed(2), "nothing written off")
	s.Empty(b.toCase)
}

func (s *holdSuite) TestPartialReleaseToInsurerKeepsTheRestHeldAndWatched() {
	b := s.settling()
	var errs [1]error
	var after contract.HoldView
	s.send(5*holdDay, contract.UpdateRelease, contract.ReleaseRequest{To: contract.PayInsurer, ChargeIDs: []string{"ch1"}}, &errs[0])
	s.env.RegisterDelayedCallback(func() { after = s.query() }, 6*holdDay)
	s.run(contract.HoldInput{Visits: []contract.HoldVisit{visitAt("e1", 0)}}, 31*holdDay)

	s.NoError(errs[0])
	s.Equal([]string{"claim-ch1"}, b.claims, "the insurer's claim runs in its own claim workflow")
	s.Equal(contract.HoldStatusHeld, after.Status, "150.00 is still held")
	s.Equal("150.00", after.Owed.Held.StringFixed(2))
	s.NotEmpty(after.Timers, "the rest is still watched")
	s.Len(s.of(tasks.KindAttorneyFollowUp), 1, "the follow-up comes on day 30 as before")
}

func (s *holdSuite) TestDroppedCaseMovesToThePatientAndEnds() {
	b := s.settling()
	var errs [2]error
	s.send(31*holdDay, contract.UpdateDrop, contract.DropRequest{Disposition: "lost", Reason: ""}, &errs[0])
	s.send(32*holdDay, contract.UpdateDrop, contract.DropRequest{Disposition: contract.DropToPatient, Reason: "attorney withdrew"}, &errs[1])
	s.runToEnd(60 * holdDay)

	s.ElementsMatch([]string{"disposition", "reason"}, fieldsOf(errs[0]))
	s.NoError(errs[1])
	s.Require().Len(b.toCase, 1)
	s.Equal("250.00", b.toCase[0].ToPatient.StringFixed(2), "the balance became the patient's")
	followUps := s.of(tasks.KindAttorneyFollowUp)
	s.Require().Len(followUps, 1)
	s.Contains(s.resolved, followUps[0].BusinessKey, "the open follow-up closes with the case")
	s.Equal(contract.HoldStatusDropped, s.publish[len(s.publish)-1].Status)
}

func (s *holdSuite) TestDroppedCaseWriteOffNeedsAManager() {
	b := s.settling()
	var errs [4]error
	var refused contract.HoldView
	s.send(holdDay, contract.UpdateDrop, contract.DropRequest{Disposition: contract.DropWriteOff, Reason: "no recovery"}, &errs[0])
	s.send(2*holdDay, contract.UpdateDecideApproval, contract.ApprovalDecision{Decision: contract.DecisionRefuse}, &errs[1])
	s.env.RegisterDelayedCallback(func() { refused = s.query() }, 2*holdDay+time.Hour)
	s.send(3*holdDay, contract.UpdateDrop, contract.DropRequest{Disposition: contract.DropWriteOff, Reason: "no recovery"}, &errs[2])
	s.send(4*holdDay, contract.UpdateDecideApproval, contract.ApprovalDecision{Decision: contract.DecisionApprove}, &errs[3])
	s.runToEnd(30 * holdDay)

	for i, e := range errs {
		s.NoError(e, "update %d", i)
	}
	s.Equal(contract.HoldStatusHeld, refused.Status, "a refused write-off leaves the case held")
	s.Empty(refused.Dropped)
	s.Len(s.of(tasks.KindLegalWriteOff), 2)
	s.Equal(contract.DropWriteOff, b.dropped)
	s.Require().Len(b.toCase, 1)
	s.Equal("250.00", b.toCase[0].WrittenOff.StringFixed(2))
}

func (s *holdSuite) TestSettlementBadInputIsRefusedBeforeAnythingRuns() {
	b := s.settling()
	var errs [3]error
	s.send(holdDay, contract.UpdateSettle, contract.SettlementRequest{Amount: d("-1"), ReductionPercent: pct("120"),
		PayVia: "cash"}, &errs[0])
	s.send(holdDay+time.Hour, contract.UpdateRelease, contract.ReleaseRequest{To: "court"}, &errs[1])
	s.send(holdDay+2*time.Hour, contract.UpdateLegalPayment, contract.LegalPaymentRequest{Payer: contract.PayAttorney,
		Amount: d("10"), Method: "check", IdempotencyKey: "k"}, &errs[2])
	s.run(contract.HoldInput{Visits: []contract.HoldVisit{visitAt("e1", 0)}}, 2*holdDay)
	s.ElementsMatch([]string{"amount", "pay_via", "reduction_percent"}, fieldsOf(errs[0]))
	s.Equal([]string{"to"}, fieldsOf(errs[1]))
	s.True(isConflict(errs[2]), "nothing was released to the attorney: %v", errs[2])
	s.Empty(b.settlement.ID)
	s.Empty(b.released)
}

func (s *holdSuite) TestContinueAsNewCarriesTheSettlement() {
	s.settling()
	var errs [1]error
	s.send(holdDay, contract.UpdateSettle, contract.SettlementRequest{Amount: d("25000"), ReductionPercent: pct("30"),
		PayVia: contract.PayAttorney}, &errs[0])
	s.env.RegisterDelayedCallback(func() { s.env.SetContinueAsNewSuggested(true) }, holdDay+time.Hour)
	s.env.ExecuteWorkflow(HoldWorkflow, contract.HoldInput{CaseID: "c1", Visits: []contract.HoldVisit{visitAt("e1", 0)}})
	s.Require().True(s.env.IsWorkflowCompleted())
	s.NoError(errs[0])
	var can *workflow.ContinueAsNewError
	s.Require().True(errors.As(s.env.GetWorkflowError(), &can), "%v", s.env.GetWorkflowError())
	var next contract.HoldInput
	s.Require().NoError(converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	s.Require().NotNil(next.State)
	s.Equal(contract.HoldStatusSettling, next.State.Status)
	s.Require().NotNil(next.State.Settlement)
	s.Equal(contract.SettlementPending, next.State.Settlement.Status)
	s.Require().NotNil(next.State.Approval, "the pending approval goes on in the next run")
	w := newHoldWorkflow(next)
	s.Len(w.approvalTimer(), 1, "and so does its escalation timer")
}

func (s *holdSuite) TestUnpaidAttorneyIsFollowedUpUntilTheCheckComes() {
	b := s.settling()
	var errs [3]error
	s.send(holdDay, contract.UpdateRelease, contract.ReleaseRequest{To: contract.PayAttorney}, &errs[0])
	s.send(40*holdDay, contract.UpdateRecordFollowUp, contract.FollowUpRequest{Outcome: contract.OutcomeSettled,
		Note: "check in the mail"}, &errs[1])
	s.send(45*holdDay, contract.UpdateLegalPayment, contract.LegalPaymentRequest{Payer: contract.PayAttorney,
		Amount: d("250"), Method: "check", IdempotencyKey: "chk"}, &errs[2])
	s.runToEnd(100 * holdDay)
	for i, e := range errs {
		s.NoError(e, "update %d", i)
	}
	got := s.of(tasks.KindAttorneyFollowUp)
	s.Require().Len(got, 1, "one follow-up before the check came")
	s.Equal(holdStart.Add(31*holdDay), got[0].At, "30 days after the release")
	s.Contains(got[0].Title, "250.00 of the settlement is unpaid")
	s.Contains(s.resolved, got[0].BusinessKey)
	s.True(b.attorney.IsZero())
	s.Equal(contract.HoldStatusClosed, s.publish[len(s.publish)-1].Status)
}

func (s *holdSuite) TestSettlingCaseStillWatchesTheStatuteOfLimitations() {
	s.settling()
	s.facts.SOLDate = "2026-04-20" // 100 days after the start: the 90-day reminder on day 10
	var errs [1]error
	var mid contract.HoldView
	s.send(holdDay, contract.UpdateSettle, contract.SettlementRequest{Amount: d("25000"), ReductionPercent: pct("30"),
		PayVia: contract.PayAttorney}, &errs[0])
	s.env.RegisterDelayedCallback(func() { mid = s.query() }, 5*holdDay)
	s.run(contract.HoldInput{Visits: []contract.HoldVisit{visitAt("e1", 0)}}, 12*holdDay)
	s.NoError(errs[0])
	s.Equal(contract.HoldStatusSettling, mid.Status)
	got := s.of(tasks.KindSOLReminder)
	s.Require().Len(got, 1, "a stalled settlement does not silence the SOL")
	s.Equal(holdStart.Add(10*holdDay), got[0].At)
}
