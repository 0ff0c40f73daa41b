package api

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/shopspring/decimal"
)

// Amount is a money amount in a request body: a JSON number or string parsed
// exactly as a decimal, never through binary floating point. A value that is not
// a decimal is kept, not returned as an error, so that bind can name the field
// (the JSON decoder does not say which field a custom unmarshaler failed in).
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

// badAmount finds the first Amount in v that did not parse and returns its JSON
// path (items[1].price) and the value given.
func badAmount(v reflect.Value, path string) (field, value string, found bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return badAmount(v.Elem(), path)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if f, val, ok := badAmount(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); ok {
				return f, val, true
			}
		}
	case reflect.Struct:
		if v.Type() == amountType {
			a := v.Interface().(Amount)
			return path, a.bad, a.bad != ""
		}
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			switch {
			case name == "-":
				continue
			case sf.Anonymous && name == "":
				name = path // embedded: its fields are the outer object's
			case name == "":
				name = join(path, sf.Name)
			default:
				name = join(path, name)
			}
			if f, val, ok := badAmount(v.Field(i), name); ok {
				return f, val, true
			}
		}
	}
	return "", "", false
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// ptrDecimal returns the decimal inside an optional amount.
func ptrDecimal(a *Amount) *decimal.Decimal {
	if a == nil {
		return nil
	}
	d := a.Decimal
	return &d
}
