package billing

import (
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"
)

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
