package scrubrules

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/denials"
	"github.com/clinicflow/rcm/internal/scrub"
	"github.com/clinicflow/rcm/internal/validate"
)

// Statuses of a what-if run.
const (
	RunRunning   = "running"
	RunCompleted = "completed"
	RunFailed    = "failed"
	RunCancelled = "cancelled"
)

// Outcomes of one claim in a what-if run.
const (
	NewlyStopped = "newly_stopped" // the proposed rules stop it, the baseline passed it
	NewlyPassed  = "newly_passed"  // the baseline stopped it, the proposed rules pass it
	BothStopped  = "both_stopped"
	BothPassed   = "both_passed" // kept only when the payer denied it
)

// Outcomes lists the outcomes, for filters.
var Outcomes = []string{NewlyStopped, NewlyPassed, BothStopped, BothPassed}

// MaxRangeDays bounds a run's range of days.
const MaxRangeDays = 3 * 366

// Run is one what-if run: a proposed version tried on the claims created in a
// range of days, beside the version published when it started.
type Run struct {
	ID                 string     `gorm:"primaryKey;type:uuid" json:"id"`
	RuleVersion        int        `json:"rule_version"`
	BaselineVersion    int        `json:"baseline_version"`
	FromDate           time.Time  `gorm:"type:date" json:"-"`
	ToDate             time.Time  `gorm:"type:date" json:"-"`
	Status             string     `json:"status"`
	WorkflowID         string     `json:"workflow_id"`
	ClaimsTotal        int        `json:"claims_total"`
	ClaimsDone         int        `json:"claims_done"`
	CursorAt           *time.Time `json:"-"`
	CursorID           *string    `gorm:"type:uuid" json:"-"`
	ProposedStopped    int        `json:"proposed_stopped"`
	BaselineStopped    int        `json:"baseline_stopped"`
	NewlyStopped       int        `json:"newly_stopped"`
	NewlyPassed        int        `json:"newly_passed"`
	NewlyStoppedDenied int        `json:"newly_stopped_denied"`
	NewlyStoppedPaid   int        `json:"newly_stopped_paid"`
	NewlyPassedDenied  int        `json:"newly_passed_denied"`
	Denied             int        `json:"denied"`
	DeniedMissed       int        `json:"denied_missed"`
	Error              string     `json:"error,omitempty"`
	StartedBy          *string    `gorm:"type:uuid" json:"started_by"`
	StartedAt          time.Time  `json:"started_at"`
	FinishedAt         *time.Time `json:"finished_at"`
}

// TableName is the table of runs.
func (Run) TableName() string { return "scrub_what_if_runs" }

// MarshalJSON shows the range as calendar days.
func (r Run) MarshalJSON() ([]byte, error) {
	type plain Run
	return json.Marshal(struct {
		plain
		From string `json:"from"`
		To   string `json:"to"`
	}{plain(r), r.FromDate.Format(time.DateOnly), r.ToDate.Format(time.DateOnly)})
}

// ClaimResult is one claim of a run worth reading.
type ClaimResult struct {
	RunID            string          `gorm:"type:uuid" json:"-"`
	ClaimID          string          `gorm:"type:uuid" json:"claim_id"`
	ClaimCreatedAt   time.Time       `json:"claim_created_at"`
	Outcome          string          `json:"outcome"`
	ProposedFailures []scrub.Failure `gorm:"serializer:json;type:jsonb" json:"proposed_failures"`
	BaselineFailures []scrub.Failure `gorm:"serializer:json;type:jsonb" json:"baseline_failures"`
	Denied           bool            `json:"denied"`
	DenialReasons    pq.StringArray  `gorm:"type:text[]" json:"denial_reasons"`
	Stage            string          `json:"stage"`
}

// TableName is the table of a run's claims.
func (ClaimResult) TableName() string { return "scrub_what_if_claims" }

// NewRun asks for a what-if run of a version over the claims created between
// two days, or in the last Months months (6 when neither is given).
type NewRun struct {
	Version int
	From    string
	To      string
	Months  int
}

// StartRun records a run (status running) and counts its claims; the caller
// then starts its workflow under the run's WorkflowID. The baseline is the
// version published now.
func (s *Service) StartRun(ctx context.Context, in NewRun, workflowID func(runID string) string, now time.Time, actor audit.Actor) (Run, error) {
	var errs validate.Errors
	errs.Check(in.Version > 0, "rule_version", "is required (a rule-set version)")
	today := day(now)
	from, to := today.AddDate(0, -6, 0), today
	switch {
	case in.From != "" || in.To != "":
		errs.Check(in.Months == 0, "months", "give months or from and to, not both")
		from = parseDay(&errs, "from", in.From)
		if in.To != "" {
			to = parseDay(&errs, "to", in.To)
		}
	case in.Months != 0:
		errs.Check(in.Months >= 1 && in.Months <= 36, "months", "must be between 1 and 36")
		from = today.AddDate(0, -in.Months, 0)
	}
	if len(errs) == 0 {
		errs.Check(!to.Before(from), "to", "must not be before from")
		errs.Check(to.Sub(from) <= MaxRangeDays*24*time.Hour, "from", "a run covers at most %d days", MaxRangeDays)
	}
	if err := errs.Err(); err != nil {
		return Run{}, err
	}
	id := uuid.NewString()
	run := Run{ID: id, RuleVersion: in.Version, FromDate: from, ToDate: to, Status: RunRunning, WorkflowID: workflowID(id),
		StartedBy: userID(actor), StartedAt: now.UTC()}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&RuleSet{}).Where("version = ?", in.Version).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return validate.Errors{{Field: "rule_version", Message: "no such version"}}
		}
		base, err := current(tx)
		if err != nil {
			return err
		}
		run.BaselineVersion = base.Version
		var total int64
		if err := inRange(tx.Table("claims"), run).Count(&total).Error; err != nil {
			return fmt.Errorf("count claims for what-if: %w", err)
		}
		run.ClaimsTotal = int(total)
		if err := tx.Create(&run).Error; err != nil {
			return fmt.Errorf("create what-if run: %w", err)
		}
		return audit.Record(tx, actor, "scrub.what_if.start", "scrub_what_if_run", id, map[string]any{
			"rule_version": run.RuleVersion, "baseline_version": run.BaselineVersion,
			"from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly), "claims": run.ClaimsTotal})
	})
	return run, err
}

// inRange selects the claims of a run: created within its days, voids left out
// (a void bills nothing to scrub).
func inRange(q *gorm.DB, r Run) *gorm.DB {
	return q.Where("claims.created_at >= ? AND claims.created_at < ? AND claims.frequency <> '8'", r.FromDate, r.ToDate.AddDate(0, 0, 1))
}

// Progress is how far a run is.
type Progress struct {
	Total    int
	Done     int
	Finished bool
	Status   string
}

// Batch scrubs the run's next claims (at most size, after its cursor) with the
// proposed and the baseline rules, each as of the moment the claim was
// created, and commits their results, the counts and the cursor in one
// transaction: a retried or resumed batch picks up after the last committed
// one, so no claim is counted twice. beat is called after each claim (an
// activity heartbeat). The run completes when a batch finds no claims left. A
// run no longer running answers its progress and does nothing.
func (s *Service) Batch(ctx context.Context, runID string, size int, beat func(done int)) (Progress, error) {
	if size <= 0 {
		size = 100
	}
	var p Progress
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var run Run
		res := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", runID).Limit(1).Find(&run)
		if res.Error != nil {
			return fmt.Errorf("what-if run %s: %w", runID, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("what-if run %s: %w", runID, ErrNotFound)
		}
		p = Progress{Total: run.ClaimsTotal, Done: run.ClaimsDone, Status: run.Status, Finished: run.Status != RunRunning}
		if p.Finished {
			return nil
		}
		var proposed, baseline RuleSet
		if err := tx.Where("version = ?", run.RuleVersion).First(&proposed).Error; err != nil {
			return err
		}
		if err := tx.Where("version = ?", run.BaselineVersion).First(&baseline).Error; err != nil {
			return err
		}
		var next []struct {
			ID        string
			CreatedAt time.Time
			Stage     string
		}
		q := inRange(tx.Table("claims"), run)
		if run.CursorAt != nil {
			q = q.Where("(claims.created_at, claims.id) > (?, ?)", *run.CursorAt, *run.CursorID)
		}
		if err := q.Select("claims.id, claims.created_at, claims.stage").Order("claims.created_at, claims.id").Limit(size).Scan(&next).Error; err != nil {
			return fmt.Errorf("what-if run %s: next claims: %w", runID, err)
		}
		cs := &claims.Service{DB: tx}
		pr, br := proposed.Rules(), baseline.Rules()
		for i, c := range next {
			fs, _, err := cs.ScrubHistory(ctx, c.ID, pr, br)
			if err != nil {
				return fmt.Errorf("what-if run %s: scrub claim %s: %w", runID, c.ID, err)
			}
			denied, reasons, err := denialsOf(tx, c.ID)
			if err != nil {
				return err
			}
			pStop, bStop := len(fs[0]) > 0, len(fs[1]) > 0
			out := BothPassed
			switch {
			case pStop && bStop:
				out = BothStopped
			case pStop:
				out = NewlyStopped
			case bStop:
				out = NewlyPassed
			}
			count(&run, out, denied)
			if pStop || bStop || denied {
				row := ClaimResult{RunID: runID, ClaimID: c.ID, ClaimCreatedAt: c.CreatedAt, Outcome: out,
					ProposedFailures: nonNil(fs[0]), BaselineFailures: nonNil(fs[1]), Denied: denied, DenialReasons: reasons, Stage: c.Stage}
				if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
					return fmt.Errorf("what-if run %s: claim %s: %w", runID, c.ID, err)
				}
			}
			if beat != nil {
				beat(run.ClaimsDone + i + 1)
			}
		}
		run.ClaimsDone += len(next)
		if len(next) > 0 {
			last := next[len(next)-1]
			run.CursorAt, run.CursorID = &last.CreatedAt, &last.ID
		}
		if len(next) < size {
			now := time.Now().UTC()
			run.Status, run.FinishedAt = RunCompleted, &now
			run.ClaimsTotal = run.ClaimsDone // claims created in range since the start count too
		}
		if err := tx.Save(&run).Error; err != nil {
			return fmt.Errorf("what-if run %s: save progress: %w", runID, err)
		}
		p = Progress{Total: run.ClaimsTotal, Done: run.ClaimsDone, Status: run.Status, Finished: run.Status != RunRunning}
		return nil
	})
	return p, err
}

func nonNil(f []scrub.Failure) []scrub.Failure {
	if f == nil {
		return []scrub.Failure{}
	}
	return f
}

// count adds one claim's outcome to the run's counts.
func count(r *Run, outcome string, denied bool) {
	switch outcome {
	case NewlyStopped:
		r.NewlyStopped++
		if denied {
			r.NewlyStoppedDenied++
		} else {
			r.NewlyStoppedPaid++
		}
	case NewlyPassed:
		r.NewlyPassed++
		if denied {
			r.NewlyPassedDenied++
		}
	}
	if outcome == NewlyStopped || outcome == BothStopped {
		r.ProposedStopped++
	}
	if outcome == NewlyPassed || outcome == BothStopped {
		r.BaselineStopped++
	}
	if denied {
		r.Denied++
		if outcome == NewlyPassed || outcome == BothPassed {
			r.DeniedMissed++
		}
	}
}

// denialsOf says whether a payer denied the claim (in full or in part) on any
// of its 835s, and the denial reasons as group-CARC ("CO-50"), first seen first.
func denialsOf(tx *gorm.DB, claimID string) (bool, pq.StringArray, error) {
	var details [][]byte
	if err := tx.Raw(`SELECT rc.detail FROM remittance_claims rc JOIN remittances r ON r.id = rc.remittance_id
		WHERE rc.claim_id = ? ORDER BY r.received_at, rc.seq`, claimID).Scan(&details).Error; err != nil {
		return false, nil, fmt.Errorf("remittances of claim %s: %w", claimID, err)
	}
	denied, reasons := false, pq.StringArray{}
	for _, d := range details {
		var det claims.RemittanceDetail
		if err := json.Unmarshal(d, &det); err != nil {
			return false, nil, fmt.Errorf("remittance detail of claim %s: %w", claimID, err)
		}
		if det.IsReversal {
			continue
		}
		c := denials.Classify(det.ClaimPayment)
		denied = denied || c.Denied
		for _, r := range c.Reasons {
			if code := r.Group + "-" + r.Code; !slices.Contains(reasons, code) {
				reasons = append(reasons, code)
			}
		}
	}
	return denied, reasons, nil
}

// End stops a run that is still running: failed with a reason, or cancelled.
// A run already ended stays as it is.
func (s *Service) End(ctx context.Context, runID, status, reason string) error {
	if status != RunFailed && status != RunCancelled {
		return fmt.Errorf("what-if run %s: cannot end as %q", runID, status)
	}
	return s.DB.WithContext(ctx).Model(&Run{}).Where("id = ? AND status = ?", runID, RunRunning).
		Updates(map[string]any{"status": status, "error": reason, "finished_at": time.Now().UTC()}).Error
}

// GetRun returns a run.
func (s *Service) GetRun(ctx context.Context, id string) (Run, error) {
	var r Run
	if found, err := db.FindByID(s.DB.WithContext(ctx), &r, id); err != nil {
		return r, err
	} else if !found {
		return r, fmt.Errorf("what-if run %s: %w", id, ErrNotFound)
	}
	return r, nil
}

// ListRuns lists runs, newest first.
func (s *Service) ListRuns(ctx context.Context, limit int) ([]Run, error) {
	var out []Run
	err := s.DB.WithContext(ctx).Order("started_at DESC, id").Limit(db.Page(limit)).Find(&out).Error
	return out, err
}

// ClaimFilter selects a run's claims.
type ClaimFilter struct {
	Outcome string
	Denied  *bool
	Rule    string // claims this rule newly stops
	Limit   int
}

// RunClaims lists a run's claims worth reading, denied first, oldest first.
func (s *Service) RunClaims(ctx context.Context, runID string, f ClaimFilter) ([]ClaimResult, error) {
	if _, err := s.GetRun(ctx, runID); err != nil {
		return nil, err
	}
	if f.Outcome != "" && !slices.Contains(Outcomes, f.Outcome) {
		return nil, validate.Errors{{Field: "outcome", Message: "must be one of " + strings.Join(Outcomes, ", ")}}
	}
	q := s.DB.WithContext(ctx).Where("run_id = ?", runID)
	if f.Outcome != "" {
		q = q.Where("outcome = ?", f.Outcome)
	}
	if f.Denied != nil {
		q = q.Where("denied = ?", *f.Denied)
	}
	if f.Rule != "" {
		q = q.Where(newFailureOf, f.Rule)
	}
	out := []ClaimResult{}
	err := q.Order("denied DESC, claim_created_at, claim_id").Limit(db.Page(f.Limit)).Find(&out).Error
	return out, err
}

// newFailureOf is true for a claim the rule (?) fails under the proposed rules
// but not under the baseline.
const newFailureOf = `EXISTS (SELECT 1 FROM jsonb_array_elements(proposed_failures) p WHERE p->>'rule' = ?
	AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(baseline_failures) b WHERE b->>'rule' = p->>'rule'))`
