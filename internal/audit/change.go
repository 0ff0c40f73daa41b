package audit

import (
	"encoding/json"
	"maps"
	"reflect"
)

// Masked stands in an audit row for a PHI value: the row says that the field
// changed, never what it held or holds.
const Masked = "[masked]"

// phiFields are the fields whose values are PHI (or identify a patient's
// insurance or legal claim), wherever they appear: an audit row carries the
// field name and Masked instead of the value.
var phiFields = map[string]bool{
	"first_name": true, "last_name": true, "date_of_birth": true, "dob": true,
	"email": true, "phone": true, "address1": true, "address2": true, "city": true, "zip": true,
	"ssn": true, "member_id": true, "group_number": true, "diagnoses": true,
	"subscriber_first_name": true, "subscriber_last_name": true, "subscriber_date_of_birth": true,
	"subscriber_member_id": true, "date_of_injury": true, "insurer_claim_number": true,
	"lien_document": true,
}

// IsPHI reports whether an audit row masks the values of field.
func IsPHI(field string) bool { return phiFields[field] }

// Diff is the changes of an update for an audit row: {"before": {...},
// "after": {...}} holding only the fields whose values differ (compared as
// JSON), with PHI values masked; nil when nothing differs. Callers may add
// keys of their own (ids the change concerns) to the map it returns.
func Diff(before, after map[string]any) map[string]any {
	b, a := map[string]any{}, map[string]any{}
	for _, k := range keys(before, after) {
		bv, bok := before[k]
		av, aok := after[k]
		if bok == aok && sameJSON(bv, av) {
			continue
		}
		b[k], a[k] = mask(k, bv, bok), mask(k, av, aok)
	}
	if len(b) == 0 {
		return nil
	}
	return map[string]any{"before": b, "after": a}
}

// keys is the union of the maps' keys.
func keys(ms ...map[string]any) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		for k := range maps.Keys(m) {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// mask is the value an audit row shows for field: nil when absent or empty,
// Masked for a PHI value, the value otherwise.
func mask(field string, v any, present bool) any {
	if !present || isEmpty(v) {
		return nil
	}
	if phiFields[field] {
		return Masked
	}
	return v
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Pointer, reflect.Interface:
		return r.IsNil()
	case reflect.String, reflect.Slice, reflect.Map:
		return r.Len() == 0
	}
	return false
}

func sameJSON(x, y any) bool {
	if isEmpty(x) && isEmpty(y) {
		return true
	}
	a, err1 := json.Marshal(x)
	b, err2 := json.Marshal(y)
	return err1 == nil && err2 == nil && string(a) == string(b)
}

// Merge adds extra keys (ids the change concerns) to changes, a Diff's
// result; it returns a new map, and extra alone when changes is nil.
func Merge(changes, extra map[string]any) map[string]any {
	out := maps.Clone(extra)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, changes)
	return out
}
