// Package activities is where workflows meet the outside world: every database
// write of the case lifecycle happens here, each idempotent by a business key so a
// retried activity never posts twice. Errors a workflow must act on are returned as
// non-retryable application errors with a type name (classify).
package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/remit"
	"github.com/clinicflow/rcm/internal/statements"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/workflows/contract"
)

// Activities holds the dependencies activities need.
type Activities struct {
	DB      *gorm.DB
	Billing *billing.Service
	Tasks   *tasks.Service
	Cases   *cases.Service
	Claims  *claims.Service
	Remit   *remit.Service
	// Clearinghouse carries claims, eligibility and status inquiries to payers
	// and brings their files back; Submitter names the practice in the 837P.
	Clearinghouse clearinghouse.Clearinghouse
	Submitter     claims.Submitter
	// LegalDayLength is how long one of a hold's days lasts (LEGAL_DAY_LENGTH;
	// 24h when zero), read by holds when they start.
	LegalDayLength time.Duration
	// Dunning sends statements and reminders; Temporal, when set, lets
	// activities that change a patient balance signal (or start) the patient's
	// dunning workflow and lets dunning reach case workflows.
	Dunning  *dunning.Service
	Temporal client.Client
}

// New wires activities to a database and a clearinghouse.
func New(db *gorm.DB, ch clearinghouse.Clearinghouse, sub claims.Submitter) *Activities {
	return &Activities{DB: db, Billing: &billing.Service{DB: db}, Tasks: &tasks.Service{DB: db}, Cases: &cases.Service{DB: db},
		Claims: &claims.Service{DB: db}, Remit: &remit.Service{DB: db}, Clearinghouse: ch, Submitter: sub,
		Dunning: &dunning.Service{DB: db, Config: dunning.DefaultConfig(), Statements: &statements.Service{DB: db}, SMS: &dunning.DevSMS{}}}
}

// classify is how every activity fails: a coded domain error (apperr) a retry
// cannot mend becomes the non-retryable application error its code names, with
// field details for invalid input. A write the database refused for its data
// (SQLSTATE class 22: overflow, bad text) or its constraints (class 23) is coded
// by db.Coded first, so it fails at once as Invalid or Conflict instead of being
// retried while it holds the case; anything else stays retryable.
func classify(err error) error {
	return contract.ApplicationError(db.Coded(err))
}

// RecordEncounter stores a check-in.
func (a *Activities) RecordEncounter(ctx context.Context, in billing.EncounterInput) error {
	return classify(a.Billing.RecordEncounter(ctx, in))
}

// CaptureCharge prices, stores and posts a charge.
func (a *Activities) CaptureCharge(ctx context.Context, in billing.ChargeInput) (billing.ChargeResult, error) {
	r, err := a.Billing.CaptureCharge(ctx, in)
	if err == nil {
		err = a.nudgeDunning(ctx, in.CaseID, "charge", false)
	}
	return r, classify(err)
}

// VoidCharge voids a charge and posts its reversal.
func (a *Activities) VoidCharge(ctx context.Context, in billing.VoidInput) error {
	return classify(a.Billing.VoidCharge(ctx, in))
}

// CompleteCharges marks an encounter's charge capture complete.
func (a *Activities) CompleteCharges(ctx context.Context, in billing.CompleteInput) error {
	err := a.Billing.CompleteCharges(ctx, in)
	if err == nil {
		err = a.nudgeDunning(ctx, in.CaseID, "charges_complete", true)
	}
	return classify(err)
}

// RecordPayment stores and posts a patient payment.
func (a *Activities) RecordPayment(ctx context.Context, in billing.PaymentInput) (billing.PaymentResult, error) {
	r, err := a.Billing.RecordPayment(ctx, in)
	if err == nil {
		err = a.nudgeDunning(ctx, in.CaseID, "payment", false)
	}
	return r, classify(err)
}

// RecordAdjustment stores and posts a patient adjustment.
func (a *Activities) RecordAdjustment(ctx context.Context, in billing.AdjustmentInput) (billing.PaymentResult, error) {
	r, err := a.Billing.RecordAdjustment(ctx, in)
	if err == nil {
		err = a.nudgeDunning(ctx, in.CaseID, "adjustment", false)
	}
	return r, classify(err)
}

// MissingChargesInput raises the missing-charges task of one encounter.
type MissingChargesInput struct {
	CaseID      string    `json:"case_id"`
	EncounterID string    `json:"encounter_id"`
	CheckedInAt time.Time `json:"checked_in_at"`
	DueAt       time.Time `json:"due_at"`
}

// RaiseMissingChargesTask creates (once) the task telling the team a visit has no
// completed charges, and returns its id.
func (a *Activities) RaiseMissingChargesTask(ctx context.Context, in MissingChargesInput) (string, error) {
	due := in.DueAt
	id, err := a.Tasks.Ensure(ctx, tasks.NewTask{
		Queue: tasks.QueueCharges, Kind: tasks.KindMissingCharges,
		BusinessKey: billing.MissingChargesTaskKey(in.EncounterID),
		CaseID:      in.CaseID, EncounterID: in.EncounterID,
		Title:   "Visit has no completed charges",
		Details: map[string]any{"checked_in_at": in.CheckedInAt, "overdue_since": in.DueAt},
		DueAt:   &due, Priority: 1,
		AnsweredBy: tasks.Answer{WorkflowID: contract.CaseWorkflowID(in.CaseID), Update: contract.UpdateCompleteCharges},
	})
	return id, classify(err)
}

// StageInput records a case's stage in the read model.
type StageInput struct {
	CaseID string `json:"case_id"`
	Stage  string `json:"stage"`
}

// SetCaseStage keeps cases.stage current for lists and reports.
func (a *Activities) SetCaseStage(ctx context.Context, in StageInput) error {
	return classify(a.Cases.SetStage(ctx, in.CaseID, in.Stage))
}
