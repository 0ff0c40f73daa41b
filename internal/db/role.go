package db

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// AppRole is the role the application's connections act as (migration 00031):
// it may read and write rows but owns nothing.
const AppRole = "rcm_app"

var roleName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// WithRole returns dsn with a startup option that makes every session SET ROLE
// role, so the application's statements run with that role's privileges; an
// empty role returns dsn unchanged. dsn may be a URL (postgres://...) or
// key=value pairs.
func WithRole(dsn, role string) (string, error) {
	if role == "" {
		return dsn, nil
	}
	if !roleName.MatchString(role) {
		return "", fmt.Errorf("database role %q is not a plain role name", role)
	}
	opt := "-c role=" + role
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("DATABASE_URL: %w", err)
		}
		q := u.Query()
		if prev := q.Get("options"); prev != "" {
			opt = prev + " " + opt
		}
		q.Set("options", opt)
		// Spaces as %20: pgx does not read "+" in a query value as a space.
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
		return u.String(), nil
	}
	return dsn + " options='" + opt + "'", nil
}
