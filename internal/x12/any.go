package x12

// Transaction set identifiers understood by ParseAny.
const (
	// TypeRemittance835 is the 835 health care claim payment/advice.
	TypeRemittance835 = "835"
	// TypeClaim837 is the 837 health care claim (only 837P is parsed).
	TypeClaim837 = "837"
	// TypeAck999 is the 999 implementation acknowledgment.
	TypeAck999 = "999"
	// TypeFunctionalAck is the 997 functional acknowledgment.
	TypeFunctionalAck = "997"
	// TypeClaimStatus277 is the 277 claim status / claim acknowledgment.
	TypeClaimStatus277 = "277"
	// TypeEligibility270 is the 270 eligibility inquiry.
	TypeEligibility270 = "270"
	// TypeEligibility271 is the 271 eligibility response.
	TypeEligibility271 = "271"
	// TypeStatusInquiry276 is the 276 claim status inquiry.
	TypeStatusInquiry276 = "276"
)

// DetectType returns ST01 of the first transaction set in data (e.g. "835").
func DetectType(data []byte) (string, error) {
	segs, err := Tokenize(data)
	if err != nil {
		return "", err
	}
	for _, s := range segs {
		if s.ID == "ST" {
			if s.El(1) == "" {
				return "", segErr(s, 1, "missing transaction set identifier")
			}
			return s.El(1), nil
		}
	}
	return "", &ParseError{Msg: "no ST segment: no transaction set found"}
}

// ParseAny detects the transaction type from ST01 and parses data with the
// matching parser. It returns []Remittance (835), []Batch837 (837P),
// []Ack999 (999 or 997), []ClaimStatusReport (277), []EligibilityInquiry (270),
// []EligibilityResponse (271) or []ClaimStatusInquiry (276). Every transaction set
// in data must have the same type.
func ParseAny(data []byte) (any, error) {
	typ, err := DetectType(data)
	if err != nil {
		return nil, err
	}
	var (
		out  any
		perr error
	)
	switch typ {
	case TypeRemittance835:
		out, perr = Parse835(data)
	case TypeClaim837:
		out, perr = Parse837(data)
	case TypeAck999, TypeFunctionalAck:
		out, perr = Parse999(data)
	case TypeClaimStatus277:
		out, perr = Parse277(data)
	case TypeEligibility270:
		out, perr = Parse270(data)
	case TypeEligibility271:
		out, perr = Parse271(data)
	case TypeStatusInquiry276:
		out, perr = Parse276(data)
	default:
		return nil, unsupported(data, typ)
	}
	if perr != nil {
		return nil, perr
	}
	return out, nil
}

// unsupported builds the error for an unknown transaction set type.
func unsupported(data []byte, typ string) error {
	// Locate the ST for the error.
	segs, _ := Tokenize(data)
	for _, s := range segs {
		if s.ID == "ST" {
			return segErr(s, 1, "unsupported transaction set %q", typ)
		}
	}
	return &ParseError{Msg: "unsupported transaction set " + typ}
}
