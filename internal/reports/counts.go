package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// The stuck summary, the dashboard's claims by stage and stuck count, and its
// weekly claim trend read report_counts (migrations/00052_report_counts.sql):
// claims by stage, payer, location and UTC day of their last transition, and
// claim events by stage and day, kept by triggers as signed deltas that the
// reader folds in. A read is then a few thousand rows whatever the size of the
// book, and it agrees with the claims table in the same snapshot.

// foldCounts moves the deltas committed so far into report_counts. It is its
// own short transaction; when another reader is folding it returns at once and
// the read below takes the deltas as they are.
func (s *Service) foldCounts(ctx context.Context) error {
	if err := s.DB.WithContext(ctx).Exec(`SELECT report_counts_fold()`).Error; err != nil {
		return fmt.Errorf("fold report counts: %w", err)
	}
	return nil
}

// foldDaily moves the deltas of the ledger's daily totals and of the aging
// buckets (migrations/00054_report_daily_deltas.sql) into ledger_daily and
// ar_aging_daily, as foldCounts does for report_counts; readers read both
// through ledger_daily_all and ar_aging_daily_all.
func (s *Service) foldDaily(ctx context.Context) error {
	if err := s.DB.WithContext(ctx).Exec(`SELECT ledger_daily_fold(), ar_aging_daily_fold()`).Error; err != nil {
		return fmt.Errorf("fold daily totals: %w", err)
	}
	return nil
}

// countsSQL is report_counts and its unfolded deltas of one kind, as rows of
// (stage, payer_id, location_id, day, n, amount).
const countsSQL = `(SELECT stage, payer_id, location_id, day, n, amount FROM report_counts WHERE kind = @kind
	UNION ALL SELECT stage, payer_id, location_id, day, n, amount FROM report_count_deltas WHERE kind = @kind)`

// stuckGroupRow is a stage-and-payer group of stuck claims before its payer's
// name is known.
type stuckGroupRow struct {
	Stage       string
	PayerID     string
	PayerName   string
	Claims      int64
	TotalCharge decimal.Decimal
	OldestSince time.Time
}

// stuckGroups counts the claims in flight whose last transition is before
// cutoff, by stage and payer. Whole days before cutoff's UTC day come from
// report_counts; the part of cutoff's own day before cutoff is read from the
// claims (one day of the in-flight index). A group's oldest transition is the
// first entry of its part of the in-flight index.
func (s *Service) stuckGroups(ctx context.Context, cutoff time.Time) ([]stuckGroupRow, error) {
	if err := s.foldCounts(ctx); err != nil {
		return nil, err
	}
	cutDay := day(cutoff)
	var rows []stuckGroupRow
	err := s.DB.WithContext(ctx).Raw(`WITH g AS (
			SELECT stage, payer_id, sum(n) AS claims, sum(amount) AS total_charge
			FROM (SELECT stage, payer_id, n, amount FROM `+countsSQL+` c
			      WHERE day < CAST(@cut_day AS date) AND stage NOT IN @terminal
			      UNION ALL
			      SELECT stage, payer_id, 1, total_charge FROM claims
			      WHERE stage NOT IN @terminal AND stage_changed_at >= @cut_start AND stage_changed_at < @cutoff) x
			GROUP BY stage, payer_id HAVING sum(n) > 0)
		SELECT g.stage, g.payer_id, p.name AS payer_name, g.claims, g.total_charge, o.oldest_since
		FROM g JOIN payers p ON p.id = g.payer_id
		CROSS JOIN LATERAL (SELECT c.stage_changed_at AS oldest_since FROM claims c
		                    WHERE c.stage = g.stage AND c.payer_id = g.payer_id AND c.stage NOT IN @terminal
		                    ORDER BY c.stage_changed_at LIMIT 1) o
		ORDER BY g.claims DESC, g.stage, p.name, g.payer_id`,
		map[string]any{"kind": "claims", "terminal": terminal, "cut_day": cutDay.Format(time.DateOnly),
			"cut_start": cutDay, "cutoff": cutoff}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("stuck claims: %w", err)
	}
	return rows, nil
}

// inFlightByStage counts the claims in flight by stage.
func (s *Service) inFlightByStage(ctx context.Context) ([]StageCount, error) {
	out := []StageCount{}
	err := s.DB.WithContext(ctx).Raw(`SELECT stage, sum(n) AS claims FROM `+countsSQL+` c
		WHERE stage NOT IN @terminal GROUP BY stage HAVING sum(n) > 0`,
		map[string]any{"kind": "claims", "terminal": terminal}).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("claims by stage: %w", err)
	}
	return out, nil
}

// weeklyTransitions counts the claim events into the stages by week (Monday,
// UTC) from the Monday first on.
func (s *Service) weeklyTransitions(ctx context.Context, first time.Time, stages []string) ([]weekStageCount, error) {
	var out []weekStageCount
	err := s.DB.WithContext(ctx).Raw(`SELECT date_trunc('week', day)::date AS week, stage AS to_stage, sum(n) AS n
		FROM `+countsSQL+` c WHERE stage IN @stages AND day >= CAST(@first AS date) GROUP BY 1, 2`,
		map[string]any{"kind": "events", "stages": stages, "first": first.Format(time.DateOnly)}).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("trend claims: %w", err)
	}
	return out, nil
}

// weekStageCount is the number of transitions into a stage in a week.
type weekStageCount struct {
	Week    time.Time
	ToStage string
	N       int64
}

// denialsSince counts the claims an 835 denied from the day from on, by
// category: from report_counts, where the posting's category is counted, and
// for denials posted before the counts began (report_counts_since) by
// classifying their remittance as the dashboard did before.
func (s *Service) denialsSince(ctx context.Context, from time.Time) (map[string]int64, error) {
	g := s.DB.WithContext(ctx)
	var counted []struct {
		Stage string
		N     int64
	}
	if err := g.Raw(`SELECT stage, sum(n) AS n FROM `+countsSQL+` c WHERE day >= CAST(@from AS date) GROUP BY stage`,
		map[string]any{"kind": "denials", "from": from.Format(time.DateOnly)}).Scan(&counted).Error; err != nil {
		return nil, fmt.Errorf("dashboard denials: %w", err)
	}
	cats := map[string]int64{}
	for _, c := range counted {
		cats[c.Stage] += c.N
	}
	var since time.Time
	if err := g.Raw(`SELECT since FROM report_counts_since WHERE kind = 'denials'`).Scan(&since).Error; err != nil {
		return nil, fmt.Errorf("dashboard denials: %w", err)
	}
	if !from.Before(since) {
		return cats, nil
	}
	var older []remitRow
	if err := g.Raw(`SELECT rc.claim_id, rc.status_code, rc.detail, e.at
		FROM claim_events e JOIN remittance_claims rc ON rc.claim_id = e.claim_id
		     AND rc.remittance_id::text = e.detail->>'remittance_id'
		WHERE e.to_stage = 'denied' AND e.cause = '835' AND e.at >= ? AND e.at < ? AND e.detail->>'denial_category' IS NULL`,
		from, since).Scan(&older).Error; err != nil {
		return nil, fmt.Errorf("dashboard denials: %w", err)
	}
	for _, r := range older {
		d, err := classify(r.Detail)
		if err != nil {
			return nil, fmt.Errorf("dashboard denials: claim %s: %w", r.ClaimID, err)
		}
		cats[cmpOr(string(d.PrimaryCategory), "other")]++
	}
	return cats, nil
}
