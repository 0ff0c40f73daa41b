// Package payments is how patients pay without signing in: payment links (a
// random token, stored as its hash, scoped to one patient balance, expiring),
// checkout sessions with a card processor behind the PaymentProcessor
// interface, and the processor's signed webhooks, each event applied once.
package payments

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
)

// DefaultLinkTTL is how long a payment link works.
const DefaultLinkTTL = 30 * 24 * time.Hour

// ErrLinkInvalid is the one answer for a token that is unknown, expired or used:
// the page does not tell which, so tokens cannot be probed.
var ErrLinkInvalid = apperr.New(apperr.NotFound, "this payment link is not valid: it may have expired or been used")

// Link is a payment link row.
type Link struct {
	ID          string          `gorm:"primaryKey;type:uuid"`
	TokenSHA256 string          `gorm:"column:token_sha256"`
	PatientID   string          `gorm:"type:uuid"`
	StatementID *string         `gorm:"type:uuid"`
	Amount      decimal.Decimal `gorm:"type:numeric(14,2)"`
	ExpiresAt   time.Time
	UsedAt      *time.Time
	CreatedAt   time.Time
}

// TableName is payment_links.
func (Link) TableName() string { return "payment_links" }

// HashToken is how a token is stored.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// NewToken is 32 random bytes, URL-safe.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// CreateLink stores a link for amount on a patient's balance inside tx and
// returns its token (shown once, never stored).
func CreateLink(tx *gorm.DB, patientID, statementID string, amount decimal.Decimal, now time.Time, ttl time.Duration) (string, Link, error) {
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	token, err := NewToken()
	if err != nil {
		return "", Link{}, err
	}
	l := Link{ID: uuid.NewString(), TokenSHA256: HashToken(token), PatientID: patientID, Amount: amount,
		ExpiresAt: now.Add(ttl), CreatedAt: now}
	if statementID != "" {
		l.StatementID = &statementID
	}
	if err := tx.Create(&l).Error; err != nil {
		return "", Link{}, fmt.Errorf("create payment link: %w", err)
	}
	return token, l, nil
}

// Resolve finds the live link of a token: ErrLinkInvalid when unknown, expired
// or used.
func Resolve(ctx context.Context, db *gorm.DB, token string, now time.Time) (Link, error) {
	var l Link
	if len(token) < 20 || len(token) > 100 {
		return l, ErrLinkInvalid
	}
	res := db.WithContext(ctx).Where("token_sha256 = ?", HashToken(token)).Limit(1).Find(&l)
	if res.Error != nil {
		return l, res.Error
	}
	if res.RowsAffected == 0 || l.UsedAt != nil || !now.Before(l.ExpiresAt) {
		return Link{}, ErrLinkInvalid
	}
	return l, nil
}
