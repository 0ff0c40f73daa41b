package reports

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// DefaultStuckDays is how long a claim may sit in one stage before it counts as
// stuck when the caller does not say.
const DefaultStuckDays = 14

// StuckGroup is the stuck claims of one stage and payer.
type StuckGroup struct {
	Stage       string          `json:"stage"`
	PayerID     string          `json:"payer_id"`
	PayerName   string          `json:"payer_name"`
	Claims      int64           `json:"claims"`
	TotalCharge decimal.Decimal `json:"total_charge"`
	// OldestSince is the earliest last transition in the group.
	OldestSince time.Time `json:"oldest_since"`
	MaxDays     int       `json:"max_days"`
}

// StuckSummary is the stuck-claims report: claims outside the terminal stages
// (paid, written off, transferred to the patient, voided, replaced) whose last
// transition (claims.stage_changed_at, the time of their last claim event) is
// more than Days days old, grouped by stage and payer, largest groups first.
type StuckSummary struct {
	Days   int          `json:"days"`
	AsOf   time.Time    `json:"as_of"`
	Cutoff time.Time    `json:"cutoff"`
	Claims int64        `json:"claims"`
	Groups []StuckGroup `json:"groups"`
}

// Stuck reads the grouped summary from Postgres (report_counts; no workflow is
// asked).
func (s *Service) Stuck(ctx context.Context, days int) (StuckSummary, error) {
	now := s.now()
	out := StuckSummary{Days: days, AsOf: now, Cutoff: now.Add(-time.Duration(days) * 24 * time.Hour), Groups: []StuckGroup{}}
	var rows []stuckGroupRow
	var err error
	if scope := access.FromContext(ctx); scope.Limited() {
		// report_counts has no case dimension: a user limited to some
		// locations gets the claims of their cases counted directly.
		cond, args := scope.Case("case_id")
		err = s.DB.WithContext(ctx).Raw(`SELECT g.stage, g.payer_id, p.name AS payer_name, g.claims, g.total_charge, g.oldest_since
			FROM (SELECT stage, payer_id, count(*) AS claims, sum(total_charge) AS total_charge, min(stage_changed_at) AS oldest_since
			      FROM claims WHERE stage NOT IN ? AND stage_changed_at < ? AND `+cond+`
			      GROUP BY stage, payer_id) g
			JOIN payers p ON p.id = g.payer_id
			ORDER BY g.claims DESC, g.stage, p.name, g.payer_id`, append([]any{terminal, out.Cutoff}, args...)...).Scan(&rows).Error
		if err != nil {
			err = fmt.Errorf("stuck claims: %w", err)
		}
	} else {
		rows, err = s.stuckGroups(ctx, out.Cutoff)
	}
	if err != nil {
		return out, err
	}
	for _, r := range rows {
		out.Groups = append(out.Groups, StuckGroup{Stage: r.Stage, PayerID: r.PayerID, PayerName: r.PayerName,
			Claims: r.Claims, TotalCharge: r.TotalCharge, OldestSince: r.OldestSince})
	}
	for i := range out.Groups {
		g := &out.Groups[i]
		g.MaxDays = int(now.Sub(g.OldestSince).Hours() / 24)
		out.Claims += g.Claims
	}
	return out, nil
}

// StuckFilter selects a page of stuck claims (the drill-down of a group).
type StuckFilter struct {
	Days    int
	Stage   string
	PayerID string
	// After is the cursor of the previous page's last claim (Next).
	After string
	Limit int
}

// Check validates the filter, naming each bad field.
func (f StuckFilter) Check() validate.Errors {
	var errs validate.Errors
	errs.Check(f.Days >= 0 && f.Days <= 3650, "days", "must be a whole number of days from 0 to 3650")
	if f.Stage != "" {
		errs.Check(slices.Contains(claims.Stages, f.Stage) && !slices.Contains(terminal, f.Stage), "stage",
			"must be a stage a claim can be stuck in: %s", strings.Join(stuckStages(), ", "))
	}
	if f.PayerID != "" {
		errs.Check(uuid.Validate(f.PayerID) == nil, "payer_id", "must be a payer id (a UUID)")
	}
	if f.After != "" {
		_, _, err := decodeCursor(f.After)
		errs.Check(err == nil, "after", "must be the next cursor of a previous page")
	}
	errs.Check(f.Limit >= 0 && f.Limit <= MaxStuckPage, "limit", "must be from 1 to %d", MaxStuckPage)
	return errs
}

// Stuck-claims page sizes: each claim of a page is read live from its workflow.
const (
	DefaultStuckPage = 20
	MaxStuckPage     = 50
)

func stuckStages() []string {
	var out []string
	for _, st := range claims.Stages {
		if !slices.Contains(terminal, st) {
			out = append(out, st)
		}
	}
	return out
}

// StuckClaim is one stuck claim with its whole timeline and open tasks.
type StuckClaim struct {
	ClaimID              string          `json:"claim_id"`
	CaseID               string          `json:"case_id"`
	PatientName          string          `json:"patient_name"`
	PatientControlNumber string          `json:"patient_control_number"`
	PayerID              string          `json:"payer_id"`
	PayerName            string          `json:"payer_name"`
	Stage                string          `json:"stage"`
	TotalCharge          decimal.Decimal `json:"total_charge"`
	StageChangedAt       time.Time       `json:"stage_changed_at"`
	DaysInStage          int             `json:"days_in_stage"`
	Timeline             []Transition    `json:"timeline"`
	OpenTasks            []OpenTask      `json:"open_tasks"`
	// WaitingFor is the live answer of the claim's workflow (its state query);
	// nil with WaitingError set when the workflow did not answer in time.
	WaitingFor   *contract.ClaimWaiting `json:"waiting_for"`
	WaitingError string                 `json:"waiting_error,omitempty"`
}

// Transition is one claim event: a stage change, its cause, who or what made it
// and when.
type Transition struct {
	At        time.Time `json:"at"`
	FromStage string    `json:"from_stage"`
	ToStage   string    `json:"to_stage"`
	Cause     string    `json:"cause"`
	// By is who or what: the user's name for a person's action, else what the
	// cause names (the system, a payer file, a timer).
	By      string  `json:"by"`
	ActorID *string `json:"actor_id,omitempty"`
	Detail  db.JSON `json:"detail"`
}

// OpenTask is a task about the claim that is not done or cancelled.
type OpenTask struct {
	ID         string     `json:"id"`
	Queue      string     `json:"queue"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"`
	Title      string     `json:"title"`
	DueAt      *time.Time `json:"due_at,omitempty"`
	AssigneeID *string    `json:"assignee_id,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// StuckPage is a page of a group's stuck claims; Next is the cursor of the
// following page, empty on the last.
type StuckPage struct {
	Days   int          `json:"days"`
	Stage  string       `json:"stage,omitempty"`
	Payer  string       `json:"payer_id,omitempty"`
	Claims []StuckClaim `json:"claims"`
	Next   string       `json:"next,omitempty"`
}

var causeBy = map[string]string{
	claims.CauseSystem: "system", claims.CauseScrub: "scrubber", claims.CauseEligibility: "payer 271 (eligibility)",
	claims.Cause999: "payer 999 file", claims.Cause277CA: "payer 277CA file", claims.Cause277: "payer 277 (status inquiry)",
	claims.Cause835: "payer 835 file", claims.CauseTimer: "timer", claims.CauseUser: "a user",
}

// StuckClaims reads one page of stuck claims with their timelines and open
// tasks, oldest transition first (keyset pagination on stage_changed_at, id).
func (s *Service) StuckClaims(ctx context.Context, f StuckFilter) (StuckPage, error) {
	if errs := f.Check(); len(errs) > 0 {
		return StuckPage{}, errs
	}
	if f.Limit == 0 {
		f.Limit = DefaultStuckPage
	}
	now := s.now()
	cutoff := now.Add(-time.Duration(f.Days) * 24 * time.Hour)
	g := s.DB.WithContext(ctx)
	// The page is picked from claims alone (an index walk in keyset order that
	// stops at the limit), then joined to its payer and patient.
	q := g.Table("claims c").Select("c.id, c.case_id, c.patient_control_number, c.payer_id, c.stage, c.total_charge, c.stage_changed_at").
		Where("c.stage NOT IN ? AND c.stage_changed_at < ?", terminal, cutoff)
	if scope, args := access.FromContext(ctx).Case("c.case_id"); len(args) > 0 {
		q = q.Where(scope, args...)
	}
	if f.Stage != "" {
		q = q.Where("c.stage = ?", f.Stage)
	}
	if f.PayerID != "" {
		q = q.Where("c.payer_id = ?", f.PayerID)
	}
	if f.After != "" {
		at, id, _ := decodeCursor(f.After)
		q = q.Where("(c.stage_changed_at, c.id) > (?, ?)", at, id)
	}
	q = g.Table("(?) c", q.Order("c.stage_changed_at, c.id").Limit(f.Limit+1)).
		Select(`c.id AS claim_id, c.case_id, pt.first_name || ' ' || pt.last_name AS patient_name,
			c.patient_control_number, c.payer_id, p.name AS payer_name, c.stage, c.total_charge, c.stage_changed_at`).
		Joins("JOIN payers p ON p.id = c.payer_id").
		Joins("JOIN cases cs ON cs.id = c.case_id").
		Joins("JOIN patients pt ON pt.id = cs.patient_id")
	out := StuckPage{Days: f.Days, Stage: f.Stage, Payer: f.PayerID, Claims: []StuckClaim{}}
	var rows []struct {
		ClaimID, CaseID, PatientName, PatientControlNumber, PayerID, PayerName, Stage string
		TotalCharge                                                                   decimal.Decimal
		StageChangedAt                                                                time.Time
	}
	if err := q.Order("c.stage_changed_at, c.id").Scan(&rows).Error; err != nil {
		return out, fmt.Errorf("stuck claims page: %w", err)
	}
	for _, r := range rows {
		out.Claims = append(out.Claims, StuckClaim{ClaimID: r.ClaimID, CaseID: r.CaseID, PatientName: r.PatientName,
			PatientControlNumber: r.PatientControlNumber, PayerID: r.PayerID, PayerName: r.PayerName, Stage: r.Stage,
			TotalCharge: r.TotalCharge, StageChangedAt: r.StageChangedAt})
	}
	if len(out.Claims) > f.Limit {
		out.Claims = out.Claims[:f.Limit]
		last := out.Claims[len(out.Claims)-1]
		out.Next = encodeCursor(last.StageChangedAt, last.ClaimID)
	}
	if len(out.Claims) == 0 {
		return out, nil
	}
	ids := make([]string, len(out.Claims))
	idx := map[string]int{}
	for i := range out.Claims {
		c := &out.Claims[i]
		ids[i], idx[c.ClaimID] = c.ClaimID, i
		c.DaysInStage = int(now.Sub(c.StageChangedAt).Hours() / 24)
		c.Timeline, c.OpenTasks = []Transition{}, []OpenTask{}
	}
	var evs []struct {
		ClaimID string
		Transition
		UserName *string
	}
	if err := g.Raw(`SELECT e.claim_id, e.at, e.from_stage, e.to_stage, e.cause, e.actor_id, e.detail, u.name AS user_name
		FROM claim_events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE e.claim_id IN ? ORDER BY e.claim_id, e.at, e.id`, ids).Scan(&evs).Error; err != nil {
		return out, fmt.Errorf("stuck claims timelines: %w", err)
	}
	for _, e := range evs {
		t := e.Transition
		switch {
		case e.UserName != nil:
			t.By = *e.UserName
		default:
			t.By = causeBy[t.Cause]
		}
		c := &out.Claims[idx[e.ClaimID]]
		c.Timeline = append(c.Timeline, t)
	}
	var tks []struct {
		ClaimID string
		OpenTask
	}
	if err := g.Raw(`SELECT claim_id, id, queue, kind, status, title, due_at, assignee_id, created_at FROM tasks
		WHERE claim_id IN ? AND status NOT IN ('done', 'cancelled') ORDER BY claim_id, created_at, id`, ids).Scan(&tks).Error; err != nil {
		return out, fmt.Errorf("stuck claims tasks: %w", err)
	}
	for _, t := range tks {
		c := &out.Claims[idx[t.ClaimID]]
		c.OpenTasks = append(c.OpenTasks, t.OpenTask)
	}
	return out, nil
}

func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursorRaw(s string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", err
	}
	ts, key, ok := strings.Cut(string(b), "|")
	if !ok {
		return time.Time{}, "", fmt.Errorf("bad cursor")
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	return at, key, err
}

func decodeCursor(s string) (time.Time, string, error) {
	at, id, err := decodeCursorRaw(s)
	if err == nil && uuid.Validate(id) != nil {
		err = fmt.Errorf("bad cursor")
	}
	return at, id, err
}

// LiveState asks a claim's workflow what it waits for now.
type LiveState func(ctx context.Context, claimID string) (*contract.ClaimWaiting, error)

// Live limits for the drill-down: a page asks at most this many workflows at
// once, and gives all of them this long together; a claim whose workflow does
// not answer in time says so (WaitingError) and the page is still served.
const (
	LiveParallel = 8
	LiveTimeout  = 3 * time.Second
)

// AddWaiting fills WaitingFor of each claim of the page from its live workflow.
func AddWaiting(ctx context.Context, page *StuckPage, live LiveState) {
	ctx, cancel := context.WithTimeout(ctx, LiveTimeout)
	defer cancel()
	sem := make(chan struct{}, LiveParallel)
	var wg sync.WaitGroup
	for i := range page.Claims {
		c := &page.Claims[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				c.WaitingError = "the workflow was not asked in time: " + ctx.Err().Error()
				return
			}
			defer func() { <-sem }()
			w, err := live(ctx, c.ClaimID)
			if err != nil {
				c.WaitingError = "the workflow did not answer: " + err.Error()
				return
			}
			c.WaitingFor = w
		}()
	}
	wg.Wait()
}
