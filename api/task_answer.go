package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/api/serviceerror"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
)

// AnswerTask sends a person's answer to the workflow waiting on a task, as the
// update that answers it, and returns the update's result. The outcome is the
// update's argument (a JSON object; the server adds who answers), the note is
// kept on the task, and key makes a retried answer the same update (an
// Idempotency-Key). It is the one path for
// POST /tasks/{id}/complete and the web application's task pages, so both
// check the same things: the task is open or claimed by the user, the user's
// role may answer it (taskAnswerRules), the outcome has the fields the update
// cannot do without; and both say the same when the workflow has finished
// (a conflict: nothing waits for the answer any more). Errors carry apperr codes.
func (s *Server) AnswerTask(ctx context.Context, taskID string, outcome json.RawMessage, note string, u auth.User,
	actor audit.Actor, key string) (json.RawMessage, error) {
	in := struct {
		TaskID  string
		Outcome json.RawMessage
		Note    string
		User    auth.User
		Actor   audit.Actor
		Key     string
	}{taskID, outcome, note, u, actor, key}
	t, err := s.tasks.Get(ctx, in.TaskID)
	if err != nil {
		return nil, err
	}
	if !t.Answered() {
		return nil, apperr.New(apperr.Conflict, "no workflow waits on this task: close it with a resolution")
	}
	if len(in.Outcome) == 0 {
		return nil, apperr.New(apperr.Conflict, fmt.Sprintf("the workflow %s waits for this task's answer: complete it "+
			"with an outcome (the argument of its %s update); the task then closes itself", t.WorkflowID, t.UpdateName))
	}
	if !t.OpenFor(in.User.ID) {
		return nil, tasks.ErrNotClaimable
	}
	rule := taskAnswerRules[t.UpdateName]
	if rule.roles != nil && !slices.Contains(rule.roles, in.User.Role) {
		return nil, apperr.New(apperr.Forbidden, "the role "+in.User.Role+" may not answer this task; allowed: "+
			strings.Join(rule.roles, ", "))
	}
	var arg map[string]any
	if err := json.Unmarshal(in.Outcome, &arg); err != nil || arg == nil {
		return nil, validate.Errors{{Field: "outcome", Message: "must be an object"}}
	}
	var errs validate.Errors
	for _, f := range rule.required {
		_, ok := arg[f]
		errs.Check(ok, "outcome."+f, "is required")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	arg["actor"] = in.Actor
	if _, ok := arg["encounter_id"]; !ok && t.EncounterID != nil {
		arg["encounter_id"] = *t.EncounterID
	}
	var answer json.RawMessage
	err = s.update(ctx, answerWait, t.WorkflowID, t.UpdateName, derivedID(t.ID, t.UpdateName, in.Key), arg, &answer)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, apperr.New(apperr.Conflict, "the workflow "+t.WorkflowID+" that waited on this task is no longer "+
			"running: it has finished, so nothing waits for this answer")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, apperr.Errorf(apperr.Unavailable, "the workflow %s did not answer within %s; retry with the same "+
			"Idempotency-Key: %w", t.WorkflowID, answerWait, err)
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.tasks.RecordAnswer(ctx, t.ID, in.Outcome, in.Note, in.Actor); err != nil {
		// The workflow has the answer and moved on; the task row only misses
		// who answered and how.
		s.Logger.Error("task answered but its outcome not recorded", "task_id", t.ID, "request_id", in.Actor.RequestID,
			"error", err)
	}
	return answer, nil
}
