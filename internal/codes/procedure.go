package codes

import "strings"

// NormalizeProcedure returns s with surrounding white space removed and ASCII
// letters upper-cased, the form in which procedure codes and modifiers are
// stored and sent on claims. It does not validate; see [ValidProcedureCode].
func NormalizeProcedure(s string) string {
	return asciiUpper(strings.TrimSpace(s))
}

// ValidProcedureCode reports whether s, once normalized with
// [NormalizeProcedure], has the shape of a procedure code billable on a
// professional claim:
//
//   - CPT Category I: five digits ("99213");
//   - CPT Category II: four digits and "F" ("3074F");
//   - CPT Category III: four digits and "T" ("0042T");
//   - HCPCS Level II: a letter A–V and four digits ("J1100", "G0008").
//
// Other five-character CPT forms (such as the "U"-suffixed proprietary
// laboratory analyses codes) are not accepted.
func ValidProcedureCode(s string) bool {
	s = NormalizeProcedure(s)
	if len(s) != 5 {
		return false
	}
	if allDigits(s) {
		return true
	}
	if last := s[4]; last == 'F' || last == 'T' {
		return allDigits(s[:4])
	}
	first := s[0]
	return 'A' <= first && first <= 'V' && allDigits(s[1:])
}

// ValidModifier reports whether s, once normalized with
// [NormalizeProcedure], has the shape of a CPT or HCPCS modifier: exactly two
// ASCII letters or digits ("25", "59", "LT", "GT", "XS").
func ValidModifier(s string) bool {
	s = NormalizeProcedure(s)
	return len(s) == 2 && isUpperOrDigit(s[0]) && isUpperOrDigit(s[1])
}
