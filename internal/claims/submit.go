package claims

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/phicrypt"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/internal/x12"
)

// Submission statuses (claim_submissions.status): sent until the 999 answers;
// accepted or rejected by the 999; acknowledged once a 277CA accepts the claim
// (a 277CA rejection sets rejected).
const (
	SubmissionSent         = "sent"
	SubmissionAccepted     = "accepted"
	SubmissionRejected     = "rejected"
	SubmissionAcknowledged = "acknowledged"
)

// ErrWrongStage is returned (joined with a validate.Errors on claim_id, so
// callers that only know field errors still treat it as invalid input) when an
// operation is not allowed in the claim's current stage.
var ErrWrongStage = apperr.New(apperr.Conflict, "not allowed in the claim's stage")

// wrongStage reports that claimID is in a stage where the operation is not
// allowed.
func wrongStage(claimID, stage string, allowed []string) error {
	return fmt.Errorf("claim %s is %s: %w: %w", claimID, stage, ErrWrongStage, validate.Errors{{Field: "claim_id",
		Message: fmt.Sprintf("the claim is %s; this is allowed only when it is %s", stage, strings.Join(allowed, ", "))}})
}

// submittable are the stages in which a claim may be sent (again): it is not
// with the payer, or the payer has not acknowledged it yet.
// beforeSubmission are the stages a claim has before it is sent.
var beforeSubmission = []string{StageCreated, StageScrubbing, StageNeedsFix, StageEligibilityHold}

var submittable = []string{StageCreated, StageScrubbing, StageNeedsFix, StageEligibilityHold, StageRejected, StageSubmitted}

// Submission is one 837P rendering of a claim under a submission id.
type Submission struct {
	SubmissionID  string    `json:"submission_id"`
	ClaimID       string    `json:"claim_id"`
	ControlNumber int       `json:"control_number"`
	Frequency     string    `json:"frequency"`
	SubmittedAt   time.Time `json:"submitted_at"`
	Data          []byte    `json:"-"`
}

// submissionRow maps claim_submissions.
type submissionRow struct {
	ID                 string `gorm:"primaryKey;type:uuid"`
	ClaimID            string `gorm:"type:uuid"`
	SubmissionID       string
	InterchangeControl int
	Frequency          string
	Status             string
	Reason             string
	SubmittedAt        time.Time
	AcknowledgedAt     *time.Time
}

func (submissionRow) TableName() string { return "claim_submissions" }

// PrepareSubmission renders the claim's 837P for one submission. It is
// idempotent by submissionID: the first call takes a control number from the
// sequence and records a claim_submissions row (status sent); later calls with
// the same id re-render with the same control number and timestamp, producing
// the same bytes as long as the claim is unchanged, so a retried submit sends
// the same file. A new submission is refused (ErrWrongStage) once the payer has
// the claim (accepted or later); a known submission id re-renders in any stage.
func (s *Service) PrepareSubmission(ctx context.Context, claimID, submissionID string, sub Submitter) (Submission, error) {
	if strings.TrimSpace(submissionID) == "" {
		return Submission{}, validate.Errors{{Field: "submission_id", Message: "is required"}}
	}
	var out Submission
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, found, err := findSubmission(tx, submissionID, false)
		if err != nil {
			return err
		}
		if !found {
			c, err := lockClaim(tx, claimID)
			if err != nil {
				return err
			}
			if !slices.Contains(submittable, c.Stage) {
				return wrongStage(claimID, c.Stage, submittable)
			}
			var ctrl int
			if err := tx.Raw(`SELECT nextval('x12_interchange_control')`).Scan(&ctrl).Error; err != nil {
				return fmt.Errorf("next control number: %w", err)
			}
			// Microseconds survive the timestamptz round trip, so a re-render
			// writes the same GS04/GS05 and BHT04/BHT05.
			at := time.Now().UTC().Truncate(time.Microsecond)
			res := tx.Exec(`INSERT INTO claim_submissions (id, claim_id, submission_id, interchange_control, frequency, status, submitted_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (submission_id) DO NOTHING`,
				uuid.NewString(), c.ID, submissionID, ctrl, c.Frequency, SubmissionSent, at)
			if res.Error != nil {
				return fmt.Errorf("record submission for claim %s: %w", claimID, res.Error)
			}
			if row, found, err = findSubmission(tx, submissionID, false); err != nil {
				return err
			} else if !found {
				return fmt.Errorf("submission %s for claim %s vanished", submissionID, claimID)
			}
			if res.RowsAffected == 1 {
				if err := audit.Record(tx, audit.System, "claim.submission", "claim", c.ID, map[string]any{
					"submission_id": submissionID, "control_number": ctrl, "frequency": c.Frequency}); err != nil {
					return err
				}
			}
		}
		if row.ClaimID != claimID {
			return validate.Errors{{Field: "submission_id", Message: "is already used by another claim"}}
		}
		at := row.SubmittedAt.UTC()
		data, err := render837(tx, claimID, sub, row.InterchangeControl, at)
		if err != nil {
			return err
		}
		// Keep the bytes of the first rendering, the one sent (the claim page
		// shows it; migration 00033), sealed: the file names the patient.
		if err := tx.Exec(`UPDATE claim_submissions SET edi = ? WHERE submission_id = ? AND edi IS NULL`,
			phicrypt.Bytes(data), submissionID).Error; err != nil {
			return fmt.Errorf("store 837P of submission %s: %w", submissionID, err)
		}
		out = Submission{SubmissionID: row.SubmissionID, ClaimID: row.ClaimID, ControlNumber: row.InterchangeControl,
			Frequency: row.Frequency, SubmittedAt: at, Data: data}
		return nil
	})
	return out, err
}

// render837 writes the claim as an 837P interchange with the given control
// number (ISA13 and GS06) and creation time, with the prior payer's
// adjudication (COB) of a secondary claim, as Render837 does.
func render837(tx *gorm.DB, claimID string, sub Submitter, ctrl int, at time.Time) ([]byte, error) {
	cb, err := load(tx, claimID)
	if err != nil {
		return nil, err
	}
	cob, err := claimCOB(cb.claim)
	if err != nil {
		return nil, err
	}
	b := batch837(sub, ctrl, at, cb)
	if cob != nil {
		addCOB(&b.Claims[0], cob)
	}
	data, err := x12.Write837(&b)
	if err != nil {
		return nil, fmt.Errorf("write 837P for claim %s: %w", claimID, err)
	}
	return data, nil
}

// MarkSubmitted moves the claim to stage submitted (cause system, detail:
// submission id, control number), once per submission: a repeat, a submission
// the 999 already rejected, or a claim the payer already acknowledged (accepted
// or later) records nothing. A claim already submitted under an earlier
// submission gets a submitted-to-submitted event, which restarts its wait.
func (s *Service) MarkSubmitted(ctx context.Context, claimID, submissionID string, actor audit.Actor) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockClaim(tx, claimID)
		if err != nil {
			return err
		}
		row, found, err := findSubmission(tx, submissionID, true)
		if err != nil {
			return err
		}
		if !found || row.ClaimID != claimID {
			return fmt.Errorf("submission %s of claim %s: %w", submissionID, claimID, ErrNotFound)
		}
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM claim_events WHERE claim_id = ? AND to_stage = ? AND detail->>'submission_id' = ?`,
			claimID, StageSubmitted, submissionID).Scan(&n).Error; err != nil {
			return err
		}
		if row.Status == SubmissionRejected || !slices.Contains(submittable, c.Stage) {
			return nil
		}
		// Marked before, the claim stays as it is, unless a scrub or eligibility
		// step run again after a crash (the workflow task's local activities
		// replayed) moved it back before submitted: the submission stands, and a
		// 277CA finds a claim in scrubbing no longer waiting for it (make chaos
		// left a rejected claim unannounced that way).
		if n > 0 && !slices.Contains(beforeSubmission, c.Stage) {
			return nil
		}
		detail := map[string]any{"submission_id": submissionID, "control_number": row.InterchangeControl, "frequency": row.Frequency}
		if err := move(tx, &c, StageSubmitted, CauseSystem, detail, actor); err != nil {
			return err
		}
		return audit.Record(tx, actor, "claim.submitted", "claim", claimID, detail)
	})
}

// findSubmission reads a claim_submissions row by submission id.
func findSubmission(tx *gorm.DB, submissionID string, forUpdate bool) (submissionRow, bool, error) {
	var row submissionRow
	q := `SELECT * FROM claim_submissions WHERE submission_id = ?`
	if forUpdate {
		q += ` FOR UPDATE`
	}
	res := tx.Raw(q, submissionID).Scan(&row)
	if res.Error != nil {
		return row, false, fmt.Errorf("submission %s: %w", submissionID, res.Error)
	}
	return row, res.RowsAffected > 0, nil
}

// latestSubmission returns the claim's most recent submission, locked.
func latestSubmission(tx *gorm.DB, claimID string) (submissionRow, bool, error) {
	var row submissionRow
	res := tx.Raw(`SELECT * FROM claim_submissions WHERE claim_id = ?
		ORDER BY submitted_at DESC, interchange_control DESC LIMIT 1 FOR UPDATE`, claimID).Scan(&row)
	if res.Error != nil {
		return row, false, fmt.Errorf("latest submission of claim %s: %w", claimID, res.Error)
	}
	return row, res.RowsAffected > 0, nil
}

// lockClaim reads the claim row FOR UPDATE; an id that is not a UUID is not
// found rather than a database error.
func lockClaim(tx *gorm.DB, claimID string) (Claim, error) {
	var c Claim
	if !validID(claimID) {
		return c, fmt.Errorf("claim %q: %w", claimID, ErrNotFound)
	}
	res := tx.Raw(`SELECT * FROM claims WHERE id = ? FOR UPDATE`, claimID).Scan(&c)
	if res.Error != nil {
		return c, fmt.Errorf("claim %s: %w", claimID, res.Error)
	}
	if res.RowsAffected == 0 {
		return c, fmt.Errorf("claim %s: %w", claimID, ErrNotFound)
	}
	return c, nil
}

// validID reports whether id is a UUID in its canonical 36-character form, as
// every id column holds.
func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

// move sets a locked claim's stage and appends the event (from = the claim's
// stage before). c is updated in place.
func move(tx *gorm.DB, c *Claim, to, cause string, detail map[string]any, actor audit.Actor) error {
	now := time.Now().UTC()
	if err := tx.Model(&Claim{}).Where("id = ?", c.ID).
		Updates(map[string]any{"stage": to, "stage_changed_at": now}).Error; err != nil {
		return fmt.Errorf("claim %s stage: %w", c.ID, err)
	}
	from := c.Stage
	c.Stage, c.StageChangedAt = to, now
	return appendEvent(tx, c.ID, from, to, cause, detail, actor)
}

// causeOf is the cause of a change a person asked for, or system for automation.
func causeOf(actor audit.Actor) string {
	if actor.UserID != "" {
		return CauseUser
	}
	return CauseSystem
}
