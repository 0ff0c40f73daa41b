package auth

import (
	"time"
)

// User is a person who signs in, with one role.
type User struct {
	ID        string    `gorm:"primaryKey;type:uuid" json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	// LocationIDs are the locations the user is limited to (user_locations);
	// empty means every location.
	LocationIDs []string `gorm:"-" json:"location_ids"`
}

// APIToken is a hashed bearer token belonging to a user.
type APIToken struct {
	ID         string `gorm:"primaryKey;type:uuid"`
	UserID     string `gorm:"type:uuid"`
	Name       string
	TokenHash  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	// ExpiresAt is when the token stops working; nil means never (see
	// migrations/00008_token_expiry.sql for which tokens have none).
	ExpiresAt *time.Time
}

// Token states, as TokenInfo.Status reports them.
const (
	TokenActive  = "active"
	TokenExpired = "expired"
	TokenRevoked = "revoked"
)

// TokenInfo describes a token without its secret or its hash: what an admin
// sees when listing a user's tokens.
type TokenInfo struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	// Status is active, expired or revoked (revoked wins over expired).
	Status string `json:"status"`
}

// Info is the token as TokenInfo, its status taken at now.
func (t APIToken) Info(now time.Time) TokenInfo {
	st := TokenActive
	switch {
	case t.RevokedAt != nil:
		st = TokenRevoked
	case t.ExpiresAt != nil && !t.ExpiresAt.After(now):
		st = TokenExpired
	}
	return TokenInfo{ID: t.ID, UserID: t.UserID, Name: t.Name, CreatedAt: t.CreatedAt,
		LastUsedAt: t.LastUsedAt, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt, Status: st}
}

// TableName maps APIToken to api_tokens.
func (APIToken) TableName() string { return "api_tokens" }
