package x12

import (
	"strconv"

	"github.com/shopspring/decimal"
)

// Write277CA writes r as a 005010X214 claim acknowledgment (BHT*0085*08,
// BHT06 "TH"). The hierarchy is HL 20 (information source), 21
// (information receiver), 19 (provider) from r.Entities, then one HL PT per
// distinct claim HLID under its provider, with TRN*2 (patient control
// number), STC, REF, DTP*472 and SVC line loops per claim.
//
// A claim goes under the HL 19 entity whose NM109 equals ProviderID (the
// last HL 19 when none does). A claim without any STC carrying an amount
// gets TotalCharge written into STC04 of its first STC. When References is
// empty, REF*1K/D9/BLT are written from PayerClaimControlNumber,
// ClearinghouseTraceNumber and BillType. Disposition and RejectionReason are
// not written: Parse277 derives them from the STC codes.
func Write277CA(r *ClaimStatusReport) ([]byte, error) {
	return write277(r, Implementation277CA, "0085", "TH", false)
}

// Write277 writes r as a 005010X212 claim status response (BHT*0010*08,
// BHT06 "DG"): like Write277CA, but the claim levels are HL 22 (subscriber,
// NM1*IL) or, for a claim with a Subscriber, HL 22 for the subscriber and
// HL 23 (dependent, NM1*QC) for the patient. STC categories such as P1, F1
// or F2 carry STC04 charge and STC05 paid amounts.
func Write277(r *ClaimStatusReport) ([]byte, error) {
	return write277(r, Implementation277, "0010", "DG", true)
}

func write277(r *ClaimStatusReport, defImpl, structure, txType string, x212 bool) ([]byte, error) {
	impl := orDefault(r.ImplementationRef, defImpl)
	return writeInterchange(r.Envelope, "HN", "277", impl, func(w *x12Writer) {
		w.seg("BHT", structure, "08", r.ReferenceID, r.CreatedAt.Format("20060102"), formatTime(r.CreatedAt), txType)
		// Assign every claim to a provider level.
		lastProvider := -1
		for i, e := range r.Entities {
			if e.Level == "19" {
				lastProvider = i
			}
		}
		if len(r.Claims) > 0 && lastProvider < 0 {
			w.failf("277: claims need an HL 19 provider level")
			return
		}
		owner := make([]int, len(r.Claims))
		for ci, c := range r.Claims {
			owner[ci] = lastProvider
			for i, e := range r.Entities {
				if e.Level == "19" && c.ProviderID != "" && e.Name.ID == c.ProviderID {
					owner[ci] = i
					break
				}
			}
		}
		nextHL := maxNumericHL(r) + 1
		for i := range r.Entities {
			e := &r.Entities[i]
			write277Entity(w, e, x212)
			if e.Level != "19" {
				continue
			}
			written := map[string]bool{}
			for ci := range r.Claims {
				c := &r.Claims[ci]
				if owner[ci] != i || written[c.HLID] {
					continue
				}
				written[c.HLID] = true
				level, code := "PT", "QC"
				if x212 {
					level, code = "22", "IL"
					if c.Subscriber != nil {
						sub := strconv.Itoa(nextHL)
						nextHL++
						w.seg("HL", sub, e.HLID, "22", "1")
						w.person("IL", *c.Subscriber)
						w.seg("HL", c.HLID, sub, "23") // 2000E: HL04 not used
						w.person("QC", c.Patient)
						code = ""
					}
				}
				switch {
				case code == "":
				case x212:
					w.seg("HL", c.HLID, e.HLID, level, "0")
					w.person(code, c.Patient)
				default:
					// X214 2000D: HL04 is not used.
					w.seg("HL", c.HLID, e.HLID, level)
					w.person(code, c.Patient)
				}
				for cj := ci; cj < len(r.Claims); cj++ {
					if owner[cj] == i && r.Claims[cj].HLID == c.HLID {
						write277Claim(w, &r.Claims[cj], x212)
					}
				}
			}
		}
	})
}

// maxNumericHL returns the largest numeric HL ID used by r (0 when none).
func maxNumericHL(r *ClaimStatusReport) int {
	m := 0
	for _, e := range r.Entities {
		if n, err := strconv.Atoi(e.HLID); err == nil && n > m {
			m = n
		}
	}
	for _, c := range r.Claims {
		if n, err := strconv.Atoi(c.HLID); err == nil && n > m {
			m = n
		}
	}
	return m
}

// write277Entity writes an information source (HL 20), receiver (HL 21) or
// provider (HL 19) level. In a 277CA (X214) each has its trace loop (2200A-C):
// TRN01 is 2 (referenced transaction) for the receiver, whose TRN02 names the
// 837 batch, and 1 (current transaction) for the source and the provider.
func write277Entity(w *x12Writer, e *StatusEntity, x212 bool) {
	child := "1"
	w.seg("HL", e.HLID, e.ParentID, e.Level, child)
	code := e.EntityCode
	if code == "" {
		switch e.Level {
		case "20":
			code = "PR"
		case "21":
			code = "41"
		default:
			code = "85"
		}
	}
	w.person(code, e.Name)
	if e.TraceNumber != "" {
		trn := "1"
		if e.Level == "21" {
			trn = "2"
		}
		w.seg("TRN", trn, e.TraceNumber)
	} else if !x212 {
		w.failf("277CA: HL %s (level %s) needs a trace number (TRN)", e.HLID, e.Level)
	}
	if !e.ReceivedDate.IsZero() {
		w.seg("DTP", "050", "D8", e.ReceivedDate.X12())
	}
	if !e.ProcessDate.IsZero() {
		w.seg("DTP", "009", "D8", e.ProcessDate.X12())
	}
	for _, st := range e.Statuses {
		writeSTC(w, st)
	}
	accQ, rejQ := "90", "AA"
	if e.Level == "19" {
		accQ, rejQ = "QA", "QC"
	}
	if e.AcceptedQuantity != nil {
		w.seg("QTY", accQ, formatAmount(*e.AcceptedQuantity))
	}
	if e.RejectedQuantity != nil {
		w.seg("QTY", rejQ, formatAmount(*e.RejectedQuantity))
	}
	if e.AcceptedAmount != nil {
		w.seg("AMT", "YU", formatAmount(*e.AcceptedAmount))
	}
	if e.RejectedAmount != nil {
		w.seg("AMT", "YY", formatAmount(*e.RejectedAmount))
	}
}

func write277Claim(w *x12Writer, c *ClaimStatus, x212 bool) {
	if c.PatientControlNumber == "" {
		w.failf("277: claim without a patient control number")
	}
	w.seg("TRN", "2", c.PatientControlNumber)
	statuses := c.Statuses
	hasAmount, hasPaid := false, false
	for _, st := range statuses {
		hasAmount = hasAmount || st.Amount != nil
		hasPaid = hasPaid || st.PaymentAmount != nil
	}
	if len(statuses) == 0 {
		w.failf("277: claim %s has no STC", c.PatientControlNumber)
	}
	for i, st := range statuses {
		if i == 0 {
			if !hasAmount && !c.TotalCharge.IsZero() {
				v := c.TotalCharge
				st.Amount = &v
			}
			if !hasPaid && c.PaidAmount != nil {
				st.PaymentAmount = c.PaidAmount
			}
		}
		if x212 {
			// X212 2200D: STC03 (action) and STC07 (payment method) are not
			// used; STC04 (charge) and STC05 (payment) are required, zero
			// when the payer has no amount (pending, rejected, not found).
			st.ActionCode, st.PaymentMethod = "", ""
			if i == 0 {
				zero := decimal.Zero
				if st.Amount == nil {
					v := c.TotalCharge
					st.Amount = &v
				}
				if st.PaymentAmount == nil {
					st.PaymentAmount = &zero
				}
			}
		} else {
			// X214 2200D: every STC carries STC03 (action) and STC04 (the
			// claim's total charge).
			if st.ActionCode == "" {
				st.ActionCode = actionFor(st.Codes[0])
			}
			if st.Amount == nil {
				v := c.TotalCharge
				st.Amount = &v
			}
		}
		writeSTC(w, st)
	}
	if len(c.References) > 0 {
		w.refs(c.References)
	} else {
		for _, r := range [][2]string{{"1K", c.PayerClaimControlNumber}, {"D9", c.ClearinghouseTraceNumber}, {"BLT", c.BillType}} {
			if r[1] != "" {
				w.seg("REF", r[0], r[1])
			}
		}
	}
	w.dtp("472", c.ServiceFrom, c.ServiceTo)
	for _, l := range c.Lines {
		units := decStr(l.Units)
		w.seg("SVC", procedureComposite(l.Procedure), formatAmount(l.ChargeAmount), decStr(l.PaidAmount), l.RevenueCode, "", "", units)
		for _, st := range l.Statuses {
			writeSTC(w, st)
		}
		if l.LineItemControlNumber != "" {
			w.seg("REF", "FJ", l.LineItemControlNumber)
		}
		w.dtp("472", l.ServiceFrom, l.ServiceTo)
	}
}

// actionFor is the 277CA action code (STC03) of a status: U (reject) for the
// categories that return the claim (A3 returned as unprocessable, A4 not
// found, A6 and A7 rejected, A8 rejected for relational errors), WQ
// (accepted) otherwise.
func actionFor(s StatusCode) string {
	switch s.Category {
	case "A3", "A4", "A6", "A7", "A8":
		return "U"
	}
	return "WQ"
}

func statusComposite(s StatusCode) composite {
	return composite{s.Category, s.Status, s.Entity, s.CodeListQualifier}
}

func writeSTC(w *x12Writer, st StatusInfo) {
	if len(st.Codes) == 0 || len(st.Codes) > 3 {
		w.failf("STC needs one to three status codes, has %d", len(st.Codes))
		return
	}
	els := make([]any, 12)
	for i := range els {
		els[i] = ""
	}
	els[0] = statusComposite(st.Codes[0])
	els[1] = st.Date.X12()
	els[2] = st.ActionCode
	els[3] = decStr(st.Amount)
	els[4] = decStr(st.PaymentAmount)
	els[5] = st.AdjudicationDate.X12()
	els[6] = st.PaymentMethod
	els[7] = st.CheckDate.X12()
	els[8] = st.CheckNumber
	if len(st.Codes) > 1 {
		els[9] = statusComposite(st.Codes[1])
	}
	if len(st.Codes) > 2 {
		els[10] = statusComposite(st.Codes[2])
	}
	els[11] = st.Message
	w.seg("STC", els...)
}
