package x12

import (
	"errors"
	"fmt"
	"strings"
)

// ParseError reports malformed X12 input. It locates the problem by segment
// ID, 1-based segment position in the file and 1-based element position (0
// when the problem is not tied to one element).
type ParseError struct {
	// Segment is the segment ID (e.g. "CLP"); empty when no segment applies.
	Segment string
	// Position is the 1-based index of the segment in the file (ISA is 1).
	Position int
	// Element is the 1-based element index, 0 when not applicable.
	Element int
	// Msg describes the problem.
	Msg string
	// Err is the underlying cause, if any.
	Err error
}

// Error formats the error as
// `x12: segment CLP at position 17, element 3: invalid amount "12x"`.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("x12: ")
	if e.Segment != "" || e.Position > 0 {
		seg := e.Segment
		if seg == "" {
			seg = "?"
		}
		fmt.Fprintf(&b, "segment %s at position %d", seg, e.Position)
		if e.Element > 0 {
			fmt.Fprintf(&b, ", element %d", e.Element)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *ParseError) Unwrap() error { return e.Err }

// ErrInvalidClaim is wrapped by the errors Write837 returns when a claim or
// batch misses required data or carries inconsistent data.
var ErrInvalidClaim = errors.New("x12: invalid 837 data")

// ErrUnbalanced is wrapped by the errors returned by the 835 balancing checks.
var ErrUnbalanced = errors.New("x12: remittance does not balance")

// segErr builds a ParseError located at seg.
func segErr(seg Segment, element int, format string, args ...any) *ParseError {
	return &ParseError{Segment: seg.ID, Position: seg.Position, Element: element, Msg: fmt.Sprintf(format, args...)}
}

// wrapSegErr builds a ParseError located at seg with an underlying cause.
func wrapSegErr(seg Segment, element int, err error, format string, args ...any) *ParseError {
	pe := segErr(seg, element, format, args...)
	pe.Err = err
	return pe
}
