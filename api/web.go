package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/web"
	"github.com/clinicflow/rcm/workflows/contract"
)

// mountWeb serves the staff web application (package web) beside the API: its
// landing page at "/" and its pages under /app. The pages reuse the API's role
// groups and call the operations below, which the API's handlers call too.
func (s *Server) mountWeb(r *gin.Engine) gin.HandlerFunc {
	return web.Mount(r, web.Deps{DB: s.DB, Temporal: s.Temporal, Logger: s.Logger, Ops: s,
		Roles: web.RoleSets{Any: anyRole, Admin: adminOnly, Managers: managers, FrontDesk: frontDesk,
			Clinical: clinical, Billers: billers},
		WorkflowURL: s.WorkflowLinks.URL,
		Landing: web.Landing{TokenHint: s.Dev.TokenHint, TemporalAddress: s.Dev.TemporalAddress,
			TemporalUI: strings.TrimRight(s.WorkflowLinks.UIURL, "/"), Namespace: s.WorkflowLinks.Namespace}})
}

var _ web.Operations = (*Server)(nil)

// errPriceOverride refuses a price override from a role that may not set prices.
var errPriceOverride = apperr.New(apperr.Forbidden, "only a biller or manager may override the fee-schedule price",
	validate.FieldError{Field: "price_override", Message: "is not allowed for your role"})

// CheckIn records a visit: the checks of POST /cases/{id}/check-ins, then the
// case workflow's check-in update (Update-With-Start).
func (s *Server) CheckIn(ctx context.Context, caseID, providerID, locationID, serviceDate, key string, actor audit.Actor) (contract.Encounter, error) {
	cs, err := s.cases.Get(ctx, caseID)
	if err != nil {
		return contract.Encounter{}, err
	}
	return s.checkInCase(ctx, cs, checkInRequest{ProviderID: providerID, LocationID: locationID, ServiceDate: serviceDate}, key, actor)
}

func (s *Server) checkInCase(ctx context.Context, cs cases.Case, in checkInRequest, key string, actor audit.Actor) (contract.Encounter, error) {
	var errs validate.Errors
	if errs.Required("provider_id", in.ProviderID) && !s.records.Exists(ctx, &records.Provider{}, in.ProviderID) {
		errs.Add("provider_id", "no such provider")
	}
	if errs.Required("location_id", in.LocationID) && !s.records.Exists(ctx, &records.Location{}, in.LocationID) {
		errs.Add("location_id", "no such location")
	}
	if in.ServiceDate == "" {
		in.ServiceDate = time.Now().Format(time.DateOnly)
	} else if d, err := time.Parse(time.DateOnly, in.ServiceDate); err != nil {
		errs.Add("service_date", "must be a date YYYY-MM-DD")
	} else if d.After(time.Now().UTC().Truncate(24 * time.Hour)) {
		errs.Add("service_date", "must not be in the future")
	}
	if len(errs) > 0 {
		return contract.Encounter{}, errs
	}
	if cs.Status != "open" {
		return contract.Encounter{}, errCaseClosed
	}
	encID := derivedID(cs.ID, "check-in", key)
	var enc contract.Encounter
	err := s.caseUpdate(ctx, cs, contract.UpdateCheckIn, "check-in-"+encID, contract.CheckInRequest{
		EncounterID: encID, ProviderID: in.ProviderID, LocationID: in.LocationID, ServiceDate: in.ServiceDate,
		Actor: actor}, &enc)
	return enc, err
}

// AddCharge captures a charge: the checks of POST .../charges (the price from
// the case's fee schedule, the cap), then the case workflow's update.
func (s *Server) AddCharge(ctx context.Context, in billing.ChargeInput, role, key string) (contract.Charge, error) {
	cs, err := s.cases.Get(ctx, in.CaseID)
	if err != nil {
		return contract.Charge{}, err
	}
	return s.addChargeToCase(ctx, cs, in, role, key)
}

func (s *Server) addChargeToCase(ctx context.Context, cs cases.Case, ci billing.ChargeInput, role, key string) (contract.Charge, error) {
	if ci.PriceOverride != nil && !slices.Contains(priceSetters, role) {
		return contract.Charge{}, errPriceOverride
	}
	ci.CaseID = cs.ID
	ci.ChargeID = derivedID(cs.ID, "charge", key)
	norm, errs := billing.NormalizeCharge(ci)
	if len(errs) > 0 {
		return contract.Charge{}, errs
	}
	// Report a missing price, and an amount above the cap, as field errors
	// before touching the workflow.
	field := "price_override"
	if norm.PriceOverride == nil {
		field = "units" // the fee-schedule price times the units
		price, found, err := s.billing.LookupPrice(ctx, cs.FeeScheduleID, norm.ProcedureCode)
		if err != nil {
			return contract.Charge{}, err
		} else if !found {
			return contract.Charge{}, validate.Errors{{Field: "procedure_code", Message: norm.ProcedureCode +
				" has no price in the case's fee schedule; add it there or have a biller set price_override"}}
		}
		norm.PriceOverride = &price
	}
	billing.CheckCap(&errs, field, billing.LineAmount(*norm.PriceOverride, norm.Units), s.maxAmount())
	if len(errs) > 0 {
		return contract.Charge{}, errs
	}
	var ch contract.Charge
	err := s.caseUpdate(ctx, cs, contract.UpdateAddCharge, "charge-"+ci.ChargeID, ci, &ch)
	return ch, err
}

// CompleteCharges marks a visit's charge capture complete (the case
// workflow's update; a per-call update id, as POST .../complete-charges).
func (s *Server) CompleteCharges(ctx context.Context, caseID, encounterID, noChargeReason string, actor audit.Actor) (contract.Encounter, error) {
	cs, err := s.cases.Get(ctx, caseID)
	if err != nil {
		return contract.Encounter{}, err
	}
	var enc contract.Encounter
	err = s.caseUpdate(ctx, cs, contract.UpdateCompleteCharges, "complete-"+actor.RequestID,
		contract.CompleteChargesRequest{EncounterID: encounterID, NoChargeReason: noChargeReason, Actor: actor}, &enc)
	return enc, err
}

// VoidCharge voids a charge with a reason (the case workflow's update).
func (s *Server) VoidCharge(ctx context.Context, caseID, chargeID, reason string, actor audit.Actor) (contract.Charge, error) {
	cs, err := s.cases.Get(ctx, caseID)
	if err != nil {
		return contract.Charge{}, err
	}
	var errs validate.Errors
	if errs.Required("reason", reason); len(errs) > 0 {
		return contract.Charge{}, errs
	}
	var ch contract.Charge
	// Voiding is idempotent in the workflow; a per-request update id means a retry
	// after a failure runs again instead of replaying the stored failure.
	err = s.caseUpdate(ctx, cs, contract.UpdateVoidCharge, "void-"+actor.RequestID,
		contract.VoidChargeRequest{ChargeID: chargeID, Reason: reason, Actor: actor}, &ch)
	return ch, err
}

// AddCoverage adds a coverage, then asks the case workflow to bill visits that
// waited for one (as POST /cases/{id}/coverages).
func (s *Server) AddCoverage(ctx context.Context, caseID string, in records.NewCoverage, actor audit.Actor) (records.Coverage, error) {
	cs, err := s.cases.Get(ctx, caseID)
	if err != nil {
		return records.Coverage{}, err
	}
	cv, err := s.records.AddCoverage(ctx, cs.ID, in, actor)
	if err != nil {
		return cv, err
	}
	s.retryBillingQuietly(ctx, cs, actor)
	return cv, nil
}

// CaseDetail is GET /cases/{id} as Go values: the case, its workflow's live
// view, its ledger balances, whether the two agree, and its hold.
func (s *Server) CaseDetail(ctx context.Context, caseID string) (web.CaseDetail, error) {
	cs, err := s.cases.Get(ctx, caseID)
	if err != nil {
		return web.CaseDetail{}, err
	}
	return s.caseDetail(ctx, cs)
}

func (s *Server) caseDetail(ctx context.Context, cs cases.Case) (web.CaseDetail, error) {
	d := web.CaseDetail{Case: cs, WorkflowURL: s.WorkflowLinks.URL(contract.CaseWorkflowID(cs.ID))}
	v, err := s.caseView(ctx, cs)
	if err != nil {
		return d, err
	}
	bal, err := ledger.CaseBalances(s.DB.WithContext(ctx), cs.ID)
	if err != nil {
		return d, err
	}
	lv := ledgerView{
		PatientBalance: bal.PatientBalance(), PatientCredit: bal.PatientCredit(),
		OtherReceivable: bal.Get(ledger.ARInsuranceUnbilled).Add(bal.Get(ledger.ARHeld)).Add(bal.Get(ledger.ARAttorney)),
		Balance:         bal.Net(),
	}
	t := v.Totals
	d.InAgreement = t.PatientBalance.Equal(lv.PatientBalance) && t.PatientCredit.Equal(lv.PatientCredit) &&
		t.OtherReceivable.Equal(lv.OtherReceivable) && t.Balance.Equal(lv.Balance)
	if !d.InAgreement {
		s.Logger.Error("case totals disagree with the ledger", "case_id", cs.ID)
	}
	if v.Encounters == nil {
		v.Encounters = []contract.Encounter{}
	}
	if v.Insurance == nil {
		v.Insurance = []contract.InsuranceEvent{}
	}
	if v.BillingProblems == nil {
		v.BillingProblems = []contract.BillingProblem{}
	}
	hold, err := s.caseHold(ctx, cs, bal)
	if err != nil {
		return d, err
	}
	if hold != nil {
		d.Hold = hold
	}
	d.View, d.Ledger = v, lv
	return d, nil
}

// RecordPayment records a patient payment on a case: the checks of POST
// /cases/{id}/payments (method, amount, the cap, not in the future), then the
// case workflow's update; key makes a repeated post one payment (Replayed).
func (s *Server) RecordPayment(ctx context.Context, caseID string, amount decimal.Decimal, method, reference string,
	receivedAt *time.Time, key string, actor audit.Actor) (billing.PaymentResult, error) {
	cs, err := s.cases.Get(ctx, caseID)
	if err != nil {
		return billing.PaymentResult{}, err
	}
	return s.recordPaymentOn(ctx, cs, amount, method, reference, receivedAt, key, actor)
}

func (s *Server) recordPaymentOn(ctx context.Context, cs cases.Case, amount decimal.Decimal, method, reference string,
	receivedAt *time.Time, key string, actor audit.Actor) (billing.PaymentResult, error) {
	errs := billing.ValidatePayment(amount, method)
	if billing.CheckCap(&errs, "amount", amount, s.maxAmount()); len(errs) > 0 {
		return billing.PaymentResult{}, errs
	}
	received := time.Now().UTC()
	if receivedAt != nil {
		if receivedAt.After(received.Add(time.Hour)) {
			return billing.PaymentResult{}, validate.Errors{{Field: "received_at", Message: "must not be in the future"}}
		}
		received = *receivedAt
	}
	// The database's unique idempotency key catches replays, so each request gets
	// its own update id and a replay is reported as such.
	var res billing.PaymentResult
	err := s.caseUpdate(ctx, cs, contract.UpdateRecordPayment, "payment-"+key+"-"+actor.RequestID, billing.PaymentInput{
		PaymentID: uuid.NewString(), CaseID: cs.ID, Amount: amount, Method: method,
		Reference: reference, ReceivedAt: received, IdempotencyKey: key, Actor: actor}, &res)
	return res, err
}

// ClaimState is a claim workflow's live state (nil when it has none).
func (s *Server) ClaimState(ctx context.Context, claimID string) (*contract.ClaimState, error) {
	return s.claimWorkflowState(ctx, claimID)
}

// priceOverrideForbidden answers errPriceOverride as the API always has.
func priceOverrideForbidden(c *gin.Context) {
	problem(c, http.StatusForbidden, ProblemForbidden, "Forbidden", errPriceOverride.Error(),
		validate.FieldError{Field: "price_override", Message: "is not allowed for your role"})
}
