package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/validate"
)

// ErrDisableSelf is returned when an admin tries to disable their own user: only
// admins may disable users, so the one acting must stay able to undo it and the
// system is never left without an admin by accident.
var ErrDisableSelf = apperr.New(apperr.Conflict, "you cannot disable your own user; ask another admin")

// userNotFound is the error for a user id that is malformed or names no user.
func userNotFound(id string) error {
	return apperr.Errorf(apperr.NotFound, "user %s not found", id)
}

// SetDisabled disables or enables a user. A disabled user's tokens are refused
// from the next request on (Authenticate reads the flag every time); enabling
// the user again makes the same tokens work, unless they were revoked or have
// expired meanwhile. Setting the state a user already has changes nothing and
// writes no audit row.
func (s *Service) SetDisabled(ctx context.Context, userID string, disabled bool, actor audit.Actor) (User, error) {
	if uuid.Validate(userID) != nil {
		return User{}, userNotFound(userID)
	}
	if disabled && userID == actor.UserID {
		return User{}, ErrDisableSelf
	}
	var u User
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockUser(tx, userID, &u); err != nil {
			return err
		}
		if u.Disabled == disabled {
			return nil
		}
		if err := tx.Model(&u).Update("disabled", disabled).Error; err != nil {
			return fmt.Errorf("set user %s disabled=%t: %w", userID, disabled, err)
		}
		u.Disabled = disabled
		action := "user.enable"
		if disabled {
			action = "user.disable"
		}
		return audit.Record(tx, actor, action, "user", userID, audit.Merge(
			audit.Diff(map[string]any{"disabled": !disabled}, map[string]any{"disabled": disabled}),
			map[string]any{"disabled": disabled}))
	})
	if err != nil {
		return User{}, err
	}
	return u, s.loadLocations(ctx, &u)
}

// ErrChangeOwnRole refuses an admin changing their own role, so a practice
// never loses its last admin by a slip.
var ErrChangeOwnRole = apperr.New(apperr.Conflict, "you cannot change your own role; ask another admin")

// SetRole gives a user another role, effective from their next request (API
// tokens and web sessions read the user every time). The audit row carries the
// role before and after; setting the role a user already has changes nothing.
func (s *Service) SetRole(ctx context.Context, userID, role string, actor audit.Actor) (User, error) {
	if uuid.Validate(userID) != nil {
		return User{}, userNotFound(userID)
	}
	var errs validate.Errors
	errs.Check(slices.Contains(Roles, role), "role", "must be one of %s", strings.Join(Roles, ", "))
	if err := errs.Err(); err != nil {
		return User{}, err
	}
	if userID == actor.UserID {
		return User{}, ErrChangeOwnRole
	}
	var u User
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockUser(tx, userID, &u); err != nil {
			return err
		}
		if u.Role == role {
			return nil
		}
		before := u.Role
		if err := tx.Model(&u).Update("role", role).Error; err != nil {
			return fmt.Errorf("set user %s role: %w", userID, err)
		}
		u.Role = role
		return audit.Record(tx, actor, "user.role", "user", userID,
			audit.Diff(map[string]any{"role": before}, map[string]any{"role": role}))
	})
	if err != nil {
		return User{}, err
	}
	return u, s.loadLocations(ctx, &u)
}

// lockUser reads a user for update into u; a missing user is not found.
func lockUser(tx *gorm.DB, userID string, u *User) error {
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", userID).Take(u).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return userNotFound(userID)
		}
		return fmt.Errorf("find user %s: %w", userID, err)
	}
	return nil
}

// ListTokens lists a user's tokens, newest first, without their secrets or hashes.
func (s *Service) ListTokens(ctx context.Context, userID string) ([]TokenInfo, error) {
	if uuid.Validate(userID) != nil {
		return nil, userNotFound(userID)
	}
	g := s.DB.WithContext(ctx)
	var n int64
	if err := g.Model(&User{}).Where("id = ?", userID).Count(&n).Error; err != nil {
		return nil, fmt.Errorf("find user %s: %w", userID, err)
	}
	if n == 0 {
		return nil, userNotFound(userID)
	}
	var rows []APIToken
	if err := g.Omit("token_hash").Where("user_id = ?", userID).Order("created_at DESC, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list tokens of user %s: %w", userID, err)
	}
	now := time.Now()
	out := make([]TokenInfo, len(rows))
	for i, t := range rows {
		out[i] = t.Info(now)
	}
	return out, nil
}

// RevokeToken revokes one of a user's tokens; the next request with it is
// refused. Revoking a revoked token changes nothing (the first revocation time
// stays) and writes no audit row.
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID string, actor audit.Actor) (TokenInfo, error) {
	var t APIToken
	if uuid.Validate(userID) != nil || uuid.Validate(tokenID) != nil {
		return TokenInfo{}, apperr.Errorf(apperr.NotFound, "token %s of user %s not found", tokenID, userID)
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Omit("token_hash").
			Where("id = ? AND user_id = ?", tokenID, userID).Take(&t).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return apperr.Errorf(apperr.NotFound, "token %s of user %s not found", tokenID, userID)
		}
		if err != nil {
			return fmt.Errorf("find token %s: %w", tokenID, err)
		}
		if t.RevokedAt != nil {
			return nil
		}
		now := time.Now().UTC()
		if err := tx.Model(&APIToken{}).Where("id = ?", tokenID).Update("revoked_at", now).Error; err != nil {
			return fmt.Errorf("revoke token %s: %w", tokenID, err)
		}
		t.RevokedAt = &now
		return audit.Record(tx, actor, "token.revoke", "user", userID, map[string]any{"token_id": tokenID})
	})
	return t.Info(time.Now()), err
}
