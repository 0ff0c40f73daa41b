package clearinghouse

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/x12"
)

// Config configures a Simulator.
type Config struct {
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// AckDelay is how long after Submit the 999 and 277CA become
	// available; RemitDelay how long after Submit the 835 does.
	AckDelay   time.Duration
	RemitDelay time.Duration
	// Rules decide claims and eligibility (DefaultRules when nil).
	Rules *Rules
	// ID is the clearinghouse's interchange ID ("CFSIM" when empty).
	ID string
	// PollRetention is how many available files Poll keeps (10000 when
	// zero); see Simulator.Poll.
	PollRetention int
	// SequenceBase is where inbound file IDs, payer claim numbers and check
	// (trace) numbers start counting. A simulator restarted with the same base
	// reuses them: a poller's cursor then skips its new files and a new 835's
	// trace number collides with one already posted. Give a base that grows
	// across restarts (rcm dev uses the start time in Unix seconds). With DB
	// set, the base the first simulator stored is kept and this one ignored.
	SequenceBase int
	// DB, when set, makes the simulator durable (see Simulator): what it
	// received and the answer files it owes are rows in PostgreSQL (migration
	// 00038), so a restarted simulator, or another one in another worker over
	// the same database, loses nothing and serves the same mailbox. Nil keeps
	// everything in memory, as tests of the simulator alone want.
	DB *gorm.DB
}

// DefaultPollRetention is the number of available files a Simulator keeps
// for Poll when Config.PollRetention is zero.
const DefaultPollRetention = 10000

// Simulator is an in-memory clearinghouse and payer. It is deterministic
// for a given clock and call order, and safe for concurrent use.
//
// Submit parses the 837 with x12.Parse837. A file that does not parse gets
// a 999 rejecting the transaction set holding the error, with IK3/IK4
// pointing at the segment and element (other transaction sets of the file
// are rejected too, since the file is refused as a whole). A file that
// parses gets a 999 accepting every transaction set, then one 277CA per
// transaction set with one claim loop per claim (accepted with A1/A2, or
// rejected per the rules, for an out-of-balance claim, or for a void or
// replacement of an unknown claim), then after RemitDelay one 835 per payer
// for the claims adjudicated (Rules, Adjudicate). A claim carrying a prior
// payer's adjudication (2320/2430 loops) is paid as secondary (see
// Adjudicate). A replacement (frequency 7) reverses the original payment
// (CLP02 22) in the same 835 and is adjudicated again; a void (frequency 8)
// of a paid claim produces a reversal only. An original claim whose patient
// control number was already accepted by the same payer is denied CO-18
// (the same patient control number sent to another payer, e.g. a secondary
// claim, is a different claim). When an 835 nets negative, a PLB FB
// (forward balance) brings BPR02 to zero and the balance is recovered by
// later 835s of the same payer and provider with a positive PLB FB.
//
// Appeal accepts a level 1 appeal of a claim whose last adjudication, already
// due, is a denial, and a level 2 appeal once level 1 was upheld; RemitDelay
// later an 835 re-adjudicates the claim per its rule's AppealOutcome: a new
// CLP (same patient control and payer claim numbers, no reversal since the
// denial paid nothing) that pays it or denies it again with the same CARC.
//
// Files become visible to Poll in ID order: an ID is given to a file when
// it becomes available (see Poll).
//
// Durable (Config.DB set), the simulator is a real clearinghouse's mailbox:
// each Submit and Appeal is recorded, with the time it was received, in the
// same transaction as the answer files it schedules (999, 277CA, 835 rows with
// their deliver-after time), under a lock on the clearinghouse's row, so a
// retried Submit or Appeal never schedules twice, even from another worker.
// The payer's memory (claims received, adjudications, appeal levels, forward
// balances, control numbers) is rebuilt by replaying the recorded requests in
// order, so a restarted simulator answers a later appeal or replacement as the
// first one would have. Poll and Wait read the mailbox; files are numbered (IDs
// MB followed by 16 digits, which sort after every IN… ID of the in-memory
// simulator) when they become due, under the same lock, so a file never
// appears behind a cursor.
type Simulator struct {
	mu  sync.Mutex
	cfg Config
	id  string

	seq      int // ISA13/GS06/ST02 of outgoing files
	inSeq    int // inbound file IDs
	claimSeq int // payer claim control numbers
	checkSeq int // check numbers

	submissions map[string]submission
	appeals     map[string]AppealResult
	scheduled   []Inbound               // not yet available, in creation order, without ID
	arrived     chan struct{}           // closed (and replaced) when a file is scheduled
	available   []Inbound               // in ID order, at most retention
	retention   int                     // files kept in available
	claims      map[string]*claimRecord // by claimKey(payer ID, patient control number)
	byPayerCN   map[string]*claimRecord
	forward     map[string]decimal.Decimal // payer|NPI -> amount owed by the provider

	// wrote, when set, sees the inquiries (270, 276) the simulator writes on
	// the caller's behalf; the EDI conformance test validates them.
	wrote func(kind string, raw []byte)

	// Durable mode (Config.DB): see mailbox.go.
	box       *mailbox
	outbox    []Inbound // files the request being handled schedules
	replaying bool      // re-applying a recorded request: its files exist
	applied   int64     // recorded requests applied to the memory above
}

type submission struct {
	digest [32]byte
	result SubmitResult
}

type claimState string

const (
	stateRejected claimState = "rejected"
	statePending  claimState = "pending" // accepted, awaiting adjudication output
	stateVoided   claimState = "voided"
)

type claimRecord struct {
	claim        x12.Claim837
	submissionID string
	submitter    string // ISA06 of the 837, receiver of the 835s
	payerCN      string
	state        claimState
	payment      *x12.ClaimPayment // last adjudication (nil when not adjudicated)
	outcome      Outcome           // the outcome of the last adjudication
	appeal       Outcome           // what an accepted appeal of a denial gets
	appealLevel  int               // last accepted appeal level
	reject       x12.StatusCode
	remitAt      time.Time // when the last adjudication's 835 is available
	checkNumber  string
	checkDate    x12.Date
	receivedDate x12.Date
}

// claimKey identifies a claim at a payer: a patient control number billed
// to two payers (primary and secondary) names two claims.
func claimKey(payerID, patientControlNumber string) string {
	return payerID + "|" + patientControlNumber
}

var _ Clearinghouse = (*Simulator)(nil)

// NewSimulator returns a Simulator with cfg.
func NewSimulator(cfg Config) *Simulator {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rules == nil {
		r := DefaultRules()
		cfg.Rules = &r
	}
	id := cfg.ID
	if id == "" {
		id = "CFSIM"
	}
	retention := cfg.PollRetention
	if retention <= 0 {
		retention = DefaultPollRetention
	}
	s := &Simulator{cfg: cfg, id: id, retention: retention}
	s.resetMemory(cfg.SequenceBase)
	if cfg.DB != nil {
		s.box = &mailbox{db: cfg.DB, clearinghouse: id, retention: retention, base: cfg.SequenceBase}
	}
	return s
}

// resetMemory forgets everything received, counting again from base (caller
// holds mu, or s is new).
func (s *Simulator) resetMemory(base int) {
	s.submissions, s.appeals = map[string]submission{}, map[string]AppealResult{}
	s.claims, s.byPayerCN, s.forward = map[string]*claimRecord{}, map[string]*claimRecord{}, map[string]decimal.Decimal{}
	s.seq, s.inSeq, s.claimSeq, s.checkSeq = 0, base, base, base
	s.outbox, s.replaying, s.applied = nil, false, 0
}

// envelope returns a fresh outgoing envelope (caller holds mu).
func (s *Simulator) envelope(sender, receiver string, now time.Time) x12.Envelope {
	s.seq++
	return x12.Envelope{
		SenderIDQualifier: "ZZ", SenderID: trim15(sender), ReceiverIDQualifier: "ZZ", ReceiverID: trim15(receiver),
		InterchangeControlNumber: s.seq, UsageIndicator: "T",
		ApplicationSenderCode: trim15(sender), ApplicationReceiverCode: trim15(receiver),
		GroupControlNumber: s.seq, Date: now.UTC().Truncate(time.Minute),
		TransactionControlNumber: fmt.Sprintf("%04d", s.seq%10000),
	}
}

func trim15(v string) string {
	if len(v) > 15 {
		return v[:15]
	}
	if v == "" {
		return "UNKNOWN"
	}
	return v
}

// enqueue schedules a file (caller holds mu); its ID is given by release.
// Durable, the file goes to the outbox the request's transaction writes, or
// nowhere when a recorded request is replayed (its files are rows already).
func (s *Simulator) enqueue(in Inbound) {
	if s.box != nil {
		if !s.replaying {
			s.outbox = append(s.outbox, in)
		}
		return
	}
	s.scheduled = append(s.scheduled, in)
	if s.arrived != nil {
		close(s.arrived)
		s.arrived = nil
	}
}

var _ Waiter = (*Simulator)(nil)

// Wait returns as soon as a file after the cursor is available (a file
// scheduled with no delay wakes it at once; a delayed one when its time comes
// on the simulator's clock), when until passes on the wall clock, or when ctx is
// done.
func (s *Simulator) Wait(ctx context.Context, after string, until time.Time) error {
	if s.box != nil {
		return s.waitDurable(ctx, after, until)
	}
	for {
		s.mu.Lock()
		now := s.cfg.Now()
		s.release(now)
		if n := len(s.available); n > 0 && s.available[n-1].ID > after {
			s.mu.Unlock()
			return nil
		}
		next := time.Until(until)
		for _, in := range s.scheduled {
			next = min(next, in.AvailableAt.Sub(now))
		}
		if s.arrived == nil {
			s.arrived = make(chan struct{})
		}
		arrived := s.arrived
		s.mu.Unlock()
		if time.Until(until) <= 0 {
			return nil
		}
		t := time.NewTimer(max(next, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-arrived:
		case <-t.C:
		}
		t.Stop()
	}
}

// release gives IDs to the scheduled files that are due at now, in order of
// AvailableAt then creation, and drops the oldest available files beyond
// the retention (caller holds mu). Since a file is scheduled no earlier
// than the clock, the IDs follow (AvailableAt, creation) whenever Poll is
// called, as long as the clock does not go back.
func (s *Simulator) release(now time.Time) {
	var due, keep []Inbound
	for _, in := range s.scheduled {
		if in.AvailableAt.After(now) {
			keep = append(keep, in)
		} else {
			due = append(due, in)
		}
	}
	s.scheduled = keep
	sort.SliceStable(due, func(i, j int) bool { return due[i].AvailableAt.Before(due[j].AvailableAt) })
	for _, in := range due {
		s.inSeq++
		in.ID = fmt.Sprintf("IN%08d", s.inSeq)
		s.available = append(s.available, in)
	}
	if extra := len(s.available) - s.retention; extra > 0 {
		clear(s.available[:extra]) // let the dropped data go
		s.available = s.available[extra:]
	}
}

// Poll returns copies of the available files whose ID sorts after the
// cursor after, in ID order ("" returns every file kept).
//
// A file gets its ID (IN followed by 8 digits) when it becomes available,
// not when it is created: files are numbered in order of AvailableAt, then
// creation, so a file that is not yet available never holds back later
// files (a 999 due in 2 seconds is not held behind an earlier submission's
// 835 due in a day) and never appears behind a cursor. Files are not
// forgotten when returned, but only the last Config.PollRetention
// (DefaultPollRetention) available files are kept: a cursor that falls
// further behind than that silently misses the older files.
func (s *Simulator) Poll(ctx context.Context, after string) ([]Inbound, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.box != nil {
		return s.box.poll(ctx, after, s.cfg.Now())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.release(s.cfg.Now())
	i := sort.Search(len(s.available), func(i int) bool { return s.available[i].ID > after })
	if i == len(s.available) {
		return nil, nil
	}
	out := make([]Inbound, len(s.available)-i)
	for j, in := range s.available[i:] {
		in.Data = bytes.Clone(in.Data)
		out[j] = in
	}
	return out, nil
}

// Submit receives an 837 batch (see Simulator for what comes back).
func (s *Simulator) Submit(ctx context.Context, submissionID string, batch837 []byte) (SubmitResult, error) {
	if err := ctx.Err(); err != nil {
		return SubmitResult{}, err
	}
	if submissionID == "" {
		return SubmitResult{}, errors.New("clearinghouse: empty submission id")
	}
	digest := sha256.Sum256(batch837)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.box != nil {
		return s.submitDurable(ctx, submissionID, batch837, digest)
	}
	return s.submit(submissionID, batch837, digest, s.cfg.Now())
}

// submit is Submit received at now (caller holds mu).
func (s *Simulator) submit(submissionID string, batch837 []byte, digest [32]byte, now time.Time) (SubmitResult, error) {
	if prev, ok := s.submissions[submissionID]; ok {
		if prev.digest != digest {
			return SubmitResult{}, fmt.Errorf("%w: %s", ErrSubmissionConflict, submissionID)
		}
		return prev.result, nil
	}
	segs, err := x12.Tokenize(batch837)
	if err != nil {
		return SubmitResult{}, fmt.Errorf("%w: %w", ErrUnreadableInterchange, err)
	}
	res := SubmitResult{SubmissionID: submissionID, ReceivedAt: now}
	submitter := strings.TrimSpace(segs[0].El(6))
	if isa13 := segs[0].El(13); isa13 != "" {
		fmt.Sscan(isa13, &res.InterchangeControlNumber)
	}
	batches, perr := x12.Parse837(batch837)
	if perr != nil {
		acks := s.reject999(segs, perr, submitter, now)
		data, err := x12.Write999s(acks)
		if err != nil {
			return SubmitResult{}, err
		}
		s.enqueue(Inbound{Kind: Kind999, SubmissionID: submissionID, Data: data, AvailableAt: now.Add(s.cfg.AckDelay)})
	} else {
		if err := s.accept(submissionID, batches, submitter, now, &res); err != nil {
			return SubmitResult{}, err
		}
	}
	s.submissions[submissionID] = submission{digest: digest, result: res}
	return res, nil
}

// reject999 builds the 999 for a file Parse837 refused: one acknowledgment
// (AK1) per functional group, every transaction set rejected, the one holding
// the error with IK3 (segment, position in the set, loop) and IK4 (element,
// its reference number, error code, bad data).
func (s *Simulator) reject999(segs []x12.Segment, perr error, submitter string, now time.Time) []x12.Ack999 {
	var pe *x12.ParseError
	errors.As(perr, &pe)
	env := s.envelope(s.id, submitter, now)
	type st struct {
		pos      int
		cn, impl string
	}
	type group struct {
		cn, version string
		sts         []st
	}
	var groups []*group
	for _, seg := range segs {
		switch seg.ID {
		case "GS":
			groups = append(groups, &group{cn: orDefault(seg.El(6), "0"), version: seg.El(8)})
		case "ST":
			if len(groups) == 0 {
				groups = append(groups, &group{cn: "0"})
			}
			g := groups[len(groups)-1]
			g.sts = append(g.sts, st{pos: seg.Position, cn: seg.El(2), impl: seg.El(3)})
		}
	}
	if len(groups) == 0 {
		groups = []*group{{cn: "0"}}
	}
	errPos := -1
	if pe != nil {
		errPos = pe.Position
	}
	// The transaction set holding the error: the last ST at or before it.
	errST := -1
	for _, g := range groups {
		for _, t := range g.sts {
			if t.pos <= errPos {
				errST = t.pos
			}
		}
	}
	acks := make([]x12.Ack999, 0, len(groups))
	for gi, g := range groups {
		a := x12.Ack999{Envelope: env, FunctionalID: "HC", GroupControlNumber: g.cn, GroupVersion: g.version, GroupStatus: "R"}
		if gi > 0 {
			a.Envelope.TransactionControlNumber = fmt.Sprintf("%04d", (env.InterchangeControlNumber+gi)%10000)
		}
		for _, t := range g.sts {
			ta := x12.TransactionAck{TransactionSetID: "837", ControlNumber: orDefault(t.cn, "0000"), ImplementationRef: t.impl, Status: "R"}
			if t.pos == errST {
				ta.ErrorCodes = []string{"5"}
				ta.SegmentErrors = []x12.SegmentError{segmentError(segs, pe, t.pos)}
			}
			a.Transactions = append(a.Transactions, ta)
		}
		a.TransactionsIncluded, a.TransactionsReceived = len(g.sts), len(g.sts)
		acks = append(acks, a)
	}
	return acks
}

// segmentError is the IK3 (and IK4) of parse error pe in the transaction set
// starting at stPos.
func segmentError(segs []x12.Segment, pe *x12.ParseError, stPos int) x12.SegmentError {
	se := x12.SegmentError{SegmentID: orDefault(pe.Segment, "ST"), Position: pe.Position - stPos + 1,
		LoopID: loop837(segs, stPos, pe.Position)}
	msg := strings.ToLower(pe.Msg)
	switch {
	case pe.Element > 0:
		se.ErrorCode = "8"
		ee := x12.ElementError{Position: pe.Element, ElementRef: elementRef(se.SegmentID, pe.Element), ErrorCode: elementErrorCode(msg)}
		if pe.Position >= 1 && pe.Position <= len(segs) {
			bad := segs[pe.Position-1].El(pe.Element)
			if !strings.ContainsAny(bad, "*:^~") {
				ee.BadData = bad
			}
		}
		se.ElementErrors = []x12.ElementError{ee}
	case strings.Contains(msg, "missing"):
		se.ErrorCode = "3"
	default:
		se.ErrorCode = "2"
	}
	return se
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// remitGroup collects the 835 loops of one payer and billing provider.
type remitGroup struct {
	payerID, payerName string
	payerAddress       *x12.Address // 2010BB of the 837, when given
	billing            x12.Provider
	claims             []x12.ClaimPayment
	records            []*claimRecord
}

// accept handles a parsed submission: 999, 277CA per transaction set, 835s.
func (s *Simulator) accept(subID string, batches []x12.Batch837, submitter string, now time.Time, res *SubmitResult) error {
	// One acknowledgment (AK1) per functional group of the file, in order.
	env := s.envelope(s.id, submitter, now)
	var acks []x12.Ack999
	for _, b := range batches {
		gcn := fmt.Sprint(b.Envelope.GroupControlNumber)
		if len(acks) == 0 || acks[len(acks)-1].GroupControlNumber != gcn {
			a := x12.Ack999{Envelope: env, FunctionalID: "HC", GroupControlNumber: gcn, GroupVersion: x12.Implementation837P, GroupStatus: "A"}
			if len(acks) > 0 {
				a.Envelope.TransactionControlNumber = fmt.Sprintf("%04d", (env.InterchangeControlNumber+len(acks))%10000)
			}
			acks = append(acks, a)
		}
		a := &acks[len(acks)-1]
		a.Transactions = append(a.Transactions, x12.TransactionAck{TransactionSetID: "837",
			ControlNumber: b.Envelope.TransactionControlNumber, ImplementationRef: x12.Implementation837P, Status: "A"})
		n := len(a.Transactions)
		a.TransactionsIncluded, a.TransactionsReceived, a.TransactionsAccepted = n, n, n
	}
	data, err := x12.Write999s(acks)
	if err != nil {
		return err
	}
	ackAt := now.Add(s.cfg.AckDelay)
	remitAt := now.Add(s.cfg.RemitDelay)
	s.enqueue(Inbound{Kind: Kind999, SubmissionID: subID, Data: data, AvailableAt: ackAt})
	res.Accepted = true

	var groups []*remitGroup
	groupFor := func(c *x12.Claim837) *remitGroup {
		for _, g := range groups {
			if g.payerID == c.Payer.ID && g.billing.NPI == c.BillingProvider.NPI {
				return g
			}
		}
		g := &remitGroup{payerID: c.Payer.ID, payerName: c.Payer.Name, payerAddress: c.Payer.Address, billing: c.BillingProvider}
		groups = append(groups, g)
		return g
	}
	received := x12.NewDate(now.Year(), now.Month(), now.Day())
	for _, b := range batches {
		report := s.new277CA(&b, submitter, now)
		for i := range b.Claims {
			c := b.Claims[i]
			res.Claims++
			status := s.decide(subID, submitter, &c, received, remitAt, groupFor)
			report.Claims = append(report.Claims, status)
		}
		finish277CA(&report, &b)
		data, err := x12.Write277CA(&report)
		if err != nil {
			return err
		}
		s.enqueue(Inbound{Kind: Kind277CA, SubmissionID: subID, Data: data, AvailableAt: ackAt})
	}
	for _, g := range groups {
		if len(g.claims) == 0 {
			continue
		}
		data, err := s.write835(g, submitter, now)
		if err != nil {
			return err
		}
		s.enqueue(Inbound{Kind: Kind835, SubmissionID: subID, Data: data, AvailableAt: remitAt})
	}
	return nil
}

// decide applies the rules to one claim and returns its 277CA claim loop.
func (s *Simulator) decide(subID, submitter string, c *x12.Claim837, received x12.Date, remitAt time.Time, groupFor func(*x12.Claim837) *remitGroup) x12.ClaimStatus {
	rule := s.cfg.Rules.ClaimRule(c)
	key := claimKey(c.Payer.ID, c.PatientControlNumber)
	from, to := serviceSpan(c)
	cs := x12.ClaimStatus{
		HLID:                 "",
		ProviderID:           c.BillingProvider.NPI,
		Patient:              patientOf(c),
		PatientControlNumber: c.PatientControlNumber,
		ServiceFrom:          from,
		TotalCharge:          c.TotalCharge,
	}
	if !to.Time().Equal(from.Time()) {
		cs.ServiceTo = to
	}
	reject := func(code x12.StatusCode, msg string) x12.ClaimStatus {
		cs.Statuses = []x12.StatusInfo{{Codes: []x12.StatusCode{code}, Date: received, ActionCode: "U", Amount: &c.TotalCharge, Message: msg}}
		if _, known := s.claims[key]; !known {
			s.claims[key] = &claimRecord{claim: *c, submissionID: subID, submitter: submitter, state: stateRejected, reject: code, receivedDate: received}
		}
		return cs
	}
	// Structural checks a payer front end makes.
	sum := decimal.Zero
	for _, l := range c.Lines {
		sum = sum.Add(l.Charge)
	}
	if !sum.Equal(c.TotalCharge) || len(c.Lines) == 0 {
		return reject(x12.StatusCode{Category: "A7", Status: "400", Entity: "85"}, "CLAIM TOTAL DOES NOT EQUAL SUM OF LINES")
	}
	freq := frequency(c)
	var orig *claimRecord
	if freq == "7" || freq == "8" {
		if c.OriginalClaimNumber != "" {
			if r := s.byPayerCN[c.OriginalClaimNumber]; r != nil && r.claim.Payer.ID == c.Payer.ID {
				orig = r
			}
		}
		if orig == nil {
			if r := s.claims[key]; r != nil && r.payerCN != "" {
				orig = r
			}
		}
		if orig == nil || orig.state == stateVoided {
			return reject(x12.StatusCode{Category: "A7", Status: "21", Entity: "PR"}, "ORIGINAL CLAIM NOT FOUND")
		}
	}
	if rule.Outcome.Kind == OutcomeReject {
		o := rule.Outcome
		return reject(x12.StatusCode{Category: orDefault(o.RejectCategory, "A7"), Status: o.RejectStatus, Entity: o.RejectEntity}, o.RejectMessage)
	}
	// Accepted.
	s.claimSeq++
	payerCN := fmt.Sprintf("SIM%010d", s.claimSeq)
	rec := &claimRecord{claim: *c, submissionID: subID, submitter: submitter, payerCN: payerCN, state: statePending, remitAt: remitAt,
		receivedDate: received, appeal: s.cfg.Rules.Default}
	if rule.AppealOutcome != nil {
		rec.appeal = *rule.AppealOutcome
	}
	cs.PayerClaimControlNumber = payerCN
	cs.Statuses = []x12.StatusInfo{
		{Codes: []x12.StatusCode{{Category: "A1", Status: "19", Entity: "PR"}}, Date: received, ActionCode: "WQ", Amount: &c.TotalCharge},
		{Codes: []x12.StatusCode{{Category: "A2", Status: "20", Entity: "PR"}}, Date: received},
	}
	g := groupFor(c)
	outcome := rule.Outcome
	if freq == "1" {
		if prev := s.claims[key]; prev != nil && prev.state == statePending {
			outcome = Outcome{Kind: OutcomeDeny, DenyGroup: "CO", DenyReason: "18"}
			rec.appeal = outcome // a duplicate stays a duplicate
		}
	}
	if orig != nil {
		if orig.payment != nil && !orig.payment.IsDenial && !orig.payment.IsReversal {
			rev := Reversal(*orig.payment)
			g.claims = append(g.claims, rev)
			g.records = append(g.records, orig)
			orig.payment = &rev
		}
		orig.state = stateVoided
	}
	if freq == "8" {
		rec.state = stateVoided
		if orig != nil && orig.payment != nil && orig.payment.IsReversal {
			rec.payment = orig.payment
			g.records = append(g.records, rec)
		}
	} else {
		p := Adjudicate(c, outcome, payerCN, received)
		rec.payment, rec.outcome = &p, outcome
		g.claims = append(g.claims, p)
		g.records = append(g.records, rec)
	}
	s.claims[key] = rec
	s.byPayerCN[payerCN] = rec
	return cs
}

func patientOf(c *x12.Claim837) x12.Person {
	if c.Patient != nil {
		return x12.Person{EntityType: "1", LastName: c.Patient.LastName, FirstName: c.Patient.FirstName, MiddleName: c.Patient.MiddleName,
			Suffix: c.Patient.Suffix, IDQualifier: "MI", ID: c.Subscriber.MemberID}
	}
	sb := c.Subscriber
	return x12.Person{EntityType: "1", LastName: sb.LastName, FirstName: sb.FirstName, MiddleName: sb.MiddleName, Suffix: sb.Suffix,
		IDQualifier: "MI", ID: sb.MemberID}
}

// new277CA starts the 277CA of one 837 transaction set.
func (s *Simulator) new277CA(b *x12.Batch837, submitter string, now time.Time) x12.ClaimStatusReport {
	payerName, payerID := b.Receiver.Name, b.Receiver.ID
	if len(b.Claims) > 0 {
		payerName, payerID = b.Claims[0].Payer.Name, b.Claims[0].Payer.ID
	}
	day := x12.NewDate(now.Year(), now.Month(), now.Day())
	env := s.envelope(s.id, submitter, now)
	return x12.ClaimStatusReport{
		Envelope:    env,
		ReferenceID: b.ReferenceID,
		CreatedAt:   now.UTC().Truncate(time.Minute),
		Entities: []x12.StatusEntity{
			{HLID: "1", Level: "20", EntityCode: "PR", Name: x12.Person{EntityType: "2", LastName: payerName, IDQualifier: "PI", ID: payerID},
				TraceNumber: fmt.Sprintf("CFSIM%09d", env.InterchangeControlNumber), ReceivedDate: day, ProcessDate: day},
			{HLID: "2", ParentID: "1", Level: "21", EntityCode: "41",
				Name:        x12.Person{EntityType: orDefault(b.Submitter.EntityType, "2"), LastName: b.Submitter.Name, FirstName: b.Submitter.FirstName, IDQualifier: "46", ID: b.Submitter.ID},
				TraceNumber: b.ReferenceID},
		},
	}
}

// finish277CA numbers the HL levels, adds one HL 19 per billing provider and
// the accepted/rejected quantities and amounts.
// Each provider level gets its name from the 837 (b) and the source level's
// trace number with the provider's place as its trace number.
func finish277CA(r *x12.ClaimStatusReport, b *x12.Batch837) {
	hl := 2
	providers := map[string]int{}
	var accQ, rejQ int64
	accA, rejA := decimal.Zero, decimal.Zero
	for i := range r.Claims {
		c := &r.Claims[i]
		if _, ok := providers[c.ProviderID]; !ok {
			hl++
			name := x12.Person{EntityType: "2", IDQualifier: "XX", ID: c.ProviderID}
			for _, bc := range b.Claims {
				if bp := bc.BillingProvider; bp.NPI == c.ProviderID {
					name.EntityType, name.LastName, name.FirstName = orDefault(bp.EntityType, "2"), bp.LastName, bp.FirstName
					break
				}
			}
			r.Entities = append(r.Entities, x12.StatusEntity{HLID: fmt.Sprint(hl), ParentID: "2", Level: "19", EntityCode: "85",
				Name: name, TraceNumber: fmt.Sprintf("%s-%d", r.Entities[0].TraceNumber, len(providers)+1)})
			providers[c.ProviderID] = len(r.Entities) - 1
		}
	}
	for i := range r.Claims {
		c := &r.Claims[i]
		hl++
		c.HLID = fmt.Sprint(hl)
		e := &r.Entities[providers[c.ProviderID]]
		rejected := c.Statuses[0].ActionCode == "U"
		add := func(q **decimal.Decimal, v decimal.Decimal) {
			if *q == nil {
				z := decimal.Zero
				*q = &z
			}
			n := (*q).Add(v)
			*q = &n
		}
		if rejected {
			rejQ++
			rejA = rejA.Add(c.TotalCharge)
			add(&e.RejectedQuantity, decimal.NewFromInt(1))
			add(&e.RejectedAmount, c.TotalCharge)
		} else {
			accQ++
			accA = accA.Add(c.TotalCharge)
			add(&e.AcceptedQuantity, decimal.NewFromInt(1))
			add(&e.AcceptedAmount, c.TotalCharge)
		}
	}
	// 2200C: the provider's status (STC02 not used), for all its claims.
	for _, i := range providers {
		e := &r.Entities[i]
		total := decimal.Zero
		for _, v := range []*decimal.Decimal{e.AcceptedAmount, e.RejectedAmount} {
			if v != nil {
				total = total.Add(*v)
			}
		}
		e.Statuses = []x12.StatusInfo{{Codes: []x12.StatusCode{{Category: "A1", Status: "19", Entity: "PR"}}, ActionCode: "WQ", Amount: &total}}
	}
	recv := &r.Entities[1]
	day := r.Entities[0].ReceivedDate
	total := accA.Add(rejA)
	recv.Statuses = []x12.StatusInfo{{Codes: []x12.StatusCode{{Category: "A1", Status: "19", Entity: "PR"}}, Date: day, ActionCode: "WQ", Amount: &total}}
	aq, rq := decimal.NewFromInt(accQ), decimal.NewFromInt(rejQ)
	recv.AcceptedQuantity, recv.RejectedQuantity = &aq, &rq
	recv.AcceptedAmount, recv.RejectedAmount = &accA, &rejA
}

// simulatedPayerAddress is the simulated payer's address (835 1000A N3/N4)
// when the 837 gives none for the payer (2010BB).
var simulatedPayerAddress = x12.Address{Line1: "PO BOX 1000", City: "SPRINGFIELD", State: "IL", PostalCode: "627010000"}

func payerAddress(a *x12.Address) *x12.Address {
	if a != nil && a.Line1 != "" && a.City != "" {
		return a
	}
	v := simulatedPayerAddress
	return &v
}

// write835 builds the 835 of one payer/provider group.
func (s *Simulator) write835(g *remitGroup, submitter string, now time.Time) ([]byte, error) {
	s.checkSeq++
	check := fmt.Sprintf("SIMCHK%08d", s.checkSeq)
	payDate := x12.NewDate(now.Year(), now.Month(), now.Day())
	if s.cfg.RemitDelay > 0 {
		t := now.Add(s.cfg.RemitDelay)
		payDate = x12.NewDate(t.Year(), t.Month(), t.Day())
	}
	r := x12.Remittance{
		Envelope:       s.envelope(orDefault(g.payerID, "PAYER"), submitter, now),
		Trace:          x12.Trace{TypeCode: "1", Number: check, OriginatorID: "1999999999"},
		ProductionDate: payDate,
		Payer: x12.Party{Name: orDefault(g.payerName, "SIMULATED PAYER"), Address: payerAddress(g.payerAddress),
			References: []x12.Reference{{Qualifier: "2U", Value: orDefault(g.payerID, "PAYER")}},
			Contacts:   []x12.Contact{{Function: "BL", Name: "PROVIDER SERVICES", Phone: "8005550199"}}},
		Payee:  x12.Party{Name: g.billing.LastName, IDQualifier: "XX", ID: g.billing.NPI},
		Claims: g.claims,
	}
	if g.billing.TaxID != "" {
		r.Payee.References = []x12.Reference{{Qualifier: "TJ", Value: g.billing.TaxID}}
	}
	total := decimal.Zero
	for _, c := range g.claims {
		total = total.Add(c.Payment)
	}
	key := g.payerID + "|" + g.billing.NPI
	fiscal := x12.NewDate(now.Year(), time.December, 31)
	var items []x12.ProviderAdjustmentItem
	switch owed := s.forward[key]; {
	case total.IsNegative():
		// Defer the debt: a negative FB raises this payment to zero.
		items = append(items, x12.ProviderAdjustmentItem{ReasonCode: "FB", ReferenceID: g.claims[0].PayerClaimControlNumber, Amount: total})
		s.forward[key] = owed.Sub(total)
	case owed.IsPositive() && total.IsPositive():
		take := decimal.Min(owed, total)
		items = append(items, x12.ProviderAdjustmentItem{ReasonCode: "FB", ReferenceID: "RECOVERY", Amount: take})
		s.forward[key] = owed.Sub(take)
	}
	plb := decimal.Zero
	for _, it := range items {
		plb = plb.Add(it.Amount)
	}
	if len(items) > 0 {
		r.ProviderAdjustments = []x12.ProviderAdjustment{{ProviderID: g.billing.NPI, FiscalPeriodDate: fiscal, Items: items}}
	}
	amount := total.Sub(plb)
	r.Payment = x12.PaymentInfo{HandlingCode: "I", Amount: amount, CreditDebit: "C", Method: "CHK", Date: payDate}
	if amount.IsZero() {
		r.Payment.HandlingCode, r.Payment.Method = "H", "NON"
	}
	for _, rec := range g.records {
		rec.checkNumber, rec.checkDate = check, payDate
	}
	return x12.Write835(&r)
}
