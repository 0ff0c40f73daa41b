package x12

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Implementation references of the transactions written by the writers in
// this package besides the 837P.
const (
	Implementation999   = "005010X231A1"
	Implementation277CA = "005010X214"
	Implementation277   = "005010X212"
	Implementation276   = "005010X212"
	Implementation835   = "005010X221A1"
	Implementation270   = "005010X279A1"
	Implementation271   = "005010X279A1"
)

// ErrInvalidTransaction is wrapped by the errors the 999, 277, 835, 270, 271
// and 276 writers return when the data cannot be written as X12.
var ErrInvalidTransaction = errors.New("x12: invalid transaction data")

// writeInterchange writes one ISA/GS/ST ... SE/GE/IEA interchange holding a
// single transaction set whose body is produced by body. The envelope
// counts (SE01, GE01, IEA01) are computed.
func writeInterchange(env Envelope, functionalID, stID, impl string, body func(w *x12Writer)) ([]byte, error) {
	return writeInterchangeSets(env, functionalID, stID, impl, []string{env.TransactionControlNumber}, func(w *x12Writer, _ int) { body(w) })
}

// writeInterchangeSets writes one interchange and functional group holding
// one transaction set per control number (ST02), body writing the i-th.
func writeInterchangeSets(env Envelope, functionalID, stID, impl string, controls []string, body func(w *x12Writer, i int)) ([]byte, error) {
	d := DefaultDelimiters
	w := &x12Writer{d: d}
	fail := func(format string, args ...any) {
		if w.err == nil {
			w.err = fmt.Errorf("%w: %s", ErrInvalidTransaction, fmt.Sprintf(format, args...))
		}
	}
	usage := orDefault(env.UsageIndicator, "P")
	if usage != "P" && usage != "T" {
		fail("ISA15 usage indicator %q must be P or T", env.UsageIndicator)
	}
	if len(env.SenderID) > 15 || len(env.ReceiverID) > 15 {
		fail("ISA06/ISA08 identifiers are at most 15 characters")
	}
	if len(env.SenderIDQualifier) > 2 || len(env.ReceiverIDQualifier) > 2 {
		fail("ISA05/ISA07 qualifiers are at most 2 characters")
	}
	if env.InterchangeControlNumber < 0 || env.InterchangeControlNumber > 999999999 {
		fail("ISA13 control number %d out of range", env.InterchangeControlNumber)
	}
	if env.GroupControlNumber < 0 {
		fail("GS06 control number %d out of range", env.GroupControlNumber)
	}
	if len(controls) == 0 {
		fail("at least one transaction set is required")
	}
	for _, cn := range controls {
		if cn == "" {
			fail("ST02 transaction control number is required")
		}
	}
	for _, v := range []string{env.SenderIDQualifier, env.SenderID, env.ReceiverIDQualifier, env.ReceiverID} {
		w.clean("ISA", v)
	}
	ack := "0"
	if env.AckRequested {
		ack = "1"
	}
	e := string(d.Element)
	isa := strings.Join([]string{"ISA", "00", strings.Repeat(" ", 10), "00", strings.Repeat(" ", 10),
		padRight(orDefault(env.SenderIDQualifier, "ZZ"), 2), padRight(env.SenderID, 15),
		padRight(orDefault(env.ReceiverIDQualifier, "ZZ"), 2), padRight(env.ReceiverID, 15),
		env.Date.Format("060102"), env.Date.Format("1504"), string(d.Repetition), "00501",
		fmt.Sprintf("%09d", env.InterchangeControlNumber), ack, usage, string(d.Component)}, e)
	w.buf.WriteString(isa)
	w.buf.WriteByte(d.Segment)
	gcn := fmt.Sprint(env.GroupControlNumber)
	w.seg("GS", functionalID, env.ApplicationSenderCode, env.ApplicationReceiverCode, env.Date.Format("20060102"),
		formatTime(env.Date), gcn, "X", impl)
	for i, cn := range controls {
		w.n = 0
		if stID == "835" {
			// X221A1 does not use ST03 (GS08 names the implementation).
			w.seg("ST", stID, cn)
		} else {
			w.seg("ST", stID, cn, impl)
		}
		body(w, i)
		w.seg("SE", fmt.Sprint(w.n+1), cn)
	}
	w.seg("GE", fmt.Sprint(len(controls)), gcn)
	w.seg("IEA", "1", fmt.Sprintf("%09d", env.InterchangeControlNumber))
	if w.err != nil {
		if !errors.Is(w.err, ErrInvalidTransaction) {
			msg := strings.TrimPrefix(w.err.Error(), ErrInvalidClaim.Error()+": ")
			return nil, fmt.Errorf("%w: %s", ErrInvalidTransaction, msg)
		}
		return nil, w.err
	}
	return w.buf.Bytes(), nil
}

// failf records a writer error wrapping ErrInvalidTransaction.
func (w *x12Writer) failf(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("%w: %s", ErrInvalidTransaction, fmt.Sprintf(format, args...))
	}
}

// person writes an NM1 segment for p with the entity identifier code. NM108
// and NM109 go together (syntax rule P0809): a qualifier without an ID is
// not written.
func (w *x12Writer) person(code string, p Person) {
	qualifier := p.IDQualifier
	if p.ID == "" {
		qualifier = ""
	}
	w.seg("NM1", code, p.EntityType, p.LastName, p.FirstName, p.MiddleName, "", p.Suffix, qualifier, p.ID)
}

// decStr formats an optional amount ("" when nil).
func decStr(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return formatAmount(*d)
}

// dateRange writes a DTP with D8 or RD8 depending on whether to is set.
func (w *x12Writer) dtp(qualifier string, from, to Date) {
	if from.IsZero() {
		return
	}
	if to.IsZero() {
		w.seg("DTP", qualifier, "D8", from.X12())
		return
	}
	w.seg("DTP", qualifier, "RD8", from.X12()+"-"+to.X12())
}
