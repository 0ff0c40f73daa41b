package x12

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse277Dispositions(t *testing.T) {
	tests := []struct {
		file         string
		pcns         []string
		dispositions []string
	}{
		{"277/imsweb_277ca_rejected.277", []string{"3920394930203"}, []string{DispositionRejected}},
		{"277/277ca_accepted.277", []string{"PCN1001", "PCN1002"}, []string{DispositionAccepted, DispositionAccepted}},
		{"277/277ca_rejected_member.277", []string{"PCN4001"}, []string{DispositionRejected}},
		{"277/277_claim_status_x212.277", []string{"PCN1002", "PCN1001"}, []string{DispositionFinalized, DispositionPending}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rs, err := Parse277(readTestdata(t, tt.file))
			require.NoError(t, err)
			require.Len(t, rs, 1)
			var pcns, disp []string
			for _, c := range rs[0].Claims {
				pcns = append(pcns, c.PatientControlNumber)
				disp = append(disp, c.Disposition)
				assert.Equal(t, c.Disposition == DispositionAccepted, c.Accepted())
				assert.Equal(t, c.Disposition == DispositionRejected, c.Rejected())
				assert.Equal(t, c.Rejected(), c.RejectionReason != "")
			}
			assert.Equal(t, tt.pcns, pcns)
			assert.Equal(t, tt.dispositions, disp)
		})
	}
}

func TestParse277CAPublicRejection(t *testing.T) {
	rs, err := Parse277(readTestdata(t, "277/imsweb_277ca_rejected.277"))
	require.NoError(t, err)
	r := rs[0]
	assert.Equal(t, "005010X214", r.ImplementationRef)
	assert.Equal(t, "3920394930203", r.ReferenceID)
	assert.Equal(t, time.Date(2011, 3, 11, 5, 12, 25, 0, time.UTC), r.CreatedAt)
	require.Len(t, r.Entities, 3)
	src, rcv, prov := r.Entities[0], r.Entities[1], r.Entities[2]
	assert.Equal(t, "20", src.Level)
	assert.Equal(t, "NYSDOH", src.Name.LastName)
	assert.Equal(t, "2011-03-11", src.ReceivedDate.String())
	assert.Equal(t, "21", rcv.Level)
	assert.Equal(t, "1", rcv.ParentID)
	assert.Equal(t, "11200001", rcv.TraceNumber)
	require.Len(t, rcv.Statuses, 1)
	assert.Equal(t, []StatusCode{{Category: "A1", Status: "20"}}, rcv.Statuses[0].Codes)
	assert.Equal(t, "WQ", rcv.Statuses[0].ActionCode)
	assert.True(t, dec("199.14").Equal(*rcv.AcceptedAmount))
	assert.True(t, dec("1").Equal(*rcv.AcceptedQuantity))
	assert.Equal(t, "19", prov.Level)
	assert.Equal(t, "PROVLNAME", prov.Name.LastName)

	c := r.Claims[0]
	assert.Equal(t, "3920394930203", c.PatientControlNumber)
	assert.Equal(t, "1107000000001120", c.PayerClaimControlNumber)
	assert.Equal(t, "731", c.BillType)
	assert.Equal(t, "PROVLNAME", c.ProviderName)
	assert.Equal(t, "123456789", c.ProviderID)
	assert.Equal(t, "CLILNAME", c.Patient.LastName)
	assert.Equal(t, "XX99999X", c.Patient.ID)
	assert.True(t, dec("199.14").Equal(c.TotalCharge))
	assert.Equal(t, "2009-03-11", c.ServiceFrom.String())
	require.Len(t, c.Statuses, 1)
	assert.Equal(t, []StatusCode{{Category: "A7", Status: "562", Entity: "85"}}, c.Statuses[0].Codes)
	assert.Equal(t, "2011-03-11", c.Statuses[0].Date.String())
	assert.True(t, c.Rejected())
	assert.Equal(t, "A7 (Acknowledgement/Rejected for Invalid Information): status 562 (Entity's National Provider Identifier (NPI)), entity 85 (Billing Provider)", c.RejectionReason)
}

func TestParse277CAAccepted(t *testing.T) {
	rs, err := Parse277(readTestdata(t, "277/277ca_accepted.277"))
	require.NoError(t, err)
	r := rs[0]
	require.Len(t, r.Claims, 2)
	c1, c2 := r.Claims[0], r.Claims[1]
	assert.Equal(t, "PAYER0002", c1.PayerClaimControlNumber)
	assert.True(t, c1.Accepted())
	assert.Empty(t, c1.RejectionReason)
	assert.True(t, dec("150").Equal(c1.TotalCharge))
	assert.Equal(t, "1234567893", c1.ProviderID)
	assert.Equal(t, "CLINICFLOW FAMILY PRACTICE", c1.ProviderName)
	assert.Equal(t, "CH998877", c2.ClearinghouseTraceNumber)
	assert.Equal(t, "2024-02-10", c2.ServiceFrom.String())
	assert.Equal(t, "2024-02-12", c2.ServiceTo.String())
	require.Len(t, c2.Lines, 1)
	l := c2.Lines[0]
	assert.Equal(t, "99213", l.Procedure.Code)
	assert.True(t, dec("120").Equal(l.ChargeAmount))
	assert.True(t, dec("1").Equal(*l.Units))
	assert.Equal(t, "LN0002", l.LineItemControlNumber)
	assert.Equal(t, "2024-02-10", l.ServiceFrom.String())
	assert.Equal(t, []StatusCode{{Category: "A2", Status: "20"}}, l.Statuses[0].Codes)
	assert.Equal(t, StatusCode{Category: "A2", Status: "20", Entity: "PR"}, c2.Statuses[0].Codes[0])
}

func TestParse277CARejectedWithTwoReasons(t *testing.T) {
	rs, err := Parse277(readTestdata(t, "277/277ca_rejected_member.277"))
	require.NoError(t, err)
	c := rs[0].Claims[0]
	assert.True(t, c.Rejected())
	require.Len(t, c.Statuses, 1)
	st := c.Statuses[0]
	assert.Equal(t, "U", st.ActionCode)
	assert.Equal(t, []StatusCode{{Category: "A6", Status: "254"}, {Category: "A7", Status: "164", Entity: "IL"}}, st.Codes)
	assert.Equal(t, "MEMBER ID NOT ON FILE", st.Message)
	assert.Equal(t, "A6 (Acknowledgement/Rejected for Missing Information): status 254 (Principal diagnosis code); "+
		"A7 (Acknowledgement/Rejected for Invalid Information): status 164 (Entity's contract/member number), entity IL (Insured or Subscriber); "+
		"MEMBER ID NOT ON FILE", c.RejectionReason)
	prov := rs[0].Entities[2]
	assert.True(t, dec("1").Equal(*prov.RejectedQuantity), "QTY*QC at provider level")
	rcv := rs[0].Entities[1]
	assert.True(t, dec("1").Equal(*rcv.RejectedQuantity))
	assert.True(t, dec("150").Equal(*rcv.RejectedAmount))
}

func TestParse277ClaimStatusResponse(t *testing.T) {
	rs, err := Parse277(readTestdata(t, "277/277_claim_status_x212.277"))
	require.NoError(t, err)
	r := rs[0]
	assert.Equal(t, "005010X212", r.ImplementationRef)
	require.Len(t, r.Claims, 2)
	dep := r.Claims[0]
	assert.Equal(t, "ROE", dep.Patient.LastName)
	require.NotNil(t, dep.Subscriber)
	assert.Equal(t, "W987654300", dep.Subscriber.ID)
	st := dep.Statuses[0]
	assert.Equal(t, []StatusCode{{Category: "F1", Status: "65"}}, st.Codes)
	assert.True(t, dec("160").Equal(*dep.PaidAmount))
	assert.Equal(t, "2024-04-12", st.AdjudicationDate.String())
	assert.Equal(t, "ACH", st.PaymentMethod)
	assert.Equal(t, "2024-04-15", st.CheckDate.String())
	assert.Equal(t, "EFT20240415X", st.CheckNumber)
	self := r.Claims[1]
	assert.Nil(t, self.Subscriber)
	assert.Equal(t, "DOE", self.Patient.LastName)
	assert.Equal(t, "PAYER0002", self.PayerClaimControlNumber)
	assert.Nil(t, self.PaidAmount)
}

func TestCategoryDisposition(t *testing.T) {
	tests := map[string]string{
		"A0": DispositionAccepted, "A1": DispositionAccepted, "A2": DispositionAccepted, "A5": DispositionAccepted,
		"A3": DispositionRejected, "A4": DispositionRejected, "A6": DispositionRejected, "A7": DispositionRejected, "A8": DispositionRejected,
		"DR03": DispositionRejected, "DR01": DispositionAccepted,
		"P1": DispositionPending, "F2": DispositionFinalized, "E0": DispositionUnknown, "R3": DispositionUnknown, "": DispositionUnknown,
	}
	for cat, want := range tests {
		assert.Equal(t, want, CategoryDisposition(cat), cat)
	}
}

func TestParse277Errors(t *testing.T) {
	base := readTestdata(t, "277/imsweb_277ca_rejected.277")
	tests := []struct {
		name, old, new, want string
	}{
		{"unknown parent", "HL*4*3*PT", "HL*4*9*PT", `segment HL at position 19, element 2: parent HL "9" not found`},
		{"wrong parent level", "HL*4*3*PT", "HL*4*2*PT", `segment HL at position 19, element 2: HL level PT cannot have a parent of level "21"`},
		{"duplicate HL", "HL*4*3*PT", "HL*3*3*PT", `segment HL at position 19, element 1: duplicate hierarchical ID "3"`},
		{"unknown level", "HL*4*3*PT", "HL*4*3*XX", `segment HL at position 19, element 3: unsupported hierarchical level code "XX"`},
		{"bad STC amount", "WQ*199.14~REF", "WQ*19x~REF", `segment STC at position 22, element 4: invalid amount "19x"`},
		{"bad STC date", "STC*A7|562|85*20110311", "STC*A7|562|85*20111311", `segment STC at position 22, element 2: invalid date "20111311"`},
		{"empty category", "STC*A7|562|85", "STC*|562|85", `segment STC at position 22, element 1: missing claim status category code`},
		{"bad DTP", "DTP*472*D8*20090311", "DTP*472*RD8*20090311", `segment DTP at position 25, element 3: invalid date range "20090311"`},
		{"claim without PCN", "TRN*2*3920394930203", "TRN*2", `segment TRN at position 21, element 2: missing patient control number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse277(mutate(t, base, tt.old, tt.new))
			require.Error(t, err)
			assert.Equal(t, "x12: "+tt.want, err.Error())
		})
	}
}

// A masked BHT time (9999) is a warning; the report is read with its date.
func TestParse277MaskedBHTTimeIsAWarning(t *testing.T) {
	r := testStatusReport(Implementation277CA)
	data, err := Write277CA(&r)
	require.NoError(t, err)
	masked := strings.Replace(string(data), "*20240305*1407*TH~", "*20240305*9999*TH~", 1)
	require.NotEqual(t, string(data), masked)
	got, err := Parse277([]byte(masked))
	require.NoError(t, err)
	require.Len(t, got[0].Warnings, 1)
	assert.Contains(t, got[0].Warnings[0], "segment BHT")
	assert.Equal(t, time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), got[0].CreatedAt)
	assert.Len(t, got[0].Claims, 2)
}
