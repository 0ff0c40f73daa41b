package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/validate"
)

// Password rules and the lockout policy of sign-in.
const (
	// MinPasswordLen is the fewest characters a password may have.
	MinPasswordLen = 10
	// MaxPasswordBytes is bcrypt's limit: it ignores anything past 72 bytes, so
	// a longer password is refused rather than silently truncated.
	MaxPasswordBytes = 72
	// MaxFailedSignIns failed sign-ins in a row lock the user out.
	MaxFailedSignIns = 5
	// LockoutDuration is how long a lockout lasts.
	LockoutDuration = 15 * time.Minute
	// bcryptCost is the work factor of stored hashes.
	bcryptCost = 12
)

// ErrBadCredentials is returned for an unknown email, a wrong password or a user
// without a password; it never says which, so sign-in does not reveal who has an
// account.
var ErrBadCredentials = apperr.New(apperr.Unauthorized, "the email or password is not right")

// ErrLockedOut is returned while a user is locked out after too many failed
// sign-ins, even when the password is right.
var ErrLockedOut = apperr.New(apperr.Unauthorized, fmt.Sprintf(
	"too many failed sign-ins: this user is locked for %d minutes; try again later or ask an admin to reset the password",
	int(LockoutDuration/time.Minute)))

// dummyHash is compared against when the email is unknown, so an unknown email
// takes as long to refuse as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not-a-password-anyone-has"), bcryptCost)

// CheckPasswordRules reports what is wrong with a new password, under field.
func CheckPasswordRules(field, password string) validate.Errors {
	var errs validate.Errors
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		errs.Add(field, "must have at least %d characters", MinPasswordLen)
	case len(password) > MaxPasswordBytes:
		errs.Add(field, "must be at most %d bytes", MaxPasswordBytes)
	case strings.TrimSpace(password) != password:
		errs.Add(field, "must not start or end with a space")
	}
	return errs
}

// SetPassword gives a user a new password (stored only as a bcrypt hash), clears
// any lockout and ends the user's web sessions. mustChange makes the user choose
// their own password at the next sign-in (an admin handing out a password);
// false is for the user choosing it themselves, or for seeding demo users.
func (s *Service) SetPassword(ctx context.Context, userID, password string, mustChange bool, actor audit.Actor) error {
	if errs := CheckPasswordRules("password", password); len(errs) > 0 {
		return errs
	}
	if uuid.Validate(userID) != nil {
		return userNotFound(userID)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE users SET password_hash = ?, password_set_at = now(), must_change_password = ?,
			failed_sign_ins = 0, locked_until = NULL WHERE id = ?`, string(hash), mustChange, userID)
		if res.Error != nil {
			return fmt.Errorf("set password of user %s: %w", userID, res.Error)
		}
		if res.RowsAffected == 0 {
			return userNotFound(userID)
		}
		// A new password ends every session: whoever knew the old one is out.
		if err := tx.Exec(`DELETE FROM web_sessions WHERE user_id = ?`, userID).Error; err != nil {
			return fmt.Errorf("end sessions of user %s: %w", userID, err)
		}
		return audit.Record(tx, actor, "user.set_password", "user", userID, map[string]any{"must_change": mustChange})
	})
}

// ResetPassword gives a user a generated one-time password, which they must
// replace at their next sign-in, and returns it (it is not stored; show it once).
func (s *Service) ResetPassword(ctx context.Context, userID string, actor audit.Actor) (string, error) {
	pw := OneTimePassword()
	if err := s.SetPassword(ctx, userID, pw, true, actor); err != nil {
		return "", err
	}
	return pw, nil
}

// OneTimePassword returns a random password of 16 letters and digits, grouped
// by four for reading aloud (about 80 bits).
func OneTimePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789" // no 0/o, 1/l/i
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}

// credentials are the sign-in columns of a user.
type credentials struct {
	ID                 string
	PasswordHash       *string
	Disabled           bool
	FailedSignIns      int
	LockedUntil        *time.Time
	MustChangePassword bool
}

// CheckPassword signs a user in by email and password and returns the user. A
// wrong password counts towards the lockout (MaxFailedSignIns in a row lock the
// user for LockoutDuration); a right one resets the count. A disabled user, an
// unknown email and a user without a password are all ErrBadCredentials.
func (s *Service) CheckPassword(ctx context.Context, email, password string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var u User
	// refused is the answer; the transaction commits even when it is set, so
	// the failure count and a lockout are kept.
	var refused error
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cred credentials
		err := tx.Table("users").Clauses(clause.Locking{Strength: "UPDATE"}).
			Select("id, password_hash, disabled, failed_sign_ins, locked_until, must_change_password").
			Where("email = ?", email).Take(&cred).Error
		if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && (cred.PasswordHash == nil || cred.Disabled)) {
			_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
			refused = ErrBadCredentials
			return nil
		}
		if err != nil {
			return fmt.Errorf("find user for sign-in: %w", err)
		}
		if cred.LockedUntil != nil && cred.LockedUntil.After(time.Now()) {
			refused = ErrLockedOut
			return nil
		}
		if bcrypt.CompareHashAndPassword([]byte(*cred.PasswordHash), []byte(password)) != nil {
			refused, err = failSignIn(tx, cred)
			return err
		}
		if cred.FailedSignIns > 0 || cred.LockedUntil != nil {
			if err := tx.Exec(`UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE id = ?`, cred.ID).Error; err != nil {
				return fmt.Errorf("reset failed sign-ins of user %s: %w", cred.ID, err)
			}
		}
		return tx.Where("id = ?", cred.ID).Take(&u).Error
	})
	if err != nil {
		return User{}, fmt.Errorf("sign in: %w", err)
	}
	if refused != nil {
		return User{}, refused
	}
	return u, nil
}

// failSignIn records a wrong password, locking the user out at the limit, and
// returns the refusal to answer.
func failSignIn(tx *gorm.DB, cred credentials) (error, error) {
	n := cred.FailedSignIns + 1
	if n < MaxFailedSignIns {
		if err := tx.Exec(`UPDATE users SET failed_sign_ins = ? WHERE id = ?`, n, cred.ID).Error; err != nil {
			return nil, fmt.Errorf("count failed sign-in of user %s: %w", cred.ID, err)
		}
		return ErrBadCredentials, nil
	}
	until := time.Now().UTC().Add(LockoutDuration)
	if err := tx.Exec(`UPDATE users SET failed_sign_ins = 0, locked_until = ? WHERE id = ?`, until, cred.ID).Error; err != nil {
		return nil, fmt.Errorf("lock user %s: %w", cred.ID, err)
	}
	if err := audit.Record(tx, audit.System, "user.locked_out", "user", cred.ID,
		map[string]any{"failed_sign_ins": n, "locked_until": until.Format(time.RFC3339)}); err != nil {
		return nil, err
	}
	return ErrLockedOut, nil
}

// FirstSignIn gives the user with this email a fresh one-time password while
// they have not chosen their own (no password yet, or only a one-time one), and
// returns it; it returns "" once they have chosen one, or when no such user
// exists. `rcm dev` prints it for the bootstrap admin on every start until the
// admin has signed in and set a password, so a lost terminal never locks the
// developer out.
func (s *Service) FirstSignIn(ctx context.Context, email string, actor audit.Actor) (string, error) {
	var row struct {
		ID                 string
		HasPassword        bool
		MustChangePassword bool
	}
	res := s.DB.WithContext(ctx).Raw(`SELECT id, password_hash IS NOT NULL AS has_password, must_change_password
		FROM users WHERE email = ? AND NOT disabled`, strings.ToLower(email)).Scan(&row)
	if res.Error != nil {
		return "", fmt.Errorf("find user %s: %w", email, res.Error)
	}
	if res.RowsAffected == 0 || (row.HasPassword && !row.MustChangePassword) {
		return "", nil
	}
	return s.ResetPassword(ctx, row.ID, actor)
}
