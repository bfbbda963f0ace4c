package identity

import (
	"time"
	"unicode/utf8"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/email"
	"github.com/workspaceops/workspaceops/platform/text"
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
	// TokenGeneration is carried by every token issued to the user; signing out everywhere and
	// changing the password raise it, which invalidates every token issued before.
	TokenGeneration int64
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

func validateRegistration(in RegisterInput) (addr, displayName string, err error) {
	var fields apperr.Fields
	addr = NormalizeEmail(in.Email)
	if msg := email.Problem(addr); msg != "" {
		fields.Add("email", msg)
	}
	if msg := validatePassword(in.Password); msg != "" {
		fields.Add("password", msg)
	}
	displayName, msg := text.Line(in.DisplayName, MaxDisplayNameLen)
	if msg != "" {
		fields.Add("displayName", msg)
	}
	return addr, displayName, fields.Err()
}
