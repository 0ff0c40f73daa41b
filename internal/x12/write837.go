package x12

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// WriteOptions controls the output of Write837WithOptions.
type WriteOptions struct {
	// Delimiters to use; the zero value means DefaultDelimiters.
	Delimiters Delimiters
	// LineBreaks adds "\n" after every segment terminator.
	LineBreaks bool
}

// Write837 writes the batch as one 005010X222A1 interchange (ISA, GS, ST ...
// SE, GE, IEA) with the default delimiters and no line breaks.
func Write837(b *Batch837) ([]byte, error) {
	return Write837WithOptions(b, WriteOptions{})
}

// composite is an element made of components.
type composite []string

// x12Writer accumulates segments and the first error.
type x12Writer struct {
	d   Delimiters
	nl  bool
	buf bytes.Buffer
	n   int // segments since ST, inclusive
	err error
}

func (w *x12Writer) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("%w: %s", ErrInvalidClaim, fmt.Sprintf(format, args...))
	}
}

func (w *x12Writer) clean(id, v string) string {
	for _, c := range []byte{w.d.Element, w.d.Component, w.d.Segment, w.d.Repetition} {
		if c != 0 && strings.IndexByte(v, c) >= 0 {
			w.fail("%s: value %q contains the delimiter %q", id, v, c)
		}
	}
	return v
}

// seg writes one segment, dropping trailing empty elements.
func (w *x12Writer) seg(id string, els ...any) {
	out := make([]string, len(els))
	for i, e := range els {
		switch v := e.(type) {
		case string:
			out[i] = w.clean(id, v)
		case composite:
			parts := make([]string, len(v))
			for j, p := range v {
				parts[j] = w.clean(id, p)
			}
			for len(parts) > 0 && parts[len(parts)-1] == "" {
				parts = parts[:len(parts)-1]
			}
			out[i] = strings.Join(parts, string(w.d.Component))
		default:
			w.fail("%s: unsupported element type %T", id, e)
		}
	}
	w.rawSeg(id, out)
}

// rawSeg writes a segment whose elements are already cleaned (seg uses it; the
// 27x writers call it for repeated elements), dropping trailing empty ones.
func (w *x12Writer) rawSeg(id string, els []string) {
	for len(els) > 0 && els[len(els)-1] == "" {
		els = els[:len(els)-1]
	}
	w.buf.WriteString(id)
	for _, v := range els {
		w.buf.WriteByte(w.d.Element)
		w.buf.WriteString(v)
	}
	w.buf.WriteByte(w.d.Segment)
	if w.nl {
		w.buf.WriteByte('\n')
	}
	w.n++
}

func (w *x12Writer) address(a *Address) {
	if a == nil {
		return
	}
	w.seg("N3", a.Line1, a.Line2)
	w.seg("N4", a.City, a.State, a.PostalCode, a.Country)
}

func (w *x12Writer) refs(refs []Reference) {
	for _, r := range refs {
		w.seg("REF", r.Qualifier, r.Value)
	}
}

func (w *x12Writer) contact(c Contact) {
	fn := c.Function
	if fn == "" {
		fn = "IC"
	}
	els := []any{fn, c.Name}
	pairs := 0
	for _, p := range [][2]string{{"TE", c.Phone}, {"EX", c.Extension}, {"FX", c.Fax}, {"EM", c.Email}, {"UR", c.URL}} {
		if p[1] != "" {
			els = append(els, p[0], p[1])
			pairs++
		}
	}
	if pairs > 3 {
		w.fail("PER: at most three communication numbers fit in one contact")
	}
	w.seg("PER", els...)
}

// adjustments writes CAS segments, one per run of equal group codes, at most
// six triplets each.
func (w *x12Writer) adjustments(adj []Adjustment) {
	for i := 0; i < len(adj); {
		j := i
		els := []any{adj[i].Group}
		for j < len(adj) && adj[j].Group == adj[i].Group && j-i < 6 {
			q := ""
			if adj[j].Quantity != nil {
				q = formatAmount(*adj[j].Quantity)
			}
			els = append(els, adj[j].Reason, formatAmount(adj[j].Amount), q)
			j++
		}
		w.seg("CAS", els...)
		i = j
	}
}

func procedureComposite(p Procedure) composite {
	c := composite{p.Qualifier, p.Code, "", "", "", ""}
	for i, m := range p.Modifiers {
		if i < 4 {
			c[2+i] = m
		}
	}
	if p.Description != "" {
		c = append(c, p.Description)
	}
	return c
}

// padRight pads s with spaces to n bytes (ISA fields are fixed-width in
// bytes, not runes).
func padRight(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func formatTime(t time.Time) string {
	if t.Second() != 0 {
		return t.Format("150405")
	}
	return t.Format("1504")
}

// Write837WithOptions writes the batch like Write837 with the given options.
// The batch is validated first (see Batch837.Validate).
func Write837WithOptions(b *Batch837, opts WriteOptions) ([]byte, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	d := opts.Delimiters
	if d == (Delimiters{}) {
		d = DefaultDelimiters
	}
	if d.Element == 0 || d.Component == 0 || d.Segment == 0 || isAlnum(d.Element) || isAlnum(d.Component) || isAlnum(d.Segment) || isAlnum(d.Repetition) ||
		d.Element == d.Component || d.Element == d.Segment || d.Component == d.Segment ||
		(d.Repetition != 0 && (d.Repetition == d.Element || d.Repetition == d.Component || d.Repetition == d.Segment)) {
		return nil, fmt.Errorf("%w: invalid delimiters %q", ErrInvalidClaim, []byte{d.Element, d.Repetition, d.Component, d.Segment})
	}
	w := &x12Writer{d: d, nl: opts.LineBreaks}
	env := b.Envelope
	// ISA11 is the repetition separator in 5010 (4010's "U" is not valid
	// there): when none is given, use the first of ^ { | ! that no other
	// delimiter uses. The 837P writer repeats no element, so it is never
	// written elsewhere.
	rep := d.Repetition
	for _, c := range []byte("^{|!") {
		if rep != 0 {
			break
		}
		if c != d.Element && c != d.Component && c != d.Segment {
			rep = c
		}
	}
	ack := "0"
	if env.AckRequested {
		ack = "1"
	}
	for _, v := range []string{env.SenderIDQualifier, env.SenderID, env.ReceiverIDQualifier, env.ReceiverID, env.UsageIndicator} {
		w.clean("ISA", v)
	}
	e := string(d.Element)
	isa := strings.Join([]string{"ISA", "00", strings.Repeat(" ", 10), "00", strings.Repeat(" ", 10),
		padRight(env.SenderIDQualifier, 2), padRight(env.SenderID, 15),
		padRight(env.ReceiverIDQualifier, 2), padRight(env.ReceiverID, 15),
		env.Date.Format("060102"), env.Date.Format("1504"), string(rep), "00501",
		fmt.Sprintf("%09d", env.InterchangeControlNumber), ack, env.UsageIndicator, string(d.Component)}, e)
	w.buf.WriteString(isa)
	w.buf.WriteByte(d.Segment)
	if w.nl {
		w.buf.WriteByte('\n')
	}
	gcn := fmt.Sprint(env.GroupControlNumber)
	w.seg("GS", "HC", env.ApplicationSenderCode, env.ApplicationReceiverCode, env.Date.Format("20060102"),
		formatTime(env.Date), gcn, "X", Implementation837P)
	w.n = 0
	w.seg("ST", "837", env.TransactionControlNumber, Implementation837P)
	w.seg("BHT", "0019", orDefault(b.PurposeCode, "00"), b.ReferenceID, b.CreatedAt.Format("20060102"),
		formatTime(b.CreatedAt), orDefault(b.TransactionType, "CH"))
	w.seg("NM1", "41", orDefault(b.Submitter.EntityType, "2"), b.Submitter.Name, b.Submitter.FirstName, "", "", "", "46", b.Submitter.ID)
	w.contact(b.Submitter.Contact)
	w.seg("NM1", "40", "2", b.Receiver.Name, "", "", "", "", "46", b.Receiver.ID)

	hl := 0
	claims := b.Claims
	for i := 0; i < len(claims); {
		j := i + 1
		for j < len(claims) && sameBillingLevel(&claims[i], &claims[j]) {
			j++
		}
		hl++
		provHL := hl
		writeBillingLevel(w, provHL, &claims[i])
		for k := i; k < j; {
			m := k + 1
			for m < j && sameSubscriberLevel(&claims[k], &claims[m]) {
				m++
			}
			hl++
			subHL := hl
			writeSubscriberLevel(w, subHL, provHL, &claims[k])
			if claims[k].Patient == nil {
				for c := k; c < m; c++ {
					writeClaim(w, &claims[c])
				}
			} else {
				for p := k; p < m; {
					q := p + 1
					for q < m && reflect.DeepEqual(claims[p].Patient, claims[q].Patient) {
						q++
					}
					hl++
					writePatientLevel(w, hl, subHL, claims[p].Patient)
					for c := p; c < q; c++ {
						writeClaim(w, &claims[c])
					}
					p = q
				}
			}
			k = m
		}
		i = j
	}
	w.seg("SE", fmt.Sprint(w.n+1), env.TransactionControlNumber)
	w.seg("GE", "1", gcn)
	w.seg("IEA", "1", fmt.Sprintf("%09d", env.InterchangeControlNumber))
	if w.err != nil {
		return nil, w.err
	}
	return w.buf.Bytes(), nil
}

func sameBillingLevel(a, b *Claim837) bool {
	return reflect.DeepEqual(a.BillingProvider, b.BillingProvider) && reflect.DeepEqual(a.PayToAddress, b.PayToAddress)
}

func sameSubscriberLevel(a, b *Claim837) bool {
	return reflect.DeepEqual(a.Subscriber, b.Subscriber) && reflect.DeepEqual(a.Payer, b.Payer) &&
		(a.Patient == nil) == (b.Patient == nil)
}

func writeBillingLevel(w *x12Writer, id int, c *Claim837) {
	p := &c.BillingProvider
	w.seg("HL", fmt.Sprint(id), "", "20", "1")
	if p.TaxonomyCode != "" {
		w.seg("PRV", "BI", "PXC", p.TaxonomyCode)
	}
	w.seg("NM1", "85", p.EntityType, p.LastName, p.FirstName, p.MiddleName, "", p.Suffix, "XX", p.NPI)
	w.address(p.Address)
	w.seg("REF", orDefault(p.TaxIDQualifier, "EI"), p.TaxID)
	w.refs(p.SecondaryIDs)
	if p.Contact != nil {
		w.contact(*p.Contact)
	}
	if c.PayToAddress != nil {
		w.seg("NM1", "87", "2")
		w.address(c.PayToAddress)
	}
}

func writeSubscriberLevel(w *x12Writer, id, parent int, c *Claim837) {
	s := &c.Subscriber
	child := "0"
	rel := "18"
	if c.Patient != nil {
		child, rel = "1", ""
	}
	w.seg("HL", fmt.Sprint(id), fmt.Sprint(parent), "22", child)
	w.seg("SBR", s.PayerResponsibility, rel, s.GroupNumber, s.GroupName, s.InsuranceTypeCode, "", "", "", s.ClaimFilingIndicator)
	w.seg("NM1", "IL", orDefault(s.EntityType, "1"), s.LastName, s.FirstName, s.MiddleName, "", s.Suffix, "MI", s.MemberID)
	w.address(s.Address)
	// 2010BA DMG only when the subscriber is the patient (X222A1: "if not
	// required, do not send"); the patient's DMG is in 2010CA.
	if !s.BirthDate.IsZero() && c.Patient == nil {
		w.seg("DMG", "D8", s.BirthDate.X12(), s.Gender)
	}
	if s.PropertyCasualtyClaimNumber != "" {
		w.seg("REF", "Y4", s.PropertyCasualtyClaimNumber)
	}
	w.seg("NM1", "PR", "2", c.Payer.Name, "", "", "", "", "PI", c.Payer.ID)
	w.address(c.Payer.Address)
	w.refs(c.Payer.SecondaryIDs)
}

func writePatientLevel(w *x12Writer, id, parent int, p *Patient) {
	w.seg("HL", fmt.Sprint(id), fmt.Sprint(parent), "23", "0")
	w.seg("PAT", p.Relationship)
	w.seg("NM1", "QC", "1", p.LastName, p.FirstName, p.MiddleName, "", p.Suffix)
	w.address(p.Address)
	w.seg("DMG", "D8", p.BirthDate.X12(), p.Gender)
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// hiCode returns a diagnosis code as an HI segment carries it: without the
// dot, as X12 5010 requires ("E11.9" is written "E119"). Only a dot where the
// code set puts it is dropped: after the third character (ICD-10-CM, and
// ICD-9-CM "250.00"), or after the fourth in an ICD-9-CM E code ("E880.9"),
// with something after it. Any other dot is kept for validation to refuse, so
// that a malformed "E1.19" is not sent as a valid-looking "E119".
func hiCode(dx string, icd9 bool) string {
	i := strings.IndexByte(dx, '.')
	if i+1 < len(dx) && (i == 3 || (icd9 && i == 4 && dx[0] == 'E')) {
		return dx[:i] + dx[i+1:]
	}
	return dx
}

func writeClaim(w *x12Writer, c *Claim837) {
	var causes composite // CLM11: empty, so dropped, unless the claim is for an accident
	if a := c.Accident; a != nil {
		causes = composite{a.Cause, "", "", a.State}
	}
	w.seg("CLM", c.PatientControlNumber, formatAmount(c.TotalCharge), "", "",
		composite{c.PlaceOfService, "B", c.FrequencyCode}, yn(c.ProviderSignature), c.AssignmentCode,
		c.BenefitsAssignment, c.ReleaseOfInformation, c.PatientSignatureSource, causes)
	if a := c.Accident; a != nil && !a.Date.IsZero() {
		w.seg("DTP", "439", "D8", a.Date.X12())
	}
	if c.PriorAuthorization != "" {
		w.seg("REF", "G1", c.PriorAuthorization)
	}
	if c.OriginalClaimNumber != "" {
		w.seg("REF", "F8", c.OriginalClaimNumber)
	}
	if c.MedicalRecordNumber != "" {
		w.seg("REF", "EA", c.MedicalRecordNumber)
	}
	if c.ClearinghouseTraceNumber != "" {
		w.seg("REF", "D9", c.ClearinghouseTraceNumber)
	}
	principal, other := "ABK", "ABF"
	if c.ICD9 {
		principal, other = "BK", "BF"
	}
	hi := make([]any, len(c.Diagnoses))
	for i, dx := range c.Diagnoses {
		q := other
		if i == 0 {
			q = principal
		}
		hi[i] = composite{q, hiCode(dx, c.ICD9)}
	}
	w.seg("HI", hi...)
	if r := c.RenderingProvider; r != nil && !renderingSameAsBilling(c) {
		w.seg("NM1", "82", r.EntityType, r.LastName, r.FirstName, r.MiddleName, "", r.Suffix, "XX", r.NPI)
		if r.TaxonomyCode != "" {
			w.seg("PRV", "PE", "PXC", r.TaxonomyCode)
		}
		w.refs(r.SecondaryIDs)
	}
	if f := c.ServiceFacility; f != nil {
		q := ""
		if f.NPI != "" {
			q = "XX"
		}
		w.seg("NM1", "77", "2", f.Name, "", "", "", "", q, f.NPI)
		w.address(f.Address)
	}
	for i := range c.OtherPayers {
		writeOtherPayer(w, &c.OtherPayers[i])
	}
	for i := range c.Lines {
		writeLine(w, i+1, &c.Lines[i])
	}
}

// renderingSameAsBilling reports whether the rendering provider carries
// nothing beyond the billing provider (then 2310B is not written).
func renderingSameAsBilling(c *Claim837) bool {
	r, b := c.RenderingProvider, c.BillingProvider
	return r.EntityType == b.EntityType && r.LastName == b.LastName && r.FirstName == b.FirstName &&
		r.MiddleName == b.MiddleName && r.Suffix == b.Suffix && r.NPI == b.NPI &&
		r.TaxonomyCode == b.TaxonomyCode && reflect.DeepEqual(r.SecondaryIDs, b.SecondaryIDs)
}

func writeOtherPayer(w *x12Writer, o *OtherPayer) {
	w.seg("SBR", o.PayerResponsibility, o.Relationship, o.GroupNumber, o.GroupName, o.InsuranceTypeCode, "", "", "", o.ClaimFilingIndicator)
	w.adjustments(o.Adjustments)
	if o.PaidAmount != nil {
		w.seg("AMT", "D", formatAmount(*o.PaidAmount))
	}
	if o.RemainingPatientLiability != nil {
		w.seg("AMT", "EAF", formatAmount(*o.RemainingPatientLiability))
	}
	w.seg("OI", "", "", o.BenefitsAssignment, o.PatientSignatureSource, "", o.ReleaseOfInformation)
	s := &o.Subscriber
	w.seg("NM1", "IL", orDefault(s.EntityType, "1"), s.LastName, s.FirstName, s.MiddleName, "", s.Suffix, orDefault(s.IDQualifier, "MI"), s.ID)
	w.address(s.Address)
	p := &o.Payer
	w.seg("NM1", "PR", "2", p.Name, "", "", "", "", orDefault(p.IDQualifier, "PI"), p.ID)
	w.address(p.Address)
	if !p.AdjudicationDate.IsZero() {
		w.seg("DTP", "573", "D8", p.AdjudicationDate.X12())
	}
	w.refs(p.SecondaryIDs)
}

func writeLine(w *x12Writer, n int, l *ServiceLine837) {
	w.seg("LX", fmt.Sprint(n))
	ptrs := make(composite, len(l.DiagnosisPointers))
	for i, p := range l.DiagnosisPointers {
		ptrs[i] = fmt.Sprint(p)
	}
	w.seg("SV1", procedureComposite(l.Procedure), formatAmount(l.Charge), orDefault(l.UnitType, "UN"),
		formatAmount(l.Units), l.PlaceOfService, "", ptrs)
	if l.ServiceDateEnd.IsZero() {
		w.seg("DTP", "472", "D8", l.ServiceDate.X12())
	} else {
		w.seg("DTP", "472", "RD8", l.ServiceDate.X12()+"-"+l.ServiceDateEnd.X12())
	}
	if l.LineItemControlNumber != "" {
		w.seg("REF", "6R", l.LineItemControlNumber)
	}
	for i := range l.Adjudications {
		a := &l.Adjudications[i]
		w.seg("SVD", a.PayerID, formatAmount(a.PaidAmount), procedureComposite(a.Procedure), "",
			formatAmount(a.PaidUnits), a.BundledLineNumber)
		w.adjustments(a.Adjustments)
		w.seg("DTP", "573", "D8", a.AdjudicationDate.X12())
		if a.RemainingPatientLiability != nil {
			w.seg("AMT", "EAF", formatAmount(*a.RemainingPatientLiability))
		}
	}
}

// Validate checks that the batch carries what the 837P TR3 requires and
// that Write837 can represent it. Errors wrap ErrInvalidClaim.
func (b *Batch837) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	env := b.Envelope
	if len(env.SenderIDQualifier) != 2 || len(env.ReceiverIDQualifier) != 2 {
		bad("sender and receiver ID qualifiers must be 2 characters")
	}
	if env.SenderID == "" || len(env.SenderID) > 15 || env.ReceiverID == "" || len(env.ReceiverID) > 15 {
		bad("sender and receiver IDs must be 1-15 characters")
	}
	if env.InterchangeControlNumber < 1 || env.InterchangeControlNumber > 999999999 {
		bad("interchange control number %d must be 1-999999999", env.InterchangeControlNumber)
	}
	if env.GroupControlNumber < 1 || env.GroupControlNumber > 999999999 {
		bad("group control number %d must be 1-999999999", env.GroupControlNumber)
	}
	if n := len(env.TransactionControlNumber); n < 4 || n > 9 {
		bad("transaction control number %q must be 4-9 characters", env.TransactionControlNumber)
	}
	if env.UsageIndicator != "P" && env.UsageIndicator != "T" {
		bad("usage indicator must be P or T")
	}
	if env.ApplicationSenderCode == "" || env.ApplicationReceiverCode == "" {
		bad("application sender and receiver codes are required")
	}
	if env.Date.IsZero() || b.CreatedAt.IsZero() {
		bad("envelope date and BHT creation time are required")
	} else if env.Date.Year() < 1000 || env.Date.Year() > 9999 || b.CreatedAt.Year() < 1000 || b.CreatedAt.Year() > 9999 {
		bad("envelope date and BHT creation time need a four-digit year")
	}
	if b.ReferenceID == "" {
		bad("BHT reference ID is required")
	}
	if b.Submitter.Name == "" || b.Submitter.ID == "" {
		bad("submitter name and ID are required")
	}
	if b.Submitter.Contact.Phone == "" && b.Submitter.Contact.Email == "" && b.Submitter.Contact.Fax == "" {
		bad("submitter contact needs a phone, email or fax")
	}
	if b.Receiver.Name == "" || b.Receiver.ID == "" {
		bad("receiver name and ID are required")
	}
	if len(b.Claims) == 0 {
		bad("a batch needs at least one claim")
	}
	for i := range b.Claims {
		for _, e := range b.Claims[i].validate() {
			bad("claim %d (%s): %s", i+1, b.Claims[i].PatientControlNumber, e)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidClaim, strings.Join(errs, "; "))
	}
	return nil
}

func validAmount(d decimal.Decimal) bool {
	return d.Sign() >= 0 && d.Equal(d.Round(2))
}

func validNPI(s string) bool { return len(s) == 10 && isDigits(s) }

// zip9 reports whether a US address has the 9-digit ZIP+4 that X222A1
// requires of the billing provider (2010AA) and the service facility
// (2310C); an address outside the US (N404 set) has its own postal code.
func zip9(a *Address) bool {
	if a.Country != "" && a.Country != "US" {
		return true
	}
	return len(a.PostalCode) == 9 && isDigits(a.PostalCode)
}

// fullAddress reports whether a has what N3/N4 need: a street line, a city
// and, in the US, a state and a postal code.
func fullAddress(a *Address) bool {
	if a == nil || a.Line1 == "" || a.City == "" {
		return false
	}
	return a.Country != "" && a.Country != "US" || a.State != "" && a.PostalCode != ""
}

func (c *Claim837) validate() []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	bp := &c.BillingProvider
	if bp.EntityType != "1" && bp.EntityType != "2" {
		bad("billing provider entity type must be 1 or 2")
	}
	if bp.LastName == "" || !validNPI(bp.NPI) {
		bad("billing provider needs a name and a 10-digit NPI")
	}
	if bp.Address == nil {
		bad("billing provider address is required")
	} else if !zip9(bp.Address) {
		bad("billing provider (2010AA) postal code %q must be the 9-digit ZIP+4", bp.Address.PostalCode)
	}
	if bp.TaxID == "" {
		bad("billing provider tax ID is required")
	}
	s := &c.Subscriber
	switch s.PayerResponsibility {
	case "P", "S", "T", "A", "B", "C", "D", "E", "F", "G", "H", "U":
	default:
		bad("subscriber payer responsibility %q is invalid", s.PayerResponsibility)
	}
	if s.ClaimFilingIndicator == "" {
		bad("claim filing indicator is required")
	}
	if s.LastName == "" || s.MemberID == "" {
		bad("subscriber name and member ID are required")
	}
	if c.Payer.Name == "" || c.Payer.ID == "" {
		bad("payer name and ID are required")
	}
	if p := c.Patient; p != nil {
		if p.Relationship == "" || p.Relationship == "18" {
			bad("patient relationship must be set and not 18 (self) when the patient is not the subscriber")
		}
		if p.LastName == "" || p.BirthDate.IsZero() || p.Gender == "" {
			bad("patient name, birth date and gender are required")
		}
		if !fullAddress(p.Address) {
			bad("patient (2010CA) address (N3/N4: street, city, state, postal code) is required")
		}
	} else {
		// X222A1 2010BA: N3/N4 and DMG are required when the subscriber is
		// the patient.
		if !fullAddress(s.Address) {
			bad("subscriber (2010BA) address (N3/N4: street, city, state, postal code) is required when the subscriber is the patient")
		}
		if s.BirthDate.IsZero() || s.Gender == "" {
			bad("subscriber (2010BA) birth date and gender (DMG) are required when the subscriber is the patient")
		}
	}
	if c.PatientControlNumber == "" || len(c.PatientControlNumber) > 38 {
		bad("patient control number must be 1-38 characters")
	}
	if !validAmount(c.TotalCharge) {
		bad("total charge %s must be a non-negative amount with at most 2 decimals", c.TotalCharge)
	}
	if len(c.PlaceOfService) != 2 {
		bad("place of service %q must be 2 characters", c.PlaceOfService)
	}
	switch c.FrequencyCode {
	case "1":
		if c.OriginalClaimNumber != "" {
			bad("original claim number (REF*F8) is only for frequency 7 or 8")
		}
	case "7", "8":
		if c.OriginalClaimNumber == "" {
			bad("frequency %s needs the original payer claim number (REF*F8)", c.FrequencyCode)
		}
	default:
		bad("frequency code %q must be 1, 7 or 8", c.FrequencyCode)
	}
	if a := c.Accident; a != nil {
		switch a.Cause {
		case CauseAutoAccident:
			if len(a.State) != 2 {
				bad("an auto accident (CLM11 AA) needs the accident state (CLM11-4)")
			}
			fallthrough
		case CauseOtherAccident:
			if a.Date.IsZero() {
				bad("an accident claim (CLM11 %s) needs the accident date (DTP*439)", a.Cause)
			}
		case CauseEmployment:
		default:
			bad("related cause %q must be AA, EM or OA", a.Cause)
		}
	}
	if c.AssignmentCode != "A" && c.AssignmentCode != "B" && c.AssignmentCode != "C" {
		bad("assignment code must be A, B or C")
	}
	if c.BenefitsAssignment != "Y" && c.BenefitsAssignment != "N" && c.BenefitsAssignment != "W" {
		bad("benefits assignment must be Y, N or W")
	}
	if c.ReleaseOfInformation != "I" && c.ReleaseOfInformation != "Y" {
		bad("release of information must be I or Y")
	}
	if len(c.Diagnoses) == 0 || len(c.Diagnoses) > 12 {
		bad("a claim needs 1 to 12 diagnoses, has %d", len(c.Diagnoses))
	}
	for _, dx := range c.Diagnoses {
		if h := hiCode(dx, c.ICD9); len(h) < 3 || len(h) > 7 || strings.ContainsFunc(h, func(r rune) bool { return r > 127 || !isAlnum(byte(r)) }) {
			bad("diagnosis %q must be 3-7 letters or digits, with at most one dot after the third character", dx)
		}
	}
	if r := c.RenderingProvider; r != nil {
		if r.LastName == "" || !validNPI(r.NPI) || (r.EntityType != "1" && r.EntityType != "2") {
			bad("rendering provider needs an entity type, a name and a 10-digit NPI")
		}
		if r.Address != nil || r.Contact != nil || r.TaxID != "" {
			bad("rendering provider (2310B) carries no address, contact or tax ID")
		}
	}
	if f := c.ServiceFacility; f != nil && (f.Name == "" || f.Address == nil) {
		bad("service facility needs a name and an address")
	} else if f != nil && !zip9(f.Address) {
		bad("service facility (2310C) postal code %q must be the 9-digit ZIP+4", f.Address.PostalCode)
	}
	payerIDs := map[string]bool{}
	for i, o := range c.OtherPayers {
		if o.PayerResponsibility == "" || o.Relationship == "" || o.ClaimFilingIndicator == "" {
			bad("other payer %d needs payer responsibility, relationship and filing indicator", i+1)
		}
		if o.BenefitsAssignment == "" || o.ReleaseOfInformation == "" {
			bad("other payer %d needs benefits assignment (OI03) and release of information (OI06)", i+1)
		}
		if o.Subscriber.LastName == "" || o.Subscriber.ID == "" || o.Payer.Name == "" || o.Payer.ID == "" {
			bad("other payer %d needs subscriber name/ID and payer name/ID", i+1)
		}
		if o.PaidAmount != nil && !validAmount(*o.PaidAmount) {
			bad("other payer %d paid amount must be non-negative", i+1)
		}
		errs = append(errs, validateAdjustments(fmt.Sprintf("other payer %d", i+1), o.Adjustments)...)
		payerIDs[o.Payer.ID] = true
	}
	if len(c.Lines) == 0 || len(c.Lines) > 50 {
		bad("a claim needs 1 to 50 service lines, has %d", len(c.Lines))
	}
	sum := decimal.Decimal{}
	for i, l := range c.Lines {
		n := i + 1
		if l.Procedure.Qualifier == "" || l.Procedure.Code == "" || len(l.Procedure.Modifiers) > 4 {
			bad("line %d needs a procedure qualifier and code and at most 4 modifiers", n)
		}
		if !validAmount(l.Charge) {
			bad("line %d charge %s must be non-negative with at most 2 decimals", n, l.Charge)
		}
		if l.Units.Sign() <= 0 {
			bad("line %d units must be positive", n)
		}
		if len(l.DiagnosisPointers) == 0 || len(l.DiagnosisPointers) > 4 {
			bad("line %d needs 1 to 4 diagnosis pointers", n)
		}
		for _, p := range l.DiagnosisPointers {
			if p < 1 || p > len(c.Diagnoses) {
				bad("line %d diagnosis pointer %d is out of range", n, p)
			}
		}
		if l.ServiceDate.IsZero() {
			bad("line %d service date is required", n)
		}
		if !l.ServiceDateEnd.IsZero() && l.ServiceDateEnd.Time().Before(l.ServiceDate.Time()) {
			bad("line %d service date range ends before it starts", n)
		}
		for j, a := range l.Adjudications {
			if !payerIDs[a.PayerID] {
				bad("line %d adjudication %d payer ID %q matches no other payer", n, j+1, a.PayerID)
			}
			if a.AdjudicationDate.IsZero() {
				bad("line %d adjudication %d needs an adjudication date", n, j+1)
			}
			if a.Procedure.Qualifier == "" || a.Procedure.Code == "" {
				bad("line %d adjudication %d needs a procedure", n, j+1)
			}
			errs = append(errs, validateAdjustments(fmt.Sprintf("line %d adjudication %d", n, j+1), a.Adjustments)...)
		}
		sum = sum.Add(l.Charge)
	}
	if len(c.Lines) > 0 && !sum.Equal(c.TotalCharge) {
		bad("total charge %s does not equal the sum of line charges %s", c.TotalCharge, sum)
	}
	return errs
}

func validateAdjustments(where string, adj []Adjustment) []string {
	var errs []string
	for _, a := range adj {
		switch a.Group {
		case "CO", "CR", "OA", "PI", "PR":
		default:
			errs = append(errs, fmt.Sprintf("%s: invalid adjustment group %q", where, a.Group))
		}
		if a.Reason == "" {
			errs = append(errs, fmt.Sprintf("%s: adjustment without reason code", where))
		}
	}
	return errs
}
