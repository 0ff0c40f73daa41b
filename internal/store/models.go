// Package store holds the GORM models that map the tables owned by migrations/.
// Models carry no behaviour beyond mapping; operations live in domain packages.
package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"
)

// Location is a place of service.
type Location struct {
	ID        string    `gorm:"primaryKey;type:uuid" json:"id"`
	Name      string    `json:"name"`
	NPI       *string   `gorm:"column:npi" json:"npi,omitempty"`
	Address1  string    `json:"address1"`
	Address2  string    `json:"address2"`
	City      string    `json:"city"`
	State     string    `json:"state"`
	Zip       string    `json:"zip"`
	Phone     string    `json:"phone"`
	TaxID     string    `gorm:"column:tax_id" json:"tax_id"`
	Taxonomy  string    `json:"taxonomy"`
	CreatedAt time.Time `json:"created_at"`
}

// Provider is a rendering clinician.
type Provider struct {
	ID         string    `gorm:"primaryKey;type:uuid" json:"id"`
	FirstName  string    `json:"first_name"`
	LastName   string    `json:"last_name"`
	Credential string    `json:"credential"`
	NPI        string    `gorm:"column:npi" json:"npi"`
	Taxonomy   string    `json:"taxonomy"`
	TaxID      string    `gorm:"column:tax_id" json:"tax_id"`
	CreatedAt  time.Time `json:"created_at"`
}

// Payer types.
var PayerTypes = []string{"commercial", "medicare", "medicaid", "auto", "workers_comp", "attorney", "other"}

// Payer is an insurer (or other party) that claims are sent to.
type Payer struct {
	ID               string    `gorm:"primaryKey;type:uuid" json:"id"`
	Name             string    `json:"name"`
	PayerID          string    `gorm:"column:payer_id" json:"payer_id"`
	Type             string    `json:"type"`
	TimelyFilingDays int       `json:"timely_filing_days"`
	AppealWindowDays int       `json:"appeal_window_days"`
	AckWaitDays      int       `json:"ack_wait_days"`
	PaymentWaitDays  int       `json:"payment_wait_days"`
	Address1         string    `json:"address1"`
	Address2         string    `json:"address2"`
	City             string    `json:"city"`
	State            string    `json:"state"`
	Zip              string    `json:"zip"`
	Phone            string    `json:"phone"`
	CreatedAt        time.Time `json:"created_at"`
}

// Coverage priorities, in billing order.
const (
	PriorityPrimary   = "primary"
	PrioritySecondary = "secondary"
	PriorityTertiary  = "tertiary"
)

// CoveragePriorities lists the priorities in billing order.
var CoveragePriorities = []string{PriorityPrimary, PrioritySecondary, PriorityTertiary}

// Coverage statuses.
const (
	CoverageActive   = "active"
	CoverageInactive = "inactive"
)

// Coverage is a patient's insurance policy as it applies to one case.
type Coverage struct {
	ID                    string     `gorm:"primaryKey;type:uuid" json:"id"`
	CaseID                string     `gorm:"type:uuid" json:"case_id"`
	PayerID               string     `gorm:"type:uuid" json:"payer_id"`
	Priority              string     `json:"priority"`
	MemberID              string     `json:"member_id"`
	GroupNumber           string     `json:"group_number"`
	Relationship          string     `json:"relationship"`
	SubscriberFirstName   string     `json:"subscriber_first_name"`
	SubscriberLastName    string     `json:"subscriber_last_name"`
	SubscriberDateOfBirth *time.Time `gorm:"type:date" json:"-"`
	SubscriberSex         string     `json:"subscriber_sex"`
	SubscriberAddress1    string     `gorm:"column:subscriber_address1" json:"subscriber_address1"`
	SubscriberAddress2    string     `gorm:"column:subscriber_address2" json:"subscriber_address2"`
	SubscriberCity        string     `json:"subscriber_city"`
	SubscriberState       string     `json:"subscriber_state"`
	SubscriberZip         string     `json:"subscriber_zip"`
	EffectiveFrom         time.Time  `gorm:"type:date" json:"-"`
	EffectiveTo           *time.Time `gorm:"type:date" json:"-"`
	Status                string     `json:"status"`
	CreatedAt             time.Time  `json:"created_at"`
}

// FeeSchedule is a named price list for procedure codes.
type FeeSchedule struct {
	ID        string            `gorm:"primaryKey;type:uuid" json:"id"`
	Name      string            `json:"name"`
	IsDefault bool              `json:"is_default"`
	CreatedAt time.Time         `json:"created_at"`
	Items     []FeeScheduleItem `gorm:"foreignKey:FeeScheduleID" json:"items"`
}

// FeeScheduleItem is one procedure code's price in a fee schedule.
type FeeScheduleItem struct {
	FeeScheduleID string          `gorm:"primaryKey;type:uuid" json:"-"`
	ProcedureCode string          `gorm:"primaryKey" json:"procedure_code"`
	Description   string          `json:"description"`
	Price         decimal.Decimal `gorm:"type:numeric(14,2)" json:"price"`
}

// Patient is one person, registered once; a patient can have several cases.
type Patient struct {
	ID          string    `gorm:"primaryKey;type:uuid" json:"id"`
	FirstName   string    `json:"first_name"`
	LastName    string    `json:"last_name"`
	DateOfBirth time.Time `gorm:"type:date" json:"-"`
	Sex         string    `json:"sex"`
	Email       string    `json:"email"`
	Phone       string    `json:"phone"`
	Address1    string    `json:"address1"`
	Address2    string    `json:"address2"`
	City        string    `json:"city"`
	State       string    `json:"state"`
	Zip         string    `json:"zip"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Encounter is one visit within a case.
type Encounter struct {
	ID                 string     `gorm:"primaryKey;type:uuid"`
	CaseID             string     `gorm:"type:uuid"`
	ProviderID         string     `gorm:"type:uuid"`
	LocationID         string     `gorm:"type:uuid"`
	ServiceDate        time.Time  `gorm:"type:date"`
	CheckedInAt        time.Time  `gorm:"column:checked_in_at"`
	ChargesCompletedAt *time.Time `gorm:"column:charges_completed_at"`
	CreatedAt          time.Time
}

// Charge statuses.
const (
	ChargeActive = "active"
	ChargeVoided = "voided"
)

// Charge is one service line captured on an encounter.
type Charge struct {
	ID                string          `gorm:"primaryKey;type:uuid"`
	CaseID            string          `gorm:"type:uuid"`
	EncounterID       string          `gorm:"type:uuid"`
	ProcedureCode     string          `gorm:"column:procedure_code"`
	Modifiers         pq.StringArray  `gorm:"type:text[]"`
	Units             int             `gorm:"column:units"`
	Diagnoses         pq.StringArray  `gorm:"type:text[]"`
	DiagnosisPointers pq.Int64Array   `gorm:"type:integer[]"`
	UnitPrice         decimal.Decimal `gorm:"type:numeric(14,2)"`
	Amount            decimal.Decimal `gorm:"type:numeric(14,2)"`
	PriceOverridden   bool
	Status            string
	VoidReason        string
	VoidedAt          *time.Time
	CreatedBy         *string `gorm:"type:uuid"`
	CreatedAt         time.Time
}

// Payment methods.
var PaymentMethods = []string{"cash", "check", "card", "ach", "other"}

// Payment is money received from a patient (or on the patient's behalf).
type Payment struct {
	ID             string          `gorm:"primaryKey;type:uuid"`
	CaseID         string          `gorm:"type:uuid"`
	PatientID      string          `gorm:"type:uuid"`
	Amount         decimal.Decimal `gorm:"type:numeric(14,2)"`
	Method         string
	Reference      string
	ReceivedAt     time.Time
	IdempotencyKey string
	RequestHash    string
	CreatedBy      *string `gorm:"type:uuid"`
	CreatedAt      time.Time
}

// Adjustment reduces a patient balance without money changing hands (discount,
// small-balance write-off).
type Adjustment struct {
	ID             string          `gorm:"primaryKey;type:uuid"`
	CaseID         string          `gorm:"type:uuid"`
	Amount         decimal.Decimal `gorm:"type:numeric(14,2)"`
	Reason         string
	IdempotencyKey string
	RequestHash    string
	CreatedBy      *string `gorm:"type:uuid"`
	CreatedAt      time.Time
}

// Task statuses.
const (
	TaskOpen      = "open"
	TaskClaimed   = "claimed"
	TaskDone      = "done"
	TaskCancelled = "cancelled"
)

// Task is a unit of work for a person, in a named queue.
type Task struct {
	ID          string     `gorm:"primaryKey;type:uuid" json:"id"`
	Queue       string     `json:"queue"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status"`
	BusinessKey string     `json:"business_key"`
	CaseID      *string    `gorm:"type:uuid" json:"case_id,omitempty"`
	EncounterID *string    `gorm:"type:uuid" json:"encounter_id,omitempty"`
	ClaimID     *string    `gorm:"type:uuid" json:"claim_id,omitempty"`
	Title       string     `json:"title"`
	Details     JSON       `gorm:"type:jsonb" json:"details"`
	Priority    int        `json:"priority"`
	DueAt       *time.Time `json:"due_at,omitempty"`
	AssigneeID  *string    `gorm:"type:uuid" json:"assignee_id,omitempty"`
	ClaimedAt   *time.Time `json:"claimed_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	Resolution  string     `json:"resolution"`
	CreatedAt   time.Time  `json:"created_at"`
}

// User is a person who signs in, with one role.
type User struct {
	ID        string    `gorm:"primaryKey;type:uuid" json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// APIToken is a hashed bearer token belonging to a user.
type APIToken struct {
	ID         string `gorm:"primaryKey;type:uuid"`
	UserID     string `gorm:"type:uuid"`
	Name       string
	TokenHash  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// TableName maps APIToken to api_tokens.
func (APIToken) TableName() string { return "api_tokens" }

// AuditEntry is one append-only audit_log row.
type AuditEntry struct {
	ID         int64     `gorm:"primaryKey" json:"id"`
	At         time.Time `json:"at"`
	ActorID    *string   `gorm:"type:uuid" json:"actor_id,omitempty"`
	Action     string    `json:"action"`
	EntityType string    `json:"entity_type"`
	EntityID   string    `json:"entity_id"`
	RequestID  string    `json:"request_id"`
	Changes    JSON      `gorm:"type:jsonb" json:"changes,omitempty"`
}

// TableName maps AuditEntry to audit_log.
func (AuditEntry) TableName() string { return "audit_log" }

// JSON is a jsonb column holding raw JSON.
type JSON json.RawMessage

// Value stores the JSON as text; an empty value is stored as {}.
func (j JSON) Value() (driver.Value, error) {
	if len(j) == 0 {
		return "{}", nil
	}
	return string(j), nil
}

// Scan reads a jsonb column.
func (j *JSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = nil
	case []byte:
		*j = append((*j)[:0], v...)
	case string:
		*j = JSON(v)
	default:
		return fmt.Errorf("store.JSON: cannot scan %T", src)
	}
	return nil
}

// MarshalJSON writes the raw JSON (null when empty).
func (j JSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// UnmarshalJSON keeps the raw JSON (nil for null).
func (j *JSON) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*j = nil
		return nil
	}
	*j = append((*j)[:0], b...)
	return nil
}

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
	COB                   JSON            `gorm:"column:cob;type:jsonb" json:"cob,omitempty"`
	StageChangedAt        time.Time       `json:"stage_changed_at"`
	CreatedAt             time.Time       `json:"created_at"`
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
	Detail    JSON      `gorm:"type:jsonb" json:"detail"`
	ActorID   *string   `gorm:"type:uuid" json:"actor_id,omitempty"`
}
