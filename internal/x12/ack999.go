package x12

// Ack999 is one 999 Implementation Acknowledgment transaction set: the
// response to one functional group. A 997 functional acknowledgment
// (AK3/AK4/AK5) is read into the same structure.
type Ack999 struct {
	// Envelope identifies the ISA/GS/ST around the acknowledgment.
	Envelope Envelope `json:"envelope"`
	// ImplementationRef is ST03 (or GS08), e.g. "005010X231A1".
	ImplementationRef string `json:"implementation_ref"`
	// FunctionalID is AK101, the acknowledged group's GS01 (e.g. "HC").
	FunctionalID string `json:"functional_id"`
	// GroupControlNumber is AK102, the acknowledged group's GS06.
	GroupControlNumber string `json:"group_control_number"`
	// GroupVersion is AK103, the acknowledged group's GS08.
	GroupVersion string `json:"group_version,omitempty"`
	// Transactions are the AK2 loops, one per acknowledged transaction set.
	Transactions []TransactionAck `json:"transactions"`
	// GroupStatus is AK901: A accepted, E accepted with errors, P partially
	// accepted, R rejected, M/W/X rejected for security reasons.
	GroupStatus string `json:"group_status"`
	// TransactionsIncluded, TransactionsReceived and TransactionsAccepted
	// are AK902, AK903 and AK904.
	TransactionsIncluded int `json:"transactions_included"`
	TransactionsReceived int `json:"transactions_received"`
	TransactionsAccepted int `json:"transactions_accepted"`
	// GroupErrorCodes are AK905-AK909.
	GroupErrorCodes []string `json:"group_error_codes,omitempty"`
	// Warnings are the envelope and optional-element slips read past
	// (see ReadInterchanges); nil for a clean file.
	Warnings []string `json:"warnings,omitempty"`
}

// TransactionAck is one AK2 loop: the response to one transaction set.
type TransactionAck struct {
	// TransactionSetID is AK201 (e.g. "837").
	TransactionSetID string `json:"transaction_set_id"`
	// ControlNumber is AK202, the acknowledged ST02.
	ControlNumber string `json:"control_number"`
	// ImplementationRef is AK203, when present.
	ImplementationRef string `json:"implementation_ref,omitempty"`
	// SegmentErrors are the IK3 loops.
	SegmentErrors []SegmentError `json:"segment_errors,omitempty"`
	// Status is IK501: A accepted, E accepted with errors, R rejected,
	// M/W/X rejected for security reasons.
	Status string `json:"status"`
	// ErrorCodes are IK502-IK506.
	ErrorCodes []string `json:"error_codes,omitempty"`
	// Accepted is true when Status is A or E.
	Accepted bool `json:"accepted"`
}

// SegmentError is an IK3 loop: an error in one segment.
type SegmentError struct {
	// SegmentID is IK301.
	SegmentID string `json:"segment_id"`
	// Position is IK302, the segment position counted from ST (ST is 1).
	Position int `json:"position"`
	// LoopID is IK303, when present.
	LoopID string `json:"loop_id,omitempty"`
	// ErrorCode is IK304 (e.g. 8 = segment has data element errors).
	ErrorCode string `json:"error_code,omitempty"`
	// Context are the CTX segments following IK3.
	Context []ErrorContext `json:"context,omitempty"`
	// ElementErrors are the IK4 loops.
	ElementErrors []ElementError `json:"element_errors,omitempty"`
}

// ElementError is an IK4 loop: an error in one data element.
type ElementError struct {
	// Position is IK401-1, the element position in the segment.
	Position int `json:"position"`
	// ComponentPosition is IK401-2, when present.
	ComponentPosition int `json:"component_position,omitempty"`
	// RepetitionPosition is IK401-3, when present.
	RepetitionPosition int `json:"repetition_position,omitempty"`
	// ElementRef is IK402, the data element reference number.
	ElementRef string `json:"element_ref,omitempty"`
	// ErrorCode is IK403 (e.g. 1 required element missing, 7 invalid code).
	ErrorCode string `json:"error_code"`
	// BadData is IK404, a copy of the bad data element.
	BadData string `json:"bad_data,omitempty"`
	// Context are the CTX segments following IK4.
	Context []ErrorContext `json:"context,omitempty"`
}

// ErrorContext is a CTX segment.
type ErrorContext struct {
	// Name is CTX01-1 (e.g. "SITUATIONAL TRIGGER" or "CLM01").
	Name string `json:"name"`
	// Reference is CTX01-2 (e.g. the business unit value).
	Reference string `json:"reference,omitempty"`
	// SegmentID and SegmentPosition are CTX02/CTX03.
	SegmentID       string `json:"segment_id,omitempty"`
	SegmentPosition int    `json:"segment_position,omitempty"`
	// LoopID is CTX04.
	LoopID string `json:"loop_id,omitempty"`
	// ElementPosition is CTX05 as written (e.g. "5:3").
	ElementPosition string `json:"element_position,omitempty"`
}

// Transaction returns the response for the transaction set with the given
// ST02 control number.
func (a *Ack999) Transaction(controlNumber string) (TransactionAck, bool) {
	for _, t := range a.Transactions {
		if t.ControlNumber == controlNumber {
			return t, true
		}
	}
	return TransactionAck{}, false
}

// AcceptedControlNumbers returns the ST02 numbers of accepted transactions.
func (a *Ack999) AcceptedControlNumbers() []string {
	var out []string
	for _, t := range a.Transactions {
		if t.Accepted {
			out = append(out, t.ControlNumber)
		}
	}
	return out
}

// RejectedControlNumbers returns the ST02 numbers of rejected transactions.
func (a *Ack999) RejectedControlNumbers() []string {
	var out []string
	for _, t := range a.Transactions {
		if !t.Accepted {
			out = append(out, t.ControlNumber)
		}
	}
	return out
}

// Parse999 parses every 999 (or 997) transaction set in data.
func Parse999(data []byte) ([]Ack999, error) {
	var out []Ack999
	err := forEachTransaction(data, []string{"999", "997"}, func(ic *Interchange, g *Group, tx *Transaction) error {
		a, err := parse999Transaction(tx)
		if err != nil {
			return err
		}
		a.Envelope = envelopeOf(ic, g, tx)
		a.ImplementationRef = tx.ImplementationRef
		a.Warnings = withWarnings(ic.Warnings, a.Warnings)
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func parse999Transaction(tx *Transaction) (Ack999, error) {
	var (
		a      Ack999
		sawAK1 bool
		sawAK9 bool
		cur    *TransactionAck
		segE   *SegmentError
		elE    *ElementError
	)
	flushSeg := func() {
		if segE != nil && cur != nil {
			if elE != nil {
				segE.ElementErrors = append(segE.ElementErrors, *elE)
			}
			cur.SegmentErrors = append(cur.SegmentErrors, *segE)
		}
		segE, elE = nil, nil
	}
	closeTx := func() {
		flushSeg()
		if cur != nil {
			a.Transactions = append(a.Transactions, *cur)
		}
		cur = nil
	}
	flushEl := func() {
		if elE != nil && segE != nil {
			segE.ElementErrors = append(segE.ElementErrors, *elE)
		}
		elE = nil
	}
	for _, seg := range tx.Segments {
		if sawAK9 {
			return a, segErr(seg, 0, "segment after AK9")
		}
		switch seg.ID {
		case "AK1":
			if sawAK1 {
				return a, segErr(seg, 0, "duplicate AK1")
			}
			sawAK1 = true
			a.FunctionalID, a.GroupControlNumber, a.GroupVersion = seg.El(1), seg.El(2), seg.El(3)
			if a.FunctionalID == "" || a.GroupControlNumber == "" {
				return a, segErr(seg, 0, "AK1 needs a functional identifier and group control number")
			}
		case "AK2":
			if !sawAK1 {
				return a, segErr(seg, 0, "AK2 before AK1")
			}
			if cur != nil {
				return a, segErr(seg, 0, "AK2 loop for %s has no IK5", cur.ControlNumber)
			}
			cur = &TransactionAck{TransactionSetID: seg.El(1), ControlNumber: seg.El(2), ImplementationRef: seg.El(3)}
			if cur.TransactionSetID == "" || cur.ControlNumber == "" {
				return a, segErr(seg, 0, "AK2 needs a transaction set ID and control number")
			}
		case "IK3", "AK3":
			if cur == nil {
				return a, segErr(seg, 0, "%s outside an AK2 loop", seg.ID)
			}
			flushSeg()
			segE = &SegmentError{SegmentID: seg.El(1), LoopID: seg.El(3), ErrorCode: seg.El(4)}
			if segE.SegmentID == "" {
				return a, segErr(seg, 1, "missing segment ID")
			}
			pos, err := intEl(seg, 2)
			if err != nil {
				return a, err
			}
			segE.Position = pos
		case "IK4", "AK4":
			if segE == nil {
				return a, segErr(seg, 0, "%s outside an IK3 loop", seg.ID)
			}
			flushEl()
			e, err := parseIK4(seg)
			if err != nil {
				return a, err
			}
			elE = &e
		case "CTX":
			ctx, err := parseCTX(seg)
			if err != nil {
				return a, err
			}
			switch {
			case elE != nil:
				elE.Context = append(elE.Context, ctx)
			case segE != nil:
				segE.Context = append(segE.Context, ctx)
			default:
				return a, segErr(seg, 0, "CTX outside an IK3 or IK4 loop")
			}
		case "IK5", "AK5":
			if cur == nil {
				return a, segErr(seg, 0, "%s outside an AK2 loop", seg.ID)
			}
			flushSeg()
			cur.Status = seg.El(1)
			switch cur.Status {
			case "A", "E":
				cur.Accepted = true
			case "M", "R", "W", "X":
			default:
				return a, segErr(seg, 1, "invalid transaction set acknowledgment code %q", cur.Status)
			}
			for i := 2; i <= 6; i++ {
				if v := seg.El(i); v != "" {
					cur.ErrorCodes = append(cur.ErrorCodes, v)
				}
			}
			closeTx()
		case "AK9":
			if !sawAK1 {
				return a, segErr(seg, 0, "AK9 before AK1")
			}
			if cur != nil {
				return a, segErr(seg, 0, "AK2 loop for %s has no IK5", cur.ControlNumber)
			}
			sawAK9 = true
			a.GroupStatus = seg.El(1)
			switch a.GroupStatus {
			case "A", "E", "P", "R", "M", "W", "X":
			default:
				return a, segErr(seg, 1, "invalid functional group acknowledgment code %q", a.GroupStatus)
			}
			var err error
			if a.TransactionsIncluded, err = intEl(seg, 2); err != nil {
				return a, err
			}
			if a.TransactionsReceived, err = intEl(seg, 3); err != nil {
				return a, err
			}
			if a.TransactionsAccepted, err = intEl(seg, 4); err != nil {
				return a, err
			}
			for i := 5; i <= 9; i++ {
				if v := seg.El(i); v != "" {
					a.GroupErrorCodes = append(a.GroupErrorCodes, v)
				}
			}
		}
	}
	if !sawAK1 {
		return a, segErr(tx.Trailer, 0, "999 has no AK1")
	}
	if cur != nil {
		return a, segErr(tx.Trailer, 0, "AK2 loop for %s has no IK5", cur.ControlNumber)
	}
	if !sawAK9 {
		return a, segErr(tx.Trailer, 0, "999 has no AK9")
	}
	return a, nil
}

func parseIK4(seg Segment) (ElementError, error) {
	e := ElementError{ElementRef: seg.El(2), ErrorCode: seg.El(3), BadData: seg.El(4)}
	parts := seg.Components(1)
	if len(parts) == 0 || !isDigits(parts[0]) || len(parts[0]) > 4 {
		return e, segErr(seg, 1, "invalid element position %q", seg.El(1))
	}
	nums := make([]int, 3)
	for i := 0; i < len(parts) && i < 3; i++ {
		if parts[i] == "" {
			continue
		}
		if !isDigits(parts[i]) || len(parts[i]) > 4 {
			return e, segErr(seg, 1, "invalid element position %q", seg.El(1))
		}
		for _, c := range parts[i] {
			nums[i] = nums[i]*10 + int(c-'0')
		}
	}
	e.Position, e.ComponentPosition, e.RepetitionPosition = nums[0], nums[1], nums[2]
	if e.ErrorCode == "" {
		return e, segErr(seg, 3, "missing element error code")
	}
	return e, nil
}

func parseCTX(seg Segment) (ErrorContext, error) {
	c := ErrorContext{
		Name:            seg.Component(1, 1),
		Reference:       seg.Component(1, 2),
		SegmentID:       seg.El(2),
		LoopID:          seg.El(4),
		ElementPosition: seg.El(5),
	}
	if c.Name == "" {
		return c, segErr(seg, 1, "missing context identification")
	}
	pos, err := optIntEl(seg, 3)
	if err != nil {
		return c, err
	}
	c.SegmentPosition = pos
	return c, nil
}
