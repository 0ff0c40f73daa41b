package codes

import "strings"

// NormalizeICD10 returns an ICD-10-CM code in the form X12 claims carry it:
// surrounding white space removed, ASCII letters upper-cased and the dot
// dropped ("e11.9" becomes "E119"). Use it for X12 output and for comparing
// codes; store and display [FormatICD10] instead.
//
// If s is not a valid code (see [ValidICD10CM]) the dot, if any, is kept, so
// that a malformed code such as "E.119" stays malformed rather than being
// turned into a valid one; only the white space and case are normalized.
func NormalizeICD10(s string) string {
	u := asciiUpper(strings.TrimSpace(s))
	if !validICD10(u) {
		return u
	}
	return strings.Replace(u, ".", "", 1)
}

// FormatICD10 returns an ICD-10-CM code in its canonical dotted form, the one
// stored and shown to people: white space trimmed, upper-cased, with the dot
// after the third character when more characters follow ("E119" and "e11.9"
// become "E11.9"; "I10" stays "I10"). Like [NormalizeICD10] it returns
// invalid input only trimmed and upper-cased, so validate with
// [ValidICD10CM].
func FormatICD10(s string) string {
	u := NormalizeICD10(s)
	if !validICD10(u) || len(u) <= 3 {
		return u
	}
	return u[:3] + "." + u[3:]
}

// SameICD10 reports whether a and b are the same ICD-10-CM code, whether
// either is written with or without its dot, in any letter case ("E11.9" and
// "e119" are the same code). Malformed codes are compared after trimming and
// upper-casing only.
func SameICD10(a, b string) bool {
	return NormalizeICD10(a) == NormalizeICD10(b)
}

// ValidICD10CM reports whether s has the shape of an ICD-10-CM diagnosis
// code, ignoring surrounding white space and letter case. Without its dot the
// code is 3 to 7 ASCII characters: a letter, a digit, a letter or digit, and
// then up to four more letters or digits. A dot is optional; if present there
// is exactly one, it follows the third character and at least one character
// follows it ("E11.9" and "E119" are valid; "E1", "11.9", "E1.19", "E11." and
// "E11 9" are not).
//
// The check is syntactic: it does not know whether the code is billable
// (a header code such as "E11" is well-formed but not billable).
func ValidICD10CM(s string) bool {
	return validICD10(asciiUpper(strings.TrimSpace(s)))
}

// validICD10 checks an already trimmed and upper-cased code.
func validICD10(s string) bool {
	if len(s) > 3 && s[3] == '.' {
		s = s[:3] + s[4:]
		if len(s) == 3 { // nothing after the dot
			return false
		}
	}
	if len(s) < 3 || len(s) > 7 {
		return false
	}
	if !isUpper(s[0]) || !isDigit(s[1]) {
		return false
	}
	for i := 2; i < len(s); i++ {
		if !isUpperOrDigit(s[i]) {
			return false
		}
	}
	return true
}
