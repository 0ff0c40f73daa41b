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
}

// TableName maps APIToken to api_tokens.
func (APIToken) TableName() string { return "api_tokens" }
