package validate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text records an error under field when s is longer than maxLen characters, is
// not UTF-8, or holds a control character other than tab, line feed and
// carriage return (PostgreSQL refuses NUL; the others have no place in a name,
// an address or a note). The API's request bodies and the web app's forms both
// check text with it.
func (e *Errors) Text(field, s string, maxLen int) {
	switch {
	case !utf8.ValidString(s):
		e.Add(field, "must be UTF-8 text")
	case utf8.RuneCountInString(s) > maxLen:
		e.Add(field, "must be at most %d characters", maxLen)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' }):
		e.Add(field, "must not contain NUL or other control characters")
	}
}
