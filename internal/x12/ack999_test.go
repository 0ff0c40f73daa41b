package x12

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse999Status(t *testing.T) {
	tests := []struct {
		file        string
		groupStatus string
		counts      [3]int
		accepted    []string
		rejected    []string
	}{
		{"999/stupidedi_tr3_999_partial-accept.999", "P", [3]int{3, 3, 1}, []string{"0001"}, []string{"0002", "0003"}},
		{"999/999_accepted.999", "A", [3]int{2, 2, 2}, []string{"0001", "0002"}, nil},
		{"999/999_rejected.999", "R", [3]int{1, 1, 0}, nil, []string{"0001"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			acks, err := Parse999(readTestdata(t, tt.file))
			require.NoError(t, err)
			require.Len(t, acks, 1)
			a := acks[0]
			assert.Equal(t, tt.groupStatus, a.GroupStatus)
			assert.Equal(t, tt.counts, [3]int{a.TransactionsIncluded, a.TransactionsReceived, a.TransactionsAccepted})
			assert.Equal(t, tt.accepted, a.AcceptedControlNumbers())
			assert.Equal(t, tt.rejected, a.RejectedControlNumbers())
			assert.Equal(t, "HC", a.FunctionalID)
		})
	}
}

func TestParse999TR3Details(t *testing.T) {
	acks, err := Parse999(readTestdata(t, "999/stupidedi_tr3_999_partial-accept.999"))
	require.NoError(t, err)
	a := acks[0]
	assert.Equal(t, "17456", a.GroupControlNumber)
	assert.Equal(t, "005010X222A2", a.GroupVersion)
	assert.Equal(t, "005010X231A1", a.ImplementationRef)
	require.Len(t, a.Transactions, 3)

	tx, ok := a.Transaction("0002")
	require.True(t, ok)
	assert.False(t, tx.Accepted)
	assert.Equal(t, "R", tx.Status)
	assert.Equal(t, []string{"5"}, tx.ErrorCodes)
	require.Len(t, tx.SegmentErrors, 1)
	se := tx.SegmentErrors[0]
	assert.Equal(t, "CLM", se.SegmentID)
	assert.Equal(t, 22, se.Position)
	assert.Equal(t, "8", se.ErrorCode)
	assert.Equal(t, []ErrorContext{{Name: "CLM01", Reference: "123456789"}}, se.Context)
	assert.Equal(t, []ElementError{{Position: 2, ElementRef: "782", ErrorCode: "1"}}, se.ElementErrors)

	tx3, ok := a.Transaction("0003")
	require.True(t, ok)
	require.Len(t, tx3.SegmentErrors, 1)
	assert.Equal(t, "REF", tx3.SegmentErrors[0].SegmentID)
	assert.Equal(t, 57, tx3.SegmentErrors[0].Position)
	assert.Equal(t, "3", tx3.SegmentErrors[0].ErrorCode)
	assert.Equal(t, []ErrorContext{
		{Name: "SITUATIONAL TRIGGER", SegmentID: "CLM", SegmentPosition: 43, ElementPosition: "5:3"},
		{Name: "CLM01", Reference: "987654321"},
	}, tx3.SegmentErrors[0].Context)

	_, ok = a.Transaction("9999")
	assert.False(t, ok)
}

func TestParse999Rejected(t *testing.T) {
	acks, err := Parse999(readTestdata(t, "999/999_rejected.999"))
	require.NoError(t, err)
	tx := acks[0].Transactions[0]
	assert.Equal(t, "005010X222A1", tx.ImplementationRef)
	require.Len(t, tx.SegmentErrors, 2)
	nm1 := tx.SegmentErrors[0]
	assert.Equal(t, SegmentError{
		SegmentID: "NM1", Position: 14, LoopID: "2010BA", ErrorCode: "8",
		Context:       []ErrorContext{{Name: "CLM01", Reference: "PCN4001"}},
		ElementErrors: []ElementError{{Position: 9, ElementRef: "67", ErrorCode: "6", BadData: "M444#55666"}},
	}, nm1)
	clm := tx.SegmentErrors[1]
	require.Len(t, clm.ElementErrors, 1)
	el := clm.ElementErrors[0]
	assert.Equal(t, 5, el.Position)
	assert.Equal(t, 3, el.ComponentPosition)
	assert.Equal(t, "9", el.BadData)
	assert.Equal(t, []ErrorContext{{Name: "SITUATIONAL TRIGGER", SegmentID: "CLM", SegmentPosition: 20, LoopID: "2300", ElementPosition: "5:3"}}, el.Context)
}

func TestParse997(t *testing.T) {
	data := []byte("ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *240101*1200*U*00401*000000077*0*P*>~" +
		"GS*FA*PAYER*CLINIC*20240101*1200*77*X*004010~ST*997*0001~AK1*HC*12~AK2*837*0001~AK3*NM1*8*2010BA*8~AK4*9*67*7~AK5*R*5~AK9*R*1*1*0~SE*8*0001~GE*1*77~IEA*1*000000077~")
	acks, err := Parse999(data)
	require.NoError(t, err)
	require.Len(t, acks, 1)
	assert.Equal(t, []string{"0001"}, acks[0].RejectedControlNumbers())
	assert.Equal(t, "NM1", acks[0].Transactions[0].SegmentErrors[0].SegmentID)
	assert.Equal(t, "7", acks[0].Transactions[0].SegmentErrors[0].ElementErrors[0].ErrorCode)
}

func TestParse999Errors(t *testing.T) {
	base := readTestdata(t, "999/999_accepted.999")
	tests := []struct {
		name, old, new, want string
	}{
		{"bad IK5", "IK5*A~\nAK2*837*0002", "IK5*Z~\nAK2*837*0002", `segment IK5 at position 6, element 1: invalid transaction set acknowledgment code "Z"`},
		{"bad AK9 count", "AK9*A*2*2*2", "AK9*A*2*two*2", `segment AK9 at position 9, element 3: invalid number "two"`},
		{"bad AK9 status", "AK9*A*2*2*2", "AK9*Q*2*2*2", `segment AK9 at position 9, element 1: invalid functional group acknowledgment code "Q"`},
		{"missing IK5", "IK5*A~\nAK2*837*0002", "AK9*A*1*1*1~\nAK2*837*0002", `segment AK9 at position 6: AK2 loop for 0001 has no IK5`},
		{"IK4 without IK3", "IK5*A~\nAK2*837*0002", "IK4*1**1~\nAK2*837*0002", `segment IK4 at position 6: IK4 outside an IK3 loop`},
		{"IK3 bad position", "AK2*837*0001*005010X222A1~", "AK2*837*0001*005010X222A1~\nIK3*CLM*x**8~", `segment IK3 at position 6, element 2: invalid number "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := mutate(t, base, tt.old, tt.new)
			if tt.name == "IK3 bad position" {
				data = mutate(t, data, "SE*8*", "SE*9*")
			}
			_, err := Parse999(data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
