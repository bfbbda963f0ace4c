// Package email normalises and validates email addresses, the same way in every module.
package email

import (
	"net/mail"
	"strings"
)

// MaxLen is the longest accepted address (RFC 5321 path limit).
const MaxLen = 254

// Normalize trims and lower-cases an address so lookups and uniqueness ignore case.
func Normalize(addr string) string { return strings.ToLower(strings.TrimSpace(addr)) }

// Problem reports what is wrong with a normalised address, or "" when it is acceptable. Only a
// bare address is accepted: no display name, no comments.
func Problem(addr string) string {
	if addr == "" {
		return "is required"
	}
	if len(addr) > MaxLen {
		return "is too long"
	}
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Address != addr || parsed.Name != "" || !strings.Contains(addr[strings.LastIndexByte(addr, '@')+1:], ".") {
		return "is not a valid email address"
	}
	return ""
}
