package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
)

// Session lifetimes of the web application.
const (
	// SessionIdle is how long a session survives without a request.
	SessionIdle = 30 * time.Minute
	// SessionMaxAge is how long a session lives at most, however busy.
	SessionMaxAge = 12 * time.Hour
	// sessionTouchEvery is how stale web_sessions.last_seen_at may be, so most
	// requests only read.
	sessionTouchEvery = time.Minute
)

// ErrNoSession is returned for a missing, unknown, ended, idle or expired
// session, or one whose user is disabled.
var ErrNoSession = apperr.New(apperr.Unauthorized, "not signed in, or the session has ended")

// WebSession is a signed-in user's session as the web application sees it.
type WebSession struct {
	// ID names the session (it is not the secret).
	ID string
	// User is who is signed in.
	User User
	// MustChangePassword says the user signed in with a one-time password and
	// must choose their own before anything else.
	MustChangePassword bool
	// CSRF is the token every form of this session must send back.
	CSRF string
}

// StartSession creates a session for a user who has just signed in and returns
// the cookie's token (only its hash is stored).
func (s *Service) StartSession(ctx context.Context, u User, actor audit.Actor) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	id := uuid.NewString()
	now := time.Now().UTC()
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO web_sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, id, Hash(token), u.ID, now, now, now.Add(SessionMaxAge)).Error; err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		if actor.UserID == "" {
			actor.UserID = u.ID
		}
		return audit.Record(tx, actor, "session.start", "user", u.ID, map[string]any{"session_id": id})
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// Session returns the live session of a cookie token and notes that it was
// used. It reads the session and its user on every call, so signing out, idling,
// a new password or disabling the user ends it at the next request.
func (s *Service) Session(ctx context.Context, token string) (WebSession, error) {
	if token == "" {
		return WebSession{}, ErrNoSession
	}
	var row struct {
		SessionID          string
		SessionSeenAt      time.Time
		MustChangePassword bool
		User
	}
	res := s.DB.WithContext(ctx).Raw(`SELECT s.id AS session_id, s.last_seen_at AS session_seen_at,
			u.id, u.email, u.name, u.role, u.disabled, u.created_at, u.must_change_password
		FROM web_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => ?)
			AND NOT u.disabled`, Hash(token), SessionIdle.Seconds()).Scan(&row)
	if res.Error != nil {
		return WebSession{}, fmt.Errorf("read session: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return WebSession{}, ErrNoSession
	}
	if time.Since(row.SessionSeenAt) > sessionTouchEvery {
		if err := s.DB.WithContext(ctx).Exec(`UPDATE web_sessions SET last_seen_at = now() WHERE id = ?`, row.SessionID).Error; err != nil {
			return WebSession{}, fmt.Errorf("touch session: %w", err)
		}
	}
	// The user's locations are read with the session, as Authenticate reads
	// them with a token, so the pages keep to them from the next request.
	if err := s.loadLocations(ctx, &row.User); err != nil {
		return WebSession{}, fmt.Errorf("read session: %w", err)
	}
	return WebSession{ID: row.SessionID, User: row.User, MustChangePassword: row.MustChangePassword, CSRF: CSRFToken(token)}, nil
}

// EndSession signs a session out; ending an ended session changes nothing.
func (s *Service) EndSession(ctx context.Context, token string, actor audit.Actor) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ids []string
		if err := tx.Raw(`DELETE FROM web_sessions WHERE token_hash = ? RETURNING id`, Hash(token)).Scan(&ids).Error; err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		return audit.Record(tx, actor, "session.end", "user", actor.UserID, map[string]any{"session_id": ids[0]})
	})
}

// PruneSessions deletes sessions that can no longer be used.
func (s *Service) PruneSessions(ctx context.Context) error {
	return s.DB.WithContext(ctx).Exec(`DELETE FROM web_sessions WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => ?)`,
		SessionIdle.Seconds()).Error
}

// CSRFToken is the anti-forgery token of a session: derived from the session's
// secret, so nothing more is stored, and useless without the cookie.
func CSRFToken(sessionToken string) string {
	h := sha256.Sum256([]byte("csrf\x00" + sessionToken))
	return base64.RawURLEncoding.EncodeToString(h[:])
}
