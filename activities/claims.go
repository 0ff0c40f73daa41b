package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/denials"
	"github.com/clinicflow/rcm/internal/metrics"
	"github.com/clinicflow/rcm/internal/scrub"
	"github.com/clinicflow/rcm/internal/scrubrules"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// BuildClaimInput names a completed visit to bill to its primary coverage.
type BuildClaimInput struct {
	CaseID      string `json:"case_id"`
	EncounterID string `json:"encounter_id"`
}

// BuildClaimResult is the claim built, or why none could be.
type BuildClaimResult struct {
	ClaimID string `json:"claim_id,omitempty"`
	// Problem says why the visit cannot be billed; a task in the eligibility
	// queue (TaskID) asks a person to add the coverage.
	Problem string `json:"problem,omitempty"`
	TaskID  string `json:"task_id,omitempty"`
}

// BuildClaim groups a completed visit's charges into a claim for the primary
// coverage. A visit without an active primary coverage raises a task instead.
func (a *Activities) BuildClaim(ctx context.Context, in BuildClaimInput) (BuildClaimResult, error) {
	b, err := a.Claims.Build(ctx, claims.BuildInput{CaseID: in.CaseID, EncounterID: in.EncounterID, Actor: audit.System})
	var fe validate.Errors
	if errors.As(err, &fe) {
		id, terr := a.Tasks.Ensure(ctx, tasks.NewTask{
			Queue: tasks.QueueEligibility, Kind: tasks.KindIneligible,
			BusinessKey: "no-coverage:" + in.EncounterID, CaseID: in.CaseID, EncounterID: in.EncounterID,
			Title:   "Completed visit has no coverage to bill",
			Details: map[string]any{"problems": []validate.FieldError(fe)}, Priority: 2,
			// Add the coverage, then answer: the case bills the visit again.
			AnsweredBy: tasks.Answer{WorkflowID: contract.CaseWorkflowID(in.CaseID), Update: contract.UpdateRetryBilling},
		})
		return BuildClaimResult{Problem: fe.Error(), TaskID: id}, classify(terr)
	}
	if err != nil {
		return BuildClaimResult{}, classify(err)
	}
	if _, err := a.Tasks.Resolve(ctx, "no-coverage:"+in.EncounterID, "claim built", audit.System); err != nil {
		return BuildClaimResult{}, classify(err)
	}
	return BuildClaimResult{ClaimID: b.Claim.ID}, nil
}

// LoadClaim reads the claim's facts.
func (a *Activities) LoadClaim(ctx context.Context, claimID string) (contract.ClaimFacts, error) {
	var f contract.ClaimFacts
	res := a.DB.WithContext(ctx).Raw(`
		SELECT c.priority, c.frequency, c.patient_control_number, p.ack_wait_days, p.payment_wait_days,
		       p.appeal_window_days, p.timely_filing_days, e.service_date
		FROM claims c JOIN payers p ON p.id = c.payer_id JOIN encounters e ON e.id = c.encounter_id
		WHERE c.id = ?`, claimID).Scan(&f)
	if res.Error != nil {
		return f, classify(res.Error)
	}
	if res.RowsAffected == 0 {
		return f, classify(fmt.Errorf("claim %s: %w", claimID, claims.ErrNotFound))
	}
	return f, nil
}

// ScrubClaim runs the published scrub rule set (internal/scrubrules) over the
// claim, records on the claim the rule-set version that scrubbed it, and
// records the outcome on its timeline: needs_fix with the failed rules, or
// scrubbing passed, each with the version. A claim with the payer or past it
// (a scrub run again after a crash) is left as it is, and passes: it was
// scrubbed before it was sent. Runs of the claim workflow begun before
// ScrubClaimFor call it.
func (a *Activities) ScrubClaim(ctx context.Context, claimID string) ([]scrub.Failure, error) {
	return a.ScrubClaimFor(ctx, ClaimStepInput{ClaimID: claimID})
}

// ClaimStepInput names a step of a claim before a submission (scrub,
// eligibility) by the submission that follows it.
type ClaimStepInput struct {
	ClaimID      string `json:"claim_id"`
	SubmissionID string `json:"submission_id"`
}

// ScrubClaimFor is ScrubClaim before the claim's submission in.SubmissionID:
// once that submission is recorded, the scrub passed before (the workflow task
// that ran scrub and submission ran again after a crash), so it passes again
// at once and writes nothing (claims.Service.RecordScrub).
func (a *Activities) ScrubClaimFor(ctx context.Context, in ClaimStepInput) ([]scrub.Failure, error) {
	if done, err := a.Claims.Submitted(ctx, in.ClaimID, in.SubmissionID); err != nil || done {
		return nil, classify(err)
	}
	failures, version, err := (&scrubrules.Service{DB: a.DB}).ScrubStored(ctx, a.Claims, in.ClaimID, time.Now().UTC())
	if err != nil {
		return nil, classify(err)
	}
	stage, detail := claims.StageScrubbing, map[string]any{"passed": true, "rule_version": version}
	if len(failures) > 0 {
		rules := make([]string, 0, len(failures))
		for _, f := range failures {
			rules = append(rules, f.Rule)
		}
		stage, detail = claims.StageNeedsFix, map[string]any{"failed_rules": rules, "rule_version": version}
	}
	recorded, err := a.Claims.RecordScrub(ctx, in.ClaimID, in.SubmissionID, stage, detail, audit.System)
	if err != nil {
		return nil, classify(err)
	}
	if !recorded {
		return nil, nil // sent meanwhile or before: the scrub passed then
	}
	return failures, nil
}

// Eligibility is a 271's answer for a claim's coverage.
type Eligibility struct {
	Active              bool            `json:"active"`
	PlanName            string          `json:"plan_name,omitempty"`
	Copay               decimal.Decimal `json:"copay"`
	DeductibleRemaining decimal.Decimal `json:"deductible_remaining"`
	RejectReasons       []string        `json:"reject_reasons,omitempty"`
}

// CheckEligibility sends a 270 for the claim's coverage and records the answer on
// the claim's timeline. Runs of the claim workflow begun before
// CheckEligibilityFor call it.
func (a *Activities) CheckEligibility(ctx context.Context, claimID string) (Eligibility, error) {
	return a.CheckEligibilityFor(ctx, ClaimStepInput{ClaimID: claimID})
}

// CheckEligibilityFor is CheckEligibility before the claim's submission
// in.SubmissionID: once that submission is recorded the coverage was found
// active before it was sent (the step ran again after a crash), so it answers
// active without asking the payer again or recording anything.
func (a *Activities) CheckEligibilityFor(ctx context.Context, in ClaimStepInput) (Eligibility, error) {
	claimID := in.ClaimID
	if done, err := a.Claims.Submitted(ctx, claimID, in.SubmissionID); err != nil || done {
		return Eligibility{Active: done}, classify(err)
	}
	req, err := a.Claims.EligibilityRequest(ctx, claimID)
	if err != nil {
		return Eligibility{}, classify(err)
	}
	r, err := a.Clearinghouse.CheckEligibility(ctx, req)
	if err != nil {
		return Eligibility{}, classify(fmt.Errorf("eligibility for claim %s: %w", claimID, err))
	}
	out := Eligibility{Active: r.Active, PlanName: r.PlanName, Copay: r.Copay,
		DeductibleRemaining: r.DeductibleRemaining, RejectReasons: r.RejectReasons}
	detail := map[string]any{"active": r.Active, "plan": r.PlanName, "copay": r.Copay.StringFixed(2),
		"deductible_remaining": r.DeductibleRemaining.StringFixed(2), "reject_reasons": r.RejectReasons}
	if err := a.Claims.RecordEligibility(ctx, claimID, r.Active, detail, audit.System); err != nil {
		return out, classify(err)
	}
	return out, nil
}

// SubmitClaimInput is one submission of a claim.
type SubmitClaimInput struct {
	ClaimID      string `json:"claim_id"`
	SubmissionID string `json:"submission_id"`
}

// SubmitClaimResult is what the clearinghouse said on receipt.
type SubmitClaimResult struct {
	SubmissionID  string `json:"submission_id"`
	ControlNumber int    `json:"control_number"`
	Accepted      bool   `json:"accepted"`
}

// SubmitClaim renders the claim's 837P for the submission and sends it. A retry
// renders the same bytes under the same submission id, which the clearinghouse
// receives once.
func (a *Activities) SubmitClaim(ctx context.Context, in SubmitClaimInput) (SubmitClaimResult, error) {
	sub, err := a.Claims.PrepareSubmission(ctx, in.ClaimID, in.SubmissionID, a.Submitter)
	if err != nil {
		return SubmitClaimResult{}, classify(err)
	}
	r, err := a.Clearinghouse.Submit(ctx, in.SubmissionID, sub.Data)
	if err != nil {
		metrics.EDIFile("outbound", "837P", "failed")
		return SubmitClaimResult{}, classify(fmt.Errorf("submit claim %s: %w", in.ClaimID, err))
	}
	metrics.EDIFile("outbound", "837P", "sent")
	metrics.MessageSent("edi", "837P")
	if err := a.Claims.MarkSubmitted(ctx, in.ClaimID, in.SubmissionID, audit.System); err != nil {
		return SubmitClaimResult{}, classify(err)
	}
	return SubmitClaimResult{SubmissionID: in.SubmissionID, ControlNumber: sub.ControlNumber, Accepted: r.Accepted}, nil
}

// InquireClaimStatus sends a 276 for the claim and records the 277's answer.
func (a *Activities) InquireClaimStatus(ctx context.Context, claimID string) (claims.StatusSummary, error) {
	req, err := a.Claims.StatusRequest(ctx, claimID)
	if err != nil {
		return claims.StatusSummary{}, classify(err)
	}
	raw, err := a.Clearinghouse.ClaimStatus(ctx, req)
	if err != nil {
		return claims.StatusSummary{}, classify(fmt.Errorf("status inquiry for claim %s: %w", claimID, err))
	}
	s, err := a.Claims.RecordStatusInquiry(ctx, claimID, raw, audit.System)
	return s, classify(err)
}

// ClaimTaskInput raises a task about a claim.
type ClaimTaskInput struct {
	ClaimID  string         `json:"claim_id"`
	CaseID   string         `json:"case_id"`
	Queue    string         `json:"queue"`
	Kind     string         `json:"kind"`
	Key      string         `json:"key"`
	Title    string         `json:"title"`
	Details  map[string]any `json:"details,omitempty"`
	Priority int            `json:"priority"`
	DueAt    *time.Time     `json:"due_at,omitempty"`
	// Update is the claim workflow's update that answers the task ("" when the
	// workflow does not wait on it).
	Update string `json:"update,omitempty"`
}

// RaiseClaimTask creates the task once (by its key) and returns its id.
func (a *Activities) RaiseClaimTask(ctx context.Context, in ClaimTaskInput) (string, error) {
	details := map[string]any{"claim_id": in.ClaimID}
	for k, v := range in.Details {
		details[k] = v
	}
	t := tasks.NewTask{Queue: in.Queue, Kind: in.Kind, BusinessKey: in.Key,
		CaseID: in.CaseID, ClaimID: in.ClaimID, Title: in.Title, Details: details, Priority: in.Priority, DueAt: in.DueAt}
	if in.Update != "" {
		t.AnsweredBy = tasks.Answer{WorkflowID: contract.ClaimWorkflowID(in.ClaimID), Update: in.Update}
	}
	id, err := a.Tasks.Ensure(ctx, t)
	return id, classify(err)
}

// ResolveClaimTasks closes every open task of the claim: the workflow saw the
// work done (a fix arrived, the payer answered, a decision was taken). Reason is
// the resolution.
func (a *Activities) ResolveClaimTasks(ctx context.Context, in ClaimActorInput) (int, error) {
	n, err := a.Tasks.ResolveClaim(ctx, in.ClaimID, in.Reason, audit.System)
	return n, classify(err)
}

// ClaimFixInput is a fix to a claim by a person.
type ClaimFixInput struct {
	ClaimID string      `json:"claim_id"`
	Fix     claims.Fix  `json:"fix"`
	Actor   audit.Actor `json:"actor"`
}

// ApplyClaimFix corrects a claim; invalid corrections fail with field errors and
// change nothing.
func (a *Activities) ApplyClaimFix(ctx context.Context, in ClaimFixInput) (claims.Built, error) {
	b, err := a.Claims.ApplyFix(ctx, in.ClaimID, in.Fix, in.Actor)
	return b, classify(err)
}

// ClaimActorInput names a claim and who acts on it.
type ClaimActorInput struct {
	ClaimID string      `json:"claim_id"`
	Reason  string      `json:"reason,omitempty"`
	Actor   audit.Actor `json:"actor"`
}

// ReplaceClaim creates (once) the corrected frequency-7 claim of a denied claim.
func (a *Activities) ReplaceClaim(ctx context.Context, in ClaimActorInput) (claims.Built, error) {
	b, err := a.Claims.Replacement(ctx, in.ClaimID, in.Actor)
	return b, classify(err)
}

// BuildSecondaryClaim builds (once) the secondary claim of a paid primary; ok is
// false when the case has no secondary coverage.
func (a *Activities) BuildSecondaryClaim(ctx context.Context, primaryClaimID string) (string, error) {
	b, ok, err := a.Claims.BuildSecondary(ctx, primaryClaimID, audit.System)
	if err != nil || !ok {
		return "", classify(err)
	}
	return b.Claim.ID, nil
}

// WriteOffClaim writes the claim's open balance off (approved by a manager).
func (a *Activities) WriteOffClaim(ctx context.Context, in ClaimActorInput) (decimal.Decimal, error) {
	amt, err := a.Claims.WriteOff(ctx, in.ClaimID, in.Reason, in.Actor)
	return amt, classify(err)
}

// TransferClaimToPatient moves the claim's open balance to the patient.
func (a *Activities) TransferClaimToPatient(ctx context.Context, in ClaimActorInput) (decimal.Decimal, error) {
	amt, err := a.Claims.TransferToPatient(ctx, in.ClaimID, in.Reason, in.Actor)
	if err == nil && amt.IsPositive() {
		err = a.nudgeClaimDunning(ctx, in.ClaimID, "denial_transfer")
	}
	return amt, classify(err)
}

func denialInfo(d denials.Denial) *contract.DenialInfo {
	if !d.Denied {
		return nil
	}
	info := &contract.DenialInfo{Category: string(d.PrimaryCategory), SuggestedAction: d.SuggestedAction,
		RemarkCodes: d.RemarkCodes, Partial: !d.ClaimDenied, Codes: []string{}}
	for _, r := range d.Reasons {
		code := r.Group + "-" + r.Code
		if !slices.Contains(info.Codes, code) {
			info.Codes = append(info.Codes, code)
		}
	}
	return info
}

// AppealInput asks for an appeal of a denied claim at a level.
type AppealInput struct {
	ClaimID  string      `json:"claim_id"`
	Level    int         `json:"level"`
	Argument string      `json:"argument,omitempty"`
	Actor    audit.Actor `json:"actor"`
}

// AppealSent is the payer's receipt of an appeal.
type AppealSent struct {
	Level    int    `json:"level"`
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason,omitempty"`
	Letter   string `json:"letter"`
}
