package claims

import (
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/db"
)

// Claim bills one encounter's charges to one coverage (table claims).
type Claim struct {
	ID                    string          `gorm:"primaryKey;type:uuid" json:"id"`
	CaseID                string          `gorm:"type:uuid" json:"case_id"`
	EncounterID           string          `gorm:"type:uuid" json:"encounter_id"`
	CoverageID            string          `gorm:"type:uuid" json:"coverage_id"`
	PayerID               string          `gorm:"type:uuid" json:"payer_id"`
	Priority              string          `json:"priority"`
	Frequency             string          `json:"frequency"`
	OriginalClaimID       *string         `gorm:"type:uuid" json:"original_claim_id,omitempty"`
	PatientControlNumber  string          `json:"patient_control_number"`
	PayerClaimNumber      string          `json:"payer_claim_number"`
	Stage                 string          `json:"stage"`
	Diagnoses             pq.StringArray  `gorm:"type:text[]" json:"diagnoses"`
	TotalCharge           decimal.Decimal `gorm:"type:numeric(14,2)" json:"total_charge"`
	Paid                  decimal.Decimal `gorm:"type:numeric(14,2)" json:"paid"`
	PatientResponsibility decimal.Decimal `gorm:"type:numeric(14,2)" json:"patient_responsibility"`
	Contractual           decimal.Decimal `gorm:"type:numeric(14,2)" json:"contractual"`
	WrittenOff            decimal.Decimal `gorm:"type:numeric(14,2)" json:"written_off"`
	ToPatient             decimal.Decimal `gorm:"type:numeric(14,2)" json:"to_patient"`
	AppealLevel           int             `json:"appeal_level"`
	PriorClaimID          *string         `gorm:"type:uuid" json:"prior_claim_id,omitempty"`
	COB                   db.JSON         `gorm:"column:cob;type:jsonb" json:"cob,omitempty"`
	StageChangedAt        time.Time       `json:"stage_changed_at"`
	CreatedAt             time.Time       `json:"created_at"`
	// ScrubRuleVersion is the scrub rule-set version that last scrubbed the
	// claim (internal/scrubrules); nil before rules were versioned.
	ScrubRuleVersion *int `json:"scrub_rule_version,omitempty"`
}

// ClaimLine is one service line of a claim, taken from a charge.
type ClaimLine struct {
	ID                string          `gorm:"primaryKey;type:uuid" json:"id"`
	ClaimID           string          `gorm:"type:uuid" json:"claim_id"`
	ChargeID          string          `gorm:"type:uuid" json:"charge_id"`
	LineNumber        int             `json:"line_number"`
	ProcedureCode     string          `json:"procedure_code"`
	Modifiers         pq.StringArray  `gorm:"type:text[]" json:"modifiers"`
	Units             int             `json:"units"`
	Charge            decimal.Decimal `gorm:"type:numeric(14,2)" json:"charge"`
	DiagnosisPointers pq.Int64Array   `gorm:"type:integer[]" json:"diagnosis_pointers"`
	ServiceDate       time.Time       `gorm:"type:date" json:"service_date"`
}

// ClaimEvent is one entry of a claim's append-only timeline.
type ClaimEvent struct {
	ID        int64     `gorm:"primaryKey" json:"id"`
	ClaimID   string    `gorm:"type:uuid" json:"claim_id"`
	At        time.Time `json:"at"`
	FromStage string    `json:"from_stage"`
	ToStage   string    `json:"to_stage"`
	Cause     string    `json:"cause"`
	Detail    db.JSON   `gorm:"type:jsonb" json:"detail"`
	ActorID   *string   `gorm:"type:uuid" json:"actor_id,omitempty"`
}
