package clearinghouse

import (
	"context"
	"testing"
	"time"

	"github.com/clinicflow/rcm/internal/x12"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// denied submits one claim, delivers its 835 and returns the claim payment.
func denied(t *testing.T, s *testSim, clk *fakeClock, sub, pcn, member string, charges ...string) x12.ClaimPayment {
	t.Helper()
	_, err := s.Submit(context.Background(), sub, batch(t, 1, claim(pcn, member, charges...)))
	require.NoError(t, err)
	rs := parse835(t, deliver(t, s, clk)[Kind835])
	require.Len(t, rs, 1)
	require.Len(t, rs[0].Claims, 1)
	return rs[0].Claims[0]
}

func appeal(id, pcn, payerCN string, level int) AppealRequest {
	return AppealRequest{AppealID: id, PayerID: "ACME01", PatientControlNumber: pcn, PayerClaimControlNumber: payerCN,
		Level: level, Letter: "Please reconsider the enclosed records."}
}

func TestAppealDefaultRules(t *testing.T) {
	tests := []struct {
		member  string
		charges []string
		status  string // CLP02 of the appeal's 835
		paid    string
		adjs    []adj
	}{
		{"DENY50A", []string{"100"}, "1", "90", []adj{{"CO", "45", "10"}}},
		{"DENY16A", []string{"100", "20"}, "1", "108", []adj{{"CO", "45", "10"}, {"CO", "45", "2"}}},
		{"DENY197A", []string{"80"}, "1", "72", []adj{{"CO", "45", "8"}}},
		{"DENY29A", []string{"80"}, "4", "0", []adj{{"CO", "29", "80"}}},
		{"DENY18A", []string{"80", "20"}, "4", "0", []adj{{"CO", "18", "80"}, {"CO", "18", "20"}}},
	}
	for _, tt := range tests {
		t.Run(tt.member, func(t *testing.T) {
			s, clk := newSim()
			ctx := context.Background()
			first := denied(t, s, clk, "sub1", "PCNA", tt.member, tt.charges...)
			require.True(t, first.IsDenial)

			received := clk.Now()
			res, err := s.Appeal(ctx, appeal("ap1", "PCNA", first.PayerClaimControlNumber, 1))
			require.NoError(t, err)
			assert.Equal(t, AppealResult{AppealID: "ap1", ReceivedAt: received, Accepted: true}, res)

			status := func() string {
				raw, err := s.ClaimStatus(ctx, StatusRequest{PayerID: "ACME01", PayerName: "ACME", ProviderNPI: "1234567893",
					ProviderName: "CLINICFLOW", MemberID: tt.member, FirstName: "JOHN", LastName: "DOE", PatientControlNumber: "PCNA"})
				require.NoError(t, err)
				rep, err := x12.Parse277(raw)
				require.NoError(t, err)
				return rep[0].Claims[0].Statuses[0].Codes[0].Category
			}
			assert.Equal(t, "P1", status(), "in process while the appeal is decided")
			clk.Advance(9 * time.Second)
			in, err := s.Poll(ctx, s.cursor)
			require.NoError(t, err)
			assert.Empty(t, in, "no 835 before RemitDelay")

			// A retry of the same appeal returns the first result and sends nothing.
			again, err := s.Appeal(ctx, appeal("ap1", "PCNA", first.PayerClaimControlNumber, 1))
			require.NoError(t, err)
			assert.Equal(t, res, again)

			files := deliver(t, s, clk)
			require.Len(t, files[Kind835], 1)
			assert.Empty(t, files[Kind999])
			assert.Equal(t, "ap1", files[Kind835][0].AppealID)
			assert.Equal(t, "sub1", files[Kind835][0].SubmissionID)
			rs := parse835(t, files[Kind835])
			require.Len(t, rs, 1)
			require.Len(t, rs[0].Claims, 1, "the denial paid nothing: no reversal")
			c := rs[0].Claims[0]
			assert.Equal(t, "PCNA", c.PatientControlNumber)
			assert.Equal(t, first.PayerClaimControlNumber, c.PayerClaimControlNumber)
			assert.Equal(t, tt.status, c.StatusCode)
			assert.True(t, dec(tt.paid).Equal(c.Payment), "paid %s", c.Payment)
			assert.True(t, rs[0].Payment.Amount.Equal(c.Payment))
			assert.Equal(t, tt.adjs, lineAdjustments(c))
			if tt.status == "4" {
				assert.Equal(t, "F2", status())
				// Upheld: level 1 is decided, level 2 may follow and is upheld again.
				r, err := s.Appeal(ctx, appeal("ap1b", "PCNA", "", 1))
				require.NoError(t, err)
				assert.False(t, r.Accepted)
				assert.Equal(t, "LEVEL 1 APPEAL ALREADY DECIDED", r.Reason)
				r, err = s.Appeal(ctx, appeal("ap2", "PCNA", "", 2))
				require.NoError(t, err)
				assert.True(t, r.Accepted)
				rs = parse835(t, deliver(t, s, clk)[Kind835])
				require.Len(t, rs, 1)
				assert.Equal(t, tt.adjs, lineAdjustments(rs[0].Claims[0]))
			} else {
				assert.Equal(t, "F1", status())
				r, err := s.Appeal(ctx, appeal("ap2", "PCNA", "", 2))
				require.NoError(t, err)
				assert.Equal(t, AppealResult{AppealID: "ap2", ReceivedAt: clk.Now(), Reason: "CLAIM IS NOT DENIED"}, r)
				assert.Empty(t, deliver(t, s, clk))
			}
		})
	}
}

func TestAppealRefused(t *testing.T) {
	s, clk := newSim()
	ctx := context.Background()
	data := batch(t, 1, claim("PCNP", "W1", "100"), claim("PCND", "DENY50", "60"), claim("PCNR", "REJECT1", "10"))
	_, err := s.Submit(ctx, "s1", data)
	require.NoError(t, err)
	early, err := s.Appeal(ctx, appeal("early", "PCND", "", 1))
	require.NoError(t, err)
	assert.Equal(t, "CLAIM IS IN PROCESS", early.Reason, "the denial is not out yet")
	rs := parse835(t, deliver(t, s, clk)[Kind835])
	require.Len(t, rs[0].Claims, 2)
	denialCN := rs[0].Claims[1].PayerClaimControlNumber
	paidCN := rs[0].Claims[0].PayerClaimControlNumber

	otherPayer := appeal("other", "PCND", "", 1)
	otherPayer.PayerID = "BETA02"
	tests := []struct {
		name   string
		req    AppealRequest
		reason string
	}{
		{"unknown", appeal("unknown", "NOPE", "", 1), "CLAIM NOT FOUND"},
		{"other payer", otherPayer, "CLAIM NOT FOUND"},
		{"payer claim number of another claim", appeal("mismatch", "PCND", paidCN, 1), "CLAIM NOT FOUND"},
		{"paid", appeal("paid", "PCNP", "", 1), "CLAIM IS NOT DENIED"},
		{"rejected", appeal("rejected", "PCNR", "", 1), "CLAIM WAS REJECTED, NOT ADJUDICATED"},
		{"level 2 first", appeal("level2", "PCND", denialCN, 2), "LEVEL 1 APPEAL REQUIRED FIRST"},
		{"repeated id keeps its first result", appeal("early", "PCND", denialCN, 1), "CLAIM IS IN PROCESS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.Appeal(ctx, tt.req)
			require.NoError(t, err)
			assert.False(t, r.Accepted)
			assert.Equal(t, tt.reason, r.Reason)
		})
	}
	assert.Empty(t, deliver(t, s, clk), "refused appeals send nothing")

	for _, bad := range []AppealRequest{
		{PayerID: "ACME01", PatientControlNumber: "PCND", Level: 1, Letter: "x"},
		{AppealID: "b1", PatientControlNumber: "PCND", Level: 1, Letter: "x"},
		{AppealID: "b2", PayerID: "ACME01", PatientControlNumber: "PCND", Level: 3, Letter: "x"},
		{AppealID: "b3", PayerID: "ACME01", PatientControlNumber: "PCND", Level: 1, Letter: "  "},
	} {
		_, err := s.Appeal(ctx, bad)
		require.ErrorIs(t, err, ErrInvalidAppeal, "%+v", bad)
	}

	// A void leaves nothing to appeal.
	void := claim("PCND", "DENY50", "60")
	void.FrequencyCode, void.OriginalClaimNumber = "8", denialCN
	_, err = s.Submit(ctx, "void", batch(t, 2, void))
	require.NoError(t, err)
	deliver(t, s, clk)
	r, err := s.Appeal(ctx, appeal("voided", "PCND", "", 1))
	require.NoError(t, err)
	assert.Equal(t, "CLAIM WAS VOIDED OR REPLACED", r.Reason)
}

// TestAppealDuplicateUpheld: the CO-18 the payer gives a resubmitted
// original is upheld on appeal even though the member's rule pays appeals.
func TestAppealDuplicateUpheld(t *testing.T) {
	s, clk := newSim()
	ctx := context.Background()
	denied(t, s, clk, "s1", "PCNX", "W1", "100")
	dup := denied(t, s, clk, "s2", "PCNX", "W1", "100")
	require.Equal(t, []adj{{"CO", "18", "100"}}, lineAdjustments(dup))
	r, err := s.Appeal(ctx, appeal("a", "PCNX", dup.PayerClaimControlNumber, 1))
	require.NoError(t, err)
	require.True(t, r.Accepted)
	rs := parse835(t, deliver(t, s, clk)[Kind835])
	assert.Equal(t, "4", rs[0].Claims[0].StatusCode)
	assert.Equal(t, []adj{{"CO", "18", "100"}}, lineAdjustments(rs[0].Claims[0]))
}

func TestAppealCustomOutcomes(t *testing.T) {
	rules := DefaultRules()
	rules.Claims = append([]Rule{
		{Name: "half", Match: Match{MemberIDPrefix: "HALF"}, Outcome: Outcome{Kind: OutcomeDeny, DenyReason: "50"},
			AppealOutcome: &Outcome{Kind: OutcomePay, AllowedPercent: dec("50"), Copay: dec("10")}},
		{Name: "recode", Match: Match{MemberIDPrefix: "RECODE"}, Outcome: Outcome{Kind: OutcomeDeny, DenyReason: "50", Remarks: []string{"N115"}},
			AppealOutcome: &Outcome{Kind: OutcomeDeny, DenyGroup: "PR", DenyReason: "96", Remarks: []string{"N130"}}},
	}, rules.Claims...)
	tests := []struct {
		member  string
		paid    string
		adjs    []adj
		remarks []x12.RemarkCode
	}{
		{"HALF1", "40", []adj{{"CO", "45", "50"}, {"PR", "3", "10"}}, nil},
		{"RECODE1", "0", []adj{{"PR", "96", "100"}}, []x12.RemarkCode{{Qualifier: "HE", Code: "N130"}}},
	}
	for _, tt := range tests {
		t.Run(tt.member, func(t *testing.T) {
			s, clk := newSimWith(Config{Rules: &rules})
			first := denied(t, s, clk, "s", "PCNC", tt.member, "100")
			require.True(t, first.IsDenial)
			r, err := s.Appeal(context.Background(), appeal("a", "PCNC", "", 1))
			require.NoError(t, err)
			require.True(t, r.Accepted)
			c := parse835(t, deliver(t, s, clk)[Kind835])[0].Claims[0]
			assert.True(t, dec(tt.paid).Equal(c.Payment), "paid %s", c.Payment)
			assert.Equal(t, tt.adjs, lineAdjustments(c))
			assert.Equal(t, tt.remarks, c.ServiceLines[0].RemarkCodes)
		})
	}
}

// TestAppealPaymentRecoversForwardBalance: the appeal's 835 goes through the
// same PLB logic as any other 835 of the payer and provider.
func TestAppealPaymentRecoversForwardBalance(t *testing.T) {
	s, clk := newSim()
	ctx := context.Background()
	_, err := s.Submit(ctx, "s1", batch(t, 1, claim("PCNP", "W1", "100"), claim("PCND", "DENY50", "200")))
	require.NoError(t, err)
	rs := parse835(t, deliver(t, s, clk)[Kind835])
	require.Len(t, rs[0].Claims, 2)
	void := claim("PCNP", "W1", "100")
	void.FrequencyCode, void.OriginalClaimNumber = "8", rs[0].Claims[0].PayerClaimControlNumber
	_, err = s.Submit(ctx, "void", batch(t, 2, void))
	require.NoError(t, err)
	rs = parse835(t, deliver(t, s, clk)[Kind835])
	require.True(t, rs[0].Payment.Amount.IsZero(), "the 90.00 taken back is owed")

	r, err := s.Appeal(ctx, appeal("a", "PCND", "", 1))
	require.NoError(t, err)
	require.True(t, r.Accepted)
	rs = parse835(t, deliver(t, s, clk)[Kind835])
	require.Len(t, rs, 1)
	assert.True(t, rs[0].Claims[0].Payment.Equal(dec("180")))
	require.Len(t, rs[0].ProviderAdjustments, 1)
	item := rs[0].ProviderAdjustments[0].Items[0]
	assert.Equal(t, "FB", item.ReasonCode)
	assert.True(t, item.Amount.Equal(dec("90")), "recovered %s", item.Amount)
	assert.True(t, rs[0].Payment.Amount.Equal(dec("90")), "BPR02 %s", rs[0].Payment.Amount)
}
