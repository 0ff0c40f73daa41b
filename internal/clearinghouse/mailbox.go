package clearinghouse

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/phicrypt"
)

// The durable simulator (Config.DB). Three tables (migration 00038):
//
//   - clearinghouse_sims: one row per clearinghouse ID, holding the sequence
//     base its control numbers count from; its row lock serializes every
//     change of that clearinghouse, across processes.
//   - clearinghouse_requests: every Submit and Appeal that changed the payer's
//     memory, in the order applied (append-only). Replaying them rebuilds that
//     memory after a restart or in another worker.
//   - clearinghouse_mailbox: the answer files owed, each with the time it may
//     be delivered; a file is numbered (delivered_seq) when it is first seen
//     due, under the same lock, so numbers follow commit order and a poller's
//     cursor never skips a file.

// mailboxIDPrefix starts every mailbox file ID. "MB" sorts after "IN", the
// in-memory simulator's prefix, so a poller cursor kept from before the
// simulator became durable reads every mailbox file.
const mailboxIDPrefix = "MB"

// pollLimit bounds one Poll of the durable mailbox; the poller asks again from
// the last file it got.
const pollLimit = 1000

// idleRecheck is the longest Wait sleeps without looking at the mailbox: a
// file another process scheduled wakes no channel here.
const idleRecheck = time.Second

// Request kinds recorded in clearinghouse_requests.
const (
	requestSubmit = "submit"
	requestAppeal = "appeal"
)

// mailbox is the database side of a durable Simulator.
type mailbox struct {
	db            *gorm.DB
	clearinghouse string
	retention     int
	base          int  // the sequence base: Config.SequenceBase until the stored one is read
	known         bool // the clearinghouse row exists and base is the stored one
}

// request is one recorded Submit or Appeal.
type request struct {
	Seq         int64
	Kind        string
	RequestID   string
	Body        phicrypt.Bytes // sealed at rest: an 837 names the patient
	ReceivedAt  time.Time
	EnvelopeSeq int64
}

func fileID(seq int64) string { return fmt.Sprintf("%s%016d", mailboxIDPrefix, seq) }

// cursorSeq is the file number a Poll cursor reads after; ok is false when the
// cursor sorts after every mailbox ID (nothing to read).
func cursorSeq(after string) (seq int64, ok bool, err error) {
	switch {
	case strings.HasPrefix(after, mailboxIDPrefix):
		n, err := strconv.ParseInt(strings.TrimPrefix(after, mailboxIDPrefix), 10, 64)
		if err != nil || n < 0 {
			return 0, false, fmt.Errorf("clearinghouse: bad mailbox cursor %q", after)
		}
		return n, true, nil
	case after < mailboxIDPrefix:
		return 0, true, nil
	default:
		return 0, false, nil
	}
}

// ensure creates the clearinghouse's row (once per process) and learns the
// sequence base stored with it: the first simulator's base wins, so control
// numbers replayed after a restart are the ones first sent.
func (m *mailbox) ensure(ctx context.Context) error {
	if m.known {
		return nil
	}
	db := m.db.WithContext(ctx)
	if err := db.Exec(`INSERT INTO clearinghouse_sims (clearinghouse, sequence_base) VALUES (?, ?)
		ON CONFLICT (clearinghouse) DO NOTHING`, m.clearinghouse, m.base).Error; err != nil {
		return fmt.Errorf("clearinghouse %s: register: %w", m.clearinghouse, err)
	}
	var base int64
	if err := db.Raw(`SELECT sequence_base FROM clearinghouse_sims WHERE clearinghouse = ?`, m.clearinghouse).Scan(&base).Error; err != nil {
		return fmt.Errorf("clearinghouse %s: read sequence base: %w", m.clearinghouse, err)
	}
	m.base, m.known = int(base), true
	return nil
}

// lock takes the clearinghouse's row lock for the rest of tx.
func (m *mailbox) lock(tx *gorm.DB) error {
	var n int64
	if err := tx.Raw(`SELECT sequence_base FROM clearinghouse_sims WHERE clearinghouse = ? FOR UPDATE`, m.clearinghouse).Scan(&n).Error; err != nil {
		return fmt.Errorf("clearinghouse %s: lock: %w", m.clearinghouse, err)
	}
	return nil
}

// requestsAfter returns the recorded requests after seq, in order.
func (m *mailbox) requestsAfter(tx *gorm.DB, seq int64) ([]request, error) {
	var out []request
	err := tx.Raw(`SELECT seq, kind, request_id, body, received_at, envelope_seq FROM clearinghouse_requests
		WHERE clearinghouse = ? AND seq > ? ORDER BY seq`, m.clearinghouse, seq).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("clearinghouse %s: read requests: %w", m.clearinghouse, err)
	}
	return out, nil
}

// record writes a request and the files it scheduled (in tx, under lock).
func (m *mailbox) record(tx *gorm.DB, r request, files []Inbound) error {
	if err := tx.Exec(`INSERT INTO clearinghouse_requests (clearinghouse, seq, kind, request_id, body, received_at, envelope_seq)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, m.clearinghouse, r.Seq, r.Kind, r.RequestID, r.Body, r.ReceivedAt, r.EnvelopeSeq).Error; err != nil {
		return fmt.Errorf("clearinghouse %s: record %s %s: %w", m.clearinghouse, r.Kind, r.RequestID, err)
	}
	for _, f := range files {
		if err := tx.Exec(`INSERT INTO clearinghouse_mailbox (clearinghouse, request_seq, kind, submission_id, appeal_id, data, deliver_after)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, m.clearinghouse, r.Seq, string(f.Kind), f.SubmissionID, f.AppealID, phicrypt.Bytes(f.Data), f.AvailableAt).Error; err != nil {
			return fmt.Errorf("clearinghouse %s: schedule %s for %s: %w", m.clearinghouse, f.Kind, r.RequestID, err)
		}
	}
	return nil
}

// release numbers the files due at now, oldest deliver-after first, and drops
// the oldest numbered files beyond the retention.
func (m *mailbox) release(ctx context.Context, now time.Time) error {
	db := m.db.WithContext(ctx)
	var due bool
	if err := db.Raw(`SELECT EXISTS (SELECT 1 FROM clearinghouse_mailbox
		WHERE clearinghouse = ? AND delivered_seq IS NULL AND deliver_after <= ?)`, m.clearinghouse, now).Scan(&due).Error; err != nil {
		return fmt.Errorf("clearinghouse %s: look for due files: %w", m.clearinghouse, err)
	}
	if !due {
		return nil
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := m.lock(tx); err != nil {
			return err
		}
		var last int64
		if err := tx.Raw(`SELECT COALESCE(MAX(delivered_seq), 0) FROM clearinghouse_mailbox WHERE clearinghouse = ?`,
			m.clearinghouse).Scan(&last).Error; err != nil {
			return err
		}
		up := tx.Exec(`UPDATE clearinghouse_mailbox m SET delivered_seq = ? + d.n, delivered_at = ?
			FROM (SELECT id, row_number() OVER (ORDER BY deliver_after, id) AS n FROM clearinghouse_mailbox
			      WHERE clearinghouse = ? AND delivered_seq IS NULL AND deliver_after <= ?) d
			WHERE m.id = d.id`, last, now, m.clearinghouse, now)
		if up.Error != nil {
			return up.Error
		}
		if keep := int64(m.retention); keep > 0 {
			return tx.Exec(`DELETE FROM clearinghouse_mailbox WHERE clearinghouse = ? AND delivered_seq <= ?`,
				m.clearinghouse, last+up.RowsAffected-keep).Error
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("clearinghouse %s: release due files: %w", m.clearinghouse, err)
	}
	return nil
}

// mailboxFile is a numbered mailbox row.
type mailboxFile struct {
	DeliveredSeq int64
	Kind         string
	SubmissionID string
	AppealID     string
	Data         phicrypt.Bytes // sealed at rest
	DeliverAfter time.Time
}

// poll is Poll of the durable mailbox.
func (m *mailbox) poll(ctx context.Context, after string, now time.Time) ([]Inbound, error) {
	from, ok, err := cursorSeq(after)
	if err != nil || !ok {
		return nil, err
	}
	if err := m.release(ctx, now); err != nil {
		return nil, err
	}
	var rows []mailboxFile
	if err := m.db.WithContext(ctx).Raw(`SELECT delivered_seq, kind, submission_id, appeal_id, data, deliver_after
		FROM clearinghouse_mailbox WHERE clearinghouse = ? AND delivered_seq > ? ORDER BY delivered_seq LIMIT ?`,
		m.clearinghouse, from, pollLimit).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("clearinghouse %s: poll: %w", m.clearinghouse, err)
	}
	out := make([]Inbound, 0, len(rows))
	for _, r := range rows {
		out = append(out, Inbound{ID: fileID(r.DeliveredSeq), Kind: Kind(r.Kind), SubmissionID: r.SubmissionID,
			AppealID: r.AppealID, Data: []byte(r.Data), AvailableAt: r.DeliverAfter})
	}
	return out, nil
}

// pending reports whether a file after the cursor is available at now, and
// when the next file not yet due becomes due (zero when none is scheduled).
func (m *mailbox) pending(ctx context.Context, after string, now time.Time) (bool, time.Time, error) {
	from, ok, err := cursorSeq(after)
	if err != nil {
		return false, time.Time{}, err
	}
	if err := m.release(ctx, now); err != nil {
		return false, time.Time{}, err
	}
	var st struct {
		Ready bool
		Next  *time.Time
	}
	if err := m.db.WithContext(ctx).Raw(`SELECT
		  EXISTS (SELECT 1 FROM clearinghouse_mailbox WHERE clearinghouse = ? AND delivered_seq > ?) AS ready,
		  (SELECT MIN(deliver_after) FROM clearinghouse_mailbox WHERE clearinghouse = ? AND delivered_seq IS NULL) AS next`,
		m.clearinghouse, from, m.clearinghouse).Scan(&st).Error; err != nil {
		return false, time.Time{}, fmt.Errorf("clearinghouse %s: look at mailbox: %w", m.clearinghouse, err)
	}
	var next time.Time
	if st.Next != nil {
		next = *st.Next
	}
	return ok && st.Ready, next, nil
}

// catchUp applies the requests recorded since this simulator last looked
// (by another worker, or before a restart) to its memory (caller holds mu).
func (s *Simulator) catchUp(ctx context.Context) error {
	if s.box == nil {
		return nil
	}
	if err := s.open(ctx); err != nil {
		return err
	}
	if err := s.replayFrom(s.box.db.WithContext(ctx)); err != nil {
		s.resetMemory(s.box.base)
		return err
	}
	return nil
}

// open registers the clearinghouse on first use and counts from its stored
// sequence base (caller holds mu).
func (s *Simulator) open(ctx context.Context) error {
	if s.box.known {
		return nil
	}
	if err := s.box.ensure(ctx); err != nil {
		return err
	}
	s.resetMemory(s.box.base)
	return nil
}

// replayFrom applies the requests recorded after s.applied, read through tx
// (caller holds mu; on error the memory is partial and must be reset).
func (s *Simulator) replayFrom(tx *gorm.DB) error {
	reqs, err := s.box.requestsAfter(tx, s.applied)
	if err != nil {
		return err
	}
	loc := s.cfg.Now().Location()
	s.replaying = true
	defer func() { s.replaying = false }()
	for _, r := range reqs {
		if r.Seq != s.applied+1 {
			return fmt.Errorf("clearinghouse %s: request %d missing (next is %d)", s.id, s.applied+1, r.Seq)
		}
		s.seq = int(r.EnvelopeSeq)
		now := r.ReceivedAt.In(loc)
		switch r.Kind {
		case requestSubmit:
			_, err = s.submit(r.RequestID, r.Body, sha256.Sum256(r.Body), now)
		case requestAppeal:
			var req AppealRequest
			if err = json.Unmarshal(r.Body, &req); err == nil {
				_, err = s.appeal(req, now)
			}
		default:
			err = fmt.Errorf("unknown request kind %q", r.Kind)
		}
		if err != nil {
			return fmt.Errorf("clearinghouse %s: replay %s %s: %w", s.id, r.Kind, r.RequestID, err)
		}
		s.applied = r.Seq
	}
	return nil
}

// record runs handle for a request received now, under the clearinghouse's
// lock and after catching up with every request recorded before, and records
// the request it returns (nil: a repeated id, nothing changed) with the files
// it scheduled in the same transaction (caller holds mu). A failure leaves nothing recorded and the memory is rebuilt from
// the database on the next call.
func (s *Simulator) record(ctx context.Context, handle func(now time.Time) (*request, error)) error {
	if err := s.open(ctx); err != nil {
		return err
	}
	scheduled := false
	err := s.box.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.box.lock(tx); err != nil {
			return err
		}
		if err := s.replayFrom(tx); err != nil {
			return err
		}
		// The database keeps microseconds: replaying must see the same instant.
		now := s.cfg.Now().Truncate(time.Microsecond)
		envelopeSeq := s.seq
		s.outbox = nil
		r, err := handle(now)
		if err != nil || r == nil {
			return err
		}
		r.Seq, r.ReceivedAt, r.EnvelopeSeq = s.applied+1, now, int64(envelopeSeq)
		if err := s.box.record(tx, *r, s.outbox); err != nil {
			return err
		}
		scheduled = len(s.outbox) > 0
		s.applied = r.Seq
		return nil
	})
	s.outbox = nil
	if err != nil {
		s.resetMemory(s.box.base)
		return err
	}
	if scheduled && s.arrived != nil {
		close(s.arrived)
		s.arrived = nil
	}
	return nil
}

// submitDurable is Submit of a durable simulator (caller holds mu).
func (s *Simulator) submitDurable(ctx context.Context, id string, batch837 []byte, digest [32]byte) (SubmitResult, error) {
	var res SubmitResult
	err := s.record(ctx, func(now time.Time) (*request, error) {
		if prev, ok := s.submissions[id]; ok {
			if prev.digest != digest {
				return nil, fmt.Errorf("%w: %s", ErrSubmissionConflict, id)
			}
			res = prev.result
			return nil, nil
		}
		var err error
		if res, err = s.submit(id, batch837, digest, now); err != nil {
			return nil, err
		}
		return &request{Kind: requestSubmit, RequestID: id, Body: batch837}, nil
	})
	return res, err
}

// appealDurable is Appeal of a durable simulator (caller holds mu).
func (s *Simulator) appealDurable(ctx context.Context, req AppealRequest) (AppealResult, error) {
	var res AppealResult
	err := s.record(ctx, func(now time.Time) (*request, error) {
		if prev, ok := s.appeals[req.AppealID]; ok {
			res = prev
			return nil, nil
		}
		body, err := json.Marshal(req)
		if err != nil {
			return nil, err
		}
		if res, err = s.appeal(req, now); err != nil {
			return nil, err
		}
		return &request{Kind: requestAppeal, RequestID: req.AppealID, Body: body}, nil
	})
	return res, err
}

// waitDurable is Wait of a durable simulator: it looks at the mailbox when a
// file of this process is scheduled, when the next scheduled file is due, and
// at least every idleRecheck (files other processes schedule).
func (s *Simulator) waitDurable(ctx context.Context, after string, until time.Time) error {
	for {
		now := s.cfg.Now()
		ready, next, err := s.box.pending(ctx, after, now)
		if err != nil {
			return err
		}
		if ready || time.Until(until) <= 0 {
			return nil
		}
		d := min(time.Until(until), idleRecheck)
		if !next.IsZero() {
			d = min(d, next.Sub(now))
		}
		s.mu.Lock()
		if s.arrived == nil {
			s.arrived = make(chan struct{})
		}
		arrived := s.arrived
		s.mu.Unlock()
		t := time.NewTimer(max(d, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-arrived:
		case <-t.C:
		}
		t.Stop()
	}
}
