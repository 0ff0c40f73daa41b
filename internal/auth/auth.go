// Package auth manages users, their roles and their API tokens. Tokens are random,
// shown once, and stored only as SHA-256 hashes.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/validate"
)

// Roles.
const (
	RoleFrontDesk = "front_desk"
	RoleProvider  = "provider"
	RoleBiller    = "biller"
	RoleManager   = "manager"
	RoleAdmin     = "admin"
)

// Roles lists every role.
var Roles = []string{RoleFrontDesk, RoleProvider, RoleBiller, RoleManager, RoleAdmin}

// TokenPrefix starts every API token, so leaked tokens are easy to recognise.
const TokenPrefix = "rcm_"

// ErrUnauthenticated is returned for a missing, unknown, revoked or expired token,
// or one whose user is disabled.
var ErrUnauthenticated = apperr.New(apperr.Unauthorized, "invalid, expired or revoked API token")

// ErrEmailTaken is returned when a user with the email already exists.
var ErrEmailTaken = apperr.New(apperr.Conflict, "a user with this email already exists",
	validate.FieldError{Field: "email", Message: "is already used by another user"})

// Service reads and writes users and tokens.
type Service struct {
	DB *gorm.DB
}

// NewUser is the input to CreateUser.
type NewUser struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

// Validate checks a new user's fields.
func (u NewUser) Validate() validate.Errors {
	var errs validate.Errors
	if errs.Required("email", u.Email) {
		_, err := mail.ParseAddress(u.Email)
		errs.Check(err == nil, "email", "is not an email address")
	}
	errs.Required("name", u.Name)
	ok := false
	for _, r := range Roles {
		ok = ok || r == u.Role
	}
	errs.Check(ok, "role", "must be one of %v", Roles)
	return errs
}

// CreateUser adds a user.
func (s *Service) CreateUser(ctx context.Context, in NewUser, actor audit.Actor) (User, error) {
	if errs := in.Validate(); len(errs) > 0 {
		return User{}, errs
	}
	u := User{ID: uuid.NewString(), Email: strings.ToLower(strings.TrimSpace(in.Email)),
		Name: strings.TrimSpace(in.Name), Role: in.Role, CreatedAt: time.Now().UTC()}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&u).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return ErrEmailTaken
			}
			return fmt.Errorf("create user: %w", err)
		}
		return audit.Record(tx, actor, "user.create", "user", u.ID, map[string]any{"role": u.Role})
	})
	return u, err
}

// Token lifetimes for tokens issued through the API.
const (
	// DefaultTokenDays is how long a token lives when the request names no expiry.
	DefaultTokenDays = 90
	// MaxTokenDays is the longest expiry a request may ask for.
	MaxTokenDays = 365
)

// NewToken is the input to Issue.
type NewToken struct {
	// Name labels the token (optional).
	Name string
	// ExpiresInDays is the token's lifetime: 0 means DefaultTokenDays; more than
	// MaxTokenDays or less than 0 is invalid.
	ExpiresInDays int
}

// Validate checks a new token's fields.
func (t NewToken) Validate() validate.Errors {
	var errs validate.Errors
	errs.Check(t.ExpiresInDays >= 0 && t.ExpiresInDays <= MaxTokenDays, "expires_in_days",
		"must be between 1 and %d (0 or absent means %d)", MaxTokenDays, DefaultTokenDays)
	return errs
}

// IssuedToken is a newly issued token: its plaintext, which is not stored and
// cannot be shown again, and its description.
type IssuedToken struct {
	Token string
	TokenInfo
}

// Issue creates a new API token for a user that expires after in.ExpiresInDays
// (DefaultTokenDays when zero). It is how tokens are issued through the API.
func (s *Service) Issue(ctx context.Context, userID string, in NewToken, actor audit.Actor) (IssuedToken, error) {
	if errs := in.Validate(); len(errs) > 0 {
		return IssuedToken{}, errs
	}
	days := in.ExpiresInDays
	if days == 0 {
		days = DefaultTokenDays
	}
	exp := time.Now().UTC().AddDate(0, 0, days)
	return s.issue(ctx, userID, in.Name, &exp, actor)
}

// IssueToken creates a new API token for a user that never expires and returns
// its plaintext. It is for operators on the host (`rcm user token`, the bootstrap
// admin of `rcm dev`), who can reach the database anyway; such a token is revoked
// through the API like any other.
func (s *Service) IssueToken(ctx context.Context, userID, name string, actor audit.Actor) (string, error) {
	t, err := s.issue(ctx, userID, name, nil, actor)
	return t.Token, err
}

func (s *Service) issue(ctx context.Context, userID, name string, expiresAt *time.Time, actor audit.Actor) (IssuedToken, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return IssuedToken{}, err
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	now := time.Now().UTC()
	t := APIToken{ID: uuid.NewString(), UserID: userID, Name: name, TokenHash: Hash(token), CreatedAt: now, ExpiresAt: expiresAt}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&t).Error; err != nil {
			if db.IsForeignKeyViolation(err) {
				return fmt.Errorf("user %s: %w", userID, gorm.ErrRecordNotFound)
			}
			return fmt.Errorf("issue token: %w", err)
		}
		changes := map[string]any{"token_id": t.ID}
		if expiresAt != nil {
			changes["expires_at"] = expiresAt.Format(time.RFC3339)
		}
		return audit.Record(tx, actor, "token.issue", "user", userID, changes)
	})
	if err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{Token: token, TokenInfo: t.Info(now)}, nil
}

// Hash is the stored form of a token.
func Hash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Authenticate returns the active user owning token. It reads the token and its
// user on every call, with nothing cached, so a revocation, an expiry or a
// disabled user refuses the very next request.
func (s *Service) Authenticate(ctx context.Context, token string) (User, error) {
	var u User
	if !strings.HasPrefix(token, TokenPrefix) {
		return u, ErrUnauthenticated
	}
	res := s.DB.WithContext(ctx).Raw(`SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
			AND NOT u.disabled`, Hash(token)).Scan(&u)
	if res.Error != nil {
		return u, fmt.Errorf("authenticate: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return u, ErrUnauthenticated
	}
	// When a token was last used (GET /users/{id}/tokens) tells an admin which
	// tokens are idle; it is written at most once a minute per token, so
	// authentication stays a read.
	if err := s.DB.WithContext(ctx).Exec(`UPDATE api_tokens SET last_used_at = now()
		WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at < now() - ?::interval)`,
		Hash(token), lastUsedGranularity).Error; err != nil {
		return u, fmt.Errorf("authenticate: %w", err)
	}
	// The user's locations are read with the token, so a change of them holds
	// from the next request, like a revocation.
	if err := s.loadLocations(ctx, &u); err != nil {
		return u, fmt.Errorf("authenticate: %w", err)
	}
	return u, nil
}

// lastUsedGranularity is how stale api_tokens.last_used_at may be.
const lastUsedGranularity = "1 minute"

// CountUsers returns how many users exist.
func (s *Service) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.DB.WithContext(ctx).Model(&User{}).Count(&n).Error
	return n, err
}

// ListUsers lists a page of users (db.Page(limit)) by email.
func (s *Service) ListUsers(ctx context.Context, limit int) ([]User, error) {
	out := []User{}
	if err := s.DB.WithContext(ctx).Order("email").Limit(db.Page(limit)).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, s.loadAllLocations(ctx, out)
}
