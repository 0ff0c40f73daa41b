package audit

import (
	"time"

	"github.com/clinicflow/rcm/internal/db"
)

// Entry is one append-only audit_log row.
type Entry struct {
	ID         int64     `gorm:"primaryKey" json:"id"`
	At         time.Time `json:"at"`
	ActorID    *string   `gorm:"type:uuid" json:"actor_id,omitempty"`
	Action     string    `json:"action"`
	EntityType string    `json:"entity_type"`
	EntityID   string    `json:"entity_id"`
	RequestID  string    `json:"request_id"`
	Changes    db.JSON   `gorm:"type:jsonb" json:"changes,omitempty"`
	// Seq, PrevHash and Hash are the row's link in the hash chain; the database
	// sets them on insert (migrations/00007_audit_chain.sql), so GORM only reads them.
	Seq      int64  `gorm:"->" json:"seq"`
	PrevHash string `gorm:"->" json:"prev_hash"`
	Hash     string `gorm:"->" json:"hash"`
}

// TableName maps Entry to audit_log.
func (Entry) TableName() string { return "audit_log" }
