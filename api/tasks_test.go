package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/tasks"
)

func init() {
	// The work queue routes' request bodies (TestOpenAPIDocumentsTextLimits).
	for name, v := range map[string]any{"TaskNoteRequest": noteRequest{}, "AssignTaskRequest": assignRequest{},
		"SnoozeTaskRequest": snoozeRequest{}, "NewTeam": tasks.NewTeam{}, "TeamUpdate": tasks.TeamUpdate{},
		"TeamMemberRequest": memberRequest{}} {
		requestTypes[name] = v
	}
}

// queueAPI is the API over a fresh database, without Temporal (the work queue
// routes but answering a workflow's task need none), with one user per role.
type queueAPI struct {
	t       *testing.T
	s       *Server
	h       http.Handler
	tokens  map[string]string // by role name: biller, biller2, manager, admin
	userIDs map[string]string
}

func newQueueAPI(t *testing.T) *queueAPI {
	g := pgtest.New(t)
	s := New(g, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), 0)
	a := &queueAPI{t: t, s: s, h: s.Router(), tokens: map[string]string{}, userIDs: map[string]string{}}
	ctx := context.Background()
	for name, role := range map[string]string{"biller": auth.RoleBiller, "biller2": auth.RoleBiller,
		"manager": auth.RoleManager, "admin": auth.RoleAdmin, "front": auth.RoleFrontDesk} {
		u, err := s.auth.CreateUser(ctx, auth.NewUser{Email: name + "@test.local", Name: name, Role: role}, audit.System)
		require.NoError(t, err)
		tok, err := s.auth.IssueToken(ctx, u.ID, "test", audit.System)
		require.NoError(t, err)
		a.tokens[name], a.userIDs[name] = tok, u.ID
	}
	return a
}

type apiAnswer struct {
	Status int
	Body   []byte
}

func (r apiAnswer) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), "%s", r.Body)
}

func (r apiAnswer) fields(t *testing.T) []string {
	t.Helper()
	var p Problem
	r.decode(t, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

func (a *queueAPI) do(who, method, path string, body any) apiAnswer {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(a.t, err)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+a.tokens[who])
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return apiAnswer{Status: rec.Code, Body: rec.Body.Bytes()}
}

func (a *queueAPI) must(status int, who, method, path string, body any) apiAnswer {
	a.t.Helper()
	r := a.do(who, method, path, body)
	require.Equal(a.t, status, r.Status, "%s %s: %s", method, path, r.Body)
	return r
}

func (a *queueAPI) raise(queue string, priority int, due *time.Time) string {
	a.t.Helper()
	id, err := a.s.tasks.Ensure(context.Background(), tasks.NewTask{Queue: queue, Kind: "test", BusinessKey: uuid.NewString(),
		Title: "t", Priority: priority, DueAt: due})
	require.NoError(a.t, err)
	return id
}

func TestTeamsAPI(t *testing.T) {
	a := newQueueAPI(t)
	r := a.do("manager", "POST", "/api/v1/teams", map[string]any{"name": "", "queues": []string{"nope"},
		"manager_id": a.userIDs["biller"]})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	assert.ElementsMatch(t, []string{"name", "queues", "manager_id"}, r.fields(t))
	a.must(http.StatusForbidden, "biller", "POST", "/api/v1/teams", map[string]any{"name": "x"})

	var team tasks.Team
	a.must(http.StatusCreated, "manager", "POST", "/api/v1/teams", map[string]any{"name": "Denials",
		"manager_id": a.userIDs["manager"], "queues": []string{"denials"}}).decode(t, &team)
	a.must(http.StatusConflict, "manager", "POST", "/api/v1/teams", map[string]any{"name": "denials"})
	a.must(http.StatusOK, "manager", "POST", "/api/v1/teams/"+team.ID+"/members", map[string]any{"user_id": a.userIDs["biller"]})
	r = a.do("manager", "POST", "/api/v1/teams/"+team.ID+"/members", map[string]any{"user_id": uuid.NewString()})
	assert.Equal(t, []string{"user_id"}, r.fields(t))
	a.must(http.StatusOK, "manager", "PATCH", "/api/v1/teams/"+team.ID, map[string]any{"queues": []string{"denials", "rejections"}}).decode(t, &team)
	assert.Equal(t, []string{"denials", "rejections"}, team.Queues)
	assert.Equal(t, []string{a.userIDs["biller"]}, team.Members)

	var mine struct{ Items []tasks.Team }
	a.must(http.StatusOK, "biller", "GET", "/api/v1/teams?mine=true", nil).decode(t, &mine)
	require.Len(t, mine.Items, 1)
	a.must(http.StatusOK, "biller2", "GET", "/api/v1/teams?mine=true", nil).decode(t, &mine)
	assert.Empty(t, mine.Items)
	a.must(http.StatusOK, "biller", "GET", "/api/v1/teams/"+team.ID, nil)
	a.must(http.StatusNotFound, "biller", "GET", "/api/v1/teams/"+uuid.NewString(), nil)
	a.must(http.StatusOK, "manager", "DELETE", "/api/v1/teams/"+team.ID+"/members/"+a.userIDs["biller"], nil).decode(t, &team)
	assert.Empty(t, team.Members)
	a.must(http.StatusNotFound, "manager", "DELETE", "/api/v1/teams/"+team.ID+"/members/"+a.userIDs["biller"], nil)
}

func TestClaimNextAndTaskActionsAPI(t *testing.T) {
	a := newQueueAPI(t)
	a.must(http.StatusBadRequest, "biller", "POST", "/api/v1/tasks/claim-next", nil) // no queue, no team
	a.must(http.StatusCreated, "manager", "POST", "/api/v1/teams", map[string]any{"name": "Fix",
		"queues": []string{"claim-fix"}, "members": []string{a.userIDs["biller"]}, "manager_id": a.userIDs["manager"]})
	low := a.raise(tasks.QueueClaimFix, 1, nil)
	high := a.raise(tasks.QueueClaimFix, 3, nil)
	a.must(http.StatusForbidden, "front", "POST", "/api/v1/tasks/claim-next", nil)

	var got taskJSON
	a.must(http.StatusOK, "biller", "POST", "/api/v1/tasks/claim-next", nil).decode(t, &got)
	assert.Equal(t, high, got.ID, "over the caller's team queues, with no body")
	a.must(http.StatusOK, "biller2", "POST", "/api/v1/tasks/claim-next", map[string]any{"queue": "claim-fix"}).decode(t, &got)
	assert.Equal(t, low, got.ID)
	a.must(http.StatusNoContent, "biller2", "POST", "/api/v1/tasks/claim-next", map[string]any{"queue": "claim-fix"})

	a.must(http.StatusForbidden, "biller2", "POST", "/api/v1/tasks/"+high+"/release", nil)
	a.must(http.StatusOK, "biller", "POST", "/api/v1/tasks/"+high+"/release", map[string]any{"note": "not mine"}).decode(t, &got)
	assert.Equal(t, "open", got.Status)
	a.must(http.StatusConflict, "biller", "POST", "/api/v1/tasks/"+high+"/release", nil)

	a.must(http.StatusForbidden, "biller", "POST", "/api/v1/tasks/"+high+"/assign", map[string]any{"user_id": a.userIDs["biller2"]})
	r := a.do("manager", "POST", "/api/v1/tasks/"+high+"/assign", map[string]any{})
	assert.Equal(t, []string{"user_id"}, r.fields(t))
	a.must(http.StatusOK, "manager", "POST", "/api/v1/tasks/"+high+"/assign", map[string]any{"user_id": a.userIDs["biller2"]}).decode(t, &got)
	assert.Equal(t, a.userIDs["biller2"], *got.AssigneeID)

	r = a.do("biller2", "POST", "/api/v1/tasks/"+high+"/snooze", map[string]any{"until": "tomorrow"})
	assert.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	r = a.do("biller2", "POST", "/api/v1/tasks/"+high+"/snooze", map[string]any{"until": time.Now().Add(-time.Hour)})
	assert.Equal(t, []string{"until"}, r.fields(t))
	until := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	a.must(http.StatusOK, "biller2", "POST", "/api/v1/tasks/"+high+"/snooze", map[string]any{"until": until, "note": "payer calls back"}).decode(t, &got)
	assert.Equal(t, "snoozed", got.Status)
	assert.True(t, until.Equal(*got.SnoozedUntil))
	a.must(http.StatusConflict, "biller2", "POST", "/api/v1/tasks/"+high+"/complete", map[string]any{"resolution": "x"})

	a.must(http.StatusOK, "biller2", "POST", "/api/v1/tasks/"+low+"/complete", map[string]any{"resolution": "fixed", "note": "typo in NPI"}).decode(t, &got)
	assert.Equal(t, "done", got.Status)
	assert.Equal(t, "typo in NPI", got.Note)
	assert.Equal(t, a.userIDs["biller2"], *got.CompletedBy)

	var evs struct{ Items []tasks.Event }
	a.must(http.StatusOK, "biller", "GET", "/api/v1/tasks/"+high+"/events", nil).decode(t, &evs)
	var kinds []string
	for _, e := range evs.Items {
		kinds = append(kinds, e.Kind)
	}
	assert.Equal(t, []string{"created", "claimed", "released", "reassigned", "snoozed"}, kinds)
	assert.Equal(t, a.userIDs["manager"], *evs.Items[3].ActorID)
	a.must(http.StatusNotFound, "biller", "GET", "/api/v1/tasks/"+uuid.NewString()+"/events", nil)
	a.must(http.StatusNotFound, "biller", "GET", "/api/v1/tasks/not-a-task", nil)
	a.must(http.StatusOK, "biller", "GET", "/api/v1/tasks/"+high, nil).decode(t, &got)
	assert.Equal(t, "snoozed", got.Status)
}

func TestTaskListFiltersPagesAndEscalationsAPI(t *testing.T) {
	a := newQueueAPI(t)
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		ids = append(ids, a.raise(tasks.QueueDenials, 5-i, nil))
	}
	due := time.Now().Add(time.Minute)
	late := a.raise(tasks.QueueRejections, 0, &due)
	_, err := a.s.tasks.Sweep(ctx, due.Add(time.Second))
	require.NoError(t, err)

	type page struct {
		Items      []taskJSON
		Total      int
		NextCursor string `json:"next_cursor"`
	}
	var got []string
	next := "/api/v1/tasks?queue=denials&limit=2"
	for next != "" {
		var p page
		a.must(http.StatusOK, "biller", "GET", next, nil).decode(t, &p)
		assert.Equal(t, 5, p.Total)
		for _, it := range p.Items {
			got = append(got, it.ID)
		}
		next = ""
		if p.NextCursor != "" {
			next = "/api/v1/tasks?queue=denials&limit=2&cursor=" + p.NextCursor
		}
	}
	assert.Equal(t, ids, got)

	var p page
	a.must(http.StatusOK, "biller", "GET", "/api/v1/tasks?overdue=true", nil).decode(t, &p)
	require.Len(t, p.Items, 1)
	assert.Equal(t, late, p.Items[0].ID)
	assert.True(t, p.Items[0].Overdue)
	a.must(http.StatusOK, "biller", "GET", "/api/v1/tasks?queue=denials,rejections&older_than=1d&status=open", nil).decode(t, &p)
	assert.Zero(t, p.Total)
	a.must(http.StatusOK, "biller", "GET", "/api/v1/tasks?assignee=me&newer_than=2h", nil).decode(t, &p)
	assert.Zero(t, p.Total)

	r := a.do("biller", "GET", "/api/v1/tasks?queue=x&status=lost&assignee=bob&overdue=maybe&older_than=soon&team=1&cursor=zz&colour=red", nil)
	require.Equal(t, http.StatusBadRequest, r.Status)
	assert.Equal(t, []string{"colour"}, r.fields(t), "an unknown filter is refused first")
	r = a.do("biller", "GET", "/api/v1/tasks?queue=x&status=lost&assignee=bob&overdue=maybe&older_than=soon&team=1&cursor=zz", nil)
	assert.ElementsMatch(t, []string{"overdue", "older_than"}, r.fields(t))
	r = a.do("biller", "GET", "/api/v1/tasks?queue=x&status=lost&assignee=bob&team=1&cursor=zz", nil)
	assert.ElementsMatch(t, []string{"queue", "status", "assignee", "team", "cursor"}, r.fields(t))

	a.must(http.StatusForbidden, "biller", "GET", "/api/v1/tasks/escalations", nil)
	a.must(http.StatusOK, "manager", "GET", "/api/v1/tasks/escalations", nil).decode(t, &p)
	assert.Empty(t, p.Items, "the manager manages no team yet")
	a.must(http.StatusCreated, "manager", "POST", "/api/v1/teams", map[string]any{"name": "Rej",
		"queues": []string{"rejections"}, "manager_id": a.userIDs["manager"]})
	a.must(http.StatusOK, "manager", "GET", "/api/v1/tasks/escalations", nil).decode(t, &p)
	require.Len(t, p.Items, 1)
	assert.Equal(t, late, p.Items[0].ID)
	a.must(http.StatusOK, "admin", "GET", "/api/v1/tasks/escalations?queue=denials", nil).decode(t, &p)
	assert.Empty(t, p.Items)
}

func TestMyWorkAPI(t *testing.T) {
	a := newQueueAPI(t)
	a.must(http.StatusCreated, "manager", "POST", "/api/v1/teams", map[string]any{"name": "F/U",
		"queues": []string{"follow-up", "denials"}, "members": []string{a.userIDs["biller"]}})
	a.raise(tasks.QueueFollowUp, 0, nil)
	a.raise(tasks.QueueFollowUp, 1, nil)
	a.raise(tasks.QueueDenials, 0, nil)
	a.raise(tasks.QueueApprovals, 0, nil)
	var claimed taskJSON
	a.must(http.StatusOK, "biller", "POST", "/api/v1/tasks/claim-next", map[string]any{}).decode(t, &claimed)
	assert.Equal(t, tasks.QueueFollowUp, claimed.Queue)

	var w struct {
		Claimed  []taskJSON
		Teams    []tasks.Team
		Queues   []tasks.QueueCounts
		ClaimCap int `json:"claim_cap"`
	}
	a.must(http.StatusOK, "biller", "GET", "/api/v1/me/work?tz=America/Chicago", nil).decode(t, &w)
	require.Len(t, w.Claimed, 1)
	assert.Equal(t, claimed.ID, w.Claimed[0].ID)
	assert.Len(t, w.Teams, 1)
	assert.Equal(t, []tasks.QueueCounts{{Queue: "follow-up", Open: 1, Claimed: 1}, {Queue: "denials", Open: 1}}, w.Queues)
	assert.Positive(t, w.ClaimCap)
	r := a.do("biller", "GET", "/api/v1/me/work?tz=Mars/Olympus", nil)
	assert.Equal(t, []string{"tz"}, r.fields(t))
}
