package claims_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/scrub"
)

func TestScrubStoredClaims(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

	caseID, encID := w.visit(t, "insurance", true, ch("99213", 1, []string{"E11.9"}, 1))
	b, err := w.claims.Build(ctx, claims.BuildInput{CaseID: caseID, EncounterID: encID})
	require.NoError(t, err)
	failures, err := w.claims.Scrub(ctx, b.Claim.ID, now, nil)
	require.NoError(t, err)
	assert.Empty(t, failures, "a complete claim is clean")

	// The same patient, payer, date and code on another case is a duplicate.
	case2, enc2 := w.visit(t, "insurance", true, ch("99213", 1, []string{"E11.9"}, 1))
	b2, err := w.claims.Build(ctx, claims.BuildInput{CaseID: case2, EncounterID: enc2})
	require.NoError(t, err)
	failures, err = w.claims.Scrub(ctx, b2.Claim.ID, now, nil)
	require.NoError(t, err)
	require.Len(t, failures, 1, "%v", failures)
	assert.Equal(t, scrub.RuleDuplicateClaim, failures[0].Rule)
	assert.Contains(t, failures[0].Message, b.Claim.ID)

	// Past the payer's timely-filing window (365 days by default) it fails too.
	late, err := w.claims.Scrub(ctx, b.Claim.ID, now.AddDate(2, 0, 0), nil)
	require.NoError(t, err)
	require.NotEmpty(t, late)
	assert.Equal(t, scrub.RuleServiceDates, late[0].Rule)

	// A location without a tax ID (and a provider without one) is caught before submission.
	require.NoError(t, w.db.Exec(`UPDATE locations SET tax_id = ''`).Error)
	failures, err = w.claims.Scrub(ctx, b.Claim.ID, now, nil)
	require.NoError(t, err)
	require.NotEmpty(t, failures)
	assert.Equal(t, scrub.RuleRequiredFields, failures[0].Rule)
	assert.Equal(t, "billing_provider.tax_id", failures[0].Field)
}
