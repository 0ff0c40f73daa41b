// Package db opens the PostgreSQL database through GORM and creates it when absent.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/validate"
)

// Open connects to dsn and checks the connection.
func Open(ctx context.Context, dsn string) (*gorm.DB, error) {
	g, err := gorm.Open(postgres.Open(dsn), &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(dsn), err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(20)
	sqlDB.SetMaxIdleConns(5)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", Redact(dsn), err)
	}
	return g, nil
}

// SQL returns the database/sql handle under g.
func SQL(g *gorm.DB) *sql.DB {
	s, err := g.DB()
	if err != nil {
		panic(err) // only when g was not opened from a *sql.DB, which Open guarantees
	}
	return s
}

// EnsureDatabase creates the database named in dsn if it does not exist, connecting
// to the server's maintenance database to do so.
func EnsureDatabase(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	name := cfg.Database
	if name == "" || name == "postgres" {
		return nil
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, admin)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL at %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(cctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(cctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created concurrently
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}

// Redact removes any password from a connection string so it can be logged.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		if strings.Contains(dsn, "password=") {
			return "(connection string with password)"
		}
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// IsUniqueViolation reports whether err is a PostgreSQL unique constraint violation.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// IsForeignKeyViolation reports whether err is a PostgreSQL foreign key violation.
func IsForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}

// Coded gives a PostgreSQL error that no retry can mend its apperr code, so that
// activities fail at once (non-retryable) and callers get a 4xx instead of a
// write retried forever while it holds a case workflow: a data exception
// (SQLSTATE class 22: numeric overflow, invalid text representation, string too
// long, NUL byte) is Invalid, an integrity violation (class 23) is Conflict.
// Errors already coded, and any other error, are returned as they are. The
// message names the column when PostgreSQL does, never the value (it may be PHI).
//
// A database that cannot be reached or answered (PostgreSQL down or
// restarting, a connection lost, a conflict with a concurrent transaction) is
// Unavailable: a retry mends it, so activities retry and the API answers 503
// with Retry-After (see Unreachable).
func Coded(err error) error {
	var pgErr *pgconn.PgError
	var coded *apperr.Error
	if err == nil || errors.As(err, &coded) {
		return err
	}
	if Unreachable(err) {
		return &apperr.Error{Code: apperr.Unavailable, Message: "the database is not reachable just now; retry shortly", Err: err}
	}
	if !errors.As(err, &pgErr) {
		return err
	}
	field := pgErr.ColumnName
	if field == "" {
		field = "body"
	}
	switch {
	case strings.HasPrefix(pgErr.Code, "22"):
		why, ok := dataErrors[pgErr.Code]
		if !ok {
			why = "is not a valid value"
		}
		return &apperr.Error{Code: apperr.Invalid, Message: "a value does not fit its field: " + field + " " + why,
			Fields: []validate.FieldError{{Field: field, Message: why}}, Err: err}
	case strings.HasPrefix(pgErr.Code, "23"):
		what := pgErr.ConstraintName
		if what == "" {
			what = pgErr.TableName
		}
		return &apperr.Error{Code: apperr.Conflict, Message: "the database refused the write (" + what + ")", Err: err}
	}
	return err
}

// Unreachable reports whether err says the database could not be reached or
// could not finish the statement for a reason a retry mends, rather than
// anything about the request: no connection (refused, reset, lost mid-query),
// the server shutting down or starting up (SQLSTATE 57P01-57P03), a connection
// exception (class 08), too many connections (53300), or a serialization
// failure or deadlock with a concurrent transaction (40001, 40P01).
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch c := pgErr.Code; {
		case strings.HasPrefix(c, "08"), c == "57P01", c == "57P02", c == "57P03", c == "53300", c == "40001", c == "40P01":
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// dataErrors says, for the data exceptions (SQLSTATE class 22) a request can
// provoke, what is wrong with the value, without quoting it.
var dataErrors = map[string]string{
	"22003": "is out of range (numeric field overflow)",
	"22001": "is too long",
	"22P02": "is not valid for its type",
	"22P05": "contains a character that cannot be stored",
	"22021": "contains a byte that is not valid text (such as NUL)",
	"22007": "is not a valid date or time",
	"22008": "is out of range for a date or time",
}

// Exists reports whether the table q names (g.Table or g.Model) has a row with id;
// false for a malformed id. A query that fails (PostgreSQL restarting) says
// nothing about the row, so it reports true: the write the caller checks for
// goes ahead and fails with the database's own error (unavailable, or its
// foreign key), instead of a 400 naming a field that was right ("no such
// payer" for a payer that exists, seen in the chaos run), except for a user
// limited to some locations.
func Exists(q *gorm.DB, id string) bool {
	if uuid.Validate(id) != nil {
		return false
	}
	var n int64
	if err := inScope(q, nil).Where("id = ?", id).Count(&n).Error; err != nil {
		// For a user limited to some locations the failed query was also the
		// location check: nothing goes ahead on their behalf.
		return !access.FromContext(q.Statement.Context).Limited()
	}
	return n > 0
}

// MaxPage is the most rows a list returns at once.
const MaxPage = 500

// Page is how many rows a list returns for a requested limit: 100 when the
// limit is not in 1..MaxPage.
func Page(limit int) int {
	if limit <= 0 || limit > MaxPage {
		return 100
	}
	return limit
}

// FindByID loads the row whose primary key id is id into dst. It reports
// false, with no error, when id is not a UUID or there is no such row, so each
// caller answers its own not-found error. A row of a table that belongs to a
// location is found only when it is in the scope q's context carries (package
// access), so a user limited to some locations gets "not found" for the others'.
func FindByID(q *gorm.DB, dst any, id string) (bool, error) {
	if uuid.Validate(id) != nil {
		return false, nil
	}
	res := inScope(q, dst).Where("id = ?", id).Limit(1).Find(dst)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected > 0, nil
}

// inScope restricts q, a query of the table named by q.Table or by the model
// (dst, else q's Model), to the rows in the scope of q's context (package
// access): a user limited to some locations finds no other location's patient,
// case, claim or task by id.
func inScope(q *gorm.DB, dst any) *gorm.DB {
	table := q.Statement.Table
	if table == "" {
		if dst == nil {
			dst = q.Statement.Model
		}
		if dst == nil {
			return q
		}
		stmt := &gorm.Statement{DB: q}
		if err := stmt.Parse(dst); err != nil || stmt.Schema == nil {
			return q
		}
		table = stmt.Schema.Table
	}
	return access.Restrict(q.Statement.Context, q, table)
}
