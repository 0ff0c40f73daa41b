package tasks_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/tasks"
)

// world is a practice with one insurance visit billed on one claim, and users.
type world struct {
	db                                                        *gorm.DB
	svc                                                       *tasks.Service
	patient, kase, encounter, location, payer, claim, mvaCase string
}

func exec(t testing.TB, g *gorm.DB, sql string, args ...any) {
	t.Helper()
	require.NoError(t, g.Exec(sql, args...).Error, sql)
}

func newWorld(t *testing.T) world {
	t.Helper()
	g := pgtest.New(t)
	w := world{db: g, patient: uuid.NewString(), kase: uuid.NewString(), encounter: uuid.NewString(),
		location: uuid.NewString(), payer: uuid.NewString(), claim: uuid.NewString(), mvaCase: uuid.NewString()}
	policy := tasks.DefaultPolicy()
	w.svc = &tasks.Service{DB: g, Policy: &policy}
	provider, coverage := uuid.NewString(), uuid.NewString()
	exec(t, g, `INSERT INTO locations (id, name) VALUES (?, 'Main')`, w.location)
	exec(t, g, `INSERT INTO providers (id, first_name, last_name, npi) VALUES (?, 'A', 'B', '1234567893')`, provider)
	exec(t, g, `INSERT INTO payers (id, name, payer_id, type) VALUES (?, 'Payer', 'P1', 'commercial')`, w.payer)
	exec(t, g, `INSERT INTO patients (id, first_name, last_name, date_of_birth) VALUES (?, 'P', 'Q', '1980-01-01')`, w.patient)
	exec(t, g, `INSERT INTO cases (id, patient_id, kind) VALUES (?, ?, 'insurance'), (?, ?, 'mva')`, w.kase, w.patient, w.mvaCase, w.patient)
	exec(t, g, `INSERT INTO encounters (id, case_id, provider_id, location_id, service_date, checked_in_at)
		VALUES (?, ?, ?, ?, '2026-01-02', now())`, w.encounter, w.kase, provider, w.location)
	exec(t, g, `INSERT INTO coverages (id, case_id, payer_id, priority, member_id, effective_from)
		VALUES (?, ?, ?, 'primary', 'M1', '2025-01-01')`, coverage, w.kase, w.payer)
	exec(t, g, `INSERT INTO claims (id, case_id, encounter_id, coverage_id, payer_id, priority, patient_control_number,
		diagnoses, total_charge) VALUES (?, ?, ?, ?, ?, 'primary', 'PCN1', '{J06.9}', 100)`,
		w.claim, w.kase, w.encounter, coverage, w.payer)
	return w
}

func (w world) user(t testing.TB, role string) audit.Actor {
	t.Helper()
	id := uuid.NewString()
	exec(t, w.db, `INSERT INTO users (id, email, name, role) VALUES (?, ?, 'U', ?)`, id, id+"@test.local", role)
	return audit.Actor{UserID: id}
}

// raise raises a task in queue with priority; due, when set, is its deadline.
func (w world) raise(t testing.TB, queue string, priority int, due *time.Time) string {
	t.Helper()
	id, err := w.svc.Ensure(context.Background(), tasks.NewTask{Queue: queue, Kind: "test", BusinessKey: uuid.NewString(),
		CaseID: w.kase, Title: "t", Priority: priority, DueAt: due})
	require.NoError(t, err)
	return id
}

func (w world) events(t testing.TB, id string) []string {
	t.Helper()
	evs, err := w.svc.Events(context.Background(), id)
	require.NoError(t, err)
	kinds := make([]string, len(evs))
	for i, e := range evs {
		kinds[i] = e.Kind
	}
	return kinds
}

func TestRaisedTaskLinksWhatItsClaimKnowsAndIsDueByItsSLA(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	before := time.Now().UTC()
	id, err := w.svc.Ensure(ctx, tasks.NewTask{Queue: tasks.QueueDenials, Kind: tasks.KindDenied, BusinessKey: "denied:1",
		ClaimID: w.claim, Title: "Claim denied"})
	require.NoError(t, err)
	again, err := w.svc.Ensure(ctx, tasks.NewTask{Queue: tasks.QueueDenials, Kind: tasks.KindDenied, BusinessKey: "denied:1",
		ClaimID: w.claim, Title: "Claim denied"})
	require.NoError(t, err)
	assert.Equal(t, id, again, "the same business key is the same task")

	tk, err := w.svc.Get(ctx, id)
	require.NoError(t, err)
	for name, got := range map[string]*string{"case": tk.CaseID, "encounter": tk.EncounterID, "patient": tk.PatientID,
		"location": tk.LocationID, "payer": tk.PayerID} {
		require.NotNil(t, got, name)
	}
	assert.Equal(t, w.kase, *tk.CaseID)
	assert.Equal(t, w.encounter, *tk.EncounterID)
	assert.Equal(t, w.patient, *tk.PatientID)
	assert.Equal(t, w.location, *tk.LocationID)
	assert.Equal(t, w.payer, *tk.PayerID)
	require.NotNil(t, tk.DueAt)
	sla := tasks.DefaultPolicy().Within(tasks.QueueDenials, tasks.KindDenied)
	assert.Equal(t, 72*time.Hour, sla)
	assert.WithinDuration(t, before.Add(sla), *tk.DueAt, 5*time.Second)
	assert.Equal(t, []string{tasks.EventCreated}, w.events(t, id))

	soon := time.Now().Add(2 * time.Hour)
	id = w.raise(t, tasks.QueueFollowUp, 1, &soon)
	tk, _ = w.svc.Get(ctx, id)
	assert.WithinDuration(t, soon, *tk.DueAt, time.Millisecond, "a sooner deadline wins over the SLA")
	past := time.Now().Add(-time.Hour)
	id = w.raise(t, tasks.QueueCharges, 1, &past)
	tk, _ = w.svc.Get(ctx, id)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), *tk.DueAt, 5*time.Second, "a deadline already past is not the SLA")
}

func TestSLATableIsConfigurable(t *testing.T) {
	p, err := tasks.PolicyFromEnv(func(k string) string {
		return map[string]string{"TASK_SLA": "claim-fix=6h, denials/claim_denied=36h", "TASK_CLAIM_CAP": "3"}[k]
	})
	require.NoError(t, err)
	assert.Equal(t, 6*time.Hour, p.Within(tasks.QueueClaimFix, tasks.KindScrubFailed))
	assert.Equal(t, 36*time.Hour, p.Within(tasks.QueueDenials, tasks.KindDenied))
	assert.Equal(t, 24*time.Hour, p.Within(tasks.QueueDenials, tasks.KindAppealOverdue), "the kind's own line stays")
	assert.Equal(t, 3*24*time.Hour, p.Within(tasks.QueueDenials, "other"))
	assert.Equal(t, tasks.DefaultSLA, p.Within("not-a-queue", ""))
	assert.Equal(t, 3, p.ClaimCap)
	for _, bad := range []map[string]string{{"TASK_SLA": "nonsense=1h"}, {"TASK_SLA": "charges=soon"},
		{"TASK_SLA": "charges"}, {"TASK_CLAIM_CAP": "0"}, {"TASK_SWEEP_INTERVAL": "1ms"}} {
		_, err := tasks.PolicyFromEnv(func(k string) string { return bad[k] })
		assert.Error(t, err, "%v", bad)
	}
}

func TestClaimNextHandsOutOverdueThenPriorityThenOldest(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	biller := w.user(t, "biller")
	low := w.raise(t, tasks.QueueClaimFix, 1, nil)
	high := w.raise(t, tasks.QueueClaimFix, 5, nil)
	high2 := w.raise(t, tasks.QueueClaimFix, 5, nil)
	due := time.Now().Add(time.Hour)
	late := w.raise(t, tasks.QueueClaimFix, 0, &due)
	_ = w.raise(t, tasks.QueueDenials, 9, nil)
	_, err := w.svc.Sweep(ctx, due.Add(time.Second))
	require.NoError(t, err)

	var got []string
	for range 4 {
		tk, err := w.svc.ClaimNext(ctx, tasks.QueueClaimFix, biller)
		require.NoError(t, err)
		assert.Equal(t, tasks.StatusClaimed, tk.Status)
		got = append(got, tk.ID)
	}
	assert.Equal(t, []string{late, high, high2, low}, got)
	_, err = w.svc.ClaimNext(ctx, tasks.QueueClaimFix, biller)
	assert.ErrorIs(t, err, tasks.ErrNotFound, "the queue is empty")
	_, err = w.svc.ClaimNext(ctx, "nonsense", biller)
	assert.Equal(t, apperr.Invalid, apperr.CodeOf(err))
	assert.Equal(t, []string{tasks.EventCreated, tasks.EventEscalated, tasks.EventClaimed}, w.events(t, late))
}

func TestFiftyClientsClaimingAtOnceNeverGetTheSameTask(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	const clients, open = 50, 40
	for i := range open {
		w.raise(t, tasks.QueueRejections, i%3, nil)
	}
	users := make([]audit.Actor, clients)
	for i := range users {
		users[i] = w.user(t, "biller")
	}
	var (
		mu    sync.Mutex
		seen  = map[string]int{}
		empty int
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range clients {
		wg.Go(func() {
			<-start
			tk, err := w.svc.ClaimNext(ctx, tasks.QueueRejections, users[i])
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, tasks.ErrNotFound):
				empty++
			case err != nil:
				t.Errorf("client %d: %v", i, err)
			default:
				seen[tk.ID]++
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Len(t, seen, open, "every open task went to someone")
	for id, n := range seen {
		assert.Equal(t, 1, n, "task %s was handed out %d times", id, n)
	}
	assert.Equal(t, clients-open, empty)
	var claimed int64
	require.NoError(t, w.db.Model(&tasks.Task{}).Where("status = 'claimed'").Distinct("assignee_id").Count(&claimed).Error)
	assert.EqualValues(t, open, claimed, "forty different holders")
}

func TestClaimCapAndClaimingOverMyTeamsQueues(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	policy := tasks.DefaultPolicy()
	policy.ClaimCap = 2
	w.svc.Policy = &policy
	biller, manager := w.user(t, "biller"), w.user(t, "manager")

	_, err := w.svc.ClaimNext(ctx, "", biller)
	assert.Equal(t, apperr.Invalid, apperr.CodeOf(err), "no queue and no team")

	team, err := w.svc.CreateTeam(ctx, tasks.NewTeam{Name: "Denials", ManagerID: manager.UserID,
		Queues: []string{tasks.QueueDenials, tasks.QueueRejections}, Members: []string{biller.UserID}}, manager)
	require.NoError(t, err)
	assert.Equal(t, []string{tasks.QueueDenials, tasks.QueueRejections}, team.Queues)
	_ = w.raise(t, tasks.QueueClaimFix, 9, nil) // not the team's queue
	den := w.raise(t, tasks.QueueDenials, 1, nil)
	rej := w.raise(t, tasks.QueueRejections, 2, nil)
	_ = w.raise(t, tasks.QueueRejections, 0, nil)

	first, err := w.svc.ClaimNext(ctx, "", biller)
	require.NoError(t, err)
	assert.Equal(t, rej, first.ID, "the most urgent over both queues")
	second, err := w.svc.ClaimNext(ctx, "", biller)
	require.NoError(t, err)
	assert.Equal(t, den, second.ID)
	_, err = w.svc.ClaimNext(ctx, "", biller)
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err), "the cap of two")
	assert.Contains(t, err.Error(), "2 claimed tasks")

	_, err = w.svc.Release(ctx, first.ID, "", biller, false)
	require.NoError(t, err)
	third, err := w.svc.ClaimNext(ctx, "", biller)
	require.NoError(t, err, "releasing one makes room")
	assert.Equal(t, rej, third.ID)
}

func TestReleaseAssignSnoozeAndCompleteAreTheTaskHistory(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	a, b, manager := w.user(t, "biller"), w.user(t, "biller"), w.user(t, "manager")
	id := w.raise(t, tasks.QueueClaimFix, 1, nil)

	_, err := w.svc.ClaimNext(ctx, tasks.QueueClaimFix, a)
	require.NoError(t, err)
	_, err = w.svc.Release(ctx, id, "", b, false)
	assert.Equal(t, apperr.Forbidden, apperr.CodeOf(err), "b does not hold it")
	tk, err := w.svc.Release(ctx, id, "", a, false)
	require.NoError(t, err)
	assert.Equal(t, tasks.StatusOpen, tk.Status)
	assert.Nil(t, tk.AssigneeID)
	_, err = w.svc.Release(ctx, id, "", a, false)
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err), "an open task is not released")

	tk, err = w.svc.Assign(ctx, id, b.UserID, "b knows this payer", manager)
	require.NoError(t, err)
	assert.Equal(t, tasks.StatusClaimed, tk.Status)
	assert.Equal(t, b.UserID, *tk.AssigneeID)
	_, err = w.svc.Assign(ctx, id, uuid.NewString(), "", manager)
	assert.Equal(t, apperr.Invalid, apperr.CodeOf(err), "no such user")

	_, err = w.svc.Snooze(ctx, id, time.Now().Add(-time.Minute), "", b, false)
	assert.Equal(t, apperr.Invalid, apperr.CodeOf(err), "snooze into the past")
	_, err = w.svc.Snooze(ctx, id, time.Now().Add(time.Hour), "", a, false)
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err), "a does not hold it")
	until := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	tk, err = w.svc.Snooze(ctx, id, until, "payer calls back at 3", b, false)
	require.NoError(t, err)
	assert.Equal(t, tasks.StatusSnoozed, tk.Status)
	require.NotNil(t, tk.SnoozedUntil)
	assert.WithinDuration(t, until, *tk.SnoozedUntil, 0)

	_, err = w.svc.Sweep(ctx, until.Add(time.Second))
	require.NoError(t, err)
	tk, err = w.svc.Complete(ctx, id, "called the payer", "resubmitted", b)
	require.NoError(t, err)
	assert.Equal(t, tasks.StatusDone, tk.Status)
	assert.Equal(t, b.UserID, *tk.CompletedBy)
	_, err = w.svc.Complete(ctx, id, "again", "", b)
	assert.ErrorIs(t, err, tasks.ErrNotClaimable)

	evs, err := w.svc.Events(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, []string{"created", "claimed", "released", "reassigned", "snoozed", "woke", "completed"}, w.events(t, id))
	assert.Nil(t, evs[0].ActorID, "the system raised it")
	assert.Equal(t, a.UserID, *evs[1].ActorID)
	assert.Equal(t, manager.UserID, *evs[3].ActorID)
	assert.Equal(t, b.UserID, *evs[3].AssigneeID)
	var detail map[string]any
	require.NoError(t, json.Unmarshal(evs[4].Detail, &detail))
	assert.Equal(t, "payer calls back at 3", detail["note"])
	assert.Nil(t, evs[5].ActorID, "the sweep woke it")
	assert.Equal(t, tasks.StatusClaimed, evs[5].ToStatus, "back to whoever held it")

	_, err = w.svc.Events(ctx, uuid.NewString())
	assert.ErrorIs(t, err, tasks.ErrNotFound)
}

func TestSnoozedTaskReturnsOnTime(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id := w.raise(t, tasks.QueueFollowUp, 0, nil)
	until := time.Now().Add(30 * time.Minute)
	_, err := w.svc.Snooze(ctx, id, until, "", w.user(t, "biller"), false)
	require.NoError(t, err)

	r, err := w.svc.Sweep(ctx, until.Add(-time.Second))
	require.NoError(t, err)
	assert.Zero(t, r.Woken)
	require.NotNil(t, r.Next)
	assert.WithinDuration(t, until, *r.Next, time.Millisecond, "the sweep knows when to come back")
	tk, _ := w.svc.Get(ctx, id)
	assert.Equal(t, tasks.StatusSnoozed, tk.Status)

	r, err = w.svc.Sweep(ctx, until)
	require.NoError(t, err)
	assert.Equal(t, 1, r.Woken)
	tk, _ = w.svc.Get(ctx, id)
	assert.Equal(t, tasks.StatusOpen, tk.Status, "an open task snoozed comes back open")
	assert.Nil(t, tk.SnoozedUntil)
}

func TestOverdueTaskIsEscalatedExactlyOnce(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	manager, other := w.user(t, "manager"), w.user(t, "manager")
	_, err := w.svc.CreateTeam(ctx, tasks.NewTeam{Name: "Fixers", ManagerID: manager.UserID, Queues: []string{tasks.QueueClaimFix}}, manager)
	require.NoError(t, err)
	due := time.Now().Add(time.Hour)
	id := w.raise(t, tasks.QueueClaimFix, 2, &due)
	notYet := time.Now().Add(3 * time.Hour)
	_ = w.raise(t, tasks.QueueClaimFix, 2, &notYet)

	r, err := w.svc.Sweep(ctx, due.Add(-time.Second))
	require.NoError(t, err)
	assert.Zero(t, r.Escalated, "not due yet")

	var wg sync.WaitGroup
	results := make([]tasks.SweepResult, 5)
	for i := range results {
		wg.Go(func() {
			var err error
			results[i], err = w.svc.Sweep(ctx, due.Add(time.Duration(i)*time.Minute))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	total := 0
	for _, r := range results {
		total += r.Escalated
	}
	assert.Equal(t, 1, total, "five sweeps, concurrent and later, escalate it once")

	tk, _ := w.svc.Get(ctx, id)
	assert.True(t, tk.Overdue)
	assert.Equal(t, 2+tasks.DefaultPolicy().EscalationBoost, tk.Priority, "priority raised once")
	require.NotNil(t, tk.EscalatedAt)
	assert.Equal(t, []string{tasks.EventCreated, tasks.EventEscalated}, w.events(t, id))

	page, err := w.svc.Escalations(ctx, manager.UserID, tasks.Filter{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, id, page.Items[0].ID)
	page, err = w.svc.Escalations(ctx, other.UserID, tasks.Filter{})
	require.NoError(t, err)
	assert.Empty(t, page.Items, "another manager's teams do not work this queue")
	page, err = w.svc.Escalations(ctx, "", tasks.Filter{})
	require.NoError(t, err)
	assert.Len(t, page.Items, 1, "an admin sees every escalation")
}

func TestListFiltersAndKeysetPages(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	biller := w.user(t, "biller")
	var want []string
	for i := range 7 {
		want = append(want, w.raise(t, tasks.QueueClaimFix, 10-i, nil))
	}
	mva, err := w.svc.Ensure(ctx, tasks.NewTask{Queue: tasks.QueueClaimFix, Kind: "other", BusinessKey: "mva", CaseID: w.mvaCase, Title: "t"})
	require.NoError(t, err)
	claimTask, err := w.svc.Ensure(ctx, tasks.NewTask{Queue: tasks.QueueDenials, Kind: tasks.KindDenied, BusinessKey: "c", ClaimID: w.claim, Title: "t"})
	require.NoError(t, err)

	var got []string
	f := tasks.Filter{Queues: []string{tasks.QueueClaimFix}, Kinds: []string{"test"}, Limit: 3}
	for {
		page, err := w.svc.Find(ctx, f)
		require.NoError(t, err)
		assert.EqualValues(t, 7, page.Total)
		for _, tk := range page.Items {
			got = append(got, tk.ID)
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
		// A task claimed between pages neither shifts nor repeats the rest.
		if len(got) == 3 {
			_, err := w.svc.ClaimNext(ctx, tasks.QueueClaimFix, biller)
			require.NoError(t, err)
		}
	}
	assert.Equal(t, want, got)

	count := func(f tasks.Filter) []string {
		t.Helper()
		page, err := w.svc.Find(ctx, f)
		require.NoError(t, err)
		ids := []string{}
		for _, tk := range page.Items {
			ids = append(ids, tk.ID)
		}
		assert.EqualValues(t, len(ids), page.Total)
		return ids
	}
	assert.Equal(t, []string{mva}, count(tasks.Filter{CaseKind: "mva"}))
	assert.Equal(t, []string{claimTask}, count(tasks.Filter{PayerID: w.payer}))
	assert.Len(t, count(tasks.Filter{LocationID: w.location}), 1)
	assert.Equal(t, []string{want[0]}, count(tasks.Filter{AssigneeID: biller.UserID}))
	assert.Len(t, count(tasks.Filter{AssigneeID: tasks.AssigneeNone}), 8)
	assert.Len(t, count(tasks.Filter{Status: []string{tasks.StatusClaimed}}), 1)
	assert.Len(t, count(tasks.Filter{OlderThan: time.Hour}), 0)
	assert.Len(t, count(tasks.Filter{NewerThan: time.Hour}), 9)
	no := false
	assert.Len(t, count(tasks.Filter{Overdue: &no}), 9)

	_, err = w.svc.Find(ctx, tasks.Filter{Queues: []string{"nope"}, Cursor: "!!", Status: []string{"lost"}})
	var fields []string
	for _, fe := range apperr.Fields(err) {
		fields = append(fields, fe.Field)
	}
	assert.ElementsMatch(t, []string{"queue", "status", "cursor"}, fields)
}

func TestMyWorkCountsPerQueue(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	biller, manager := w.user(t, "biller"), w.user(t, "manager")
	team, err := w.svc.CreateTeam(ctx, tasks.NewTeam{Name: "A/R", ManagerID: manager.UserID,
		Queues: []string{tasks.QueueFollowUp, tasks.QueueDenials}}, manager)
	require.NoError(t, err)
	_, err = w.svc.AddMember(ctx, team.ID, biller.UserID, manager)
	require.NoError(t, err)
	for range 3 {
		w.raise(t, tasks.QueueFollowUp, 0, nil)
	}
	due := time.Now().Add(time.Minute)
	w.raise(t, tasks.QueueDenials, 0, &due)
	w.raise(t, tasks.QueueClaimFix, 0, nil) // not the team's
	_, err = w.svc.Sweep(ctx, due.Add(time.Second))
	require.NoError(t, err)
	done, err := w.svc.ClaimNext(ctx, tasks.QueueFollowUp, biller)
	require.NoError(t, err)
	_, err = w.svc.Complete(ctx, done.ID, "called", "", biller)
	require.NoError(t, err)
	held, err := w.svc.ClaimNext(ctx, "", biller)
	require.NoError(t, err)
	assert.Equal(t, tasks.QueueDenials, held.Queue, "the overdue one first")

	work, err := w.svc.MyWork(ctx, biller.UserID, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.Len(t, work.Claimed, 1)
	assert.Equal(t, held.ID, work.Claimed[0].ID)
	require.Len(t, work.Teams, 1)
	assert.Equal(t, []tasks.QueueCounts{
		{Queue: tasks.QueueFollowUp, Open: 2, DoneToday: 1},
		{Queue: tasks.QueueDenials, Overdue: 1, Claimed: 1},
	}, work.Queues)
	work, err = w.svc.MyWork(ctx, biller.UserID, time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Zero(t, work.Queues[0].DoneToday, "done before today's start")

	team, err = w.svc.RemoveMember(ctx, team.ID, biller.UserID, manager)
	require.NoError(t, err)
	assert.Empty(t, team.Members)
	work, err = w.svc.MyWork(ctx, biller.UserID, time.Now())
	require.NoError(t, err)
	assert.Empty(t, work.Queues)
	assert.Len(t, work.Claimed, 1, "what they hold stays theirs")
}

func TestTeamsRefuseBadInput(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	biller, manager := w.user(t, "biller"), w.user(t, "manager")
	_, err := w.svc.CreateTeam(ctx, tasks.NewTeam{Name: " ", ManagerID: biller.UserID, Queues: []string{"x"},
		Members: []string{uuid.NewString()}}, manager)
	var fields []string
	for _, fe := range apperr.Fields(err) {
		fields = append(fields, fe.Field)
	}
	assert.ElementsMatch(t, []string{"name", "queues", "manager_id", "members[0]"}, fields)
	_, err = w.svc.CreateTeam(ctx, tasks.NewTeam{Name: "One"}, manager)
	require.NoError(t, err)
	_, err = w.svc.CreateTeam(ctx, tasks.NewTeam{Name: "one"}, manager)
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err))
	_, err = w.svc.Team(ctx, uuid.NewString())
	assert.ErrorIs(t, err, tasks.ErrTeamNotFound)
	name, qs := "Two", []string{tasks.QueueApprovals}
	tm, err := w.svc.CreateTeam(ctx, tasks.NewTeam{Name: "Tmp"}, manager)
	require.NoError(t, err)
	tm, err = w.svc.UpdateTeam(ctx, tm.ID, tasks.TeamUpdate{Name: &name, Queues: &qs, ManagerID: &manager.UserID}, manager)
	require.NoError(t, err)
	assert.Equal(t, "Two", tm.Name)
	assert.Equal(t, qs, tm.Queues)
	assert.Equal(t, manager.UserID, *tm.ManagerID)
	all, err := w.svc.Teams(ctx, "")
	require.NoError(t, err)
	assert.Len(t, all, 2)
}

func TestAnsweredTaskKeepsItsOutcomeAndASnoozedReassignmentIsOne(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	biller, other, manager := w.user(t, "biller"), w.user(t, "biller"), w.user(t, "manager")
	id, err := w.svc.Ensure(ctx, tasks.NewTask{Queue: tasks.QueueDenials, Kind: tasks.KindDenied, BusinessKey: "d",
		ClaimID: w.claim, Title: "t", AnsweredBy: tasks.Answer{WorkflowID: "claim/" + w.claim, Update: "decide"}})
	require.NoError(t, err)
	until := time.Now().Add(time.Hour)
	_, err = w.svc.Snooze(ctx, id, until, "", biller, false)
	require.NoError(t, err)
	tk, err := w.svc.Assign(ctx, id, other.UserID, "", manager)
	require.NoError(t, err)
	assert.Equal(t, tasks.StatusSnoozed, tk.Status, "a snoozed task stays snoozed")

	tk, err = w.svc.RecordAnswer(ctx, id, json.RawMessage(`{"action":"appeal"}`), "sent the records", other)
	require.NoError(t, err)
	assert.Equal(t, tasks.StatusDone, tk.Status)
	assert.JSONEq(t, `{"action":"appeal"}`, string(tk.Outcome))
	assert.Equal(t, "sent the records", tk.Note)
	assert.Equal(t, other.UserID, *tk.CompletedBy)
	assert.Equal(t, "answered: decide", tk.Resolution)
	evs, err := w.svc.Events(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, []string{"created", "snoozed", "reassigned", "completed"}, w.events(t, id))
	assert.Contains(t, string(evs[3].Detail), `"outcome": {"action": "appeal"}`)

	// The workflow closed it already: the answer is still kept, no second event.
	_, err = w.svc.RecordAnswer(ctx, id, json.RawMessage(`{"action":"appeal","level":2}`), "", other)
	require.NoError(t, err)
	assert.Len(t, w.events(t, id), 4)
}
