package access_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/clinicflow/rcm/internal/access"
)

func TestAContextWithoutAScopeSeesEverything(t *testing.T) {
	assert.False(t, access.FromContext(context.Background()).Limited())
	sc := access.Scope{Locations: []string{"a"}}
	got := access.FromContext(access.With(context.Background(), sc))
	assert.True(t, got.Limited())
	assert.True(t, got.HasLocation("a"))
	assert.False(t, got.HasLocation("b"))
	assert.True(t, access.All.HasLocation("b"))
	cond, args := access.All.Case("cases.id")
	assert.Equal(t, "TRUE", cond)
	assert.Empty(t, args)
}

func TestNewRecordsTakeAnAllowedLocation(t *testing.T) {
	exists := func(id string) bool { return id == "a" || id == "b" }
	one := access.Scope{Locations: []string{"a"}}
	two := access.Scope{Locations: []string{"a", "b"}}
	b := "b"
	ghost := "zzz"

	loc, msg := access.All.CheckLocation(nil, exists)
	assert.Nil(t, loc, "a user of every location may leave it out")
	assert.Empty(t, msg)
	loc, msg = access.All.CheckLocation(&b, exists)
	assert.Equal(t, "b", *loc)
	assert.Empty(t, msg)
	_, msg = access.All.CheckLocation(&ghost, exists)
	assert.Equal(t, "no such location", msg)

	loc, msg = one.CheckLocation(nil, exists)
	assert.Equal(t, "a", *loc, "the only location of a limited user is the default")
	assert.Empty(t, msg)
	_, msg = one.CheckLocation(&b, exists)
	assert.Equal(t, "no such location", msg, "another location is answered as one that does not exist")

	_, msg = two.CheckLocation(nil, exists)
	assert.Contains(t, msg, "is required")
	loc, msg = two.CheckLocation(&b, exists)
	assert.Equal(t, "b", *loc)
	assert.Empty(t, msg)
}

func TestRowsOfLocationBoundTablesAreRestricted(t *testing.T) {
	sc := access.Scope{Locations: []string{"00000000-0000-0000-0000-000000000001"}}
	for _, table := range []string{"patients", "cases", "claims", "coverages", "tasks", "statements", "locations"} {
		cond, args, ok := sc.Row(table)
		assert.True(t, ok, table)
		assert.NotEmpty(t, cond, table)
		assert.NotEmpty(t, args, table)
	}
	for _, table := range []string{"payers", "providers", "fee_schedules", "users"} {
		_, _, ok := sc.Row(table)
		assert.False(t, ok, "%s is reference data every user sees", table)
	}
	_, _, ok := access.All.Row("patients")
	assert.False(t, ok, "a user of every location is not restricted")
}
