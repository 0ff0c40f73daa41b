// Package audit writes the append-only audit trail: who did what to which entity,
// when, under which request. It records ids and field names, never PHI values.
package audit

import (
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/db"
)

// Actor is who caused a write and under which request. It travels with workflow
// updates into activities so the audit row is written in the business transaction.
type Actor struct {
	UserID    string `json:"user_id,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// System is the actor for writes made by automation (timers, workflows).
var System = Actor{}

// Record appends one audit row inside tx. changes must not contain PHI values; pass
// ids, amounts, codes and the names of changed fields.
func Record(tx *gorm.DB, actor Actor, action, entityType, entityID string, changes map[string]any) error {
	e := Entry{
		At: time.Now().UTC(), Action: action, EntityType: entityType, EntityID: entityID,
		RequestID: actor.RequestID,
	}
	if actor.UserID != "" {
		e.ActorID = &actor.UserID
	}
	if len(changes) > 0 {
		b, err := json.Marshal(changes)
		if err != nil {
			return fmt.Errorf("audit %s %s: %w", action, entityID, err)
		}
		e.Changes = b
	}
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("audit %s %s: %w", action, entityID, err)
	}
	return nil
}

// Filter selects audit entries; empty fields match every entry.
type Filter struct {
	EntityType string
	EntityID   string
	Limit      int
}

// List returns audit entries, newest first.
func List(tx *gorm.DB, f Filter) ([]Entry, error) {
	q := tx.Model(&Entry{})
	if f.EntityType != "" {
		q = q.Where("entity_type = ?", f.EntityType)
	}
	if f.EntityID != "" {
		q = q.Where("entity_id = ?", f.EntityID)
	}
	var out []Entry
	if err := q.Order("id DESC").Limit(db.Page(f.Limit)).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return out, nil
}

// Batch holds audit rows to write at the end of a transaction. The audit chain
// serializes audit inserts from the first one to the commit (see migration
// 00007), so a transaction that goes on to lock other rows after an audit insert
// can deadlock with one that holds such a row and waits for the chain. A
// transaction that touches many rows (a 999 or 277CA over many claims) adds its
// rows to a Batch as it goes and writes them last.
type Batch struct {
	rows []batchRow
}

type batchRow struct {
	actor                      Actor
	action, entityType, entity string
	changes                    map[string]any
}

// Add queues one audit row.
func (b *Batch) Add(actor Actor, action, entityType, entityID string, changes map[string]any) {
	b.rows = append(b.rows, batchRow{actor, action, entityType, entityID, changes})
}

// Write records the queued rows in order, in tx, and empties the batch.
func (b *Batch) Write(tx *gorm.DB) error {
	for _, r := range b.rows {
		if err := Record(tx, r.actor, r.action, r.entityType, r.entity, r.changes); err != nil {
			return err
		}
	}
	b.rows = nil
	return nil
}
