package activities

import (
	"context"
	"errors"
	"time"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/legal"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// Hold timer defaults, in the hold's days.
const (
	DefaultLienDays     = 14 // a held case should have a lien or letter of protection two weeks after the first visit
	DefaultGapDays      = 30 // insurers discount treatment gaps of a month
	DefaultSOLFirstDays = 90
	DefaultSOLFinalDays = 30
)

// HoldLoad is what LoadHoldFacts reads: the hold's settings (used when it
// starts) and the case's legal facts.
type HoldLoad struct {
	Settings contract.HoldSettings `json:"settings"`
	Facts    contract.HoldFacts    `json:"facts"`
}

// LoadHoldFacts reads what a hold watches of its case's legal details, and the
// worker's hold settings (LEGAL_DAY_LENGTH).
func (a *Activities) LoadHoldFacts(ctx context.Context, caseID string) (HoldLoad, error) {
	day := a.LegalDayLength
	if day <= 0 {
		day = 24 * time.Hour
	}
	out := HoldLoad{Settings: contract.HoldSettings{DayLength: day, LienDays: DefaultLienDays, GapDays: DefaultGapDays,
		SOLFirstDays: DefaultSOLFirstDays, SOLFinalDays: DefaultSOLFinalDays, ApprovalDays: contract.DefaultApprovalDays},
		Facts: contract.HoldFacts{FollowUpDays: legal.DefaultFollowUpDays, Today: time.Now().UTC().Format(time.DateOnly)}}
	l, err := a.legal().GetDetails(ctx, caseID)
	if errors.Is(err, legal.ErrNoDetails) {
		return out, nil
	}
	if err != nil {
		return out, classify(err)
	}
	out.Facts.Recorded = true
	out.Facts.FollowUpDays = l.FollowUpDays
	out.Facts.LienOnFile = l.LienOnFile()
	out.Facts.SOLDate = l.SOLDate.Format(time.DateOnly)
	return out, nil
}

// HoldTaskInput raises one of a hold's tasks.
type HoldTaskInput struct {
	CaseID      string         `json:"case_id"`
	Kind        string         `json:"kind"`
	BusinessKey string         `json:"business_key"`
	Title       string         `json:"title"`
	Details     map[string]any `json:"details,omitempty"`
	Priority    int            `json:"priority"`
	DueAt       time.Time      `json:"due_at"`
	// Answered is set for tasks the hold's record-follow-up update answers
	// (or AnswerUpdate, when set).
	Answered     bool   `json:"answered,omitempty"`
	AnswerUpdate string `json:"answer_update,omitempty"`
	// Queue is the task's queue: legal-follow-up when empty.
	Queue string `json:"queue,omitempty"`
	// Supersedes are tasks this one replaces (an unanswered earlier follow-up):
	// they are closed as superseded.
	Supersedes []string `json:"supersedes,omitempty"`
}

// RaiseHoldTask creates (once, by business key) a task in the legal-follow-up
// queue and closes the tasks it supersedes; it returns the task's id.
func (a *Activities) RaiseHoldTask(ctx context.Context, in HoldTaskInput) (string, error) {
	due := in.DueAt
	queue := in.Queue
	if queue == "" {
		queue = tasks.QueueLegal
	}
	t := tasks.NewTask{Queue: queue, Kind: in.Kind, BusinessKey: in.BusinessKey, CaseID: in.CaseID,
		Title: in.Title, Details: in.Details, Priority: in.Priority, DueAt: &due}
	if in.Answered {
		t.AnsweredBy = tasks.Answer{WorkflowID: contract.HoldWorkflowID(in.CaseID), Update: contract.UpdateRecordFollowUp}
		if in.AnswerUpdate != "" {
			t.AnsweredBy.Update = in.AnswerUpdate
		}
	}
	id, err := a.Tasks.Ensure(ctx, t)
	if err != nil {
		return "", classify(err)
	}
	for _, key := range in.Supersedes {
		if _, err := a.Tasks.Resolve(ctx, key, "superseded by the next follow-up", audit.System); err != nil {
			return "", classify(err)
		}
	}
	return id, nil
}

// ResolveHoldTasksInput closes tasks whose cause went away.
type ResolveHoldTasksInput struct {
	BusinessKeys []string `json:"business_keys"`
	Resolution   string   `json:"resolution"`
}

// ResolveHoldTasks closes the open tasks with these business keys (a lien
// arrived, the patient came back, the attorney was reached).
func (a *Activities) ResolveHoldTasks(ctx context.Context, in ResolveHoldTasksInput) error {
	for _, key := range in.BusinessKeys {
		if _, err := a.Tasks.Resolve(ctx, key, in.Resolution, audit.System); err != nil {
			return classify(err)
		}
	}
	return nil
}

// FollowUpInput records an attorney follow-up.
type FollowUpInput struct {
	CaseID       string      `json:"case_id"`
	UpdateID     string      `json:"update_id"`
	Outcome      string      `json:"outcome"`
	Note         string      `json:"note,omitempty"`
	NextFollowUp string      `json:"next_follow_up,omitempty"`
	At           time.Time   `json:"at"`
	Actor        audit.Actor `json:"actor"`
}

// RecordFollowUp stores a follow-up once (its id derives from the update) and
// returns its id.
func (a *Activities) RecordFollowUp(ctx context.Context, in FollowUpInput) (string, error) {
	r := legal.FollowUpRecord{ID: legal.FollowUpID(in.CaseID, in.UpdateID), CaseID: in.CaseID, Outcome: in.Outcome,
		Note: in.Note, RecordedAt: in.At}
	if in.NextFollowUp != "" {
		d, err := time.Parse(time.DateOnly, in.NextFollowUp)
		if err != nil {
			return "", classify(validate.Errors{{Field: "next_follow_up", Message: "must be a date YYYY-MM-DD"}})
		}
		r.NextFollowUp = &d
	}
	return r.ID, classify(a.legal().RecordFollowUp(ctx, r, in.Actor))
}

// PublishHold keeps a hold's row in the holds read model current.
func (a *Activities) PublishHold(ctx context.Context, h legal.Hold) error {
	return classify(a.legal().PublishHold(ctx, h))
}

func (a *Activities) legal() *legal.Service { return &legal.Service{DB: a.DB} }
