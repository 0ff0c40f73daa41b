package clearinghouse

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinicflow/rcm/internal/x12"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testSim is a Simulator with the Poll cursor of the tests' consumer.
type testSim struct {
	*Simulator
	cursor string
}

func newSim() (*testSim, *fakeClock) {
	return newSimWith(Config{})
}

// newSimWith fills cfg's clock and delays when unset.
func newSimWith(cfg Config) (*testSim, *fakeClock) {
	clk := &fakeClock{now: t0}
	cfg.Now = clk.Now
	if cfg.AckDelay == 0 && cfg.RemitDelay == 0 {
		cfg.AckDelay, cfg.RemitDelay = 2*time.Second, 10*time.Second
	}
	return &testSim{Simulator: NewSimulator(cfg)}, clk
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func claim(pcn, member string, charges ...string) x12.Claim837 {
	c := x12.Claim837{
		BillingProvider: x12.Provider{EntityType: "2", LastName: "CLINICFLOW FAMILY PRACTICE", NPI: "1234567893", TaxIDQualifier: "EI", TaxID: "371234567",
			Address: &x12.Address{Line1: "12 MAIN STREET", City: "SPRINGFIELD", State: "IL", PostalCode: "627011234"}},
		Subscriber: x12.Subscriber{PayerResponsibility: "P", ClaimFilingIndicator: "CI", EntityType: "1", LastName: "DOE", FirstName: "JOHN",
			MemberID: member, Address: &x12.Address{Line1: "45 ELM ST", City: "SPRINGFIELD", State: "IL", PostalCode: "62704"},
			BirthDate: x12.NewDate(1980, 5, 17), Gender: "M"},
		Payer:                x12.Payer{Name: "ACME HEALTH PLAN", ID: "ACME01"},
		PatientControlNumber: pcn, PlaceOfService: "11", FrequencyCode: "1", ProviderSignature: true,
		AssignmentCode: "A", BenefitsAssignment: "Y", ReleaseOfInformation: "Y", Diagnoses: []string{"E119"},
	}
	total := decimal.Zero
	for i, ch := range charges {
		c.Lines = append(c.Lines, x12.ServiceLine837{Procedure: x12.Procedure{Qualifier: "HC", Code: fmt.Sprint(99211 + i)}, Charge: dec(ch),
			UnitType: "UN", Units: dec("1"), DiagnosisPointers: []int{1}, ServiceDate: x12.NewDate(2024, 2, 20),
			LineItemControlNumber: fmt.Sprintf("%s-%d", pcn, i+1)})
		total = total.Add(dec(ch))
	}
	c.TotalCharge = total
	return c
}

func batch(t *testing.T, cn int, claims ...x12.Claim837) []byte {
	t.Helper()
	b := batchOf(t, cn, claims...)
	data, err := x12.Write837(&b)
	require.NoError(t, err)
	return data
}

func batchOf(t *testing.T, cn int, claims ...x12.Claim837) x12.Batch837 {
	t.Helper()
	return x12.Batch837{
		Envelope: x12.Envelope{SenderIDQualifier: "ZZ", SenderID: "CLINICFLOW", ReceiverIDQualifier: "ZZ", ReceiverID: "CFSIM",
			InterchangeControlNumber: cn, UsageIndicator: "T", ApplicationSenderCode: "CLINICFLOW", ApplicationReceiverCode: "CFSIM",
			GroupControlNumber: cn, Date: t0, TransactionControlNumber: fmt.Sprintf("%04d", cn)},
		ReferenceID: fmt.Sprintf("BATCH%d", cn), CreatedAt: t0,
		Submitter: x12.Submitter{EntityType: "2", Name: "CLINICFLOW BILLING", ID: "CFB123", Contact: x12.Contact{Name: "DESK", Phone: "2175550100"}},
		Receiver:  x12.Receiver{Name: "ACME HEALTH PLAN", ID: "ACME01"},
		Claims:    claims,
	}
}

// deliver advances the clock past every delay and returns the files after
// the cursor by kind, advancing the cursor.
func deliver(t *testing.T, s *testSim, clk *fakeClock) map[Kind][]Inbound {
	t.Helper()
	clk.Advance(time.Minute)
	in, err := s.Poll(context.Background(), s.cursor)
	require.NoError(t, err)
	out := map[Kind][]Inbound{}
	for _, f := range in {
		require.Greater(t, f.ID, s.cursor)
		s.cursor = f.ID
		out[f.Kind] = append(out[f.Kind], f)
	}
	return out
}

func parse835(t *testing.T, files []Inbound) []x12.Remittance {
	t.Helper()
	var out []x12.Remittance
	for _, f := range files {
		rs, err := x12.Parse835(f.Data)
		require.NoError(t, err)
		for i := range rs {
			require.NoError(t, rs[i].CheckBalance(), "BPR02 = sum CLP04 - sum PLB")
			for j := range rs[i].Claims {
				require.NoError(t, rs[i].Claims[j].CheckBalance())
			}
		}
		out = append(out, rs...)
	}
	return out
}

type adj struct{ group, reason, amount string }

func lineAdjustments(c x12.ClaimPayment) []adj {
	var out []adj
	for _, l := range c.ServiceLines {
		for _, a := range l.Adjustments {
			out = append(out, adj{a.Group, a.Reason, a.Amount.String()})
		}
	}
	return out
}

func TestSubmitRuleOutcomes(t *testing.T) {
	tests := []struct {
		member  string
		charges []string
		status  string
		paid    string
		patient string
		adjs    []adj
		remarks []string
	}{
		{"W123", []string{"100", "50"}, "1", "135", "0", []adj{{"CO", "45", "10"}, {"CO", "45", "5"}}, nil},
		{"PAYFULL1", []string{"100"}, "1", "100", "0", nil, nil},
		{"PARTIAL1", []string{"100", "50"}, "1", "95", "25", []adj{{"CO", "45", "20"}, {"PR", "3", "25"}, {"CO", "45", "10"}}, nil},
		{"DEDUCT1", []string{"100", "50"}, "1", "35", "100", []adj{{"CO", "45", "10"}, {"PR", "1", "90"}, {"CO", "45", "5"}, {"PR", "1", "10"}}, nil},
		{"COINS1", []string{"100"}, "1", "72", "18", []adj{{"CO", "45", "10"}, {"PR", "2", "18"}}, nil},
		{"DENY50X", []string{"100"}, "4", "0", "0", []adj{{"CO", "50", "100"}}, []string{"N115"}},
		{"DENY16X", []string{"100", "20"}, "4", "0", "0", []adj{{"CO", "16", "100"}, {"CO", "16", "20"}}, []string{"M76", "N290"}},
		{"DENY29X", []string{"80"}, "4", "0", "0", []adj{{"CO", "29", "80"}}, nil},
		{"DENY197X", []string{"80"}, "4", "0", "0", []adj{{"CO", "197", "80"}}, nil},
		{"DENY18X", []string{"80"}, "4", "0", "0", []adj{{"CO", "18", "80"}}, nil},
	}
	for i, tt := range tests {
		t.Run(tt.member, func(t *testing.T) {
			s, clk := newSim()
			pcn := fmt.Sprintf("PCN%d", i)
			res, err := s.Submit(context.Background(), "sub-"+pcn, batch(t, 100+i, claim(pcn, tt.member, tt.charges...)))
			require.NoError(t, err)
			assert.True(t, res.Accepted)
			assert.Equal(t, 1, res.Claims)
			files := deliver(t, s, clk)
			require.Len(t, files[Kind999], 1)
			require.Len(t, files[Kind277CA], 1)
			acks, err := x12.Parse999(files[Kind999][0].Data)
			require.NoError(t, err)
			assert.Equal(t, "A", acks[0].GroupStatus)
			rep, err := x12.Parse277(files[Kind277CA][0].Data)
			require.NoError(t, err)
			require.Len(t, rep[0].Claims, 1)
			assert.True(t, rep[0].Claims[0].Accepted())
			rs := parse835(t, files[Kind835])
			require.Len(t, rs, 1)
			require.Len(t, rs[0].Claims, 1)
			c := rs[0].Claims[0]
			assert.Equal(t, pcn, c.PatientControlNumber)
			assert.Equal(t, rep[0].Claims[0].PayerClaimControlNumber, c.PayerClaimControlNumber)
			assert.Equal(t, tt.status, c.StatusCode)
			assert.True(t, dec(tt.paid).Equal(c.Payment), "paid %s", c.Payment)
			assert.True(t, dec(tt.patient).Equal(c.PatientResponsibility), "patient %s", c.PatientResponsibility)
			assert.Equal(t, tt.adjs, lineAdjustments(c))
			var remarks []string
			for _, rc := range c.ServiceLines[0].RemarkCodes {
				assert.Equal(t, "HE", rc.Qualifier)
				remarks = append(remarks, rc.Code)
			}
			assert.Equal(t, tt.remarks, remarks)
			assert.True(t, rs[0].Payment.Amount.Equal(c.Payment))
			for _, f := range files[Kind835] {
				assert.Equal(t, "sub-"+pcn, f.SubmissionID)
			}
		})
	}
}

func TestSubmit277CARejectAndBalanceCheck(t *testing.T) {
	s, clk := newSim()
	data := batch(t, 1, claim("PCNOK", "W1", "100"), claim("PCNREJ", "REJECT1", "40"), claim("PCNBAL", "W1", "100"))
	// CLM02 no longer equals the line charges.
	data = []byte(strings.Replace(string(data), "CLM*PCNBAL*100", "CLM*PCNBAL*90", 1))
	_, err := s.Submit(context.Background(), "sub1", data)
	require.NoError(t, err)
	files := deliver(t, s, clk)
	rep, err := x12.Parse277(files[Kind277CA][0].Data)
	require.NoError(t, err)
	require.Len(t, rep[0].Claims, 3)
	assert.True(t, rep[0].Claims[0].Accepted())
	assert.True(t, rep[0].Claims[1].Rejected())
	assert.Equal(t, x12.StatusCode{Category: "A7", Status: "164", Entity: "IL"}, rep[0].Claims[1].Statuses[0].Codes[0])
	assert.Contains(t, rep[0].Claims[1].RejectionReason, "SUBSCRIBER ID NOT FOUND")
	assert.True(t, rep[0].Claims[2].Rejected())
	assert.Equal(t, "400", rep[0].Claims[2].Statuses[0].Codes[0].Status)
	recv := rep[0].Entities[1]
	assert.True(t, recv.AcceptedQuantity.Equal(dec("1")))
	assert.True(t, recv.RejectedQuantity.Equal(dec("2")))
	assert.True(t, recv.RejectedAmount.Equal(dec("130")), "%s", recv.RejectedAmount)
	rs := parse835(t, files[Kind835])
	require.Len(t, rs, 1)
	require.Len(t, rs[0].Claims, 1, "rejected claims get no 835")
	assert.Equal(t, "PCNOK", rs[0].Claims[0].PatientControlNumber)
}

func TestSubmitBrokenBatch999Reject(t *testing.T) {
	s, clk := newSim()
	data := string(batch(t, 5, claim("PCNX", "W1", "100")))
	data = strings.Replace(data, "CLM*PCNX*100", "CLM*PCNX*1X0", 1)
	res, err := s.Submit(context.Background(), "broken", []byte(data))
	require.NoError(t, err)
	assert.False(t, res.Accepted)
	files := deliver(t, s, clk)
	assert.Empty(t, files[Kind277CA])
	assert.Empty(t, files[Kind835])
	require.Len(t, files[Kind999], 1)
	acks, err := x12.Parse999(files[Kind999][0].Data)
	require.NoError(t, err)
	a := acks[0]
	assert.Equal(t, "R", a.GroupStatus)
	assert.Equal(t, "5", a.GroupControlNumber)
	require.Len(t, a.Transactions, 1)
	tx := a.Transactions[0]
	assert.False(t, tx.Accepted)
	assert.Equal(t, "0005", tx.ControlNumber)
	require.Len(t, tx.SegmentErrors, 1)
	se := tx.SegmentErrors[0]
	assert.Equal(t, "CLM", se.SegmentID)
	// IK302 counts from ST = 1: find CLM in the transaction.
	segs, err := x12.Tokenize([]byte(data))
	require.NoError(t, err)
	st, clm := 0, 0
	for _, sg := range segs {
		if sg.ID == "ST" {
			st = sg.Position
		}
		if sg.ID == "CLM" {
			clm = sg.Position
		}
	}
	assert.Equal(t, clm-st+1, se.Position)
	// IK303 names the loop; IK402 the element (CLM02 is 782, the claim
	// amount); IK403 6: an invalid character in a numeric element.
	assert.Equal(t, "2300", se.LoopID)
	require.Len(t, se.ElementErrors, 1)
	assert.Equal(t, 2, se.ElementErrors[0].Position)
	assert.Equal(t, "782", se.ElementErrors[0].ElementRef)
	assert.Equal(t, "6", se.ElementErrors[0].ErrorCode)
	assert.Equal(t, "1X0", se.ElementErrors[0].BadData)

	_, err = s.Submit(context.Background(), "garbage", []byte("hello"))
	require.ErrorIs(t, err, ErrUnreadableInterchange)
}

func TestSubmitIdempotentAndPollCursorAfterDelay(t *testing.T) {
	s, clk := newSim()
	ctx := context.Background()
	data := batch(t, 7, claim("PCN7", "W7", "100"))
	r1, err := s.Submit(ctx, "same", data)
	require.NoError(t, err)
	r2, err := s.Submit(ctx, "same", data)
	require.NoError(t, err)
	assert.Equal(t, r1, r2)
	_, err = s.Submit(ctx, "same", batch(t, 8, claim("PCN8", "W7", "100")))
	require.ErrorIs(t, err, ErrSubmissionConflict)

	in, err := s.Poll(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, in, "nothing before AckDelay")
	clk.Advance(2 * time.Second)
	in, err = s.Poll(ctx, "")
	require.NoError(t, err)
	require.Len(t, in, 2)
	assert.Equal(t, Kind999, in[0].Kind)
	assert.Equal(t, Kind277CA, in[1].Kind)
	assert.Less(t, in[0].ID, in[1].ID)
	ack, ca := in[0], in[1]

	// Nothing is forgotten: a retried poll from the same cursor gets the
	// same files, and changing them does not change what is kept.
	in[0].Data[0] = 'X'
	again, err := s.Poll(ctx, "")
	require.NoError(t, err)
	require.Len(t, again, 2)
	assert.Equal(t, ack.ID, again[0].ID)
	assert.Equal(t, byte('I'), again[0].Data[0], "ISA")
	in, err = s.Poll(ctx, ca.ID)
	require.NoError(t, err)
	assert.Empty(t, in, "nothing after the cursor")

	clk.Advance(7 * time.Second)
	in, err = s.Poll(ctx, ca.ID)
	require.NoError(t, err)
	assert.Empty(t, in, "835 not before RemitDelay")
	clk.Advance(time.Second)
	in, err = s.Poll(ctx, ca.ID)
	require.NoError(t, err)
	require.Len(t, in, 1)
	assert.Equal(t, Kind835, in[0].Kind)
	assert.Equal(t, "same", in[0].SubmissionID)
	assert.Greater(t, in[0].ID, ca.ID)
	in, err = s.Poll(ctx, in[0].ID)
	require.NoError(t, err)
	assert.Empty(t, in)
	in, err = s.Poll(ctx, ack.ID)
	require.NoError(t, err)
	require.Len(t, in, 2, "an older cursor reads again")
	assert.Equal(t, []Kind{Kind277CA, Kind835}, []Kind{in[0].Kind, in[1].Kind})
}

// summary is what a consumer sees of a file.
type summary struct {
	id, sub string
	kind    Kind
	at      time.Time
}

func summaries(in []Inbound) []summary {
	var out []summary
	for _, f := range in {
		out = append(out, summary{f.ID, f.SubmissionID, f.Kind, f.AvailableAt})
	}
	return out
}

// TestPollAvailabilityOrder checks that a file due later does not hold back
// files due earlier, that a cursor never skips a file, and that IDs do not
// depend on when Poll is called.
func TestPollAvailabilityOrder(t *testing.T) {
	ctx := context.Background()
	run := func(pollEarly bool) []summary {
		s, clk := newSim()
		var seen []Inbound
		poll := func() {
			in, err := s.Poll(ctx, s.cursor)
			require.NoError(t, err)
			for _, f := range in {
				require.Greater(t, f.ID, s.cursor)
				s.cursor = f.ID
			}
			seen = append(seen, in...)
		}
		_, err := s.Submit(ctx, "A", batch(t, 1, claim("PCNA", "W1", "100"))) // 999/277CA at +2s, 835 at +10s
		require.NoError(t, err)
		clk.Advance(5 * time.Second)
		_, err = s.Submit(ctx, "B", batch(t, 2, claim("PCNB", "W1", "100"))) // at +7s and +15s
		require.NoError(t, err)
		clk.Advance(3 * time.Second) // +8s: A's 835 is not due, B's acks are
		if pollEarly {
			poll()
			require.Len(t, seen, 4, "B's acknowledgments are not held behind A's 835")
			for _, f := range seen {
				assert.NotEqual(t, Kind835, f.Kind)
			}
		}
		clk.Advance(8 * time.Second) // +16s
		poll()
		return summaries(seen)
	}
	early, late := run(true), run(false)
	require.Len(t, early, 6, "no file skipped by the cursor")
	assert.Equal(t, early, late)
	var order []string
	for _, f := range early {
		order = append(order, f.sub+string(f.kind))
	}
	assert.Equal(t, []string{"A999", "A277CA", "B999", "B277CA", "A835", "B835"}, order)
}

func TestPollRetention(t *testing.T) {
	s, clk := newSimWith(Config{PollRetention: 4})
	ctx := context.Background()
	var all []Inbound
	for i := range 3 {
		_, err := s.Submit(ctx, fmt.Sprint("r", i), batch(t, 10+i, claim(fmt.Sprint("PCNR", i), "W1", "100")))
		require.NoError(t, err)
		clk.Advance(time.Minute)
		in, err := s.Poll(ctx, s.cursor)
		require.NoError(t, err)
		require.Len(t, in, 3)
		s.cursor = in[2].ID
		all = append(all, in...)
	}
	kept, err := s.Poll(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, summaries(all[len(all)-4:]), summaries(kept), "the last 4 files are kept")
	kept, err = s.Poll(ctx, all[0].ID)
	require.NoError(t, err)
	assert.Len(t, kept, 4, "a cursor behind the kept files misses the dropped ones")
}

func TestReplacementAndVoid(t *testing.T) {
	s, clk := newSim()
	ctx := context.Background()
	_, err := s.Submit(ctx, "orig", batch(t, 1, claim("PCNV", "W1", "100")))
	require.NoError(t, err)
	files := deliver(t, s, clk)
	first := parse835(t, files[Kind835])[0].Claims[0]
	assert.True(t, first.Payment.Equal(dec("90")))

	repl := claim("PCNV", "W1", "200")
	repl.FrequencyCode, repl.OriginalClaimNumber = "7", first.PayerClaimControlNumber
	_, err = s.Submit(ctx, "repl", batch(t, 2, repl))
	require.NoError(t, err)
	files = deliver(t, s, clk)
	rs := parse835(t, files[Kind835])
	require.Len(t, rs[0].Claims, 2)
	assert.Equal(t, "22", rs[0].Claims[0].StatusCode)
	assert.True(t, rs[0].Claims[0].Payment.Equal(dec("-90")))
	assert.Equal(t, "1", rs[0].Claims[1].StatusCode)
	assert.True(t, rs[0].Claims[1].Payment.Equal(dec("180")))
	assert.True(t, rs[0].Payment.Amount.Equal(dec("90")))
	second := rs[0].Claims[1]

	void := claim("PCNV", "W1", "200")
	void.FrequencyCode, void.OriginalClaimNumber = "8", second.PayerClaimControlNumber
	_, err = s.Submit(ctx, "void", batch(t, 3, void))
	require.NoError(t, err)
	files = deliver(t, s, clk)
	rs = parse835(t, files[Kind835])
	require.Len(t, rs[0].Claims, 1)
	rev := rs[0].Claims[0]
	assert.True(t, rev.IsReversal)
	assert.True(t, rev.Payment.Equal(dec("-180")))
	// Net negative: a PLB FB defers the debt and BPR02 is zero.
	assert.True(t, rs[0].Payment.Amount.IsZero())
	require.Len(t, rs[0].ProviderAdjustments, 1)
	assert.Equal(t, "FB", rs[0].ProviderAdjustments[0].Items[0].ReasonCode)

	// The next payment recovers the forward balance.
	_, err = s.Submit(ctx, "next", batch(t, 4, claim("PCNN", "PAYFULL", "500")))
	require.NoError(t, err)
	rs = parse835(t, deliver(t, s, clk)[Kind835])
	assert.True(t, rs[0].Payment.Amount.Equal(dec("320")))
	assert.True(t, rs[0].ProviderAdjustments[0].Items[0].Amount.Equal(dec("180")))

	// Void of an unknown claim is rejected at the 277CA; a duplicate original is CO-18.
	unknown := claim("PCNU", "W1", "10")
	unknown.FrequencyCode, unknown.OriginalClaimNumber = "8", "NOPE"
	dup := claim("PCNN", "W1", "10")
	_, err = s.Submit(ctx, "misc", batch(t, 5, unknown, dup))
	require.NoError(t, err)
	files = deliver(t, s, clk)
	rep, err := x12.Parse277(files[Kind277CA][0].Data)
	require.NoError(t, err)
	assert.True(t, rep[0].Claims[0].Rejected())
	assert.True(t, rep[0].Claims[1].Accepted())
	rs = parse835(t, files[Kind835])
	assert.Equal(t, []adj{{"CO", "18", "10"}}, lineAdjustments(rs[0].Claims[0]))
}

func TestEligibility(t *testing.T) {
	s, _ := newSim()
	tests := []struct {
		member     string
		active     bool
		copay      string
		deductible string
		reject     []string
	}{
		{"W123", true, "25", "500", nil},
		{"INACTIVE9", false, "0", "0", nil},
		{"", false, "0", "0", []string{"72"}},
	}
	for _, tt := range tests {
		t.Run(tt.member, func(t *testing.T) {
			res, err := s.CheckEligibility(context.Background(), EligibilityRequest{PayerID: "ACME01", PayerName: "ACME HEALTH PLAN",
				ProviderNPI: "1234567893", ProviderName: "CLINICFLOW", MemberID: tt.member, FirstName: "JOHN", LastName: "DOE"})
			require.NoError(t, err)
			assert.Equal(t, tt.active, res.Active)
			assert.True(t, res.Copay.Equal(dec(tt.copay)))
			assert.True(t, res.DeductibleRemaining.Equal(dec(tt.deductible)))
			assert.Equal(t, tt.reject, res.RejectReasons)
			rs, err := x12.Parse271(res.Raw271)
			require.NoError(t, err)
			assert.Equal(t, tt.member, rs[0].Subscriber.ID)
		})
	}
}

func TestClaimStatus(t *testing.T) {
	s, clk := newSim()
	ctx := context.Background()
	_, err := s.Submit(ctx, "s", batch(t, 1, claim("PCNS", "W1", "100"), claim("PCND", "DENY50", "60"), claim("PCNR", "REJECT", "10")))
	require.NoError(t, err)
	status := func(pcn string) x12.ClaimStatus {
		raw, err := s.ClaimStatus(ctx, StatusRequest{PayerID: "ACME01", PayerName: "ACME", ProviderNPI: "1234567893", ProviderName: "CLINICFLOW",
			MemberID: "W1", FirstName: "JOHN", LastName: "DOE", PatientControlNumber: pcn})
		require.NoError(t, err)
		rep, err := x12.Parse277(raw)
		require.NoError(t, err)
		require.Len(t, rep[0].Claims, 1)
		assert.Equal(t, x12.Implementation277, rep[0].ImplementationRef)
		return rep[0].Claims[0]
	}
	assert.Equal(t, "P1", status("PCNS").Statuses[0].Codes[0].Category)
	clk.Advance(time.Minute)
	paid := status("PCNS")
	assert.Equal(t, "F1", paid.Statuses[0].Codes[0].Category)
	assert.True(t, paid.PaidAmount.Equal(dec("90")))
	assert.True(t, paid.TotalCharge.Equal(dec("100")))
	assert.NotEmpty(t, paid.PayerClaimControlNumber)
	assert.Equal(t, "F2", status("PCND").Statuses[0].Codes[0].Category)
	rej := status("PCNR")
	assert.True(t, rej.Rejected())
	unknown := status("NOPE")
	assert.Equal(t, x12.StatusCode{Category: "A4", Status: "35"}, unknown.Statuses[0].Codes[0])
}

func TestConcurrentSubmit(t *testing.T) {
	s, clk := newSim()
	var wg sync.WaitGroup
	data := make([][]byte, 20)
	for i := range data {
		data[i] = batch(t, 200+i, claim(fmt.Sprintf("PCNC%d", i), "W1", "100"))
	}
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := s.Submit(context.Background(), fmt.Sprintf("c%d", i%20), data[i%20])
			assert.NoError(t, err)
			_, err = s.Poll(context.Background(), "")
			assert.NoError(t, err)
		}(i)
	}
	wg.Wait()
	files := deliver(t, s, clk)
	assert.Len(t, files[Kind999], 20)
	assert.Len(t, files[Kind277CA], 20)
	assert.Len(t, files[Kind835], 20)
	seen := map[int]bool{}
	for _, k := range []Kind{Kind999, Kind277CA, Kind835} {
		for _, f := range files[k] {
			ics, err := x12.ReadInterchanges(f.Data)
			require.NoError(t, err)
			cn := ics[0].ControlNumber
			assert.False(t, seen[cn], "control number %d reused", cn)
			seen[cn] = true
		}
	}
	assert.Equal(t, 60, len(seen))
}

func TestCanceledContext(t *testing.T) {
	s, _ := newSim()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Submit(ctx, "x", nil)
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.Poll(ctx, "")
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.Appeal(ctx, AppealRequest{AppealID: "a", PayerID: "ACME01", PatientControlNumber: "P", Level: 1, Letter: "x"})
	require.ErrorIs(t, err, context.Canceled)
}

// A restarted simulator with a later base never reuses a file ID or a trace
// number, so a poller's cursor keeps working and a new 835 is not a duplicate.
func TestSequenceBaseSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	first := NewSimulator(Config{Now: func() time.Time { return now }, SequenceBase: 1000})
	second := NewSimulator(Config{Now: func() time.Time { return now }, SequenceBase: 2000})
	var ids [2]string
	for i, sim := range []*Simulator{first, second} {
		data := batch(t, 1, claim("PCN1", "PAYFULL1", "100"))
		if _, err := sim.Submit(ctx, "sub-1", data); err != nil {
			t.Fatal(err)
		}
		files, err := sim.Poll(ctx, "")
		if err != nil || len(files) == 0 {
			t.Fatalf("poll: %v %d", err, len(files))
		}
		ids[i] = files[len(files)-1].ID
	}
	if !(ids[1] > ids[0]) {
		t.Fatalf("file IDs after a restart must sort after the old cursor: %s then %s", ids[0], ids[1])
	}
}

// twoGroups joins the functional groups of two single-group interchanges
// into one interchange (the envelope of a).
func twoGroups(t *testing.T, a, b []byte) []byte {
	t.Helper()
	as, bs := string(a), string(b)
	iea := strings.Index(as, "~IEA*")
	gs, ge := strings.Index(bs, "~GS*"), strings.Index(bs, "~IEA*")
	require.True(t, iea > 0 && gs > 0 && ge > gs)
	icn := as[strings.LastIndex(as, "*")+1 : len(as)-1]
	return []byte(as[:iea] + bs[gs:ge] + "~IEA*2*" + icn + "~")
}

// A file with two functional groups gets one 999 acknowledging each (one
// AK1 per group), whether accepted or rejected.
func TestSubmitTwoGroups999(t *testing.T) {
	s, clk := newSim()
	data := twoGroups(t, batch(t, 11, claim("PCNG1", "W1", "100")), batch(t, 12, claim("PCNG2", "W2", "50")))
	res, err := s.Submit(context.Background(), "two", data)
	require.NoError(t, err)
	require.True(t, res.Accepted)
	files := deliver(t, s, clk)
	require.Len(t, files[Kind999], 1)
	acks, err := x12.Parse999(files[Kind999][0].Data)
	require.NoError(t, err)
	require.Len(t, acks, 2)
	for i, gcn := range []string{"11", "12"} {
		assert.Equal(t, gcn, acks[i].GroupControlNumber)
		assert.Equal(t, "A", acks[i].GroupStatus)
		require.Len(t, acks[i].Transactions, 1)
		assert.Equal(t, fmt.Sprintf("%04d", 11+i), acks[i].Transactions[0].ControlNumber)
	}

	broken := strings.Replace(string(data), "CLM*PCNG2*50", "CLM*PCNG2*5X", 1)
	res, err = s.Submit(context.Background(), "two-broken", []byte(broken))
	require.NoError(t, err)
	require.False(t, res.Accepted)
	files = deliver(t, s, clk)
	acks, err = x12.Parse999(files[Kind999][0].Data)
	require.NoError(t, err)
	require.Len(t, acks, 2)
	assert.Equal(t, "11", acks[0].GroupControlNumber)
	assert.Empty(t, acks[0].Transactions[0].SegmentErrors)
	assert.Equal(t, "12", acks[1].GroupControlNumber)
	require.Len(t, acks[1].Transactions[0].SegmentErrors, 1)
	assert.Equal(t, "CLM", acks[1].Transactions[0].SegmentErrors[0].SegmentID)
	for _, a := range acks {
		assert.Equal(t, "R", a.GroupStatus)
		assert.False(t, a.Transactions[0].Accepted)
	}
}

func TestWaitReturnsWhenAFileArrivesOrTheTimeIsUp(t *testing.T) {
	s := NewSimulator(Config{Rules: nil})
	ctx := context.Background()

	start := time.Now()
	require.NoError(t, s.Wait(ctx, "", start.Add(50*time.Millisecond)))
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "nothing came: it waited until the time was up")

	done := make(chan error, 1)
	go func() { done <- s.Wait(ctx, "", time.Now().Add(time.Minute)) }()
	time.Sleep(20 * time.Millisecond)
	_, err := s.Submit(ctx, "sub1", batch(t, 7, claim("PCN7", "W7", "100")))
	require.NoError(t, err)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Wait did not return when the 999 arrived")
	}
	in, err := s.Poll(ctx, "")
	require.NoError(t, err)
	require.NotEmpty(t, in)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, s.Wait(cctx, in[len(in)-1].ID, time.Now().Add(time.Minute)), context.Canceled)
}
