package identity

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/email"
)

// Limits on user input.
const (
	MinPasswordLen    = 8
	MaxPasswordLen    = 256 // hashing cost grows with length; an unbounded password is a DoS vector
	MaxEmailLen       = email.MaxLen
	MaxDisplayNameLen = 100
)

// User is a registered person.
type User struct {
	ID           string
	Email        string // normalised: trimmed, lower case
	DisplayName  string
	PasswordHash string
	CreatedAt    time.Time
}

// NormalizeEmail trims and lower-cases an address so lookups and uniqueness ignore case.
func NormalizeEmail(addr string) string { return email.Normalize(addr) }

func validatePassword(password string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return "must be at least 8 characters"
	case len(password) > MaxPasswordLen:
		return "is too long"
	}
	return ""
}

func normalizeDisplayName(name string) (string, string) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", "is required"
	case utf8.RuneCountInString(name) > MaxDisplayNameLen:
		return "", "must be at most 100 characters"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", "must not contain control characters"
	}
	return name, ""
}

func validateRegistration(in RegisterInput) (addr, displayName string, err error) {
	var fields apperr.Fields
	addr = NormalizeEmail(in.Email)
	if msg := email.Problem(addr); msg != "" {
		fields.Add("email", msg)
	}
	if msg := validatePassword(in.Password); msg != "" {
		fields.Add("password", msg)
	}
	displayName, msg := normalizeDisplayName(in.DisplayName)
	if msg != "" {
		fields.Add("displayName", msg)
	}
	return addr, displayName, fields.Err()
}
