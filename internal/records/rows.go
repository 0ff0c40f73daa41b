package records

import (
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/phicrypt"
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
	ID       string `gorm:"primaryKey;type:uuid" json:"id"`
	CaseID   string `gorm:"type:uuid" json:"case_id"`
	PayerID  string `gorm:"type:uuid" json:"payer_id"`
	Priority string `json:"priority"`
	// MemberID and GroupNumber are sealed at rest (internal/phicrypt); the
	// member ID is found by its keyed hash, MemberIDHash (BeforeSave sets it).
	MemberID              phicrypt.Text `json:"member_id"`
	GroupNumber           phicrypt.Text `json:"group_number"`
	MemberIDHash          *string       `gorm:"column:member_id_hash" json:"-"`
	Relationship          string        `json:"relationship"`
	SubscriberFirstName   string        `json:"subscriber_first_name"`
	SubscriberLastName    string        `json:"subscriber_last_name"`
	SubscriberDateOfBirth *time.Time    `gorm:"type:date" json:"-"`
	SubscriberSex         string        `json:"subscriber_sex"`
	SubscriberAddress1    string        `gorm:"column:subscriber_address1" json:"subscriber_address1"`
	SubscriberAddress2    string        `gorm:"column:subscriber_address2" json:"subscriber_address2"`
	SubscriberCity        string        `json:"subscriber_city"`
	SubscriberState       string        `json:"subscriber_state"`
	SubscriberZip         string        `json:"subscriber_zip"`
	EffectiveFrom         time.Time     `gorm:"type:date" json:"-"`
	EffectiveTo           *time.Time    `gorm:"type:date" json:"-"`
	Status                string        `json:"status"`
	CreatedAt             time.Time     `json:"created_at"`
}

// BeforeSave keeps the member ID's lookup hash in step with the member ID. A
// coverage without one is an update through an empty model
// (tx.Model(&Coverage{}).Update("status", ...)), which leaves both alone.
func (c *Coverage) BeforeSave(*gorm.DB) error {
	if c.MemberID == "" {
		return nil
	}
	h, err := phicrypt.Lookup(string(c.MemberID))
	if err != nil {
		return err
	}
	c.MemberIDHash = nil
	if h != "" {
		c.MemberIDHash = &h
	}
	return nil
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

	// LocationID is where the patient was registered (package access).
	LocationID *string `gorm:"type:uuid" json:"location_id,omitempty"`
}
