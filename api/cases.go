package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/web"
	"github.com/clinicflow/rcm/workflows/contract"
)

func (s *Server) createCase(c *gin.Context) {
	var in cases.New
	if !bind(c, &in) {
		return
	}
	cs, err := s.cases.Create(c.Request.Context(), in, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, showCase(cs))
}

// listCases filters by patient_id, kind, stage and status.
func (s *Server) listCases(c *gin.Context) {
	if !onlyQuery(c, "patient_id", "kind", "stage", "status") {
		return
	}
	f := cases.Filter{PatientID: c.Query("patient_id"), Kind: cases.Kind(c.Query("kind")),
		Stage: c.Query("stage"), Status: c.Query("status")}
	var errs validate.Errors
	errs.Check(f.PatientID == "" || uuid.Validate(f.PatientID) == nil, "patient_id", "must be a UUID")
	errs.Check(f.Kind == "" || f.Kind.Valid(), "kind", "must be one of %v", cases.Kinds)
	errs.Check(f.Stage == "" || slices.Contains(cases.Stages, f.Stage), "stage", "must be one of %v", cases.Stages)
	errs.Check(f.Status == "" || slices.Contains(cases.Statuses, f.Status), "status", "must be one of %v", cases.Statuses)
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	var ok bool
	if f.Limit, ok = limitParam(c); !ok {
		return
	}
	list, err := s.cases.List(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	items := make([]caseJSON, len(list))
	ids := make([]string, len(list))
	for i, cs := range list {
		items[i] = showCase(cs)
		ids[i] = cs.PatientID
	}
	if !s.readPatients(c, ids...) {
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// caseJSON is a case as the API shows it.
type caseJSON struct {
	ID            string     `json:"id"`
	PatientID     string     `json:"patient_id"`
	Kind          cases.Kind `json:"kind"`
	Title         string     `json:"title"`
	Status        string     `json:"status"`
	Stage         string     `json:"stage"`
	FeeScheduleID *string    `json:"fee_schedule_id,omitempty"`
	LocationID    *string    `json:"location_id,omitempty"`
	OpenedAt      time.Time  `json:"opened_at"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

func showCase(cs cases.Case) caseJSON {
	return caseJSON{ID: cs.ID, PatientID: cs.PatientID, Kind: cs.Kind, Title: cs.Title, Status: cs.Status,
		Stage: cs.Stage, FeeScheduleID: cs.FeeScheduleID, LocationID: cs.LocationID, OpenedAt: cs.OpenedAt, ClosedAt: cs.ClosedAt, UpdatedAt: cs.UpdatedAt}
}

// loadCase reads the case named by the :id parameter, answering 404 itself.
func (s *Server) loadCase(c *gin.Context) (cases.Case, bool) {
	cs, err := s.cases.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		if errors.Is(err, cases.ErrNotFound) {
			notFound(c, "case "+c.Param("id"))
		} else {
			s.fail(c, err)
		}
		return cs, false
	}
	return cs, true
}

// caseUpdate sends an update to the case's workflow, starting the workflow first if
// this is the case's first event (Update-With-Start), and waits for its result.
func (s *Server) caseUpdate(ctx context.Context, cs cases.Case, name, updateID string, arg, out any) error {
	start := s.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       contract.CaseWorkflowID(cs.ID),
		TaskQueue:                contract.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			contract.SearchCaseStage.ValueSet(cases.StageOpen),
			contract.SearchCaseKind.ValueSet(string(cs.Kind))),
	}, contract.CaseWorkflowName, contract.CaseInput{
		CaseID: cs.ID, PatientID: cs.PatientID, Kind: cs.Kind, MissingChargesAfter: s.MissingChargesAfter,
		ClaimDayLength: s.ClaimDayLength,
	})
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h, err := s.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID: updateID, UpdateName: name, Args: []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, out)
}

// updateCase sends one update to the case workflow and answers with its result
// (status, or 200 with Idempotent-Replayed when a money write was a replay).
func (s *Server) updateCase(c *gin.Context, cs cases.Case, name, updateID string, arg, out any, status int) {
	if err := s.caseUpdate(c.Request.Context(), cs, name, updateID, arg, out); err != nil {
		s.fail(c, err)
		return
	}
	if r, ok := out.(*billing.PaymentResult); ok && r.Replayed {
		status = http.StatusOK
		c.Header("Idempotent-Replayed", "true")
	}
	c.JSON(status, out)
}

// caseView returns the workflow's live view of a case, or the empty view of a case
// whose workflow has not started (no event yet).
func (s *Server) caseView(ctx context.Context, cs cases.Case) (contract.CaseView, error) {
	v := contract.CaseView{CaseState: contract.CaseState{CaseID: cs.ID, PatientID: cs.PatientID, Kind: cs.Kind,
		Stage: cases.StageOpen, Encounters: []contract.Encounter{}}}
	res, err := s.Temporal.QueryWorkflow(ctx, contract.CaseWorkflowID(cs.ID), "", contract.QueryCaseState)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return v, nil
	}
	if err != nil {
		return v, err
	}
	return v, res.Get(&v)
}

// ledgerView is a case's money as the ledger has it.
type ledgerView = web.LedgerView

// errCaseClosed refuses a visit on a closed case.
var errCaseClosed = apperr.New(apperr.Conflict, "the case is closed")

type caseResponse struct {
	caseJSON
	Stage      string               `json:"stage"`
	Encounters []contract.Encounter `json:"encounters"`
	// Insurance lists payer postings and claim settlements; BillingProblems the
	// completed visits that could not be billed (each with its task).
	Insurance       []contract.InsuranceEvent `json:"insurance"`
	BillingProblems []contract.BillingProblem `json:"billing_problems"`
	Totals          contract.Totals           `json:"totals"`
	Ledger          ledgerView                `json:"ledger"`
	// InAgreement says the workflow's totals and the ledger agree to the cent.
	InAgreement bool `json:"in_agreement"`
	// WorkflowURL opens the case workflow in the Temporal Web UI (absent when
	// no UI is configured).
	WorkflowURL string `json:"workflow_url,omitempty"`
	// Hold is a legal case's hold (api/legal.go), once its first charge is held.
	Hold *holdJSON `json:"hold,omitempty"`
}

func (s *Server) getCase(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	d, err := s.caseDetail(c.Request.Context(), cs)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !s.readPatients(c, cs.PatientID) {
		return
	}
	hold, _ := d.Hold.(*holdJSON)
	c.JSON(http.StatusOK, caseResponse{caseJSON: showCase(cs), Stage: d.View.Stage, Encounters: d.View.Encounters,
		Totals: d.View.Totals, Insurance: d.View.Insurance, BillingProblems: d.View.BillingProblems, Ledger: d.Ledger,
		InAgreement: d.InAgreement, WorkflowURL: d.WorkflowURL, Hold: hold})
}

type journalLineJSON struct {
	Account string          `json:"account"`
	Amount  decimal.Decimal `json:"amount"`
}

type journalJSON struct {
	ID             string            `json:"id"`
	Kind           string            `json:"kind"`
	IdempotencyKey string            `json:"idempotency_key"`
	SourceType     string            `json:"source_type"`
	SourceID       string            `json:"source_id"`
	Memo           string            `json:"memo"`
	PostedAt       time.Time         `json:"posted_at"`
	Lines          []journalLineJSON `json:"lines"`
}

func (s *Server) getCaseLedger(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	journals, err := ledger.CaseJournals(s.DB.WithContext(c.Request.Context()), cs.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]journalJSON, 0, len(journals))
	for _, j := range journals {
		jj := journalJSON{ID: j.ID, Kind: j.Kind, IdempotencyKey: j.IdempotencyKey, SourceType: j.SourceType,
			SourceID: j.SourceID, Memo: j.Memo, PostedAt: j.PostedAt}
		for _, l := range j.Lines {
			jj.Lines = append(jj.Lines, journalLineJSON{Account: string(l.Account), Amount: l.Amount})
		}
		out = append(out, jj)
	}
	if !s.readPatients(c, cs.PatientID) {
		return
	}
	c.JSON(http.StatusOK, gin.H{"case_id": cs.ID, "journals": out})
}

type checkInRequest struct {
	ProviderID  string `json:"provider_id"`
	LocationID  string `json:"location_id"`
	ServiceDate string `json:"service_date"`
}

func (s *Server) checkIn(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in checkInRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	enc, err := s.checkInCase(c.Request.Context(), cs, in, key, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, enc)
}

type chargeRequest struct {
	ProcedureCode     string   `json:"procedure_code"`
	Modifiers         []string `json:"modifiers"`
	Units             int      `json:"units"`
	Diagnoses         []string `json:"diagnoses"`
	DiagnosisPointers []int    `json:"diagnosis_pointers"`
	PriceOverride     *Amount  `json:"price_override"`
}

func (s *Server) addCharge(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in chargeRequest
	if !bind(c, &in) {
		return
	}
	if in.PriceOverride != nil && !slices.Contains(priceSetters, user(c).Role) {
		priceOverrideForbidden(c)
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	ch, err := s.addChargeToCase(c.Request.Context(), cs, billing.ChargeInput{EncounterID: c.Param("encounter_id"),
		ProcedureCode: in.ProcedureCode, Modifiers: in.Modifiers, Units: in.Units, Diagnoses: in.Diagnoses,
		DiagnosisPointers: in.DiagnosisPointers, PriceOverride: ptrDecimal(in.PriceOverride), Actor: actor(c)},
		user(c).Role, key)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, ch)
}

type voidRequest struct {
	Reason string `json:"reason" maxlen:"2000"`
}

func (s *Server) voidCharge(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in voidRequest
	if !bind(c, &in) {
		return
	}
	ch, err := s.VoidCharge(c.Request.Context(), cs.ID, c.Param("charge_id"), in.Reason, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ch)
}

type completeRequest struct {
	NoChargeReason string `json:"no_charge_reason" maxlen:"2000"`
}

func (s *Server) completeCharges(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in completeRequest
	if c.Request.ContentLength != 0 && !bind(c, &in) {
		return
	}
	enc, err := s.CompleteCharges(c.Request.Context(), cs.ID, c.Param("encounter_id"), in.NoChargeReason, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, enc)
}

// retryBilling bills again the case's completed visits that could not be billed.
func (s *Server) retryBilling(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var n int
	if err := s.caseUpdate(c.Request.Context(), cs, contract.UpdateRetryBilling, "retry-billing-"+c.GetString(ctxRequestID),
		contract.RetryBillingRequest{Actor: actor(c)}, &n); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"retried_visits": n})
}

// retryBillingQuietly asks an insurance case's workflow to bill visits that
// waited for a coverage. A case without a workflow yet has nothing waiting; a
// failure is logged, not returned: the coverage is saved and the retry endpoint
// remains.
func (s *Server) retryBillingQuietly(ctx context.Context, cs cases.Case, actor audit.Actor) {
	if !cs.Kind.BillsPayers() {
		return
	}
	err := s.update(ctx, 10*time.Second, contract.CaseWorkflowID(cs.ID), contract.UpdateRetryBilling,
		"retry-billing-"+actor.RequestID, contract.RetryBillingRequest{Actor: actor}, nil)
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		s.Logger.Warn("retry billing after a coverage change failed", "case_id", cs.ID,
			"request_id", actor.RequestID, "error", err)
	}
}

type paymentRequest struct {
	Amount     Amount     `json:"amount"`
	Method     string     `json:"method"`
	Reference  string     `json:"reference"`
	ReceivedAt *time.Time `json:"received_at"`
}

// idempotencyKey reads the Idempotency-Key header, or makes a fresh key so a request
// without one is simply not deduplicated.
func idempotencyKey(c *gin.Context) (string, bool) {
	k := c.GetHeader("Idempotency-Key")
	if k == "" {
		return "auto-" + uuid.NewString(), true
	}
	if !requestIDRe.MatchString(k) {
		invalid(c, validate.Errors{{Field: "Idempotency-Key", Message: "must be 1-64 characters of letters, digits, '.', '_' or '-'"}})
		return "", false
	}
	return k, true
}

func (s *Server) recordPayment(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in paymentRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	res, err := s.recordPaymentOn(c.Request.Context(), cs, in.Amount.Decimal, in.Method, in.Reference, in.ReceivedAt, key, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	created(c, res.Replayed, res)
}

type adjustmentRequest struct {
	Amount Amount `json:"amount"`
	Reason string `json:"reason" maxlen:"2000"`
}

func (s *Server) recordAdjustment(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in adjustmentRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var errs validate.Errors
	billing.ValidateMoney(&errs, "amount", in.Amount.Decimal, false)
	billing.CheckCap(&errs, "amount", in.Amount.Decimal, s.maxAmount())
	errs.Required("reason", in.Reason)
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	s.updateCase(c, cs, contract.UpdateRecordAdjustment, "adjustment-"+key+"-"+c.GetString(ctxRequestID), billing.AdjustmentInput{
		AdjustmentID: uuid.NewString(), CaseID: cs.ID, Amount: in.Amount.Decimal, Reason: in.Reason,
		IdempotencyKey: key, Actor: actor(c)}, &billing.PaymentResult{}, http.StatusCreated)
}

// derivedID makes a stable id from a case, an operation and an idempotency key, so
// a retried request names the same encounter or charge and is applied once.
func derivedID(caseID, op, key string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("rcm:"+caseID+":"+op+":"+key)).String()
}
