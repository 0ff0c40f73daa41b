package x12

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenizeDetectsDelimiters(t *testing.T) {
	tests := []struct {
		file      string
		want      Delimiters
		segments  int
		lastID    string
		secondSeg string
	}{
		{"835/stupidedi_tr3_dollars-and-data-sent-separate.835", Delimiters{'*', '>', ':', '~'}, 31, "IEA", "GS"},
		{"835/pyx12_835_denied-claim-rarc.835", Delimiters{'*', '^', ':', '~'}, 35, "IEA", "GS"},
		{"277/imsweb_277ca_rejected.277", Delimiters{'*', '^', '|', '~'}, 28, "IEA", "GS"},
		{"837p/stupidedi_tr3_cob-billing-provider-to-payer-b.837", Delimiters{'*', '`', ':', '~'}, 66, "IEA", "GS"},
		// Starts with a UTF-8 BOM and is a single line.
		{"999/stupidedi_tr3_999_partial-accept.999", Delimiters{'*', '>', ':', '~'}, 20, "IEA", "GS"},
		// CRLF after every terminator.
		{"835/era_reversal_plb.835", Delimiters{'*', '^', ':', '~'}, 54, "IEA", "GS"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ics, err := ReadInterchanges(readTestdata(t, tt.file))
			require.NoError(t, err)
			require.Len(t, ics, 1)
			assert.Equal(t, tt.want, ics[0].Delimiters)

			segs, err := Tokenize(readTestdata(t, tt.file))
			require.NoError(t, err)
			require.Len(t, segs, tt.segments)
			assert.Equal(t, "ISA", segs[0].ID)
			assert.Equal(t, tt.secondSeg, segs[1].ID)
			assert.Equal(t, tt.lastID, segs[len(segs)-1].ID)
			for i, s := range segs {
				assert.Equal(t, i+1, s.Position, "segment %d position", i)
			}
		})
	}
}

func TestSegmentAccessors(t *testing.T) {
	segs, err := Tokenize(readTestdata(t, "277/imsweb_277ca_rejected.277"))
	require.NoError(t, err)
	var stc []Segment
	for _, s := range segs {
		if s.ID == "STC" {
			stc = append(stc, s)
		}
	}
	require.Len(t, stc, 2)
	claim := stc[1]
	assert.Equal(t, 22, claim.Position)
	assert.Equal(t, "A7|562|85", claim.El(1))
	assert.Equal(t, []string{"A7", "562", "85"}, claim.Components(1))
	assert.Equal(t, "562", claim.Component(1, 2))
	assert.Equal(t, "", claim.Component(1, 9))
	assert.Equal(t, "", claim.El(0))
	assert.Equal(t, "", claim.El(99))
	assert.Nil(t, claim.Components(99))
	assert.Equal(t, []string{"WQ"}, claim.Repeats(3))
}

func TestReadInterchangesEnvelope(t *testing.T) {
	ics, err := ReadInterchanges(readTestdata(t, "835/era_multi_group_denial.835"))
	require.NoError(t, err)
	require.Len(t, ics, 1)
	ic := ics[0]
	assert.Equal(t, "ACMEHEALTH", ic.SenderID)
	assert.Equal(t, "CLINICFLOW", ic.ReceiverID)
	assert.Equal(t, 1002, ic.ControlNumber)
	assert.Equal(t, "00501", ic.Version)
	assert.Equal(t, time.Date(2024, 4, 1, 7, 0, 0, 0, time.UTC), ic.Date)
	require.Len(t, ic.Groups, 2)
	assert.Equal(t, 2001, ic.Groups[0].ControlNumber)
	assert.Equal(t, "HP", ic.Groups[0].FunctionalID)
	assert.Equal(t, "005010X221A1", ic.Groups[0].Version)
	require.Len(t, ic.Groups[0].Transactions, 2)
	require.Len(t, ic.Groups[1].Transactions, 1)
	tx := ic.Groups[0].Transactions[1]
	assert.Equal(t, "835", tx.ID)
	assert.Equal(t, "0002", tx.ControlNumber)
	assert.Equal(t, "BPR", tx.Segments[0].ID)
	assert.Equal(t, "SE", tx.Trailer.ID)
}

func TestReadInterchangesSeveralISA(t *testing.T) {
	a := readTestdata(t, "999/999_accepted.999")
	b := readTestdata(t, "999/999_rejected.999")
	ics, err := ReadInterchanges(append(append([]byte{}, a...), b...))
	require.NoError(t, err)
	require.Len(t, ics, 2)
	assert.Equal(t, 601, ics[0].ControlNumber)
	assert.Equal(t, 602, ics[1].ControlNumber)
	// Positions continue across interchanges.
	assert.Equal(t, 13, ics[1].Header.Position)
}

func TestParseErrorFormat(t *testing.T) {
	tests := []struct {
		err  *ParseError
		want string
	}{
		{&ParseError{Segment: "CLP", Position: 17, Element: 3, Msg: `invalid amount "12x"`}, `x12: segment CLP at position 17, element 3: invalid amount "12x"`},
		{&ParseError{Segment: "SE", Position: 30, Msg: "missing SE"}, `x12: segment SE at position 30: missing SE`},
		{&ParseError{Msg: "no ISA segment"}, `x12: no ISA segment`},
		{&ParseError{Segment: "GS", Position: 2, Element: 4, Msg: "invalid date", Err: errors.New("boom")}, `x12: segment GS at position 2, element 4: invalid date: boom`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.err.Error())
	}
	cause := errors.New("cause")
	assert.ErrorIs(t, &ParseError{Err: cause}, cause)
}

// mutate applies a textual replacement to a fixture and fails if nothing
// changed.
func mutate(t *testing.T, data []byte, old, new string) []byte {
	t.Helper()
	s := string(data)
	require.Contains(t, s, old)
	return []byte(strings.Replace(s, old, new, 1))
}

// Envelope slips that real senders make are read past with a warning (be
// liberal on the envelope): counts and control numbers of the trailers, and
// invalid envelope dates and times.
func TestReadInterchangesEnvelopeSlipsAreWarnings(t *testing.T) {
	base := readTestdata(t, "835/stupidedi_tr3_dollars-and-data-sent-separate.835")
	tests := []struct{ name, old, new, warning string }{
		{"SE count", "SE*27*", "SE*26*", `segment SE at position 29, element 1: SE01 segment count is "26", transaction set has 27 segments`},
		{"SE control with a zero more", "SE*27*112233", "SE*27*0112233", `SE02 control number "0112233" does not match ST02 "112233"`},
		{"SE control", "SE*27*112233", "SE*27*112234", "does not match ST02"},
		{"GE count", "GE*1*20213", "GE*2*20213", `segment GE at position 30, element 1: GE01 transaction set count is "2", group has 1`},
		{"GE control", "GE*1*20213", "GE*1*20214", "does not match GS06"},
		{"IEA count", "IEA*1*", "IEA*2*", `IEA01 group count is "2", interchange has 1`},
		{"IEA control", "IEA*1*000010216", "IEA*1*000010217", "does not match ISA13"},
		{"bad GS date", "*20080503*1705*20213*", "*20081303*1705*20213*", `segment GS at position 2, element 4: invalid group date/time "20081303" "1705"`},
		{"bad GS time", "*20080503*1705*20213*", "*20080503*102497*20213*", `segment GS at position 2, element 5: invalid group time "102497"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ics, err := ReadInterchanges(mutate(t, base, tt.old, tt.new))
			require.NoError(t, err)
			require.Len(t, ics, 1)
			require.Len(t, ics[0].Warnings, 1)
			assert.Contains(t, ics[0].Warnings[0], tt.warning)
			rs, err := Parse835(mutate(t, base, tt.old, tt.new))
			require.NoError(t, err)
			assert.Equal(t, ics[0].Warnings, rs[0].Warnings)
		})
	}
	ics, err := ReadInterchanges(base)
	require.NoError(t, err)
	assert.Empty(t, ics[0].Warnings)
}

func TestReadInterchangesMalformed(t *testing.T) {
	base := readTestdata(t, "835/stupidedi_tr3_dollars-and-data-sent-separate.835")
	tests := []struct {
		name    string
		data    []byte
		segment string
		pos     int
		element int
		msg     string
	}{
		{"empty", []byte(""), "", 0, 0, "no ISA segment"},
		{"not x12", []byte("hello world"), "", 1, 0, "expected ISA segment"},
		{"truncated ISA", base[:80], "ISA", 1, 0, "ISA segment is truncated"},
		{"short ISA06", mutate(t, base, "*ZZ*123456789012345*", "*ZZ*12345678901234*"), "ISA", 1, 6, "ISA06 has the wrong length (want 15)"},
		{"alphanumeric delimiter", mutate(t, base, "*T*:~", "*T*A~"), "ISA", 1, 0, "must not be letters or digits"},
		{"missing IEA", []byte(strings.TrimSuffix(string(base), "IEA*1*000010216~")), "GE", 30, 0, "missing IEA"},
		{"missing terminator", []byte(strings.TrimSuffix(string(base), "~")), "", 31, 0, "missing segment terminator"},
		{"missing SE", mutate(t, base, "SE*27*112233~", ""), "GE", 29, 0, "missing SE"},
		{"missing GE", mutate(t, base, "GE*1*20213~", ""), "IEA", 30, 0, "missing GE"},
		{"segment outside ST", mutate(t, base, "GE*1*20213~", "N3*X~GE*1*20213~"), "N3", 30, 0, "outside a transaction set"},
		{"bad segment id", mutate(t, base, "LX*1~", "lx*1~"), "lx", 13, 0, "invalid segment ID"},
		{"empty segment", mutate(t, base, "LX*1~", "LX*1~~"), "", 14, 0, "empty segment"},
		{"bad ISA13", mutate(t, base, "*000010216*", "*00001021X*"), "ISA", 1, 13, "invalid interchange control number"},
		{"nested ISA", append(mutate(t, base, "IEA*1*000010216~", ""), base...), "ISA", 31, 0, "ISA inside an interchange"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadInterchanges(tt.data)
			require.Error(t, err)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.segment, pe.Segment)
			assert.Equal(t, tt.pos, pe.Position)
			assert.Equal(t, tt.element, pe.Element)
			assert.Contains(t, pe.Error(), tt.msg)
		})
	}
}

func TestTokenizeToleratesLineBreaksAndTrailingWhitespace(t *testing.T) {
	base := string(readTestdata(t, "835/stupidedi_tr3_dollars-and-data-sent-separate.835"))
	variants := map[string]string{
		"LF":         strings.ReplaceAll(base, "~", "~\n"),
		"CRLF":       strings.ReplaceAll(base, "~", "~\r\n"),
		"trailing":   base + "\r\n\r\n",
		"leading":    "\n\n" + base,
		"BOM + CRLF": "\xEF\xBB\xBF" + strings.ReplaceAll(base, "~", "~\r\n"),
	}
	want, err := Parse835([]byte(base))
	require.NoError(t, err)
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			got, err := Parse835([]byte(v))
			require.NoError(t, err)
			requireSameJSON(t, want, got)
		})
	}
}

func TestTokenizeNewlineTerminator(t *testing.T) {
	// Some senders use the newline itself as segment terminator.
	base := string(readTestdata(t, "999/999_accepted.999"))
	nl := strings.ReplaceAll(strings.ReplaceAll(base, "~\n", "\n"), "*:\n", "*:\n")
	segs, err := Tokenize([]byte(nl))
	require.NoError(t, err)
	assert.Equal(t, "IEA", segs[len(segs)-1].ID)
	acks, err := Parse999([]byte(nl))
	require.NoError(t, err)
	require.Len(t, acks, 1)
	assert.Equal(t, "A", acks[0].GroupStatus)
}
