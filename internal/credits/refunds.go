package credits

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/payments"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
)

// Refund statuses. A refund is requested by a biller (a task waits in the
// approvals queue), then rejected, or approved by a manager: the credit leaves
// the case for refunds payable (2110) at once, and the refund is refunded when
// the money left (the processor's refund, or the check mailed). An approved
// card refund the processor will not pay is cancelled by deciding against it:
// the credit returns to the case.
const (
	RefundRequested = "requested"
	RefundApproved  = "approved"
	RefundRefunded  = "refunded"
	RefundRejected  = "rejected"
	RefundCancelled = "cancelled"
)

// Refund methods: back to the card of the patient's online payment, or by a
// check the practice mails.
const (
	RefundCard  = "card"
	RefundCheck = "check"
)

// TaskKind is the kind of a refund's approval task (queue approvals).
const TaskKind = "refund_approval"

// TaskKey is the business key of a refund's approval task.
func TaskKey(refundID string) string { return "refund:" + refundID }

// Refund is a refund of a patient credit.
type Refund struct {
	ID           string          `gorm:"primaryKey;type:uuid" json:"id"`
	PatientID    string          `gorm:"type:uuid" json:"patient_id"`
	CaseID       string          `gorm:"type:uuid" json:"case_id"`
	Amount       decimal.Decimal `gorm:"type:numeric(14,2)" json:"amount"`
	Method       string          `json:"method"`
	CheckoutID   *string         `gorm:"type:uuid" json:"checkout_id,omitempty"`
	Reason       string          `json:"reason"`
	Reference    string          `json:"reference,omitempty"`
	Status       string          `json:"status"`
	RequestedBy  *string         `gorm:"type:uuid" json:"requested_by,omitempty"`
	RequestedAt  time.Time       `json:"requested_at"`
	DecidedBy    *string         `gorm:"type:uuid" json:"decided_by,omitempty"`
	DecidedAt    *time.Time      `json:"decided_at,omitempty"`
	DecisionNote string          `json:"decision_note,omitempty"`
	ProcessorRef string          `json:"processor_ref,omitempty"`
	// Detail says why an approved refund is not paid out yet (the processor's
	// last answer).
	Detail     string     `json:"detail,omitempty"`
	RefundedAt *time.Time `json:"refunded_at,omitempty"`
	// TaskID is the approval task.
	TaskID string `gorm:"-" json:"task_id,omitempty"`

	IdempotencyKey string `json:"-"`
	RequestHash    string `json:"-"`
}

// TableName is patient_refunds.
func (Refund) TableName() string { return "patient_refunds" }

// RefundInput asks for a refund of a case's credit.
type RefundInput struct {
	CaseID string          `json:"case_id"`
	Amount decimal.Decimal `json:"amount"`
	// Method is card (to the patient's online payment) or check.
	Method         string      `json:"method"`
	Reason         string      `json:"reason"`
	IdempotencyKey string      `json:"idempotency_key"`
	Actor          audit.Actor `json:"actor"`
}

// ErrCreditChanged is returned when a refund is approved after its credit was
// applied or refunded elsewhere.
var ErrCreditChanged = apperr.New(apperr.Conflict, "the credit to refund is no longer there")

// ErrDecided is returned for a decision that contradicts the one taken.
var ErrDecided = apperr.New(apperr.Conflict, "the refund was already decided otherwise")

// ErrNoProcessor is returned when an approved card refund cannot be paid out
// because no card processor is configured.
var ErrNoProcessor = apperr.New(apperr.Unavailable, "no card processor is configured to pay the refund")

// RequestRefund records a refund request and raises its approval task in the
// approvals queue, in one transaction. The amount must be credit held on the
// case that no balance of the patient's claims (apply the credit to other
// cases first). A card refund goes back to the patient's most recent online
// payment that can take it. The idempotency key makes a retried request answer
// the first refund (replayed true).
func (s *Service) RequestRefund(ctx context.Context, in RefundInput) (Refund, bool, error) {
	var errs validate.Errors
	billing.ValidateMoney(&errs, "amount", in.Amount, false)
	errs.Check(in.Method == RefundCard || in.Method == RefundCheck, "method", "must be %s or %s", RefundCard, RefundCheck)
	errs.Required("reason", in.Reason)
	if errs.Required("case_id", in.CaseID) {
		errs.Check(uuid.Validate(in.CaseID) == nil, "case_id", "must be a case id")
	}
	errs.Required("idempotency_key", in.IdempotencyKey)
	if len(errs) > 0 {
		return Refund{}, false, errs
	}
	hash := billing.RequestHash(in.CaseID, in.Amount.StringFixed(2), in.Method, in.Reason)
	var out Refund
	replayed := false
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var patientID string
		if err := tx.Raw(`SELECT patient_id FROM cases WHERE id = ?`, in.CaseID).Scan(&patientID).Error; err != nil {
			return err
		}
		if patientID == "" {
			return validate.Errors{{Field: "case_id", Message: "is not a case"}}
		}
		cases, err := lockPatientCases(tx, patientID)
		if err != nil {
			return err
		}
		if res := tx.Where("idempotency_key = ?", in.IdempotencyKey).Limit(1).Find(&out); res.Error != nil {
			return res.Error
		} else if res.RowsAffected > 0 {
			if out.RequestHash != hash {
				return billing.ErrIdempotencyConflict
			}
			replayed = true
			return s.withTask(tx, &out)
		}
		pos, err := position(tx, patientID, cases)
		if err != nil {
			return err
		}
		var c CaseMoney
		for _, x := range cases {
			if x.CaseID == in.CaseID {
				c = x
			}
		}
		pending := decimal.Zero
		if err := tx.Raw(`SELECT coalesce(sum(amount), 0) FROM patient_refunds WHERE case_id = ? AND status = ?`,
			in.CaseID, RefundRequested).Scan(&pending).Error; err != nil {
			return err
		}
		switch {
		case in.Amount.GreaterThan(c.Credit.Sub(pending)):
			return validate.Errors{{Field: "amount", Message: fmt.Sprintf("exceeds the credit on the case: %s held, %s already asked to refund",
				c.Credit.StringFixed(2), pending.StringFixed(2))}}
		case in.Amount.GreaterThan(pos.Refundable):
			return validate.Errors{{Field: "amount", Message: fmt.Sprintf(
				"exceeds what may be refunded (%s): the patient owes %s on other cases (%s placed with the agency); apply the credit to them first",
				pos.Refundable.StringFixed(2), pos.Owed.StringFixed(2), pos.InCollections.StringFixed(2))}}
		}
		out = Refund{ID: uuid.NewString(), PatientID: patientID, CaseID: in.CaseID, Amount: in.Amount, Method: in.Method,
			Reason: in.Reason, Status: RefundRequested, RequestedBy: nonEmpty(in.Actor.UserID), RequestedAt: time.Now().UTC(),
			IdempotencyKey: in.IdempotencyKey, RequestHash: hash}
		if in.Method == RefundCard {
			var checkout string
			if err := tx.Raw(`SELECT c.id FROM payment_checkouts c WHERE c.patient_id = ? AND c.status = 'paid'
				AND c.amount - coalesce((SELECT sum(r.amount) FROM patient_refunds r WHERE r.checkout_id = c.id
					AND r.status <> ?), 0) >= ? ORDER BY c.updated_at DESC, c.id LIMIT 1`,
				patientID, RefundRejected, in.Amount).Scan(&checkout).Error; err != nil {
				return err
			}
			if checkout == "" {
				return validate.Errors{{Field: "method", Message: "the patient has no online card payment that can take this refund; refund by check"}}
			}
			out.CheckoutID = &checkout
		}
		if err := tx.Create(&out).Error; err != nil {
			return fmt.Errorf("store refund: %w", err)
		}
		taskID, err := (&tasks.Service{DB: tx}).Ensure(ctx, tasks.NewTask{Queue: tasks.QueueApprovals, Kind: TaskKind,
			BusinessKey: TaskKey(out.ID), CaseID: out.CaseID, PatientID: patientID,
			Title: "Approve refund of $" + out.Amount.StringFixed(2) + " (" + out.Method + ")",
			Details: map[string]any{"refund_id": out.ID, "amount": out.Amount.StringFixed(2), "method": out.Method,
				"reason": out.Reason, "decide": "POST /api/v1/payments/refunds/" + out.ID + "/decision {\"approve\": true|false}"},
			Priority: 1})
		if err != nil {
			return err
		}
		out.TaskID = taskID
		return audit.Record(tx, in.Actor, "refund.request", "refund", out.ID, map[string]any{
			"case_id": out.CaseID, "amount": out.Amount.StringFixed(2), "method": out.Method})
	})
	return out, replayed, err
}

func (s *Service) withTask(tx *gorm.DB, r *Refund) error {
	return tx.Model(&tasks.Task{}).Where("business_key = ?", TaskKey(r.ID)).Limit(1).Pluck("id", &r.TaskID).Error
}

// Decision is a manager's answer to a refund request.
type Decision struct {
	Approve bool   `json:"approve"`
	Note    string `json:"note"`
	// Reference is the number of the check mailed (method check).
	Reference string      `json:"reference"`
	Actor     audit.Actor `json:"actor"`
}

// Decide answers a refund request. Rejecting closes it; deciding against an
// approved card refund not paid out cancels it (the credit returns). Approving moves the
// credit off the case into refunds payable (one journal, with the move's row),
// closes the approval task, and pays the refund: a check refund is paid at once
// (the check is mailed), a card refund through the processor, idempotent by the
// refund id. The person who asked for a refund cannot approve it. Deciding the
// same way again answers the refund as it stands, and retries a card refund's
// payout the processor did not make. It returns the moves the case workflow
// must record.
func (s *Service) Decide(ctx context.Context, id string, d Decision) (Refund, []billing.CreditMove, error) {
	var r Refund
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if uuid.Validate(id) != nil {
			return fmt.Errorf("refund %s: %w", id, ErrNotFound)
		}
		res := tx.Raw(`SELECT * FROM patient_refunds WHERE id = ? FOR UPDATE`, id).Scan(&r)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("refund %s: %w", id, ErrNotFound)
		}
		closedNo := r.Status == RefundRejected || r.Status == RefundCancelled
		switch {
		case r.Status == RefundRequested && !d.Approve:
			return s.reject(ctx, tx, &r, d)
		case r.Status == RefundRequested:
			return s.approve(ctx, tx, &r, d)
		case r.Status == RefundApproved && !d.Approve:
			return s.cancel(tx, &r, d)
		case closedNo == d.Approve:
			return fmt.Errorf("%w: it is %s", ErrDecided, r.Status)
		}
		return nil
	})
	if err != nil {
		return r, nil, err
	}
	if r.Status == RefundApproved && r.Method == RefundCard {
		if err := s.payOut(ctx, &r, d.Actor); err != nil {
			return r, nil, err
		}
	}
	moves, err := loadMoves(s.DB.WithContext(ctx), "refund", r.ID)
	if err == nil {
		err = s.withTask(s.DB.WithContext(ctx), &r)
	}
	return r, moves, err
}

func (s *Service) reject(ctx context.Context, tx *gorm.DB, r *Refund, d Decision) error {
	now := time.Now().UTC()
	r.Status, r.DecidedBy, r.DecidedAt, r.DecisionNote = RefundRejected, nonEmpty(d.Actor.UserID), &now, d.Note
	if err := tx.Model(&Refund{}).Where("id = ?", r.ID).Updates(map[string]any{"status": r.Status,
		"decided_by": r.DecidedBy, "decided_at": now, "decision_note": d.Note}).Error; err != nil {
		return fmt.Errorf("reject refund %s: %w", r.ID, err)
	}
	if _, err := (&tasks.Service{DB: tx}).Resolve(ctx, TaskKey(r.ID), "refund rejected", d.Actor); err != nil {
		return err
	}
	return audit.Record(tx, d.Actor, "refund.reject", "refund", r.ID, map[string]any{"amount": r.Amount.StringFixed(2)})
}

func (s *Service) approve(ctx context.Context, tx *gorm.DB, r *Refund, d Decision) error {
	if r.RequestedBy != nil && d.Actor.UserID == *r.RequestedBy {
		return validate.Errors{{Field: "approve", Message: "the person who asked for a refund cannot approve it"}}
	}
	cases, err := lockPatientCases(tx, r.PatientID)
	if err != nil {
		return err
	}
	pos, err := position(tx, r.PatientID, cases)
	if err != nil {
		return err
	}
	var c CaseMoney
	for _, x := range cases {
		if x.CaseID == r.CaseID {
			c = x
		}
	}
	// This request is among the pending ones position subtracted.
	free := pos.Credit.Sub(pos.Owed).Sub(pos.InCollections).Sub(pos.PendingRefunds.Sub(r.Amount))
	if r.Amount.GreaterThan(c.Credit) || r.Amount.GreaterThan(free) {
		return fmt.Errorf("%w: the case holds %s of credit and the patient owes %s elsewhere; reject this refund",
			ErrCreditChanged, c.Credit.StringFixed(2), pos.Owed.Add(pos.InCollections).StringFixed(2))
	}
	if _, err := ledger.Post(tx, ledger.Journal{IdempotencyKey: "refund-approved:" + r.ID, Kind: "refund_approved",
		CaseID: r.CaseID, PatientID: r.PatientID, SourceType: "refund", SourceID: r.ID,
		Memo:  "patient credit approved for refund (" + r.Method + ")",
		Lines: []ledger.Line{ledger.Debit(ledger.PatientCredit, r.Amount), ledger.Credit(ledger.RefundsPayable, r.Amount)}}); err != nil {
		return err
	}
	now := time.Now().UTC()
	if err := tx.Create(&moveRow{ID: uuid.NewString(), CaseID: r.CaseID, PatientID: r.PatientID, Kind: MoveRefund,
		Amount: r.Amount.Neg(), SourceType: "refund", SourceID: r.ID, CreatedAt: now}).Error; err != nil {
		return fmt.Errorf("store refund move: %w", err)
	}
	r.Status, r.DecidedBy, r.DecidedAt, r.DecisionNote = RefundApproved, nonEmpty(d.Actor.UserID), &now, d.Note
	up := map[string]any{"status": r.Status, "decided_by": r.DecidedBy, "decided_at": now, "decision_note": d.Note}
	if _, err := (&tasks.Service{DB: tx}).Resolve(ctx, TaskKey(r.ID), "refund approved", d.Actor); err != nil {
		return err
	}
	if err := audit.Record(tx, d.Actor, "refund.approve", "refund", r.ID, map[string]any{"amount": r.Amount.StringFixed(2)}); err != nil {
		return err
	}
	if r.Method == RefundCheck {
		if err := s.paid(tx, r, d.Reference, d.Actor); err != nil {
			return err
		}
		up["status"], up["processor_ref"], up["refunded_at"] = r.Status, r.ProcessorRef, r.RefundedAt
	}
	return tx.Model(&Refund{}).Where("id = ?", r.ID).Updates(up).Error
}

// cancel takes back an approved refund that was not paid out (the processor
// would not pay it): the credit returns from refunds payable to the case.
func (s *Service) cancel(tx *gorm.DB, r *Refund, d Decision) error {
	if _, err := ledger.Post(tx, ledger.Journal{IdempotencyKey: "refund-cancelled:" + r.ID, Kind: "refund_cancelled",
		CaseID: r.CaseID, PatientID: r.PatientID, SourceType: "refund", SourceID: r.ID,
		Memo:  "approved refund cancelled; the credit is the patient's again",
		Lines: []ledger.Line{ledger.Debit(ledger.RefundsPayable, r.Amount), ledger.Credit(ledger.PatientCredit, r.Amount)}}); err != nil {
		return err
	}
	if err := tx.Create(&moveRow{ID: uuid.NewString(), CaseID: r.CaseID, PatientID: r.PatientID, Kind: MoveRefundCancelled,
		Amount: r.Amount, SourceType: "refund", SourceID: r.ID, CreatedAt: time.Now().UTC()}).Error; err != nil {
		return fmt.Errorf("store refund cancellation move: %w", err)
	}
	r.Status, r.DecisionNote = RefundCancelled, d.Note
	if err := tx.Model(&Refund{}).Where("id = ?", r.ID).Updates(map[string]any{"status": r.Status,
		"decision_note": d.Note}).Error; err != nil {
		return err
	}
	return audit.Record(tx, d.Actor, "refund.cancel", "refund", r.ID, map[string]any{"amount": r.Amount.StringFixed(2)})
}

// paid posts the payout (refunds payable to cash) inside tx and marks r
// refunded (the caller writes the row).
func (s *Service) paid(tx *gorm.DB, r *Refund, ref string, actor audit.Actor) error {
	if _, err := ledger.Post(tx, ledger.Journal{IdempotencyKey: "refund-paid:" + r.ID, Kind: "refund_paid",
		CaseID: r.CaseID, PatientID: r.PatientID, SourceType: "refund", SourceID: r.ID,
		Memo:  "refund paid (" + r.Method + ")",
		Lines: []ledger.Line{ledger.Debit(ledger.RefundsPayable, r.Amount), ledger.Credit(ledger.Cash, r.Amount)}}); err != nil {
		return err
	}
	now := time.Now().UTC()
	r.Status, r.ProcessorRef, r.RefundedAt, r.Detail = RefundRefunded, ref, &now, ""
	return audit.Record(tx, actor, "refund.paid", "refund", r.ID, map[string]any{"amount": r.Amount.StringFixed(2), "method": r.Method})
}

// payOut asks the processor to refund an approved card refund and records the
// payout; a processor failure leaves the refund approved, with the reason in
// Detail, for the next attempt.
func (s *Service) payOut(ctx context.Context, r *Refund, actor audit.Actor) error {
	if s.Processor == nil {
		return ErrNoProcessor
	}
	checkout := ""
	if r.CheckoutID != nil {
		checkout = *r.CheckoutID
	}
	ref, perr := s.Processor.Refund(ctx, payments.RefundRequest{ID: r.ID, CheckoutID: checkout, Amount: r.Amount})
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if res := tx.Raw(`SELECT * FROM patient_refunds WHERE id = ? FOR UPDATE`, r.ID).Scan(r); res.Error != nil {
			return res.Error
		}
		if r.Status != RefundApproved {
			return nil // paid meanwhile by a concurrent attempt
		}
		if perr != nil {
			r.Detail = perr.Error()
			if err := tx.Model(&Refund{}).Where("id = ?", r.ID).Update("detail", r.Detail).Error; err != nil {
				return err
			}
			return &apperr.Error{Code: apperr.Unavailable, Message: "the processor did not refund; decide again to retry: " + perr.Error(), Err: perr}
		}
		if err := s.paid(tx, r, ref, actor); err != nil {
			return err
		}
		return tx.Model(&Refund{}).Where("id = ?", r.ID).Updates(map[string]any{"status": r.Status,
			"processor_ref": r.ProcessorRef, "refunded_at": r.RefundedAt, "detail": ""}).Error
	})
}

// Get reads one refund.
func (s *Service) Get(ctx context.Context, id string) (Refund, error) {
	var r Refund
	tx := s.DB.WithContext(ctx)
	if found, err := db.FindByID(tx, &r, id); err != nil {
		return r, err
	} else if !found {
		return r, fmt.Errorf("refund %s: %w", id, ErrNotFound)
	}
	return r, s.withTask(tx, &r)
}

// RefundFilter narrows the refund list.
type RefundFilter struct {
	Status    string
	PatientID string
	Limit     int
}

// RefundStatuses are every refund status.
var RefundStatuses = []string{RefundRequested, RefundApproved, RefundRefunded, RefundRejected, RefundCancelled}

// Refunds lists refunds, newest first.
func (s *Service) Refunds(ctx context.Context, f RefundFilter) ([]Refund, error) {
	q := s.DB.WithContext(ctx).Order("requested_at DESC, id").Limit(db.Page(f.Limit))
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.PatientID != "" {
		q = q.Where("patient_id = ?", f.PatientID)
	}
	cond, args := access.FromContext(ctx).Patient("patient_id")
	q = q.Where(cond, args...)
	out := []Refund{}
	return out, q.Find(&out).Error
}
