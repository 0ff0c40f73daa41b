package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/testenv"
)

// TestAnOverflowingChargeIsA400AndTheCaseStaysWritable reproduces issue 8's
// "one charge request locks a case for good": a charge whose units × price does
// not fit NUMERIC(14,2) used to pass validation and fail in the database on every
// retry, holding the case workflow so that later payments answered 503. It must
// be a 400 naming the field, and the case must take the next payment at once.
// Amounts above the business cap are 400s too.
func TestAnOverflowingChargeIsA400AndTheCaseStaysWritable(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := setupPractice(t, e)
	tok := e.AdminToken
	_, caseID := newPatientCase(t, e, tok, "private")
	encID := checkIn(t, e, tok, p, caseID)
	charges := "/api/v1/cases/" + caseID + "/encounters/" + encID + "/charges"
	payments := "/api/v1/cases/" + caseID + "/payments"

	start := time.Now()
	r := e.Do("POST", charges, tok, map[string]any{"procedure_code": "99213", "diagnoses": []string{"E11.9"},
		"price_override": "999999999999.99", "units": 9999})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	assert.Contains(t, problemFields(t, r), "price_override", "%s", r.Body)
	assert.Less(t, time.Since(start), 10*time.Second, "refused at once, not after retries")

	for _, tc := range []struct {
		name, path string
		body       map[string]any
		field      string
	}{
		{"product over the column", charges, map[string]any{"procedure_code": "99213", "diagnoses": []string{"E11.9"},
			"price_override": "500000000", "units": 9999}, "price_override"},
		{"charge over the cap", charges, map[string]any{"procedure_code": "99213", "diagnoses": []string{"E11.9"},
			"price_override": "1000000.01"}, "price_override"},
		{"fee-schedule price times units over the cap", charges, map[string]any{"procedure_code": "99213",
			"diagnoses": []string{"E11.9"}, "units": 9999}, "units"},
		{"payment over the cap", payments, map[string]any{"amount": "1000000.01", "method": "cash"}, "amount"},
		{"adjustment over the cap", "/api/v1/cases/" + caseID + "/adjustments",
			map[string]any{"amount": "1000000.01", "reason": "courtesy"}, "amount"},
	} {
		r := e.Do("POST", tc.path, tok, tc.body)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", tc.name, r.Body)
		assert.Contains(t, problemFields(t, r), tc.field, "%s: %s", tc.name, r.Body)
	}

	// The case still takes writes, at once.
	start = time.Now()
	e.MustDo(201, "POST", charges, tok, map[string]any{"procedure_code": "99213", "diagnoses": []string{"E11.9"},
		"price_override": "1000000.00"})
	e.MustDo(201, "POST", payments, tok, map[string]any{"amount": "25.00", "method": "cash"})
	assert.Less(t, time.Since(start), 10*time.Second)
	assertLedgerInvariant(t, e, caseID)
	assert.True(t, getCase(t, e, tok, caseID).InAgreement)
}
