package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Genesis is the prev_hash of the first row in the chain.
var Genesis = strings.Repeat("0", 64)

// Why a chain is broken.
const (
	// BrokenContent: the row's stored hash is not the hash of its content, so a
	// column was edited after the row was written.
	BrokenContent = "content_changed"
	// BrokenLink: the row's prev_hash is not the hash of the row before it, so the
	// row before was rewritten (hash included) or rows were reordered.
	BrokenLink = "link_broken"
	// BrokenMissing: rows are missing before this one (a gap in seq), or at the end
	// of the log when BrokenID is 0.
	BrokenMissing = "row_missing"
)

// Result is what Verify found.
type Result struct {
	// OK is true when every row links to the one before and hashes to its stored hash.
	OK bool `json:"ok"`
	// Checked counts the rows read, up to and including the first broken one.
	Checked int64 `json:"checked"`
	// BrokenID and BrokenSeq name the first broken row (BrokenID is 0 when rows are
	// missing from the end); Reason is one of the Broken* constants; Detail says more
	// without quoting the row's content.
	BrokenID  int64  `json:"broken_id,omitempty"`
	BrokenSeq int64  `json:"broken_seq,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Detail    string `json:"detail,omitempty"`
	// HeadSeq and HeadHash are the tip of the chain; kept outside the database (in a
	// ticket, a log shipped elsewhere) they let a later check show that the whole
	// tail was not rewritten.
	HeadSeq  int64  `json:"head_seq"`
	HeadHash string `json:"head_hash"`
}

// Verify recomputes the audit chain in seq order, independently of the database's
// own hash function, and reports the first row where it breaks. It streams the
// rows in one read-only snapshot, so writers carry on meanwhile and their rows are
// checked next time. A database error is returned as an error; a broken chain is a
// Result with OK false.
func Verify(ctx context.Context, g *gorm.DB) (Result, error) {
	var res Result
	err := g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var head struct {
			Seq  int64
			Hash string
		}
		if err := tx.Raw(`SELECT seq, hash FROM audit_chain_head`).Scan(&head).Error; err != nil {
			return fmt.Errorf("read audit chain head: %w", err)
		}
		res.HeadSeq, res.HeadHash = head.Seq, head.Hash
		rows, err := tx.Raw(`SELECT id, seq, at, actor_id::text, action, entity_type, entity_id,
			request_id, changes::text, prev_hash, hash FROM audit_log ORDER BY seq`).Rows()
		if err != nil {
			return fmt.Errorf("read audit log: %w", err)
		}
		defer rows.Close()
		prev, want := Genesis, int64(1)
		for rows.Next() {
			var r chainRow
			if err := rows.Scan(&r.id, &r.seq, &r.at, &r.actorID, &r.action, &r.entityType,
				&r.entityID, &r.requestID, &r.changes, &r.prevHash, &r.hash); err != nil {
				return fmt.Errorf("read audit log: %w", err)
			}
			res.Checked++
			broken := func(reason, detail string) {
				res.BrokenID, res.BrokenSeq, res.Reason, res.Detail = r.id, r.seq, reason, detail
			}
			switch {
			case r.seq != want:
				broken(BrokenMissing, fmt.Sprintf("expected seq %d, found %d: %d row(s) missing before row %d",
					want, r.seq, r.seq-want, r.id))
			case r.hash != r.sum():
				broken(BrokenContent, fmt.Sprintf("row %d (seq %d) does not hash to its stored hash", r.id, r.seq))
			case r.prevHash != prev:
				broken(BrokenLink, fmt.Sprintf("row %d (seq %d) does not link to the hash of seq %d", r.id, r.seq, r.seq-1))
			}
			if res.Reason != "" {
				return nil
			}
			prev, want = r.hash, want+1
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read audit log: %w", err)
		}
		switch {
		case head.Seq != want-1:
			res.Reason = BrokenMissing
			res.Detail = fmt.Sprintf("the chain head is seq %d but the log ends at seq %d", head.Seq, want-1)
		case head.Hash != prev:
			res.Reason = BrokenLink
			res.Detail = fmt.Sprintf("the chain head does not match the hash of seq %d", want-1)
		default:
			res.OK = true
		}
		return nil
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return Result{}, fmt.Errorf("verify audit chain: %w", err)
	}
	return res, nil
}

// chainRow is one audit_log row as the chain hashes it: columns as stored, NULLs kept.
type chainRow struct {
	id, seq                                 int64
	at                                      time.Time
	actorID, changes                        sql.NullString
	action, entityType, entityID, requestID string
	prevHash, hash                          string
}

// sum is the row's hash. It must match audit_row_hash in
// migrations/00007_audit_chain.sql byte for byte: a versioned header, then each
// field as "<byte length>:<value>\n", NULL as "-\n".
func (r chainRow) sum() string {
	var b strings.Builder
	b.WriteString("rcm-audit-v1\n")
	field := func(v string, valid bool) {
		if !valid {
			b.WriteString("-\n")
			return
		}
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	field(r.prevHash, true)
	field(strconv.FormatInt(r.id, 10), true)
	field(strconv.FormatInt(r.seq, 10), true)
	field(strconv.FormatInt(r.at.UnixMicro(), 10), true)
	field(r.actorID.String, r.actorID.Valid)
	field(r.action, true)
	field(r.entityType, true)
	field(r.entityID, true)
	field(r.requestID, true)
	field(r.changes.String, r.changes.Valid)
	h := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(h[:])
}
