package x12

// Write835 writes r as one 005010X221A1 interchange (GS01 "HP"): BPR, TRN,
// REF*EV, DTM*405, N1*PR and N1*PE loops (N3/N4/REF/PER), one LX*1 header
// followed by the CLP loops (claim CAS, NM1*QC/IL/74/82/TT, MOA, REF, DTM,
// AMT, then SVC/DTM/CAS/REF/AMT/LQ per line) and PLB segments.
//
// The derived fields IsReversal and IsDenial are not written (CLP02 carries
// them); claim remark codes are written as MOA (at most five). Write835 does
// not check balancing: call Remittance.CheckBalance and
// ClaimPayment.CheckBalance for that.
func Write835(r *Remittance) ([]byte, error) {
	impl := orDefault(r.ImplementationRef, Implementation835)
	return writeInterchange(r.Envelope, "HP", "835", impl, func(w *x12Writer) {
		p := r.Payment
		if p.CreditDebit != "C" && p.CreditDebit != "D" {
			w.failf("835: BPR03 must be C or D, is %q", p.CreditDebit)
		}
		if p.HandlingCode == "" || p.Method == "" || p.Date.IsZero() {
			w.failf("835: BPR needs a handling code, payment method and date")
		}
		if r.Trace.Number == "" {
			w.failf("835: TRN needs a trace number")
		}
		w.seg("BPR", p.HandlingCode, formatAmount(p.Amount), p.CreditDebit, p.Method, p.Format,
			"", "", "", p.SenderAccount, "", "", "", "", "", p.ReceiverAccount, p.Date.X12())
		w.seg("TRN", orDefault(r.Trace.TypeCode, "1"), r.Trace.Number, r.Trace.OriginatorID, r.Trace.Supplemental)
		if r.ReceiverID != "" {
			w.seg("REF", "EV", r.ReceiverID)
		}
		if !r.ProductionDate.IsZero() {
			w.seg("DTM", "405", r.ProductionDate.X12())
		}
		if r.Payer.Address == nil {
			w.failf("835: the payer (1000A) needs an address (N3/N4)")
		}
		write835Party(w, "PR", &r.Payer)
		write835Party(w, "PE", &r.Payee)
		if len(r.Claims) > 0 {
			w.seg("LX", "1")
		}
		for i := range r.Claims {
			write835Claim(w, &r.Claims[i])
		}
		for _, plb := range r.ProviderAdjustments {
			if len(plb.Items) == 0 || len(plb.Items) > 6 {
				w.failf("835: PLB needs one to six adjustments, has %d", len(plb.Items))
				continue
			}
			els := []any{plb.ProviderID, plb.FiscalPeriodDate.X12()}
			for _, it := range plb.Items {
				els = append(els, composite{it.ReasonCode, it.ReferenceID}, formatAmount(it.Amount))
			}
			w.seg("PLB", els...)
		}
	})
}

func write835Party(w *x12Writer, code string, p *Party) {
	w.seg("N1", code, p.Name, p.IDQualifier, p.ID)
	w.address(p.Address)
	w.refs(p.References)
	for _, c := range p.Contacts {
		w.contact(c)
	}
}

func write835Claim(w *x12Writer, c *ClaimPayment) {
	w.seg("CLP", c.PatientControlNumber, c.StatusCode, formatAmount(c.TotalCharge), formatAmount(c.Payment),
		formatAmount(c.PatientResponsibility), c.FilingIndicator, c.PayerClaimControlNumber, c.FacilityCode,
		c.FrequencyCode, "", c.DRGCode)
	w.adjustments(c.Adjustments)
	for _, n := range []struct {
		code string
		p    *Person
	}{{"QC", c.Patient}, {"IL", c.Subscriber}, {"74", c.CorrectedPatient}, {"82", c.RenderingProvider}, {"TT", c.CrossoverCarrier}} {
		if n.p != nil {
			w.person(n.code, *n.p)
		}
	}
	if len(c.RemarkCodes) > 0 {
		if len(c.RemarkCodes) > 5 {
			w.failf("835: claim %s has more than five remark codes", c.PatientControlNumber)
		}
		els := []any{"", ""}
		for _, rc := range c.RemarkCodes {
			if rc.Qualifier != "HE" {
				w.failf("835: claim remark codes must be RARCs (HE), got %q", rc.Qualifier)
			}
			els = append(els, rc.Code)
		}
		w.seg("MOA", els...)
	}
	w.refs(c.References)
	for _, d := range []struct {
		q string
		d Date
	}{{"050", c.ReceivedDate}, {"232", c.StatementFrom}, {"233", c.StatementTo}, {"036", c.CoverageExpiration}} {
		if !d.d.IsZero() {
			w.seg("DTM", d.q, d.d.X12())
		}
	}
	for _, a := range c.Amounts {
		w.seg("AMT", a.Qualifier, formatAmount(a.Amount))
	}
	for i := range c.ServiceLines {
		write835Line(w, &c.ServiceLines[i])
	}
}

func write835Line(w *x12Writer, l *ServicePayment) {
	var orig any = ""
	if l.OriginalProcedure != nil {
		orig = procedureComposite(*l.OriginalProcedure)
	}
	w.seg("SVC", procedureComposite(l.Procedure), formatAmount(l.ChargeAmount), formatAmount(l.PaidAmount),
		l.RevenueCode, formatAmount(l.UnitsPaid), orig, decStr(l.OriginalUnits))
	for _, d := range []struct {
		q string
		d Date
	}{{"472", l.ServiceDate}, {"150", l.ServiceStart}, {"151", l.ServiceEnd}} {
		if !d.d.IsZero() {
			w.seg("DTM", d.q, d.d.X12())
		}
	}
	w.adjustments(l.Adjustments)
	if l.LineItemControlNumber != "" {
		w.seg("REF", "6R", l.LineItemControlNumber)
	}
	w.refs(l.References)
	if l.AllowedAmount != nil {
		w.seg("AMT", "B6", formatAmount(*l.AllowedAmount))
	}
	for _, a := range l.Amounts {
		w.seg("AMT", a.Qualifier, formatAmount(a.Amount))
	}
	for _, rc := range l.RemarkCodes {
		w.seg("LQ", rc.Qualifier, rc.Code)
	}
}
