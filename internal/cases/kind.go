// Package cases is the home of the case: one real-world episode of care for a
// patient (routine private care, insurance, a motor-vehicle accident, a personal
// injury, workers' comp). Its kind decides how it is billed, and that rule lives
// here once: Kind's methods answer it for the case workflow (stage, when to
// build claims), billing (which receivable a charge posts to) and the API.
package cases

import (
	"slices"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/ledger"
)

// Kind is what sort of episode a case is; it decides how the case is billed.
type Kind string

// Case kinds.
const (
	Private        Kind = "private"
	Insurance      Kind = "insurance"
	MVA            Kind = "mva"
	PersonalInjury Kind = "personal_injury"
	WorkersComp    Kind = "workers_comp"
)

// Kinds lists every case kind in display order.
var Kinds = []Kind{Private, Insurance, MVA, PersonalInjury, WorkersComp}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// BillsPatient reports whether the patient owes the charges from the start
// (private care: no payer is billed).
func (k Kind) BillsPatient() bool { return k == Private }

// BillsPayers reports whether claims go to payers as soon as charge capture is
// complete (insurance and workers' comp).
func (k Kind) BillsPayers() bool { return k == Insurance || k == WorkersComp }

// HoldsCharges reports whether charges are held until a settlement (accident and
// injury cases, billed to an auto insurer or attorney later).
func (k Kind) HoldsCharges() bool { return k == MVA || k == PersonalInjury }

// TakesCoverages reports whether the case can carry insurance coverages: every
// kind but private care.
func (k Kind) TakesCoverages() bool { return !k.BillsPatient() }

// Receivable is the ledger account a case of this kind's charges wait in to be
// collected: patient A/R for private care, held (lien) A/R while charges are held,
// unbilled insurance A/R otherwise.
func (k Kind) Receivable() ledger.Account {
	switch {
	case k.BillsPatient():
		return ledger.ARPatient
	case k.HoldsCharges():
		return ledger.ARHeld
	}
	return ledger.ARInsuranceUnbilled
}

// Case stages, mirrored in the CaseStage search attribute and cases.stage.
const (
	StageOpen           = "open"            // no visit yet
	StageChargeCapture  = "charge_capture"  // a visit awaits completed charges
	StagePatientBalance = "patient_balance" // the patient owes money
	StagePaid           = "paid"            // nothing owed
	StageReadyToBill    = "ready_to_bill"   // insurance / workers' comp: charges await a claim
	StageHeld           = "held"            // MVA / personal injury: charges held until settlement
	StageBilled         = "billed"          // insurance: claims are with payers
)

// Stages lists every case stage in lifecycle order.
var Stages = []string{StageOpen, StageChargeCapture, StageReadyToBill, StageHeld, StageBilled,
	StagePatientBalance, StagePaid}

// Progress is what a case's stage depends on.
type Progress struct {
	Visits int
	// ChargesOpen is true while a visit's charge capture is not complete.
	ChargesOpen bool
	// Billed is true once a claim was built for a visit.
	Billed bool
	// PatientBalance is what the patient owes; OtherReceivable is owed by payers
	// or held.
	PatientBalance  decimal.Decimal
	OtherReceivable decimal.Decimal
	// HeldForGood keeps an accident or injury case held once its visits are
	// complete, whatever it still owes: how cases recorded before settlements
	// moved their stage read (their workflows replay it).
	HeldForGood bool
}

// Stage is where a case of this kind stands.
func (k Kind) Stage(p Progress) string {
	switch {
	case p.Visits == 0:
		return StageOpen
	case p.ChargesOpen:
		return StageChargeCapture
	case k.HoldsCharges() && (p.HeldForGood || p.OtherReceivable.IsPositive()):
		// Held (lien) A/R is open: charges wait for the settlement, or for
		// the attorney's or insurer's payment after their release.
		return StageHeld
	case k.BillsPayers() && !p.Billed:
		return StageReadyToBill
	case k.BillsPayers() && p.OtherReceivable.IsPositive():
		return StageBilled
	case p.PatientBalance.IsPositive():
		return StagePatientBalance
	}
	return StagePaid
}
