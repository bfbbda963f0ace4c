// Package text checks the short single-line texts users type (names, titles), the same way in
// every module.
package text

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line trims s and reports what is wrong with it as a required single line of at most max
// characters, or "" when it is acceptable.
func Line(s string, max int) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "is required"
	}
	return OptionalLine(s, max)
}

// OptionalLine is Line for a text that may be empty.
func OptionalLine(s string, max int) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return "", "must be valid UTF-8"
	case utf8.RuneCountInString(s) > max:
		return "", fmt.Sprintf("must be at most %d characters", max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", "must not contain control characters"
	}
	return s, ""
}
