// Package phirotate moves every sealed PHI column (internal/phicrypt) to the
// installed keyring's current key: values sealed under an old key are opened
// and sealed again, legacy plain text (rows written before encryption) is
// sealed, and the member ID lookup hashes are filled in. It is what `rcm phi
// rotate` runs (and `rcm dev` at start).
//
// It works table by table in batches, each batch one transaction that locks
// its rows (FOR UPDATE) and rewrites only those not yet current, walking the
// primary key upwards. So it is idempotent (a second run finds nothing to do),
// resumable (an interrupted run loses at most its open batch; the next run
// picks up what is still under an old key) and safe beside the running
// application, which writes only current values.
package phirotate

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/phicrypt"
)

// DefaultBatch is how many rows one transaction rewrites unless told.
const DefaultBatch = 500

// Options tune a run.
type Options struct {
	// Batch is the number of rows per transaction (DefaultBatch when 0).
	Batch int
	// Rehash recomputes every member ID lookup hash, also of rows already
	// sealed under the current key: run it after changing PHI_LOOKUP_KEY.
	Rehash bool
	// Progress, when set, is told after each batch.
	Progress func(table string, rewritten int)
}

// Result is how many rows of each table a run rewrote.
type Result map[string]int

// target is one table with sealed columns.
type target struct {
	table string
	// key is the SQL expression the batches walk in order (the primary key,
	// or an expression of a composite one) and keyType its type.
	key, keyType string
	cols         []string
	// pending is the SQL condition of a row that needs rewriting under the
	// current key id.
	pending func(keyID string, rehash bool) string
	// fix returns the new values of cols (nil: the row is current).
	fix func(k *phicrypt.Keyring, vals []sql.NullString, rehash bool) ([]any, error)
}

// textPending is the condition of sealed text columns not under the current key.
func textPending(cols ...string) func(string, bool) string {
	return func(keyID string, _ bool) string {
		like := likeOf(keyID)
		var or []string
		for _, c := range cols {
			or = append(or, fmt.Sprintf(`(%[1]s <> '' AND %[1]s NOT LIKE '%[2]s')`, c, like))
		}
		return "(" + strings.Join(or, " OR ") + ")"
	}
}

// resealText reseals each text column; nil when all were current.
func resealText(k *phicrypt.Keyring, vals []sql.NullString, _ bool) ([]any, error) {
	out := make([]any, len(vals))
	changed := false
	for i, v := range vals {
		s, err := k.Reseal(v.String)
		if err != nil {
			return nil, err
		}
		changed = changed || s != v.String
		out[i] = s
	}
	if !changed {
		return nil, nil
	}
	return out, nil
}

// bytesPending is the condition of a sealed bytea column not under the
// current key.
func bytesPending(col string) func(string, bool) string {
	return func(keyID string, _ bool) string {
		p := phicrypt.Prefix + keyID + ":"
		return fmt.Sprintf(`(%[1]s IS NOT NULL AND substring(%[1]s from 1 for %[2]d) <> '%[3]s'::bytea)`, col, len(p), p)
	}
}

// resealBytes reseals a bytea column; nil when current.
func resealBytes(k *phicrypt.Keyring, vals []sql.NullString, _ bool) ([]any, error) {
	if !vals[0].Valid {
		return nil, nil
	}
	s, err := k.Reseal(vals[0].String)
	if err != nil || s == vals[0].String {
		return nil, err
	}
	return []any{[]byte(s)}, nil
}

var targets = []target{
	{table: "coverages", key: "id", keyType: "uuid", cols: []string{"member_id", "group_number", "member_id_hash"},
		pending: func(keyID string, rehash bool) string {
			if rehash {
				return "TRUE"
			}
			return "(" + textPending("member_id", "group_number")(keyID, false) + " OR member_id_hash IS NULL)"
		},
		fix: func(k *phicrypt.Keyring, vals []sql.NullString, _ bool) ([]any, error) {
			sealed, err := resealText(k, vals[:2], false)
			if err != nil {
				return nil, err
			}
			plain, err := k.Open(vals[0].String)
			if err != nil {
				return nil, err
			}
			h := k.Lookup(plain)
			if sealed == nil && vals[2].Valid == (h != "") && vals[2].String == h {
				return nil, nil
			}
			if sealed == nil {
				sealed = []any{vals[0].String, vals[1].String}
			}
			var hash any
			if h != "" {
				hash = h
			}
			return append(sealed, hash), nil
		}},
	{table: "legal_cases", key: "case_id", keyType: "uuid", cols: []string{"insurer_claim_number"},
		pending: textPending("insurer_claim_number"), fix: resealText},
	{table: "legal_wc_decisions", key: "case_id", keyType: "uuid", cols: []string{"claim_number"},
		pending: textPending("claim_number"), fix: resealText},
	{table: "remittance_claims", key: "id", keyType: "uuid", cols: []string{"detail"},
		pending: func(keyID string, _ bool) string { return claims.RemittanceDetailPending(keyID) },
		fix: func(_ *phicrypt.Keyring, vals []sql.NullString, _ bool) ([]any, error) {
			out, changed, err := claims.ResealRemittanceDetail([]byte(vals[0].String))
			if err != nil || !changed {
				return nil, err
			}
			return []any{string(out)}, nil
		}},
	{table: "claims", key: "id", keyType: "uuid", cols: []string{"cob"},
		pending: func(keyID string, _ bool) string { return claims.COBPending(keyID) },
		fix: func(_ *phicrypt.Keyring, vals []sql.NullString, _ bool) ([]any, error) {
			out, changed, err := claims.ResealCOB([]byte(vals[0].String))
			if err != nil || !changed {
				return nil, err
			}
			return []any{string(out)}, nil
		}},
	// Whole EDI files: the 837Ps sent, the 835s received, and the simulator's
	// requests and answers.
	{table: "claim_submissions", key: "id", keyType: "uuid", cols: []string{"edi"},
		pending: bytesPending("edi"), fix: resealBytes},
	{table: "edi_contents", key: "sha256", keyType: "text", cols: []string{"data"},
		pending: bytesPending("data"), fix: resealBytes},
	{table: "clearinghouse_requests", key: "clearinghouse || '/' || lpad(seq::text, 20, '0')", keyType: "text",
		cols: []string{"body"}, pending: bytesPending("body"), fix: resealBytes},
	{table: "clearinghouse_mailbox", key: "id", keyType: "bigint", cols: []string{"data"},
		pending: bytesPending("data"), fix: resealBytes},
}

// likeOf is the LIKE pattern of values sealed under key id ('_' escaped).
func likeOf(id string) string { return strings.ReplaceAll(phicrypt.Prefix+id+":", "_", `\_`) + "%" }

// Tables lists the tables Rotate rewrites, in order.
func Tables() []string {
	out := make([]string, len(targets))
	for i, t := range targets {
		out[i] = t.table
	}
	return out
}

// Rotate rewrites every sealed column under the installed keyring's current
// key. g must be allowed to update every table (`rcm phi` connects as the
// owner, as migrations do: legal_wc_decisions is append-only for the
// application's role).
func Rotate(ctx context.Context, g *gorm.DB, opt Options) (Result, error) {
	k := phicrypt.Active()
	if k == nil {
		return nil, phicrypt.ErrNoKeyring
	}
	if opt.Batch <= 0 {
		opt.Batch = DefaultBatch
	}
	res := Result{}
	for _, t := range targets {
		n, err := rotateTable(ctx, g, k, t, opt)
		res[t.table] = n
		if err != nil {
			return res, fmt.Errorf("rotate %s: %w", t.table, err)
		}
	}
	return res, nil
}

func rotateTable(ctx context.Context, g *gorm.DB, k *phicrypt.Keyring, t target, opt Options) (int, error) {
	cond := t.pending(k.CurrentID(), opt.Rehash)
	total := 0
	last := ""
	for {
		var n, seen int
		err := g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			// ctid finds the row again for its UPDATE: stable while the row
			// is locked (FOR UPDATE) in this transaction.
			q := fmt.Sprintf(`SELECT (%s)::text, ctid::text, %s FROM %s WHERE %s`, t.key, strings.Join(t.cols, ", "), t.table, cond)
			args := []any{}
			if last != "" {
				q += fmt.Sprintf(` AND (%s) > ?::%s`, t.key, t.keyType)
				args = append(args, last)
			}
			q += fmt.Sprintf(` ORDER BY %s LIMIT %d FOR UPDATE`, t.key, opt.Batch)
			type row struct {
				key, ctid string
				vals      []sql.NullString
			}
			var batch []row
			rows, err := tx.Raw(q, args...).Rows()
			if err != nil {
				return err
			}
			for rows.Next() {
				r := row{vals: make([]sql.NullString, len(t.cols))}
				dest := []any{&r.key, &r.ctid}
				for i := range r.vals {
					dest = append(dest, &r.vals[i])
				}
				if err := rows.Scan(dest...); err != nil {
					_ = rows.Close()
					return err
				}
				batch = append(batch, r)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			seen = len(batch)
			for _, r := range batch {
				last = r.key
				vals, err := t.fix(k, r.vals, opt.Rehash)
				if err != nil {
					return fmt.Errorf("row %s: %w", r.key, err)
				}
				if vals == nil {
					continue
				}
				set := make([]string, len(t.cols))
				for i, c := range t.cols {
					set[i] = c + " = ?"
				}
				if err := tx.Exec(fmt.Sprintf(`UPDATE %s SET %s WHERE ctid = ?::tid`, t.table, strings.Join(set, ", ")),
					append(vals, r.ctid)...).Error; err != nil {
					return fmt.Errorf("row %s: %w", r.key, err)
				}
				n++
			}
			if n == 0 {
				return nil
			}
			// Never a value: the table, how many rows and under which key.
			return audit.Record(tx, audit.System, "phi.rotate", "phi_key", k.CurrentID(),
				map[string]any{"table": t.table, "rows": n})
		})
		if err != nil {
			return total, err
		}
		total += n
		if opt.Progress != nil && n > 0 {
			opt.Progress(t.table, total)
		}
		if seen < opt.Batch {
			return total, nil
		}
	}
}

// Pending counts, per table, the rows not yet sealed under the installed
// keyring's current key (what `rcm phi status` shows).
func Pending(ctx context.Context, g *gorm.DB) (Result, error) {
	k := phicrypt.Active()
	if k == nil {
		return nil, phicrypt.ErrNoKeyring
	}
	res := Result{}
	for _, t := range targets {
		var n int
		if err := g.WithContext(ctx).Raw(fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s`, t.table,
			t.pending(k.CurrentID(), false))).Scan(&n).Error; err != nil {
			return nil, fmt.Errorf("count %s: %w", t.table, err)
		}
		res[t.table] = n
	}
	return res, nil
}
