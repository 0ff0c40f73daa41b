package codes

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

func isUpperOrDigit(c byte) bool { return isUpper(c) || isDigit(c) }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// asciiUpper upper-cases the ASCII letters of s and leaves every other byte
// alone. strings.ToUpper is deliberately not used: it maps some non-ASCII
// runes onto ASCII letters (U+017F 'ſ' becomes 'S'), which would let such
// input pass the ASCII-only validators after normalization.
func asciiUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'a' <= b[j] && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
