package api

import (
	"reflect"

	"github.com/shopspring/decimal"
)

// Amount is a money amount in a request body: a JSON number or string parsed
// exactly as a decimal, never through binary floating point. A value that is not
// a decimal is kept, not returned as an error, so that bind (checkBody) can name
// the field: the JSON decoder does not say which field a custom unmarshaler
// failed in.
type Amount struct {
	decimal.Decimal
	bad string
}

// UnmarshalJSON parses "12.50" or 12.50.
func (a *Amount) UnmarshalJSON(b []byte) error {
	a.bad = ""
	if err := a.Decimal.UnmarshalJSON(b); err != nil {
		v := string(b)
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		a.Decimal, a.bad = decimal.Zero, v
	}
	return nil
}

var amountType = reflect.TypeFor[Amount]()

// ptrDecimal returns the decimal inside an optional amount.
func ptrDecimal(a *Amount) *decimal.Decimal {
	if a == nil {
		return nil
	}
	d := a.Decimal
	return &d
}
