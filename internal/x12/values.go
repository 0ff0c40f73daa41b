package x12

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Date is a calendar date without time of day, as carried by X12 D8
// (CCYYMMDD) elements. The zero Date means "absent"; it marshals to JSON as
// null and otherwise as "2006-01-02".
type Date struct {
	t time.Time
}

// NewDate returns the Date for the given year, month and day.
func NewDate(year int, month time.Month, day int) Date {
	return Date{t: time.Date(year, month, day, 0, 0, 0, 0, time.UTC)}
}

// ParseDate parses a CCYYMMDD date.
func ParseDate(s string) (Date, error) {
	if len(s) != 8 || !isDigits(s) {
		return Date{}, fmt.Errorf("date %q is not CCYYMMDD", s)
	}
	t, err := time.Parse("20060102", s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: %w", s, err)
	}
	return Date{t: t}, nil
}

// IsZero reports whether d is the zero (absent) date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Time returns the date as midnight UTC.
func (d Date) Time() time.Time { return d.t }

// String returns the date as 2006-01-02, or "" for the zero date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format("2006-01-02")
}

// X12 returns the date in CCYYMMDD form, or "" for the zero date.
func (d Date) X12() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format("20060102")
}

// MarshalJSON encodes the date as "2006-01-02", or null when zero.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON decodes "2006-01-02" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("x12: date: %w", err)
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return fmt.Errorf("x12: date: %w", err)
	}
	*d = Date{t: t}
	return nil
}

// Envelope carries the interchange (ISA), functional group (GS) and
// transaction set (ST) identifiers around a transaction.
type Envelope struct {
	// SenderIDQualifier is ISA05 (e.g. "ZZ").
	SenderIDQualifier string `json:"sender_id_qualifier"`
	// SenderID is ISA06 without padding.
	SenderID string `json:"sender_id"`
	// ReceiverIDQualifier is ISA07.
	ReceiverIDQualifier string `json:"receiver_id_qualifier"`
	// ReceiverID is ISA08 without padding.
	ReceiverID string `json:"receiver_id"`
	// InterchangeControlNumber is ISA13 (written as 9 zero-padded digits).
	InterchangeControlNumber int `json:"interchange_control_number"`
	// AckRequested is ISA14 ("1" = TA1 requested).
	AckRequested bool `json:"ack_requested"`
	// UsageIndicator is ISA15: "P" production or "T" test.
	UsageIndicator string `json:"usage_indicator"`
	// ApplicationSenderCode is GS02.
	ApplicationSenderCode string `json:"application_sender_code"`
	// ApplicationReceiverCode is GS03.
	ApplicationReceiverCode string `json:"application_receiver_code"`
	// GroupControlNumber is GS06.
	GroupControlNumber int `json:"group_control_number"`
	// Date is the functional group creation date and time (GS04/GS05, UTC).
	Date time.Time `json:"date"`
	// TransactionControlNumber is ST02.
	TransactionControlNumber string `json:"transaction_control_number"`
}

// Address is a postal address (N3/N4).
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	// Country is N404, empty for US addresses.
	Country string `json:"country,omitempty"`
}

// Reference is a REF segment: a qualifier and an identifier.
type Reference struct {
	Qualifier string `json:"qualifier"`
	Value     string `json:"value"`
}

// Contact is a PER segment: a contact function, name and communication
// numbers.
type Contact struct {
	// Function is PER01 (e.g. "IC" information contact, "BL" technical).
	Function  string `json:"function"`
	Name      string `json:"name,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Extension string `json:"extension,omitempty"`
	Fax       string `json:"fax,omitempty"`
	Email     string `json:"email,omitempty"`
	URL       string `json:"url,omitempty"`
}

// Adjustment is one CAS triplet (group code, reason code, amount, quantity).
type Adjustment struct {
	// Group is the claim adjustment group code: CO, CR, OA, PI or PR.
	Group string `json:"group"`
	// Reason is the claim adjustment reason code (CARC).
	Reason string `json:"reason"`
	// Amount is the adjustment amount; positive amounts reduce payment.
	Amount decimal.Decimal `json:"amount"`
	// Quantity is the adjusted quantity, when present.
	Quantity *decimal.Decimal `json:"quantity,omitempty"`
}

// Procedure is a composite medical procedure identifier (SVC01, SV101, SVD03).
type Procedure struct {
	// Qualifier is the code list, e.g. "HC" (HCPCS/CPT), "NU" (revenue code).
	Qualifier string `json:"qualifier"`
	// Code is the procedure code.
	Code string `json:"code"`
	// Modifiers holds up to four procedure modifiers.
	Modifiers []string `json:"modifiers,omitempty"`
	// Description is the free-text description (7th component), if any.
	Description string `json:"description,omitempty"`
}

// Person is an individual or organization named in an NM1 segment.
type Person struct {
	// EntityType is NM102: "1" person, "2" non-person entity.
	EntityType string `json:"entity_type,omitempty"`
	// LastName is NM103: the last name or the organization name.
	LastName    string `json:"last_name,omitempty"`
	FirstName   string `json:"first_name,omitempty"`
	MiddleName  string `json:"middle_name,omitempty"`
	Suffix      string `json:"suffix,omitempty"`
	IDQualifier string `json:"id_qualifier,omitempty"`
	ID          string `json:"id,omitempty"`
}

// RemarkCode is a remittance advice remark code (RARC) or NCPDP reject code
// with its code list qualifier ("HE" for RARC, "RX" for NCPDP).
type RemarkCode struct {
	Qualifier string `json:"qualifier"`
	Code      string `json:"code"`
}

// parseAmountString validates an X12 "R" (decimal) value and converts it.
// Exponents, signs other than a leading minus, and more than 18 digits are
// rejected.
func parseAmountString(s string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Decimal{}, fmt.Errorf("empty amount")
	}
	body := s
	if body[0] == '-' {
		body = body[1:]
	}
	digits, dots := 0, 0
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return decimal.Decimal{}, fmt.Errorf("invalid amount %q", s)
		}
	}
	if digits == 0 || dots > 1 {
		return decimal.Decimal{}, fmt.Errorf("invalid amount %q", s)
	}
	if digits > 18 {
		return decimal.Decimal{}, fmt.Errorf("amount %q has more than 18 digits", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("invalid amount %q: %w", s, err)
	}
	return d, nil
}

// formatAmount renders a decimal the X12 way: no exponent, no trailing zeros.
func formatAmount(d decimal.Decimal) string {
	return d.String()
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
}

// amountEl parses a required amount element.
func amountEl(seg Segment, n int) (decimal.Decimal, error) {
	v := seg.El(n)
	if v == "" {
		return decimal.Decimal{}, segErr(seg, n, "missing required amount")
	}
	d, err := parseAmountString(v)
	if err != nil {
		return decimal.Decimal{}, segErr(seg, n, "invalid amount %q", v)
	}
	return d, nil
}

// optAmountEl parses an optional amount element; nil when empty.
func optAmountEl(seg Segment, n int) (*decimal.Decimal, error) {
	if seg.El(n) == "" {
		return nil, nil
	}
	d, err := amountEl(seg, n)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// amountOrZero parses an optional amount element; zero when empty.
func amountOrZero(seg Segment, n int) (decimal.Decimal, error) {
	if seg.El(n) == "" {
		return decimal.Decimal{}, nil
	}
	return amountEl(seg, n)
}

// dateEl parses a required CCYYMMDD element.
func dateEl(seg Segment, n int) (Date, error) {
	v := seg.El(n)
	if v == "" {
		return Date{}, segErr(seg, n, "missing required date")
	}
	d, err := ParseDate(v)
	if err != nil {
		return Date{}, segErr(seg, n, "invalid date %q", v)
	}
	return d, nil
}

// optDateEl parses an optional CCYYMMDD element.
func optDateEl(seg Segment, n int) (Date, error) {
	if seg.El(n) == "" {
		return Date{}, nil
	}
	return dateEl(seg, n)
}

// intEl parses a required non-negative integer element.
func intEl(seg Segment, n int) (int, error) {
	v := seg.El(n)
	if v == "" {
		return 0, segErr(seg, n, "missing required number")
	}
	if !isDigits(v) || len(v) > 9 {
		return 0, segErr(seg, n, "invalid number %q", v)
	}
	i, err := strconv.Atoi(v)
	if err != nil {
		return 0, wrapSegErr(seg, n, err, "invalid number %q", v)
	}
	return i, nil
}

// optIntEl parses an optional non-negative integer element.
func optIntEl(seg Segment, n int) (int, error) {
	if seg.El(n) == "" {
		return 0, nil
	}
	return intEl(seg, n)
}

// periodEl parses a DTP/DTM-style date element that is either D8 or RD8
// (CCYYMMDD-CCYYMMDD), as told by the format qualifier.
func periodEl(seg Segment, qualifier string, n int) (Date, Date, error) {
	v := seg.El(n)
	switch qualifier {
	case "D8", "":
		d, err := dateEl(seg, n)
		return d, Date{}, err
	case "RD8":
		from, to, ok := strings.Cut(v, "-")
		if !ok {
			return Date{}, Date{}, segErr(seg, n, "invalid date range %q", v)
		}
		f, err := ParseDate(from)
		if err != nil {
			return Date{}, Date{}, segErr(seg, n, "invalid date range %q", v)
		}
		t, err := ParseDate(to)
		if err != nil {
			return Date{}, Date{}, segErr(seg, n, "invalid date range %q", v)
		}
		if t.t.Before(f.t) {
			return Date{}, Date{}, segErr(seg, n, "date range %q ends before it starts", v)
		}
		return f, t, nil
	default:
		return Date{}, Date{}, segErr(seg, n-1, "unsupported date format qualifier %q", qualifier)
	}
}

// parseTime parses HHMM, HHMMSS or HHMMSSD..: it returns hours, minutes and
// seconds.
func parseTime(s string) (int, int, int, error) {
	if len(s) < 4 || len(s) > 8 || !isDigits(s) || len(s) == 5 {
		return 0, 0, 0, fmt.Errorf("time %q is not HHMM[SS[D..]]", s)
	}
	h, _ := strconv.Atoi(s[0:2])
	m, _ := strconv.Atoi(s[2:4])
	sec := 0
	if len(s) >= 6 {
		sec, _ = strconv.Atoi(s[4:6])
	}
	if h > 23 || m > 59 || sec > 59 {
		return 0, 0, 0, fmt.Errorf("time %q out of range", s)
	}
	return h, m, sec, nil
}

// dateTimeEls parses a CCYYMMDD date element followed by an HHMM[SS] time
// element into one UTC timestamp.
func dateTimeEls(seg Segment, dateN, timeN int) (time.Time, error) {
	d, err := dateEl(seg, dateN)
	if err != nil {
		return time.Time{}, err
	}
	tv := seg.El(timeN)
	if tv == "" {
		return d.t, nil
	}
	h, m, s, err := parseTime(tv)
	if err != nil {
		return time.Time{}, wrapSegErr(seg, timeN, err, "invalid time")
	}
	return d.t.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second), nil
}

// personFromNM1 reads NM102..NM109 into a Person.
func personFromNM1(seg Segment) Person {
	return Person{
		EntityType:  seg.El(2),
		LastName:    seg.El(3),
		FirstName:   seg.El(4),
		MiddleName:  seg.El(5),
		Suffix:      seg.El(7),
		IDQualifier: seg.El(8),
		ID:          seg.El(9),
	}
}

// addressLines fills an address from N3.
func addressFromN3(a *Address, seg Segment) {
	a.Line1 = seg.El(1)
	a.Line2 = seg.El(2)
}

// addressFromN4 fills an address from N4.
func addressFromN4(a *Address, seg Segment) {
	a.City = seg.El(1)
	a.State = seg.El(2)
	a.PostalCode = seg.El(3)
	a.Country = seg.El(4)
}

// contactFromPER reads a PER segment.
func contactFromPER(seg Segment) Contact {
	c := Contact{Function: seg.El(1), Name: seg.El(2)}
	for i := 3; i+1 <= 8; i += 2 {
		q, v := seg.El(i), seg.El(i+1)
		switch q {
		case "TE":
			if c.Phone == "" {
				c.Phone = v
			}
		case "EX":
			c.Extension = v
		case "FX":
			c.Fax = v
		case "EM":
			c.Email = v
		case "UR":
			c.URL = v
		}
	}
	return c
}

// adjustmentsFromCAS reads a CAS segment: a group code and up to six
// reason/amount/quantity triplets.
func adjustmentsFromCAS(seg Segment) ([]Adjustment, error) {
	group := seg.El(1)
	switch group {
	case "CO", "CR", "OA", "PI", "PR":
	case "":
		return nil, segErr(seg, 1, "missing claim adjustment group code")
	default:
		return nil, segErr(seg, 1, "invalid claim adjustment group code %q", group)
	}
	var out []Adjustment
	for k := 0; k < 6; k++ {
		rn, an, qn := 2+3*k, 3+3*k, 4+3*k
		reason := seg.El(rn)
		if reason == "" {
			if seg.El(an) != "" || seg.El(qn) != "" {
				return nil, segErr(seg, rn, "adjustment amount without reason code")
			}
			continue
		}
		amt, err := amountEl(seg, an)
		if err != nil {
			return nil, err
		}
		qty, err := optAmountEl(seg, qn)
		if err != nil {
			return nil, err
		}
		out = append(out, Adjustment{Group: group, Reason: reason, Amount: amt, Quantity: qty})
	}
	if len(out) == 0 {
		return nil, segErr(seg, 2, "CAS without any adjustment")
	}
	if len(seg.Elements) > 19 {
		return nil, segErr(seg, 20, "CAS has more than six adjustments")
	}
	return out, nil
}

// procedureFromComposite reads a C003 composite procedure identifier.
func procedureFromComposite(seg Segment, n int) (Procedure, error) {
	parts := seg.Components(n)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return Procedure{}, segErr(seg, n, "invalid procedure identifier %q", seg.El(n))
	}
	p := Procedure{Qualifier: parts[0], Code: parts[1]}
	for i := 2; i < len(parts) && i < 6; i++ {
		if parts[i] != "" {
			p.Modifiers = append(p.Modifiers, parts[i])
		}
	}
	if len(parts) > 6 {
		p.Description = parts[6]
	}
	return p, nil
}
