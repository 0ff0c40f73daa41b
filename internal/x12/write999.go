package x12

import (
	"fmt"
	"strings"
)

// Write999 writes the acknowledgment as one 005010X231A1 interchange (GS01
// "FA"). AK1, one AK2/IK3/CTX/IK4/IK5 loop per transaction and AK9 are
// written from a; a.ImplementationRef defaults to Implementation999. The
// Accepted flags are not written (Parse999 derives them from IK501).
func Write999(a *Ack999) ([]byte, error) {
	return Write999s([]Ack999{*a})
}

// Write999s writes one 999 transaction set per acknowledged functional group
// (one AK1 each, as X231A1 wants for a file with several groups) in one
// interchange: the ISA/GS come from acks[0].Envelope, each ST02 from its own
// ack's Envelope.TransactionControlNumber.
func Write999s(acks []Ack999) ([]byte, error) {
	if len(acks) == 0 {
		return nil, fmt.Errorf("%w: 999: no acknowledgment to write", ErrInvalidTransaction)
	}
	impl := orDefault(acks[0].ImplementationRef, Implementation999)
	controls := make([]string, len(acks))
	for i := range acks {
		controls[i] = acks[i].Envelope.TransactionControlNumber
	}
	return writeInterchangeSets(acks[0].Envelope, "FA", "999", impl, controls, func(w *x12Writer, i int) {
		a := &acks[i]
		if a.FunctionalID == "" || a.GroupControlNumber == "" {
			w.failf("999: AK1 needs a functional identifier and group control number")
		}
		if len(a.GroupErrorCodes) > 5 {
			w.failf("999: at most five AK9 error codes")
		}
		w.seg("AK1", a.FunctionalID, a.GroupControlNumber, a.GroupVersion)
		for i := range a.Transactions {
			t := &a.Transactions[i]
			w.seg("AK2", t.TransactionSetID, t.ControlNumber, t.ImplementationRef)
			for _, se := range t.SegmentErrors {
				w.seg("IK3", se.SegmentID, fmt.Sprint(se.Position), se.LoopID, se.ErrorCode)
				writeCTX(w, se.Context)
				for _, ee := range se.ElementErrors {
					pos := composite{fmt.Sprint(ee.Position), "", ""}
					if ee.ComponentPosition > 0 {
						pos[1] = fmt.Sprint(ee.ComponentPosition)
					}
					if ee.RepetitionPosition > 0 {
						pos[2] = fmt.Sprint(ee.RepetitionPosition)
					}
					w.seg("IK4", pos, ee.ElementRef, ee.ErrorCode, ee.BadData)
					writeCTX(w, ee.Context)
				}
			}
			if len(t.ErrorCodes) > 5 {
				w.failf("999: at most five IK5 error codes")
			}
			switch t.Status {
			case "A", "E", "M", "R", "W", "X":
			default:
				w.failf("999: invalid IK501 %q", t.Status)
			}
			els := []any{t.Status}
			for _, c := range t.ErrorCodes {
				els = append(els, c)
			}
			w.seg("IK5", els...)
		}
		els := []any{a.GroupStatus, fmt.Sprint(a.TransactionsIncluded), fmt.Sprint(a.TransactionsReceived), fmt.Sprint(a.TransactionsAccepted)}
		for _, c := range a.GroupErrorCodes {
			els = append(els, c)
		}
		w.seg("AK9", els...)
	})
}

func writeCTX(w *x12Writer, ctx []ErrorContext) {
	for _, c := range ctx {
		pos := ""
		if c.SegmentPosition > 0 {
			pos = fmt.Sprint(c.SegmentPosition)
		}
		w.seg("CTX", composite{c.Name, c.Reference}, c.SegmentID, pos, c.LoopID, composite(strings.Split(c.ElementPosition, ":")))
	}
}
