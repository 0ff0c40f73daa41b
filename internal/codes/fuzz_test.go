package codes

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"", "E11.9", "E119", "e11.9", " I10 ", "S72.001A", "T36.0X5A", "C4A.0", "S134XXA", "Z00.00",
	"E1", "11.9", "E.119", "E11.", "E11 9", "S72.001AB", "ſ11.9",
	"99213", "3074F", "0042T", "J1100", "25", "LT",
	"1234567893", "12-3456789", "123456789",
}

// FuzzValidICD10CM checks that the ICD-10-CM functions never panic, that
// normalizing and formatting are idempotent and preserve validity, and that
// a valid code round-trips between its X12 and display forms.
func FuzzValidICD10CM(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		valid := ValidICD10CM(s)
		norm := NormalizeICD10(s)
		disp := FormatICD10(s)

		if got := ValidICD10CM(norm); got != valid {
			t.Fatalf("ValidICD10CM(%q)=%v but ValidICD10CM(NormalizeICD10)=ValidICD10CM(%q)=%v", s, valid, norm, got)
		}
		if got := ValidICD10CM(disp); got != valid {
			t.Fatalf("ValidICD10CM(%q)=%v but ValidICD10CM(FormatICD10)=ValidICD10CM(%q)=%v", s, valid, disp, got)
		}
		if again := NormalizeICD10(norm); again != norm {
			t.Fatalf("NormalizeICD10 not idempotent: %q -> %q -> %q", s, norm, again)
		}
		if again := FormatICD10(disp); again != disp {
			t.Fatalf("FormatICD10 not idempotent: %q -> %q -> %q", s, disp, again)
		}
		if !valid {
			return
		}
		if strings.Contains(norm, ".") || len(norm) < 3 || len(norm) > 7 {
			t.Fatalf("NormalizeICD10(%q) = %q: want 3-7 characters without a dot", s, norm)
		}
		if !SameICD10(s, disp) || !SameICD10(norm, disp) {
			t.Fatalf("SameICD10: %q, %q and %q should be the same code", s, norm, disp)
		}
		if NormalizeICD10(disp) != norm {
			t.Fatalf("round trip: NormalizeICD10(FormatICD10(%q)) = %q, want %q", s, NormalizeICD10(disp), norm)
		}
		if FormatICD10(norm) != disp {
			t.Fatalf("round trip: FormatICD10(NormalizeICD10(%q)) = %q, want %q", s, FormatICD10(norm), disp)
		}
		if len(norm) > 3 && (len(disp) != len(norm)+1 || disp[3] != '.') {
			t.Fatalf("FormatICD10(%q) = %q: want a dot after the third character", s, disp)
		}
		if len(norm) == 3 && disp != norm {
			t.Fatalf("FormatICD10(%q) = %q: a three-character code has no dot", s, disp)
		}
	})
}

// FuzzValidators checks that the other validators never panic, only accept
// ASCII, and agree with their normalizers.
func FuzzValidators(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		norm := NormalizeProcedure(s)
		if NormalizeProcedure(norm) != norm {
			t.Fatalf("NormalizeProcedure not idempotent on %q", s)
		}
		if ValidProcedureCode(s) != ValidProcedureCode(norm) {
			t.Fatalf("ValidProcedureCode(%q) disagrees with its normalized form %q", s, norm)
		}
		if ValidProcedureCode(s) && (len(norm) != 5 || !isASCIIAlnum(norm)) {
			t.Fatalf("ValidProcedureCode accepted %q (normalized %q)", s, norm)
		}
		if ValidModifier(s) && (len(norm) != 2 || !isASCIIAlnum(norm)) {
			t.Fatalf("ValidModifier accepted %q (normalized %q)", s, norm)
		}
		if ValidNPI(s) && (len(s) != 10 || !allDigits(s)) {
			t.Fatalf("ValidNPI accepted %q", s)
		}
		if ValidTaxID(s) && strings.ReplaceAll(s, "-", "") != s && len(s) != 10 {
			t.Fatalf("ValidTaxID accepted %q", s)
		}
		if !utf8.ValidString(NormalizeICD10(s)) && utf8.ValidString(s) {
			t.Fatalf("NormalizeICD10 broke UTF-8 in %q", s)
		}
		_, _ = LookupCARC(s)
		_ = CARCCategory(s)
	})
}

func isASCIIAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isUpperOrDigit(s[i]) {
			return false
		}
	}
	return true
}
