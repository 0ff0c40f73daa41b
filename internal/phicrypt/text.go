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

// Bytes is a bytea column sealed at rest, for whole files that carry PHI (an
// 837P, an 835): Go code sees the file, the database a sealed value (the
// same layout as Text, as bytes). Legacy unsealed files read as they are.
type Bytes []byte

// Value seals the bytes for the database; nil stays NULL.
func (b Bytes) Value() (driver.Value, error) {
	if b == nil {
		return nil, nil
	}
	s, err := Seal(string(b))
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// Scan opens a sealed value read from the database.
func (b *Bytes) Scan(src any) error {
	var v string
	switch s := src.(type) {
	case nil:
		*b = nil
		return nil
	case []byte:
		v = string(s)
	case string:
		v = s
	default:
		return fmt.Errorf("phicrypt: cannot scan %T into Bytes", src)
	}
	plain, err := Open(v)
	if err != nil {
		return err
	}
	*b = Bytes(plain)
	return nil
}

// GormDataType keeps the column a bytea column for GORM.
func (Bytes) GormDataType() string { return "bytea" }
