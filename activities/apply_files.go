package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/workflows/contract"
)

// ApplyRequest asks ApplyClearinghouseFiles to apply the clearinghouse's files
// after the cursor After as they arrive, for RunFor.
type ApplyRequest struct {
	After string `json:"after"`
	// RunFor is how long the activity polls; the files in flight then are
	// applied before it returns.
	RunFor time.Duration `json:"run_for"`
	// Wait is how long one poll waits for a file (the poll interval).
	Wait time.Duration `json:"wait"`
	// Max bounds the files fetched by one poll and the files in flight.
	Max int `json:"max"`
}

// ApplyOutcome is where an ApplyClearinghouseFiles run left the cursor.
type ApplyOutcome struct {
	// Cursor is the last file of the longest run, in ID order, of files
	// applied (or skipped as unreadable).
	Cursor     string `json:"cursor"`
	Applied    int    `json:"applied"`
	Unreadable int    `json:"unreadable"`
	// Pending counts files fetched and not applied when the run ended (a file
	// that kept failing, and the files of its submission after it): the next
	// run starts from the cursor and applies them again.
	Pending int `json:"pending"`
}

// ApplyClearinghouseFiles fetches the clearinghouse's inbound files (999,
// 277CA, 835) as they arrive and applies each exactly as InboundWorkflow does
// (ApplyInbound: once per file, a repeat changes nothing and announces the
// same again), then tells every claim workflow what the file said about its
// claim and every case workflow what money was posted. The files of one claim
// submission are applied in order, those of different submissions side by
// side, each moments after the clearinghouse makes it available.
//
// It replaces a child workflow per file started by the poller, whose starts,
// completions and the poller's workflow tasks between them were most of a
// claim's time from submitted to paid (issue 11: 2-3 s a file under load).
// What a child's history guaranteed, the database and the heartbeat do: a
// file's effects are written once (ApplyInbound), its notices are sent after
// they are, and the heartbeat carries the cursor, so an activity retried after
// a crash starts after the last file known applied and applies the files after
// it again, announcing them again (claim and case workflows take each notice
// once).
func (a *Activities) ApplyClearinghouseFiles(ctx context.Context, req ApplyRequest) (ApplyOutcome, error) {
	cursor := req.After
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		var beat string
		if err := activity.GetHeartbeatDetails(ctx, &beat); err == nil && beat > cursor {
			cursor = beat
		}
	}
	p := &filePipeline{
		poll: func(ctx context.Context, after string, max int) ([]PolledFile, error) {
			return a.PollClearinghouse(ctx, after, max)
		},
		wait:  a.waitForFiles,
		apply: a.applyPolledFile,
		beat: func(cursor string) {
			if activity.IsActivity(ctx) {
				activity.RecordHeartbeat(ctx, cursor)
			}
		},
		logger: func(msg string, kv ...any) {
			if activity.IsActivity(ctx) {
				activity.GetLogger(ctx).Warn(msg, kv...)
			}
		},
	}
	return p.run(ctx, req, cursor)
}

// waitForFiles waits until a file after cursor may be there, or until. A
// clearinghouse that can say when files arrive wakes it at once.
func (a *Activities) waitForFiles(ctx context.Context, cursor string, until time.Time) error {
	if w, ok := a.Clearinghouse.(clearinghouse.Waiter); ok {
		return w.Wait(ctx, cursor, until)
	}
	return sleep(ctx, time.Until(until))
}

// errUnreadable marks a file that cannot be applied by trying again.
var errUnreadable = errors.New("unreadable file")

// applyPolledFile applies one file and delivers what it says to the claim and
// case workflows. A workflow that has finished (a claim paid or written off)
// takes no more notices; its money still reached the case and the ledger.
func (a *Activities) applyPolledFile(ctx context.Context, f PolledFile) error {
	if f.Problem != "" {
		return fmt.Errorf("%w: %s", errUnreadable, f.Problem)
	}
	res, err := a.ApplyInbound(ctx, contract.InboundFile{Kind: f.Kind, Data: f.Data, Source: "clearinghouse"})
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeUnreadable {
		return fmt.Errorf("%w: %s", errUnreadable, appErr.Error())
	}
	if err != nil {
		return err
	}
	if a.Temporal == nil {
		return errors.New("no Temporal client to tell the claim and case workflows")
	}
	for _, ev := range res.Events {
		if err := a.deliver(ctx, contract.CaseWorkflowID(ev.CaseID), contract.SignalInsurance, ev); err != nil {
			return err
		}
	}
	for _, n := range res.Notices {
		if err := a.deliver(ctx, contract.ClaimWorkflowID(n.ClaimID), contract.SignalClaimNotice, n); err != nil {
			return err
		}
	}
	return nil
}

func (a *Activities) deliver(ctx context.Context, workflowID, signal string, arg any) error {
	err := a.Temporal.SignalWorkflow(ctx, workflowID, "", signal, arg)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		if activity.IsActivity(ctx) {
			activity.GetLogger(ctx).Warn("inbound file notice not delivered: workflow finished", "workflow_id", workflowID, "signal", signal)
		}
		return nil
	}
	return err
}

// filePipeline applies polled files in lanes, one a submission.
type filePipeline struct {
	poll   func(ctx context.Context, after string, max int) ([]PolledFile, error)
	wait   func(ctx context.Context, after string, until time.Time) error
	apply  func(ctx context.Context, f PolledFile) error
	beat   func(cursor string)
	logger func(msg string, kv ...any)
	// grace is how long after RunFor a failing file is tried before the run
	// gives it up to the next (a minute when zero).
	grace time.Duration

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced when a file is done
	cursor   string        // every file up to here is done
	seen     string        // the last file fetched
	order    []string      // fetched and not yet passed by the cursor, in ID order
	done     map[string]bool
	lanes    map[string][]PolledFile // by submission: files waiting their turn
	inFlight int
	out      ApplyOutcome
	lanesWG  sync.WaitGroup
}

// Backoff of a lane whose file failed (the database or Temporal away).
const (
	laneRetryFirst = 500 * time.Millisecond
	laneRetryMax   = 15 * time.Second
)

func (p *filePipeline) run(ctx context.Context, req ApplyRequest, cursor string) (ApplyOutcome, error) {
	if req.Max <= 0 {
		req.Max = 100
	}
	if req.Wait <= 0 || req.Wait > pollStep {
		req.Wait = pollStep // heartbeat at least this often
	}
	p.cursor, p.seen = cursor, cursor
	p.done, p.lanes, p.changed = map[string]bool{}, map[string][]PolledFile{}, make(chan struct{})
	// Lanes stop trying a failing file when the run is over; a run cut short
	// (the worker stopping) leaves its files for the next.
	lanesCtx, stopLanes := context.WithCancel(ctx)
	defer stopLanes()
	stopAt := time.Now().Add(req.RunFor)
	for time.Now().Before(stopAt) && ctx.Err() == nil {
		p.beat(p.snapshotCursor())
		if p.pending() >= req.Max {
			p.waitChange(ctx, time.Now().Add(req.Wait))
			continue
		}
		files, err := p.poll(ctx, p.seenNow(), req.Max-p.pending())
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			p.logger("clearinghouse poll failed; polling again", "error", err)
			_ = sleep(ctx, req.Wait)
			continue
		}
		if len(files) == 0 {
			until := time.Now().Add(req.Wait)
			if until.After(stopAt) {
				until = stopAt
			}
			if err := p.wait(ctx, p.seenNow(), until); err != nil && ctx.Err() == nil {
				_ = sleep(ctx, time.Until(until))
			}
			continue
		}
		for _, f := range files {
			p.add(lanesCtx, f)
		}
	}
	// Let the files in flight finish, heartbeating, then report.
	finished := make(chan struct{})
	go func() { p.lanesWG.Wait(); close(finished) }()
	cancelled := ctx.Done()
	for {
		select {
		case <-finished:
			p.beat(p.snapshotCursor())
			p.mu.Lock()
			defer p.mu.Unlock()
			p.out.Cursor, p.out.Pending = p.cursor, p.inFlight
			if err := ctx.Err(); err != nil {
				return p.out, err
			}
			return p.out, nil
		case <-time.After(req.Wait):
			p.beat(p.snapshotCursor())
			grace := p.grace
			if grace <= 0 {
				grace = time.Minute
			}
			if time.Now().After(stopAt.Add(grace)) {
				stopLanes() // a file that keeps failing waits for the next run
			}
		case <-cancelled:
			stopLanes()
			cancelled = nil
		}
	}
}

// add queues a fetched file on its submission's lane, starting the lane when
// none runs.
func (p *filePipeline) add(ctx context.Context, f PolledFile) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f.ID <= p.seen {
		return // fetched before
	}
	p.seen = f.ID
	p.order = append(p.order, f.ID)
	p.inFlight++
	if q, ok := p.lanes[f.SubmissionID]; ok {
		p.lanes[f.SubmissionID] = append(q, f)
		return
	}
	p.lanes[f.SubmissionID] = []PolledFile{f}
	p.lanesWG.Add(1)
	go p.lane(ctx, f.SubmissionID)
}

// lane applies its submission's files in order. A file that fails is tried
// again with backoff; the files after it wait for it.
func (p *filePipeline) lane(ctx context.Context, sub string) {
	defer p.lanesWG.Done()
	for {
		p.mu.Lock()
		q := p.lanes[sub]
		if len(q) == 0 {
			delete(p.lanes, sub)
			p.mu.Unlock()
			return
		}
		f := q[0]
		p.mu.Unlock()

		backoff := laneRetryFirst
		for {
			err := p.apply(ctx, f)
			if err == nil || errors.Is(err, errUnreadable) {
				if err != nil {
					p.logger("clearinghouse file cannot be applied; skipped", "file_id", f.ID, "kind", f.Kind, "error", err)
				}
				p.finish(sub, f.ID, err != nil)
				break
			}
			if ctx.Err() != nil {
				return // the run is over: the next one applies it
			}
			p.logger("clearinghouse file not applied; retrying", "file_id", f.ID, "kind", f.Kind, "error", err)
			if sleep(ctx, backoff) != nil {
				return
			}
			backoff = min(2*backoff, laneRetryMax)
		}
	}
}

// finish marks a file done and moves the cursor past the files done in ID order.
func (p *filePipeline) finish(sub, id string, unreadable bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lanes[sub] = p.lanes[sub][1:]
	p.inFlight--
	if unreadable {
		p.out.Unreadable++
	} else {
		p.out.Applied++
	}
	p.done[id] = true
	for len(p.order) > 0 && p.done[p.order[0]] {
		p.cursor = p.order[0]
		delete(p.done, p.order[0])
		p.order = p.order[1:]
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *filePipeline) snapshotCursor() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cursor
}

func (p *filePipeline) seenNow() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen
}

func (p *filePipeline) pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inFlight
}

// waitChange waits until a file is done, until, or ctx ends.
func (p *filePipeline) waitChange(ctx context.Context, until time.Time) {
	p.mu.Lock()
	ch := p.changed
	p.mu.Unlock()
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
	}
}
