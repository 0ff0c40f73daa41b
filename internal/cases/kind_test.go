package cases

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"

	"github.com/clinicflow/rcm/internal/ledger"
)

// TestKindDecidesHowACaseIsBilled pins the one rule every layer asks: who is
// billed, whether charges are held, and which receivable they wait in.
func TestKindDecidesHowACaseIsBilled(t *testing.T) {
	tests := []struct {
		kind                                   Kind
		patient, payers, holds, takesCoverages bool
		receivable                             ledger.Account
	}{
		{Private, true, false, false, false, ledger.ARPatient},
		{Insurance, false, true, false, true, ledger.ARInsuranceUnbilled},
		{WorkersComp, false, true, false, true, ledger.ARInsuranceUnbilled},
		{MVA, false, false, true, true, ledger.ARHeld},
		{PersonalInjury, false, false, true, true, ledger.ARHeld},
	}
	assert.Len(t, tests, len(Kinds), "every kind has a row")
	for _, tt := range tests {
		assert.True(t, tt.kind.Valid(), tt.kind)
		assert.Equal(t, tt.patient, tt.kind.BillsPatient(), "%s bills the patient", tt.kind)
		assert.Equal(t, tt.payers, tt.kind.BillsPayers(), "%s bills payers", tt.kind)
		assert.Equal(t, tt.holds, tt.kind.HoldsCharges(), "%s holds charges", tt.kind)
		assert.Equal(t, tt.takesCoverages, tt.kind.TakesCoverages(), "%s takes coverages", tt.kind)
		assert.Equal(t, tt.receivable, tt.kind.Receivable(), "%s receivable", tt.kind)
	}
	assert.False(t, Kind("dental").Valid())
}

func TestStageFollowsKindAndProgress(t *testing.T) {
	owed := decimal.RequireFromString("25.00")
	tests := []struct {
		name string
		kind Kind
		p    Progress
		want string
	}{
		{"no visit", Insurance, Progress{}, StageOpen},
		{"charges open", MVA, Progress{Visits: 1, ChargesOpen: true}, StageChargeCapture},
		{"held until settlement", MVA, Progress{Visits: 1, OtherReceivable: owed}, StageHeld},
		{"personal injury held", PersonalInjury, Progress{Visits: 2, OtherReceivable: owed}, StageHeld},
		{"accident settled and paid", MVA, Progress{Visits: 2}, StagePaid},
		{"accident settled, the patient owes the rest", MVA, Progress{Visits: 1, PatientBalance: owed}, StagePatientBalance},
		{"accident recorded before settlements moved the stage", MVA, Progress{Visits: 1, HeldForGood: true}, StageHeld},
		{"insurance not billed yet", Insurance, Progress{Visits: 1}, StageReadyToBill},
		{"workers comp with the payer", WorkersComp, Progress{Visits: 1, Billed: true, OtherReceivable: owed}, StageBilled},
		{"insurance, patient owes the rest", Insurance, Progress{Visits: 1, Billed: true, PatientBalance: owed}, StagePatientBalance},
		{"private, patient owes", Private, Progress{Visits: 1, PatientBalance: owed}, StagePatientBalance},
		{"private, settled", Private, Progress{Visits: 1}, StagePaid},
		{"insurance, all paid", Insurance, Progress{Visits: 1, Billed: true}, StagePaid},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.kind.Stage(tt.p), tt.name)
	}
	for _, tt := range tests {
		assert.Contains(t, Stages, tt.want)
	}
}
