package billing_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/billing"
)

// TestNormalizeChargeDiagnoses: diagnoses come out in the dotted form people
// write whatever form they went in, and the two forms of one code are a repeat.
func TestNormalizeChargeDiagnoses(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
		bad  []string // fields with an error
	}{
		{"dotted", []string{"E11.9"}, []string{"E11.9"}, nil},
		{"undotted", []string{"E119"}, []string{"E11.9"}, nil},
		{"lower case", []string{"e11.9"}, []string{"E11.9"}, nil},
		{"lower case undotted, spaces", []string{" e119 "}, []string{"E11.9"}, nil},
		{"several shapes", []string{"s134xxa", "Z0000", "I10", "J45.909"}, []string{"S13.4XXA", "Z00.00", "I10", "J45.909"}, nil},
		{"same code in both forms", []string{"E11.9", "e119"}, nil, []string{"diagnoses[1]"}},
		{"misplaced dot", []string{"E1.19"}, nil, []string{"diagnoses[0]"}},
		{"not a code", []string{"E11.9", "XYZ"}, nil, []string{"diagnoses[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs := billing.NormalizeCharge(billing.ChargeInput{ProcedureCode: "99213", Diagnoses: tt.in,
				DiagnosisPointers: []int{1}})
			var fields []string
			for _, e := range errs {
				fields = append(fields, e.Field)
			}
			assert.Equal(t, tt.bad, fields)
			if tt.bad == nil {
				assert.Equal(t, tt.want, out.Diagnoses)
			}
		})
	}
}

// TestChargeDiagnosesStoredDotted: a charge posted with E119 and one posted
// with E11.9 are both stored (and so read back) as E11.9.
func TestChargeDiagnosesStoredDotted(t *testing.T) {
	f := newFixture(t, "private")
	ctx := context.Background()
	for _, dx := range [][]string{{"E119", "i10"}, {"E11.9", "I10"}} {
		_, err := f.svc.CaptureCharge(ctx, billing.ChargeInput{ChargeID: uuid.NewString(), CaseID: f.caseID,
			EncounterID: f.encID, ProcedureCode: f.feeCode, Units: 1, Diagnoses: dx, DiagnosisPointers: []int{1, 2}})
		require.NoError(t, err)
	}
	var rows []billing.Charge
	require.NoError(t, f.db.Where("case_id = ?", f.caseID).Find(&rows).Error)
	require.Len(t, rows, 2)
	for _, r := range rows {
		assert.Equal(t, []string{"E11.9", "I10"}, []string(r.Diagnoses))
	}
}

// TestNormalizeChargeRefusesAnAmountNoColumnHolds checks issue 8's request: a
// price override that fits NUMERIC(14,2) alone but not times its units used to
// pass and then fail in the database on every retry.
func TestNormalizeChargeRefusesAnAmountNoColumnHolds(t *testing.T) {
	charge := func(price string, units int) billing.ChargeInput {
		p := decimal.RequireFromString(price)
		return billing.ChargeInput{ProcedureCode: "99213", Diagnoses: []string{"E11.9"}, Units: units, PriceOverride: &p}
	}
	for _, tc := range []struct {
		price string
		units int
		bad   bool
	}{
		{"999999999999.99", 9999, true},
		{"999999999999.99", 1, false},
		{"1000000000000", 1, true},
		{"100000000000", 10, true},
		{"99999999999.99", 10, false},
	} {
		_, errs := billing.NormalizeCharge(charge(tc.price, tc.units))
		if tc.bad {
			require.Len(t, errs, 1, "%s × %d", tc.price, tc.units)
			assert.Equal(t, "price_override", errs[0].Field)
		} else {
			assert.Empty(t, errs, "%s × %d", tc.price, tc.units)
		}
	}
}
