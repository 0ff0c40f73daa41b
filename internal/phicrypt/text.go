package phicrypt

import (
	"database/sql/driver"
	"fmt"
)

// Text is a string column sealed at rest: Go code, JSON and templates see the
// plain text; the database sees a sealed value (Value seals under the current
// key, Scan opens under any held key, legacy plain text reads as it is). A
// column of this type must never be compared in SQL (each write has a fresh
// nonce); look it up by its keyed hash (Lookup) instead.
type Text string

// String returns the plain text.
func (t Text) String() string { return string(t) }

// Value seals the text for the database.
func (t Text) Value() (driver.Value, error) {
	return Seal(string(t))
}

// Scan opens a sealed value read from the database.
func (t *Text) Scan(src any) error {
	var v string
	switch s := src.(type) {
	case nil:
		*t = ""
		return nil
	case string:
		v = s
	case []byte:
		v = string(s)
	default:
		return fmt.Errorf("phicrypt: cannot scan %T into Text", src)
	}
	plain, err := Open(v)
	if err != nil {
		return err
	}
	*t = Text(plain)
	return nil
}

// GormDataType keeps the column a text column for GORM.
func (Text) GormDataType() string { return "text" }
