package codes

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalizeProcedure(t *testing.T) {
	tests := []struct{ in, want string }{
		{"99213", "99213"},
		{" j1100\t", "J1100"},
		{"3074f", "3074F"},
		{"", ""},
		{"ſ1234", "ſ1234"}, // non-ASCII letters are not mapped onto ASCII
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, NormalizeProcedure(tt.in), "NormalizeProcedure(%q)", tt.in)
	}
}

func TestValidProcedureCode(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		// CPT Category I
		{"99213", true},
		{"00100", true},
		{" 99213 ", true},
		// CPT Category II and III
		{"3074F", true},
		{"3074f", true},
		{"0042T", true},
		// HCPCS Level II, letters A–V
		{"J1100", true},
		{"G0008", true},
		{"A0425", true},
		{"V2020", true},
		{"e0114", true},
		{"W1234", false},
		{"Z1234", false},
		// malformed
		{"", false},
		{"9921", false},
		{"992130", false},
		{"9921A", false},
		{"A123T", false},
		{"12F34", false},
		{"J11000", false},
		{"JJ100", false},
		{"992 3", false},
		{"99213-25", false},
		{"ſ1234", false},
		{"９９２１３", false}, // full-width digits
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ValidProcedureCode(tt.in), "ValidProcedureCode(%q)", tt.in)
	}
}

func TestValidModifier(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"25", true},
		{"59", true},
		{"76", true},
		{"LT", true},
		{"RT", true},
		{"GT", true},
		{"XS", true},
		{"F1", true},
		{"lt", true},
		{" 25 ", true},
		{"", false},
		{"2", false},
		{"259", false},
		{"-5", false},
		{"2 ", false}, // trimmed to one character
		{"2-", false},
		{"é1", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ValidModifier(tt.in), "ValidModifier(%q)", tt.in)
	}
}

func TestICD10(t *testing.T) {
	tests := []struct {
		in        string
		valid     bool
		normal    string // NormalizeICD10
		formatted string // FormatICD10
	}{
		{"E11.9", true, "E119", "E11.9"},
		{"E119", true, "E119", "E11.9"},
		{"e11.9", true, "E119", "E11.9"},
		{" E11.9 ", true, "E119", "E11.9"},
		{"I10", true, "I10", "I10"},
		{"J45.909", true, "J45909", "J45.909"},
		{"S72.001A", true, "S72001A", "S72.001A"},
		{"S72001A", true, "S72001A", "S72.001A"},
		{"T36.0X5A", true, "T360X5A", "T36.0X5A"},
		{"Z79.4", true, "Z794", "Z79.4"},
		{"C4A.0", true, "C4A0", "C4A.0"}, // letter in the third position
		{"U07.1", true, "U071", "U07.1"},
		{"S13.4XXA", true, "S134XXA", "S13.4XXA"}, // seventh character with X placeholders
		{"s134xxa", true, "S134XXA", "S13.4XXA"},
		{"Z00.00", true, "Z0000", "Z00.00"},
		{"Z0000", true, "Z0000", "Z00.00"},
		{"e119", true, "E119", "E11.9"},
		{"\tE119\n", true, "E119", "E11.9"},
		{"E11", true, "E11", "E11"}, // a category: no dot, nothing follows it
		{"e11", true, "E11", "E11"},
		// invalid: returned trimmed and upper-cased, dot kept
		{"", false, "", ""},
		{"E1", false, "E1", "E1"},
		{"11.9", false, "11.9", "11.9"},
		{"119", false, "119", "119"},
		{"EE1.9", false, "EE1.9", "EE1.9"},
		{"E1.19", false, "E1.19", "E1.19"},
		{"E.119", false, "E.119", "E.119"},
		{"E11.", false, "E11.", "E11."},
		{"E11..9", false, "E11..9", "E11..9"},
		{"E11.9.1", false, "E11.9.1", "E11.9.1"},
		{"E11 9", false, "E11 9", "E11 9"},
		{"E11.9 1", false, "E11.9 1", "E11.9 1"},
		{"S72.001AB", false, "S72.001AB", "S72.001AB"},
		{"S72001AB", false, "S72001AB", "S72001AB"},
		{"E11-9", false, "E11-9", "E11-9"},
		{"É11.9", false, "É11.9", "É11.9"},
		{"E11.9A1234", false, "E11.9A1234", "E11.9A1234"}, // 9 characters without the dot
		{".E119", false, ".E119", ".E119"},
		{"E119.", false, "E119.", "E119."},
		{"E11,9", false, "E11,9", "E11,9"},
		{"E11_9", false, "E11_9", "E11_9"},
		{"1E19", false, "1E19", "1E19"}, // digit first
		{"EE19", false, "EE19", "EE19"}, // letter second
		{"E11.9\x00", false, "E11.9\x00", "E11.9\x00"},
		{"E 11.9", false, "E 11.9", "E 11.9"},
		{"   ", false, "", ""},
		{"e1.19", false, "E1.19", "E1.19"}, // upper-cased, dot kept where it was
	}
	for _, tt := range tests {
		assert.Equal(t, tt.valid, ValidICD10CM(tt.in), "ValidICD10CM(%q)", tt.in)
		assert.Equal(t, tt.normal, NormalizeICD10(tt.in), "NormalizeICD10(%q)", tt.in)
		assert.Equal(t, tt.formatted, FormatICD10(tt.in), "FormatICD10(%q)", tt.in)
	}
}

func TestSameICD10(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"E11.9", "E119", true},
		{"e119", "E11.9", true},
		{" E11.9", "e11.9 ", true},
		{"S13.4XXA", "s134xxa", true},
		{"I10", "i10", true},
		{"E11.9", "E11.8", false},
		{"E11.9", "E11", false},
		{"E11.9", "E1.19", false}, // a malformed dot does not make the same code
		{"E1.19", "e1.19", true},  // malformed codes compare as written
		{"", "", true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, SameICD10(tt.a, tt.b), "SameICD10(%q, %q)", tt.a, tt.b)
		assert.Equal(t, tt.want, SameICD10(tt.b, tt.a), "SameICD10(%q, %q)", tt.b, tt.a)
	}
}

func TestValidNPI(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		// The CMS worked example and NPIs from the NPPES registry.
		{"1234567893", true},
		{"1245319599", true},
		{"1679576722", true},
		{"1003000126", true},
		// wrong check digit
		{"1234567890", false},
		{"1234567894", false},
		{"1245319590", false},
		{"1679576721", false},
		// transposed digits change the check digit
		{"1243567893", false},
		// malformed
		{"", false},
		{"123456789", false},
		{"12345678930", false},
		{"123456789X", false},
		{"12345-7893", false},
		{" 1234567893", false},
		{"１234567893", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ValidNPI(tt.in), "ValidNPI(%q)", tt.in)
	}
}

func TestLuhnCheckDigit(t *testing.T) {
	// Plain Luhn examples, independent of the NPI prefix.
	assert.Equal(t, byte('3'), luhnCheckDigit("7992739871"))
	assert.Equal(t, byte('0'), luhnCheckDigit("0"))
	// CMS: 80840 + 123456789 has check digit 3.
	assert.Equal(t, byte('3'), luhnCheckDigit("80840123456789"))
}

func TestValidTaxID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"12-3456789", true},
		{"123456789", true},
		{"00-0000000", true}, // shape only
		{"", false},
		{"12345678", false},
		{"1234567890", false},
		{"123-456789", false},
		{"12-345678", false},
		{"12-34567890", false},
		{"12 3456789", false},
		{"1-23456789", false},
		{"AB-CDEFGHI", false},
		{"123-45-6789", false},
		{" 123456789", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ValidTaxID(tt.in), "ValidTaxID(%q)", tt.in)
	}
}
