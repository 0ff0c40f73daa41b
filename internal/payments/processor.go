package payments

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/apperr"
	rcmdb "github.com/clinicflow/rcm/internal/db"
)

// Event types a processor sends.
const (
	EventSucceeded = "payment.succeeded"
	EventDeclined  = "payment.declined"
)

// DeclineCard is the development processor's test card number that declines.
const DeclineCard = "4000000000000002"

// Checkout is what the application asks a processor to charge.
type Checkout struct {
	ID     string          `json:"id"`
	Amount decimal.Decimal `json:"amount"`
	// Card is the card number the payer typed (the development processor's
	// form; a real processor collects it on its own page).
	Card string `json:"-"`
}

// Event is a processor's webhook body.
type Event struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	CheckoutID string          `json:"checkout_id"`
	Amount     decimal.Decimal `json:"amount"`
	Created    int64           `json:"created"`
}

// PaymentProcessor takes card payments: it opens a checkout session and later
// reports the outcome through a signed webhook (POST /webhooks/payments). It
// also returns money to the card of a paid checkout (a refund of a patient
// credit, internal/credits).
type PaymentProcessor interface {
	StartCheckout(ctx context.Context, c Checkout) error
	// Refund pays r back to the card of r.CheckoutID and answers the
	// processor's refund reference. It is idempotent by r.ID (the processor's
	// idempotency key): asked again, it answers the first refund's reference
	// and moves no money.
	Refund(ctx context.Context, r RefundRequest) (string, error)
}

// RefundRequest is a refund to the card of a paid checkout.
type RefundRequest struct {
	// ID is the refund's id in this application, the idempotency key.
	ID         string          `json:"id"`
	CheckoutID string          `json:"checkout_id"`
	Amount     decimal.Decimal `json:"amount"`
}

// ErrRefundRefused is a refund the processor would not make (no such paid
// checkout, or more than it took).
var ErrRefundRefused = apperr.New(apperr.Conflict, "the payment processor refused the refund")

// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>" over
// "<t>.<raw body>".
const SignatureHeader = "X-Payment-Signature"

// Tolerance is how old a webhook's timestamp may be.
const Tolerance = 5 * time.Minute

// Sign is the signature header value for body at t.
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// ErrBadSignature is a webhook whose signature is missing, wrong or stale.
var ErrBadSignature = apperr.New(apperr.Invalid, "the webhook signature is missing, wrong or stale")

// Verify checks a webhook's signature header against the raw body, refusing a
// timestamp more than Tolerance away from now.
func Verify(secret, body []byte, header string, now time.Time) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return ErrBadSignature
	}
	at := time.Unix(sec, 0)
	if now.Sub(at) > Tolerance || at.Sub(now) > Tolerance {
		return ErrBadSignature
	}
	want := Sign(secret, body, at)
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig)) {
		return ErrBadSignature
	}
	return nil
}

// DevProcessor behaves like a card processor on one machine: it accepts a
// checkout, then, asynchronously, posts a signed webhook to the application
// (succeeded, or declined for DeclineCard).
type DevProcessor struct {
	WebhookURL string
	Secret     []byte
	Delay      time.Duration
	Client     *http.Client
	Logger     *slog.Logger

	mu      sync.Mutex
	refunds map[string]devRefund
}

type devRefund struct {
	ref        string
	checkoutID string
	amount     decimal.Decimal
}

// Refund refunds synchronously, as card processors answer a refund request:
// once per refund id (a repeated request answers the first reference), and
// never without a checkout and a positive amount.
func (d *DevProcessor) Refund(_ context.Context, r RefundRequest) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if prior, ok := d.refunds[r.ID]; ok {
		if prior.checkoutID != r.CheckoutID || !prior.amount.Equal(r.Amount) {
			return "", fmt.Errorf("%w: refund %s was asked before with another checkout or amount", ErrRefundRefused, r.ID)
		}
		return prior.ref, nil
	}
	if r.CheckoutID == "" || !r.Amount.IsPositive() {
		return "", fmt.Errorf("%w: a refund needs a paid checkout and a positive amount", ErrRefundRefused)
	}
	if d.refunds == nil {
		d.refunds = map[string]devRefund{}
	}
	ref := "re_" + uuid.NewString()
	d.refunds[r.ID] = devRefund{ref: ref, checkoutID: r.CheckoutID, amount: r.Amount}
	return ref, nil
}

// Refunds counts the refunds the development processor made (tests check a
// retried approval refunded once).
func (d *DevProcessor) Refunds() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.refunds)
}

// StartCheckout schedules the webhook for c.
func (d *DevProcessor) StartCheckout(_ context.Context, c Checkout) error {
	ev := Event{ID: "evt_" + uuid.NewString(), Type: EventSucceeded, CheckoutID: c.ID, Amount: c.Amount, Created: time.Now().Unix()}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, c.Card)
	if digits == DeclineCard {
		ev.Type = EventDeclined
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	go func() {
		time.Sleep(d.Delay)
		client := d.Client
		if client == nil {
			client = &http.Client{Timeout: 30 * time.Second}
		}
		for attempt := range 5 {
			req, _ := http.NewRequest(http.MethodPost, d.WebhookURL, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(SignatureHeader, Sign(d.Secret, body, time.Now()))
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode < 300 {
					return
				}
			}
			if d.Logger != nil {
				d.Logger.Warn("development processor webhook failed; retrying", "checkout_id", c.ID, "attempt", attempt+1)
			}
			time.Sleep(time.Duration(attempt+1) * time.Second)
		}
	}()
	return nil
}

// CheckoutRow is a checkout session.
type CheckoutRow struct {
	ID        string          `gorm:"primaryKey;type:uuid"`
	LinkID    string          `gorm:"type:uuid"`
	PatientID string          `gorm:"type:uuid"`
	Amount    decimal.Decimal `gorm:"type:numeric(14,2)"`
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName is payment_checkouts.
func (CheckoutRow) TableName() string { return "payment_checkouts" }

// OpenCheckout records a checkout for a live link.
func OpenCheckout(ctx context.Context, db *gorm.DB, l Link) (CheckoutRow, error) {
	now := time.Now().UTC()
	c := CheckoutRow{ID: uuid.NewString(), LinkID: l.ID, PatientID: l.PatientID, Amount: l.Amount, Status: "open",
		CreatedAt: now, UpdatedAt: now}
	return c, db.WithContext(ctx).Create(&c).Error
}

// ErrUnknownCheckout is an event about a checkout this application never opened.
var ErrUnknownCheckout = apperr.New(apperr.Invalid, "the event names no checkout of this application")

// Seen reports whether the event was already applied.
func Seen(ctx context.Context, db *gorm.DB, eventID string) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Table("payment_events").Where("event_id = ?", eventID).Count(&n).Error
	return n > 0, err
}

// LoadCheckout reads a checkout.
func LoadCheckout(ctx context.Context, db *gorm.DB, id string) (CheckoutRow, error) {
	var c CheckoutRow
	if found, err := rcmdb.FindByID(db.WithContext(ctx), &c, id); err != nil {
		return c, err
	} else if !found {
		return c, ErrUnknownCheckout
	}
	return c, nil
}

// Settle records an event as applied and moves its checkout (and, when paid,
// its link) to the outcome, in one transaction. It reports false when the
// event was already applied (a concurrent delivery).
func Settle(ctx context.Context, db *gorm.DB, ev Event) (bool, error) {
	applied := false
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Table("payment_events").Create(map[string]any{
			"event_id": ev.ID, "checkout_id": ev.CheckoutID, "type": ev.Type, "received_at": time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil
		}
		applied = true
		status := "declined"
		if ev.Type == EventSucceeded {
			status = "paid"
		}
		var c CheckoutRow
		if err := tx.Raw(`SELECT * FROM payment_checkouts WHERE id = ? FOR UPDATE`, ev.CheckoutID).Scan(&c).Error; err != nil {
			return err
		}
		if c.Status != "open" {
			return nil // a later or repeated event for a settled checkout changes nothing
		}
		if err := tx.Model(&CheckoutRow{}).Where("id = ?", c.ID).Updates(map[string]any{"status": status, "updated_at": time.Now().UTC()}).Error; err != nil {
			return err
		}
		if status == "paid" {
			return tx.Model(&Link{}).Where("id = ?", c.LinkID).Update("used_at", time.Now().UTC()).Error
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("settle event %s: %w", ev.ID, err)
	}
	return applied, nil
}

// IsBadSignature reports a signature error.
func IsBadSignature(err error) bool { return errors.Is(err, ErrBadSignature) }
