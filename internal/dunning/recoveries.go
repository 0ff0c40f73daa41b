package dunning

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/validate"
)

// Placed is one case's balance at the collection agency.
type Placed struct {
	PlacementID string          `json:"placement_id"`
	CaseID      string          `json:"case_id"`
	Amount      decimal.Decimal `json:"amount"`
	PlacedAt    time.Time       `json:"placed_at"`
}

// PlacedBalances lists a patient's cases with a balance at the agency (their
// collections A/R), oldest placement first.
func (s *Service) PlacedBalances(ctx context.Context, patientID string) ([]Placed, error) {
	out, err := s.placements(ctx, patientID)
	kept := out[:0]
	for _, p := range out {
		if p.Amount.IsPositive() {
			kept = append(kept, p)
		}
	}
	return kept, err
}

// placements lists a patient's open placements with their collections A/R,
// oldest first, including those the agency recovered in full.
func (s *Service) placements(ctx context.Context, patientID string) ([]Placed, error) {
	var out []Placed
	err := s.DB.WithContext(ctx).Raw(`SELECT p.id AS placement_id, p.case_id, p.placed_at,
		(SELECT coalesce(sum(l.amount), 0) FROM journal_lines l WHERE l.case_id = p.case_id AND l.account_code = ?) AS amount
		FROM collection_placements p JOIN cases c ON c.id = p.case_id
		WHERE p.patient_id = ? AND p.status = 'placed' ORDER BY p.placed_at, c.opened_at, p.id`,
		string(ledger.ARCollections), patientID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("placed balances: %w", err)
	}
	return out, nil
}

// RecoveryInput is money the collection agency recovered on a patient's
// placed balance and remitted, less its commission.
type RecoveryInput struct {
	PatientID string          `json:"patient_id"`
	Amount    decimal.Decimal `json:"amount"`
	Fee       decimal.Decimal `json:"fee"`
	Reference string          `json:"reference"`
	At        time.Time       `json:"received_at"`
	// Key is the idempotency key: every case's payment is keyed by it.
	Key   string      `json:"key"`
	Actor audit.Actor `json:"actor"`
}

// RecoveryPayments spreads a recovery over the patient's placed cases, oldest
// placement first, with the agency's fee in proportion (the last case takes the
// cents rounding leaves): one agency payment per case, each posted through its
// case workflow's record-payment update (billing.RecordPayment with Agency).
// Payments already posted under the key count as still placed, so a retried
// recovery allocates as the first attempt did and posts nothing twice.
func (s *Service) RecoveryPayments(ctx context.Context, in RecoveryInput) ([]billing.PaymentInput, error) {
	var errs validate.Errors
	billing.ValidateMoney(&errs, "amount", in.Amount, false)
	billing.ValidateMoney(&errs, "fee", in.Fee, true)
	errs.Check(in.Fee.LessThanOrEqual(in.Amount), "fee", "must not exceed the amount recovered")
	errs.Required("idempotency_key", in.Key)
	if len(errs) > 0 {
		return nil, errs
	}
	// Every open placement, recovered in full or not, so that a retry walks
	// the cases in the order the first attempt did.
	placed, err := s.placements(ctx, in.PatientID)
	if err != nil {
		return nil, err
	}
	var prior []struct {
		CaseID string
		Amount decimal.Decimal
	}
	if err := s.DB.WithContext(ctx).Raw(`SELECT r.case_id, r.amount FROM collection_recoveries r JOIN payments p ON p.id = r.payment_id
		WHERE r.patient_id = ? AND p.idempotency_key = ?`, in.PatientID, in.Key).Scan(&prior).Error; err != nil {
		return nil, err
	}
	avail := map[string]decimal.Decimal{}
	var order []string
	for _, p := range placed {
		if _, ok := avail[p.CaseID]; !ok {
			order = append(order, p.CaseID)
		}
		avail[p.CaseID] = avail[p.CaseID].Add(decimal.Max(p.Amount, decimal.Zero))
	}
	for _, p := range prior {
		if _, ok := avail[p.CaseID]; !ok {
			order = append(order, p.CaseID)
		}
		avail[p.CaseID] = avail[p.CaseID].Add(p.Amount)
	}
	total := decimal.Zero
	for _, id := range order {
		total = total.Add(avail[id])
	}
	if in.Amount.GreaterThan(total) {
		return nil, validate.Errors{{Field: "amount", Message: fmt.Sprintf("exceeds the %s placed with the collection agency",
			total.StringFixed(2))}}
	}
	var out []billing.PaymentInput
	left, feeLeft := in.Amount, in.Fee
	for _, id := range order {
		if !left.IsPositive() {
			break
		}
		amt := decimal.Min(left, avail[id])
		if !amt.IsPositive() {
			continue
		}
		fee := in.Fee.Mul(amt).Div(in.Amount).Round(2)
		if amt.Equal(left) {
			fee = feeLeft
		}
		fee = decimal.Min(fee, amt)
		out = append(out, billing.PaymentInput{
			PaymentID: uuid.NewSHA1(uuid.NameSpaceOID, []byte("recovery:"+in.Key+":"+id)).String(), CaseID: id,
			Amount: amt, Method: "other", Reference: "collection agency recovery " + in.Reference, ReceivedAt: in.At.UTC(),
			IdempotencyKey: in.Key, Agency: &billing.AgencyRecovery{Fee: fee, Reference: in.Reference}, Actor: in.Actor})
		left, feeLeft = left.Sub(amt), feeLeft.Sub(fee)
	}
	return out, nil
}

// Recovery is one recovery posted on a case.
type Recovery struct {
	ID              string          `json:"id"`
	PatientID       string          `json:"patient_id"`
	CaseID          string          `json:"case_id"`
	Amount          decimal.Decimal `json:"amount"`
	Fee             decimal.Decimal `json:"fee"`
	Net             decimal.Decimal `json:"net"`
	AgencyReference string          `json:"agency_reference"`
	ReceivedAt      time.Time       `json:"received_at"`
}

// Recoveries lists the agency's recoveries, newest first.
func (s *Service) Recoveries(ctx context.Context, limit int) ([]Recovery, error) {
	out := []Recovery{}
	cond, args := access.FromContext(ctx).Patient("patient_id")
	err := s.DB.WithContext(ctx).Raw(`SELECT id, patient_id, case_id, amount, fee, amount - fee AS net, agency_reference, received_at
		FROM collection_recoveries WHERE `+cond+` ORDER BY received_at DESC, id LIMIT ?`, append(args, limit)...).Scan(&out).Error
	return out, err
}

// MarkWrittenOff records placements the agency gave up on as written off
// (their balance moved to bad debt through the case workflows).
func (s *Service) MarkWrittenOff(ctx context.Context, patientID string, placementIDs []string, total decimal.Decimal, actor audit.Actor) error {
	if len(placementIDs) == 0 {
		return nil
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`UPDATE collection_placements SET status = 'written_off' WHERE id IN ? AND status = 'placed'`,
			placementIDs).Error; err != nil {
			return fmt.Errorf("mark placements written off: %w", err)
		}
		return audit.Record(tx, actor, "collections.bad_debt", "patient", patientID, map[string]any{
			"amount": total.StringFixed(2), "cases": len(placementIDs)})
	})
}

// Account is one patient's dunning as the read model has it (the workflow's
// last published state).
type Account struct {
	PatientID string          `json:"patient_id"`
	Status    string          `json:"status"`
	Step      string          `json:"step"`
	NextStep  string          `json:"next_step"`
	NextAt    *time.Time      `json:"next_at,omitempty"`
	Balance   decimal.Decimal `json:"balance"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// AccountStatuses are the statuses an account can be listed by (the dunning
// workflow's).
var AccountStatuses = []string{"active", "plan", "disputed", "collections", "closed"}

// Accounts lists the patients in dunning, optionally of one status, the next
// step soonest first: the billing team's view of who is being collected from.
func (s *Service) Accounts(ctx context.Context, status string, limit int) ([]Account, error) {
	q := s.DB.WithContext(ctx).Table("dunning_accounts").
		Select("patient_id, status, step, next_step, next_at, balance, updated_at").
		Order("next_at NULLS LAST, updated_at DESC, patient_id").Limit(limit)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	cond, args := access.FromContext(ctx).Patient("patient_id")
	q = q.Where(cond, args...)
	out := []Account{}
	if err := q.Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("dunning accounts: %w", err)
	}
	return out, nil
}
