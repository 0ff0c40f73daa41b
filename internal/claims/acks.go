package claims

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/codes"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/metrics"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/internal/x12"
)

// Kinds of inbound acknowledgement files (edi_files.kind).
const (
	File999   = "999"
	File277CA = "277CA"
	File277   = "277"
)

// AckClaim is what an acknowledgement file said about one claim.
type AckClaim struct {
	ClaimID              string `json:"claim_id"`
	CaseID               string `json:"case_id"`
	PatientControlNumber string `json:"patient_control_number"`
	SubmissionID         string `json:"submission_id,omitempty"`
	Accepted             bool   `json:"accepted"`
	// Reason is the payer's reason: for a 999 the IK3/IK4 segment, element and
	// error codes (never the bad data); for a 277CA each rejecting STC as
	// category:status:entity and its message, with the claim's PHI masked. For a
	// 277CA status that neither accepts nor rejects, the STC codes.
	Reason           string `json:"reason,omitempty"`
	PayerClaimNumber string `json:"payer_claim_number,omitempty"`
	// Applied is true when the file changed the claim or its submission; false
	// for a late or repeated acknowledgement (for example a claim already paid,
	// or a submission the 999 already answered).
	Applied bool `json:"applied"`
	// Stage is the claim's stage after the file was applied.
	Stage string `json:"stage"`
}

// AckResult is what applying one acknowledgement file did.
type AckResult struct {
	FileID         string     `json:"file_id"`
	Kind           string     `json:"kind"` // 999, 277CA
	AlreadyApplied bool       `json:"already_applied"`
	Claims         []AckClaim `json:"claims"`
	Unmatched      []string   `json:"unmatched"` // control numbers or patient control numbers matching nothing
	// Warnings are the envelope slips the file was read past (a wrong
	// trailer count or control number, a masked BHT time...).
	Warnings []string `json:"warnings,omitempty"`

	audit audit.Batch // per-claim audit rows, written last
}

// ediFileRow maps edi_files.
type ediFileRow struct {
	ID         string `gorm:"primaryKey;type:uuid"`
	Kind       string
	Sha256     string `gorm:"column:sha256"`
	Source     string
	Summary    db.JSON `gorm:"type:jsonb"`
	ReceivedAt time.Time
}

func (ediFileRow) TableName() string { return "edi_files" }

// claimFile records an inbound file once by (kind, sha256 of its bytes). When
// the file was recorded before, it returns the stored row and first = false.
func claimFile(tx *gorm.DB, kind string, data []byte, source string) (ediFileRow, bool, error) {
	sum := sha256.Sum256(data)
	row := ediFileRow{ID: uuid.NewString(), Kind: kind, Sha256: hex.EncodeToString(sum[:]), Source: source}
	if strings.TrimSpace(row.Source) == "" {
		row.Source = "upload"
	}
	res := tx.Exec(`INSERT INTO edi_files (id, kind, sha256, source) VALUES (?, ?, ?, ?) ON CONFLICT (kind, sha256) DO NOTHING`,
		row.ID, row.Kind, row.Sha256, row.Source)
	if res.Error != nil {
		return row, false, fmt.Errorf("record %s file: %w", kind, res.Error)
	}
	if res.RowsAffected == 1 {
		return row, true, nil
	}
	var prior ediFileRow
	if err := tx.Where("kind = ? AND sha256 = ?", row.Kind, row.Sha256).Take(&prior).Error; err != nil {
		return row, false, fmt.Errorf("read %s file: %w", kind, err)
	}
	return prior, false, nil
}

// applyOnce runs apply for a file not seen before and stores its result as the
// file's summary; a file seen before returns the stored summary with
// AlreadyApplied set and changes nothing.
func (s *Service) applyOnce(ctx context.Context, kind string, data []byte, source string, actor audit.Actor,
	apply func(tx *gorm.DB, res *AckResult) error) (AckResult, error) {
	var out AckResult
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		file, first, err := claimFile(tx, kind, data, source)
		if err != nil {
			return err
		}
		if !first {
			if err := json.Unmarshal(file.Summary, &out); err != nil {
				return fmt.Errorf("%s file %s summary: %w", kind, file.ID, err)
			}
			out.AlreadyApplied = true
			return nil
		}
		out = AckResult{FileID: file.ID, Kind: kind, Claims: []AckClaim{}, Unmatched: []string{}}
		if err := apply(tx, &out); err != nil {
			return err
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		if err := tx.Model(&ediFileRow{}).Where("id = ?", file.ID).Update("summary", db.JSON(b)).Error; err != nil {
			return fmt.Errorf("%s file %s summary: %w", kind, file.ID, err)
		}
		// The per-claim audit rows go last, after every claim row is locked
		// and written (audit.Batch).
		if err := out.audit.Write(tx); err != nil {
			return err
		}
		applied := 0
		for _, c := range out.Claims {
			if c.Applied {
				applied++
			}
		}
		return audit.Record(tx, actor, "edi.apply", "edi_file", file.ID, map[string]any{
			"kind": kind, "source": file.Source, "claims": len(out.Claims), "applied": applied, "unmatched": len(out.Unmatched)})
	})
	switch {
	case err != nil:
		metrics.EDIFile("inbound", kind, "refused")
	case out.AlreadyApplied:
		metrics.EDIFile("inbound", kind, "duplicate")
	default:
		metrics.EDIFile("inbound", kind, "applied")
	}
	return out, err
}

// Apply999 applies a 999 (or 997) file to the submissions it acknowledges,
// exactly once per file (see AckResult.AlreadyApplied). A file that does not
// parse returns the *x12.ParseError and writes nothing.
//
// Each acknowledged group is matched by its AK1 group control number (our GS06,
// equal to ISA13) to claim_submissions.interchange_control, taking the latest
// submission with that number; groups of other functional IDs than HC (837)
// and numbers matching nothing are listed in Unmatched. Only a submission still
// sent is changed: accepted (claim stage unchanged, no claim event, since a
// claim event is a stage change), or rejected with the reason, which also moves
// the claim to rejected (cause 999) when the submission is the claim's latest
// and the claim has not gone further than submitted.
func (s *Service) Apply999(ctx context.Context, data []byte, source string, actor audit.Actor) (AckResult, error) {
	acks, err := x12.Parse999(data)
	if err != nil {
		return AckResult{}, err
	}
	if len(acks) == 0 {
		return AckResult{}, &x12.ParseError{Msg: "the file holds no 999 transaction set"}
	}
	return s.applyOnce(ctx, File999, data, source, actor, func(tx *gorm.DB, res *AckResult) error {
		for _, a := range acks {
			res.Warnings = appendNew(res.Warnings, a.Warnings...)
		}
		for _, a := range acks {
			if err := s.apply999(tx, a, res, actor); err != nil {
				return err
			}
		}
		return nil
	})
}

// awaiting999 are the stages a 999 rejection may move a claim out of: the 999
// can arrive before MarkSubmitted ran.
var awaiting999 = []string{StageCreated, StageScrubbing, StageSubmitted}

func (s *Service) apply999(tx *gorm.DB, a x12.Ack999, res *AckResult, actor audit.Actor) error {
	ctrl, err := strconv.Atoi(strings.TrimSpace(a.GroupControlNumber))
	if err != nil || a.FunctionalID != "HC" {
		res.Unmatched = append(res.Unmatched, a.GroupControlNumber)
		return nil
	}
	var match submissionRow
	found := tx.Raw(`SELECT * FROM claim_submissions WHERE interchange_control = ?
		ORDER BY submitted_at DESC LIMIT 1`, ctrl).Scan(&match)
	if found.Error != nil {
		return fmt.Errorf("match 999 group %d: %w", ctrl, found.Error)
	}
	if found.RowsAffected == 0 {
		res.Unmatched = append(res.Unmatched, a.GroupControlNumber)
		return nil
	}
	// Lock the claim, then its submission, in the order every writer uses.
	c, err := lockClaim(tx, match.ClaimID)
	if err != nil {
		return err
	}
	row, _, err := findSubmission(tx, match.SubmissionID, true)
	if err != nil {
		return err
	}
	accepted, reason := verdict999(a)
	ac := AckClaim{ClaimID: c.ID, CaseID: c.CaseID, PatientControlNumber: c.PatientControlNumber,
		SubmissionID: row.SubmissionID, Accepted: accepted, Reason: reason}
	if row.Status == SubmissionSent {
		status := SubmissionAccepted
		if !accepted {
			status = SubmissionRejected
		}
		if err := tx.Model(&submissionRow{}).Where("id = ?", row.ID).Updates(map[string]any{
			"status": status, "reason": reason, "acknowledged_at": time.Now().UTC()}).Error; err != nil {
			return fmt.Errorf("submission %s: %w", row.SubmissionID, err)
		}
		ac.Applied = true
		detail := map[string]any{"file_id": res.FileID, "submission_id": row.SubmissionID,
			"control_number": row.InterchangeControl, "accepted": accepted}
		if !accepted {
			detail["reason"] = reason
			latest, ok, err := latestSubmission(tx, c.ID)
			if err != nil {
				return err
			}
			if ok && latest.ID == row.ID && slices.Contains(awaiting999, c.Stage) {
				if err := move(tx, &c, StageRejected, Cause999, detail, actor); err != nil {
					return err
				}
			}
		}
		res.audit.Add(actor, "claim.ack999", "claim", c.ID, detail)
	}
	ac.Stage = c.Stage
	res.Claims = append(res.Claims, ac)
	return nil
}

// verdict999 decides one acknowledged group. Our 837 interchanges carry one
// transaction set, so the group is accepted when the group status and every
// transaction set status accept it. The reason lists the IK3/IK4 errors by
// segment, position, element and code; IK404 (a copy of the bad data, which can
// be a name or member ID) and CTX are left out.
func verdict999(a x12.Ack999) (bool, string) {
	accepted := a.GroupStatus == "A" || a.GroupStatus == "E" || (a.GroupStatus == "P" && len(a.Transactions) > 0)
	for _, t := range a.Transactions {
		accepted = accepted && t.Accepted
	}
	if accepted {
		return true, ""
	}
	var parts []string
	for _, t := range a.Transactions {
		if t.Accepted {
			continue
		}
		for _, se := range t.SegmentErrors {
			p := fmt.Sprintf("IK3 segment %s at %d", se.SegmentID, se.Position)
			if se.LoopID != "" {
				p += " loop " + se.LoopID
			}
			if se.ErrorCode != "" {
				p += " error " + se.ErrorCode
			}
			for _, ee := range se.ElementErrors {
				p += fmt.Sprintf(", IK4 element %d", ee.Position)
				if ee.ComponentPosition > 0 {
					p += fmt.Sprintf("-%d", ee.ComponentPosition)
				}
				if ee.ElementRef != "" {
					p += " (ref " + ee.ElementRef + ")"
				}
				p += " error " + ee.ErrorCode
			}
			parts = append(parts, p)
		}
		p := fmt.Sprintf("IK5 transaction %s status %s", t.ControlNumber, t.Status)
		if len(t.ErrorCodes) > 0 {
			p += " error " + strings.Join(t.ErrorCodes, ",")
		}
		parts = append(parts, p)
	}
	p := "AK9 group status " + a.GroupStatus
	if len(a.GroupErrorCodes) > 0 {
		p += " error " + strings.Join(a.GroupErrorCodes, ",")
	}
	return false, strings.Join(append(parts, p), "; ")
}

// Apply277CA applies a 277CA file, exactly once per file (see
// AckResult.AlreadyApplied). A file that does not parse returns the
// *x12.ParseError and writes nothing.
//
// Each claim status is matched by patient control number; numbers matching no
// claim are listed in Unmatched. Only a claim waiting for the payer (submitted
// or accepted, or with its latest submission sent but not marked yet, see
// sentBeforeMarked) is changed: an accepting status (A0, A1, A2, A5) moves it to
// accepted (cause 277ca), stores the payer claim control number (REF*1K) when
// present and marks its latest submission acknowledged; a rejecting status (A3,
// A4, A6, A7, A8) moves it to rejected with the reason and marks the latest
// submission rejected. Claims in any other stage (paid, denied, rejected, ...)
// are listed with Applied false and nothing is recorded: a late acknowledgement
// never moves a claim backwards. Pending or unknown statuses record nothing.
func (s *Service) Apply277CA(ctx context.Context, data []byte, source string, actor audit.Actor) (AckResult, error) {
	reports, err := x12.Parse277(data)
	if err != nil {
		return AckResult{}, err
	}
	if len(reports) == 0 {
		return AckResult{}, &x12.ParseError{Msg: "the file holds no 277 transaction set"}
	}
	return s.applyOnce(ctx, File277CA, data, source, actor, func(tx *gorm.DB, res *AckResult) error {
		for _, r := range reports {
			res.Warnings = appendNew(res.Warnings, r.Warnings...)
		}
		for _, r := range reports {
			for _, cs := range r.Claims {
				if err := s.apply277CA(tx, cs, res, actor); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// awaitingPayer are the stages a 277CA may move a claim out of.
var awaitingPayer = []string{StageSubmitted, StageAccepted}

// sentBeforeMarked reports whether the claim's latest submission, sub, is with
// the payer (sent, or accepted by the 999) while the claim's stage has not
// said so yet: a crash came after the clearinghouse took the 837P and before
// MarkSubmitted, and the payer answered before the workflow sent it again. The
// 277CA applies to such a claim as to a submitted one; the submission, marked
// again later, then finds the claim past submitted and records nothing.
func sentBeforeMarked(c Claim, sub submissionRow) bool {
	return slices.Contains(beforeSubmission, c.Stage) &&
		(sub.Status == SubmissionSent || sub.Status == SubmissionAccepted)
}

func (s *Service) apply277CA(tx *gorm.DB, cs x12.ClaimStatus, res *AckResult, actor audit.Actor) error {
	var c Claim
	found := tx.Raw(`SELECT * FROM claims WHERE patient_control_number = ? FOR UPDATE`, cs.PatientControlNumber).Scan(&c)
	if found.Error != nil {
		return fmt.Errorf("match 277CA claim %s: %w", cs.PatientControlNumber, found.Error)
	}
	if found.RowsAffected == 0 {
		res.Unmatched = append(res.Unmatched, cs.PatientControlNumber)
		return nil
	}
	sub, hasSub, err := latestSubmission(tx, c.ID)
	if err != nil {
		return err
	}
	ac := AckClaim{ClaimID: c.ID, CaseID: c.CaseID, PatientControlNumber: c.PatientControlNumber,
		Accepted: cs.Disposition == x12.DispositionAccepted, PayerClaimNumber: cs.PayerClaimControlNumber}
	if hasSub {
		ac.SubmissionID = sub.SubmissionID
	}
	codesText := statusCodes(cs)
	waiting := slices.Contains(awaitingPayer, c.Stage) || (hasSub && sentBeforeMarked(c, sub))
	switch cs.Disposition {
	case x12.DispositionAccepted:
		if !waiting {
			break
		}
		detail := map[string]any{"file_id": res.FileID, "submission_id": ac.SubmissionID, "status": codesText}
		if cs.PayerClaimControlNumber != "" && cs.PayerClaimControlNumber != c.PayerClaimNumber {
			if err := tx.Model(&Claim{}).Where("id = ?", c.ID).
				Update("payer_claim_number", cs.PayerClaimControlNumber).Error; err != nil {
				return fmt.Errorf("claim %s payer claim number: %w", c.ID, err)
			}
			detail["payer_claim_number"] = cs.PayerClaimControlNumber
			ac.Applied = true
		}
		if c.Stage != StageAccepted {
			if err := move(tx, &c, StageAccepted, Cause277CA, detail, actor); err != nil {
				return err
			}
			ac.Applied = true
		}
		if hasSub && (sub.Status == SubmissionSent || sub.Status == SubmissionAccepted) {
			if err := setSubmission(tx, sub.ID, SubmissionAcknowledged, sub.Reason); err != nil {
				return err
			}
			ac.Applied = true
		}
		if ac.Applied {
			res.audit.Add(actor, "claim.ack277ca", "claim", c.ID, detail)
		}
	case x12.DispositionRejected:
		red, err := claimRedactor(tx, c)
		if err != nil {
			return err
		}
		ac.Reason = red.apply(rejectionReason(cs))
		if !waiting {
			break
		}
		detail := map[string]any{"file_id": res.FileID, "submission_id": ac.SubmissionID, "status": codesText, "reason": ac.Reason}
		if err := move(tx, &c, StageRejected, Cause277CA, detail, actor); err != nil {
			return err
		}
		if hasSub && sub.Status != SubmissionRejected {
			if err := setSubmission(tx, sub.ID, SubmissionRejected, ac.Reason); err != nil {
				return err
			}
		}
		ac.Applied = true
		res.audit.Add(actor, "claim.ack277ca", "claim", c.ID, detail)
	default:
		ac.Reason = codesText
	}
	ac.Stage = c.Stage
	res.Claims = append(res.Claims, ac)
	return nil
}

func setSubmission(tx *gorm.DB, id, status, reason string) error {
	if err := tx.Model(&submissionRow{}).Where("id = ?", id).Updates(map[string]any{
		"status": status, "reason": reason, "acknowledged_at": time.Now().UTC()}).Error; err != nil {
		return fmt.Errorf("submission %s: %w", id, err)
	}
	return nil
}

// statusCodes lists every claim and line STC composite as category:status:entity.
func statusCodes(cs x12.ClaimStatus) string {
	var out []string
	add := func(sts []x12.StatusInfo) {
		for _, st := range sts {
			for _, sc := range st.Codes {
				out = append(out, composite(sc))
			}
		}
	}
	add(cs.Statuses)
	for _, l := range cs.Lines {
		add(l.Statuses)
	}
	return strings.Join(out, ",")
}

func composite(sc x12.StatusCode) string {
	return strings.TrimRight(sc.Category+":"+sc.Status+":"+sc.Entity, ":")
}

// rejectionReason lists each rejecting STC (claim or line) as
// category:status:entity codes followed by its message.
func rejectionReason(cs x12.ClaimStatus) string {
	var out []string
	add := func(prefix string, sts []x12.StatusInfo) {
		for _, st := range sts {
			var cc []string
			rejecting := false
			for _, sc := range st.Codes {
				cc = append(cc, composite(sc))
				rejecting = rejecting || x12.CategoryDisposition(sc.Category) == x12.DispositionRejected
			}
			if !rejecting {
				continue
			}
			r := prefix + strings.Join(cc, ",")
			if m := strings.TrimSpace(st.Message); m != "" {
				r += " " + m
			}
			out = append(out, r)
		}
	}
	add("", cs.Statuses)
	for i, l := range cs.Lines {
		add(fmt.Sprintf("line %d: ", i+1), l.Statuses)
	}
	return strings.Join(out, "; ")
}

// StatusSummary is a payer's answer to a claim status inquiry (276/277).
type StatusSummary struct {
	Category         string           `json:"category"`
	Status           string           `json:"status"`
	Entity           string           `json:"entity,omitempty"`
	Message          string           `json:"message,omitempty"`
	PayerClaimNumber string           `json:"payer_claim_number,omitempty"`
	Paid             *decimal.Decimal `json:"paid,omitempty"`
}

// statusFileSummary is what edi_files.summary holds for a 277.
type statusFileSummary struct {
	ClaimID string        `json:"claim_id"`
	Status  StatusSummary `json:"status"`
}

// RecordStatusInquiry reads a 277 answering a 276 for the claim and records it
// on the timeline (cause 277, stage unchanged) and returns the status: the
// first STC composite of the claim's status loop (matched by patient control
// number or payer claim number), its message with the claim's PHI masked, the
// payer claim number and the paid amount. The same 277 bytes are recorded once
// (edi_files kind 277); a repeat returns the recorded status. A 277 that does
// not parse returns the *x12.ParseError; one without a status for the claim
// returns a validate.Errors on raw_277. Nothing is written in either case.
func (s *Service) RecordStatusInquiry(ctx context.Context, claimID string, raw277 []byte, actor audit.Actor) (StatusSummary, error) {
	reports, err := x12.Parse277(raw277)
	if err != nil {
		return StatusSummary{}, err
	}
	var out StatusSummary
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockClaim(tx, claimID)
		if err != nil {
			return err
		}
		cs, ok := statusFor(reports, c)
		if !ok {
			return validate.Errors{{Field: "raw_277", Message: "holds no status for the claim's patient control number or payer claim number"}}
		}
		file, first, err := claimFile(tx, File277, raw277, "status_inquiry")
		if err != nil {
			return err
		}
		if !first {
			var prior statusFileSummary
			if err := json.Unmarshal(file.Summary, &prior); err != nil {
				return fmt.Errorf("277 file %s summary: %w", file.ID, err)
			}
			if prior.ClaimID != claimID {
				return validate.Errors{{Field: "raw_277", Message: "was recorded for another claim"}}
			}
			out = prior.Status
			return nil
		}
		red, err := claimRedactor(tx, c)
		if err != nil {
			return err
		}
		out = summarize(cs, red)
		b, err := json.Marshal(statusFileSummary{ClaimID: claimID, Status: out})
		if err != nil {
			return err
		}
		if err := tx.Model(&ediFileRow{}).Where("id = ?", file.ID).Update("summary", db.JSON(b)).Error; err != nil {
			return fmt.Errorf("277 file %s summary: %w", file.ID, err)
		}
		detail := map[string]any{"file_id": file.ID, "status": statusCodes(cs)}
		if out.Message != "" {
			detail["message"] = out.Message
		}
		if out.PayerClaimNumber != "" {
			detail["payer_claim_number"] = out.PayerClaimNumber
		}
		if out.Paid != nil {
			detail["paid"] = out.Paid.StringFixed(2)
		}
		if err := appendEvent(tx, c.ID, c.Stage, c.Stage, Cause277, detail, actor); err != nil {
			return err
		}
		return audit.Record(tx, actor, "claim.status_inquiry", "claim", c.ID, detail)
	})
	return out, err
}

// statusFor finds the claim's status loop in a 277.
func statusFor(reports []x12.ClaimStatusReport, c Claim) (x12.ClaimStatus, bool) {
	for _, r := range reports {
		for _, cs := range r.Claims {
			if cs.PatientControlNumber == c.PatientControlNumber ||
				(c.PayerClaimNumber != "" && cs.PayerClaimControlNumber == c.PayerClaimNumber) {
				return cs, true
			}
		}
	}
	return x12.ClaimStatus{}, false
}

func summarize(cs x12.ClaimStatus, red redactor) StatusSummary {
	out := StatusSummary{PayerClaimNumber: cs.PayerClaimControlNumber, Paid: cs.PaidAmount}
	sts := cs.Statuses
	if len(sts) == 0 && len(cs.Lines) > 0 {
		sts = cs.Lines[0].Statuses
	}
	if len(sts) > 0 && len(sts[0].Codes) > 0 {
		sc := sts[0].Codes[0]
		out.Category, out.Status, out.Entity = sc.Category, sc.Status, sc.Entity
		out.Message = red.apply(strings.TrimSpace(sts[0].Message))
	}
	return out
}

// redactor masks a claim's PHI (names, dates of birth, member IDs, diagnosis
// codes) in free text that comes from payers or users, whole words only.
type redactor struct{ re *regexp.Regexp }

func newRedactor(values ...string) redactor {
	seen := map[string]bool{}
	var alts []string
	for _, v := range values {
		v = strings.ToUpper(strings.TrimSpace(v))
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		alts = append(alts, regexp.QuoteMeta(v))
	}
	if len(alts) == 0 {
		return redactor{}
	}
	sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	return redactor{re: regexp.MustCompile(`(?i)\b(?:` + strings.Join(alts, "|") + `)\b`)}
}

func (r redactor) apply(s string) string {
	if r.re == nil {
		return s
	}
	return r.re.ReplaceAllString(s, "***")
}

// phiValues lists the PHI of a claim's patient, coverage and diagnoses.
func phiValues(pat records.Patient, covs []records.Coverage, diagnoses []string) []string {
	var v []string
	dates := func(t time.Time) {
		if !t.IsZero() {
			v = append(v, t.Format("20060102"), t.Format("2006-01-02"), t.Format("01/02/2006"), t.Format("1/2/2006"))
		}
	}
	v = append(v, pat.FirstName, pat.LastName, strings.TrimSpace(pat.FirstName+" "+pat.LastName))
	dates(pat.DateOfBirth)
	for _, c := range covs {
		v = append(v, string(c.MemberID), c.SubscriberFirstName, c.SubscriberLastName,
			strings.TrimSpace(c.SubscriberFirstName+" "+c.SubscriberLastName))
		if c.SubscriberDateOfBirth != nil {
			dates(*c.SubscriberDateOfBirth)
		}
	}
	for _, d := range diagnoses { // both forms, whichever one is stored
		v = append(v, d, codes.NormalizeICD10(d), codes.FormatICD10(d))
	}
	return v
}

// claimRedactor builds the redactor of a claim's own PHI.
func claimRedactor(tx *gorm.DB, c Claim) (redactor, error) {
	b, err := load(tx, c.ID)
	if err != nil {
		return redactor{}, err
	}
	return newRedactor(phiValues(b.patient, []records.Coverage{b.coverage}, c.Diagnoses)...), nil
}

// appendNew appends the values of vs not already in list.
func appendNew(list []string, vs ...string) []string {
	for _, v := range vs {
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}
