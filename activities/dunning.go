package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/workflows/contract"
)

// DunningBalance reads what a patient owes across cases.
func (a *Activities) DunningBalance(ctx context.Context, patientID string) (dunning.Balance, error) {
	b, err := a.Dunning.PatientBalance(ctx, patientID)
	return b, classify(err)
}

// PrepareDunningStep writes a step's statement, payment link and outbox rows once.
func (a *Activities) PrepareDunningStep(ctx context.Context, in dunning.PrepareInput) (dunning.Prepared, error) {
	p, err := a.Dunning.Prepare(ctx, in)
	return p, classify(err)
}

// SendDunningMessage sends one outbox message at most once and returns its status.
func (a *Activities) SendDunningMessage(ctx context.Context, id string) (string, error) {
	st, err := a.Dunning.Send(ctx, id)
	return st, classify(err)
}

// SMSWindowInput asks when a text message may go.
type SMSWindowInput struct {
	At          time.Time `json:"at"`
	TimeZone    string    `json:"time_zone"`
	QuietStart  int       `json:"quiet_start"`
	QuietEnd    int       `json:"quiet_end"`
	SMSOnSunday bool      `json:"sms_on_sunday"`
}

// SMSWindow is the earliest time at or after in.At outside the patient's quiet
// hours. It touches nothing outside the process (time zones are read here, not
// in the workflow).
func (a *Activities) SMSWindow(_ context.Context, in SMSWindowInput) (time.Time, error) {
	c := dunning.Config{QuietStart: in.QuietStart, QuietEnd: in.QuietEnd, SMSOnSunday: in.SMSOnSunday}
	t, err := c.SMSWindow(in.At, in.TimeZone)
	if err != nil {
		// An unknown zone: fall back to the default zone rather than never texting.
		t, err = c.SMSWindow(in.At, dunning.DefaultTimeZone)
	}
	return t, classify(err)
}

// HandOffInput places a patient's balance with the agency.
type HandOffInput struct {
	PatientID string    `json:"patient_id"`
	Key       string    `json:"key"`
	At        time.Time `json:"at"`
}

// DunningHandOff places the balance with the collection agency, once per key.
func (a *Activities) DunningHandOff(ctx context.Context, in HandOffInput) (dunning.HandOffResult, error) {
	r, err := a.Dunning.HandOff(ctx, in.PatientID, in.Key, in.At)
	return r, classify(err)
}

// AdjustInput writes a patient's balance down.
type AdjustInput struct {
	PatientID string `json:"patient_id"`
	// Amount to write off, oldest case first; zero: the whole balance.
	Amount   decimal.Decimal `json:"amount"`
	Category string          `json:"category,omitempty"`
	Reason   string          `json:"reason"`
	Key      string          `json:"key"`
	Actor    audit.Actor     `json:"actor"`
}

// DunningAdjust writes a patient balance down case by case through each case
// workflow's record-adjustment update (so the case workflows and the ledger
// agree), idempotent by key, and returns the amount written off.
func (a *Activities) DunningAdjust(ctx context.Context, in AdjustInput) (decimal.Decimal, error) {
	if a.Temporal == nil {
		return decimal.Zero, classify(apperr.New(apperr.Unavailable, "no Temporal client to reach the case workflows"))
	}
	bal, err := a.Dunning.PatientBalance(ctx, in.PatientID)
	if err != nil {
		return decimal.Zero, classify(err)
	}
	left, done := in.Amount, decimal.Zero
	if !left.IsPositive() {
		left = bal.Owed
	}
	for _, c := range bal.Cases {
		if !left.IsPositive() {
			break
		}
		amt := decimal.Min(left, c.Owed)
		key := in.Key + ":" + c.CaseID
		h, err := a.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: contract.CaseWorkflowID(c.CaseID), UpdateName: contract.UpdateRecordAdjustment,
			UpdateID: key, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{billing.AdjustmentInput{AdjustmentID: uuidFromKey(key), CaseID: c.CaseID, Amount: amt, Reason: in.Reason,
				IdempotencyKey: key, Category: in.Category, Actor: in.Actor}},
		})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		if err != nil {
			return done, classify(fmt.Errorf("write off case %s: %w", c.CaseID, contract.FromApplicationError(err)))
		}
		left, done = left.Sub(amt), done.Add(amt)
	}
	return done, nil
}

// DisputeTaskInput opens a dispute task.
type DisputeTaskInput struct {
	PatientID string `json:"patient_id"`
	Key       string `json:"key"`
	Reason    string `json:"reason"`
}

// OpenDisputeTask raises the task in the disputes queue that the
// resolve-dispute update answers, once per key.
func (a *Activities) OpenDisputeTask(ctx context.Context, in DisputeTaskInput) (string, error) {
	id, err := a.Tasks.Ensure(ctx, tasks.NewTask{Queue: tasks.QueueDisputes, Kind: tasks.KindDispute, BusinessKey: in.Key,
		Title: "Patient disputes a balance", Details: map[string]any{"reason": in.Reason, "patient_id": in.PatientID,
			"outcomes": []string{contract.DisputeResume, contract.DisputeAdjust, contract.DisputeWriteOff}},
		Priority:   1,
		AnsweredBy: tasks.Answer{WorkflowID: contract.DunningWorkflowID(in.PatientID), Update: contract.UpdateResolveDispute}})
	return id, classify(err)
}

// CloseTaskInput closes a task the workflow saw done.
type CloseTaskInput struct {
	Key        string      `json:"key"`
	Resolution string      `json:"resolution"`
	Actor      audit.Actor `json:"actor"`
}

// CloseDunningTask closes the task with the key.
func (a *Activities) CloseDunningTask(ctx context.Context, in CloseTaskInput) error {
	_, err := a.Tasks.Resolve(ctx, in.Key, in.Resolution, in.Actor)
	return classify(err)
}

// PublishDunning keeps the dunning_accounts read model current.
func (a *Activities) PublishDunning(ctx context.Context, v contract.DunningView) error {
	step := ""
	if n := len(v.Sent); n > 0 {
		step = v.Sent[n-1]
	}
	err := a.DB.WithContext(ctx).Exec(`INSERT INTO dunning_accounts (patient_id, status, step, next_step, next_at, balance, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, now()) ON CONFLICT (patient_id) DO UPDATE SET status = excluded.status, step = excluded.step,
		next_step = excluded.next_step, next_at = excluded.next_at, balance = excluded.balance, updated_at = now()`,
		v.PatientID, v.Status, step, v.NextStepName, v.NextStepAt, v.Due).Error
	return classify(err)
}

// nudgeDunning tells the patient's dunning workflow that a case's balance
// changed, starting it when the patient owes money (signal-with-start: never a
// second workflow for the account). Without a Temporal client (unit tests) it
// does nothing. Errors are returned so the calling activity retries.
func (a *Activities) nudgeDunning(ctx context.Context, caseID, cause string, start bool) error {
	if a.Temporal == nil || a.Dunning == nil {
		return nil
	}
	var patientID string
	if err := a.DB.WithContext(ctx).Raw(`SELECT patient_id FROM cases WHERE id = ?`, caseID).Scan(&patientID).Error; err != nil {
		return err
	}
	if patientID == "" {
		return nil
	}
	bal, err := a.Dunning.PatientBalance(ctx, patientID)
	if err != nil {
		return err
	}
	sig := contract.BalanceSignal{Cause: cause, CaseID: caseID}
	id := contract.DunningWorkflowID(patientID)
	if !start || !bal.Due.IsPositive() {
		err := a.Temporal.SignalWorkflow(ctx, id, "", contract.SignalDunningBalance, sig)
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil // nothing running: only a balance that became due starts one
		}
		return err
	}
	_, err = a.Temporal.SignalWithStartWorkflow(ctx, id, contract.SignalDunningBalance, sig, client.StartWorkflowOptions{
		ID: id, TaskQueue: contract.TaskQueue, WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, contract.DunningWorkflowName, contract.DunningInput{PatientID: patientID, Config: a.Dunning.Config})
	if err == nil {
		slog.Debug("dunning nudged", "case_id", caseID, "cause", cause)
	}
	return err
}

// uuidFromKey is a stable id for a row written under an idempotency key, so a
// retried activity names the same row.
func uuidFromKey(key string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("rcm:"+key)).String()
}

// nudgeClaimDunning nudges the dunning workflow of a claim's patient.
func (a *Activities) nudgeClaimDunning(ctx context.Context, claimID, cause string) error {
	if a.Temporal == nil {
		return nil
	}
	var caseID string
	if err := a.DB.WithContext(ctx).Raw(`SELECT case_id FROM claims WHERE id = ?`, claimID).Scan(&caseID).Error; err != nil || caseID == "" {
		return err
	}
	return a.nudgeDunning(ctx, caseID, cause, true)
}
