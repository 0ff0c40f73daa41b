package api

import (
	"encoding/json"
	"reflect"

	"github.com/shopspring/decimal"
)

// Amount is a money amount in a request body: a JSON number or string parsed
// exactly as a decimal, never through binary floating point. A bad value is reported as a type
// error so the decoder names the field.
type Amount struct{ decimal.Decimal }

// UnmarshalJSON parses "12.50" or 12.50.
func (a *Amount) UnmarshalJSON(b []byte) error {
	if err := a.Decimal.UnmarshalJSON(b); err != nil {
		v := string(b)
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return &json.UnmarshalTypeError{Value: v, Type: reflect.TypeOf(decimal.Decimal{})}
	}
	return nil
}

// ptrDecimal returns the decimal inside an optional amount.
func ptrDecimal(a *Amount) *decimal.Decimal {
	if a == nil {
		return nil
	}
	d := a.Decimal
	return &d
}
