package codes

// npiPrefix is the card-issuer prefix that CMS prepends to the first nine
// digits of an NPI before computing its Luhn check digit (ISO/IEC 7812: "80"
// health, "840" United States).
const npiPrefix = "80840"

// ValidNPI reports whether s is a National Provider Identifier: exactly ten
// ASCII digits whose last digit is the Luhn check digit of "80840" followed
// by the first nine digits, as specified by CMS. It does not check that the
// NPI has been issued (that needs the NPPES registry).
func ValidNPI(s string) bool {
	if len(s) != 10 || !allDigits(s) {
		return false
	}
	return luhnCheckDigit(npiPrefix+s[:9]) == s[9]
}

// luhnCheckDigit returns the Luhn check digit (as an ASCII digit) for payload,
// which must consist of ASCII digits only.
func luhnCheckDigit(payload string) byte {
	sum := 0
	double := true // the rightmost payload digit is doubled
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

// ValidTaxID reports whether s has the shape of a US federal tax
// identification number as it appears on claims: an EIN written
// "NN-NNNNNNN" or nine digits without punctuation (an EIN or SSN). Only the
// shape is checked; IRS prefix assignments are not.
func ValidTaxID(s string) bool {
	switch len(s) {
	case 9:
		return allDigits(s)
	case 10:
		return s[2] == '-' && allDigits(s[:2]) && allDigits(s[3:])
	}
	return false
}
