package x12

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// isaLength is the fixed length of an ISA segment including its terminator.
const isaLength = 106

// isaWidths are the fixed widths of ISA01..ISA16.
var isaWidths = [16]int{2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1}

// Delimiters are the separators of one interchange, taken from its ISA.
type Delimiters struct {
	// Element separates elements (byte 4 of the ISA).
	Element byte
	// Repetition separates repeated elements (ISA11); 0 when the interchange
	// has none (e.g. 004010 files with "U").
	Repetition byte
	// Component separates components of a composite element (ISA16).
	Component byte
	// Segment terminates segments (the byte after ISA16).
	Segment byte
}

// DefaultDelimiters are the delimiters Write837 uses: * ^ : ~.
var DefaultDelimiters = Delimiters{Element: '*', Repetition: '^', Component: ':', Segment: '~'}

// Segment is one X12 segment with its 1-based position in the file.
type Segment struct {
	// ID is the segment identifier, e.g. "CLP".
	ID string
	// Elements holds the elements: Elements[0] is element 1 (e.g. CLP01).
	Elements []string
	// Position is the 1-based index of the segment in the file.
	Position int

	comp byte
	rep  byte
}

// El returns element n (1-based) or "" when the segment has fewer elements.
func (s Segment) El(n int) string {
	if n < 1 || n > len(s.Elements) {
		return ""
	}
	return s.Elements[n-1]
}

// Components splits element n on the component separator. It returns nil for
// an empty or absent element.
func (s Segment) Components(n int) []string {
	v := s.El(n)
	if v == "" {
		return nil
	}
	if s.comp == 0 {
		return []string{v}
	}
	return strings.Split(v, string(s.comp))
}

// Component returns component c (1-based) of element n, or "".
func (s Segment) Component(n, c int) string {
	parts := s.Components(n)
	if c < 1 || c > len(parts) {
		return ""
	}
	return parts[c-1]
}

// Repeats splits element n on the repetition separator. It returns nil for an
// empty or absent element.
func (s Segment) Repeats(n int) []string {
	v := s.El(n)
	if v == "" {
		return nil
	}
	if s.rep == 0 {
		return []string{v}
	}
	return strings.Split(v, string(s.rep))
}

// String renders the segment with the default delimiters (for messages).
func (s Segment) String() string {
	return s.ID + "*" + strings.Join(s.Elements, "*")
}

// Interchange is one ISA/IEA envelope.
type Interchange struct {
	// Delimiters are the separators declared by the ISA.
	Delimiters Delimiters
	// Header is the ISA segment.
	Header Segment
	// SenderQualifier and SenderID are ISA05/ISA06 (trimmed).
	SenderQualifier string
	SenderID        string
	// ReceiverQualifier and ReceiverID are ISA07/ISA08 (trimmed).
	ReceiverQualifier string
	ReceiverID        string
	// Date is ISA09/ISA10 (UTC).
	Date time.Time
	// Version is ISA12, e.g. "00501".
	Version string
	// ControlNumber is ISA13 as a number.
	ControlNumber int
	// AckRequested is ISA14 == "1".
	AckRequested bool
	// UsageIndicator is ISA15 ("P" or "T").
	UsageIndicator string
	// Groups are the functional groups.
	Groups []Group
	// Warnings are the envelope slips read past (see ReadInterchanges): a
	// trailer count or control number that does not match, an invalid
	// envelope date or time.
	Warnings []string
}

// Group is one GS/GE functional group.
type Group struct {
	// Header is the GS segment.
	Header Segment
	// FunctionalID is GS01, e.g. "HP" for 835 or "HC" for 837.
	FunctionalID string
	// SenderCode and ReceiverCode are GS02/GS03.
	SenderCode   string
	ReceiverCode string
	// Date is GS04/GS05 (UTC).
	Date time.Time
	// ControlNumber is GS06.
	ControlNumber int
	// Version is GS08, e.g. "005010X221A1".
	Version string
	// Transactions are the transaction sets of the group.
	Transactions []Transaction
}

// Transaction is one ST/SE transaction set.
type Transaction struct {
	// Header is the ST segment and Trailer the SE segment.
	Header  Segment
	Trailer Segment
	// ID is ST01 (e.g. "835").
	ID string
	// ControlNumber is ST02.
	ControlNumber string
	// ImplementationRef is ST03, or GS08 when ST03 is absent.
	ImplementationRef string
	// Segments are the segments between ST and SE.
	Segments []Segment
}

// envelope returns the Envelope describing tx inside ic and g.
func envelopeOf(ic *Interchange, g *Group, tx *Transaction) Envelope {
	return Envelope{
		SenderIDQualifier:        ic.SenderQualifier,
		SenderID:                 ic.SenderID,
		ReceiverIDQualifier:      ic.ReceiverQualifier,
		ReceiverID:               ic.ReceiverID,
		InterchangeControlNumber: ic.ControlNumber,
		AckRequested:             ic.AckRequested,
		UsageIndicator:           ic.UsageIndicator,
		ApplicationSenderCode:    g.SenderCode,
		ApplicationReceiverCode:  g.ReceiverCode,
		GroupControlNumber:       g.ControlNumber,
		Date:                     g.Date,
		TransactionControlNumber: tx.ControlNumber,
	}
}

// Tokenize splits data into segments. Delimiters are detected from each ISA
// (a file may hold several interchanges); a UTF-8 byte order mark and CR/LF
// or other whitespace between segments are skipped. Every interchange must
// end with IEA.
func Tokenize(data []byte) ([]Segment, error) {
	segs, _, err := tokenize(data)
	return segs, err
}

type tokenized struct {
	delims Delimiters
	first  int // index of the ISA in the segment slice
}

func tokenize(data []byte) ([]Segment, []tokenized, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	var (
		segs   []Segment
		groups []tokenized
		off    int
	)
	for {
		off = skipSpace(data, off, Delimiters{})
		if off >= len(data) {
			break
		}
		pos := len(segs) + 1
		isa, d, err := readISA(data[off:], pos)
		if err != nil {
			return nil, nil, err
		}
		groups = append(groups, tokenized{delims: d, first: len(segs)})
		segs = append(segs, isa)
		off += isaLength
		closed := false
		for !closed {
			off = skipSpace(data, off, d)
			if off >= len(data) {
				last := segs[len(segs)-1]
				return nil, nil, &ParseError{Segment: last.ID, Position: last.Position, Msg: "missing IEA: interchange is not closed"}
			}
			end := bytes.IndexByte(data[off:], d.Segment)
			if end < 0 {
				return nil, nil, &ParseError{Position: len(segs) + 1, Msg: "missing segment terminator at end of data"}
			}
			raw := data[off : off+end]
			off += end + 1
			raw = bytes.TrimRight(raw, "\r\n")
			seg, err := splitSegment(raw, d, len(segs)+1)
			if err != nil {
				return nil, nil, err
			}
			if seg.ID == "ISA" {
				return nil, nil, segErr(seg, 0, "ISA inside an interchange: missing IEA")
			}
			segs = append(segs, seg)
			closed = seg.ID == "IEA"
		}
	}
	if len(segs) == 0 {
		return nil, nil, &ParseError{Msg: "no ISA segment: empty input"}
	}
	return segs, groups, nil
}

// skipSpace skips whitespace that is not itself a delimiter.
func skipSpace(data []byte, off int, d Delimiters) int {
	for off < len(data) {
		c := data[off]
		switch c {
		case ' ', '\r', '\n', '\t', '\f', '\v', 0x00, 0x1a:
		default:
			return off
		}
		if c == d.Element || c == d.Segment {
			break
		}
		off++
	}
	return off
}

// readISA reads the fixed-length ISA segment at the start of data.
func readISA(data []byte, pos int) (Segment, Delimiters, error) {
	if len(data) < 3 || string(data[:3]) != "ISA" {
		return Segment{}, Delimiters{}, &ParseError{Position: pos, Msg: "expected ISA segment"}
	}
	if len(data) < isaLength {
		return Segment{}, Delimiters{}, &ParseError{Segment: "ISA", Position: pos, Msg: fmt.Sprintf("ISA segment is truncated: %d bytes, want %d", len(data), isaLength)}
	}
	d := Delimiters{Element: data[3], Component: data[104], Segment: data[105]}
	// Check every element separator sits at its fixed offset.
	at := 3
	for i, w := range isaWidths {
		if data[at] != d.Element {
			return Segment{}, Delimiters{}, &ParseError{Segment: "ISA", Position: pos, Element: i, Msg: "ISA must be 106 bytes with fixed-width elements"}
		}
		field := data[at+1 : at+1+w]
		if bytes.IndexByte(field, d.Element) >= 0 {
			return Segment{}, Delimiters{}, &ParseError{Segment: "ISA", Position: pos, Element: i + 1, Msg: fmt.Sprintf("ISA%02d has the wrong length (want %d)", i+1, w)}
		}
		at += 1 + w
	}
	if isAlnum(d.Element) || isAlnum(d.Component) || isAlnum(d.Segment) {
		return Segment{}, Delimiters{}, &ParseError{Segment: "ISA", Position: pos, Msg: "delimiters must not be letters or digits"}
	}
	if d.Element == d.Component || d.Element == d.Segment || d.Component == d.Segment {
		return Segment{}, Delimiters{}, &ParseError{Segment: "ISA", Position: pos, Msg: "element, component and segment delimiters must differ"}
	}
	if r := data[82]; !isAlnum(r) && r != ' ' {
		if r == d.Element || r == d.Component || r == d.Segment {
			return Segment{}, Delimiters{}, &ParseError{Segment: "ISA", Position: pos, Element: 11, Msg: "repetition separator collides with another delimiter"}
		}
		d.Repetition = r
	}
	seg, err := splitSegment(data[:isaLength-1], d, pos)
	if err != nil {
		return Segment{}, Delimiters{}, err
	}
	if len(seg.Elements) != 16 {
		return Segment{}, Delimiters{}, segErr(seg, 0, "ISA has %d elements, want 16", len(seg.Elements))
	}
	return seg, d, nil
}

// splitSegment splits one segment's bytes (without terminator).
func splitSegment(raw []byte, d Delimiters, pos int) (Segment, error) {
	if len(raw) == 0 {
		return Segment{}, &ParseError{Position: pos, Msg: "empty segment"}
	}
	parts := strings.Split(string(raw), string(d.Element))
	id := parts[0]
	if len(id) < 2 || len(id) > 3 {
		return Segment{}, &ParseError{Segment: printable(id), Position: pos, Msg: fmt.Sprintf("invalid segment ID %q", id)}
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return Segment{}, &ParseError{Segment: printable(id), Position: pos, Msg: fmt.Sprintf("invalid segment ID %q", id)}
		}
	}
	return Segment{ID: id, Elements: parts[1:], Position: pos, comp: d.Component, rep: d.Repetition}, nil
}

// printable returns s with non-printable bytes replaced, for messages.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

// ReadInterchanges tokenizes data and checks its envelopes: every GS is
// closed by GE, every ST by SE. It is liberal where real senders slip and
// nothing of value depends on it: a trailer count (SE01, GE01, IEA01) that is
// wrong, a trailer control number (SE02, GE02, IEA02) that differs from its
// header, and an invalid ISA or GS date or time are recorded in
// Interchange.Warnings and the file is read.
func ReadInterchanges(data []byte) ([]Interchange, error) {
	segs, starts, err := tokenize(data)
	if err != nil {
		return nil, err
	}
	var out []Interchange
	for i, st := range starts {
		end := len(segs)
		if i+1 < len(starts) {
			end = starts[i+1].first
		}
		ic, err := buildInterchange(segs[st.first:end], st.delims)
		if err != nil {
			return nil, err
		}
		out = append(out, ic)
	}
	return out, nil
}

func buildInterchange(segs []Segment, d Delimiters) (Interchange, error) {
	isa := segs[0]
	ic := Interchange{
		Delimiters:        d,
		Header:            isa,
		SenderQualifier:   isa.El(5),
		SenderID:          strings.TrimSpace(isa.El(6)),
		ReceiverQualifier: isa.El(7),
		ReceiverID:        strings.TrimSpace(isa.El(8)),
		Version:           isa.El(12),
		AckRequested:      isa.El(14) == "1",
		UsageIndicator:    isa.El(15),
	}
	warn := func(seg Segment, el int, format string, args ...any) {
		ic.Warnings = append(ic.Warnings, segErr(seg, el, format, args...).Error())
	}
	date, err := time.Parse("0601021504", isa.El(9)+isa.El(10))
	if err != nil {
		warn(isa, 9, "invalid interchange date/time %q %q", isa.El(9), isa.El(10))
	}
	ic.Date = date
	if !isDigits(isa.El(13)) {
		return ic, segErr(isa, 13, "invalid interchange control number %q", isa.El(13))
	}
	ic.ControlNumber, _ = strconv.Atoi(isa.El(13))

	var (
		group *Group
		tx    *Transaction
	)
	for _, seg := range segs[1:] {
		if tx != nil && seg.ID != "SE" {
			switch seg.ID {
			case "ST", "GS", "GE", "IEA":
				return ic, segErr(seg, 0, "missing SE: transaction set %s is not closed", tx.ControlNumber)
			}
			tx.Segments = append(tx.Segments, seg)
			continue
		}
		switch seg.ID {
		case "TA1":
			if group != nil {
				return ic, segErr(seg, 0, "TA1 inside a functional group")
			}
		case "GS":
			if group != nil {
				return ic, segErr(seg, 0, "missing GE: functional group %d is not closed", group.ControlNumber)
			}
			g, err := readGS(seg)
			if err != nil {
				return ic, err
			}
			if g.Date.IsZero() {
				warn(seg, 4, "invalid group date/time %q %q", seg.El(4), seg.El(5))
			} else if _, err := dateTimeEls(seg, 4, 5); err != nil {
				warn(seg, 5, "invalid group time %q", seg.El(5))
			}
			group = &g
		case "ST":
			if group == nil {
				return ic, segErr(seg, 0, "ST outside a functional group")
			}
			if seg.El(1) == "" || seg.El(2) == "" {
				return ic, segErr(seg, 0, "ST needs a transaction set ID and control number")
			}
			impl := seg.El(3)
			if impl == "" {
				impl = group.Version
			}
			tx = &Transaction{Header: seg, ID: seg.El(1), ControlNumber: seg.El(2), ImplementationRef: impl}
		case "SE":
			if tx == nil {
				return ic, segErr(seg, 0, "SE without ST")
			}
			if n, err := intEl(seg, 1); err != nil || n != len(tx.Segments)+2 {
				warn(seg, 1, "SE01 segment count is %q, transaction set has %d segments", seg.El(1), len(tx.Segments)+2)
			}
			if seg.El(2) != tx.ControlNumber {
				warn(seg, 2, "SE02 control number %q does not match ST02 %q", seg.El(2), tx.ControlNumber)
			}
			tx.Trailer = seg
			group.Transactions = append(group.Transactions, *tx)
			tx = nil
		case "GE":
			if group == nil {
				return ic, segErr(seg, 0, "GE without GS")
			}
			if n, err := intEl(seg, 1); err != nil || n != len(group.Transactions) {
				warn(seg, 1, "GE01 transaction set count is %q, group has %d", seg.El(1), len(group.Transactions))
			}
			if cn, err := intEl(seg, 2); err != nil || cn != group.ControlNumber {
				warn(seg, 2, "GE02 control number %q does not match GS06", seg.El(2))
			}
			ic.Groups = append(ic.Groups, *group)
			group = nil
		case "IEA":
			if group != nil {
				return ic, segErr(seg, 0, "missing GE: functional group %d is not closed", group.ControlNumber)
			}
			if n, err := intEl(seg, 1); err != nil || n != len(ic.Groups) {
				warn(seg, 1, "IEA01 group count is %q, interchange has %d", seg.El(1), len(ic.Groups))
			}
			if seg.El(2) != isa.El(13) {
				warn(seg, 2, "IEA02 control number %q does not match ISA13 %q", seg.El(2), isa.El(13))
			}
			return ic, nil
		default:
			return ic, segErr(seg, 0, "unexpected segment outside a transaction set")
		}
	}
	// tokenize guarantees the slice ends with IEA, which returns above.
	last := segs[len(segs)-1]
	return ic, segErr(last, 0, "missing IEA")
}

func readGS(seg Segment) (Group, error) {
	g := Group{
		Header:       seg,
		FunctionalID: seg.El(1),
		SenderCode:   seg.El(2),
		ReceiverCode: seg.El(3),
		Version:      seg.El(8),
	}
	// An invalid GS date or time is an envelope slip (a warning of
	// buildInterchange): the date alone is kept when only the time is bad.
	if t, err := dateTimeEls(seg, 4, 5); err == nil {
		g.Date = t
	} else if d, err := dateEl(seg, 4); err == nil {
		g.Date = d.t
	}
	cn, err := intEl(seg, 6)
	if err != nil {
		return g, err
	}
	g.ControlNumber = cn
	return g, nil
}

// forEachTransaction reads the interchanges of data and calls fn for every
// transaction set, checking that ST01 is one of ids.
func forEachTransaction(data []byte, ids []string, fn func(ic *Interchange, g *Group, tx *Transaction) error) error {
	ics, err := ReadInterchanges(data)
	if err != nil {
		return err
	}
	for i := range ics {
		for j := range ics[i].Groups {
			g := &ics[i].Groups[j]
			for k := range g.Transactions {
				tx := &g.Transactions[k]
				ok := false
				for _, id := range ids {
					if tx.ID == id {
						ok = true
					}
				}
				if !ok {
					return segErr(tx.Header, 1, "transaction set %q is not a %s", tx.ID, strings.Join(ids, "/"))
				}
				if err := fn(&ics[i], g, tx); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// withWarnings is an interchange's warnings followed by a transaction's own
// (nil when there are none).
func withWarnings(interchange, own []string) []string {
	if len(interchange)+len(own) == 0 {
		return nil
	}
	return append(append([]string(nil), interchange...), own...)
}
