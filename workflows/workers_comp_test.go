package workflows

import (
	"context"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/workflows/contract"
)

// wcVisit checks in e1, captures a charge and completes it.
func (s *caseSuite) wcVisit(errs *[3]error) {
	s.update(time.Minute, contract.UpdateCheckIn, checkIn("e1"), &errs[0])
	s.update(2*time.Minute, contract.UpdateAddCharge, charge("ch1", "e1", 1), &errs[1])
	s.update(3*time.Minute, contract.UpdateCompleteCharges, contract.CompleteChargesRequest{EncounterID: "e1"}, &errs[2])
}

func (s *caseSuite) mockWC() (decisions *[]activities.WCDecisionInput, moved *[]string) {
	decisions, moved = &[]activities.WCDecisionInput{}, &[]string{}
	s.env.OnActivity(a.RecordWCDecision, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.WCDecisionInput) error {
			*decisions = append(*decisions, in)
			return nil
		}).Maybe()
	s.env.OnActivity(a.WCVisitToPatient, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.WCVisitInput) (decimal.Decimal, error) {
			*moved = append(*moved, in.EncounterID)
			return decimal.RequireFromString("100.00"), nil
		}).Maybe()
	return decisions, moved
}

func (s *caseSuite) TestWorkersCompWaitsForTheCarrierThenBillsIt() {
	decisions, _ := s.mockWC()
	var errs [3]error
	var bad, twice error
	var waiting, billed contract.CaseView
	s.wcVisit(&errs)
	s.env.RegisterDelayedCallback(func() { waiting = s.query() }, time.Hour)
	s.update(2*time.Hour, contract.UpdateWCDecision, contract.WCDecisionRequest{Decision: contract.WCAccept}, &bad)
	s.update(3*time.Hour, contract.UpdateWCDecision, contract.WCDecisionRequest{Decision: contract.WCAccept,
		ClaimNumber: "WC-889"}, &errs[0])
	s.env.RegisterDelayedCallback(func() { billed = s.query() }, 4*time.Hour)
	s.update(5*time.Hour, contract.UpdateWCDecision, contract.WCDecisionRequest{Decision: contract.WCDeny,
		DeniedTo: contract.WCToPatient}, &twice)
	err := s.run(cases.WorkersComp, 48*time.Hour, 6*time.Hour)
	s.True(temporal.IsCanceledError(err), "%v", err)
	for i, e := range errs {
		s.NoError(e, "update %d", i)
	}
	s.Equal([]string{"claim_number"}, fieldsOf(bad), "acceptance carries the carrier's claim number")
	s.Empty(waiting.Encounters[0].ClaimIDs, "nothing is billed before the carrier accepts")
	s.Nil(waiting.WC)
	s.Equal([]string{"claim-e1"}, billed.Encounters[0].ClaimIDs, "accepted: the waiting visit is billed")
	s.Require().NotNil(billed.WC)
	s.Equal(contract.WCStatusAccepted, billed.WC.Status)
	s.Len(s.claims, 1)
	s.Require().Len(*decisions, 1)
	s.Equal("WC-889", (*decisions)[0].Request.ClaimNumber)
	s.True(isConflict(twice), "decided once: %v", twice)
}

func (s *caseSuite) TestWorkersCompDeniedToThePatientMovesEachVisit() {
	_, moved := s.mockWC()
	var errs [3]error
	var decided error
	var after contract.CaseView
	s.wcVisit(&errs)
	s.update(time.Hour, contract.UpdateWCDecision, contract.WCDecisionRequest{Decision: contract.WCDeny,
		DeniedTo: contract.WCToPatient, Reason: "not work related"}, &decided)
	s.env.RegisterDelayedCallback(func() { after = s.query() }, 2*time.Hour)
	err := s.run(cases.WorkersComp, 48*time.Hour, 3*time.Hour)
	s.True(temporal.IsCanceledError(err), "%v", err)
	s.NoError(decided)
	s.Empty(s.claims, "no payer is billed")
	s.Equal([]string{"e1"}, *moved, "moved once")
	s.True(after.Encounters[0].ToPatient)
	s.Equal("100", after.Totals.PatientBalance.String(), "the visit is the patient's")
	s.True(after.Totals.OtherReceivable.IsZero())
}

func (s *caseSuite) TestWorkersCompDeniedToHealthCoverageBillsIt() {
	decisions, moved := s.mockWC()
	var errs [3]error
	var decided error
	s.wcVisit(&errs)
	s.update(time.Hour, contract.UpdateWCDecision, contract.WCDecisionRequest{Decision: contract.WCDeny,
		DeniedTo: contract.WCToHealthPlan}, &decided)
	err := s.run(cases.WorkersComp, 48*time.Hour, 2*time.Hour)
	s.True(temporal.IsCanceledError(err), "%v", err)
	s.NoError(decided)
	s.Len(s.claims, 1, "the health plan (now primary) is billed")
	s.Empty(*moved)
	s.Require().Len(*decisions, 1)
	s.Equal(contract.WCToHealthPlan, (*decisions)[0].Request.DeniedTo)
}

func (s *caseSuite) TestWorkersCompDecisionOnAnotherKindIsRefused() {
	s.mockWC()
	var errs [1]error
	s.update(time.Minute, contract.UpdateWCDecision, contract.WCDecisionRequest{Decision: contract.WCAccept, ClaimNumber: "X"}, &errs[0])
	err := s.run(cases.Insurance, 48*time.Hour, time.Hour)
	s.True(temporal.IsCanceledError(err), "%v", err)
	s.True(isConflict(errs[0]), "%v", errs[0])
}
