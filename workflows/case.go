package workflows

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// CaseWorkflow is the entity workflow of one case: it records check-ins, charges,
// payments and adjustments through activities, watches each visit's charge-capture
// window, keeps the case's stage current and continues as new before its history
// grows large.
func CaseWorkflow(ctx workflow.Context, in contract.CaseInput) error {
	w := newCaseWorkflow(in)
	w.local = workflow.GetVersion(ctx, "case-local-steps", workflow.DefaultVersion, 1) != workflow.DefaultVersion
	if in.Kind.HoldsCharges() {
		// An accident or injury case leaves held once its held balance is
		// settled (paid, reduced, moved to the patient); runs begun before
		// read held for good.
		w.heldForGood = workflow.GetVersion(ctx, "held-case-settles", workflow.DefaultVersion, 1) == workflow.DefaultVersion
	}
	if err := w.setup(ctx); err != nil {
		return err
	}
	return w.run(ctx)
}

type caseWorkflow struct {
	// local runs the case's database steps as local activities (see act).
	local bool
	// heldForGood: a held case's stage stays held (runs begun before
	// held-case-settles).
	heldForGood bool
	s           contract.CaseState
	mu          workflow.Mutex
	insurance   workflow.ReceiveChannel
	dirty       bool
	// stage last published to search attributes and the read model.
	published string
}

func newCaseWorkflow(in contract.CaseInput) *caseWorkflow {
	if in.State != nil {
		return &caseWorkflow{s: *in.State, published: in.State.Stage}
	}
	after := in.MissingChargesAfter
	if after <= 0 {
		after = 24 * time.Hour
	}
	// The starter sets the CaseStage search attribute and the read model to open.
	return &caseWorkflow{published: cases.StageOpen, s: contract.CaseState{
		CaseID: in.CaseID, PatientID: in.PatientID, Kind: in.Kind,
		MissingChargesAfter: after, ClaimDayLength: in.ClaimDayLength, Stage: cases.StageOpen,
	}}
}

func (w *caseWorkflow) setup(ctx workflow.Context) error {
	w.mu = workflow.NewMutex(ctx)
	if err := workflow.SetQueryHandler(ctx, contract.QueryCaseState, func() (contract.CaseView, error) {
		return w.view(), nil
	}); err != nil {
		return err
	}
	if err := registerUpdates(ctx, []update{
		{contract.UpdateCheckIn, w.checkIn, w.validateCheckIn},
		{contract.UpdateAddCharge, w.addCharge, w.validateAddCharge},
		{contract.UpdateVoidCharge, w.voidCharge, w.validateVoidCharge},
		{contract.UpdateCompleteCharges, w.completeCharges, w.validateCompleteCharges},
		{contract.UpdateRecordPayment, w.recordPayment, w.validateRecordPayment},
		{contract.UpdateRecordAdjustment, w.recordAdjustment, w.validateRecordAdjustment},
		{contract.UpdateRetryBilling, w.retryBilling, nil},
		{contract.UpdateRecordCreditMove, w.recordCreditMove, w.validateRecordCreditMove},
		{contract.UpdateWCDecision, w.decideWC, w.validateWC},
	}); err != nil {
		return err
	}
	w.insurance = workflow.GetSignalChannel(ctx, contract.SignalInsurance)
	listen(ctx, w.insurance, w.addInsurance)
	return nil
}

// addInsurance records a payer posting or claim settlement once.
func (w *caseWorkflow) addInsurance(ev contract.InsuranceEvent) {
	for _, x := range w.s.Insurance {
		if x.ID == ev.ID {
			return
		}
	}
	w.s.Insurance = append(w.s.Insurance, ev)
	w.dirty = true
}

func (w *caseWorkflow) run(ctx workflow.Context) error {
	logger := workflow.GetLogger(ctx)
	// A handler that runs while a step below waits on its activity (an update
	// completing charges while publishStage's SetCaseStage is retried after a
	// crash) sets dirty. Runs from version 1 clear the flag before the steps,
	// so that change wakes the next round; earlier runs cleared it after them
	// and slept on a completed visit for good (found by make chaos).
	clearFirst := workflow.GetVersion(ctx, "case-wake-clear-first", workflow.DefaultVersion, 1) == 1
	for {
		if clearFirst {
			w.dirty = false
		}
		if err := w.raiseDueTasks(ctx); err != nil {
			return err
		}
		if err := w.billCompletedVisits(ctx); err != nil {
			return err
		}
		if err := w.watchHold(ctx); err != nil {
			return err
		}
		if err := w.publishStage(ctx); err != nil {
			return err
		}
		info := workflow.GetInfo(ctx)
		if info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > continueAsNewAfter {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			logger.Info("case workflow continuing as new", "case_id", w.s.CaseID)
			drain(w.insurance, w.addInsurance)
			st := w.s
			return workflow.NewContinueAsNewError(ctx, CaseWorkflow, contract.CaseInput{
				CaseID: st.CaseID, PatientID: st.PatientID, Kind: st.Kind,
				MissingChargesAfter: st.MissingChargesAfter, ClaimDayLength: st.ClaimDayLength, State: &st})
		}
		if !clearFirst {
			w.dirty = false
		}
		wake := func() bool {
			return w.dirty || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		}
		next, ok := w.nextDeadline()
		var err error
		if ok {
			_, err = workflow.AwaitWithTimeout(ctx, next.Sub(workflow.Now(ctx)), wake)
		} else {
			err = workflow.Await(ctx, wake)
		}
		if err != nil {
			return err // cancelled
		}
	}
}

// act runs one of the case's database steps (record a visit, a charge, a
// payment; build a claim; publish the stage) with an update's bounded retry.
// Runs from version 1 of case-local-steps run them as local activities, in
// the workflow task that asked for them: an update that records a charge
// answers after one workflow task instead of a round trip through the
// activity task queue and a second workflow task (issue 11's lifecycle
// measure: check-in and charges were most of a visit's entry time).
func (w *caseWorkflow) act(ctx workflow.Context, activity, arg any) workflow.Future {
	if w.local {
		return workflow.ExecuteLocalActivity(localActivityCtx(ctx), activity, arg)
	}
	return workflow.ExecuteActivity(activityCtx(ctx), activity, arg)
}

// actUntilDone is act for the steps nobody waits on, retried until done.
func (w *caseWorkflow) actUntilDone(ctx workflow.Context, activity, arg any) workflow.Future {
	if w.local {
		return workflow.ExecuteLocalActivity(untilDoneLocalCtx(ctx), activity, arg)
	}
	return workflow.ExecuteActivity(untilDoneCtx(ctx), activity, arg)
}

// nextDeadline is the earliest charge-capture deadline still to watch.
func (w *caseWorkflow) nextDeadline() (time.Time, bool) {
	var next time.Time
	for _, e := range w.s.Encounters {
		if e.ChargesCompletedAt != nil || e.MissingChargesTaskID != "" {
			continue
		}
		due := e.CheckedInAt.Add(w.s.MissingChargesAfter)
		if next.IsZero() || due.Before(next) {
			next = due
		}
	}
	return next, !next.IsZero()
}

// raiseDueTasks creates a missing-charges task for every visit whose window passed.
func (w *caseWorkflow) raiseDueTasks(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	for i := range w.s.Encounters {
		e := &w.s.Encounters[i]
		due := e.CheckedInAt.Add(w.s.MissingChargesAfter)
		if e.ChargesCompletedAt != nil || e.MissingChargesTaskID != "" || due.After(now) {
			continue
		}
		if err := w.mu.Lock(ctx); err != nil {
			return err
		}
		// Re-check under the lock: charges may have been completed meanwhile.
		if e.ChargesCompletedAt == nil && e.MissingChargesTaskID == "" {
			var id string
			err := w.act(ctx, a.RaiseMissingChargesTask, activities.MissingChargesInput{
				CaseID: w.s.CaseID, EncounterID: e.ID, CheckedInAt: e.CheckedInAt, DueAt: due,
			}).Get(ctx, &id)
			if err != nil {
				w.mu.Unlock()
				return fmt.Errorf("raise missing-charges task: %w", err)
			}
			e.MissingChargesTaskID = id
		}
		w.mu.Unlock()
	}
	return nil
}

// publishStage mirrors a changed stage into the search attribute and read model.
func (w *caseWorkflow) publishStage(ctx workflow.Context) error {
	w.s.Stage = w.stage()
	if w.s.Stage == w.published {
		return nil
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx,
		contract.SearchCaseStage.ValueSet(w.s.Stage), contract.SearchCaseKind.ValueSet(string(w.s.Kind))); err != nil {
		return err
	}
	err := w.act(ctx, a.SetCaseStage,
		activities.StageInput{CaseID: w.s.CaseID, Stage: w.s.Stage}).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("publish stage: %w", err)
	}
	w.published = w.s.Stage
	return nil
}

// stage is where the case stands; its kind decides what that means (cases.Kind.Stage).
func (w *caseWorkflow) stage() string {
	p := cases.Progress{Visits: len(w.s.Encounters)}
	for _, e := range w.s.Encounters {
		p.ChargesOpen = p.ChargesOpen || e.ChargesCompletedAt == nil
		p.Billed = p.Billed || len(e.ClaimIDs) > 0
	}
	t := w.totals()
	p.PatientBalance, p.OtherReceivable = t.PatientBalance, t.OtherReceivable
	p.HeldForGood = w.heldForGood
	return w.s.Kind.Stage(p)
}

// billCompletedVisits builds a claim for every completed visit of an insurance
// case and starts its claim workflow. A visit without coverage to bill gets a
// task instead, once.
func (w *caseWorkflow) billCompletedVisits(ctx workflow.Context) error {
	if !w.s.Kind.BillsPayers() {
		return nil
	}
	for i := range w.s.Encounters {
		e := &w.s.Encounters[i]
		if e.ChargesCompletedAt == nil || len(e.ClaimIDs) > 0 || w.billingProblem(e.ID) || !hasActiveCharges(e) || e.ToPatient {
			continue
		}
		// Cases recorded before claims existed stay ready to bill.
		if workflow.GetVersion(ctx, "bill-completed-visits", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return nil
		}
		// Workers' comp waits for the carrier (workers_comp.go).
		if held, err := w.holdsWC(ctx, i); err != nil || held {
			if err != nil {
				return err
			}
			continue
		}
		// The case never fails for a database outage: building retries until it
		// is back; the retry-billing handler waits its turn on the lock.
		if err := w.mu.Lock(ctx); err != nil {
			return err
		}
		var r activities.BuildClaimResult
		err := w.actUntilDone(ctx, a.BuildClaim,
			activities.BuildClaimInput{CaseID: w.s.CaseID, EncounterID: e.ID}).Get(ctx, &r)
		w.mu.Unlock()
		if err != nil {
			return fmt.Errorf("build claim: %w", err)
		}
		e = &w.s.Encounters[i]
		if r.ClaimID == "" {
			w.s.BillingProblems = append(w.s.BillingProblems, contract.BillingProblem{EncounterID: e.ID, TaskID: r.TaskID, Problem: r.Problem})
			continue
		}
		if err := startClaimWorkflow(ctx, r.ClaimID, w.s.CaseID, w.s.ClaimDayLength); err != nil {
			return err
		}
		e = &w.s.Encounters[i]
		e.ClaimIDs = append(e.ClaimIDs, r.ClaimID)
	}
	return nil
}

// watchHold starts the hold workflow (hold/<case id>) of an accident or injury
// case at its first held charge, and tells it of every visit after that.
func (w *caseWorkflow) watchHold(ctx workflow.Context) error {
	if !w.s.Kind.HoldsCharges() || (w.s.Hold == nil && !w.hasHeldCharge()) {
		return nil
	}
	// Cases that held charges before holds existed keep running without one.
	if workflow.GetVersion(ctx, "legal-hold", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	return w.tellHold(ctx)
}

// retryBilling forgets the visits that could not be billed so the main loop bills
// them again; it answers how many it will retry. A visit that still has no
// coverage gets its problem back (its task is the same, by business key).
func (w *caseWorkflow) retryBilling(ctx workflow.Context, r contract.RetryBillingRequest) (int, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return 0, err
	}
	defer w.mu.Unlock()
	n := len(w.s.BillingProblems)
	if n > 0 {
		w.s.BillingProblems = nil
		w.dirty = true
	}
	return n, nil
}

func (w *caseWorkflow) billingProblem(encounterID string) bool {
	for _, p := range w.s.BillingProblems {
		if p.EncounterID == encounterID {
			return true
		}
	}
	return false
}

func hasActiveCharges(e *contract.Encounter) bool {
	for _, c := range e.Charges {
		if !c.Voided {
			return true
		}
	}
	return false
}

func (w *caseWorkflow) totals() contract.Totals {
	var t contract.Totals
	patientCharges := decimal.Zero
	for _, e := range w.s.Encounters {
		for _, c := range e.Charges {
			if c.Voided {
				continue
			}
			t.Charges = t.Charges.Add(c.Amount)
			t.Adjustments = t.Adjustments.Add(c.Discount) // a package session or promotion
			if w.s.Kind.BillsPatient() {
				patientCharges = patientCharges.Add(c.Amount)
			} else {
				t.OtherReceivable = t.OtherReceivable.Add(c.Amount)
			}
		}
	}
	for _, p := range w.s.Payments {
		t.Payments = t.Payments.Add(p.Amount)
	}
	for _, adj := range w.s.Adjustments {
		t.Adjustments = t.Adjustments.Add(adj.Amount)
	}
	for _, e := range w.s.Insurance {
		t.InsurancePaid = t.InsurancePaid.Add(e.Paid)
		t.Contractual = t.Contractual.Add(e.Contractual)
		t.WrittenOff = t.WrittenOff.Add(e.WrittenOff)
		t.ToPatient = t.ToPatient.Add(e.ToPatient)
	}
	settled := t.InsurancePaid.Add(t.Contractual).Add(t.WrittenOff)
	t.OtherReceivable = t.OtherReceivable.Sub(settled).Sub(t.ToPatient)
	t.Balance = t.Charges.Sub(t.Payments).Sub(t.Adjustments).Sub(settled)
	patient := patientCharges.Add(t.ToPatient).Sub(t.Payments).Sub(t.Adjustments)
	if patient.IsPositive() {
		t.PatientBalance = patient
	} else {
		t.PatientCredit = patient.Neg()
	}
	return t
}

func (w *caseWorkflow) view() contract.CaseView {
	v := contract.CaseView{CaseState: w.s, Totals: w.totals()}
	v.Stage = w.stage()
	return v
}

func (w *caseWorkflow) encounter(id string) *contract.Encounter {
	for i := range w.s.Encounters {
		if w.s.Encounters[i].ID == id {
			return &w.s.Encounters[i]
		}
	}
	return nil
}

func (w *caseWorkflow) charge(id string) (*contract.Encounter, *contract.Charge) {
	for i := range w.s.Encounters {
		e := &w.s.Encounters[i]
		for j := range e.Charges {
			if e.Charges[j].ID == id {
				return e, &e.Charges[j]
			}
		}
	}
	return nil, nil
}

func (w *caseWorkflow) validateCheckIn(ctx workflow.Context, r contract.CheckInRequest) error {
	var errs validate.Errors
	errs.Required("encounter_id", r.EncounterID)
	errs.Required("provider_id", r.ProviderID)
	errs.Required("location_id", r.LocationID)
	if errs.Required("service_date", r.ServiceDate) {
		_, err := time.Parse(time.DateOnly, r.ServiceDate)
		errs.Check(err == nil, "service_date", "must be a date YYYY-MM-DD")
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

func (w *caseWorkflow) checkIn(ctx workflow.Context, r contract.CheckInRequest) (contract.Encounter, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return contract.Encounter{}, err
	}
	defer w.mu.Unlock()
	if e := w.encounter(r.EncounterID); e != nil {
		return *e, nil // a retried request
	}
	now := workflow.Now(ctx)
	err := w.act(ctx, a.RecordEncounter, billing.EncounterInput{
		EncounterID: r.EncounterID, CaseID: w.s.CaseID, ProviderID: r.ProviderID, LocationID: r.LocationID,
		ServiceDate: r.ServiceDate, CheckedInAt: now, Actor: r.Actor,
	}).Get(ctx, nil)
	if err != nil {
		return contract.Encounter{}, activityFailure("record encounter", err)
	}
	e := contract.Encounter{ID: r.EncounterID, ProviderID: r.ProviderID, LocationID: r.LocationID,
		ServiceDate: r.ServiceDate, CheckedInAt: now, Charges: []contract.Charge{}}
	w.s.Encounters = append(w.s.Encounters, e)
	w.dirty = true
	return e, nil
}

func (w *caseWorkflow) validateAddCharge(ctx workflow.Context, in billing.ChargeInput) error {
	e := w.encounter(in.EncounterID)
	if e == nil {
		return notFound("encounter %s is not part of this case", in.EncounterID)
	}
	if _, c := w.charge(in.ChargeID); c != nil {
		return nil // a retried request; the handler returns the charge
	}
	if e.ChargesCompletedAt != nil {
		return conflict("charge capture for encounter %s is already complete", in.EncounterID)
	}
	if _, errs := billing.NormalizeCharge(in); len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

func (w *caseWorkflow) addCharge(ctx workflow.Context, in billing.ChargeInput) (contract.Charge, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return contract.Charge{}, err
	}
	defer w.mu.Unlock()
	if _, c := w.charge(in.ChargeID); c != nil {
		return *c, nil
	}
	e := w.encounter(in.EncounterID)
	if e.ChargesCompletedAt != nil {
		return contract.Charge{}, conflict("charge capture for encounter %s is already complete", in.EncounterID)
	}
	in, _ = billing.NormalizeCharge(in)
	in.CaseID = w.s.CaseID
	var r billing.ChargeResult
	if err := w.act(ctx, a.CaptureCharge, in).Get(ctx, &r); err != nil {
		return contract.Charge{}, activityFailure("capture charge", err)
	}
	c := contract.Charge{ID: r.ChargeID, ProcedureCode: in.ProcedureCode, Modifiers: in.Modifiers, Units: in.Units,
		Diagnoses: in.Diagnoses, DiagnosisPointers: in.DiagnosisPointers, UnitPrice: r.UnitPrice,
		Amount: r.Amount, PriceOverridden: r.PriceOverridden, Discount: r.Discount}
	e = w.encounter(in.EncounterID)
	e.Charges = append(e.Charges, c)
	w.dirty = true
	return c, nil
}

func (w *caseWorkflow) validateVoidCharge(ctx workflow.Context, r contract.VoidChargeRequest) error {
	if _, c := w.charge(r.ChargeID); c == nil {
		return notFound("charge %s is not part of this case", r.ChargeID)
	}
	if r.Reason == "" {
		return invalid(validate.Errors{{Field: "reason", Message: "is required"}})
	}
	return nil
}

func (w *caseWorkflow) voidCharge(ctx workflow.Context, r contract.VoidChargeRequest) (contract.Charge, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return contract.Charge{}, err
	}
	defer w.mu.Unlock()
	_, c := w.charge(r.ChargeID)
	if c.Voided {
		return *c, nil
	}
	err := w.act(ctx, a.VoidCharge, billing.VoidInput{
		CaseID: w.s.CaseID, ChargeID: r.ChargeID, Reason: r.Reason, Actor: r.Actor}).Get(ctx, nil)
	if err != nil {
		return contract.Charge{}, activityFailure("void charge", err)
	}
	_, c = w.charge(r.ChargeID)
	c.Voided = true
	w.dirty = true
	return *c, nil
}

func (w *caseWorkflow) validateCompleteCharges(ctx workflow.Context, r contract.CompleteChargesRequest) error {
	e := w.encounter(r.EncounterID)
	if e == nil {
		return notFound("encounter %s is not part of this case", r.EncounterID)
	}
	if e.ChargesCompletedAt != nil {
		return nil // idempotent
	}
	for _, c := range e.Charges {
		if !c.Voided {
			return nil
		}
	}
	if r.NoChargeReason == "" {
		return invalid(validate.Errors{{Field: "no_charge_reason",
			Message: "the visit has no charges; add charges or give a reason it is not billable"}})
	}
	return nil
}

func (w *caseWorkflow) completeCharges(ctx workflow.Context, r contract.CompleteChargesRequest) (contract.Encounter, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return contract.Encounter{}, err
	}
	defer w.mu.Unlock()
	e := w.encounter(r.EncounterID)
	if e.ChargesCompletedAt != nil {
		return *e, nil
	}
	now := workflow.Now(ctx)
	err := w.act(ctx, a.CompleteCharges, billing.CompleteInput{
		CaseID: w.s.CaseID, EncounterID: r.EncounterID, CompletedAt: now,
		NoChargeWhy: r.NoChargeReason, Actor: r.Actor}).Get(ctx, nil)
	if err != nil {
		return contract.Encounter{}, activityFailure("complete charges", err)
	}
	e = w.encounter(r.EncounterID)
	e.ChargesCompletedAt = &now
	w.dirty = true
	return *e, nil
}

func (w *caseWorkflow) validateRecordPayment(ctx workflow.Context, in billing.PaymentInput) error {
	errs := billing.ValidatePayment(in.Amount, in.Method)
	errs.Required("idempotency_key", in.IdempotencyKey)
	if len(errs) > 0 {
		return invalid(errs)
	}
	if held := w.totals().OtherReceivable; w.s.Kind.HoldsCharges() && held.IsPositive() {
		// A patient payment would become a credit beside the held balance.
		return conflict("%s of charges are held for a settlement on this %s case: a patient payment is not taken "+
			"while charges are held (the settlement pays them: record the attorney's or insurer's check with "+
			"POST /cases/{id}/legal-payments once the charges are released)", held.StringFixed(2), w.s.Kind)
	}
	return nil
}

func (w *caseWorkflow) recordPayment(ctx workflow.Context, in billing.PaymentInput) (billing.PaymentResult, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return billing.PaymentResult{}, err
	}
	defer w.mu.Unlock()
	in.CaseID = w.s.CaseID
	var r billing.PaymentResult
	if err := w.act(ctx, a.RecordPayment, in).Get(ctx, &r); err != nil {
		return r, activityFailure("record payment", err)
	}
	w.s.Payments = addMoney(w.s.Payments, contract.Money{ID: r.PaymentID, Amount: r.Amount})
	w.dirty = true
	return r, nil
}

func (w *caseWorkflow) validateRecordAdjustment(ctx workflow.Context, in billing.AdjustmentInput) error {
	var errs validate.Errors
	billing.ValidateMoney(&errs, "amount", in.Amount, false)
	errs.Required("reason", in.Reason)
	errs.Required("idempotency_key", in.IdempotencyKey)
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

func (w *caseWorkflow) recordAdjustment(ctx workflow.Context, in billing.AdjustmentInput) (billing.PaymentResult, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return billing.PaymentResult{}, err
	}
	defer w.mu.Unlock()
	in.CaseID = w.s.CaseID
	var r billing.PaymentResult
	if err := w.act(ctx, a.RecordAdjustment, in).Get(ctx, &r); err != nil {
		return r, activityFailure("record adjustment", err)
	}
	w.s.Adjustments = addMoney(w.s.Adjustments, contract.Money{ID: r.PaymentID, Amount: r.Amount})
	w.dirty = true
	return r, nil
}

func (w *caseWorkflow) validateRecordCreditMove(ctx workflow.Context, m billing.CreditMove) error {
	var errs validate.Errors
	errs.Required("id", m.ID)
	errs.Check(!m.Amount.IsZero(), "amount", "must not be zero")
	errs.Check(m.CaseID == "" || m.CaseID == w.s.CaseID, "case_id", "is not this case")
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

// recordCreditMove records a credit moved onto or off the case (its journal is
// already posted, with the move's business row): a move onto the case counts
// like a payment, a move off it like a payment returned. A retried update
// records it once.
func (w *caseWorkflow) recordCreditMove(ctx workflow.Context, m billing.CreditMove) (contract.Totals, error) {
	w.s.Payments = addMoney(w.s.Payments, contract.Money{ID: m.ID, Amount: m.Amount})
	w.dirty = true
	return w.totals(), nil
}

// addMoney appends m unless a retried request already recorded it.
func addMoney(list []contract.Money, m contract.Money) []contract.Money {
	for _, x := range list {
		if x.ID == m.ID {
			return list
		}
	}
	return append(list, m)
}
