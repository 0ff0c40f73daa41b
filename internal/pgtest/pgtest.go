// Package pgtest gives each test run its own fresh PostgreSQL database with the
// migrations applied, and drops it afterwards. When PostgreSQL is unreachable the
// test fails and says what to start; it never skips.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/testkey"
	"github.com/clinicflow/rcm/migrations"
)

// DefaultServerURL is the PostgreSQL server tests use unless TEST_DATABASE_URL is set.
const DefaultServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL returns the maintenance connection string for the test server.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultServerURL
}

// NewDSN creates an empty, uniquely named database, registers its removal with
// t.Cleanup and returns its connection string. The migrations are not applied.
func NewDSN(t testing.TB) string {
	t.Helper()
	// Sealed PHI columns (internal/phicrypt) need a keyring in every process
	// that writes or reads them; tests use the fixed test keys.
	testkey.InstallPHI()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(ServerURL())
	if err != nil {
		t.Fatalf("pgtest: bad TEST_DATABASE_URL: %v", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("pgtest: PostgreSQL is not reachable at %s:%d (%v).\n"+
			"Start it, e.g. `pg_ctlcluster 15 main start` (or `sudo service postgresql start`), "+
			"or point TEST_DATABASE_URL at a server whose user may create databases.", cfg.Host, cfg.Port, err)
	}
	defer conn.Close(context.Background())

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "rcm_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(ServerURL())
	if err != nil {
		t.Fatalf("pgtest: TEST_DATABASE_URL must be a URL (postgres://...): %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// New creates a fresh database with every migration applied and returns a GORM
// handle to it. The handle is closed and the database dropped when t finishes.
func New(t testing.TB) *gorm.DB {
	t.Helper()
	dsn := NewDSN(t)
	g, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	sqlDB := db.SQL(g)
	t.Cleanup(func() { _ = sqlDB.Close() })
	if err := migrations.Up(context.Background(), sqlDB); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return g
}

// NewPair is New, plus a second handle to the same database whose sessions act
// as the application's role (db.AppRole, migration 00031), as `rcm` runs: give
// the application the app handle and keep the owner's for the test's own setup
// and checks, so that a statement the application's role may not run fails the
// test instead of production.
func NewPair(t testing.TB) (owner, app *gorm.DB) {
	t.Helper()
	dsn := NewDSN(t)
	owner, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { _ = db.SQL(owner).Close() })
	if err := migrations.Up(context.Background(), db.SQL(owner)); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	appDSN, err := db.WithRole(dsn, db.AppRole)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	app, err = db.Open(context.Background(), appDSN)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { _ = db.SQL(app).Close() })
	return owner, app
}
