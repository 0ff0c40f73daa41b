package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// WorkOps are the work pages' operations (api/task_answer.go implements them).
type WorkOps interface {
	// AnswerTask answers a task a workflow waits on, the way POST
	// /api/v1/tasks/{id}/complete does (it is the same method): the same
	// checks, the same update, the same conflict when the workflow no longer
	// waits; key makes a double-submitted form one answer.
	AnswerTask(ctx context.Context, taskID string, outcome json.RawMessage, note string, u auth.User, actor audit.Actor, key string) (json.RawMessage, error)
}

// workPages are the billers' own pages: my work (queues, what I hold, next
// task) and the task page with the action that answers the task.
func (a *App) workPages(r *Routes) {
	roles := r.Roles()
	r.GET("/work", roles.Billers, a.myWorkPage)
	r.POST("/work/next", roles.Billers, a.nextTask)
	r.GET("/work/tasks/:id", roles.Billers, a.taskPage)
	r.POST("/work/tasks/:id/answer", roles.Billers, a.answerTask)
	r.POST("/work/tasks/:id/resolve", roles.Billers, a.resolveTask)
	r.POST("/work/tasks/:id/release", roles.Billers, a.releaseTask)
	r.POST("/work/tasks/:id/snooze", roles.Billers, a.snoozeTask)
	r.Nav("My work", "/work", roles.Billers)
}

// myWorkView is the my-work page.
type myWorkView struct {
	W tasks.Work
	// Open and Overdue add up the queues.
	Open, Overdue, DoneToday int64
	// AllQueues are every queue, to take the next task of one outside my
	// teams (as POST /tasks/claim-next with a queue).
	AllQueues []Option
}

func (a *App) myWorkPage(q *Req) {
	if !q.onlyParams() {
		return
	}
	now := time.Now().UTC()
	y, m, d := now.Date()
	w, err := a.tasks.MyWork(q.Ctx(), q.User().ID, time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	if err != nil {
		q.Fail(err)
		return
	}
	v := myWorkView{W: w}
	for _, qu := range tasks.Queues {
		v.AllQueues = append(v.AllQueues, Option{Value: qu, Label: qu})
	}
	for _, c := range w.Queues {
		v.Open += c.Open
		v.Overdue += c.Overdue
		v.DoneToday += c.DoneToday
	}
	q.Render(http.StatusOK, "work_mine.html", "My work", v)
}

// nextTask claims the most urgent open task (of a queue, or of my teams'
// queues: tasks.ClaimNext, as POST /tasks/claim-next) and opens it.
func (a *App) nextTask(q *Req) {
	f := q.PostedForm("next")
	if !f.Valid() {
		q.Fail(f.Errors)
		return
	}
	a.claimNextAndGo(q, f.Get("queue"), "")
}

// claimNextAndGo claims the next task and opens it; done is the flash of what
// was just finished, if anything.
func (a *App) claimNextAndGo(q *Req, queue, done string) {
	t, err := a.tasks.ClaimNext(q.Ctx(), queue, q.Actor())
	if errors.Is(err, tasks.ErrNotFound) {
		q.Redirect(Prefix+"/work", strings.TrimSpace(done+" Nothing left to claim"+inQueue(queue)+"."))
		return
	}
	if err != nil {
		if p := ProblemOf(err); p != nil && (p.Status == http.StatusBadRequest || p.Status == http.StatusConflict) {
			msg := p.Detail
			for _, fe := range p.Errors {
				msg += " " + fe.Field + " " + fe.Message + "."
			}
			q.Redirect(Prefix+"/work", strings.TrimSpace(done+" "+msg))
			return
		}
		q.Fail(err)
		return
	}
	q.Redirect(Prefix+"/work/tasks/"+t.ID, strings.TrimSpace(done+" Your next task: "+t.Title+"."))
}

func inQueue(queue string) string {
	if queue == "" {
		return " in your teams' queues"
	}
	return " in " + queue
}

// taskForm says which form answers a task: its workflow's update, or a
// resolution when no workflow waits.
func taskForm(t tasks.Task) string {
	switch t.UpdateName {
	case contract.UpdateFixClaim:
		return "fix"
	case contract.UpdateDecideDenial:
		return "decide"
	case contract.UpdateApproveWriteOff:
		return "approve"
	case contract.UpdateRecordFollowUp:
		return "follow-up"
	case contract.UpdateResolveDispute:
		return "dispute"
	case contract.UpdateDecideApproval:
		return "legal-approval"
	case "":
		return "resolve"
	}
	return "outcome" // an update this page has no form for: its outcome as JSON
}

// taskView is the task page: the task, what it is about, and the form that
// answers it.
type taskView struct {
	T tasks.Task
	// Form names the answer form (taskForm); Mine says I hold it; Open says it
	// is not closed; CanAnswer says my role may answer it.
	Form                  string
	Mine, Open, CanAnswer bool
	Details               map[string]any
	Claim                 *claims.Claim
	Lines                 []claims.ClaimLine
	ClaimOpen             decimal.Decimal
	PayerName             string
	PatientName           string
	Problems              []problemLine
	Denial                *contract.DenialInfo
	Coverages             []Option
	Decisions             []Option
	// Approvals are the choices of a legal approval (a lien reduction, or
	// writing off a dropped case): the ones the task offers.
	Approvals           []Option
	FollowUps           []Option
	Disputes            []Option
	Events              []tasks.Event
	ClaimHref, CaseHref string
	WorkflowURL         string
	Waiting             string
	// AnswerRoles names who may answer when I may not.
	AnswerRoles string
	// Idem is this rendering's answer key: the same form posted twice is one
	// answer, a corrected form is a new one.
	Idem string
}

// problemLine is one reason a claim waits for a fix.
type problemLine struct{ Rule, Field, Message string }

// answerRoles are who may answer a task's update beyond the task routes'
// roles; it mirrors the API's taskAnswerRules (which enforces it).
func (a *App) answerRoles(update string) []string {
	if update == contract.UpdateApproveWriteOff {
		return a.Roles.Managers
	}
	return a.Roles.Billers
}

func (a *App) loadTaskView(ctx context.Context, q *Req, id string) (taskView, error) {
	t, err := a.tasks.Get(ctx, id)
	if err != nil {
		return taskView{}, err
	}
	u := q.User()
	v := taskView{T: t, Form: taskForm(t), Idem: uuid.NewString(), Open: t.Status != tasks.StatusDone && t.Status != tasks.StatusCancelled,
		Mine: t.AssigneeID != nil && *t.AssigneeID == u.ID, CanAnswer: q.Can(a.answerRoles(t.UpdateName))}
	if !v.CanAnswer {
		v.AnswerRoles = rolesLabel(a.answerRoles(t.UpdateName))
	}
	_ = json.Unmarshal(t.Details, &v.Details)
	if t.CaseID != nil {
		v.CaseHref = Prefix + "/cases/" + *t.CaseID
	}
	if t.WorkflowID != "" {
		v.WorkflowURL = a.WorkflowURL(t.WorkflowID)
	}
	if v.Events, err = a.tasks.Events(ctx, t.ID); err != nil {
		return v, err
	}
	if t.ClaimID != nil {
		if err := a.loadTaskClaim(ctx, &v, *t.ClaimID); err != nil {
			return v, err
		}
	}
	if t.PatientID != nil {
		var name string
		if err := a.DB.WithContext(ctx).Raw(`SELECT first_name || ' ' || last_name FROM patients WHERE id = ?`, *t.PatientID).
			Scan(&name).Error; err != nil {
			return v, err
		}
		v.PatientName = name
	}
	v.Decisions = []Option{{Value: contract.DecisionAppeal, Label: "Appeal (next level, with a letter)"},
		{Value: contract.DecisionResubmit, Label: "Resubmit a corrected claim"},
		{Value: contract.DecisionWriteOff, Label: "Write off (a manager approves)"},
		{Value: contract.DecisionTransfer, Label: "Transfer the balance to the patient"}}
	for _, o := range contract.FollowUpOutcomes {
		v.FollowUps = append(v.FollowUps, Option{Value: o, Label: strings.ReplaceAll(o, "_", " ")})
	}
	labels := map[string]string{contract.DecisionApprove: "Approve", contract.DecisionCounter: "Counter with another reduction",
		contract.DecisionRefuse: "Refuse"}
	if ds, ok := v.Details["decisions"].([]any); ok {
		for _, d := range ds {
			if s, ok := d.(string); ok && labels[s] != "" {
				v.Approvals = append(v.Approvals, Option{Value: s, Label: labels[s]})
			}
		}
	}
	v.Disputes = []Option{{Value: contract.DisputeResume, Label: "Resume: the balance stands"},
		{Value: contract.DisputeAdjust, Label: "Adjust the balance by an amount"},
		{Value: contract.DisputeWriteOff, Label: "Write the balance off"}}
	return v, nil
}

// loadTaskClaim adds the claim a task is about: its lines, payer, what is
// open, why it waits (the workflow's problems, else the task's), and the
// case's coverages a fix may re-point it at.
func (a *App) loadTaskClaim(ctx context.Context, v *taskView, claimID string) error {
	cl, lines, err := a.claims.Get(ctx, claimID)
	if err != nil {
		return err
	}
	v.Claim, v.Lines, v.ClaimOpen = &cl, lines, claims.Open(cl)
	v.ClaimHref = Prefix + "/claims/" + cl.ID
	if v.WorkflowURL == "" {
		v.WorkflowURL = a.WorkflowURL(contract.ClaimWorkflowID(cl.ID))
	}
	g := a.DB.WithContext(ctx)
	if err := g.Raw(`SELECT name FROM payers WHERE id = ?`, cl.PayerID).Scan(&v.PayerName).Error; err != nil {
		return err
	}
	if st, err := a.claimState(ctx, cl.ID); err == nil && st != nil {
		for _, p := range st.Problems {
			v.Problems = append(v.Problems, problemLine{Rule: p.Rule, Field: p.Field, Message: p.Message})
		}
		v.Denial = st.Denial
		if st.Waiting != nil {
			v.Waiting = st.Waiting.For
		}
	}
	if len(v.Problems) == 0 {
		if fs, ok := v.Details["failures"].([]any); ok {
			for _, f := range fs {
				if m, ok := f.(map[string]any); ok {
					v.Problems = append(v.Problems, problemLine{Rule: str(m["rule"]), Field: str(m["field"]), Message: str(m["message"])})
				}
			}
		}
		if r := str(v.Details["reason"]); r != "" && v.T.Queue == tasks.QueueRejections {
			v.Problems = append(v.Problems, problemLine{Rule: "payer_rejection", Field: "claim", Message: str(v.Details["source"]) + ": " + r})
		}
	}
	covs, err := a.records.ListCoverages(ctx, cl.CaseID)
	if err != nil {
		return err
	}
	for _, c := range covs {
		var payer string
		if err := g.Raw(`SELECT name FROM payers WHERE id = ?`, c.PayerID).Scan(&payer).Error; err != nil {
			return err
		}
		label := payer + " · " + c.Priority + " · member " + string(c.MemberID) + " (" + c.Status + ")"
		if c.ID == cl.CoverageID {
			label += " — on the claim now"
		}
		v.Coverages = append(v.Coverages, Option{Value: c.ID, Label: label})
	}
	return nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// claimState is the claim workflow's live state (nil when it cannot be read:
// the page still shows the records).
func (a *App) claimState(ctx context.Context, claimID string) (*contract.ClaimState, error) {
	if a.Temporal == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	res, err := a.Temporal.QueryWorkflow(ctx, contract.ClaimWorkflowID(claimID), "", contract.QueryClaimState)
	if err != nil {
		return nil, err
	}
	var st contract.ClaimState
	if err := res.Get(&st); err != nil {
		return nil, err
	}
	return &st, nil
}

// taskFormDefaults fills the answer form from the task: the fix form starts
// from the claim as it is.
func taskFormDefaults(v taskView) *Form {
	f := NewForm("answer")
	f.Set("next", "1")
	if v.Claim != nil {
		f.Set("coverage_id", v.Claim.CoverageID)
		f.Set("diagnoses", strings.Join(v.Claim.Diagnoses, ", "))
		for i, l := range v.Lines {
			f.Set(lineField(i, "procedure_code"), l.ProcedureCode)
			f.Set(lineField(i, "modifiers"), strings.Join(l.Modifiers, ", "))
			f.Set(lineField(i, "units"), strconv.Itoa(l.Units))
			f.Set(lineField(i, "diagnosis_pointers"), joinInts(l.DiagnosisPointers))
		}
	}
	if v.Form == "decide" {
		f.Set("action", contract.DecisionAppeal)
	}
	if v.Form == "approve" {
		f.Set("approve", "true")
	}
	if v.Form == "legal-approval" {
		f.Set("decision", contract.DecisionApprove)
	}
	return f
}

// lineField names the fix form's input for a field of the i-th claim line
// (line1_units): one input per line field, each with its own id.
func lineField(i int, name string) string { return "line" + strconv.Itoa(i+1) + "_" + name }

// LineField is lineField for the template.
func (taskView) LineField(i int, name string) string { return lineField(i, name) }

// lineErrorRe matches the fix's error fields of a claim line: lines[0].units,
// fix.lines[1].modifiers[2].
var lineErrorRe = regexp.MustCompile(`^(?:fix\.)?lines\[(\d+)\]\.(.+)$`)

// formFields renames the fix's error fields (as the API names them) to the
// form's inputs, so each error sits on its input.
func formFields(p *Problem) {
	for i, e := range p.Errors {
		field := strings.TrimPrefix(e.Field, "fix.")
		if m := lineErrorRe.FindStringSubmatch(e.Field); m != nil {
			n, _ := strconv.Atoi(m[1])
			field = lineField(n, m[2])
		}
		p.Errors[i].Field = field
	}
}

func joinInts(ns []int64) string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(out, ", ")
}

func (a *App) taskPage(q *Req) {
	if !q.onlyParams() {
		return
	}
	v, err := a.loadTaskView(q.Ctx(), q, q.Param("id"))
	if err != nil {
		q.Fail(err)
		return
	}
	// The page names the patient and shows their claim: a read of their record.
	if v.T.PatientID != nil && !q.readPatients(*v.T.PatientID) {
		return
	}
	q.RenderForm(http.StatusOK, "work_task.html", v.T.Title, taskFormDefaults(v), v)
}

// answerTask answers the task from its form: the form becomes the update's
// argument, and the answer goes the API's way (TaskAnswerer). Then, unless
// unticked, straight on to the next task.
func (a *App) answerTask(q *Req) {
	f := q.PostedForm("answer", "note", "argument")
	v, err := a.loadTaskView(q.Ctx(), q, q.Param("id"))
	if err != nil {
		q.Fail(err)
		return
	}
	title := v.T.Title
	if !f.Valid() {
		q.RenderForm(http.StatusBadRequest, "work_task.html", title, f, v)
		return
	}
	outcome, ok := answerOutcome(v, f)
	if !ok {
		q.RenderForm(http.StatusBadRequest, "work_task.html", title, f, v)
		return
	}
	raw, _ := json.Marshal(outcome)
	// The form's token makes a double-submitted form one answer.
	key := f.Get("idem")
	if uuid.Validate(key) != nil {
		key = uuid.NewString()
	}
	if _, err := a.Ops.AnswerTask(q.Ctx(), v.T.ID, raw, f.Get("note"), q.User(), q.Actor(), key); err != nil {
		if p := ProblemOf(err); p != nil && p.Status == http.StatusConflict {
			p.Title = "This task can no longer be answered here"
			if now, err := a.tasks.Get(q.Ctx(), v.T.ID); err == nil && (now.Status == tasks.StatusDone || now.Status == tasks.StatusCancelled) {
				p.Detail = "It was " + now.Status + " while this page was open (" + now.Resolution + "), so nothing waits " +
					"for this answer any more. Nothing was saved."
				v.T, v.Open = now, false
			}
			f.SetProblem(p)
			q.RenderForm(http.StatusConflict, "work_task.html", title, f, v)
			return
		}
		if p := ProblemOf(err); p != nil && p.Status == http.StatusBadRequest {
			formFields(p)
			f.SetProblem(p)
			q.RenderForm(p.Status, "work_task.html", title, f, v)
			return
		}
		q.Fail(err)
		return
	}
	done := "Done: " + title + "."
	if f.Get("next") != "" {
		a.claimNextAndGo(q, "", done)
		return
	}
	q.Redirect(Prefix+"/work", done)
}

// answerOutcome turns the answer form into the update's argument; false after
// recording what is wrong with the form.
func answerOutcome(v taskView, f *Form) (map[string]any, bool) {
	note := f.Get("note")
	switch v.Form {
	case "fix":
		fix, ok := fixFromForm(v, f)
		return map[string]any{"fix": fix}, ok
	case "decide":
		out := map[string]any{"action": f.Get("action"), "note": note}
		if arg := f.Get("argument"); arg != "" {
			out["argument"] = arg
		}
		if f.Get("action") == "" {
			f.Add("action", "is required: choose what to do with the denial")
		}
		return out, f.Valid()
	case "approve":
		switch f.Get("approve") {
		case "true", "false":
		default:
			f.Add("approve", "is required: approve or refuse the write-off")
			return nil, false
		}
		return map[string]any{"approve": f.Get("approve") == "true", "note": note}, true
	case "follow-up":
		out := map[string]any{"outcome": f.Get("outcome"), "note": note}
		if d := f.Get("next_follow_up"); d != "" {
			out["next_follow_up"] = d
		}
		if f.Get("outcome") == "" {
			f.Add("outcome", "is required: what did the attorney's office say?")
		}
		return out, f.Valid()
	case "dispute":
		out := map[string]any{"outcome": f.Get("outcome"), "note": note}
		if amt := f.Get("amount"); amt != "" {
			d, err := decimal.NewFromString(amt)
			if err != nil {
				f.Add("amount", "must be an amount like 25.00")
				return nil, false
			}
			out["amount"] = d
		}
		if f.Get("outcome") == "" {
			f.Add("outcome", "is required: resume, adjust or write off")
		}
		return out, f.Valid()
	case "legal-approval":
		out := map[string]any{"decision": f.Get("decision"), "note": note}
		if f.Get("decision") == "" {
			f.Add("decision", "is required: approve, counter or refuse")
		}
		if f.Get("decision") == contract.DecisionCounter {
			d, err := decimal.NewFromString(f.Get("counter_reduction"))
			if err != nil || !d.IsPositive() {
				f.Add("counter_reduction", "must be the reduction you grant instead, like 500.00")
			} else {
				out["counter_reduction"] = d
			}
		}
		return out, f.Valid()
	case "outcome":
		var out map[string]any
		if err := json.Unmarshal([]byte(f.Get("outcome_json")), &out); err != nil || out == nil {
			f.Add("outcome_json", "must be a JSON object: the argument of the %s update", v.T.UpdateName)
			return nil, false
		}
		return out, true
	}
	f.Add("note", "this task is closed with a resolution, not answered")
	return nil, false
}

// fixFromForm reads the fix form: only what changed from the claim goes into
// the fix (claims.Fix), so an untouched line stays as it is.
func fixFromForm(v taskView, f *Form) (claims.Fix, bool) {
	fix := claims.Fix{Note: f.Get("note")}
	if v.Claim == nil {
		f.Add("note", "this task names no claim to fix")
		return fix, false
	}
	if c := f.Get("coverage_id"); c != "" && c != v.Claim.CoverageID {
		fix.CoverageID = c
	}
	if dx := f.List("diagnoses"); !slices.Equal(dx, []string(v.Claim.Diagnoses)) {
		fix.Diagnoses = dx
	}
	for i, l := range v.Lines {
		p := func(name string) string { return lineField(i, name) }
		lf := claims.LineFix{LineNumber: l.LineNumber}
		changed := false
		if code := strings.ToUpper(f.Get(p("procedure_code"))); code != "" && code != l.ProcedureCode {
			lf.ProcedureCode, changed = &code, true
		}
		if mods := f.List(p("modifiers")); !slices.Equal(mods, []string(l.Modifiers)) && !(len(mods) == 0 && len(l.Modifiers) == 0) {
			if mods == nil {
				mods = []string{}
			}
			lf.Modifiers, changed = mods, true
		}
		if u := f.Get(p("units")); u != "" && u != strconv.Itoa(l.Units) {
			n, err := strconv.Atoi(u)
			if err != nil {
				f.Add(p("units"), "must be a whole number")
				continue
			}
			lf.Units, changed = &n, true
		}
		if ptrs := f.List(p("diagnosis_pointers")); strings.Join(ptrs, ", ") != joinInts(l.DiagnosisPointers) {
			for _, s := range ptrs {
				n, err := strconv.Atoi(s)
				if err != nil {
					f.Add(p("diagnosis_pointers"), "must be numbers like 1, 2")
					break
				}
				lf.DiagnosisPointers = append(lf.DiagnosisPointers, n)
			}
			changed = changed || len(lf.DiagnosisPointers) > 0
		}
		if changed {
			fix.Lines = append(fix.Lines, lf)
		}
	}
	return fix, f.Valid()
}

// resolveTask closes a task no workflow waits on, with a resolution
// (tasks.Complete, as POST /tasks/{id}/complete with a resolution).
func (a *App) resolveTask(q *Req) {
	f := q.PostedForm("answer", "resolution", "note")
	v, err := a.loadTaskView(q.Ctx(), q, q.Param("id"))
	if err != nil {
		q.Fail(err)
		return
	}
	if v.T.Answered() {
		f.SetProblem(&Problem{Status: http.StatusConflict, Title: "This task is answered, not resolved",
			Detail: "The workflow " + v.T.WorkflowID + " waits for this task's answer: use the form below it."})
		q.RenderForm(http.StatusConflict, "work_task.html", v.T.Title, f, v)
		return
	}
	if f.Valid() && f.Get("resolution") == "" {
		f.Add("resolution", "is required: say how the task was resolved")
	}
	if !f.Valid() {
		q.RenderForm(http.StatusBadRequest, "work_task.html", v.T.Title, f, v)
		return
	}
	if _, err := a.tasks.Complete(q.Ctx(), v.T.ID, f.Get("resolution"), f.Get("note"), q.Actor()); err != nil {
		q.FormFailed("work_task.html", v.T.Title, f, v, err)
		return
	}
	done := "Done: " + v.T.Title + "."
	if f.Get("next") != "" {
		a.claimNextAndGo(q, "", done)
		return
	}
	q.Redirect(Prefix+"/work", done)
}

// isManager says whether the user acts as a manager on tasks (releasing or
// snoozing another's task), as the API's isManager.
func (a *App) isManager(q *Req) bool { return q.Can(a.Roles.Managers) }

func (a *App) releaseTask(q *Req) {
	f := q.PostedForm("release", "note")
	if !f.Valid() {
		q.Fail(f.Errors)
		return
	}
	if _, err := a.tasks.Release(q.Ctx(), q.Param("id"), f.Get("note"), q.Actor(), a.isManager(q)); err != nil {
		q.Fail(err)
		return
	}
	q.Redirect(Prefix+"/work", "Released back to its queue.")
}

func (a *App) snoozeTask(q *Req) {
	f := q.PostedForm("snooze", "note")
	if !f.Valid() {
		q.Fail(f.Errors)
		return
	}
	until, err := time.ParseInLocation("2006-01-02T15:04", f.Get("until"), time.UTC)
	if err != nil {
		q.Fail(validate.Errors{{Field: "until", Message: "must be a date and time (UTC)"}})
		return
	}
	if _, err := a.tasks.Snooze(q.Ctx(), q.Param("id"), until, f.Get("note"), q.Actor(), a.isManager(q)); err != nil {
		if apperr.CodeOf(err) == apperr.Invalid || apperr.CodeOf(err) == apperr.Conflict {
			q.Redirect(Prefix+"/work/tasks/"+q.Param("id"), "Not snoozed: "+err.Error())
			return
		}
		q.Fail(err)
		return
	}
	q.Redirect(Prefix+"/work", "Snoozed until "+until.Format("Jan 2 15:04")+" UTC.")
}
