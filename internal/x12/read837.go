package x12

import (
	"fmt"
	"strconv"
	"strings"
)

// Parse837 parses every 837P transaction set in data into a Batch837 (one per
// ST/SE). Both ICD-10 (ABK/ABF) and ICD-9 (BK/BF) diagnosis qualifiers are
// accepted. Segments and loops the model does not cover (e.g. referring
// provider, notes, ambulance data) are skipped. 837 institutional and dental
// transaction sets are refused.
func Parse837(data []byte) ([]Batch837, error) {
	var out []Batch837
	err := forEachTransaction(data, []string{"837"}, func(ic *Interchange, g *Group, tx *Transaction) error {
		// Only the professional implementations (5010 X222, 4010 X098): an
		// institutional (X223, 4010 X096) or dental (X224, X097) claim read
		// as professional would lose its procedures and charges.
		ref := tx.ImplementationRef
		if !strings.Contains(ref, "X222") && !strings.Contains(ref, "X098") {
			return segErr(tx.Header, 3, "837 implementation %q is not professional (005010X222A1 or 004010X098A1)", ref)
		}
		b, err := parse837Transaction(tx)
		if err != nil {
			return err
		}
		b.Envelope = envelopeOf(ic, g, tx)
		out = append(out, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ctx837 tells which loop the following N3/N4/REF/PER/DMG/DTP/AMT belong to.
type ctx837 int

const (
	c837Header ctx837 = iota
	c837Submitter
	c837Receiver
	c837Billing
	c837PayTo
	c837Subscriber
	c837Payer
	c837Patient
	c837Claim
	c837Rendering
	c837Facility
	c837OtherPayer
	c837OtherSubscriber
	c837OtherPayerName
	c837Line
	c837LineAdj
	c837Skip // a loop the model does not cover
)

type reader837 struct {
	b        Batch837
	sawBHT   bool
	ctx      ctx837
	billing  Provider
	payTo    *Address
	sub      Subscriber
	payer    Payer
	patient  *Patient
	hlLevels map[string]string
	level    string // level of the current HL
	claim    *Claim837
	other    *OtherPayer
	line     *ServiceLine837
	adj      *LineAdjudication
}

func parse837Transaction(tx *Transaction) (Batch837, error) {
	r := &reader837{hlLevels: map[string]string{}}
	if len(tx.Segments) == 0 || tx.Segments[0].ID != "BHT" {
		return r.b, segErr(tx.Header, 0, "837 must start with BHT")
	}
	for _, seg := range tx.Segments {
		if err := r.segment(seg); err != nil {
			return r.b, err
		}
	}
	r.finishClaim()
	if len(r.b.Claims) == 0 {
		return r.b, segErr(tx.Trailer, 0, "837 transaction set %s has no claim", tx.ControlNumber)
	}
	return r.b, nil
}

func (r *reader837) finishLine() {
	if r.line != nil && r.claim != nil {
		if r.adj != nil {
			r.line.Adjudications = append(r.line.Adjudications, *r.adj)
		}
		r.claim.Lines = append(r.claim.Lines, *r.line)
	}
	r.line, r.adj = nil, nil
}

func (r *reader837) finishOther() {
	if r.other != nil && r.claim != nil {
		r.claim.OtherPayers = append(r.claim.OtherPayers, *r.other)
	}
	r.other = nil
}

func (r *reader837) finishClaim() {
	r.finishOther()
	r.finishLine()
	if r.claim != nil {
		r.b.Claims = append(r.b.Claims, *r.claim)
	}
	r.claim = nil
}

func cloneAddress(a *Address) *Address {
	if a == nil {
		return nil
	}
	c := *a
	return &c
}

func cloneRefs(refs []Reference) []Reference {
	if refs == nil {
		return nil
	}
	return append([]Reference(nil), refs...)
}

func (r *reader837) newClaim() *Claim837 {
	c := &Claim837{
		BillingProvider: r.billing,
		PayToAddress:    cloneAddress(r.payTo),
		Subscriber:      r.sub,
		Payer:           r.payer,
	}
	c.BillingProvider.Address = cloneAddress(r.billing.Address)
	c.BillingProvider.SecondaryIDs = cloneRefs(r.billing.SecondaryIDs)
	if r.billing.Contact != nil {
		ct := *r.billing.Contact
		c.BillingProvider.Contact = &ct
	}
	c.Subscriber.Address = cloneAddress(r.sub.Address)
	c.Payer.Address = cloneAddress(r.payer.Address)
	c.Payer.SecondaryIDs = cloneRefs(r.payer.SecondaryIDs)
	if r.level == "23" && r.patient != nil {
		p := *r.patient
		p.Address = cloneAddress(r.patient.Address)
		c.Patient = &p
	}
	return c
}

// address returns the address the current context's N3/N4 fill.
func (r *reader837) address() **Address {
	switch r.ctx {
	case c837Billing:
		return &r.billing.Address
	case c837PayTo:
		return &r.payTo
	case c837Subscriber:
		return &r.sub.Address
	case c837Payer:
		return &r.payer.Address
	case c837Patient:
		if r.patient != nil {
			return &r.patient.Address
		}
	case c837Facility:
		if r.claim != nil && r.claim.ServiceFacility != nil {
			return &r.claim.ServiceFacility.Address
		}
	case c837OtherSubscriber:
		if r.other != nil {
			return &r.other.Subscriber.Address
		}
	case c837OtherPayerName:
		if r.other != nil {
			return &r.other.Payer.Address
		}
	}
	return nil
}

func (r *reader837) segment(seg Segment) error {
	switch seg.ID {
	case "BHT":
		if r.sawBHT {
			return segErr(seg, 0, "duplicate BHT")
		}
		r.sawBHT = true
		r.b.PurposeCode = seg.El(2)
		r.b.ReferenceID = seg.El(3)
		t, err := dateTimeEls(seg, 4, 5)
		if err != nil {
			return err
		}
		r.b.CreatedAt = t
		r.b.TransactionType = seg.El(6)
	case "HL":
		return r.hl(seg)
	case "NM1":
		return r.nm1(seg)
	case "PER":
		c := contactFromPER(seg)
		switch r.ctx {
		case c837Submitter:
			r.b.Submitter.Contact = c
		case c837Billing:
			r.billing.Contact = &c
		}
	case "PRV":
		switch r.ctx {
		case c837Billing:
			r.billing.TaxonomyCode = seg.El(3)
		case c837Rendering:
			if r.claim != nil && r.claim.RenderingProvider != nil {
				r.claim.RenderingProvider.TaxonomyCode = seg.El(3)
			}
		}
	case "N3", "N4":
		a := r.address()
		if a == nil {
			return nil
		}
		if *a == nil {
			*a = &Address{}
		}
		if seg.ID == "N3" {
			addressFromN3(*a, seg)
		} else {
			addressFromN4(*a, seg)
		}
	case "REF":
		r.ref(seg)
	case "DMG":
		var d Date
		var err error
		if seg.El(2) != "" {
			if d, err = dateEl(seg, 2); err != nil {
				return err
			}
		}
		switch r.ctx {
		case c837Subscriber:
			r.sub.BirthDate, r.sub.Gender = d, seg.El(3)
		case c837Patient:
			if r.patient != nil {
				r.patient.BirthDate, r.patient.Gender = d, seg.El(3)
			}
		}
	case "SBR":
		return r.sbr(seg)
	case "PAT":
		if r.level == "23" && r.patient != nil {
			r.patient.Relationship = seg.El(1)
		}
	case "CLM":
		return r.clm(seg)
	case "HI":
		return r.hi(seg)
	case "CAS":
		adj, err := adjustmentsFromCAS(seg)
		if err != nil {
			return err
		}
		switch {
		case r.ctx == c837LineAdj && r.adj != nil:
			r.adj.Adjustments = append(r.adj.Adjustments, adj...)
		case r.ctx == c837OtherPayer && r.other != nil:
			r.other.Adjustments = append(r.other.Adjustments, adj...)
		default:
			return segErr(seg, 0, "CAS outside loops 2320 and 2430")
		}
	case "AMT":
		if r.ctx != c837OtherPayer && r.ctx != c837LineAdj {
			return nil
		}
		a, err := parseAMT(seg)
		if err != nil {
			return err
		}
		v := a.Amount
		switch {
		case r.ctx == c837OtherPayer && r.other != nil && a.Qualifier == "D":
			r.other.PaidAmount = &v
		case r.ctx == c837OtherPayer && r.other != nil && a.Qualifier == "EAF":
			r.other.RemainingPatientLiability = &v
		case r.ctx == c837LineAdj && r.adj != nil && a.Qualifier == "EAF":
			r.adj.RemainingPatientLiability = &v
		}
	case "OI":
		if r.ctx == c837OtherPayer && r.other != nil {
			r.other.BenefitsAssignment = seg.El(3)
			r.other.PatientSignatureSource = seg.El(4)
			r.other.ReleaseOfInformation = seg.El(6)
		}
	case "DTP":
		return r.dtp(seg)
	case "LX":
		if r.claim == nil {
			return segErr(seg, 0, "LX outside a claim")
		}
		r.finishOther()
		r.finishLine()
		r.line = &ServiceLine837{}
		r.ctx = c837Line
	case "SV1":
		if r.line == nil || r.ctx != c837Line {
			return segErr(seg, 0, "SV1 outside loop 2400")
		}
		return r.sv1(seg)
	case "SVD":
		if r.line == nil {
			return segErr(seg, 0, "SVD outside loop 2400")
		}
		if r.adj != nil {
			r.line.Adjudications = append(r.line.Adjudications, *r.adj)
		}
		a := &LineAdjudication{PayerID: seg.El(1)}
		var err error
		if a.PaidAmount, err = amountEl(seg, 2); err != nil {
			return err
		}
		if a.Procedure, err = procedureFromComposite(seg, 3); err != nil {
			return err
		}
		if a.PaidUnits, err = amountEl(seg, 5); err != nil {
			return err
		}
		a.BundledLineNumber = seg.El(6)
		r.adj = a
		r.ctx = c837LineAdj
	}
	return nil
}

func (r *reader837) hl(seg Segment) error {
	r.finishClaim()
	id, parent, level := seg.El(1), seg.El(2), seg.El(3)
	if id == "" {
		return segErr(seg, 1, "missing hierarchical ID")
	}
	if _, dup := r.hlLevels[id]; dup {
		return segErr(seg, 1, "duplicate hierarchical ID %q", id)
	}
	want := map[string]string{"20": "", "22": "20", "23": "22"}
	wantParent, ok := want[level]
	if !ok {
		return segErr(seg, 3, "unsupported hierarchical level code %q", level)
	}
	got := ""
	if parent != "" {
		var found bool
		if got, found = r.hlLevels[parent]; !found {
			return segErr(seg, 2, "parent HL %q not found", parent)
		}
	}
	if got != wantParent {
		return segErr(seg, 2, "HL level %s cannot have a parent of level %q", level, got)
	}
	r.hlLevels[id] = level
	r.level = level
	switch level {
	case "20":
		r.billing, r.payTo = Provider{}, nil
		r.sub, r.payer, r.patient = Subscriber{}, Payer{}, nil
		r.ctx = c837Billing
	case "22":
		r.sub, r.payer, r.patient = Subscriber{}, Payer{}, nil
		r.ctx = c837Subscriber
	case "23":
		r.patient = &Patient{}
		r.ctx = c837Patient
	}
	return nil
}

func (r *reader837) nm1(seg Segment) error {
	code := seg.El(1)
	switch {
	case code == "41" && r.level == "":
		r.b.Submitter = Submitter{EntityType: seg.El(2), Name: seg.El(3), FirstName: seg.El(4), ID: seg.El(9)}
		r.ctx = c837Submitter
	case code == "40" && r.level == "":
		r.b.Receiver = Receiver{Name: seg.El(3), ID: seg.El(9)}
		r.ctx = c837Receiver
	case r.claim == nil && r.level == "20" && code == "85":
		r.billing.EntityType, r.billing.LastName, r.billing.FirstName = seg.El(2), seg.El(3), seg.El(4)
		r.billing.MiddleName, r.billing.Suffix, r.billing.NPI = seg.El(5), seg.El(7), seg.El(9)
		r.ctx = c837Billing
	case r.claim == nil && r.level == "20" && code == "87":
		r.ctx = c837PayTo
	case r.claim == nil && r.level == "22" && code == "IL":
		r.sub.EntityType, r.sub.LastName, r.sub.FirstName = seg.El(2), seg.El(3), seg.El(4)
		r.sub.MiddleName, r.sub.Suffix, r.sub.MemberID = seg.El(5), seg.El(7), seg.El(9)
		r.ctx = c837Subscriber
	case r.claim == nil && r.level == "22" && code == "PR":
		r.payer.Name, r.payer.ID = seg.El(3), seg.El(9)
		r.ctx = c837Payer
	case r.claim == nil && r.level == "23" && code == "QC" && r.patient != nil:
		r.patient.LastName, r.patient.FirstName = seg.El(3), seg.El(4)
		r.patient.MiddleName, r.patient.Suffix = seg.El(5), seg.El(7)
		r.ctx = c837Patient
	case r.claim != nil && r.line == nil && r.other == nil && code == "82":
		r.claim.RenderingProvider = &Provider{EntityType: seg.El(2), LastName: seg.El(3), FirstName: seg.El(4),
			MiddleName: seg.El(5), Suffix: seg.El(7), NPI: seg.El(9)}
		r.ctx = c837Rendering
	case r.claim != nil && r.line == nil && r.other == nil && code == "77":
		r.claim.ServiceFacility = &Facility{Name: seg.El(3), NPI: seg.El(9)}
		r.ctx = c837Facility
	case r.other != nil && r.line == nil && code == "IL":
		r.other.Subscriber = OtherSubscriber{EntityType: seg.El(2), LastName: seg.El(3), FirstName: seg.El(4),
			MiddleName: seg.El(5), Suffix: seg.El(7), IDQualifier: seg.El(8), ID: seg.El(9)}
		r.ctx = c837OtherSubscriber
	case r.other != nil && r.line == nil && code == "PR":
		r.other.Payer = OtherPayerName{Name: seg.El(3), IDQualifier: seg.El(8), ID: seg.El(9)}
		r.ctx = c837OtherPayerName
	default:
		r.ctx = c837Skip
	}
	return nil
}

func (r *reader837) ref(seg Segment) {
	q, v := seg.El(1), seg.El(2)
	ref := Reference{Qualifier: q, Value: v}
	switch r.ctx {
	case c837Billing:
		if q == "EI" || q == "SY" {
			r.billing.TaxIDQualifier, r.billing.TaxID = q, v
		} else {
			r.billing.SecondaryIDs = append(r.billing.SecondaryIDs, ref)
		}
	case c837Payer:
		r.payer.SecondaryIDs = append(r.payer.SecondaryIDs, ref)
	case c837Subscriber:
		if q == "Y4" {
			r.sub.PropertyCasualtyClaimNumber = v
		}
	case c837Claim:
		if r.claim == nil {
			return
		}
		switch q {
		case "G1":
			r.claim.PriorAuthorization = v
		case "F8":
			r.claim.OriginalClaimNumber = v
		case "EA":
			r.claim.MedicalRecordNumber = v
		case "D9":
			r.claim.ClearinghouseTraceNumber = v
		}
	case c837Rendering:
		if r.claim != nil && r.claim.RenderingProvider != nil {
			r.claim.RenderingProvider.SecondaryIDs = append(r.claim.RenderingProvider.SecondaryIDs, ref)
		}
	case c837OtherPayerName:
		if r.other != nil {
			r.other.Payer.SecondaryIDs = append(r.other.Payer.SecondaryIDs, ref)
		}
	case c837Line:
		if q == "6R" && r.line != nil {
			r.line.LineItemControlNumber = v
		}
	}
}

func (r *reader837) sbr(seg Segment) error {
	switch {
	case r.level == "22" && r.claim == nil:
		r.sub.PayerResponsibility = seg.El(1)
		r.sub.GroupNumber, r.sub.GroupName = seg.El(3), seg.El(4)
		r.sub.InsuranceTypeCode, r.sub.ClaimFilingIndicator = seg.El(5), seg.El(9)
		r.ctx = c837Subscriber
	case r.claim != nil && r.line == nil:
		r.finishOther()
		r.other = &OtherPayer{
			PayerResponsibility:  seg.El(1),
			Relationship:         seg.El(2),
			GroupNumber:          seg.El(3),
			GroupName:            seg.El(4),
			InsuranceTypeCode:    seg.El(5),
			ClaimFilingIndicator: seg.El(9),
		}
		r.ctx = c837OtherPayer
	default:
		return segErr(seg, 0, "SBR outside loops 2000B and 2320")
	}
	return nil
}

func (r *reader837) clm(seg Segment) error {
	if r.level != "22" && r.level != "23" {
		return segErr(seg, 0, "CLM outside a subscriber or patient level")
	}
	r.finishClaim()
	c := r.newClaim()
	c.PatientControlNumber = seg.El(1)
	if c.PatientControlNumber == "" {
		return segErr(seg, 1, "missing patient control number")
	}
	var err error
	if c.TotalCharge, err = amountEl(seg, 2); err != nil {
		return err
	}
	pos := seg.Components(5)
	if len(pos) < 3 || pos[0] == "" || pos[2] == "" {
		return segErr(seg, 5, "invalid place of service composite %q", seg.El(5))
	}
	c.PlaceOfService, c.FrequencyCode = pos[0], pos[2]
	c.ProviderSignature = seg.El(6) == "Y"
	c.AssignmentCode = seg.El(7)
	c.BenefitsAssignment = seg.El(8)
	c.ReleaseOfInformation = seg.El(9)
	c.PatientSignatureSource = seg.El(10)
	if causes := seg.Components(11); len(causes) > 0 && causes[0] != "" {
		c.Accident = &Accident{Cause: causes[0]}
		if len(causes) > 3 {
			c.Accident.State = causes[3]
		}
	}
	r.claim = c
	r.ctx = c837Claim
	return nil
}

func (r *reader837) hi(seg Segment) error {
	if r.claim == nil || r.ctx != c837Claim {
		return segErr(seg, 0, "HI outside loop 2300")
	}
	for n := 1; n <= len(seg.Elements) && n <= 12; n++ {
		parts := seg.Components(n)
		if len(parts) < 2 {
			if seg.El(n) == "" {
				continue
			}
			return segErr(seg, n, "invalid health care code %q", seg.El(n))
		}
		q, code := parts[0], parts[1]
		switch q {
		case "ABK", "BK":
			if len(r.claim.Diagnoses) > 0 {
				return segErr(seg, n, "principal diagnosis must come first")
			}
		case "ABF", "BF":
			if len(r.claim.Diagnoses) == 0 {
				return segErr(seg, n, "other diagnosis before the principal diagnosis")
			}
		default:
			continue // other HI types (e.g. anesthesia, condition codes)
		}
		r.claim.ICD9 = q == "BK" || q == "BF"
		if code == "" {
			return segErr(seg, n, "empty diagnosis code")
		}
		if len(r.claim.Diagnoses) == 12 {
			return segErr(seg, n, "more than 12 diagnoses")
		}
		// 5010 sends codes without the dot; a sender that keeps it still
		// reads back in that one form, as Claim837.Diagnoses documents.
		r.claim.Diagnoses = append(r.claim.Diagnoses, strings.ReplaceAll(code, ".", ""))
	}
	return nil
}

func (r *reader837) dtp(seg Segment) error {
	q := seg.El(1)
	switch {
	case r.ctx == c837Line && r.line != nil && q == "472":
		from, to, err := periodEl(seg, seg.El(2), 3)
		if err != nil {
			return err
		}
		r.line.ServiceDate, r.line.ServiceDateEnd = from, to
	case r.ctx == c837Claim && r.claim != nil && q == "439":
		d, err := dateEl(seg, 3)
		if err != nil {
			return err
		}
		if r.claim.Accident == nil {
			r.claim.Accident = &Accident{}
		}
		r.claim.Accident.Date = d
	case r.ctx == c837LineAdj && r.adj != nil && q == "573":
		d, err := dateEl(seg, 3)
		if err != nil {
			return err
		}
		r.adj.AdjudicationDate = d
	case r.ctx == c837OtherPayerName && r.other != nil && q == "573":
		d, err := dateEl(seg, 3)
		if err != nil {
			return err
		}
		r.other.Payer.AdjudicationDate = d
	}
	return nil
}

func (r *reader837) sv1(seg Segment) error {
	l := r.line
	var err error
	if l.Procedure, err = procedureFromComposite(seg, 1); err != nil {
		return err
	}
	if l.Charge, err = amountEl(seg, 2); err != nil {
		return err
	}
	l.UnitType = seg.El(3)
	if l.Units, err = amountEl(seg, 4); err != nil {
		return err
	}
	l.PlaceOfService = seg.El(5)
	for _, p := range seg.Components(7) {
		if p == "" {
			continue
		}
		n, err := optIntFromString(p)
		if err != nil || n < 1 || n > 12 {
			return segErr(seg, 7, "invalid diagnosis pointer %q", p)
		}
		l.DiagnosisPointers = append(l.DiagnosisPointers, n)
	}
	return nil
}

func optIntFromString(s string) (int, error) {
	if !isDigits(s) || len(s) > 2 {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	return strconv.Atoi(s)
}
